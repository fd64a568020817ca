#!/bin/bash
# blimpd killed with SIGKILL mid-reclaim and restarted: the VMs keep running, are found
# again (managed, settings from their domain metadata), and the balloon targets resume
# where they were: MCTLTGT right after the restart is within 5% of MEMSZ of the target
# before the kill (no jump back to 0 or to MEMSZ), and over the next seconds it moves no
# faster than the policy's own probe step allows.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/t_sched_lib.inc"

# Balloon only: no cgroup limits pushing QEMU to host swap (the test is about the
# balloon; host swap has its own test, t_sched_noballoon.sh).
printf '[blimpd]\nhost_swap = false\n' >"$IT_DIR/blimpd.conf"
it_daemon_start --policy static || exit 1
fill='cat /data/files/*/* >/dev/null 2>&1; echo 1 >/tmp/filled'
it_check "r1 boots" it_vm_start r1 --mem 512M --shares 3000 -- sh -c "$fill"
it_check "r2 boots" it_vm_start r2 --mem 512M -- sh -c "$fill"
oom_mark
for v in r1 r2; do it_check "$v filled" it_wait 120 "$BLIMP" exec "$v" -- test -e /tmp/filled; done
ovhd=$(($(it_stat r1 ovhd) > $(it_stat r2 ovhd) ? $(it_stat r1 ovhd) : $(it_stat r2 ovhd)))
budget=$((((2 * ovhd + 2 * 280 * MIB) * 107 / 100 + MIB - 1) / MIB * MIB))
it_log "OVHD $(mib "$ovhd") MiB; budget $(mib "$budget") MiB"
it_daemon_stop --keep-vms
it_daemon_start --config "$IT_DIR/blimpd.conf" --policy blimp --host-mem "$budget" || exit 1
ballooned() { [ "$(it_stat r1 mctltgt)" -ge $((32 * MIB)) ] && [ "$(it_stat r2 mctltgt)" -ge $((32 * MIB)) ]; }
it_check "both VMs are being ballooned (MCTLTGT >= 32 MiB) within 120 s" it_wait 120 ballooned
sleep 5
pid1=$(it_qemu_pid r1) pid2=$(it_qemu_pid r2)
t1=$(it_stat r1 mctltgt) t2=$(it_stat r2 mctltgt)
it_log "before SIGKILL: MCTLTGT r1 $(mib "$t1") MiB, r2 $(mib "$t2") MiB"
kill -9 "$IT_DAEMON_PID"
wait "$IT_DAEMON_PID" 2>/dev/null
IT_DAEMON_PID=
sleep 2
it_check "r1's QEMU survives the daemon's SIGKILL" kill -0 "$pid1"
it_check "r2's QEMU survives the daemon's SIGKILL" kill -0 "$pid2"
it_daemon_start --config "$IT_DIR/blimpd.conf" --policy blimp --host-mem "$budget" || exit 1
it_check "r1 found again, managed" bash -c "'$BLIMP' ls | grep -E '^r1 .*running.* yes'"
it_check "r2 found again, managed" bash -c "'$BLIMP' ls | grep -E '^r2 .*running.* yes'"
it_check "the same QEMU processes" [ "$(it_qemu_pid r1)" = "$pid1" -a "$(it_qemu_pid r2)" = "$pid2" ]
it_check "r1's shares survive in its metadata" [ "$(it_stat r1 shares)" = 3000 ]
a1=$(it_stat r1 mctltgt) a2=$(it_stat r2 mctltgt)
it_log "right after restart: MCTLTGT r1 $(mib "$a1") MiB, r2 $(mib "$a2") MiB"
tol=$((512 * MIB * 5 / 100))
d1=$((a1 > t1 ? a1 - t1 : t1 - a1)) d2=$((a2 > t2 ? a2 - t2 : t2 - a2))
it_check "r1 MCTLTGT within 5% of MEMSZ of before (moved $(mib "$d1") MiB)" [ "$d1" -le "$tol" ]
it_check "r2 MCTLTGT within 5% of MEMSZ of before (moved $(mib "$d2") MiB)" [ "$d2" -le "$tol" ]
# Over the next 5 s, no jump: at most 4% of MEMSZ between samples ~1.3 s apart (the
# probe moves 1% per second; growth on distress may be faster, but nothing is in distress).
prev1=$a1 prev2=$a2 jump=0
for _ in 1 2 3 4 5; do
	sleep 1
	n1=$(it_stat r1 mctltgt) n2=$(it_stat r2 mctltgt)
	for d in $((n1 - prev1)) $((n2 - prev2)); do
		[ "${d#-}" -gt $((512 * MIB * 2 / 100 * 2)) ] && jump=1
	done
	it_log "  MCTLTGT r1 $(mib "$n1") r2 $(mib "$n2") MiB"
	prev1=$n1 prev2=$n2
done
it_check "no jump in MCTLTGT over 5 s after restart" [ "$jump" = 0 ]
it_check "the guests still answer" "$BLIMP" exec r1 -- true
for v in r1 r2; do
	k=$(guest_ooms "$v")
	it_check "no OOM kill in $v ($k)" [ "$k" = 0 ]
done
oom_check
it_done
