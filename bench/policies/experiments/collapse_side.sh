#!/bin/bash
# Experiment: run beside `BENCH_KEEP=1 POL_POLICIES=blimp bench/policies/run.sh`; 12 s into
# each of the blimp run's phases, collapse the bursting VM's guest RAM into huge pages
# (collapse.c, built into $TMPDIR) and log its AnonHugePages before and after.
# docs/results.md has the outcome.
HERE=$(cd "$(dirname "$0")" && pwd)
COLLAPSE=${TMPDIR:-/tmp}/blimp-collapse
cc -O2 -Wall -Wextra -Werror -o "$COLLAPSE" "$HERE/collapse.c" || exit 1
sleep 5 # let the benchmark create its work dir
# shellcheck disable=SC2012 # newest work dir by time
d=$(ls -td /var/tmp/bbench-policies.* | head -1)
for i in 0 1 2 3; do
  while [ ! -e "$d/blimp/phase.pv$i" ]; do sleep 0.5; done
  sleep 12
  pid=$(pgrep -f "qemu-system.*guest=pv$i," | head -1)
  echo "$(date +%s%3N) pv$i pid $pid $(awk '/^AnonHugePages:/ {print $2/1024}' "/proc/$pid/smaps_rollup") MiB THP before"
  "$COLLAPSE" "$pid"
  echo "$(date +%s%3N) pv$i $(awk '/^AnonHugePages:/ {print $2/1024}' "/proc/$pid/smaps_rollup") MiB THP after"
done
