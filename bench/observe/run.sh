#!/bin/bash
# bench/observe: CPU cost of one full collection (host + N VMs) by blimpd, next to the
# same figures fetched by hand: `virsh domstats --balloon` plus the /proc, sysfs and
# cgroup files in a shell loop (shell_collect.sh). Both talk to the same libvirtd
# (qemu:///system, started here if none runs), so libvirtd's share is measured too.
#
# blimpd side: collections every OBS_PERIOD_MS over OBS_WINDOW_S; `status` counters
# (collect_count, collect_cpu_process_total_us: CLOCK_PROCESS_CPUTIME_ID around host +
# VM gathering) give the mean per collection; blimpd's whole CPU (/proc/PID/stat)
# per tick adds policy and dry-run acting; libvirtd's CPU over the same window.
# Shell side: /usr/bin/time over OBS_SHELL_ITERS iterations (bash + virsh + cat),
# blimpd stopped (SIGSTOP) meanwhile; libvirtd's CPU over that run.
# Env: OBS_COUNTS ("1 4 8"), OBS_MEM (256M), OBS_PERIOD_MS (200), OBS_WINDOW_S (30),
# OBS_SHELL_ITERS (30), OBS_PERF=1 (perf profile of blimpd even when the targets are
# met), BENCH_KEEP=1 keeps the work dir.
# shellcheck source=bench/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
bench_init observe
BENCH_VM_PREFIX=bobs
COUNTS=${OBS_COUNTS:-1 4 8}
MEM=${OBS_MEM:-256M}
PERIOD_MS=${OBS_PERIOD_MS:-200}
WINDOW_S=${OBS_WINDOW_S:-30}
SHELL_ITERS=${OBS_SHELL_ITERS:-30}
HERE=$(cd "$(dirname "$0")" && pwd)

bench_build
REV=$(bench_rev)
bench_libvirtd_start
cat >"$BENCH_DIR/blimpd.conf" <<EOF
[blimpd]
collect_period_ms = $PERIOD_MS
balance_period_ms = 1000
dry_run = true
manage_ksm = false
manage_cgroups = false
log_level = info
EOF
bench_daemon_start --config "$BENCH_DIR/blimpd.conf" --connect "$BENCH_URI"
DPID=$BENCH_DAEMON_PID
LPID=$(bench_libvirtd_pid)
[ -n "$LPID" ] || bench_die "no libvirtd pid"
bench_log "blimpd $DPID, libvirtd $LPID, accel $(bench_accel), period ${PERIOD_MS} ms"

# memory cgroup directory of a process (v1 memory controller, else v2)
cgroup_dir() {
	local l
	l=$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' "/proc/$1/cgroup" | head -1)
	if [ -n "$l" ]; then
		echo "/sys/fs/cgroup/memory${l##*:}"
	else
		l=$(grep '^0::' "/proc/$1/cgroup")
		echo "/sys/fs/cgroup${l#0::}"
	fi
}

# guest balloon stats present for every VM of ours
stats_ready() {
	local n=$1 got
	got=$(virsh -c "$BENCH_URI" domstats --balloon 2>/dev/null |
		awk -v p="'$BENCH_VM_PREFIX" '/^Domain:/ {d = index($2, p) == 1} d && /balloon.unused=/ {c++} END {print c+0}')
	[ "$got" -ge "$n" ]
}

status_field() { bench_json "$1" status 2>/dev/null || echo ""; }

RESULTS="$BENCH_DIR/results.txt"
: >"$RESULTS"
started=0
for n in $COUNTS; do
	while [ "$started" -lt "$n" ]; do
		started=$((started + 1))
		bench_vm_start "$BENCH_VM_PREFIX$started" --mem "$MEM" || bench_die "VM $started did not boot"
	done
	bench_wait 120 stats_ready "$n" || bench_die "balloon stats missing for some of $n VMs"
	sleep 3
	nvms=$(status_field n_vms)
	[ "$nvms" = "$n" ] || bench_log "note: blimpd sees $nvms domains (others' domains on qemu:///system?)"

	# quiet window: blimpd's collection counters, process CPU of blimpd and libvirtd
	c0=$(status_field collect_count)
	t0=$(status_field collect_cpu_total_us)
	p0=$(status_field collect_cpu_process_total_us)
	d0=$(bench_proc_cpu_us "$DPID")
	l0=$(bench_proc_cpu_us "$LPID")
	sleep "$WINDOW_S"
	d1=$(bench_proc_cpu_us "$DPID")
	l1=$(bench_proc_cpu_us "$LPID")
	c1=$(status_field collect_count)
	t1=$(status_field collect_cpu_total_us)
	p1=$(status_field collect_cpu_process_total_us)
	{ [ -n "$c1" ] && [ "$c1" -gt "${c0:-0}" ]; } || bench_die "blimpd has no collect_count in status (older blimpd?)"
	ticks=$((c1 - c0))
	thread_us=$(((t1 - t0) / ticks))
	coll_us=$(((p1 - p0) / ticks))
	# the two `status` calls that bracket the window are in d1-d0 (a few 100 us)
	tick_us=$(((d1 - d0) / ticks))
	lv_us=$(((l1 - l0) / ticks))

	# shell side, blimpd stopped meanwhile so libvirtd serves only virsh
	args=()
	for i in $(seq 1 "$n"); do
		pid=$(bench_json pid stats "$BENCH_VM_PREFIX$i")
		args+=("$pid:$(cgroup_dir "$pid")")
	done
	kill -STOP "$DPID"
	sleep 1
	sl0=$(bench_proc_cpu_us "$LPID")
	/usr/bin/time -f '%U %S %e' -o "$BENCH_DIR/time.out" \
		bash "$HERE/shell_collect.sh" "$BENCH_URI" "$SHELL_ITERS" "${args[@]}"
	sl1=$(bench_proc_cpu_us "$LPID")
	kill -CONT "$DPID"
	read -r su ss se <"$BENCH_DIR/time.out"
	shell_us=$(awk -v u="$su" -v s="$ss" -v k="$SHELL_ITERS" 'BEGIN {printf "%d", (u + s) * 1e6 / k}')
	shell_lv_us=$(((sl1 - sl0) / SHELL_ITERS))
	echo "$n $ticks $thread_us $coll_us $tick_us $lv_us $shell_us $shell_lv_us $se" >>"$RESULTS"
	bench_log "N=$n: blimpd collection ${coll_us} us (main thread ${thread_us}), tick ${tick_us} us, libvirtd ${lv_us} us/tick; shell ${shell_us} us/iter, libvirtd ${shell_lv_us} us/iter"
done

# table
ms() { awk -v x="$1" 'BEGIN {printf "%.2f", x / 1000}'; }
echo
echo "bench/observe: CPU per full collection (host + N VMs of $MEM), tree $REV, accel $(bench_accel), $(nproc) cores, collect every ${PERIOD_MS} ms for ${WINDOW_S} s; shell loop ${SHELL_ITERS} iterations"
printf '%-3s %6s %10s %10s %10s %11s %10s %11s %7s %8s\n' N colls coll_ms thread_ms tick_ms libvirtd_ms shell_ms libvirtd_ms ratio ratio+lv
while read -r n ticks thread_us coll_us tick_us lv_us shell_us shell_lv_us se; do
	r=$(awk -v a="$shell_us" -v b="$coll_us" 'BEGIN {printf "%.1f", b ? a / b : 0}')
	r2=$(awk -v a="$shell_us" -v b="$tick_us" -v c="$lv_us" -v d="$shell_lv_us" \
		'BEGIN {printf "%.1f", (b + c) ? (a + d) / (b + c) : 0}')
	printf '%-3s %6s %10s %10s %10s %11s %10s %11s %6sx %7sx\n' "$n" "$ticks" "$(ms "$coll_us")" \
		"$(ms "$thread_us")" "$(ms "$tick_us")" "$(ms "$lv_us")" "$(ms "$shell_us")" \
		"$(ms "$shell_lv_us")" "$r" "$r2"
done <"$RESULTS"
echo "blimpd side: coll = all threads during a collection (collect_cpu_process_total_us / collect_count),"
echo "  thread = main thread only, tick = blimpd's whole CPU per tick (/proc/PID/stat: collection + policy +"
echo "  dry-run act + 2 status calls), libvirtd = libvirtd's CPU per tick. Shell side: shell = bash + virsh +"
echo "  cat per iteration (/usr/bin/time), libvirtd = libvirtd's CPU per iteration (blimpd stopped meanwhile)."
echo "ratio = shell / coll; ratio+lv = (shell + its libvirtd) / (tick + its libvirtd)"

# targets on the largest N
read -r n ticks thread_us coll_us tick_us lv_us shell_us shell_lv_us se <<<"$(tail -1 "$RESULTS")"
ratio=$(awk -v a="$shell_us" -v b="$coll_us" 'BEGIN {printf "%.1f", b ? a / b : 0}')
ratio_lv=$(awk -v a="$shell_us" -v b="$tick_us" -v c="$lv_us" -v d="$shell_lv_us" \
	'BEGIN {printf "%.1f", (b + c) ? (a + d) / (b + c) : 0}')
t1=$(awk -v r="$ratio" 'BEGIN {print (r >= 5) ? 1 : 0}')
t2=$(awk -v x="$coll_us" 'BEGIN {print (x <= 5000) ? 1 : 0}')
echo "target: N=$n blimp collection <= 1/5 of the shell's CPU: ${ratio}x -> $(bench_verdict "$t1")"
echo "target: N=$n blimp collection <= 5 ms CPU: $(ms "$coll_us") ms -> $(bench_verdict "$t2")"

# where the time goes: perf over the collections, when a target is missed or asked for
if { [ "$t1" = 0 ] || [ "$t2" = 0 ] || [ -n "${OBS_PERF:-}" ]; } && command -v perf >/dev/null; then
	perf record -q -g -o "$BENCH_DIR/perf.data" -p "$DPID" -- sleep 10 >/dev/null 2>&1 &&
		perf report -q -i "$BENCH_DIR/perf.data" --no-children --sort dso,sym --stdio 2>/dev/null |
		grep -E '^ +[0-9.]+%' | head -15 | sed 's/^/perf: /'
fi
echo "RESULT n_vms=$n collect_us=$coll_us collect_thread_us=$thread_us tick_us=$tick_us libvirtd_per_tick_us=$lv_us shell_us=$shell_us libvirtd_per_shell_us=$shell_lv_us ratio=$ratio ratio_with_libvirtd=$ratio_lv target_ratio=$(bench_verdict "$t1") target_5ms=$(bench_verdict "$t2")"
