#!/bin/bash
# Two identical guests with KSM on show SHRD > 0; blimp restores the host's KSM
# settings when it stops. KSM is host-wide and other blimpds may change it meanwhile:
# each knob blimpd wrote must be restored (log) to the value it found; sysfs is
# compared with the values read at the start only when no other blimpd ran.
. "$(dirname "$0")/lib.sh"
KSM=/sys/kernel/mm/ksm
LOG="$IT_DIR/blimpd.log"
others=0
note_others() { pgrep -x blimpd | grep -qvx "${IT_DAEMON_PID:-0}" && others=1; }
note_others
orig_run=$(cat $KSM/run)
orig_scan=$(cat $KSM/pages_to_scan)
orig_sleep=$(cat $KSM/sleep_millisecs)
it_daemon_start || exit 1
it_check "guest k1 boots" it_vm_start k1 --mem 256M
it_check "guest k2 boots" it_vm_start k2 --mem 256M
it_check "blimpd turned KSM on" it_wait 20 grep -qx 1 $KSM/run
shared() { [ "$(it_stat k1 shrd)" -gt 0 ] && [ "$(it_stat k2 shrd)" -gt 0 ]; }
it_wait 180 shared
it_log "SHRD k1=$(it_stat k1 shrd) k2=$(it_stat k2 shrd) pages_sharing=$(cat $KSM/pages_sharing)"
it_check "both guests show SHRD > 0" shared
note_others
it_daemon_stop
for k in run pages_to_scan sleep_millisecs; do
	from=$(grep -o "ksm\.$k [0-9]*->" "$LOG" | head -1 | sed 's/.* //; s/->//')
	[ -n "$from" ] || continue
	it_check "ksm.$k restored to $from (the value blimpd found)" grep -q "ksm\.$k restored to $from;" "$LOG"
done
note_others
if [ "$others" = 0 ]; then
	it_check "KSM run restored ($orig_run)" [ "$(cat $KSM/run)" = "$orig_run" ]
	it_check "KSM pages_to_scan restored ($orig_scan)" [ "$(cat $KSM/pages_to_scan)" = "$orig_scan" ]
	it_check "KSM sleep_millisecs restored ($orig_sleep)" [ "$(cat $KSM/sleep_millisecs)" = "$orig_sleep" ]
else
	it_log "other blimpds ran on this host meanwhile: KSM now run=$(cat $KSM/run) pages_to_scan=$(cat $KSM/pages_to_scan) (not compared)"
fi
it_done
