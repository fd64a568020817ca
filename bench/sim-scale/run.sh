#!/bin/bash
# Simulator scale benchmark: 1k, 10k, 100k VMs of the `diurnal` fleet at a 15 s balance
# period. Prints a table (N, simulated hours, wall s of the process, policy_run s, peak
# RSS MiB, then per VM-tick: ns of the run (fleet generation excluded), of which the
# simulator's own and policy_run's), a line
# `scaling: ns/VM-tick 1k=.. 10k=.. 100k=.. ratio_100k_10k=..` (with the same for the
# simulator alone and for policy_run), the load before and after, and a last line
# `RESULT wall_s_10k=... peak_mib_10k=... wall_s_1k=... wall_s_100k=... ns_1k=...
# ns_10k=... ns_100k=...`. 100k runs HOURS_100K simulated hours (default 2: see the table).
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

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %6s %9s %12s %9s %14s %7s %7s\n' N hours wall_s policy_run_s peak_mib \
	ns_per_vm_tick sim_ns pol_ns
declare -A WALL PEAK NS SIMNS POLNS
for n in $SIZES; do
	h=$HOURS
	[ "$n" -ge 100000 ] && h=$HOURS_100K
	log="$OUT/run-$n.txt"
	/usr/bin/time -f 'TIME %e %M' "$BIN" --gen "$GEN" --vms "$n" --hours "$h" \
		--balance-ms $BAL_MS >"$log" 2>"$log.err" &
	wait $!
	read -r wall kib < <(awk '/^TIME/ {print $2, $3}' "$log.err")
	# sim: blimp: wall W s (policy_run P s), ...: the run itself, without the fleet's
	# generation and the process around it
	read -r run pol < <(sed -n 's/.*: wall \([0-9.]*\) s (policy_run \([0-9.]*\) s).*/\1 \2/p' \
		"$log.err")
	ticks=$(awk -v h="$h" -v b=$BAL_MS 'BEGIN { printf "%d", h * 3600000 / b }')
	mib=$(awk -v k="$kib" 'BEGIN { printf "%.0f", k / 1024 }')
	read -r ns simns polns < <(awk -v w="$run" -v p="$pol" -v n="$n" -v t="$ticks" \
		'BEGIN { d = n * t / 1e9; printf "%.0f %.0f %.0f\n", w / d, (w - p) / d, p / d }')
	printf '%-8s %6s %9s %12s %9s %14s %7s %7s\n' "$n" "$h" "$wall" "$pol" "$mib" "$ns" \
		"$simns" "$polns"
	WALL[$n]=$wall
	PEAK[$n]=$mib
	NS[$n]=$ns
	SIMNS[$n]=$simns
	POLNS[$n]=$polns
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
ratio() {
	awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "" || b == 0) print "NA";
		else printf "%.2f", a / b }'
}
echo "scaling: ns/VM-tick 1k=${NS[1000]:-NA} 10k=${NS[10000]:-NA}" \
	"100k=${NS[100000]:-NA} ratio_100k_10k=$(ratio "${NS[100000]:-}" "${NS[10000]:-}")" \
	"| simulator 1k=${SIMNS[1000]:-NA} 10k=${SIMNS[10000]:-NA} 100k=${SIMNS[100000]:-NA}" \
	"ratio=$(ratio "${SIMNS[100000]:-}" "${SIMNS[10000]:-}")" \
	"| policy_run 1k=${POLNS[1000]:-NA} 10k=${POLNS[10000]:-NA} 100k=${POLNS[100000]:-NA}" \
	"ratio=$(ratio "${POLNS[100000]:-}" "${POLNS[10000]:-}")"
echo "RESULT wall_s_10k=${WALL[10000]:-NA} peak_mib_10k=${PEAK[10000]:-NA}" \
	"wall_s_1k=${WALL[1000]:-NA} wall_s_100k=${WALL[100000]:-NA}" \
	"ns_1k=${NS[1000]:-NA} ns_10k=${NS[10000]:-NA} ns_100k=${NS[100000]:-NA}" \
	"hours=$HOURS hours_100k=$HOURS_100K"
