#!/usr/bin/env python3
"""bench/burst analysis and schedule.

  analyze.py schedule --vms N --rounds R --phase S --gap-min A --gap-max B --seed X
      "offset_s vm" per burst: each round a seeded permutation of the VMs, one burst
      at a time, gaps uniform in [A, B] s between the end of one and the next
  analyze.py matched --budget MIB
      the proxmox ballooning-target that matches blimp's fill: blimp fills to budget -
      minFree (policy_minfree_bytes: 6% of the first 4 GiB, 4% of the next 8, 2% of
      the next 16, 1% above), so floor(100 x (budget - minFree) / budget)
  analyze.py table --dir D --ws W --phase S --vms N --policies "a b" --budget MIB
      --matched PCT [--plot PNG]

Per burst (wsloop's samples, 1 s apart, t_ms from its start):
  resident: seconds from the burst's start until resident_mib >= W for the rest of
    the burst (a working set the guest swaps out again was not made resident);
    '+' = not within the burst (counted as the burst's length);
  thruput: the burst's mean pages/s, contention-adjusted as in bench/policies (divided
    by the share of each interval the vCPU thread was not waiting for a host CPU),
    against the same burst in the unconstrained run;
  MCTLSZ at start: the VM's balloon size in the last `blimp top -b` sample before the
    burst started (what the policy had taken by then).
Guest OOMs: the guests' /proc/vmstat oom_kill (or "Killed process" lines in their dmesg, the larger).
"""
import argparse
import importlib.util
import os
import random
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from benchstats import MIB, num, read_top, read_vcpu  # noqa: E402

# bench/policies' wsloop-log readers (that file is also named analyze.py)
_spec = importlib.util.spec_from_file_location(
    "policies_analyze", os.path.join(HERE, "..", "policies", "analyze.py"))
_pol = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_pol)
adjusted, oom_kills, phase_starts = _pol.adjusted, _pol.oom_kills, _pol.phase_starts
vm_lost, wsloop_bursts = _pol.vm_lost, _pol.wsloop_bursts

GIB = 1024 * MIB


def minfree(budget):
    """policy_minfree_bytes (src/policy/state.c)"""
    tiers = [(4 * GIB, 600), (8 * GIB, 400), (16 * GIB, 200)]
    left, out = budget, 0
    for size, pm in tiers:
        part = min(left, size)
        out += part * pm // 10000
        left -= part
    return out + left * 100 // 10000


def cmd_matched(a):
    b = int(a.budget) * MIB
    print(100 * (b - minfree(b)) // b)


def cmd_schedule(a):
    rng = random.Random(a.seed)
    t = 0
    for _ in range(a.rounds):
        order = list(range(a.vms))
        rng.shuffle(order)
        for vm in order:
            print(f"{t} {vm}")
            t += a.phase + rng.randint(a.gap_min, a.gap_max)


def read_schedule(d):
    out = []
    with open(os.path.join(d, "schedule")) as f:
        for line in f:
            p = line.split()
            if len(p) == 2:
                out.append((int(p[0]), int(p[1])))
    return out


def resident_s(samples, ws):
    """seconds until resident >= ws for the rest of the burst, or None"""
    ok = True
    first = None
    for t, _, _, r in reversed(samples):
        ok = ok and r >= ws
        if ok:
            first = t
        else:
            break
    return first / 1000.0 if first is not None else None


def mctlsz_at(rows, vm, t_ms):
    """(MCTLSZ, MCTLMAX) MiB of vm in the last top sample at or before t_ms"""
    best = None
    for r in rows:
        if r.get("name") != vm:
            continue
        ts = float(r["timestamp"]) * 1000
        if ts <= t_ms and (best is None or ts > best[0]):
            best = (ts, num(r, "mctlsz"), num(r, "mctlmax"))
    return (best[1] / MIB, best[2] / MIB) if best else (None, None)


def burst_counters(d, vm):
    """{k: {"a"/"b": {counter: value}}} from vms.VM.log (run.sh burst_vmstat): the
    guest's /proc/vmstat counters before (a) and after (b) its k-th burst (1-based)"""
    out = {}
    try:
        with open(os.path.join(d, f"vms.{vm}.log"), errors="replace") as f:
            for line in f:
                p = line.split()
                if len(p) != 3 or not p[2].isdigit() or "." not in p[0]:
                    continue
                k, side = p[0].split(".", 1)
                if k.isdigit() and side in ("a", "b"):
                    out.setdefault(int(k), {}).setdefault(side, {})[p[1]] = int(p[2])
    except OSError:
        pass
    return out


def burst_thp(d, vm):
    """[(start KiB, end KiB)] per burst of vm: the host's THP behind its QEMU"""
    out = []
    try:
        with open(os.path.join(d, f"thp.{vm}"), errors="replace") as f:
            for line in f:
                p = line.split()
                out.append(tuple(int(x) if x.isdigit() else None for x in p[:2]))
    except OSError:
        pass
    return out


def diag(cnt, thp, k):
    """one burst's guest swap-out/in MiB, major faults, host THP MiB start->end"""
    c = cnt.get(k, {})
    a, b = c.get("a", {}), c.get("b", {})

    def delta(key, scale=1):
        return (b[key] - a[key]) * scale if key in a and key in b else None
    t = thp[k - 1] if k - 1 < len(thp) else (None, None)
    return {"out": delta("pswpout", 4096 / MIB), "in": delta("pswpin", 4096 / MIB),
            "maj": delta("pgmajfault"),
            "thp": tuple(x / 1024 if x is not None else None for x in (t + (None, None))[:2])}


def load(a, lab, sched):
    d = os.path.join(a.dir, lab)
    vcpu = read_vcpu(os.path.join(d, "vcpu.txt"))
    try:
        rows = read_top(os.path.join(d, "top.csv"))
    except OSError:
        rows = []
    per_vm = {i: wsloop_bursts(os.path.join(d, f"wsloop.bv{i}.log")) for i in range(a.vms)}
    starts = {i: phase_starts(os.path.join(d, f"phase.bv{i}")) for i in range(a.vms)}
    seen = {i: 0 for i in range(a.vms)}
    cnts = {i: burst_counters(d, f"bv{i}") for i in range(a.vms)}
    thps = {i: burst_thp(d, f"bv{i}") for i in range(a.vms)}
    out = []
    for off, vm in sched:
        k = seen[vm]
        seen[vm] += 1
        smp = per_vm[vm][k] if k < len(per_vm[vm]) else []
        st = starts[vm][k] if k < len(starts[vm]) else 0
        adj = adjusted(smp, vcpu.get(f"bv{vm}", []), st) if smp else []
        mz, mx = mctlsz_at(rows, f"bv{vm}", st) if st else (None, None)
        out.append({"vm": vm, "off": off, "adj": adj,
                    "t": resident_s(adj, a.ws) if adj else None,
                    "rate": statistics.mean(x for _, _, x, _ in adj) if adj else 0.0,
                    "mctlsz": mz, "mctlmax": mx, "diag": diag(cnts[vm], thps[vm], k + 1)})
    ooms = [oom_kills(os.path.join(d, f"dmesg.bv{i}.log")) for i in range(a.vms)]
    lost = sum(vm_lost(os.path.join(d, f"qemu-exit.bv{i}.log")) for i in range(a.vms))
    return {"bursts": out, "oom": sum(max(o, 0) for o in ooms),
            "oom_unknown": any(o < 0 for o in ooms), "lost": lost}


def cmd_table(a):
    labels = ["unconstrained"] + a.policies.split()
    sched = read_schedule(a.dir)
    res = {lab: load(a, lab, sched) for lab in labels}
    unc = res["unconstrained"]["bursts"]
    summ = {}
    print(f"{'run':<14} {'resident per burst (s)':<28} {'median':>7} {'thruput':>8} "
          f"{'OOM':>4} {'lost':>4} {'MCTLSZ at start (MiB)':>22}")
    for lab in labels:
        r = res[lab]
        ts = [b["t"] for b in r["bursts"]]
        cens = [t if t is not None else float(a.phase) for t in ts]
        med = statistics.median(cens) if cens else float(a.phase)
        rates = [b["rate"] for b in r["bursts"]]
        base = sum(b["rate"] for b in unc)
        thr = sum(rates) / base if base else 0.0
        mz = [b["mctlsz"] for b in r["bursts"] if b["mctlsz"] is not None]
        per = " ".join(f"{t:.0f}" if t is not None else f"{a.phase}+" for t in ts)
        summ[lab] = {"med": med, "censored": med >= a.phase, "thr": thr, "oom": r["oom"],
                     "lost": r["lost"], "mctlsz": mz}
        mzs = " ".join(f"{x:.0f}" for x in mz) or "-"
        print(f"{lab:<14} {per:<28} {med:>6.0f}{'+' if med >= a.phase else ' '} "
              f"{thr * 100:7.1f}% {str(r['oom']) + ('?' if r['oom_unknown'] else ''):>4} "
              f"{r['lost']:>4} {mzs:>22}")
    print("resident: s from the burst's start until its working set stays resident (1 s\n"
          "  samples: 1 s is the floor); '+': not within the burst; median over the bursts\n"
          "thruput: contention-adjusted pages/s over the bursts vs the same bursts unconstrained\n"
          "MCTLSZ at start: each bursting VM's balloon when its burst began (the memory the\n"
          "  policy had taken away)")
    print_diag(res, labels)
    kv = {"budget_mib": a.budget, "proxmox_matched_target": a.matched}
    u = summ["unconstrained"]
    kv["unconstrained_s"] = f"{u['med']:.0f}"
    if "blimp" in summ:
        b = summ["blimp"]
        for key, lab, goal in (("speedup_vs_proxmox80", "proxmox80", 3.0),
                               ("speedup_vs_proxmox_matched", "proxmoxm", 2.0)):
            if lab not in summ:
                continue
            p = summ[lab]
            # whole seconds: wsloop samples once a second (its t_ms drift by a few ms)
            sp = round(p["med"]) / max(round(b["med"]), 1) if not b["censored"] else 0.0
            kv[key] = f"{sp:.1f}"
            bound = round(p["med"]) / max(round(u["med"]), 1)
            ok = sp >= goal
            print(f"target: blimp's bursts resident >= {goal:.0f}x faster than {lab}: "
                  f"{b['med']:.0f} s vs {'>=' if p['censored'] else ''}{p['med']:.0f} s = "
                  f"{'>=' if p['censored'] else ''}{sp:.1f}x -> {'met' if ok else 'missed'} "
                  f"(bound: unconstrained {u['med']:.0f} s, so at most {bound:.1f}x is possible"
                  f"{'' if bound >= goal else '; the goal is unreachable in this run'})")
            kv[f"target_{lab}"] = "met" if ok else "missed"
            if bound < goal:
                kv[f"bound_{lab}"] = "unreachable"
        ok = b["thr"] >= 0.9
        print(f"target: blimp throughput within 10% of unconstrained: {b['thr'] * 100:.1f}% -> "
              f"{'met' if ok else 'missed'}")
        kv["throughput_pct"] = f"{b['thr'] * 100:.0f}"
        kv["guest_ooms"] = str(b["oom"])
        print(f"target: zero guest OOMs under blimp: {b['oom']} ({b['lost']} VMs lost) -> "
              f"{'met' if b['oom'] == 0 and b['lost'] == 0 else 'missed'}")
    for lab in labels:
        s = summ[lab]
        mz = s["mctlsz"]
        kv[f"{lab}_s"] = f"{s['med']:.0f}{'+' if s['censored'] else ''}"
        kv[f"{lab}_thruput_pct"] = f"{s['thr'] * 100:.0f}"
        kv[f"{lab}_ooms"] = str(s["oom"])
        kv[f"{lab}_mctlsz_mib"] = f"{statistics.mean(mz):.0f}" if mz else "-"
    order = ["speedup_vs_proxmox80", "speedup_vs_proxmox_matched", "throughput_pct",
             "guest_ooms", "unconstrained_s"]
    keys = [k for k in order if k in kv] + [k for k in kv if k not in order]
    print("RESULT " + " ".join(f"{k}={kv[k]}" for k in keys))
    if a.plot:
        plot(res, labels, a)


def print_diag(res, labels):
    """per burst: what the guest swapped and faulted, what THP backed it on the host"""
    def f(x):
        return "-" if x is None else f"{x:.0f}"
    rows = []
    for lab in labels:
        for b in res[lab]["bursts"]:
            g = b["diag"]
            if g["out"] is None and g["thp"][0] is None:
                continue
            rows.append(f"{lab:<14} bv{b['vm']}  {f(g['out']):>6} {f(g['in']):>6} "
                        f"{f(g['maj']):>7}  {f(g['thp'][0]):>5} -> {f(g['thp'][1]):<5} "
                        f"{b['rate'] / 1e6:8.2f}")
    if not rows:
        return
    print("per burst: guest swap out/in (MiB) and major faults during it, host THP behind "
          "the VM at its start -> end (MiB), adjusted M pages/s")
    print(f"{'run':<14} vm    {'out':>6} {'in':>6} {'majflt':>7}  {'THP':>5}    {'':<5} "
          f"{'Mpg/s':>8}")
    for r in rows:
        print(r)


def plot(res, labels, a):
    """resident MiB and pages/s of each bursting VM from its burst's start, per policy"""
    gp = []
    for lab in labels:
        path = os.path.join(a.dir, f"plot.{lab}.dat")
        with open(path, "w") as f:
            for b in res[lab]["bursts"]:
                for t, _, x, r in b["adj"]:
                    f.write(f"{b['off'] + t / 1000.0:.1f} {x / 1e6:.3f} {r}\n")
                f.write("\n")
        gp.append((lab, path))
    script = [
        "set terminal pngcairo size 1100,700 font ',10'",
        f"set output '{a.plot}'",
        f"set multiplot layout 2,1 title 'bench/burst: bursts into ballooned VMs (wsloop {a.ws} MiB,"
        f" {a.vms} VMs, budget {a.budget} MiB)'",
        "set key outside right", "set grid",
        f"set ylabel 'resident MiB'", f"set yrange [0:{a.ws * 1.1:.0f}]",
        "plot " + ", ".join(f"'{p}' using 1:3 with lines lw 2 title '{lab}'" for lab, p in gp),
        "set autoscale y",
        "set ylabel 'M pages/s (contention-adjusted)'", "set xlabel 's after the idle time'",
        "plot " + ", ".join(f"'{p}' using 1:2 with lines lw 2 title '{lab}'" for lab, p in gp),
        "unset multiplot",
    ]
    os.makedirs(os.path.dirname(os.path.abspath(a.plot)), exist_ok=True)
    r = subprocess.run(["gnuplot"], input="\n".join(script) + "\n", text=True,
                       capture_output=True)
    if r.returncode != 0:
        print("plot failed: " + r.stderr.strip()[:300], file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["schedule", "matched", "table"])
    ap.add_argument("--dir")
    ap.add_argument("--ws", type=int)
    ap.add_argument("--phase", type=int)
    ap.add_argument("--vms", type=int)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--gap-min", type=int, default=10)
    ap.add_argument("--gap-max", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--policies", default="")
    ap.add_argument("--budget", default="0")
    ap.add_argument("--matched", default="")
    ap.add_argument("--plot", default="")
    a = ap.parse_args()
    {"schedule": cmd_schedule, "matched": cmd_matched, "table": cmd_table}[a.cmd](a)


if __name__ == "__main__":
    main()
