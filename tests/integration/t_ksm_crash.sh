#!/bin/bash
# blimpd killed with SIGKILL after turning KSM on: the next blimpd restores the KSM
# settings found before the first one started (STATE/host-originals), not the dead
# one's. On a host shared with other blimpds the log checks (t_ksm_lib.inc) decide.
. "$(dirname "$0")/lib.sh"
# blimp records and restores only what it changes: start from KSM off so there is a
# change to record (a host where something left KSM on would otherwise test nothing);
# the host's own value is put back at the end.
host_ksm_run=$(cat /sys/kernel/mm/ksm/run)
[ "$host_ksm_run" = 0 ] || echo 0 >/sys/kernel/mm/ksm/run
. "$(dirname "$0")/t_ksm_lib.inc"
ORIG="$IT_DIR/state/host-originals"
it_log "KSM before: $(ksm_now)"
it_daemon_start || exit 1
it_check "guest k1 boots" it_vm_start k1 --mem 256M
it_check "blimpd turned KSM on" it_wait 30 grep -qx 1 $KSM/run
it_log "KSM while on: $(ksm_now)"
it_check "originals recorded in STATE/host-originals" [ -s "$ORIG" ]
# (KSM already on before, e.g. by another blimpd: nothing written, nothing recorded)
[ "$ksm_orig_run" = 1 ] ||
	it_check "ksm.run original recorded as $ksm_orig_run" grep -q "^knob ksm.run .* $ksm_orig_run $KSM/run\$" "$ORIG"

ksm_note_others
kill -9 "$IT_DAEMON_PID"
wait "$IT_DAEMON_PID" 2>/dev/null
IT_DAEMON_PID=
it_check "KSM left on by the killed blimpd" grep -qx 1 $KSM/run
it_check "originals file survives the kill" [ -s "$ORIG" ]

it_daemon_start || exit 1
it_check "restarted blimpd loaded the originals" \
	grep -q "original host setting(s) left by an earlier blimpd" "$KSM_LOG"
it_check "it still finds k1" it_wait 30 "$BLIMP" exec k1 --timeout 10 -- true
# let it run a few balance periods (it keeps KSM on: nothing to write)
sleep 3
ksm_note_others
it_daemon_stop
grep -E "KSM restored|host originals" "$KSM_LOG" | sed 's/^/    /'
ksm_check_restored strict
it_check "originals file removed by the clean exit" [ ! -e "$ORIG" ]
it_check "no corrupt-file report" bash -c "! grep -q corrupt '$KSM_LOG'"
ksm_check_sysfs
[ "$host_ksm_run" = 0 ] || echo "$host_ksm_run" >/sys/kernel/mm/ksm/run
it_done
