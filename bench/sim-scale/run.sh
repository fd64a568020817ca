#!/bin/bash
# Simulator scale benchmark: 1k, 10k, 100k VMs of the `diurnal` fleet at a 15 s balance
# period. Prints a table (N, simulated hours, wall s, policy_run s, peak RSS MiB, ns per
# VM-tick) and a last line `RESULT wall_s_10k=... peak_mib_10k=... wall_s_1k=...
# wall_s_100k=...`. 100k runs HOURS_100K simulated hours (default 2: see the table).
# Usage: bench/sim-scale/run.sh [GEN]   (env: HOURS, HOURS_100K, SIZES)
set -euo pipefail
cd "$(dirname "$0")/../.."
GEN=${1:-diurnal}
HOURS=${HOURS:-24}
HOURS_100K=${HOURS_100K:-2}
SIZES=${SIZES:-"1000 10000 100000"}
BAL_MS=15000
OUT=bench/out/sim-scale
mkdir -p "$OUT"

make -s build/libsim.a build/libpolicy.a build/libutil.a
BIN=build/bench/sim-scale
mkdir -p build/bench
# The same sim_main that `blimp sim` calls, without the rest of the CLI.
cc -O2 -g -std=gnu11 -Wall -Wextra -Werror -Isrc -o "$BIN" bench/sim-scale/driver.c \
	build/libsim.a build/libpolicy.a build/libutil.a -lm

printf '%-8s %6s %9s %12s %9s %14s\n' N hours wall_s policy_run_s peak_mib ns_per_vm_tick
declare -A WALL PEAK
for n in $SIZES; do
	h=$HOURS
	[ "$n" -ge 100000 ] && h=$HOURS_100K
	log="$OUT/run-$n.txt"
	/usr/bin/time -f 'TIME %e %M' "$BIN" --gen "$GEN" --vms "$n" --hours "$h" \
		--balance-ms $BAL_MS >"$log" 2>"$log.err" &
	wait $!
	read -r wall kib < <(awk '/^TIME/ {print $2, $3}' "$log.err")
	pol=$(sed -n 's/.*(policy_run \([0-9.]*\) s).*/\1/p' "$log.err")
	ticks=$(awk -v h="$h" -v b=$BAL_MS 'BEGIN { printf "%d", h * 3600000 / b }')
	mib=$(awk -v k="$kib" 'BEGIN { printf "%.0f", k / 1024 }')
	ns=$(awk -v w="$wall" -v n="$n" -v t="$ticks" 'BEGIN { printf "%.0f", w * 1e9 / (n * t) }')
	printf '%-8s %6s %9s %12s %9s %14s\n' "$n" "$h" "$wall" "$pol" "$mib" "$ns"
	WALL[$n]=$wall
	PEAK[$n]=$mib
done
echo "RESULT wall_s_10k=${WALL[10000]:-NA} peak_mib_10k=${PEAK[10000]:-NA}" \
	"wall_s_1k=${WALL[1000]:-NA} wall_s_100k=${WALL[100000]:-NA}" \
	"hours=$HOURS hours_100k=$HOURS_100K"
