#!/bin/bash
# Two identical guests with KSM on show SHRD > 0; blimp restores the host's KSM
# settings when it stops (t_ksm_lib.inc: judged from the log on a shared host).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/t_ksm_lib.inc"
it_daemon_start || exit 1
it_check "guest k1 boots" it_vm_start k1 --mem 256M
it_check "guest k2 boots" it_vm_start k2 --mem 256M
it_check "blimpd turned KSM on" it_wait 20 grep -qx 1 $KSM/run
shared() { [ "$(it_stat k1 shrd)" -gt 0 ] && [ "$(it_stat k2 shrd)" -gt 0 ]; }
it_wait 180 shared
it_log "SHRD k1=$(it_stat k1 shrd) k2=$(it_stat k2 shrd) pages_sharing=$(cat $KSM/pages_sharing)"
it_check "both guests show SHRD > 0" shared
ksm_note_others
it_daemon_stop
ksm_check_restored
ksm_check_sysfs
it_done
