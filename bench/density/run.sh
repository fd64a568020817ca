#!/bin/bash
# bench/density: how many 512 MiB VMs with phase-shifted working sets fit a fixed
# budget under each policy. VMs are added one at a time; after each addition and a
# settling time, one workload cycle is measured. The count for a policy is the last
# VM count before the SLO broke. SLO broken at count k when, in the window:
#   - the bursting VMs' throughput (median contention-adjusted wsloop pages/s) is
#     < 90% of the reference run (same VMs, same schedule, no budget: static, 64G)
#     at the same k, or
#   - any guest OOM kill, or a VM's QEMU died, or
#   - sum CONSUMED + OVHD was over the budget in > 10% of the 1 s samples (the budget
#     stands for the host's RAM; a policy that ignores it would swap or OOM a real
#     host, while this 24 GiB dev box hides that).
# The simulator's prediction (`blimp sim --plan` on the same fleet) is printed beside.
#
# Guests: the built-in guest, MEMSZ 512 MiB (MCTLMAX 80%, 256 MiB guest swap, as the
# demo), reading its data disk into page cache at boot (idle VMs hold memory, as in
# the demo), then VM k runs `wsloop WS` for ACTIVE_S seconds every CYCLE_S seconds,
# starting at offset (k * ACTIVE_S) mod CYCLE_S of a shared epoch.
# Env: DEN_POLICIES ("blimp proxmox mom static"), DEN_MAX (5), DEN_BUDGET_MIB (1536),
# DEN_MEM_MIB (512), DEN_WS_MIB (200), DEN_CYCLE_S (30), DEN_ACTIVE_S (10),
# DEN_SETTLE_S (20), DEN_PLOT (PNG), BENCH_KEEP=1.
# shellcheck source=bench/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
bench_init density
HERE=$(cd "$(dirname "$0")" && pwd)
POLICIES=${DEN_POLICIES:-blimp proxmox mom static}
MAXN=${DEN_MAX:-5}
BUDGET_MIB=${DEN_BUDGET_MIB:-1536}
MEM_MIB=${DEN_MEM_MIB:-512}
WS_MIB=${DEN_WS_MIB:-200}
CYCLE_S=${DEN_CYCLE_S:-30}
ACTIVE_S=${DEN_ACTIVE_S:-10}
SETTLE_S=${DEN_SETTLE_S:-20}
# shellcheck disable=SC2017 # the demo's rounding (demo_plan_maxmemctl)
MAXMEMCTL_MIB=$((MEM_MIB / 5 * 4))
T_START=$SECONDS

bench_build
REV=$(bench_rev)

vm_exec() { "$BLIMP" exec "$1" --timeout 30 -- sh -c "$2"; }

# guest_cmd K EPOCH: fill the page cache, then the VM's working-set schedule
guest_cmd() {
	local off=$((($1 * ACTIVE_S) % CYCLE_S))
	printf '%s' "cat /data/files/*/* >/dev/null 2>&1; echo 1 >/tmp/filled; " \
		"while :; do n=\$(date +%s); r=\$(( (n - $2 - $off + 1000 * $CYCLE_S) % $CYCLE_S )); " \
		"s=\$(( ($CYCLE_S - r) % $CYCLE_S )); [ \$s -gt 0 ] && sleep \$s; " \
		"echo \"start \$(date +%s)\" >>/tmp/ws.log; " \
		"wsloop $WS_MIB --duration $ACTIVE_S --log /tmp/ws.log >/dev/null; done"
}

# vCPU thread schedstat of every VM, every 0.5 s, for SECONDS (see bench/policies)
vcpu_sampler() {
	local out=$1 n=$2 i pid t run wait end=$((SECONDS + $3))
	declare -A task
	for i in $(seq 1 "$n"); do
		pid=$(bench_json pid stats "dv$i" 2>/dev/null)
		for t in /proc/"$pid"/task/*; do
			[ "$(cat "$t/comm" 2>/dev/null)" = "CPU 0/TCG" ] && task[$i]=$t
		done
	done
	while [ "$SECONDS" -le "$end" ]; do
		for i in "${!task[@]}"; do
			read -r run wait _ 2>/dev/null <"${task[$i]}/schedstat" &&
				echo "$(date +%s%3N) dv$i $run $wait"
		done
		sleep 0.5
	done >"$out"
}

# sequence LABEL POLICY BUDGET MAX JUDGE_MIB: add VMs until the SLO breaks (judged by
# analyze.py against the reference's step with as many VMs) or MAX; results in
# BENCH_DIR/LABEL/kN/
sequence() {
	local label=$1 policy=$2 budget=$3 max=$4 judge_mib=$5 out="$BENCH_DIR/$1" k i
	mkdir -p "$out"
	printf '[blimpd]\nswapfile_size = %sM\nlog_level = info\n' "$((max * MEM_MIB))" >"$out/blimpd.conf"
	BLIMP_SOCKET="$out/blimpd.sock"
	BENCH_STATE="$out/state"
	export BLIMP_SOCKET
	: >"$BENCH_DIR/blimpd.log"
	bench_daemon_start --config "$out/blimpd.conf" --policy "$policy" --host-mem "$budget"
	local epoch=$(($(date +%s) + 5))
	echo "$epoch" >"$out/epoch"
	for k in $(seq 1 "$max"); do
		local d="$out/k$k"
		mkdir -p "$d"
		"$BLIMP" start "dv$k" --mem "${MEM_MIB}M" --maxmemctl "${MAXMEMCTL_MIB}M" \
			--guest-swap 256M -- sh -c "$(guest_cmd "$((k - 1))" "$epoch")" >"$d/start.out" 2>&1 ||
			{ bench_log "$label: start dv$k failed: $(cat "$d/start.out")"; break; }
		bench_wait 300 vm_exec "dv$k" 'test -e /tmp/filled' ||
			{ bench_log "$label: dv$k did not fill its cache"; break; }
		sleep "$SETTLE_S"
		# window: the next whole cycle
		local now ws
		now=$(date +%s)
		ws=$((epoch + ((now - epoch) / CYCLE_S + 1) * CYCLE_S))
		echo "$ws" >"$d/window"
		vcpu_sampler "$d/vcpu.txt" "$k" "$((ws - now + CYCLE_S + ACTIVE_S))" &
		local sampler=$!
		while [ "$(date +%s)" -lt "$ws" ]; do sleep 0.2; done
		"$BLIMP" top -b -n "$CYCLE_S" -d 1 >"$d/top.csv" 2>/dev/null
		wait "$sampler"
		for i in $(seq 1 "$k"); do
			vm_exec "dv$i" 'cat /tmp/ws.log' >"$d/ws.dv$i.log" 2>&1
			vm_exec "dv$i" 'dmesg' >"$d/dmesg.dv$i.log" 2>&1
			grep -h 'shutting down, reason=' "$out/state/libvirt/log/qemu/dv$i.log" \
				>"$d/qemu-exit.dv$i.log" 2>/dev/null
		done
		local verdict
		verdict=$(python3 "$HERE/analyze.py" step --dir "$d" --k "$k" --budget "$judge_mib" \
			--cycle "$CYCLE_S" --active "$ACTIVE_S" --ws "$WS_MIB" \
			--ref "$BENCH_DIR/reference/k$k")
		bench_log "$label: $k VMs: $verdict"
		case "$verdict" in broken*) break ;; esac
	done
	bench_daemon_stop
	cp "$BENCH_DIR/blimpd.log" "$out/blimpd.log"
}

# the reference first (no budget: static with 64G), so each policy's sequence can stop
# at the first broken step
sequence reference static 64G "$MAXN" $((64 * 1024))
for p in $POLICIES; do
	sequence "$p" "$p" "${BUDGET_MIB}M" "$MAXN" "$BUDGET_MIB"
done

# the simulator on the same fleet (OVHD as measured on the reference run)
OVHD_MIB=$(python3 "$HERE/analyze.py" ovhd --dir "$BENCH_DIR/reference")
python3 "$HERE/analyze.py" fleet --vms "$MAXN" --mem "$MEM_MIB" --maxmemctl "$MAXMEMCTL_MIB" \
	--ws "$WS_MIB" --cycle "$CYCLE_S" --active "$ACTIVE_S" --ovhd "$OVHD_MIB" >"$BENCH_DIR/fleet.csv"
"$BLIMP" sim --fleet "$BENCH_DIR/fleet.csv" --plan --host-mem "${BUDGET_MIB}M" --balance-ms 1000 \
	--hours 0.5 --max-vms 32 >"$BENCH_DIR/sim.txt" 2>&1 || bench_log "blimp sim failed: $(tail -2 "$BENCH_DIR/sim.txt")"

echo
echo "bench/density: VMs of ${MEM_MIB} MiB (fill 400 MiB page cache, wsloop ${WS_MIB} MiB for ${ACTIVE_S} s every ${CYCLE_S} s, phase-shifted), budget ${BUDGET_MIB} MiB, at most $MAXN VMs, tree $REV, accel $(bench_accel), $(nproc) cores, run took $(((SECONDS - T_START) / 60)) min"
python3 "$HERE/analyze.py" table --dir "$BENCH_DIR" --policies "$POLICIES" --budget "$BUDGET_MIB" \
	--cycle "$CYCLE_S" --active "$ACTIVE_S" --ws "$WS_MIB" --max "$MAXN" --sim "$BENCH_DIR/sim.txt" \
	--plot "${DEN_PLOT:-}"
