#!/bin/bash
# Shares divide memory above reservation. Two busy 512 MiB guests (each rereads the
# 400 MiB data disk with fileread, so each wants all its memory as page cache) with
# shares 2000:1000 and reservation 128 MiB, on a budget with room for only ~300 MiB
# above both reservations. After the scheduler settles, the memory each holds above its
# reservation (CONSUMED - reservation, averaged over 20 s) is in about a 2:1 ratio.
#
# The idle memory tax is off (--idle-tax 0) so the split is shares alone: with the tax
# on, the two active-fraction estimates (which differ by noise: page cache churn, TCG
# timing) would move the split too. Tolerance 1.5..2.6: the balloon moves in probe
# steps (1% of MEMSZ per second), guest page cache refills between steps, and OVHD
# (counted in the budget, not in the split) differs by ~10 MiB between the two QEMUs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/t_sched_lib.inc"
RES_MIB=128
ABOVE_MIB=300 # memory above both reservations the budget leaves

# Balloon only: no cgroup limits pushing QEMU to host swap (the test is about the
# balloon; host swap has its own test, t_sched_noballoon.sh).
printf '[blimpd]\nhost_swap = false\n' >"$IT_DIR/blimpd.conf"
it_daemon_start --policy static || exit 1
busy='fileread /data/files --interval-ms 5000 >/tmp/fileread.log 2>&1'
it_check "s1 boots (shares 2000)" it_vm_start s1 --mem 512M --shares 2000 \
	--reservation ${RES_MIB}M --maxmemctl 410M -- sh -c "$busy"
it_check "s2 boots (shares 1000)" it_vm_start s2 --mem 512M --shares 1000 \
	--reservation ${RES_MIB}M --maxmemctl 410M -- sh -c "$busy"
oom_mark
sleep 20
top_csv
total=$(held)
ovhd=0
for v in s1 s2; do o=$(col "$v" ovhd); [ "${o:-0}" -gt "$ovhd" ] && ovhd=$o; done
# two OVHDs, both reservations, the part to divide, and ~7% for minFree
budget=$(((((2 * RES_MIB + ABOVE_MIB) * MIB + 2 * ovhd) * 107 / 100 + MIB - 1) / MIB * MIB))
it_log "static: both hold $(mib "$total") MiB (OVHD up to $(mib "$ovhd") MiB); budget $(mib "$budget") MiB"
it_check "too little memory for both ($(mib "$budget") < $(mib "$total") - 200 MiB)" \
	[ "$budget" -lt $((total - 200 * MIB)) ]

it_daemon_stop --keep-vms
it_daemon_start --config "$IT_DIR/blimpd.conf" --policy blimp --idle-tax 0 --host-mem "$budget" || exit 1
# Settle: shrinking ~350 MiB of page cache at the probe rate (~5 MiB/s per VM) plus
# convergence of the split.
fits() { top_csv && [ "$(held)" -le "$budget" ]; }
t0=$SECONDS
it_check "the pair fits the budget within 150 s" it_wait 150 fits
it_log "fits after $((SECONDS - t0)) s"
sleep 40
sum1=0 sum2=0 n=0
for _ in $(seq 1 10); do
	top_csv || continue
	c1=$(col s1 consumed) c2=$(col s2 consumed)
	sum1=$((sum1 + c1)) sum2=$((sum2 + c2)) n=$((n + 1))
	sleep 2
done
it_check "sampled the VMs ($n samples)" [ "$n" -ge 5 ]
[ "$n" -ge 1 ] || it_done
a1=$((sum1 / n - RES_MIB * MIB))
a2=$((sum2 / n - RES_MIB * MIB))
e1=$(col s1 entitlement) e2=$(col s2 entitlement)
it_log "above reservation (CONSUMED, 20 s mean): s1 $(mib "$a1") MiB, s2 $(mib "$a2") MiB; entitlement s1 $(mib "$e1") s2 $(mib "$e2") MiB; held $(mib "$(held)")/$(mib "$budget") MiB"
it_log "s1: MCTLSZ $(mib "$(col s1 mctlsz)") SWCUR $(mib "$(col s1 swcur)") $(col s1 reason); s2: MCTLSZ $(mib "$(col s2 mctlsz)") SWCUR $(mib "$(col s2 swcur)") $(col s2 reason)"
it_check "both hold memory above their reservation" [ "$a1" -gt 0 -a "$a2" -gt 0 ]
if [ "$a2" -gt 0 ]; then
	ratio100=$((a1 * 100 / a2))
	it_log "ratio s1:s2 above reservation = $((ratio100 / 100)).$(printf %02d $((ratio100 % 100)))"
	it_check "ratio about 2:1 (1.50 <= $((ratio100 / 100)).$(printf %02d $((ratio100 % 100))) <= 2.60)" \
		[ "$ratio100" -ge 150 -a "$ratio100" -le 260 ]
fi
for v in s1 s2; do
	it_check "fileread still runs in $v" bash -c "'$BLIMP' exec $v -- pidof fileread >/dev/null"
done
for v in s1 s2; do
	k=$(guest_ooms "$v")
	it_check "no OOM kill in $v ($k)" [ "$k" = 0 ]
done
oom_check
it_done
