#!/usr/bin/env python3
"""bench/density analysis (see run.sh for the SLO).

  analyze.py step --dir D --k K --budget MIB --cycle S --active S --ws MIB --ref REFDIR
      one step's verdict: "ok ..." or "broken: why ..." (throughput judged only when
      the reference step exists)
  analyze.py ovhd --dir D             largest OVHD seen on that run, MiB
  analyze.py fleet --vms N --mem MIB --maxmemctl MIB --ws MIB --cycle S --active S --ovhd MIB
      the same fleet as a `blimp sim` fleet file
  analyze.py table --dir D --policies "a b" --budget MIB --cycle S --active S --ws MIB
      --max N --sim SIM_TXT [--plot PNG]
"""
import argparse
import csv
import math
import os
import re
import statistics
import subprocess
import sys

MIB = 1024 * 1024
WS_RE = re.compile(r"wsloop t_ms=(\d+) pages_per_s=(\d+) resident_mib=(\d+)")
OOM_RE = re.compile(r"Killed process \d+")
SLO_THROUGHPUT = 0.90
SLO_OVER_BUDGET = 0.10


def read_top(path):
    rows = []
    try:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                if not row.get("timestamp", "").startswith("timestamp"):
                    rows.append(row)
    except OSError:
        pass
    return rows


def num(row, key):
    try:
        return int(float(row.get(key) or 0))
    except ValueError:
        return 0


def read_vcpu(path):
    out = {}
    try:
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) == 4:
                    out.setdefault(p[1], []).append((int(p[0]), int(p[3])))
    except OSError:
        pass
    return out


def wait_share(series, t0, t1):
    """share of [t0, t1] (ms) the vCPU thread waited for a host CPU, at most 0.75"""
    if len(series) < 2 or t1 <= t0:
        return 0.0

    def at(t):
        if t <= series[0][0]:
            return series[0][1]
        for (ta, wa), (tb, wb) in zip(series, series[1:]):
            if ta <= t <= tb:
                return wa + (wb - wa) * (t - ta) / max(tb - ta, 1)
        return series[-1][1]

    return min(max((at(t1) - at(t0)) / 1e6 / (t1 - t0), 0.0), 0.75)


def window_rates(d, k, cycle):
    """contention-adjusted pages/s of every wsloop sample whose run started in the
    step's window, all VMs"""
    try:
        ws = int(open(os.path.join(d, "window")).read()) * 1000
    except (OSError, ValueError):
        return []
    vcpu = read_vcpu(os.path.join(d, "vcpu.txt"))
    rates = []
    for i in range(1, k + 1):
        start = None
        prev = 0
        try:
            lines = open(os.path.join(d, f"ws.dv{i}.log"), errors="replace").read().splitlines()
        except OSError:
            continue
        for line in lines:
            if line.startswith("start "):
                try:
                    start = int(line.split()[1]) * 1000
                except ValueError:
                    start = None
                prev = 0
                continue
            m = WS_RE.search(line)
            if not m or start is None or not ws <= start < ws + cycle * 1000:
                continue
            t, p, _ = (int(x) for x in m.groups())
            w = wait_share(vcpu.get(f"dv{i}", []), start + prev, start + t)
            rates.append(p / (1.0 - w))
            prev = t
    return rates


def step_figures(d, k, budget_mib, cycle):
    rates = window_rates(d, k, cycle)
    rows = read_top(os.path.join(d, "top.csv"))
    by_ts = {}
    for r in rows:
        if r.get("name"):
            by_ts.setdefault(r["timestamp"], []).append(r)
    over = sum(1 for rs in by_ts.values()
               if sum(num(r, "consumed") + num(r, "ovhd") for r in rs) > budget_mib * MIB)
    oom = lost = 0
    for i in range(1, k + 1):
        try:
            oom += len(OOM_RE.findall(open(os.path.join(d, f"dmesg.dv{i}.log"),
                                           errors="replace").read()))
        except OSError:
            pass
        try:
            lost += "reason=crashed" in open(os.path.join(d, f"qemu-exit.dv{i}.log")).read()
        except OSError:
            pass
    return {"rate": statistics.median(rates) if rates else 0.0, "n": len(rates),
            "over": over / len(by_ts) if by_ts else 0.0, "oom": oom, "lost": lost}


def pooled_ref(refdir, cycle):
    """the reference rate: median over every sample of every step of the reference run
    (same guests and schedule, no budget). Per step it has only 9-46 samples and swung
    4.5-8.6 M pages/s between steps even after the contention correction, so one pooled
    median is the steadier yardstick; the per-count figures are printed beside it."""
    rates = []
    if os.path.isdir(refdir):
        for name in sorted(os.listdir(refdir)):
            if name.startswith("k") and name[1:].isdigit():
                rates += window_rates(os.path.join(refdir, name), int(name[1:]), cycle)
    return {"rate": statistics.median(rates) if rates else 0.0, "n": len(rates)}


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
    f = step_figures(a.dir, a.k, a.budget, a.cycle)
    ref = pooled_ref(os.path.dirname(a.ref), a.cycle) if os.path.isdir(a.ref) else None
    thr, why = verdict(f, ref)
    t = f"{thr * 100:.0f}%" if thr is not None else "n/a"
    s = (f"throughput {t} of reference ({f['rate'] / 1e6:.2f} M pages/s adjusted, "
         f"{f['n']} samples), over budget {f['over'] * 100:.0f}%, OOM {f['oom']}, lost {f['lost']}")
    print(("broken: " + "; ".join(why) + " | " if why else "ok | ") + s)


def cmd_ovhd(a):
    o = 0
    for k in sorted(os.listdir(a.dir)):
        for r in read_top(os.path.join(a.dir, k, "top.csv")):
            o = max(o, num(r, "ovhd"))
    print(math.ceil(o / MIB) if o else 110)


def fleet_ws(off, active, cycle, ws):
    """a step working set of ws MiB during [off, off+active) in a cycle, as the
    simulator's piecewise-linear points (0.1 s ramps)"""
    end = off + active
    pts = []
    if off == 0:
        pts += [f"0:{ws}M", f"{end - 0.1:.1f}:{ws}M", f"{end}:0", f"{cycle - 0.1:.1f}:0"]
    elif end >= cycle:
        pts += ["0:0", f"{off - 0.1:.1f}:0", f"{off}:{ws}M", f"{cycle - 0.1:.1f}:{ws}M"]
    else:
        pts += ["0:0", f"{off - 0.1:.1f}:0", f"{off}:{ws}M", f"{end - 0.1:.1f}:{ws}M", f"{end}:0"]
    return " ".join(pts)


def cmd_fleet(a):
    print("name,memsz,maxmemctl,balloon,deflate_on_oom,boot_s,guest_swap,idle_anon,"
          "cache_cap,cache_rate,shareable_pct,ovhd,ws,period_s")
    # one row per phase offset: --plan repeats the file cyclically
    n = max(1, a.cycle // a.active)
    for k in range(n):
        off = (k * a.active) % a.cycle
        print(f"dv{k},{a.mem}M,{a.maxmemctl}M,1,1,20,256M,48M,400M,20M,0,{a.ovhd}M,"
              f"{fleet_ws(off, a.active, a.cycle, a.ws)},{a.cycle}")


def sim_counts(path):
    try:
        txt = open(path).read()
    except OSError:
        return {}
    m = re.search(r"^RESULT .*$", txt, re.M)
    if not m:
        return {}
    return {k[:-len("_max_vms")]: v for k, v in
            (kv.split("=", 1) for kv in m.group(0).split()[1:] if "=" in kv)
            if k.endswith("_max_vms")}


def cmd_table(a):
    pols = a.policies.split()
    refdir = os.path.join(a.dir, "reference")
    sim = sim_counts(a.sim)
    counts, curves = {}, {}
    pooled = pooled_ref(refdir, a.cycle)
    per_k = []
    for k in range(1, a.max + 1):
        r = os.path.join(refdir, f"k{k}")
        if os.path.isdir(r):
            per_k.append(f"{k}:{step_figures(r, k, 1 << 40, a.cycle)['rate'] / 1e6:.2f}")
    print(f"reference (no budget): {pooled['rate'] / 1e6:.2f} M pages/s adjusted, median of "
          f"{pooled['n']} samples; per VM count: {' '.join(per_k)}")
    print(f"{'policy':<9} {'VMs':>4} {'sim':>4}  per VM count: throughput vs reference / "
          f"over budget / OOM / lost")
    for p in pols:
        count, broken, cells, curve = 0, None, [], []
        for k in range(1, a.max + 1):
            d = os.path.join(a.dir, p, f"k{k}")
            if not os.path.isdir(d):
                break
            f = step_figures(d, k, a.budget, a.cycle)
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
    print("VMs: the largest count that kept the SLO ('>=': never broke up to the maximum tried);"
          "\nsim: `blimp sim --plan` on the same fleet (its own SLO: <= 1% of time missing working"
          "\nset, no guest OOM); '!' marks the step that broke")
    kv = {f"{p}_vms": counts[p][0] for p in pols}
    kv.update({f"sim_{p}_vms": sim.get(p, "?") for p in pols})
    b = counts.get("blimp", (0, None))[0]
    if "static" in counts:
        s = counts["static"][0]
        ok = s > 0 and b >= 2 * s
        print(f"target: blimp >= 2x static: {b} vs {s} -> {'met' if ok else 'missed'}")
        kv["target_vs_static"] = "met" if ok else "missed"
    if "proxmox" in counts:
        x = counts["proxmox"][0]
        ok = x > 0 and b >= 1.25 * x
        print(f"target: blimp >= 1.25x proxmox: {b} vs {x} -> {'met' if ok else 'missed'}")
        kv["target_vs_proxmox"] = "met" if ok else "missed"
    print("RESULT budget_mib=" + str(a.budget) + " " + " ".join(f"{k}={v}" for k, v in kv.items()))
    if a.plot:
        plot(curves, counts, sim, a)


def plot(curves, counts, sim, a):
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
    ap.add_argument("--policies", default="")
    ap.add_argument("--max", type=int)
    ap.add_argument("--sim", default="")
    ap.add_argument("--plot", default="")
    a = ap.parse_args()
    {"step": cmd_step, "ovhd": cmd_ovhd, "fleet": cmd_fleet, "table": cmd_table}[a.cmd](a)


if __name__ == "__main__":
    main()
