#!/bin/bash
# bench/observe: CPU cost of one full collection (host + N VMs) by blimpd, next to the
# same figures fetched by hand: `virsh domstats --balloon` plus the /proc, sysfs and
# cgroup files in a shell loop (shell_collect.sh). Both talk to the same libvirtd
# (qemu:///system, started here if none runs), so libvirtd's share is measured too.
#
# blimpd side: collections every OBS_PERIOD_MS. (a) `collect_cpu_us` from `status`
# (CLOCK_THREAD_CPUTIME_ID around host + VM gathering), sampled; (b) blimpd's process
# CPU (/proc/PID/stat, every thread) over a quiet window divided by the collections
# in it (the whole tick: collection + policy + dry-run acting); libvirtd's CPU over
# the same window. Shell side: /usr/bin/time over OBS_SHELL_ITERS iterations (bash +
# virsh + cat), blimpd stopped (SIGSTOP) meanwhile; libvirtd's CPU over that run.
# Env: OBS_COUNTS ("1 4 8"), OBS_MEM (256M), OBS_PERIOD_MS (200), OBS_WINDOW_S (30),
# OBS_SAMPLES (40), OBS_SHELL_ITERS (30), BENCH_KEEP=1 keeps the work dir.
# shellcheck source=bench/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
bench_init observe
BENCH_VM_PREFIX=bobs
COUNTS=${OBS_COUNTS:-1 4 8}
MEM=${OBS_MEM:-256M}
PERIOD_MS=${OBS_PERIOD_MS:-200}
WINDOW_S=${OBS_WINDOW_S:-30}
SAMPLES=${OBS_SAMPLES:-40}
SHELL_ITERS=${OBS_SHELL_ITERS:-30}
HERE=$(cd "$(dirname "$0")" && pwd)

bench_build
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

median() { sort -n | awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]; else print 0}'; }

# counters blimpd may expose: collect_count / collect_cpu_total_us
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

	# (b) quiet window: process CPU of blimpd and libvirtd
	c0=$(status_field collect_count)
	t0=$(status_field collect_cpu_total_us)
	d0=$(bench_proc_cpu_us "$DPID")
	l0=$(bench_proc_cpu_us "$LPID")
	w0=$(date +%s%N)
	sleep "$WINDOW_S"
	d1=$(bench_proc_cpu_us "$DPID")
	l1=$(bench_proc_cpu_us "$LPID")
	w1=$(date +%s%N)
	c1=$(status_field collect_count)
	t1=$(status_field collect_cpu_total_us)
	if [ -n "$c0" ] && [ -n "$c1" ] && [ "$c1" -gt "$c0" ]; then
		ticks=$((c1 - c0))
		# the two `status` calls bracket the window: their cost is in d1-d0, small
		total_thread_us=$((t1 - t0))
		counted=1
	else
		ticks=$(((w1 - w0) / 1000000 / PERIOD_MS))
		total_thread_us=
		counted=0
	fi
	# (a) sampled last-collection thread CPU
	: >"$BENCH_DIR/samples"
	for _ in $(seq 1 "$SAMPLES"); do
		status_field collect_cpu_us >>"$BENCH_DIR/samples"
		sleep 0.37
	done
	samp_med=$(median <"$BENCH_DIR/samples")
	samp_mean=$(awk '{s += $1} END {printf "%d", NR ? s / NR : 0}' "$BENCH_DIR/samples")
	if [ -n "$total_thread_us" ]; then thread_us=$((total_thread_us / ticks)); else thread_us=$samp_mean; fi

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
	proc_us=$(((d1 - d0) / ticks))
	lv_us=$(((l1 - l0) / ticks))
	echo "$n $ticks $counted $thread_us $samp_med $proc_us $lv_us $shell_us $shell_lv_us $se" >>"$RESULTS"
	bench_log "N=$n: blimpd thread ${thread_us} us (sampled median ${samp_med}), process ${proc_us} us/tick, libvirtd ${lv_us} us/tick; shell ${shell_us} us/iter, libvirtd ${shell_lv_us} us/iter"
done

# table
echo
echo "bench/observe: CPU per full collection (host + N VMs of $MEM), accel $(bench_accel), $(nproc) cores"
printf '%-4s %7s %12s %12s %12s %12s %12s %9s %9s\n' N ticks blimp_coll blimp_tick libvirtd/tk shell_iter libvirtd/it ratio ratio+lv
while read -r n ticks counted thread_us samp_med proc_us lv_us shell_us shell_lv_us se; do
	r=$(awk -v a="$shell_us" -v b="$thread_us" 'BEGIN {printf "%.1f", b ? a / b : 0}')
	r2=$(awk -v a="$shell_us" -v b="$proc_us" -v c="$lv_us" -v d="$shell_lv_us" \
		'BEGIN {printf "%.1f", (b + c) ? (a + d) / (b + c) : 0}')
	printf '%-4s %7s %9.2f ms %9.2f ms %9.2f ms %9.2f ms %9.2f ms %8sx %8sx\n' "$n" "$ticks" \
		"$(awk -v x="$thread_us" 'BEGIN {print x / 1000}')" \
		"$(awk -v x="$proc_us" 'BEGIN {print x / 1000}')" \
		"$(awk -v x="$lv_us" 'BEGIN {print x / 1000}')" \
		"$(awk -v x="$shell_us" 'BEGIN {print x / 1000}')" \
		"$(awk -v x="$shell_lv_us" 'BEGIN {print x / 1000}')" "$r" "$r2"
done <"$RESULTS"
echo "blimp_coll: blimpd's thread CPU per collection ($( [ "$(awk 'NR==1{print $3}' "$RESULTS")" = 1 ] && echo "collect_cpu_total_us / collect_count" || echo "mean of sampled collect_cpu_us")); blimp_tick: blimpd process CPU per tick (collection + policy + dry-run act)"
echo "shell_iter: bash + virsh + cat CPU per iteration; libvirtd/tk, /it: libvirtd CPU per blimpd tick / shell iteration"
echo "ratio: shell_iter / blimp_coll; ratio+lv: (shell_iter + libvirtd/it) / (blimp_tick + libvirtd/tk)"

# targets on the largest N
last=$(tail -1 "$RESULTS")
read -r n ticks counted thread_us samp_med proc_us lv_us shell_us shell_lv_us se <<<"$last"
ratio=$(awk -v a="$shell_us" -v b="$thread_us" 'BEGIN {printf "%.1f", b ? a / b : 0}')
ratio_lv=$(awk -v a="$shell_us" -v b="$proc_us" -v c="$lv_us" -v d="$shell_lv_us" \
	'BEGIN {printf "%.1f", (b + c) ? (a + d) / (b + c) : 0}')
t1=$(awk -v r="$ratio" 'BEGIN {print (r >= 5) ? 1 : 0}')
t2=$(awk -v x="$thread_us" 'BEGIN {print (x <= 5000) ? 1 : 0}')
echo "target: N=$n blimp collection <= 1/5 of the shell's CPU: ${ratio}x -> $(bench_verdict "$t1")"
echo "target: N=$n blimp collection <= 5 ms CPU: $(awk -v x="$thread_us" 'BEGIN {printf "%.2f", x / 1000}') ms -> $(bench_verdict "$t2")"
echo "RESULT n_vms=$n blimp_collect_us=$thread_us blimp_tick_us=$proc_us libvirtd_per_tick_us=$lv_us shell_us=$shell_us libvirtd_per_shell_us=$shell_lv_us ratio=$ratio ratio_with_libvirtd=$ratio_lv target_ratio=$(bench_verdict "$t1") target_5ms=$(bench_verdict "$t2")"
