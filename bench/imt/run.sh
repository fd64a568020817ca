#!/bin/bash
# bench/imt: Waldspurger's Fig. 7 (OSDI 2002, section 5.3): two VMs with equal shares
# under one budget. iv0 is idle but holds memory it allocated and no longer touches
# (memhog IDLE_MIB, written once, then held); iv1 runs the built-in page-cache
# workload (fileread over the data disk's ~400 MiB of files), whose throughput
# depends on how much of its file set stays cached. One blimpd, one pair of guests,
# two phases in the same run: PHASE_S at idle_tax 0, then PHASE_S at idle_tax TAX
# (set at run time with `blimp config set`, as the paper changes Mem.IdleTax on the
# running host). Recorded: `blimp top -b` every second (CONSUMED, ACTV, entitlement,
# target of both VMs), iv1's fileread log, iv1's vCPU schedstat (the 2-core host's
# contention), both guests' kernel logs (OOM kills) and swap counters. analyze.py
# prints the table, the RESULT line and the plot (CONSUMED and ACTV of both VMs over
# time, as the paper's figure, and iv1's throughput).
# The budget: after both workloads started, host_mem is set so that the memory the
# policy divides (budget - OVHD - minFree) is AVAIL_MIB: too little for iv1 to cache
# its file set at half of it, enough once the tax moves iv0's idle memory over.
# Env: IMT_MEM_MIB (640, each VM's MEMSZ), IMT_IDLE_MIB (250, iv0's allocation),
# IMT_GUEST_SWAP_MIB (512: iv0 pages its idle memory out there, as the paper's guests
# do), IMT_MAXMEMCTL_MIB (MEMSZ - 96: the balloon may take all but 96 MiB; at the 65%
# default the balloon cannot take iv0 below 224 MiB, and with 250 MiB each untaxed the
# tax could move 26 MiB), IMT_AVAIL_MIB (700), IMT_PHASE_S (240), IMT_MEASURE_S (the last 120 s of each
# phase are measured), IMT_TAX (0.75), IMT_ACCESS_SAMPLE_S (10: host-side access
# sampling window), IMT_FLOOR_ACTIVE (true: the balloon may take what the host saw
# untouched, docs/policy.md "Active memory"), IMT_CONF_EXTRA (more blimpd.conf
# lines, \n between), IMT_PLOT (PNG), BENCH_KEEP=1 keeps the work dir.
# shellcheck source=bench/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
bench_init imt
HERE=$(cd "$(dirname "$0")" && pwd)
MEM_MIB=${IMT_MEM_MIB:-640}
IDLE_MIB=${IMT_IDLE_MIB:-250}
SWAP_MIB=${IMT_GUEST_SWAP_MIB:-512}
MAXMEMCTL_MIB=${IMT_MAXMEMCTL_MIB:-$((MEM_MIB - 96))}
AVAIL_MIB=${IMT_AVAIL_MIB:-700}
PHASE_S=${IMT_PHASE_S:-240}
MEASURE_S=${IMT_MEASURE_S:-$((PHASE_S / 2))}
TAX=${IMT_TAX:-0.75}
SAMPLE_S=${IMT_ACCESS_SAMPLE_S:-10}
FLOOR_ACTIVE=${IMT_FLOOR_ACTIVE:-true}
T_START=$SECONDS

bench_build
REV=$(bench_rev)
vm_exec() { "$BLIMP" exec "$1" --timeout 30 -- sh -c "$2"; }

conf="$BENCH_DIR/blimpd.conf"
printf '[blimpd]\nlog_level = info\nidle_tax = 0\naccess_sample_s = %s\nfloor_active = %s\n' \
	"$SAMPLE_S" "$FLOOR_ACTIVE" >"$conf"
[ -z "${IMT_CONF_EXTRA:-}" ] || printf '%b\n' "$IMT_CONF_EXTRA" >>"$conf"
# a budget nothing presses against while the guests boot; the real one is set below
bench_daemon_start --config "$conf" --host-mem 64G
for vm in iv0 iv1; do
	"$BLIMP" start "$vm" --mem "${MEM_MIB}M" --guest-swap "${SWAP_MIB}M" --maxmemctl "${MAXMEMCTL_MIB}M" \
		>"$BENCH_DIR/start.$vm.out" 2>&1 || bench_die "start $vm: $(cat "$BENCH_DIR/start.$vm.out")"
done
for vm in iv0 iv1; do
	bench_wait 300 "$BLIMP" exec "$vm" --timeout 10 -- true || bench_die "$vm did not come up"
done
vm_exec iv0 "memhog $IDLE_MIB --hold forever >/tmp/memhog.log 2>&1 </dev/null &" >/dev/null ||
	bench_die "memhog did not start"
bench_wait 120 vm_exec iv0 'grep -q touched /tmp/memhog.log' || bench_die "memhog did not finish"
date +%s%3N >"$BENCH_DIR/fileread.start"
vm_exec iv1 'fileread /data/files >/tmp/fileread.log 2>&1 </dev/null &' >/dev/null ||
	bench_die "fileread did not start"
sleep 20
# budget = (AVAIL + OVHD) / (1 - 6%): minFree is 6% of a budget under 4 GiB
ovhd=0
for vm in iv0 iv1; do ovhd=$((ovhd + $(bench_json ovhd stats "$vm") / 1048576)); done
BUDGET_MIB=$(((AVAIL_MIB + ovhd) * 100 / 94))
bench_log "OVHD ${ovhd} MiB in all: budget ${BUDGET_MIB} MiB (${AVAIL_MIB} MiB to divide)"
"$BLIMP" config set "host_mem=${BUDGET_MIB}M" >/dev/null || bench_die "cannot set host_mem"

secs=$((2 * PHASE_S))
bench_log "phase A: idle_tax 0 for ${PHASE_S} s, then B: idle_tax $TAX for ${PHASE_S} s"
date +%s%3N >"$BENCH_DIR/phase.a"
bench_vcpu_sampler "$BENCH_DIR/vcpu.txt" "$secs" iv1 &
sampler=$!
(
	sleep "$PHASE_S"
	"$BLIMP" config set "idle_tax=$TAX" >"$BENCH_DIR/tax.out" 2>&1
	date +%s%3N >"$BENCH_DIR/phase.b"
	vm_exec iv0 'grep -E "^(pswpin|pswpout) " /proc/vmstat' >"$BENCH_DIR/vmstat.iv0.a.txt" 2>&1
) &
taxer=$!
bench_top_window "$BENCH_DIR" "$secs"
wait "$sampler" "$taxer"
grep -q . "$BENCH_DIR/phase.b" || bench_die "idle_tax was not set: $(cat "$BENCH_DIR/tax.out")"
# shellcheck disable=SC2016 # expanded in the guest
vm_exec iv1 'kill $(pidof fileread); sleep 1; cat /tmp/fileread.log' >"$BENCH_DIR/fileread.log"
for vm in iv0 iv1; do
	vm_exec "$vm" 'dmesg' >"$BENCH_DIR/dmesg.$vm.log" 2>&1
	vm_exec "$vm" 'grep -E "^(pswpin|pswpout|oom_kill) " /proc/vmstat; pidof memhog >/dev/null && echo memhog alive' \
		>"$BENCH_DIR/vmstat.$vm.txt" 2>&1
done
"$BLIMP" status >"$BENCH_DIR/status.txt" 2>&1
bench_daemon_stop

echo
echo "bench/imt: Waldspurger's Fig. 7. 2 VMs x ${MEM_MIB} MiB, equal shares, maxmemctl ${MAXMEMCTL_MIB} MiB, budget ${BUDGET_MIB} MiB (${AVAIL_MIB} MiB to divide after OVHD ${ovhd} MiB and minFree); iv0 holds memhog ${IDLE_MIB} MiB untouched (guest swap ${SWAP_MIB} MiB), iv1 runs fileread over /data/files; idle_tax 0 for ${PHASE_S} s, then ${TAX} for ${PHASE_S} s (last ${MEASURE_S} s of each measured); access_sample_s ${SAMPLE_S}, floor_active ${FLOOR_ACTIVE}; tree $REV, accel $(bench_accel), $(nproc) cores, run took $(((SECONDS - T_START) / 60)) min"
python3 "$HERE/analyze.py" --dir "$BENCH_DIR" --phase "$PHASE_S" --measure "$MEASURE_S" \
	--tax "$TAX" --idle "$IDLE_MIB" --plot "${IMT_PLOT:-}"
