"""Shared helpers of the bench analysis scripts (bench/policies/analyze.py,
bench/density/analyze.py): reading `blimp top -b` CSV and run.sh's vCPU schedstat
samples, the wsloop and guest-OOM log patterns, the CPU-contention share of an
interval, and the throughput statistic of a set of bursts.

The scripts import it after putting this directory on sys.path; it has no state and
prints nothing.
"""
import csv
import os
import re
import statistics
import subprocess
import sys

MIB = 1024 * 1024
# a wsloop sample line: ms since wsloop's start, pages/s over the last interval,
# resident set MiB
WS_RE = re.compile(r"wsloop t_ms=(\d+) pages_per_s=(\d+) resident_mib=(\d+)")
# a guest kernel's OOM kill in its dmesg
OOM_RE = re.compile(r"Killed process \d+")


def guest_oom_kills(dmesg_path, vmstat_path=None):
    """a guest's OOM kills: its /proc/vmstat oom_kill (the kernel's own counter; saved
    as vmstat.VM.log beside dmesg.VM.log unless vmstat_path says where) and the
    "Killed process" lines of its dmesg (a ring buffer that can wrap); the larger of
    the two. -1 if neither file could be read."""
    if vmstat_path is None:
        d, b = os.path.split(dmesg_path)
        vmstat_path = os.path.join(d, b.replace("dmesg.", "vmstat.", 1))
    n = -1
    try:
        with open(dmesg_path, errors="replace") as f:
            n = len(OOM_RE.findall(f.read()))
    except OSError:
        pass
    try:
        with open(vmstat_path, errors="replace") as f:
            for line in f:
                p = line.split()
                if len(p) == 2 and p[0] == "oom_kill" and p[1].isdigit():
                    n = max(n, int(p[1]))
    except OSError:
        pass
    return n


def read_top(path, missing_ok=False):
    """rows of `blimp top -b` (several iterations), as dicts; the header repeated by
    each iteration is dropped. A file that cannot be read raises OSError, or gives []
    with missing_ok."""
    rows = []
    try:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                if row.get("timestamp", "").startswith("timestamp"):
                    continue  # a repeated header
                rows.append(row)
    except OSError:
        if not missing_ok:
            raise
    return rows


def num(row, key):
    """a numeric column of a `blimp top -b` row as an int (0 when empty or not a
    number)"""
    try:
        return int(float(row.get(key) or 0))
    except ValueError:
        return 0


def read_vcpu(path):
    """{vm: [(epoch_ms, run_ns, wait_ns)]} from run.sh's vcpu_sampler: per sample the
    host time and the vCPU thread's cumulative schedstat (ns on CPU, ns runnable but
    waiting for a CPU); {} when the file cannot be read"""
    out = {}
    try:
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) == 4:
                    out.setdefault(p[1], []).append((int(p[0]), int(p[2]), int(p[3])))
    except OSError:
        pass
    return out


def wait_share(series, t0_ms, t1_ms):
    """share of [t0, t1] (ms) the vCPU thread spent runnable but waiting for a host
    CPU, from a read_vcpu series (cumulative wait_ns interpolated linearly between
    samples); 0 without two samples, at most 0.75"""
    if len(series) < 2 or t1_ms <= t0_ms:
        return 0.0

    def at(t):
        # linear interpolation of the cumulative wait_ns
        if t <= series[0][0]:
            return series[0][2]
        for (ta, _, wa), (tb, _, wb) in zip(series, series[1:]):
            if ta <= t <= tb:
                return wa + (wb - wa) * (t - ta) / max(tb - ta, 1)
        return series[-1][2]

    share = (at(t1_ms) - at(t0_ms)) / 1e6 / (t1_ms - t0_ms)
    # capped: at most a 4x correction, so a misaligned sample cannot explode
    return min(max(share, 0.0), 0.75)


def burst_rate(bursts):
    """the throughput of a set of bursts (each a list of pages/s samples): the mean
    over bursts of each one's median sample; bursts without samples are left out, 0.0
    when none has any. Not the median of all samples: a burst's samples agree within a
    few % while bursts differ by up to 30% (5.6 vs 7.7 M pages/s in one density
    reference step), so pooled samples are bimodal and their median jumps between the
    modes."""
    meds = [statistics.median(b) for b in bursts if b]
    return statistics.fmean(meds) if meds else 0.0


def gnuplot(lines, png):
    """run gnuplot on a script (a list of lines) that writes png, making png's directory
    first; a failure is reported on stderr, never raised (the table is the result)"""
    os.makedirs(os.path.dirname(os.path.abspath(png)), exist_ok=True)
    r = subprocess.run(["gnuplot"], input="\n".join(lines) + "\n", text=True,
                       capture_output=True)
    if r.returncode != 0:
        print("plot failed: " + r.stderr.strip()[:300], file=sys.stderr)
