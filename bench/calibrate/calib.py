#!/usr/bin/env python3
"""Calibrate `blimp sim` against a real `blimp demo` run.

DESIGN: three steps, each writing what it found so a person can check it.
  measure  the model's parameters from the real run: DIR/timeline.csv (the demo's,
           one row per VM per second from t=0 = phase 1's start), DIR/blimpd.log
           (every balloon and cgroup change with its time) and, when run.sh recorded
           it, DIR/top.jsonl (blimpd's `top` every 0.5 s from the first boot on:
           guest stats, SHRD). Each parameter is printed with how it was measured.
  simulate a fleet file (one row per real VM) and the sim flags (budget, balance
           period, stats period, host swap rate) from those parameters; `blimp sim`
           runs from the moment the real blimpd restarted under the policy, so the
           real t=0 is the simulated t=offset.
  compare  per-VM CONSUMED, both resampled to a 1 s grid on the real t=0: mean
           absolute error / MEMSZ per VM, a table, a RESULT line, a gnuplot PNG.

usage: calib.py --real DIR --blimp PATH --out DIR [--png PATH] [--title TEXT]
                [--sim-flag=--x ...]
Exit status: 0 (the table printed), 2 (bad input).
"""
import argparse
import bisect
import csv
import datetime
import gzip
import json
import math
import os
import re
import statistics
import subprocess
import sys

MIB = 1024 * 1024
# --without: model parts added for the calibration (docs/simulator.md "Calibration")
# what --params-from takes from the other run: how the system behaves, not this run's
# scenario or state at t=0 (budget, OVHD, page cache, in-use, alignment)
MODEL_KEYS = ["balance_ms", "boot_s", "stats_ms", "guest_kernel", "balloon_mib_s", "swap_mib_s",
              "shareable", "shareable_pct", "probe_unscaled", "ws_mib", "ws_lag_s",
              "ws_fill_mib_s", "ws_end_lag_s"]
ABLATIONS = ["host-ram", "lazy-swap", "memtotal", "kernel", "ksm-fixed", "probe", "end-lag",
             "unreported"]


def die(msg):
    print("calib: " + msg, file=sys.stderr)
    sys.exit(2)


# ---- reading the real run --------------------------------------------------------------


def read_timeline(path):
    """{vm: [(t_s, row dict of ints)]}, host budget, memsz per VM."""
    vms, order = {}, []
    with open(path) as f:
        for r in csv.DictReader(f):
            try:
                t = float(r["t_s"])
                row = {k: int(r[k]) for k in ("consumed", "ovhd", "mctlsz", "mctltgt", "actv",
                                              "budget", "memsz", "swcur", "available") if r.get(k)}
            except (KeyError, ValueError):
                continue
            name = r["vm"]
            if name not in vms:
                vms[name] = []
                order.append(name)
            vms[name].append((t, row))
    if not vms:
        die(path + ": no rows")
    # the demo's VM i is vm<i+1> and runs in phase i; rows come in blimpd's order
    order.sort(key=lambda n: (int(re.sub(r"\D", "", n) or 0), n))
    budget = statistics.median(row["budget"] for s in vms.values() for _, row in s
                               if "budget" in row)
    return vms, order, int(budget)


LOG_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d\d\d) (\w+)\s+(\w+)\s+(.*)$")


def read_log(path, day):
    """blimpd.log lines as (unix time, component, message); the log carries the time of
    day only, the date comes from `day` (the timeline's mtime) and the local zone."""
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            m = LOG_TIME.match(line.rstrip("\n"))
            if not m:
                continue
            hh, mm, ss, ms = (int(m.group(i)) for i in range(1, 5))
            dt = datetime.datetime.combine(day, datetime.time(hh, mm, ss, ms * 1000))
            t = dt.timestamp()
            out.append((t, m.group(6), m.group(7)))
    # a run across midnight: later lines that go back in time are the next day
    fixed, add = [], 0.0
    for i, (t, c, msg) in enumerate(out):
        if fixed and t + add < fixed[-1][0] - 3600:
            add += 86400
        fixed.append((t + add, c, msg))
    return fixed


def read_top(path):
    """[(unix t, top result)] from run.sh's poller, [] when absent."""
    out = []
    opener = open
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path, opener = path + ".gz", gzip.open
    if not os.path.exists(path):
        return out
    with opener(path, "rt") as f:
        for line in f:
            try:
                o = json.loads(line)
                out.append((float(o["t"]), o["top"]))
            except (ValueError, KeyError, TypeError):
                continue
    return out


# ---- measuring -------------------------------------------------------------------------


def interp(series, t):
    """Linear interpolation in [(t, v)] sorted by t; clamps at the ends."""
    ts = [p[0] for p in series]
    i = bisect.bisect_left(ts, t)
    if i <= 0:
        return series[0][1]
    if i >= len(series):
        return series[-1][1]
    (t0, v0), (t1, v1) = series[i - 1], series[i]
    if t1 == t0:
        return v1
    return v0 + (v1 - v0) * (t - t0) / (t1 - t0)


def balloon_speeds(vms):
    """MiB/s of MCTLSZ moves toward MCTLTGT, from consecutive timeline samples where the
    gap at the first one was at least 16 MiB. A move that closes the whole gap within one
    sample only bounds the speed from below; the fastest seen is reported (the driver's
    speed: slower moves are the target moving slowly, i.e. the policy's probe)."""
    infl, defl = [], []
    for s in vms.values():
        for (t0, a), (t1, b) in zip(s, s[1:]):
            dt = t1 - t0
            if dt <= 0 or dt > 2.5:
                continue
            gap = a["mctltgt"] - a["mctlsz"]
            move = b["mctlsz"] - a["mctlsz"]
            if gap >= 16 * MIB and move > 0:
                infl.append(move / dt / MIB)
            elif gap <= -16 * MIB and move < 0:
                defl.append(-move / dt / MIB)
    return infl, defl


def swap_rate(vms):
    """Host swap-out speed, MiB/s: the largest rise of the sum of SWCUR over any window
    of 1 s (the samples are ~1 s apart, sometimes 0.1 s: shorter windows would divide
    one jump by a fraction of the time it took)."""
    names = list(vms)
    sw = {n: [(t, r["swcur"]) for t, r in vms[n]] for n in names}
    end = max(t for s in sw.values() for t, _ in s)
    best, k = 0.0, 0.0
    while k + 1.0 <= end:
        d = sum(interp(sw[n], k + 1.0) - interp(sw[n], k) for n in names)
        best = max(best, d / MIB)
        k += 0.1
    return best


def restart_of(log):
    """The last blimpd start in the log (the one running the policy under test): its
    time, the time it listened, its policy."""
    start = listen = None
    policy = None
    for t, comp, msg in log:
        if comp == "daemon" and msg.startswith("blimpd ") and ", policy " in msg:
            start, listen = t, None
            m = re.search(r", policy (\w+)", msg)
            policy = m.group(1) if m else None
        elif comp == "daemon" and msg.startswith("listening on") and start is not None \
                and listen is None:
            listen = t
    if start is None:
        die("blimpd.log: no blimpd start line")
    return start, listen if listen is not None else start, policy


def balance_ticks(log, t_from, t_to):
    """Times of blimpd's balance passes that changed something: probe steps are logged
    by every VM within a few ms, so act lines more than 300 ms apart start a new pass."""
    ticks = []
    for t, comp, msg in log:
        if comp != "act" or t < t_from or t > t_to or "balloon target" not in msg:
            continue
        if not ticks or t - ticks[-1] > 0.3:
            ticks.append(t)
    return ticks


def first_balloon_act(log, t_from):
    for t, comp, msg in log:
        if t >= t_from and comp == "act" and "balloon target" in msg:
            return t
    return None


def vm_start_times(log):
    out = {}
    for t, comp, msg in log:
        m = re.match(r"(\S+): started \(", msg)
        if comp == "vm" and m:
            out[m.group(1)] = t
    return out


def top_vm_series(top, name, key):
    out = []
    for t, res in top:
        for v in res.get("vms", []):
            if v.get("name") == name and isinstance(v.get(key), (int, float)):
                out.append((t, v[key]))
    return out


def rise_time(series, lo, hi):
    """Seconds the series takes from crossing lo to crossing hi (first crossings), or None."""
    t_lo = t_hi = None
    for t, v in series:
        if t_lo is None and v >= lo:
            t_lo = t
        if t_lo is not None and v >= hi:
            t_hi = t
            break
    if t_lo is None or t_hi is None:
        return None, None
    return t_lo, t_hi - t_lo


def measure(real, out_lines):
    """All parameters as a dict; out_lines gets the human report."""
    tl_path = os.path.join(real, "timeline.csv")
    if not os.path.exists(tl_path):
        die(tl_path + ": missing")
    vms, order, budget = read_timeline(tl_path)
    # blimpd's log lines carry the time of day only; libvirt's lines in the same log
    # carry the date (files copied or checked out lose their mtime)
    day = datetime.date.fromtimestamp(os.path.getmtime(tl_path))
    with open(os.path.join(real, "blimpd.log"), errors="replace") as f:
        m = re.search(r"^(\d{4})-(\d\d)-(\d\d) \d\d:", f.read(), re.M)
        if m:
            day = datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    log = read_log(os.path.join(real, "blimpd.log"), day)
    top = read_top(os.path.join(real, "top.jsonl"))
    p = {"vms": order, "budget": budget}
    say = out_lines.append

    memsz = {n: vms[n][0][1]["memsz"] for n in order}
    p["memsz"] = memsz
    last_t = max(t for s in vms.values() for t, _ in s)
    summ = os.path.join(real, "summary.txt")
    duration = None
    if os.path.exists(summ):
        m = re.search(r"policy (\w+), (\d+) s,", open(summ).read())
        if m:
            duration = int(m.group(2))
    if duration is None:
        duration = int(round(last_t))
    p["duration_s"] = duration
    p["phase_s"] = duration // len(order)
    p["lost"] = [n for n in order if max(t for t, _ in vms[n]) < duration - 2]
    say(f"scenario: {len(order)} VMs x {memsz[order[0]] // MIB} MiB, budget "
        f"{budget / MIB:.0f} MiB, {duration} s, phase {p['phase_s']} s (timeline.csv, summary.txt)")
    if p["lost"]:
        say("  VMs gone before the end of the real run (host OOM kill, see blimpd.log): " +
            ", ".join(p["lost"]))

    # t=0: the demo writes the schedule's start 2 s after the restarted blimpd answers,
    # rounded to a whole second (cmd_demo.c: t0 = time(NULL) + 2).
    restart, listen, policy = restart_of(log)
    t0 = math.floor(listen) + 2
    if t0 - listen < 1.0:  # `status` answered in the next second: time() already ticked
        pass
    p["offset_s"] = round(t0 - restart, 3)
    p["policy"] = policy or "blimp"
    say(f"alignment: blimpd restarted under --policy {p['policy']} at log time "
        f"{datetime.datetime.fromtimestamp(restart).strftime('%H:%M:%S.%f')[:-3]}; the "
        f"demo's t=0 is {p['offset_s']:.2f} s later (floor(listening) + 2 s); the simulation "
        f"starts at the restart")

    ticks = balance_ticks(log, restart, restart + duration + p["offset_s"])
    gaps = [b - a for a, b in zip(ticks, ticks[1:]) if b - a < 5]
    bal = statistics.median(gaps) if gaps else 1.0
    p["balance_ms"] = max(100, int(round(bal * 10)) * 100)
    say(f"balance period: {p['balance_ms']} ms (median gap between consecutive balloon "
        f"passes in blimpd.log, {len(gaps)} gaps, mean {statistics.mean(gaps) if gaps else 0:.2f} s; "
        f"configured 1000 ms, a loaded host stretches it)")

    first = first_balloon_act(log, restart)
    p["boot_s"] = round(max(0.0, first - restart), 1) if first else 1.0
    say(f"first stats after the restart: {p['boot_s']:.1f} s (the first balloon action in "
        f"blimpd.log, which needs guest stats); used as boot_s")
    starts = vm_start_times(log)
    boots = []
    for n in order:
        st = top_vm_series(top, n, "stats_age_ms")
        ok = [t for t, a in st if a >= 0]
        if n in starts and ok:
            boots.append(min(ok) - starts[n])
    if boots:
        p["vm_boot_s"] = statistics.median(boots)
        say(f"guest boot to first stats: median {p['vm_boot_s']:.1f} s (VM started in "
            f"blimpd.log -> first top sample with stats_age_ms >= 0), range "
            f"{min(boots):.1f}-{max(boots):.1f} s (before t=0; not simulated)")

    # stats period: how often a VM's guest stats change in top (blimpd collects every
    # second; the poller samples every 0.5 s): the median interval between changes of
    # (free, available, caches, minor faults), which move whenever the guest reports
    ivals = []
    for n in order:
        last, last_t = None, None
        for t, res in top:
            for v in res.get("vms", []):
                if v.get("name") != n or v.get("stats_age_ms", -1) < 0:
                    continue
                key = tuple(v.get(k) for k in ("guest_free", "guest_available", "guest_caches",
                                               "guest_minor_faults"))
                if last is not None and key != last:
                    if 0.2 < t - last_t < 10:
                        ivals.append(t - last_t)
                    last_t = t
                elif last is None:
                    last_t = t
                last = key
    p["stats_ms"] = int(round(statistics.median(ivals) * 2)) * 500 if ivals else 1000
    p["stats_ms"] = max(500, p["stats_ms"])
    say(f"stats period: {p['stats_ms']} ms (" + (
        f"median interval between changes of a VM's guest stats in top.jsonl, "
        f"{len(ivals)} changes, sampled every 0.5 s; blimpd sets 1 s)" if ivals else
        "no top.jsonl: blimpd's stats_period_s, 1 s)"))

    # the guest kernel's memory outside MemTotal (image, reserved): MEMSZ - MemTotal
    kern = []
    for n in order:
        tot = [v for _, v in top_vm_series(top, n, "guest_total")]
        if tot:
            kern.append(memsz[n] - max(tot))
    p["guest_kernel"] = int(statistics.median(kern)) if kern else 0
    say(f"guest kernel outside MemTotal: {p['guest_kernel'] / MIB:.0f} MiB (MEMSZ - the "
        f"largest guest_total in top.jsonl, median over the VMs" +
        (")" if kern else "; no top.jsonl: 0)"))

    p["ovhd"] = {n: int(statistics.median(r["ovhd"] for _, r in vms[n])) for n in order}
    say("OVHD per VM (median of the run): " +
        ", ".join(f"{n} {p['ovhd'][n] / MIB:.0f} MiB" for n in order))

    infl, defl = balloon_speeds(vms)
    speed_in = max(infl) if infl else 0
    speed_out = max(defl) if defl else 0
    rate = min(x for x in (speed_in, speed_out) if x > 0) if (speed_in or speed_out) else 128
    p["balloon_mib_s"] = max(1, int(rate))
    say(f"balloon speed: inflate >= {speed_in:.0f} MiB/s ({len(infl)} moves), deflate >= "
        f"{speed_out:.0f} MiB/s ({len(defl)} moves) (MCTLSZ per second while MCTLTGT was "
        f"16 MiB or more away; the fastest move, a lower bound at 1 s sampling); "
        f"balloon_rate {p['balloon_mib_s']} MiB/s (the slower)")

    # the host's RAM: where its own kernel would reclaim (the budget is only blimpd's)
    mt = [res.get("host", {}).get("mem_total") for _, res in top]
    mt = [x for x in mt if isinstance(x, int) and x > 0]
    if mt:
        p["host_ram"] = max(mt)
        how = "host mem_total from top.jsonl"
    else:
        p["host_ram"] = max(at0["available"] for at0 in (vms[n][0][1] for n in order)
                            if "available" in at0) + sum(
            vms[n][0][1]["consumed"] + vms[n][0][1]["ovhd"] for n in order)
        how = "MemAvailable at t=0 plus what the VMs held then"
    p["host_ram"] = max(p["host_ram"], budget)
    say(f"host RAM: {p['host_ram'] / MIB:.0f} MiB ({how}); the budget is "
        f"{budget / MIB:.0f} MiB, so going over the budget costs nothing until blimpd acts")

    sw = swap_rate(vms)
    p["swap_mib_s"] = int(sw) if sw >= 1 else None
    say(f"host swap speed: {sw:.0f} MiB/s (the largest rise of the sum of SWCUR over 1 s; "
        f"zswap is on, so this is compression speed more than disk speed)" +
        ("" if p["swap_mib_s"] else ": nothing swapped, the simulator's default 200 MiB/s"))

    # initial state at t=0 (and before it, from the poller)
    at0 = {n: vms[n][0][1] for n in order}
    shrd0 = {}
    for n in order:
        sh = [v for t, v in top_vm_series(top, n, "shrd") if t >= t0 - 0.25]
        shrd0[n] = sh[0] if sh else 0
    resident0 = {n: at0[n]["consumed"] + at0[n]["swcur"] + shrd0[n] for n in order}
    caches = {}
    inuse = {}
    fill_rates = []
    for n in order:
        c = top_vm_series(top, n, "guest_caches")
        pre = [(t, v) for t, v in c if t <= restart]
        at = [v for t, v in c if t >= t0 - 0.25]
        if at:  # the cache at t=0 (some guests are still filling at the restart)
            caches[n] = at[0]
        if pre:
            mx = max(v for _, v in pre)
            t_lo, dur = rise_time(pre, 0.1 * mx, 0.9 * mx)
            if dur:
                fill_rates.append(0.8 * mx / dur / MIB)
        tot = dict(top_vm_series(top, n, "guest_total"))
        av = top_vm_series(top, n, "guest_available")
        iu = [(t, tot[t] - a) for t, a in av if t in tot and t <= restart]
        if iu:
            inuse[n] = iu[-1][1]
    p["cache"] = {}
    p["idle_anon"] = {}
    for n in order:
        if n in caches:
            cache = min(caches[n], resident0[n])
        else:  # no poller: in use is ACTV at t=0, the rest of what the host holds is cache
            cache = max(0, resident0[n] - at0[n]["actv"])
        p["cache"][n] = int(cache)
        p["idle_anon"][n] = int(max(8 * MIB, p["guest_kernel"], resident0[n] - cache))
    say("page cache at t=0: " + ", ".join(f"{n} {p['cache'][n] / MIB:.0f}" for n in order) +
        " MiB (" + ("guest_caches from top.jsonl at t=0" if caches else
                    "CONSUMED + SWCUR - ACTV at t=0") + "); it does not grow afterwards "
        "(the guests read their disk once)")
    if fill_rates:
        p["cache_fill_mib_s"] = statistics.median(fill_rates)
        say(f"page-cache fill speed while booting: median {p['cache_fill_mib_s']:.1f} MiB/s "
            f"(guest_caches from 10% to 90% of its peak; before t=0, not simulated)")
    say("idle in-use (idle_anon) at t=0: " +
        ", ".join(f"{n} {p['idle_anon'][n] / MIB:.0f}" for n in order) +
        " MiB (what the host held at t=0, CONSUMED + SWCUR + SHRD, less the page cache" +
        (f"; the guests' own MemTotal - MemAvailable: " +
         ", ".join(f"{inuse[n] / MIB:.0f}" for n in order if n in inuse) + " MiB)"
         if inuse else ")"))

    # KSM: SHRD per VM once KSM has scanned (the second half of the run): about the
    # same in every VM whatever it holds (the guest kernel, alike in every guest), so
    # it is modelled as a fixed amount, not a share of what is resident
    shr = []
    for n in order:
        shr += [v for t, v in top_vm_series(top, n, "shrd") if t >= t0 + duration / 2]
    p["shareable"] = int(statistics.median(shr)) if shr else 0
    cons = [v for n in order for t, v in top_vm_series(top, n, "consumed")
            if t >= t0 + duration / 2]
    p["shareable_pct"] = round(100.0 * sum(shr) / (sum(cons) + sum(shr)), 2) if shr else 0.0
    say(f"KSM: SHRD {p['shareable'] / MIB:.0f} MiB per VM (median over the VMs in the second "
        f"half of the run, top.jsonl; it hardly moves with what a VM holds: a fixed "
        f"shareable amount, shareable_pct 0)" if shr else "KSM: no top.jsonl: nothing shared")

    # Unreported memory: after its burst a guest holds far less than at t=0 less its
    # cache (free page reporting returns the working set's freed 2 MiB blocks, and the
    # burst reused the small free pages left from boot, which were never reported).
    # So idle_anon is what the host holds of an idle guest after its burst (CONSUMED +
    # SWCUR + SHRD, median from 5 s after its phase to the end of the run; the median
    # over the other VMs for one whose phase ends with the run), and the rest of what
    # it held at t=0 beyond its cache is unreported (free in the guest, still backed).
    after = {}
    for i, n in enumerate(order):
        lo = (i + 1) * p["phase_s"] + 5
        xs = [r["consumed"] + r.get("swcur", 0) for t, r in vms[n] if lo <= t <= duration]
        if len(xs) >= 5:
            after[n] = statistics.median(xs) + p["shareable"]
    p["unreported"] = {n: 0 for n in order}
    if after:
        common = statistics.median(after.values())
        for n in order:
            idle = int(max(8 * MIB, p["guest_kernel"], min(after.get(n, common),
                                                            p["idle_anon"][n])))
            p["unreported"][n] = p["idle_anon"][n] - idle
            p["idle_anon"][n] = idle
        say("unreported at t=0 (free in the guest, still backed by the host): " +
            ", ".join(f"{n} {p['unreported'][n] / MIB:.0f}" for n in order) +
            " MiB; idle_anon then: " +
            ", ".join(f"{n} {p['idle_anon'][n] / MIB:.0f}" + ("" if n in after else "*")
                      for n in order) +
            " MiB (held after the VM's burst, CONSUMED + SWCUR + SHRD, median from 5 s after "
            "its phase to the end; * no such time, the median of the others)")

    # the slow probe's step in low (blimpd logs every balloon target it sets)
    steps = []
    probe = re.compile(r"(\S+): balloon target ([\d.]+)M -> ([\d.]+)M \(probe\)")
    for t, comp, msg in log:
        m = probe.search(msg)
        if comp == "act" and m and restart <= t <= restart + 8:
            d = float(m.group(2)) - float(m.group(3))
            if d > 0:
                steps.append(d * MIB / memsz.get(m.group(1), memsz[order[0]]))
    p["probe_unscaled"] = bool(steps) and max(steps) < 0.02
    say(f"slow probe in state low: at most {100 * max(steps) if steps else 0:.1f}% of MEMSZ per "
        f"pass in the first 8 s (blimpd.log 'balloon target ... (probe)'): "
        + ("not scaled by the host state, so the simulation runs with --no-probe-scale"
           if p["probe_unscaled"] else "scaled by the host state (the policy's default)"))

    # working set: the active VM's in-use rise in its phase. With deflate-on-OOM the
    # balloon's pages stay inside MemTotal as used: in-use = MemTotal - MemAvailable
    # less the ballooned bytes when MemTotal did not shrink with the balloon
    ws_mib, lag, fill, end_lag = [], [], [], []
    p["ws_vm"] = {}
    for i, n in enumerate(order):
        a0 = i * p["phase_s"]
        e0 = a0 + p["phase_s"]
        if top:
            iu = []
            tmax = 0
            for t, res in top:
                for v in res.get("vms", []):
                    if v.get("name") != n or v.get("stats_age_ms", -1) < 0:
                        continue
                    tot, av = v.get("guest_total", 0), v.get("guest_available", 0)
                    tmax = max(tmax, tot)
                    ball = max(0, memsz[n] - v.get("balloon_actual", memsz[n]))
                    u = tot - av
                    if ball and tot > tmax - ball / 2:
                        u -= ball
                    iu.append((t - t0, u))
        else:
            iu = [(t, r["actv"]) for t, r in vms[n]]
        before = [v for t, v in iu if a0 - 5 <= t < a0]
        during = [v for t, v in iu if a0 <= t < e0]
        if not before or not during:
            continue
        base = statistics.median(before)
        peak = sorted(during)[int(0.9 * (len(during) - 1))] - base
        if peak < 32 * MIB:
            continue
        ws_mib.append(peak / MIB)
        ph = [(t, v - base) for t, v in iu if a0 <= t < e0]
        t_lo, dur = rise_time(ph, 0.1 * peak, 0.9 * peak)
        vm = {}
        if t_lo is not None:
            lag.append(t_lo - a0)
            vm["lag"] = t_lo - a0
            if dur:
                fill.append(0.8 * peak / dur / MIB)
                vm["fill"] = 0.8 * peak / dur / MIB
        # the end: the first sample from the phase's last quarter on below half the peak
        gone = [t for t, v in iu if t >= e0 - p["phase_s"] / 4 and v - base < peak / 2]
        if gone and min(gone) < e0 + p["phase_s"]:
            end_lag.append(min(gone) - e0)
            vm["end"] = min(gone) - e0
        if top and len(vm) == 3:
            p["ws_vm"][n] = vm
    if not top:  # ACTV is a moving average: it says when, not how much
        ws_mib, end_lag = [], []
    p["ws_mib"] = int(statistics.median(ws_mib)) if ws_mib else 300
    p["ws_lag_s"] = round(statistics.median(lag), 1) if lag else 1.0
    p["ws_fill_mib_s"] = round(statistics.median(fill), 1) if fill else 100.0
    p["ws_end_lag_s"] = round(statistics.median(end_lag), 1) if end_lag else 0.0
    src = ("guest MemTotal - MemAvailable less the balloon, top.jsonl" if top else
           "no top.jsonl: the demo's default --ws 300; start and fill from ACTV in timeline.csv")
    say(f"working set: {p['ws_mib']} MiB above the idle in-use (90th percentile in the phase, "
        f"{src}); it starts {p['ws_lag_s']:.1f} s after the phase begins, fills at "
        f"{p['ws_fill_mib_s']:.0f} MiB/s (10% -> 90%) and is gone {p['ws_end_lag_s']:.1f} s after "
        f"the phase ends (in-use below half; per VM: "
        + ", ".join(f"{x:.1f}" for x in end_lag) + " s), medians over the VMs; under CPU "
        f"contention each guest's wsloop runs at its own pace, so the fleet takes each VM's "
        f"own start, fill and end where measured (--ws-median: the medians): " +
        "; ".join(f"{n} {v['lag']:.1f} s, {v['fill']:.0f} MiB/s, +{v['end']:.1f} s"
                  for n, v in p["ws_vm"].items()))
    return p, vms


# ---- the simulation --------------------------------------------------------------------


def write_fleet(p, path):
    off = p["offset_s"]
    with open(path, "w") as f:
        f.write("# written by bench/calibrate/calib.py from a real blimp demo run\n")
        f.write("name,memsz,maxmemctl,guest_swap,balloon_rate,start_s,boot_s,idle_anon,"
                "unreported,guest_kernel,cache_cap,cache_init,cache_rate,shareable_pct,"
                "shareable,ovhd,deflate_on_oom,ws\n")
        wo = p.get("without", [])
        ws = p["ws_mib"] * MIB
        fill_s = max(0.1, p["ws_mib"] / max(p["ws_fill_mib_s"], 1))
        for i, n in enumerate(p["vms"]):
            lag_s, end_s, fs = p["ws_lag_s"], p["ws_end_lag_s"], fill_s
            own = p.get("ws_vm", {}).get(n)
            if own and not p.get("ws_median"):
                lag_s, end_s = own["lag"], own["end"]
                fs = max(0.1, p["ws_mib"] / max(own["fill"], 1))
            a = off + i * p["phase_s"] + lag_s
            b = a + fs
            e = off + (i + 1) * p["phase_s"] + (0 if "end-lag" in wo else end_s)
            pts = []
            if a > 0.001:
                pts.append((0.0, 0))
            pts += [(a, 0), (b, ws), (max(e, b + 0.001), ws), (max(e, b + 0.001) + 0.5, 0)]
            trace, last = [], -1.0
            for t, v in pts:
                t = round(t, 3)
                if t <= last:
                    continue
                trace.append(f"{t:.3f}:{v}")
                last = t
            memsz = p["memsz"][n]
            cache = p["cache"][n]
            kern = 0 if "kernel" in wo else p["guest_kernel"]
            if "ksm-fixed" in wo:
                pct, fixed = p["shareable_pct"], 0
            else:
                pct, fixed = 0.0, p["shareable"]
            # without "memtotal": MemTotal follows the balloon, as the model had it
            doo = 0 if "memtotal" in wo else 1
            # without "unreported": all the guest held at t=0 beyond its cache is in use
            idle, unrep = p["idle_anon"][n], p["unreported"][n]
            if "unreported" in wo:
                idle, unrep = idle + unrep, 0
            f.write(f"{n},{memsz},{memsz // 5 * 4},{256 * MIB},{p['balloon_mib_s'] * MIB},0,"
                    f"{p['boot_s']:.1f},{idle},{unrep},{kern},{max(cache, 1)},{cache},0,"
                    f"{pct:.2f},{fixed},{p['ovhd'][n]},{doo},{' '.join(trace)}\n")


def run_sim(p, blimp, fleet, out_dir, extra):
    bal = p["balance_ms"]
    step = 100 if bal % 100 == 0 else bal
    secs = p["offset_s"] + p["duration_s"] + 2
    args = [blimp, "sim", "--fleet", fleet, "--policy", p["policy"],
            "--host-mem", str(p["budget"]), "--balance-ms", str(bal), "--step-ms", str(step),
            "--delay-ms", str(min(100, step)), "--stats-ms", str(p["stats_ms"]),
            "--hours", f"{secs / 3600.0:.6f}", "--seed", "1", "--out", out_dir]
    if p["swap_mib_s"]:
        args += ["--host-swap-rate", f"{p['swap_mib_s']}M"]
    wo = p.get("without", [])
    if "host-ram" not in wo:
        args += ["--host-ram", str(p["host_ram"])]
    if "lazy-swap" in wo:
        args += ["--host-swap-eager"]
    if p["probe_unscaled"] and "probe" not in wo:
        args += ["--no-probe-scale"]
    args += extra
    with open(os.path.join(out_dir, "sim.cmd"), "w") as f:
        f.write(" ".join(args) + "\n")
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with open(os.path.join(out_dir, "sim.out"), "w") as f:
        f.write(r.stdout + r.stderr)
    if r.returncode != 0:
        die("blimp sim failed: " + r.stderr.strip())
    series = {}
    with open(os.path.join(out_dir, "vms.csv")) as f:
        for row in csv.DictReader(f):
            series.setdefault(row["vm"], []).append(
                (int(row["t_s"]) if row["t_s"].isdigit() else float(row["t_s"]),
                 int(row["consumed"]), int(row["actual"]), int(row["host_swapped"])))
    return series


# ---- comparing -------------------------------------------------------------------------


def compare(p, vms, sim, out_dir):
    off = p["offset_s"]
    rows = []
    grid_rows = []
    for n in p["vms"]:
        real = [(t, r["consumed"]) for t, r in vms[n]]
        real_end = real[-1][0]
        s = sim.get(n)
        if not s:
            die(f"the simulation has no VM {n}")
        sc = [(t - off, c) for t, c, _, _ in s]
        sb = [(t - off, p["memsz"][n] - a) for t, _, a, _ in s]
        ss = [(t - off, h) for t, _, _, h in s]
        errs = []
        for k in range(0, p["duration_s"] + 1):
            if k > real_end + 0.5:
                break
            rv, sv = interp(real, k), interp(sc, k)
            errs.append(abs(rv - sv))
            rr = vms[n]
            grid_rows.append((n, k, rv, sv, interp([(t, r["mctlsz"]) for t, r in rr], k),
                              interp(sb, k), interp([(t, r["swcur"]) for t, r in rr], k),
                              interp(ss, k)))
        mae = statistics.mean(errs)
        bias = statistics.mean(interp(sc, k) - interp(real, k) for k in range(len(errs)))
        rows.append((n, len(errs), mae / MIB, 100.0 * mae / p["memsz"][n], bias / MIB,
                     n in p["lost"]))
    with open(os.path.join(out_dir, "compare.dat"), "w") as f:
        f.write("# vm t_s real_consumed sim_consumed real_mctlsz sim_mctlsz real_swcur "
                "sim_swcur (MiB)\n")
        for n in p["vms"]:
            for g in grid_rows:
                if g[0] == n:
                    f.write(f"{n} {g[1]} " + " ".join(f"{x / MIB:.1f}" for x in g[2:]) + "\n")
            f.write("\n\n")
    return rows


def plot(p, rows, out_dir, png, title):
    n = len(p["vms"])
    gp = os.path.join(out_dir, "compare.gp")
    with open(gp, "w") as f:
        f.write(f"set terminal pngcairo size 1100,{230 * n + 80} font ',10'\n")
        f.write(f"set output '{png}'\n")
        f.write(f"set multiplot layout {n},1 title \"{title}\"\n")
        f.write("set ylabel 'MiB'\nset grid\nset key outside right top\n")
        f.write(f"set xrange [0:{p['duration_s']}]\nset yrange [0:{max(p['memsz'].values()) / MIB * 1.05:.0f}]\n")
        for i, (name, _, mae, pct, _, lost) in enumerate(rows):
            a, b = i * p["phase_s"], (i + 1) * p["phase_s"]
            f.write("unset object\n")
            f.write(f"set object 1 rect from {a},graph 0 to {b},graph 1 fc rgb '#dde8ff' "
                    f"fs solid 0.6 noborder behind\n")
            f.write(f"set title '{name}: mean |error| {mae:.0f} MiB = {pct:.1f}% of MEMSZ"
                    f"{' (killed in the real run)' if lost else ''}'\n")
            f.write("set xlabel 'seconds since phase 1 began'\n" if i == n - 1 else "unset xlabel\n")
            f.write(f"plot '{out_dir}/compare.dat' index {i} using 2:3 w l lw 2 lc rgb '#1f5fbf' "
                    f"t 'CONSUMED real', '' index {i} using 2:4 w l lw 2 dt 2 lc rgb '#d03030' "
                    f"t 'CONSUMED sim', '' index {i} using 2:5 w l lw 1 lc rgb '#30a030' "
                    f"t 'MCTLSZ real', '' index {i} using 2:6 w l lw 1 dt 2 lc rgb '#208020' "
                    f"t 'MCTLSZ sim', '' index {i} using 2:7 w l lw 1 lc rgb '#9050b0' "
                    f"t 'SWCUR real', '' index {i} using 2:8 w l lw 1 dt 2 lc rgb '#7040a0' "
                    f"t 'SWCUR sim'\n")
        f.write("unset multiplot\n")
    r = subprocess.run(["gnuplot", gp], stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        print("calib: gnuplot: " + r.stderr.strip(), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--real", required=True)
    ap.add_argument("--blimp", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--png")
    ap.add_argument("--title", default="blimp sim vs a real blimp demo run: CONSUMED per VM")
    ap.add_argument("--sim-flag", action="append", default=[])
    ap.add_argument("--params-from", metavar="DIR",
                    help="take the model's parameters from another real run (out-of-sample "
                    "check); the scenario and the state at t=0 still come from --real")
    ap.add_argument("--ws-median", action="store_true",
                    help="every VM's working set starts, fills and ends with the medians "
                    "(default: each VM's own, as measured)")
    ap.add_argument("--without", action="append", default=[], choices=ABLATIONS,
                    help="leave one calibration step out (to see what it is worth)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    report = []
    p, vms = measure(a.real, report)
    p["without"] = a.without
    p["ws_median"] = a.ws_median
    if a.params_from:
        other = []
        q, _ = measure(a.params_from, other)
        for k in MODEL_KEYS:
            p[k] = q[k]
        p["ws_median"] = True  # another run's VMs ran at their own pace
        report.append(f"model parameters from {a.params_from} (out of sample): " +
                      ", ".join(f"{k}={q[k]}" for k in MODEL_KEYS))
    with open(os.path.join(a.out, "params.json"), "w") as f:
        json.dump(p, f, indent=1, sort_keys=True)
    print("measured (how):")
    for line in report:
        print("  " + line)
    fleet = os.path.join(a.out, "fleet.csv")
    write_fleet(p, fleet)
    sim = run_sim(p, a.blimp, fleet, a.out, a.sim_flag)
    rows = compare(p, vms, sim, a.out)
    print()
    print(f"{'vm':8} {'samples':>7} {'mae_mib':>8} {'err_pct':>8} {'bias_mib':>9}")
    for name, k, mae, pct, bias, lost in rows:
        print(f"{name:8} {k:7d} {mae:8.1f} {pct:8.2f} {bias:+9.1f}"
              f"{'  (killed in the real run: compared while it ran)' if lost else ''}")
    pcts = [r[3] for r in rows]
    allk = sum(r[1] for r in rows)
    overall = sum(r[3] * r[1] for r in rows) / allk if allk else 0
    print(f"{'all':8} {allk:7d} {'':8} {overall:8.2f}")
    png = a.png or os.path.join(a.out, "calibration.png")
    plot(p, rows, a.out, png, a.title)
    print(f"plot: {png}")
    print(f"RESULT calib_err_max_pct={max(pcts):.2f} calib_err_mean_pct={statistics.mean(pcts):.2f} "
          + " ".join(f"{r[0]}_err_pct={r[3]:.2f}" for r in rows) +
          f" vms_lost_real={len(p['lost'])}")


if __name__ == "__main__":
    main()
