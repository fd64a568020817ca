#!/usr/bin/env python3
"""bench/density analysis (see run.sh for the SLO).

  analyze.py step --dir D --k K --budget MIB --cycle S --active S --ws MIB --ref REFDIR
      one step's verdict: "ok ..." or "broken: why ..." (throughput judged only when
      the reference step exists)
  analyze.py ovhd --dir D             per-VM OVHD (QEMU Pss) at the run's largest step, MiB
  analyze.py fleet --vms N --mem MIB --maxmemctl MIB --ws MIB --cycle S --active S --ovhd MIB
      [--cache MIB] [--ref REFDIR]
      the same fleet as a `blimp sim` fleet file (--ref: the working set's ramp and
      hold and KSM's share measured on the reference run)
  analyze.py table --dir D --policies "a b" --budget MIB --cycle S --active S --ws MIB
      --max N --sim SIM_TXT [--plot PNG]
"""
import argparse
import math
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from benchstats import MIB, WS_RE, guest_oom_kills, burst_rate, num, read_top, read_vcpu, wait_share  # noqa: E402

SLO_THROUGHPUT = 0.90
SLO_OVER_BUDGET = 0.10


def read_bursts(path):
    """run.sh's host record of the bursts: {seq: {"vm", "sched", "issue", "done", "rc"}}
    (ms on the host's clock; "done" is when the agent answered: wsloop was started)"""
    out = {}
    try:
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) != 6:
                    continue
                try:
                    sched, issue, done, rc = (int(x) for x in p[2:])
                except ValueError:
                    continue
                out[p[0]] = {"vm": p[1], "sched": sched, "issue": issue, "done": done, "rc": rc}
    except OSError:
        pass
    return out


def read_guest_bursts(path):
    """a VM's collected burst logs: {seq: {"up": s|None, "end": (status, s)|None,
    "samples": [(t_ms, pages_per_s)]}}"""
    out = {}
    cur = None
    try:
        lines = open(path, errors="replace").read().splitlines()
    except OSError:
        return out
    for line in lines:
        p = line.split()
        if not p:
            continue
        try:
            if p[0] == "burst" and len(p) == 2:
                cur = out.setdefault(p[1], {"up": None, "end": None, "samples": []})
            elif cur is None:
                continue
            elif p[0] == "up" and len(p) == 2:
                cur["up"] = float(p[1])
            elif p[0] == "end" and len(p) == 3:
                cur["end"] = (int(p[1]), float(p[2]))
            else:
                m = WS_RE.search(line)
                if m:
                    cur["samples"].append((int(m.group(1)), int(m.group(2))))
        except ValueError:
            continue
    return out


def alloc_ms(g, active):
    """how long wsloop took to map and fill its working set before its t_ms clock
    started: the burst's guest duration minus wsloop's run (it stops at --duration,
    without a sample for the last partial interval; longer if a sample says so);
    0 when unknown"""
    if g["up"] is None or g["end"] is None or not g["samples"]:
        return 0
    total = (g["end"][1] - g["up"]) * 1000
    run = max(g["samples"][-1][0], active * 1000)
    return int(min(max(total - run, 0), total))


def read_window(d, cycle):
    """the step's window from run.sh's D/window, "START_S [SPAN_S]" (one cycle when
    the span is missing): (start_ms, span_ms), or None"""
    try:
        p = open(os.path.join(d, "window")).read().split()
        return int(p[0]) * 1000, (int(p[1]) if len(p) > 1 else cycle) * 1000
    except (OSError, ValueError, IndexError):
        return None


def window_bursts(d, k, cycle):
    """the bursts of every VM scheduled in the step's window [start, start + span):
    [(seq, host record, guest log or None)]"""
    w = read_window(d, cycle)
    if w is None:
        return []
    ws, span = w
    host = read_bursts(os.path.join(d, "bursts"))
    out = []
    for i in range(1, k + 1):
        guest = read_guest_bursts(os.path.join(d, f"ws.dv{i}.log"))
        for seq, b in host.items():
            if b["vm"] == f"dv{i}" and ws <= b["sched"] < ws + span:
                out.append((seq, b, guest.get(seq)))
    return out


def window_rates(d, k, cycle, active):
    """contention-adjusted pages/s of the wsloop samples of the bursts scheduled in the
    step's window, all VMs: one list per burst that logged samples. A sample covers
    host time [start + alloc + prev, start + alloc + t_ms], start being the host time
    the burst was started."""
    vcpu = read_vcpu(os.path.join(d, "vcpu.txt"))
    out = []
    for _, b, g in window_bursts(d, k, cycle):
        if g is None or not g["samples"]:
            continue
        start = b["done"] + alloc_ms(g, active)
        prev = 0
        rates = []
        for t, p in g["samples"]:
            w = wait_share(vcpu.get(b["vm"], []), start + prev, start + t)
            rates.append(p / (1.0 - w))
            prev = t
        out.append(rates)
    return out


def burst_timing(d, k, cycle):
    """the window's bursts: how many were due, started, logged samples, ended with
    status 0; the start lag (agent answered - scheduled) median and max, ms"""
    bs = window_bursts(d, k, cycle)
    lags = sorted(b["done"] - b["sched"] for _, b, _ in bs if b["rc"] == 0)
    return {"due": len(bs), "started": len(lags),
            "logged": sum(1 for _, _, g in bs if g and g["samples"]),
            "ended_ok": sum(1 for _, _, g in bs if g and g["end"] and g["end"][0] == 0),
            "lag_med": statistics.median(lags) if lags else 0, "lag_max": lags[-1] if lags else 0}


# A burst counts at most this many times the reference rate in a step's figure: one
# VM of a reference run reported 38-44 M pages/s in every burst from its third
# step on while every other VM made 8-9 (its own first bursts too); a VM like that
# must not lift a step that other bursts fail.
BURST_CAP = 1.25


def step_figures(d, k, budget_mib, cycle, active, cap=None):
    """a step's figures; rate: burst_rate with each burst's samples capped at cap
    (pages/s; None: no cap)"""
    bursts = window_rates(d, k, cycle, active)
    if cap:
        bursts = [[min(x, cap) for x in b] for b in bursts]
    rows = read_top(os.path.join(d, "top.csv"), missing_ok=True)
    by_ts = {}
    for r in rows:
        if r.get("name"):
            by_ts.setdefault(r["timestamp"], []).append(r)
    over = sum(1 for rs in by_ts.values()
               if sum(num(r, "consumed") + num(r, "ovhd") for r in rs) > budget_mib * MIB)
    oom = lost = 0
    for i in range(1, k + 1):
        oom += max(guest_oom_kills(os.path.join(d, f"dmesg.dv{i}.log")), 0)
        try:
            lost += "reason=crashed" in open(os.path.join(d, f"qemu-exit.dv{i}.log")).read()
        except OSError:
            pass
    return {"rate": burst_rate(bursts), "n": sum(len(b) for b in bursts), "bursts": len(bursts),
            "over": over / len(by_ts) if by_ts else 0.0, "oom": oom, "lost": lost}


def pooled_ref(refdir, cycle, active):
    """the reference rate: the mean of every burst's median over every step of the
    reference run (same guests and schedule, no budget), each median capped at BURST_CAP
    x the median of them all (one VM reporting 4-5x the others' rate
    must not move the yardstick). Per step it has only a few bursts and swung 4.5-8.6 M
    pages/s between steps even after the contention correction, so one figure over all
    its bursts is the steadier yardstick; the per-count figures are printed beside it.
    cap: what a policy step's burst samples are capped at (BURST_CAP x rate; None
    without a rate)."""
    bursts = []
    for k, d in step_dirs(refdir):
        bursts += window_rates(d, k, cycle, active)
    meds = [statistics.median(b) for b in bursts if b]
    cap = BURST_CAP * statistics.median(meds) if meds else 0.0
    rate = statistics.fmean(min(m, cap) for m in meds) if meds else 0.0
    return {"rate": rate, "cap": BURST_CAP * rate if rate else None,
            "n": sum(len(b) for b in bursts), "bursts": len(bursts)}


def verdict(f, ref):
    why = []
    thr = f["rate"] / ref["rate"] if ref and ref["rate"] else None
    if thr is not None and thr < SLO_THROUGHPUT:
        why.append(f"throughput {thr * 100:.0f}% of reference")
    if f["n"] == 0:
        why.append("no wsloop samples in the window")
    if f["oom"]:
        why.append(f"{f['oom']} guest OOM kills")
    if f["lost"]:
        why.append(f"{f['lost']} VMs lost")
    if f["over"] > SLO_OVER_BUDGET:
        why.append(f"over budget {f['over'] * 100:.0f}% of the time")
    return thr, why


def cmd_step(a):
    ref = pooled_ref(os.path.dirname(a.ref), a.cycle, a.active) if os.path.isdir(a.ref) else None
    f = step_figures(a.dir, a.k, a.budget, a.cycle, a.active, ref["cap"] if ref else None)
    thr, why = verdict(f, ref)
    t = f"{thr * 100:.0f}%" if thr is not None else "n/a"
    s = (f"throughput {t} of reference ({f['rate'] / 1e6:.2f} M pages/s adjusted, "
         f"{f['bursts']} bursts, {f['n']} samples), over budget {f['over'] * 100:.0f}%, OOM {f['oom']}, lost {f['lost']}")
    b = burst_timing(a.dir, a.k, a.cycle)
    s += (f", bursts {b['due']} due/{b['started']} started/{b['logged']} logged/"
          f"{b['ended_ok']} ended ok, start lag median {b['lag_med'] / 1000:.2f} s "
          f"max {b['lag_max'] / 1000:.2f} s")
    print(("broken: " + "; ".join(why) + " | " if why else "ok | ") + s)


def step_dirs(d):
    """a sequence's step directories D/kN, [(N, path)] by N; [] when D is missing"""
    if not os.path.isdir(d):
        return []
    ks = sorted(int(n[1:]) for n in os.listdir(d) if n.startswith("k") and n[1:].isdigit())
    return [(k, os.path.join(d, f"k{k}")) for k in ks]


def ovhd_medians(step):
    """each VM's median OVHD (bytes) over a step's window, samples above 0"""
    by_vm = {}
    for r in read_top(os.path.join(step, "top.csv"), missing_ok=True):
        if r.get("name") and num(r, "ovhd") > 0:
            by_vm.setdefault(r["name"], []).append(num(r, "ovhd"))
    return [statistics.median(v) for v in by_vm.values()]


def cmd_ovhd(a):
    """per-VM OVHD for the simulator's fleet: in the step with the most VMs (OVHD
    is QEMU's Pss, so the shared vmlinux and libraries split among the QEMUs),
    each VM's median over the window; the largest of those"""
    steps = step_dirs(a.dir)
    o = max(ovhd_medians(steps[-1][1]), default=0) if steps else 0
    print(math.ceil(o / MIB) if o else 110)


def fleet_ws(off, active, cycle, ws, alloc=0.0, held=0.0):
    """the working set of one VM as the simulator's piecewise-linear points: it ramps
    from 0 to ws MiB over alloc s from off (wsloop mapping and filling it), holds it
    (active s, or what is left of held s, the time the host held a burst's memory in
    the reference run) and drops (0.1 s); periodic in cycle"""
    ramp = round(max(alloc, 0.0), 1)
    hold = round(min(max(held - ramp, active), cycle - ramp - 0.2), 1)

    eps = 1e-6

    def at(t):  # the hold includes its last instant; the drop follows 0.1 s later
        v = 0.0
        for x in ((t - off) % cycle, (t - off) % cycle + cycle):
            if ramp > 0 and x < ramp - eps:
                v = max(v, ws * x / ramp)
            elif ramp - eps <= x <= ramp + hold + eps:
                v = max(v, ws)
        return v

    kinks = {0.0, round(cycle - 0.1, 1)}
    for x in (-0.1, 0.0, ramp, ramp + hold, ramp + hold + 0.1):
        kinks.add(round((off + x) % cycle, 1))
    pts = []
    for t in sorted(k for k in kinks if 0 <= k < cycle):
        pts.append(f"{t:g}:{round(at(t))}M")
    return " ".join(pts)


def holding(rows):
    """per VM, its samples (time, holds a burst's memory): CONSUMED above the middle
    of the VM's own range over the window (from the working set's first page until
    free page reporting hands it back); a VM whose range is under 64 MiB never holds"""
    by_vm = {}
    for r in rows:
        if r.get("name"):
            by_vm.setdefault(r["name"], []).append((float(r["timestamp"]), num(r, "consumed")))
    out = {}
    for name, seq in by_vm.items():
        seq.sort()
        lo, hi = min(c for _, c in seq), max(c for _, c in seq)
        out[name] = [(t, hi - lo >= 64 * MIB and c > (lo + hi) / 2) for t, c in seq]
    return out


def held_spans(rows):
    """how long each burst's memory stayed on the host, s (whole runs of holding
    samples only: one cut by the window's start or end is not counted)"""
    spans = []
    for seq in holding(rows).values():
        start = None
        for i, (t, h) in enumerate(seq):
            if h and start is None:
                start = i
            elif not h and start is not None:
                if start > 0:
                    spans.append(t - seq[start][0])
                start = None
    return spans


def floor_over(rows, ws_mib, budget_mib, base_mib, ovhd_mib):
    """the share of a reference step's samples in which no policy could have kept the
    VMs within the budget without taking pages the bursts use: ovhd_mib for each VM's
    QEMU, plus, for each VM that held a burst's memory at that moment, its working set
    and base_mib of the guest's own in-use (an idle VM counted at nothing: all of it
    could be swapped), above the budget"""
    at = {}
    for seq in holding(rows).values():
        for t, h in seq:
            at.setdefault(t, []).append(h)
    over = sum(len(hs) * ovhd_mib + sum(hs) * (ws_mib + base_mib) > budget_mib
               for hs in at.values())
    return over / len(at) if at else 0.0


# An idle guest's own in-use, MemTotal - MemAvailable (bench/calibrate, same guest)
GUEST_IN_USE_MIB = 42


def least_ovhd(d, labels, max_k):
    """the smallest per-VM median OVHD (MiB) at any step of any of the labels' runs:
    the least QEMU was seen to need beside its guest in this run"""
    meds = [m for label in labels for k, step in step_dirs(os.path.join(d, label))
            if k <= max_k for m in ovhd_medians(step)]
    return min(meds) / MIB if meds else 0.0


def feasible_bound(a, labels):
    """(largest count, {k: share}) from the reference: at each count, the share of its
    samples whose floor (floor_over) is above the budget; the count is the largest
    whose share, and every smaller count's, is within SLO_OVER_BUDGET (0: no data)"""
    refdir = os.path.join(a.dir, "reference")
    ovhd = least_ovhd(a.dir, ["reference"] + labels, a.max)
    shares, bound = {}, 0
    for k in range(1, a.max + 1):
        rows = read_top(os.path.join(refdir, f"k{k}", "top.csv"), missing_ok=True)
        if not rows:
            break
        shares[k] = floor_over(rows, a.ws, a.budget, GUEST_IN_USE_MIB, ovhd)
        if shares[k] <= SLO_OVER_BUDGET and bound == k - 1:
            bound = k
    return bound, shares, ovhd


def ref_params(refdir, cycle, active):
    """from the reference run (same guests, no budget): the median time wsloop took
    to map and fill its working set (s), the median time a burst's memory stayed on
    the host (s; 0 if none measured) and the median SHRD per VM (MiB, KSM) of its
    largest step; zeros without data"""
    allocs, shrd, held = [], [], []
    steps = step_dirs(refdir)
    for k, d in steps:
        for _, _, g in window_bursts(d, k, cycle):
            if g and g["samples"] and g["end"]:
                allocs.append(alloc_ms(g, active) / 1000.0)
        held += held_spans(read_top(os.path.join(d, "top.csv"), missing_ok=True))
    if steps:
        shrd = [num(r, "shrd") for r in read_top(os.path.join(steps[-1][1], "top.csv"),
                                                  missing_ok=True) if r.get("name")]
    return (statistics.median(allocs) if allocs else 0.0,
            statistics.median(held) if held else 0.0,
            statistics.median(shrd) / MIB if shrd else 0.0)


# The guest's own figures, measured by bench/calibrate on the same built-in guest and
# MEMSZ (docs/simulator.md, "How each parameter is measured"): in-use outside any
# working set, of which the kernel outside MemTotal, and the balloon's speed.
GUEST_IDLE_ANON_MIB = 84
GUEST_KERNEL_MIB = 55
GUEST_BALLOON_MIB_S = 100


def cmd_fleet(a):
    alloc, held, shrd = ref_params(a.ref, a.cycle, a.active) if a.ref else (0.0, 0.0, 0.0)
    print("name,memsz,maxmemctl,balloon,balloon_rate,deflate_on_oom,boot_s,guest_swap,"
          "idle_anon,guest_kernel,cache_cap,cache_rate,cache_init,shareable_pct,shareable,"
          "ovhd,ws,period_s")
    # one row per phase offset: --plan repeats the file cyclically. The guest reads its
    # disk into page cache once at boot (run.sh's guest_cmd): cache_init, no growth.
    n = max(1, a.cycle // a.active)
    for k in range(n):
        off = (k * a.active) % a.cycle
        print(f"dv{k},{a.mem}M,{a.maxmemctl}M,1,{GUEST_BALLOON_MIB_S}M,1,20,256M,"
              f"{GUEST_IDLE_ANON_MIB}M,{GUEST_KERNEL_MIB}M,{a.cache}M,0,{a.cache}M,0,"
              f"{round(shrd)}M,{a.ovhd}M,{fleet_ws(off, a.active, a.cycle, a.ws, alloc, held)},"
              f"{a.cycle}")


def sim_counts(path):
    try:
        txt = open(path).read()
    except OSError:
        return {}
    # the plan's RESULT line, then one per baseline variant (run.sh's den_sim)
    return {k[:-len("_max_vms")]: v
            for m in re.finditer(r"^RESULT .*$", txt, re.M)
            for k, v in (kv.split("=", 1) for kv in m.group(0).split()[1:] if "=" in kv)
            if k.endswith("_max_vms")}


def cmd_table(a):
    pols = a.policies.split()
    refdir = os.path.join(a.dir, "reference")
    sim = sim_counts(a.sim)
    counts, curves = {}, {}
    pooled = pooled_ref(refdir, a.cycle, a.active)
    per_k = []
    for k, r in step_dirs(refdir):
        if k <= a.max:
            per_k.append(f"{k}:{step_figures(r, k, 1 << 40, a.cycle, a.active)['rate'] / 1e6:.2f}")
    print(f"reference (no budget): {pooled['rate'] / 1e6:.2f} M pages/s adjusted, mean of "
          f"{pooled['bursts']} bursts' medians; per VM count: {' '.join(per_k)}")
    print(f"{'policy':<9} {'VMs':>4} {'sim':>4}  per VM count: throughput vs reference / "
          f"over budget / OOM / lost")
    for p in pols:
        count, broken, cells, curve = 0, None, [], []
        for k in range(1, a.max + 1):
            d = os.path.join(a.dir, p, f"k{k}")
            if not os.path.isdir(d):
                break
            f = step_figures(d, k, a.budget, a.cycle, a.active, pooled["cap"])
            thr, why = verdict(f, pooled if pooled["n"] else None)
            cells.append(f"{k}:{'-' if thr is None else f'{thr * 100:.0f}%'}/"
                         f"{f['over'] * 100:.0f}%/{f['oom']}/{f['lost']}{'!' if why else ''}")
            curve.append((k, thr))
            if why:
                broken = (k, why)
                break
            count = k
        counts[p] = (count, broken)
        curves[p] = curve
        shown = f"{count}" if broken else f">={count}"
        print(f"{p:<9} {shown:>4} {sim.get(p, '?'):>4}  " + "  ".join(cells))
        if broken:
            print(f"{'':<20}broke at {broken[0]}: {'; '.join(broken[1])}")
    timing = []
    for p in ["reference"] + pols:
        bs = [burst_timing(os.path.join(a.dir, p, f"k{k}"), k, a.cycle)
              for k in range(1, a.max + 1) if os.path.isdir(os.path.join(a.dir, p, f"k{k}"))]
        if bs:
            timing.append(f"{p} {sum(b['started'] for b in bs)}/{sum(b['due'] for b in bs)} "
                          f"started, {sum(b['ended_ok'] for b in bs)} ended ok, lag <= "
                          f"{max(b['lag_max'] for b in bs) / 1000:.2f} s")
    print("window bursts (started from the host; lag = agent answered - scheduled): "
          + "; ".join(timing))
    print("VMs: the largest count that kept the SLO ('>=': never broke up to the maximum tried);"
          "\nsim: `blimp sim --plan` on the same fleet (<= 1% of time missing working set, no"
          "\nguest OOM, over budget <= 10% of the time); '!' marks the step that broke")
    bound, shares, ovhd = feasible_bound(a, pols)
    if shares:
        print(f"bound: share of the reference's samples in which the VMs holding a burst need"
              f"\n({a.ws} MiB working set + {GUEST_IN_USE_MIB} MiB guest in-use each, idle VMs at"
              f" nothing) plus {ovhd:.0f} MiB\nOVHD per VM (the least seen in this run) is above"
              " the budget, per VM count: "
              + " ".join(f"{k}:{v * 100:.0f}%" for k, v in shares.items())
              + f"\n-> no policy keeps more than {bound} VMs within the SLO without taking pages"
              " the bursts use")
    kv = {f"{p}_vms": counts[p][0] for p in pols}
    kv.update({f"sim_{p}_vms": sim.get(p, "?") for p in pols})
    kv["bound_vms"] = bound if shares else "?"
    b = counts.get("blimp", (0, None))[0]
    if "static" in counts:
        s = counts["static"][0]
        ok = s > 0 and b >= 2 * s
        print(f"target: blimp >= 2x static: {b} vs {s} -> {'met' if ok else 'missed'}"
              + (f" (2x static is above the bound, {bound})" if shares and 2 * s > bound else ""))
        kv["target_vs_static"] = "met" if ok else "missed"
    # the 1.25x goal is against proxmox at the target matching blimp's fill when it ran
    for lab in ("proxmoxm", "proxmox80", "proxmox"):
        if lab not in counts:
            continue
        x = counts[lab][0]
        ok = x > 0 and b >= 1.25 * x
        print(f"target: blimp >= 1.25x {lab}: {b} vs {x} -> {'met' if ok else 'missed'}")
        kv["target_vs_" + lab] = "met" if ok else "missed"
    print("RESULT budget_mib=" + str(a.budget) + " " + " ".join(f"{k}={v}" for k, v in kv.items()))
    if a.plot:
        plot(curves, counts, sim, a, bound if shares else 0)


def plot(curves, counts, sim, a, bound=0):
    datdir = os.path.dirname(os.path.abspath(a.plot))
    lines = []
    for p, curve in curves.items():
        path = os.path.join(a.dir, f"plot.{p}.dat")
        with open(path, "w") as f:
            for k, thr in curve:
                if thr is not None:
                    f.write(f"{k} {thr * 100:.1f}\n")
        lines.append(f"'{path}' using 1:2 with linespoints lw 2 pt 7 title "
                     f"'{p}: {counts[p][0]} VMs (sim {sim.get(p, '?')})'")
    script = "\n".join([
        "set terminal pngcairo size 900,500 font ',10'",
        f"set output '{a.plot}'",
        f"set title 'density: {a.ws} MiB bursts, {a.active} s in {a.cycle} s, budget {a.budget} MiB'",
        "set xlabel 'VMs (512 MiB each)'", "set ylabel 'bursting throughput, % of no budget'",
        f"set xrange [0.5:{a.max + 0.5}]", "set yrange [0:*]", "set grid", "set key bottom left",
        (f"set arrow from {bound + 0.5}, graph 0 to {bound + 0.5}, graph 1 nohead dt 3 lc 'red'\n"
         # right-aligned left of the line: the bound is often the last count tried
         f"set label 'bound: {bound} VMs' at {bound + 0.45}, graph 0.95 right tc rgb 'red'"
         if bound else ""),
        "plot " + ", ".join(lines + ["90 with lines dt 2 lc 'black' title 'SLO 90%'"]),
    ])
    os.makedirs(datdir, exist_ok=True)
    r = subprocess.run(["gnuplot"], input=script + "\n", text=True, capture_output=True)
    if r.returncode:
        print("plot failed: " + r.stderr.strip()[:300], file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["step", "ovhd", "fleet", "table"])
    ap.add_argument("--dir")
    ap.add_argument("--k", type=int)
    ap.add_argument("--budget", type=int)
    ap.add_argument("--cycle", type=int)
    ap.add_argument("--active", type=int)
    ap.add_argument("--ws", type=int)
    ap.add_argument("--ref", default="")
    ap.add_argument("--vms", type=int)
    ap.add_argument("--mem", type=int)
    ap.add_argument("--maxmemctl", type=int)
    ap.add_argument("--ovhd", type=int)
    ap.add_argument("--cache", type=int, default=400)
    ap.add_argument("--policies", default="")
    ap.add_argument("--max", type=int)
    ap.add_argument("--sim", default="")
    ap.add_argument("--plot", default="")
    a = ap.parse_args()
    {"step": cmd_step, "ovhd": cmd_ovhd, "fleet": cmd_fleet, "table": cmd_table}[a.cmd](a)


if __name__ == "__main__":
    main()
