#!/bin/bash
# Memory follows the working set. Three 512 MiB guests fill their page cache (~400 MiB
# each). Under --policy static we measure what all three hold (CONSUMED + OVHD), then
# restart blimpd with --keep-vms under --policy blimp and a budget well below that, so
# only ballooning the idle guests' cache makes room. One VM runs a 350 MiB working set
# (wsloop) while the others idle: within 30 s its working set is resident, the fleet
# fits the budget and the idle VMs are ballooned (or, just after their own working set
# ended, have returned it by free page reporting). Then the roles swap and memory
# follows. No guest OOM kill (guest kernel logs), no host OOM kill (/proc/vmstat).
# Host swap is off (host_swap = false): the balloon alone must make the room.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/t_sched_lib.inc"
WS_MIB=350
VMS="f1 f2 f3"

ws_start() { "$BLIMP" exec "$1" -- sh -c "wsloop $WS_MIB --log /tmp/ws.log >/dev/null 2>&1 </dev/null &" >/dev/null; }
ws_stop() { "$BLIMP" exec "$1" -- sh -c 'kill $(pidof wsloop) 2>/dev/null; true' >/dev/null; }
# wsloop's latest resident_mib in the guest
ws_resident() { "$BLIMP" exec "$1" -- tail -1 /tmp/ws.log 2>/dev/null | sed -n 's/.*resident_mib=\([0-9]*\).*/\1/p'; }

# Balloon only: no cgroup limits pushing QEMU to host swap (the test is about the
# balloon; host swap has its own test, t_sched_noballoon.sh).
printf '[blimpd]\nhost_swap = false\n' >"$IT_DIR/blimpd.conf"
it_daemon_start --policy static || exit 1
fill='cat /data/files/*/* >/dev/null 2>&1; echo 1 >/tmp/filled'
for v in $VMS; do
	# maxmemctl 80%: an idle guest of this kind uses ~40 MiB, so the balloon may take most
	it_check "$v boots" it_vm_start "$v" --mem 512M --maxmemctl 410M -- sh -c "$fill"
done
oom_mark
for v in $VMS; do
	it_check "$v filled its page cache" it_wait 120 "$BLIMP" exec "$v" -- test -e /tmp/filled
done
sleep 3
top_csv
total=$(held)
ovhd=0
for v in $VMS; do o=$(col "$v" ovhd); [ "${o:-0}" -gt "$ovhd" ] && ovhd=$o; done
# Room for one active guest (working set + ~110 MiB kernel and margin) and two idle ones
# ballooned to ~130 MiB, each with QEMU's overhead, plus ~8% for minFree.
budget=$(((((WS_MIB + 110) * MIB + 2 * 130 * MIB + 3 * ovhd) * 108 / 100 + MIB - 1) / MIB * MIB))
it_log "static: all three hold $(mib "$total") MiB (OVHD up to $(mib "$ovhd") MiB each); budget $(mib "$budget") MiB"
it_check "the budget is well below what the three hold ($(mib "$budget") < $(mib "$total") - 256 MiB)" \
	[ "$budget" -lt $((total - 256 * MIB)) ]

it_daemon_stop --keep-vms
it_daemon_start --config "$IT_DIR/blimpd.conf" --policy blimp --host-mem "$budget" || exit 1
it_check "the VMs are found again" bash -c "'$BLIMP' ls | grep -c running | grep -qx 3"

# Settle: the idle fleet is squeezed into the budget by ballooning its page cache.
fits() { top_csv && [ "$(held)" -le "$budget" ]; }
t0=$SECONDS
it_check "idle fleet fits the budget within 120 s" it_wait 120 fits
it_log "settled in $((SECONDS - t0)) s: held $(mib "$(held)") MiB"

# An idle VM has given its memory back: ballooned (MCTLSZ >= 100 MiB), or, right after
# its own working set ended, returned by free page reporting (CONSUMED <= 128 MiB) while
# the balloon's slow probe catches up.
idle_gave() {
	[ "$(col "$1" mctlsz)" -ge $((100 * MIB)) ] || [ "$(col "$1" consumed)" -le $((128 * MIB)) ]
}

# phase ACTIVE IDLE1 IDLE2: start the working set in ACTIVE; within 30 s it is resident,
# the fleet fits and the idle ones are ballooned.
phase() {
	local a=$1 i1=$2 i2=$3 start ok=0 t res cons h b1 b2
	ws_start "$a"
	start=$SECONDS
	while [ $((SECONDS - start)) -lt 30 ]; do
		sleep 1
		top_csv || continue
		res=$(ws_resident "$a")
		cons=$(col "$a" consumed)
		h=$(held)
		b1=$(col "$i1" mctlsz)
		b2=$(col "$i2" mctlsz)
		if [ "${res:-0}" -ge $((WS_MIB - 5)) ] && [ "${cons:-0}" -ge $((WS_MIB * MIB)) ] &&
			[ "$h" -le "$budget" ] && idle_gave "$i1" && idle_gave "$i2"; then
			ok=1
			break
		fi
	done
	t=$((SECONDS - start))
	it_log "$a active after ${t} s: wsloop resident ${res:-?} MiB, CONSUMED $(mib "${cons:-0}") MiB, SWCUR $(mib "$(col "$a" swcur)") MiB; held $(mib "$h")/$(mib "$budget") MiB; MCTLSZ $i1 $(mib "${b1:-0}") MiB, $i2 $(mib "${b2:-0}") MiB"
	for v in $a $i1 $i2; do
		it_log "  $v CONSUMED $(mib "$(col "$v" consumed)") SWCUR $(mib "$(col "$v" swcur)") MCTLTGT $(mib "$(col "$v" mctltgt)") ENT $(mib "$(col "$v" entitlement)") ACTV $(mib "$(col "$v" actv)") MiB, $(col "$v" reason)"
	done
	if [ $ok -eq 1 ]; then
		it_ok "$a's working set resident, fleet within budget, $i1/$i2 gave their memory (in $t s)"
	else
		it_fail "$a's working set resident, fleet within budget, $i1/$i2 gave their memory (not within 30 s)"
	fi
	# it stays so for a while (no oscillation back over the budget)
	sleep 5
	top_csv
	it_check "$a still holds its working set 5 s later ($(mib "$(col "$a" consumed)") MiB), fleet $(mib "$(held)") MiB" \
		[ "$(col "$a" consumed)" -ge $((WS_MIB * MIB)) -a "$(held)" -le $((budget + budget / 50)) ]
	local rate
	rate=$("$BLIMP" exec "$a" -- tail -1 /tmp/ws.log | sed -n 's/.*pages_per_s=\([0-9]*\).*/\1/p')
	it_log "$a wsloop pages_per_s=${rate:-?}"
	ws_stop "$a"
}

phase f1 f2 f3
phase f2 f1 f3

for v in $VMS; do
	n=$(guest_ooms "$v")
	it_check "no OOM kill in $v's kernel log ($n)" [ "$n" = 0 ]
done
oom_check
it_done
