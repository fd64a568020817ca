#!/bin/bash
# bench/policies: the demo's 4-VM rotating working-set scenario (src/cli/demo_plan.c,
# asked through plan.c) under each policy, plus an unconstrained run (same VMs, same
# workload, a budget nothing presses against). Per run: a fresh blimpd (embedded
# libvirt), 4 fresh guests that fill their page cache from the data disk, then VM i
# runs `wsloop WS` during phase i, for ROUNDS rotations. Recorded: `blimp top -b`
# every second (host free, MCTLSZ, SWCUR), each guest's wsloop log (t_ms, pages_per_s, resident_mib) and its
# kernel log (OOM kills). analyze.py turns them into the table.
# Env: POL_POLICIES ("blimp static proxmox mom"), POL_PHASE_S (30, the demo's
# default 120 s / 4 VMs), POL_ROUNDS (2: each VM bursts twice; the first rotation
# starts with every guest full of page cache, the second from the policy's own
# steady state), POL_VMS (4), POL_MEM_MIB (512), POL_WS_MIB (300),
# POL_BIG_BUDGET (64G: the unconstrained run), POL_BUDGET_MIB (fix the budget instead
# of the demo's choice from the measured OVHD), POL_CONF_EXTRA (lines appended to every
# run's blimpd.conf, e.g. 'ksm_pages_to_scan_high = 0'; \n separates lines),
# POL_PLOT (PNG to write),
# BENCH_KEEP=1 keeps the work dir.
# shellcheck source=bench/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
bench_init policies
HERE=$(cd "$(dirname "$0")" && pwd)
POLICIES=${POL_POLICIES:-blimp static proxmox mom}
PHASE_S=${POL_PHASE_S:-30}
ROUNDS=${POL_ROUNDS:-2}
NVMS=${POL_VMS:-4}
MEM_MIB=${POL_MEM_MIB:-512}
WS_MIB=${POL_WS_MIB:-300}
BIG=${POL_BIG_BUDGET:-64G}
FIXED_BUDGET_MIB=${POL_BUDGET_MIB:-}
T_START=$SECONDS

bench_build
REV=$(bench_rev)
PLAN="$BENCH_DIR/plan"
# shellcheck disable=SC2046 # pkg-config prints several flags
cc -std=gnu11 -O2 -Wall -Wextra -Werror -Wshadow -D_GNU_SOURCE -I"$BENCH_ROOT/src" \
	$(pkg-config --cflags json-c) -o "$PLAN" "$HERE/plan.c" "$BENCH_ROOT/build/libcli.a" ||
	bench_die "plan.c did not build"
MAXMEMCTL_MIB=$("$PLAN" maxmemctl "$MEM_MIB")

# vm_exec NAME CMD: run a shell command in the guest, print its output
vm_exec() { "$BLIMP" exec "$1" --timeout 30 -- sh -c "$2"; }
all_filled() {
	local i
	for i in $(seq 0 $((NVMS - 1))); do
		vm_exec "pv$i" 'test -e /tmp/demo-filled' >/dev/null 2>&1 || return 1
	done
}

# vcpu_sampler OUT SECONDS: every 0.5 s, per VM, the vCPU thread's schedstat (ns on
# CPU, ns runnable but waiting for a CPU): under TCG on a shared 2-core host the
# waiting share swings with other load, and analyze.py divides it out.
# shellcheck disable=SC2046 # one VM name a word
vcpu_sampler() { bench_vcpu_sampler "$1" "$2" $(seq -f "pv%g" 0 $((NVMS - 1))); }

# phases OUT GO LABEL: as the demo does, start VM i's phase of rotation r from the
# host through the guest agent at GO + (r * NVMS + i) * PHASE_S (guest clocks lag
# seconds under TCG); the host time of each start is appended to OUT/phase.pvI (ms,
# one line per rotation) for the contention correction. wsloop appends each burst's
# samples to the guest's /tmp/wsloop.log (t_ms restarts at 0).
phases() {
	local out=$1 go=$2 label=$3 r i at now
	for r in $(seq 0 $((ROUNDS - 1))); do
		for i in $(seq 0 $((NVMS - 1))); do
			at=$((go + (r * NVMS + i) * PHASE_S))
			while [ "$(date +%s)" -lt "$at" ]; do sleep 0.05; done
			now=$(date +%s)
			date +%s%3N >>"$out/phase.pv$i"
			vm_exec "pv$i" "$("$PLAN" phase-cmd "$((at + PHASE_S - now))" "$WS_MIB")" >/dev/null ||
				bench_log "$label: phase $((r + 1)) of pv$i did not start"
		done
	done
}

# one_run LABEL POLICY BUDGET, as `blimp demo` does it: blimpd under the static
# policy while the guests boot and fill their page cache, OVHD measured, blimpd
# restarted with --keep-vms under POLICY and BUDGET, the schedule started 2 s later.
# Results under BENCH_DIR/LABEL.
one_run() {
	local label=$1 policy=$2 budget=$3 out="$BENCH_DIR/$1" i
	mkdir -p "$out"
	# the demo's host swap file: as large as all VMs
	printf '[blimpd]\nswapfile_size = %sM\nlog_level = info\n' "$((NVMS * MEM_MIB))" >"$out/blimpd.conf"
	# extra settings for every run of this benchmark (an experiment's knob)
	[ -z "${POL_CONF_EXTRA:-}" ] || printf '%b\n' "$POL_CONF_EXTRA" >>"$out/blimpd.conf"
	BLIMP_SOCKET="$out/blimpd.sock"
	BENCH_STATE="$out/state"
	export BLIMP_SOCKET
	: >"$BENCH_DIR/blimpd.log"
	bench_log "$label: booting $NVMS guests under static"
	bench_daemon_start --config "$out/blimpd.conf" --policy static
	for i in $(seq 0 $((NVMS - 1))); do
		"$BLIMP" start "pv$i" --mem "${MEM_MIB}M" --maxmemctl "${MAXMEMCTL_MIB}M" \
			--guest-swap 256M -- sh -c "$("$PLAN" guest-cmd)" \
			>"$out/start.pv$i.out" 2>&1 ||
			bench_die "$label: start pv$i: $(cat "$out/start.pv$i.out")"
	done
	bench_wait 400 all_filled || bench_die "$label: page cache fill did not finish"
	"$BLIMP" top -b -n 1 >"$out/filled.csv"
	bench_daemon_stop --keep-vms
	bench_log "$label: policy $policy, budget $budget"
	bench_daemon_start --config "$out/blimpd.conf" --policy "$policy" --host-mem "$budget"
	local secs=$((ROUNDS * NVMS * PHASE_S + 3))
	local go=$(($(date +%s) + 2))
	echo "$go" >"$out/go"
	vcpu_sampler "$out/vcpu.txt" "$((secs + 1))" &
	local sampler=$!
	phases "$out" "$go" "$label" &
	local phaser=$!
	while [ "$(date +%s)" -lt "$go" ]; do sleep 0.1; done
	bench_top_window "$out" "$secs"
	wait "$sampler" "$phaser"
	# shellcheck disable=SC2046 # one VM name a word
	bench_guest_logs "$out" "$label" $(seq -f "pv%g" 0 $((NVMS - 1)))
	bench_daemon_stop
	cp "$BENCH_DIR/blimpd.log" "$out/blimpd.log"
}

one_run unconstrained blimp "$BIG"
OVHD_MIB=$(python3 "$HERE/analyze.py" ovhd "$BENCH_DIR/unconstrained/filled.csv")
BUDGET_MIB=$("$PLAN" budget "$NVMS" "$MEM_MIB" "$WS_MIB" "$OVHD_MIB")
bench_log "measured OVHD ${OVHD_MIB} MiB per VM -> budget ${BUDGET_MIB} MiB (demo_plan_budget)"
if [ -n "$FIXED_BUDGET_MIB" ]; then
	BUDGET_MIB=$FIXED_BUDGET_MIB
	bench_log "budget fixed by POL_BUDGET_MIB: $BUDGET_MIB MiB"
fi
for p in $POLICIES; do
	one_run "$p" "$p" "${BUDGET_MIB}M"
done

echo
echo "bench/policies: demo scenario, $NVMS VMs x ${MEM_MIB} MiB (MCTLMAX ${MAXMEMCTL_MIB} MiB), wsloop ${WS_MIB} MiB for ${PHASE_S} s per VM in turn, $ROUNDS rotations, budget ${BUDGET_MIB} MiB (OVHD ${OVHD_MIB} MiB/VM measured), host swap $((NVMS * MEM_MIB)) MiB, guest swap 256 MiB, tree $REV, accel $(bench_accel), $(nproc) cores, run took $(((SECONDS - T_START) / 60)) min"
python3 "$HERE/analyze.py" table --dir "$BENCH_DIR" --ws "$WS_MIB" --phase "$PHASE_S" \
	--vms "$NVMS" --rounds "$ROUNDS" --policies "$POLICIES" --budget "$BUDGET_MIB" --plot "${POL_PLOT:-}"
