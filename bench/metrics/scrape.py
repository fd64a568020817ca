#!/usr/bin/env python3
"""Scrape URL N times, one connection each (as Prometheus does with Connection: close);
print the count of 200s and the mean wall time per scrape in ms."""
import sys, time, urllib.request
url, n = sys.argv[1], int(sys.argv[2])
ok = 0
t0 = time.monotonic()
for _ in range(n):
    with urllib.request.urlopen(url, timeout=5) as r:
        r.read()
        ok += r.status == 200
print(f"ok={ok} wall_ms={(time.monotonic() - t0) * 1000 / n:.3f}")
