#!/usr/bin/env python3
"""bench/policies analysis: wsloop logs, guest kernel logs and `blimp top -b` CSV of
each run -> the table, the targets and the RESULT line (and optionally a plot).

  analyze.py ovhd FILLED_CSV          largest OVHD of any VM, MiB (rounded up)
  analyze.py table --dir D --ws W --phase S --vms N [--rounds R] --policies "a b" --budget MIB
      [--plot PNG]

Burst resident: the first wsloop sample (1 s apart, t_ms from wsloop's start) from
which on resident_mib stays >= W to the end of the phase (a burst the guest swaps
out again was not made resident), with pages/s (mean of it and the next two
samples) >= 90% of the VM's steady rate: the median of the second half of its own
phase ("vs unc.": its rate in the unconstrained run). Throughput: per VM the mean
over its bursts of each one's median pages/s, summed over the VMs, relative to the
unconstrained run. Both use pages/s
adjusted for CPU contention: divided by the share of each interval the VM's vCPU
thread was not waiting for a host CPU (schedstat, sampled by run.sh), since other
load on a shared 2-core host swings TCG throughput by 3x; the raw figure is printed
too.
"""
import argparse
import math
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from benchstats import MIB, WS_RE, guest_oom_kills, burst_rate, num, read_top, read_vcpu, wait_share  # noqa: E402


def cmd_ovhd(path):
    rows = read_top(path)
    o = max((num(r, "ovhd") for r in rows if r.get("name")), default=0)
    print(math.ceil(o / MIB))


def wsloop_bursts(path):
    """the wsloop samples of a guest's log, one list per burst (wsloop appends; t_ms
    restarts at each burst's start)"""
    out = []
    try:
        with open(path, errors="replace") as f:
            for line in f:
                m = WS_RE.search(line)
                if m:
                    smp = tuple(int(x) for x in m.groups())
                    if not out or smp[0] <= out[-1][-1][0]:
                        out.append([])
                    out[-1].append(smp)
    except OSError:
        pass
    return out


def phase_starts(path):
    """host ms at which run.sh started each of a VM's phases, in order"""
    try:
        with open(path) as f:
            return [int(x) for x in f.read().split()]
    except (OSError, ValueError):
        return []


def adjusted(samples, series, start_ms):
    """wsloop samples with pages/s divided by the share of the interval the vCPU
    could run (1 - waiting share): (t_ms, raw, adjusted, resident)"""
    out = []
    prev = 0
    for t, p, r in samples:
        w = wait_share(series, start_ms + prev, start_ms + t)
        out.append((t, p, p / (1.0 - w), r))
        prev = t
    return out


def rss_time(adj, ws):
    """seconds from wsloop's start until its resident set first reaches WS"""
    for t, _, _, r in adj:
        if r >= ws:
            return t / 1000.0
    return None


def burst(adj, ws, ref):
    """seconds from wsloop's start until the working set is resident for good (this
    sample and every later one of the phase has resident >= WS: a burst the guest
    swaps out again was not made resident) and the adjusted rate, mean of this and
    the next two samples, reaches 90% of ref; None if never"""
    stays = [False] * len(adj)
    ok = True
    for k in range(len(adj) - 1, -1, -1):
        ok = ok and adj[k][3] >= ws
        stays[k] = ok
    for k, (t, _, _, _) in enumerate(adj):
        win = [a for _, _, a, _ in adj[k:k + 3]]
        if stays[k] and win and sum(win) / len(win) >= 0.9 * ref:
            return t / 1000.0
    return None


def oom_kills(path):
    return guest_oom_kills(path)


def vm_lost(path):
    """1 if libvirt logged that the VM's QEMU crashed (killed), else 0"""
    try:
        with open(path, errors="replace") as f:
            return 1 if "reason=crashed" in f.read() else 0
    except OSError:
        return 0


def settle_ms(phase_s):
    """the guests start full of page cache, over any budget: as the demo does, the
    free minimum leaves out the first half phase (at most 30 s)"""
    return min(phase_s // 2, 30) * 1000


def host_figures(path, from_ms=0):
    """(min free MiB = budget less sum CONSUMED + OVHD from from_ms on, negative when
    over budget; peak reclaimed MiB = max over samples of sum MCTLSZ + SWCUR)"""
    rows = read_top(path)
    by_ts = {}
    for r in rows:
        if float(r["timestamp"]) * 1000 >= from_ms:
            by_ts.setdefault(r["timestamp"], []).append(r)
    free_min = None
    peak = 0
    for ts_rows in by_ts.values():
        vms = [r for r in ts_rows if r.get("name")]
        free = num(ts_rows[0], "host_budget") - sum(num(r, "consumed") + num(r, "ovhd") for r in vms)
        free_min = free if free_min is None else min(free_min, free)
        peak = max(peak, sum(num(r, "mctlsz") + num(r, "swcur") for r in vms))
    return (free_min or 0) / MIB, peak / MIB


def cpu_s(d, lab, k):
    """CPU seconds of ksmd (k=0) or blimpd (k=1) over a run's schedule, or '?'."""
    try:
        f = open(os.path.join(d, lab, "cpu.txt")).read().split()
        return f"{int(f[k]) / int(f[2]):.1f}"
    except (OSError, ValueError, IndexError, ZeroDivisionError):
        return "?"


def fmt_t(t, phase_s):
    return f"{t:.0f} s" if t is not None else f">{phase_s} s"


def cmd_table(a):
    labels = ["unconstrained"] + a.policies.split()
    res = {}
    for lab in labels:
        d = os.path.join(a.dir, lab)
        try:
            go_ms = int(open(os.path.join(d, "go")).read().strip()) * 1000
        except (OSError, ValueError):
            go_ms = 0
        vcpu = read_vcpu(os.path.join(d, "vcpu.txt"))
        vms = []
        for i in range(a.vms):
            bursts = wsloop_bursts(os.path.join(d, f"wsloop.pv{i}.log"))
            starts = phase_starts(os.path.join(d, f"phase.pv{i}"))
            if len(bursts) != a.rounds:
                # bursts are matched to rotations by order: one that left no samples
                # shifts the later ones
                print(f"{lab}: pv{i} logged {len(bursts)} bursts for {a.rounds} rotations",
                      file=sys.stderr)
            adjs = []  # one per rotation; [] for a burst that left no samples
            for r in range(a.rounds):
                s = bursts[r] if r < len(bursts) else []
                # the host time run.sh started the phase (else the schedule's)
                start_ms = starts[r] if r < len(starts) else go_ms + (r * a.vms + i) * a.phase * 1000
                adjs.append(adjusted(s, vcpu.get(f"pv{i}", []), start_ms))
            # a VM's rate: the mean over its bursts of each one's median sample
            # (burst_rate), unadjusted and contention-adjusted
            vms.append({"adjs": adjs,
                        "raw": burst_rate([[p for _, p, _ in b] for b in bursts[:a.rounds]]),
                        "mean": burst_rate([[x for _, _, x, _ in b] for b in adjs]),
                        "oom": oom_kills(os.path.join(d, f"dmesg.pv{i}.log")),
                        "lost": vm_lost(os.path.join(d, f"qemu-exit.pv{i}.log"))})
        free_min, peak = host_figures(os.path.join(d, "top.csv"), go_ms + settle_ms(a.phase))
        res[lab] = {"vms": vms, "free_min": free_min, "peak": peak}
    # reference rate per VM: the unconstrained run's rate (mean of its burst medians)
    refs = [v["mean"] for v in res["unconstrained"]["vms"]]
    for lab in labels:
        # one entry per burst, in the order they ran (rotation by rotation)
        res[lab]["bursts"] = []
        for r in range(a.rounds):
            for i, v in enumerate(res[lab]["vms"]):
                adj = v["adjs"][r]
                # "its steady rate": the median of the second half of its own phase ...
                half = [x for t, _, x, _ in adj if t >= a.phase * 500]
                own = statistics.median(half) if half else 0
                res[lab]["bursts"].append({
                    "t": burst(adj, a.ws, own) if adj else None,
                    # ... and, stricter, the same VM's median rate unconstrained
                    "tu": burst(adj, a.ws, refs[i]) if adj else None,
                    "rss": rss_time(adj, a.ws) if adj else None})
    base = sum(v["mean"] for v in res["unconstrained"]["vms"])
    base_raw = sum(v["raw"] for v in res["unconstrained"]["vms"])
    bw = max(28, a.rounds * a.vms * 5 + 2 * (a.rounds - 1))
    print(f"{'run':<14} {'burst resident (per burst)':<{bw}} {'median':>7} {'vs unc.':>8} {'RSS>=WS':>8} {'thruput':>8} {'raw':>7} "
          f"{'OOM':>4} {'lost':>4} {'free min':>10} {'reclaimed':>10} {'ksmd s':>7} {'blimpd s':>8}")
    summary = {}
    for lab in labels:
        r = res[lab]
        ts = [b["t"] for b in r["bursts"]]
        per_vm = " | ".join(" ".join(fmt_t(t, a.phase) for t in ts[k:k + a.vms])
                            for k in range(0, len(ts), a.vms))
        cens = [t if t is not None else float(a.phase) for t in ts]
        med = statistics.median(cens) if cens else float(a.phase)
        rss = [b["rss"] if b["rss"] is not None else float(a.phase) for b in r["bursts"]]
        rss_med = statistics.median(rss) if rss else float(a.phase)
        tu = [b["tu"] if b["tu"] is not None else float(a.phase) for b in r["bursts"]]
        tu_med = statistics.median(tu) if tu else float(a.phase)
        thr = sum(v["mean"] for v in r["vms"]) / base if base else 0
        raw = sum(v["raw"] for v in r["vms"]) / base_raw if base_raw else 0
        oom = sum(max(v["oom"], 0) for v in r["vms"])
        lost = sum(v["lost"] for v in r["vms"])
        unknown = any(v["oom"] < 0 and not v["lost"] for v in r["vms"])
        # per rotation: the first starts with every guest full of page cache (the
        # demo's one rotation), later ones from the state the policy left
        rot = [statistics.median(cens[k:k + a.vms]) for k in range(0, len(cens), a.vms)]
        summary[lab] = {"rot": rot, "med": med, "rss": rss_med, "tu": tu_med, "thr": thr, "oom": oom, "lost": lost, "free_min": r["free_min"],
                        "peak": r["peak"], "censored": med >= a.phase}
        print(f"{lab:<14} {per_vm:<{bw}} {fmt_t(med, a.phase) if med < a.phase else '>' + str(a.phase) + ' s':>7} "
              f"{fmt_t(tu_med, a.phase) if tu_med < a.phase else '>' + str(a.phase) + ' s':>8} "
              f"{fmt_t(rss_med, a.phase) if rss_med < a.phase else '>' + str(a.phase) + ' s':>8} "
              f"{thr * 100:7.1f}% {raw * 100:6.1f}% {str(oom) + ('?' if unknown else ''):>4} {lost:>4} "
              f"{r['free_min']:7.0f} MiB {r['peak']:6.0f} MiB {cpu_s(a.dir, lab, 0):>7} {cpu_s(a.dir, lab, 1):>8}")
    print("burst resident: s from wsloop start until resident >= WS for the rest of the phase\n"
          "  and pages/s (3-sample mean, contention-adjusted) >= 90% of its steady rate (median\n"
          "  of the second half of its phase); '>': not within the phase; per burst, rotation by\n"
          "  rotation ('|' between), and the median over all bursts\n"
          "vs unc.: the same with the VM's unconstrained rate as the steady rate\n"
          "RSS>=WS: until the resident set first reaches WS\n"
          "thruput: contention-adjusted pages/s of each VM (mean over its bursts of each one's\n"
          "  median), summed, vs unconstrained\n"
          "  (raw: unadjusted); adjusted = pages/s / (1 - share of the interval the vCPU thread\n"
          "  waited for a host CPU), at most 4x\n"
          "free min: budget less sum CONSUMED+OVHD, lowest 1 s sample after the first half phase\n"
          "  (the guests start full of page cache; < 0: over budget)\n"
          "lost: VMs whose QEMU was killed (libvirt: reason=crashed; host memcg OOM)\n"
          "reclaimed: peak over 1 s samples of sum MCTLSZ + SWCUR\n"
          "ksmd s, blimpd s: CPU seconds of ksmd and blimpd over the schedule")
    kv = {}
    if "blimp" in summary:
        b = summary["blimp"]
        if "proxmox" in summary:
            p = summary["proxmox"]
            if b["censored"]:
                speed, txt = 0.0, "blimp's median burst was not resident within the phase"
            else:
                speed = p["med"] / max(b["med"], 1.0)
                txt = (f"{b['med']:.0f} s vs {'>' if p['censored'] else ''}{p['med']:.0f} s = "
                       f"{'>=' if p['censored'] else ''}{speed:.1f}x")
            ok = speed >= 3
            print(f"target: bursts resident >= 3x faster than proxmox: {txt} -> "
                  f"{'met' if ok else 'missed'}")
            if b["tu"] < a.phase:
                su = p["tu"] / max(b["tu"], 1.0)
                print(f"  (with the unconstrained rate as steady: {b['tu']:.0f} s vs "
                      f"{'>' if p['tu'] >= a.phase else ''}{p['tu']:.0f} s = "
                      f"{'>=' if p['tu'] >= a.phase else ''}{su:.1f}x)")
            else:
                print("  (with the unconstrained rate as steady: blimp's median burst never got there)")
            if a.rounds > 1:
                print("  per rotation: " + ", ".join(
                    f"{k + 1}: {br:.0f} s vs {pr:.0f} s = {pr / max(br, 1.0):.1f}x"
                    for k, (br, pr) in enumerate(zip(b["rot"], p["rot"]))))
            u = summary.get("unconstrained")
            if u and not u["censored"] and not p["censored"]:
                # no policy makes a burst resident faster than no budget at all does
                reach = p["med"] >= 3 * max(u["med"], 1.0)
                print(f"  bound: the unconstrained run's median burst took {u['med']:.0f} s, "
                      f"so 3x proxmox's {p['med']:.0f} s is "
                      f"{'reachable' if reach else 'unreachable in this run'}"
                      f"{'' if reach else ' (faster than no budget; 1 s is the sampling floor)'}")
                kv["speed_bound"] = "reachable" if reach else "unreachable"
            kv["speedup_vs_proxmox"] = f"{speed:.1f}"
            kv["target_speed"] = "met" if ok else "missed"
        ok = b["thr"] >= 0.9
        print(f"target: blimp throughput within 10% of unconstrained: {b['thr'] * 100:.1f}% -> "
              f"{'met' if ok else 'missed'}")
        kv["target_throughput"] = "met" if ok else "missed"
        ok = b["oom"] == 0 and b["lost"] == 0
        print(f"target: zero guest OOM kills under blimp: {b['oom']} guest OOM kills, "
              f"{b['lost']} VMs lost -> {'met' if ok else 'missed'}")
        kv["target_oom"] = "met" if ok else "missed"
    parts = []
    for lab in labels:
        s = summary[lab]
        if a.rounds > 1:
            parts.append(" ".join(f"{lab}_burst_rot{k + 1}_s={x:.0f}{'+' if x >= a.phase else ''}"
                                  for k, x in enumerate(s["rot"])))
        parts.append(f"{lab}_burst_s={s['med']:.0f}{'+' if s['censored'] else ''} "
                     f"{lab}_vs_unconstrained_s={s['tu']:.0f}{'+' if s['tu'] >= a.phase else ''} "
                     f"{lab}_rss_s={s['rss']:.0f}{'+' if s['rss'] >= a.phase else ''} "
                     f"{lab}_thruput_pct={s['thr'] * 100:.0f} "
                     f"{lab}_oom={s['oom']} {lab}_lost={s['lost']} {lab}_free_min_mib={s['free_min']:.0f} "
                     f"{lab}_reclaimed_mib={s['peak']:.0f}")
    parts += [f"{k}={v}" for k, v in kv.items()]
    print("RESULT budget_mib=" + str(a.budget) + " " + " ".join(parts))
    if a.plot:
        plot(res, labels, a)


def plot(res, labels, a):
    """pages/s and resident MiB of the bursting VM over the scenario, one line per run"""
    dd = os.path.dirname(os.path.abspath(a.plot))
    gp = []
    for lab in labels:
        path = os.path.join(a.dir, f"plot.{lab}.dat")
        with open(path, "w") as f:
            for rd in range(a.rounds):
                for i, v in enumerate(res[lab]["vms"]):
                    for t, _, x, r in v["adjs"][rd]:
                        f.write(f"{(rd * a.vms + i) * a.phase + t / 1000.0:.1f} {x / 1e6:.3f} {r}\n")
                    f.write("\n")
        gp.append((lab, path))
    script = [
        "set terminal pngcairo size 1100,700 font ',10'" if has_cairo() else
        "set terminal png size 1100,700",
        f"set output '{a.plot}'",
        "set multiplot layout 2,1 title 'demo scenario: the bursting VM (wsloop "
        f"{a.ws} MiB, {a.phase} s per VM, budget {a.budget} MiB)'",
        "set key outside right", "set grid",
        "set ylabel 'M pages/s (contention-adjusted)'",
        "plot " + ", ".join(f"'{p}' using 1:2 with lines lw 2 title '{lab}'" for lab, p in gp),
        "set ylabel 'resident MiB'", "set xlabel 'scenario time (s)'",
        "plot " + ", ".join(f"'{p}' using 1:3 with lines lw 2 title '{lab}'" for lab, p in gp),
        "unset multiplot",
    ]
    os.makedirs(dd, exist_ok=True)
    r = subprocess.run(["gnuplot"], input="\n".join(script) + "\n", text=True,
                       capture_output=True)
    if r.returncode != 0:
        print("plot failed: " + r.stderr.strip()[:300], file=sys.stderr)


def has_cairo():
    r = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    return "pngcairo" in (r.stdout + r.stderr)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "ovhd":
        cmd_ovhd(sys.argv[2])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["table"])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--ws", type=int, required=True)
    ap.add_argument("--phase", type=int, required=True)
    ap.add_argument("--vms", type=int, required=True)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--policies", required=True)
    ap.add_argument("--budget", required=True)
    ap.add_argument("--plot", default="")
    cmd_table(ap.parse_args())


if __name__ == "__main__":
    main()
