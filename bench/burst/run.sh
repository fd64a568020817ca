#!/bin/bash
# bench/burst: the burst that arrives after the host has taken the VM's memory away.
# N guests (default 3 x 512 MiB) on a budget overcommitted ~1.5x by MEMSZ sit idle
# (their page cache full from reading their data disk at boot, as the demo's guests)
# long enough for each policy to balloon them down (BURST_IDLE_S), then one VM at a
# time runs `wsloop WS` for BURST_PHASE_S, at seeded random times (the same schedule
# for every policy). Per policy, in the same run: a fresh blimpd (embedded libvirt)
# and fresh guests; recorded: `blimp top -b` every second (MCTLSZ of each VM when its
# burst starts, host free), each guest's wsloop log (t_ms, pages_per_s, resident_mib),
# its kernel log (OOM kills) and the vCPU threads' schedstat (contention correction,
# as bench/policies). analyze.py prints the table and the RESULT line.
# Policies (BURST_POLICIES, default "blimp proxmox80 proxmoxm mom static"; the
# unconstrained run, same guests and workload under a budget nothing presses
# against, always runs first):
#   blimp        blimp's defaults (no host swap file: the default)
#   blimp-level  blimp with levelling (level_headroom = true; off by default), to show
#                its effect in the same run
#   proxmox80    policy proxmox, proxmox_ballooning_target = 80 (pvestatd's default)
#   proxmoxm     policy proxmox at the target that matches blimp's fill: blimp fills to
#                budget - minFree, so target = floor(100 x (budget - minFree) / budget)
#   mom          policy mom (VDSM's 15 s rounds, StatAvg)
#   static       no ballooning
# proxmox* and mom run KSM by ksmtuned's rule (ksm_policy = ksmtuned, as their users
# run them: Proxmox hosts run ksmtuned, VDSM's MOM runs the same rule in its
# 03-ksm.policy; BURST_BASELINE_KSM=blimp for blimp's table).
# Env: BURST_VMS (3), BURST_MEM_MIB (512), BURST_WS_MIB (256), BURST_BUDGET_MIB (the
# VMs' MEMSZ / 1.5), BURST_IDLE_S (150), BURST_PHASE_S (30), BURST_GAP_MIN_S (10),
# BURST_GAP_MAX_S (30), BURST_ROUNDS (1: each VM bursts once per round), BURST_SEED
# (1), BURST_PLOT (PNG), BENCH_KEEP=1 keeps the work dir.
# shellcheck source=bench/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
bench_init burst
HERE=$(cd "$(dirname "$0")" && pwd)
POLICIES=${BURST_POLICIES:-blimp proxmox80 proxmoxm mom static}
NVMS=${BURST_VMS:-3}
MEM_MIB=${BURST_MEM_MIB:-512}
WS_MIB=${BURST_WS_MIB:-256}
BUDGET_MIB=${BURST_BUDGET_MIB:-$((NVMS * MEM_MIB * 2 / 3))}
IDLE_S=${BURST_IDLE_S:-150}
PHASE_S=${BURST_PHASE_S:-30}
GAP_MIN=${BURST_GAP_MIN_S:-10}
GAP_MAX=${BURST_GAP_MAX_S:-30}
ROUNDS=${BURST_ROUNDS:-1}
SEED=${BURST_SEED:-1}
BASE_KSM=${BURST_BASELINE_KSM:-ksmtuned}
BIG=64G
T_START=$SECONDS

bench_build
REV=$(bench_rev)
# The schedule: "offset_s vm" per burst, offsets from the end of the idle time.
python3 "$HERE/analyze.py" schedule --vms "$NVMS" --rounds "$ROUNDS" --phase "$PHASE_S" \
	--gap-min "$GAP_MIN" --gap-max "$GAP_MAX" --seed "$SEED" >"$BENCH_DIR/schedule" ||
	bench_die "schedule"
MATCHED=$(python3 "$HERE/analyze.py" matched --budget "$BUDGET_MIB")
bench_log "budget ${BUDGET_MIB} MiB; proxmox target matching blimp's fill: ${MATCHED}%"
SPAN=$(awk -v p="$PHASE_S" '{ e = $1 + p; if (e > m) m = e } END { print m + 0 }' "$BENCH_DIR/schedule")

vm_exec() { "$BLIMP" exec "$1" --timeout 30 -- sh -c "$2"; }

# vcpu_sampler OUT SECONDS: as bench/policies (schedstat of each vCPU thread, 0.5 s)
# shellcheck disable=SC2046 # one VM name a word
vcpu_sampler() { bench_vcpu_sampler "$1" "$2" $(seq -f "bv%g" 0 $((NVMS - 1))); }

# host_thp VM: the host's transparent huge pages backing VM's QEMU (KiB)
host_thp() {
	local pid
	pid=$(pgrep -f "guest=$1," | head -1)
	awk '/^AnonHugePages:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null || echo -
}

# bursts OUT GO: each burst of the schedule at GO + offset, through the guest agent;
# the host ms of each start goes to OUT/phase.bvI (one line per burst of that VM).
# For the diagnosis of what a burst costs: the guest's swap and fault counters around
# each burst (in the guest: /tmp/vms.K.a before wsloop, .b after) and the host's THP
# behind the VM at the burst's start and end (OUT/thp.bvI, "start end" KiB a line).
bursts() {
	local out=$1 go=$2 off vm at k
	local keys="grep -E '^(pswpin|pswpout|pgmajfault|oom_kill) ' /proc/vmstat"
	while read -r off vm; do
		at=$((go + off))
		while [ "$(date +%s)" -lt "$at" ]; do sleep 0.05; done
		date +%s%3N >>"$out/phase.bv$vm"
		k=$(wc -l <"$out/phase.bv$vm")
		vm_exec "bv$vm" "($keys >/tmp/vms.$k.a; wsloop $WS_MIB --duration $PHASE_S --log /tmp/wsloop.log >/dev/null 2>&1 </dev/null; $keys >/tmp/vms.$k.b) >/dev/null 2>&1 </dev/null &" \
			>/dev/null || bench_log "burst of bv$vm at +$off s did not start"
		(
			t0=$(host_thp "bv$vm")
			sleep "$PHASE_S"
			echo "$t0 $(host_thp "bv$vm")" >>"$out/thp.bv$vm"
		) &
	done <"$BENCH_DIR/schedule"
	wait
}

# burst_vmstat OUT VM: the guest's counters around each of its bursts, to OUT/vms.VM.log
burst_vmstat() {
	# shellcheck disable=SC2016 # expanded by the guest's shell
	vm_exec "$2" 'for f in /tmp/vms.*; do [ -e "$f" ] || continue; while read -r k v; do echo "${f#/tmp/vms.} $k $v"; done <"$f"; done' \
		>"$1/vms.$2.log" 2>&1
}


# one_run LABEL POLICY BUDGET [CONF LINES]: guests booted under static (no budget
# pressure while they boot), blimpd restarted with --keep-vms under POLICY and
# BUDGET, IDLE_S of idling, then the bursts.
one_run() {
	local label=$1 policy=$2 budget=$3 conf=${4:-} out="$BENCH_DIR/$1" i
	mkdir -p "$out"
	printf '[blimpd]\nlog_level = info\n' >"$out/blimpd.conf"
	[ -z "$conf" ] || printf '%b\n' "$conf" >>"$out/blimpd.conf"
	BLIMP_SOCKET="$out/blimpd.sock"
	BENCH_STATE="$out/state"
	export BLIMP_SOCKET
	: >"$BENCH_DIR/blimpd.log"
	bench_log "$label: booting $NVMS guests under static"
	bench_daemon_start --config "$out/blimpd.conf" --policy static
	# as the demo's guests: read the data disk once, so the page cache holds what an
	# idle VM that ran something before holds; that is what the policies take away
	for i in $(seq 0 $((NVMS - 1))); do
		"$BLIMP" start "bv$i" --mem "${MEM_MIB}M" --guest-swap 256M \
			-- sh -c 'cat /data/files/*/* >/dev/null 2>&1; echo 1 >/tmp/filled' \
			>"$out/start.bv$i.out" 2>&1 ||
			bench_die "$label: start bv$i: $(cat "$out/start.bv$i.out")"
	done
	for i in $(seq 0 $((NVMS - 1))); do
		bench_wait 400 vm_exec "bv$i" 'test -e /tmp/filled' ||
			bench_die "$label: bv$i page cache fill did not finish"
	done
	"$BLIMP" top -b -n 1 >"$out/filled.csv"
	bench_daemon_stop --keep-vms
	bench_log "$label: policy $policy, budget $budget, idle ${IDLE_S} s, bursts over ${SPAN} s"
	bench_daemon_start --config "$out/blimpd.conf" --policy "$policy" --host-mem "$budget"
	local go=$(($(date +%s) + IDLE_S))
	echo "$go" >"$out/go"
	local secs=$((IDLE_S + SPAN + 3))
	vcpu_sampler "$out/vcpu.txt" "$secs" &
	local sampler=$!
	bursts "$out" "$go" &
	local burster=$!
	bench_top_window "$out" "$secs"
	wait "$sampler" "$burster"
	# shellcheck disable=SC2046 # one VM name a word
	bench_guest_logs "$out" "$label" $(seq -f "bv%g" 0 $((NVMS - 1)))
	for i in $(seq 0 $((NVMS - 1))); do burst_vmstat "$out" "bv$i"; done
	"$BLIMP" status >"$out/status.txt" 2>&1
	bench_daemon_stop
	cp "$BENCH_DIR/blimpd.log" "$out/blimpd.log"
}

one_run unconstrained blimp "$BIG"
for p in $POLICIES; do
	case $p in
	blimp) one_run blimp blimp "${BUDGET_MIB}M" ;;
	blimp-level) one_run blimp-level blimp "${BUDGET_MIB}M" "level_headroom = true" ;;
	proxmox80) one_run proxmox80 proxmox "${BUDGET_MIB}M" \
		"proxmox_ballooning_target = 80\nksm_policy = $BASE_KSM" ;;
	proxmoxm) one_run proxmoxm proxmox "${BUDGET_MIB}M" \
		"proxmox_ballooning_target = $MATCHED\nksm_policy = $BASE_KSM" ;;
	mom) one_run mom mom "${BUDGET_MIB}M" "ksm_policy = $BASE_KSM" ;;
	static) one_run static static "${BUDGET_MIB}M" ;;
	*) bench_die "unknown policy $p" ;;
	esac
done

echo
echo "bench/burst: $NVMS VMs x ${MEM_MIB} MiB on a budget of ${BUDGET_MIB} MiB (MEMSZ $(awk -v a="$((NVMS * MEM_MIB))" -v b="$BUDGET_MIB" 'BEGIN { printf "%.2f", a / b }')x), idle ${IDLE_S} s, then wsloop ${WS_MIB} MiB for ${PHASE_S} s per burst, $ROUNDS round(s), gaps ${GAP_MIN}-${GAP_MAX} s (seed $SEED), proxmox matched target ${MATCHED}%, baselines' KSM $BASE_KSM, no host swap file, guest swap 256 MiB, tree $REV, accel $(bench_accel), $(nproc) cores, run took $(((SECONDS - T_START) / 60)) min"
python3 "$HERE/analyze.py" table --dir "$BENCH_DIR" --ws "$WS_MIB" --phase "$PHASE_S" \
	--vms "$NVMS" --policies "$POLICIES" --budget "$BUDGET_MIB" --matched "$MATCHED" \
	--plot "${BURST_PLOT:-}"
