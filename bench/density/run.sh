#!/bin/bash
# bench/density: how many 512 MiB VMs with phase-shifted working sets fit a fixed
# budget under each policy. VMs are added one at a time; after each addition and a
# settling time, whole workload cycles are measured. The count for a policy is the
# last VM count before the SLO broke. SLO broken at count k when, in the window:
#   - the bursting VMs' throughput (contention-adjusted wsloop pages/s, the mean over
#     bursts of each one's median) is < 90% of the reference run's (same VMs, same
#     schedule, no budget: static, 64G; over all its bursts), or
#   - any guest OOM kill, or a VM's QEMU died, or
#   - sum CONSUMED + OVHD was over the budget in > 10% of the 1 s samples (the budget
#     stands for the host's RAM; a policy that ignores it would swap or OOM a real
#     host, while this 24 GiB dev box hides that).
# A step's window holds whole cycles, enough for at least MIN_BURSTS bursts (one
# cycle has one burst per VM; the samples of one burst are not independent: bursts
# differ by up to 30% from one another, the samples within one by a few %). A step broken
# by throughput alone is measured again over a window as long and judged by that.
# The simulator's prediction (`blimp sim --plan` on the same fleet) is printed beside.
#
# Guests: the built-in guest, MEMSZ 512 MiB (MCTLMAX 80%, 256 MiB guest swap, as the
# demo), reading its data disk into page cache at boot (idle VMs hold memory, as in
# the demo). The bursts are driven from the host (guest clocks lag seconds behind it
# under TCG, so a schedule kept in the guest drifted): a phaser per sequence starts
# `wsloop WS --duration ACTIVE_S` in VM k through the guest agent at host times
# epoch + (k-1)*ACTIVE_S mod CYCLE_S + m*CYCLE_S, for every VM whose cache is filled.
# Each burst's scheduled and actual host start (ms) goes to LABEL/bursts; its wsloop
# log stays in the guest as /tmp/ws/SEQ.log. analyze.py places the samples on the
# host's clock from those starts (see den_burst_cmd for the guest-side markers).
# Env: DEN_POLICIES ("blimp proxmox mom static"; also proxmox80, proxmoxm (the
# ballooning-target matching blimp's fill) and momvdsm: the baselines with ksmtuned's
# KSM, as their users run them), DEN_MAX (6), DEN_BUDGET_MIB (1536),
# DEN_MEM_MIB (512), DEN_WS_MIB (300, the demo's), DEN_CYCLE_S (30), DEN_ACTIVE_S (10),
# DEN_SETTLE_S (20), DEN_MIN_BURSTS (3), DEN_CONF_EXTRA (lines appended to each
# policy's blimpd.conf; \n separates lines), DEN_PLOT (PNG), BENCH_KEEP=1, DEN_REUSE / DEN_REUSE_LABELS (below).
# shellcheck source=bench/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
bench_init density
HERE=$(cd "$(dirname "$0")" && pwd)
POLICIES=${DEN_POLICIES:-blimp proxmox mom static}
MAXN=${DEN_MAX:-6}
BUDGET_MIB=${DEN_BUDGET_MIB:-1536}
MEM_MIB=${DEN_MEM_MIB:-512}
WS_MIB=${DEN_WS_MIB:-300}
CYCLE_S=${DEN_CYCLE_S:-30}
ACTIVE_S=${DEN_ACTIVE_S:-10}
SETTLE_S=${DEN_SETTLE_S:-20}
MIN_BURSTS=${DEN_MIN_BURSTS:-3}
# shellcheck disable=SC2017 # the demo's rounding (demo_plan_maxmemctl)
MAXMEMCTL_MIB=$((MEM_MIB / 5 * 4))
T_START=$SECONDS

bench_build
REV=$(bench_rev)

vm_exec() { "$BLIMP" exec "$1" --timeout 30 -- sh -c "$2"; }

# the guest's boot command: fill the page cache; the bursts come from the phaser
guest_cmd() { printf '%s' 'cat /data/files/*/* >/dev/null 2>&1; echo 1 >/tmp/filled'; }

# host wall clock, ms, into DEN_NOW_MS (no fork: the phaser reads it often)
den_now() {
	local us=${EPOCHREALTIME//[!0-9]/}
	DEN_NOW_MS=$((us / 1000))
}

# den_burst_cmd SEQ: burst SEQ in the guest, in the background (the agent answers once
# the shell exits). /tmp/ws/SEQ.log gets "up GUEST_UPTIME_S", wsloop's samples (t_ms
# counts from the end of its allocation), then "end STATUS GUEST_UPTIME_S": the guest
# clock's rate is close enough over a burst to tell how long the allocation took.
den_burst_cmd() {
	local f="/tmp/ws/$1.log"
	printf '%s' "mkdir -p /tmp/ws; ( read u _ </proc/uptime; echo \"up \$u\" >>$f; " \
		"wsloop $WS_MIB --duration $ACTIVE_S --log $f >/dev/null 2>&1; r=\$?; " \
		"read u _ </proc/uptime; echo \"end \$r \$u\" >>$f ) </dev/null >/dev/null 2>&1 &"
}

# den_burst OUT K SEQ SCHED_S LABEL: start burst SEQ in dvK now; append
# "SEQ dvK SCHED_MS ISSUE_MS DONE_MS RC" to OUT/bursts (one short write: atomic).
den_burst() {
	local issue rc
	den_now
	issue=$DEN_NOW_MS
	"$BLIMP" exec "dv$2" --timeout 15 -- sh -c "$(den_burst_cmd "$3")" >/dev/null 2>&1
	rc=$?
	den_now
	echo "$3 dv$2 $(($4 * 1000)) $issue $DEN_NOW_MS $rc" >>"$1/bursts"
	[ "$rc" = 0 ] || bench_log "$5: burst $3 of dv$2 did not start (exec status $rc)"
}

# phaser OUT EPOCH LABEL: every whole host second from EPOCH on, start the bursts due
# then in the VMs listed ready in OUT/vms (a count), each exec in a background child,
# until OUT/phaser.stop exists or the benchmark's shell is gone. A late slot is still
# started (late); the analyzer sees the actual start.
phaser() {
	local out=$1 epoch=$2 label=$3 next=$2 seq=0 n k wait_ms ms
	while [ ! -e "$out/phaser.stop" ] && kill -0 $$ 2>/dev/null; do
		den_now
		wait_ms=$((next * 1000 - DEN_NOW_MS))
		if [ "$wait_ms" -gt 0 ]; then
			ms=$((wait_ms < 500 ? wait_ms : 500))
			printf -v ms '0.%03d' "$ms"
			sleep "$ms"
			continue
		fi
		[ "$wait_ms" -lt -1000 ] && bench_log "$label: phaser slot $next started $((-wait_ms)) ms late"
		n=0
		read -r n 2>/dev/null <"$out/vms"
		for ((k = 1; k <= n; k++)); do
			if (((next - epoch - (k - 1) * ACTIVE_S % CYCLE_S) % CYCLE_S == 0)); then
				seq=$((seq + 1))
				den_burst "$out" "$k" "$seq" "$next" "$label" &
			fi
		done
		next=$((next + 1))
	done
	wait
}

# den_window_seqs OUT VM WS SPAN: the bursts of VM scheduled in [WS, WS + SPAN) that
# started, by sequence number
den_window_seqs() {
	awk -v vm="$2" -v a="$(($3 * 1000))" -v b="$((($3 + $4) * 1000))" \
		'$2 == vm && $3 >= a && $3 < b && $6 == 0 { printf "%s ", $1 }' "$1/bursts" 2>/dev/null
}

# den_bursts_ended VM SEQS...: every one of those bursts wrote its end line
den_bursts_ended() {
	local vm=$1 s c=:
	shift
	for s in "$@"; do c="$c; grep -q '^end ' /tmp/ws/$s.log"; done
	vm_exec "$vm" "$c"
}

# vCPU thread schedstat of every VM, every 0.5 s, for SECONDS (see bench/policies)
# shellcheck disable=SC2046 # one VM name a word
vcpu_sampler() { bench_vcpu_sampler "$1" "$3" $(seq -f "dv%g" 1 "$2"); }

# measure_step OUT D K LABEL EPOCH JUDGE_MIB: measure the next whole cycles with K VMs
# (as many as MIN_BURSTS bursts take) into D and print analyze.py's verdict
measure_step() {
	local out=$1 d=$2 k=$3 label=$4 epoch=$5 judge_mib=$6
	# window: from the next cycle's start, ceil(MIN_BURSTS / K) whole cycles
	local now ws span
	now=$(date +%s)
	ws=$((epoch + ((now - epoch) / CYCLE_S + 1) * CYCLE_S))
	span=$((((MIN_BURSTS + k - 1) / k) * CYCLE_S))
	echo "$ws $span" >"$d/window"
	vcpu_sampler "$d/vcpu.txt" "$k" "$((ws - now + span + ACTIVE_S))" &
	local sampler=$!
	while [ "$(date +%s)" -lt "$ws" ]; do sleep 0.2; done
	"$BLIMP" top -b -n "$span" -d 1 >"$d/top.csv" 2>/dev/null
	wait "$sampler"
	# the window's last bursts run past it (guest time runs slow under TCG)
	for i in $(seq 1 "$k"); do
		local seqs
		read -ra seqs <<<"$(den_window_seqs "$out" "dv$i" "$ws" "$span")"
		bench_wait $((2 * ACTIVE_S + 10)) den_bursts_ended "dv$i" "${seqs[@]}" ||
			bench_log "$label: dv$i: a burst of the window did not end (${seqs[*]})"
	done
	cp "$out/bursts" "$d/bursts"
	for i in $(seq 1 "$k"); do
		# shellcheck disable=SC2016 # expanded by the guest's shell
		vm_exec "dv$i" 'for f in /tmp/ws/*.log; do [ -e "$f" ] || continue; n=${f##*/}; echo "burst ${n%.log}"; cat "$f"; done' \
			>"$d/ws.dv$i.log" 2>&1
		vm_exec "dv$i" 'dmesg' >"$d/dmesg.dv$i.log" 2>&1
		vm_exec "dv$i" 'cat /proc/vmstat' >"$d/vmstat.dv$i.log" 2>&1
		grep -h 'shutting down, reason=' "$out/state/libvirt/log/qemu/dv$i.log" \
			>"$d/qemu-exit.dv$i.log" 2>/dev/null
	done
	python3 "$HERE/analyze.py" step --dir "$d" --k "$k" --budget "$judge_mib" \
		--cycle "$CYCLE_S" --active "$ACTIVE_S" --ws "$WS_MIB" \
		--ref "$BENCH_DIR/reference/k$k"
}

# sequence LABEL POLICY BUDGET MAX JUDGE_MIB [CONF]: add VMs until the SLO breaks (judged by
# analyze.py against the reference's step with as many VMs) or MAX; results in
# BENCH_DIR/LABEL/kN/
sequence() {
	local label=$1 policy=$2 budget=$3 max=$4 judge_mib=$5 out="$BENCH_DIR/$1" k i
	mkdir -p "$out"
	printf '[blimpd]\nswapfile_size = %sM\nlog_level = info\n' "$((max * MEM_MIB))" >"$out/blimpd.conf"
	[ "$label" = reference ] || [ -z "${DEN_CONF_EXTRA:-}" ] || printf '%b\n' "$DEN_CONF_EXTRA" >>"$out/blimpd.conf"
	[ -z "${6:-}" ] || printf '%b\n' "$6" >>"$out/blimpd.conf"
	BLIMP_SOCKET="$out/blimpd.sock"
	BENCH_STATE="$out/state"
	export BLIMP_SOCKET
	: >"$BENCH_DIR/blimpd.log"
	bench_daemon_start --config "$out/blimpd.conf" --policy "$policy" --host-mem "$budget"
	local epoch=$(($(date +%s) + 5))
	echo "$epoch" >"$out/epoch"
	echo 0 >"$out/vms"
	: >"$out/bursts"
	rm -f "$out/phaser.stop"
	phaser "$out" "$epoch" "$label" &
	local phaser_pid=$!
	for k in $(seq 1 "$max"); do
		local d="$out/k$k"
		mkdir -p "$d"
		"$BLIMP" start "dv$k" --mem "${MEM_MIB}M" --maxmemctl "${MAXMEMCTL_MIB}M" \
			--guest-swap 256M -- sh -c "$(guest_cmd)" >"$d/start.out" 2>&1 ||
			{ bench_log "$label: start dv$k failed: $(cat "$d/start.out")"; break; }
		bench_wait 300 vm_exec "dv$k" 'test -e /tmp/filled' ||
			{ bench_log "$label: dv$k did not fill its cache"; break; }
		# the phaser starts dvK's bursts from its next slot on
		echo "$k" >"$out/vms.tmp" && mv "$out/vms.tmp" "$out/vms"
		sleep "$SETTLE_S"
		local verdict
		verdict=$(measure_step "$out" "$d" "$k" "$label" "$epoch" "$judge_mib")
		# A shortfall of throughput alone is confirmed by the next window before it
		# ends the sequence (the first window is kept in D/try1).
		if [ "$label" != reference ] && [[ "$verdict" =~ ^broken:\ throughput\ [0-9]+%\ of\ reference\ \| ]]; then
			bench_log "$label: $k VMs: $verdict (measuring the next cycle to confirm)"
			mkdir -p "$d/try1"
			find "$d" -maxdepth 1 -type f -exec mv {} "$d/try1/" \;
			verdict=$(measure_step "$out" "$d" "$k" "$label" "$epoch" "$judge_mib")
		fi
		bench_log "$label: $k VMs: $verdict"
		# the reference is the yardstick: it runs to the end (a slow step there is CPU
		# contention, which the same step of every policy shares)
		[ "$label" = reference ] || case "$verdict" in broken*) break ;; esac
	done
	touch "$out/phaser.stop"
	wait "$phaser_pid"
	bench_daemon_stop
	cp "$BENCH_DIR/blimpd.log" "$out/blimpd.log"
}

# the reference first (no budget: static with 64G), so each policy's sequence can stop
# at the first broken step
# DEN_REUSE=DIR DEN_REUSE_LABELS="reference blimp": copy those sequences from an earlier
# run's work dir (same settings) instead of running them again
reuse() {
	[ -n "${DEN_REUSE:-}" ] && [[ " ${DEN_REUSE_LABELS:-reference} " == *" $1 "* ]] &&
		[ -d "$DEN_REUSE/$1" ] || return 1
	cp -r "$DEN_REUSE/$1" "$BENCH_DIR/$1" && bench_log "$1: reused from $DEN_REUSE"
}
reuse reference || sequence reference static 64G "$MAXN" $((64 * 1024))
# the baselines as their users configure them (docs/policy.md): proxmox80 at
# pvestatd's default ballooning-target, proxmoxm at the target matching blimp's fill
# (budget - minFree), both and mom with ksmtuned's KSM rule (VDSM's MOM runs the same
# rule in 03-ksm.policy); plain proxmox/mom keep blimp's KSM table and target 80
MATCHED=$(python3 "$HERE/../burst/analyze.py" matched --budget "$BUDGET_MIB")
# each variant once: blimpd.conf lines for the real run, `blimp sim` flags for its plan
declare -A SIM_ARGS=()
for p in $POLICIES; do
	case $p in
	proxmox80) conf="proxmox_ballooning_target = 80\nksm_policy = ksmtuned" pol=proxmox
		SIM_ARGS[$p]="--policy proxmox --proxmox-target 80 --ksm-policy ksmtuned" ;;
	proxmoxm) conf="proxmox_ballooning_target = $MATCHED\nksm_policy = ksmtuned" pol=proxmox
		SIM_ARGS[$p]="--policy proxmox --proxmox-target $MATCHED --ksm-policy ksmtuned" ;;
	momvdsm) conf="ksm_policy = ksmtuned" pol=mom
		SIM_ARGS[$p]="--policy mom --ksm-policy ksmtuned" ;;
	*) conf="" pol=$p ;;
	esac
	reuse "$p" || sequence "$p" "$pol" "${BUDGET_MIB}M" "$MAXN" "$BUDGET_MIB" "$conf"
done

# the simulator on the same fleet (OVHD, the working set's ramp and KSM's share as
# measured on the reference run), judged as here: the host has this machine's RAM (it
# does not swap by itself) and more than 10% of the time over the budget breaks it
OVHD_MIB=$(python3 "$HERE/analyze.py" ovhd --dir "$BENCH_DIR/reference")
python3 "$HERE/analyze.py" fleet --vms "$MAXN" --mem "$MEM_MIB" --maxmemctl "$MAXMEMCTL_MIB" \
	--ws "$WS_MIB" --cycle "$CYCLE_S" --active "$ACTIVE_S" --ovhd "$OVHD_MIB" \
	--ref "$BENCH_DIR/reference" >"$BENCH_DIR/fleet.csv"
RAM_KIB=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
den_sim() {
	"$BLIMP" sim --fleet "$BENCH_DIR/fleet.csv" --plan --host-mem "${BUDGET_MIB}M" --balance-ms 1000 \
		--host-ram "${RAM_KIB}K" --max-over 10 --hours 0.5 --max-vms 32 "$@"
}
den_sim >"$BENCH_DIR/sim.txt" 2>&1 || bench_log "blimp sim failed: $(tail -2 "$BENCH_DIR/sim.txt")"
# the baseline variants, configured as above: one more RESULT line each, under the
# variant's name
for p in "${!SIM_ARGS[@]}"; do
	read -ra args <<<"${SIM_ARGS[$p]}"
	n=$(den_sim "${args[@]}" 2>&1 | sed -n 's/^RESULT .*\b'"${args[1]}"'_max_vms=\([0-9]*\).*/\1/p')
	echo "RESULT ${p}_max_vms=${n:-?}" >>"$BENCH_DIR/sim.txt"
done

echo
echo "bench/density: VMs of ${MEM_MIB} MiB (fill 400 MiB page cache, wsloop ${WS_MIB} MiB for ${ACTIVE_S} s every ${CYCLE_S} s, phase-shifted), budget ${BUDGET_MIB} MiB, at most $MAXN VMs, tree $REV, accel $(bench_accel), $(nproc) cores, run took $(((SECONDS - T_START) / 60)) min"
python3 "$HERE/analyze.py" table --dir "$BENCH_DIR" --policies "$POLICIES" --budget "$BUDGET_MIB" \
	--cycle "$CYCLE_S" --active "$ACTIVE_S" --ws "$WS_MIB" --max "$MAXN" --sim "$BENCH_DIR/sim.txt" \
	--plot "${DEN_PLOT:-}"
