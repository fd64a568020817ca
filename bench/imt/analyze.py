#!/usr/bin/env python3
"""bench/imt analysis: from run.sh's work dir, the table of both phases (idle_tax 0,
then the tax), the RESULT line and the plot in the style of Waldspurger's Fig. 7
(CONSUMED and ACTV of both VMs over time, and the workload's throughput).

Throughput is fileread's MiB/s of iv1, the mean of its 1 s samples in the last
MEASURE seconds of each phase (the first part of a phase is the transition the
paper's figure also shows). ratio = taxed / untaxed. ratio_adj divides each phase's
rate by the share of time iv1's vCPU thread could run (bench/lib/benchstats.py
wait_share), for the other load of a shared 2-core host.
"""
import argparse
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import benchstats  # noqa: E402

FR_RE = re.compile(r"fileread t_ms=(\d+) mib_per_s=([\d.]+)")
MIB = benchstats.MIB


def read_ms(path):
    with open(path) as f:
        return int(f.read().split()[0])


def fileread_series(d):
    """[(host ms, MiB/s)]: fileread's t_ms from the host time it was started"""
    t0 = read_ms(os.path.join(d, "fileread.start"))
    out = []
    with open(os.path.join(d, "fileread.log")) as f:
        for line in f:
            m = FR_RE.search(line)
            if m:
                out.append((t0 + int(m.group(1)), float(m.group(2))))
    return out


def top_series(d):
    """{vm: [(ms, row)]} from top.csv"""
    out = {}
    for row in benchstats.read_top(os.path.join(d, "top.csv")):
        try:
            t = int(float(row["timestamp"]) * 1000)
        except (KeyError, ValueError):
            continue
        out.setdefault(row.get("name", "?"), []).append((t, row))
    return out


def mean_in(series, t0, t1, key):
    xs = [benchstats.num(r, key) for t, r in series if t0 <= t < t1]
    xs = [x for x in xs if x is not None]
    return statistics.mean(xs) if xs else 0.0


def ooms(d, vm):
    return benchstats.guest_oom_kills(os.path.join(d, f"dmesg.{vm}.log"),
                                      os.path.join(d, f"vmstat.{vm}.txt"))


def vmstat(d, name):
    """MiB swapped in/out (pswpin, pswpout) from a vmstat.NAME.txt, and whether memhog
    was still alive at the end"""
    kv = {}
    try:
        with open(os.path.join(d, f"vmstat.{name}.txt")) as f:
            for line in f:
                p = line.split()
                if len(p) == 2 and p[1].isdigit():
                    kv[p[0]] = int(p[1]) * 4096 // MIB
                elif line.startswith("memhog alive"):
                    kv["memhog"] = "alive"
    except OSError:
        pass
    return kv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--phase", type=int, required=True)
    ap.add_argument("--measure", type=int, required=True)
    ap.add_argument("--tax", default="0.75")
    ap.add_argument("--idle", type=int, default=0)
    ap.add_argument("--plot", default="")
    a = ap.parse_args()
    d = a.dir
    ta, tb = read_ms(os.path.join(d, "phase.a")), read_ms(os.path.join(d, "phase.b"))
    te = tb + a.phase * 1000
    wins = {"tax 0": (tb - a.measure * 1000, tb), f"tax {a.tax}": (te - a.measure * 1000, te)}
    fr = fileread_series(d)
    top = top_series(d)
    vcpu = benchstats.read_vcpu(os.path.join(d, "vcpu.txt")).get("iv1", [])
    res = {}
    print(f"{'phase':<10} {'iv1 MiB/s':>9} {'adj':>7} {'wait':>5} "
          f"{'iv1 CONS':>8} {'iv1 ACTV':>8} {'iv1 ENT':>7} "
          f"{'iv0 CONS':>8} {'iv0 ACTV':>8} {'iv0 ENT':>7}  (MiB, means over the window)")
    for lab, (t0, t1) in wins.items():
        xs = [x for t, x in fr if t0 <= t < t1]
        rate = statistics.mean(xs) if xs else 0.0
        wait = benchstats.wait_share(vcpu, t0, t1)
        r = {"rate": rate, "adj": rate / (1 - wait), "wait": wait}
        for vm in ("iv0", "iv1"):
            s = top.get(vm, [])
            for k in ("consumed", "actv", "entitlement"):
                r[f"{vm}_{k}"] = mean_in(s, t0, t1, k) / MIB
        res[lab] = r
        print(f"{lab:<10} {r['rate']:9.1f} {r['adj']:7.1f} {r['wait']:5.2f} "
              f"{r['iv1_consumed']:8.0f} {r['iv1_actv']:8.0f} {r['iv1_entitlement']:7.0f} "
              f"{r['iv0_consumed']:8.0f} {r['iv0_actv']:8.0f} {r['iv0_entitlement']:7.0f}")
    base, taxed = res["tax 0"], res[f"tax {a.tax}"]
    ratio = taxed["rate"] / base["rate"] if base["rate"] > 0 else 0.0
    ratio_adj = taxed["adj"] / base["adj"] if base["adj"] > 0 else 0.0
    end, at_b = vmstat(d, "iv0"), vmstat(d, "iv0.a")
    oom = {vm: ooms(d, vm) for vm in ("iv0", "iv1")}
    out_a, out = at_b.get("pswpout", 0), end.get("pswpout", 0)
    print(f"iv0 guest swap: out {out_a} MiB until the tax, {out - out_a} MiB after; in "
          f"{end.get('pswpin', '?')} MiB over the run; memhog {end.get('memhog', 'gone')}; "
          f"guest OOM kills iv0 {oom['iv0']}, iv1 {oom['iv1']}")
    goal = ratio >= 1.30
    print(f"RESULT ratio={ratio:.2f} ratio_adj={ratio_adj:.2f} "
          f"rate_tax0={base['rate']:.1f} rate_taxed={taxed['rate']:.1f} "
          f"iv1_consumed_tax0={base['iv1_consumed']:.0f} "
          f"iv1_consumed_taxed={taxed['iv1_consumed']:.0f} "
          f"iv0_actv_taxed={taxed['iv0_actv']:.0f} guest_ooms={oom['iv0'] + oom['iv1']} "
          f"goal_30pct={'met' if goal else 'missed'}")
    if a.plot:
        plot(d, a, top, fr, ta, tb)


def plot(d, a, top, fr, ta, tb):
    """as the paper's Fig. 7: memory of both VMs over time, and iv1's throughput"""
    paths = {}
    for vm in ("iv0", "iv1"):
        p = os.path.join(d, f"plot.{vm}.dat")
        with open(p, "w") as f:
            for t, r in top.get(vm, []):
                c, act = benchstats.num(r, "consumed"), benchstats.num(r, "actv")
                if c is None or act is None:
                    continue
                f.write(f"{(t - ta) / 60000:.3f} {c / MIB:.0f} {act / MIB:.0f}\n")
        paths[vm] = p
    pf = os.path.join(d, "plot.fileread.dat")
    with open(pf, "w") as f:
        for t, x in fr:
            if t >= ta:
                f.write(f"{(t - ta) / 60000:.3f} {x:.1f}\n")
    xb = (tb - ta) / 60000
    script = [
        "set terminal pngcairo size 1000,750 font ',10'",
        f"set output '{a.plot}'",
        "set multiplot layout 2,1 title \"bench/imt: Waldspurger's Fig. 7 on blimp "
        f"(idle tax 0, then {a.tax} at {xb:.1f} min)\"",
        "set key outside right", "set grid", "set yrange [0:*]",
        f"set xrange [0:{2 * a.phase / 60:.2f}]",
        f"set arrow 1 from {xb},graph 0 to {xb},graph 1 nohead dt 2",
        "set ylabel 'memory (MiB)'",
        f"plot '{paths['iv0']}' using 1:2 with lines lw 2 lc 1 title 'iv0 (idle) CONSUMED', "
        f"'{paths['iv0']}' using 1:3 with lines lw 1 lc 1 dt 2 title 'iv0 ACTV', "
        f"'{paths['iv1']}' using 1:2 with lines lw 2 lc 2 title 'iv1 (fileread) CONSUMED', "
        f"'{paths['iv1']}' using 1:3 with lines lw 1 lc 2 dt 2 title 'iv1 ACTV'",
        "set ylabel 'iv1 fileread MiB/s'", "set xlabel 'time (min)'",
        f"plot '{pf}' using 1:2 with lines lw 1 lc 2 title 'iv1 throughput'",
        "unset multiplot",
    ]
    benchstats.gnuplot(script, a.plot)


if __name__ == "__main__":
    main()
