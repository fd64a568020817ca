#!/bin/bash
# Two identical guests with KSM on show SHRD > 0; blimp restores the host's KSM
# settings when it stops.
. "$(dirname "$0")/lib.sh"
KSM=/sys/kernel/mm/ksm
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
it_daemon_stop
it_check "KSM run restored ($orig_run)" [ "$(cat $KSM/run)" = "$orig_run" ]
it_check "KSM pages_to_scan restored ($orig_scan)" [ "$(cat $KSM/pages_to_scan)" = "$orig_scan" ]
it_check "KSM sleep_millisecs restored ($orig_sleep)" [ "$(cat $KSM/sleep_millisecs)" = "$orig_sleep" ]
it_done
