#!/bin/bash
# blimpd killed with SIGKILL after turning KSM on: the next blimpd restores the KSM
# settings found before the first one started (STATE/host-originals), not the dead
# one's. KSM is host-wide and other blimpds (other tests, benchmarks) may change it
# while this runs: the log checks (what the first blimpd changed, from which value,
# and that the second restored exactly that) hold regardless; the final sysfs
# comparison is counted only when no other blimpd ran on the host meanwhile.
. "$(dirname "$0")/lib.sh"
KSM=/sys/kernel/mm/ksm
ORIG="$IT_DIR/state/host-originals"
LOG="$IT_DIR/blimpd.log"
others=0
# another blimpd than ours running now?
note_others() { pgrep -x blimpd | grep -qvx "${IT_DAEMON_PID:-0}" && others=1; }
note_others
orig_run=$(cat $KSM/run)
orig_scan=$(cat $KSM/pages_to_scan)
orig_sleep=$(cat $KSM/sleep_millisecs)
it_log "KSM before: run=$orig_run pages_to_scan=$orig_scan sleep_millisecs=$orig_sleep"
it_daemon_start || exit 1
it_check "guest k1 boots" it_vm_start k1 --mem 256M
it_check "blimpd turned KSM on" it_wait 30 grep -qx 1 $KSM/run
it_log "KSM while on: run=$(cat $KSM/run) pages_to_scan=$(cat $KSM/pages_to_scan) sleep_millisecs=$(cat $KSM/sleep_millisecs)"
it_check "originals recorded in STATE/host-originals" [ -s "$ORIG" ]
# (KSM already on before, e.g. by another blimpd: nothing written, nothing recorded)
[ "$orig_run" = 1 ] ||
	it_check "ksm.run original recorded as $orig_run" grep -q "^knob ksm.run .* $orig_run $KSM/run\$" "$ORIG"

note_others
kill -9 "$IT_DAEMON_PID"
wait "$IT_DAEMON_PID" 2>/dev/null
IT_DAEMON_PID=
it_check "KSM left on by the killed blimpd" grep -qx 1 $KSM/run
it_check "originals file survives the kill" [ -s "$ORIG" ]

it_daemon_start || exit 1
it_check "restarted blimpd loaded the originals" \
	grep -q "original host setting(s) left by an earlier blimpd" "$LOG"
it_check "it still finds k1" it_wait 30 "$BLIMP" exec k1 --timeout 10 -- true
# let it run a few balance periods (it keeps KSM on: nothing to write)
sleep 3
it_daemon_stop
grep -E "KSM restored|host originals" "$LOG" | sed 's/^/    /'
for k in run pages_to_scan sleep_millisecs; do
	# the first blimpd's first write of this knob: "ksm.K A->B"
	from=$(grep -o "ksm\.$k [0-9]*->" "$LOG" | head -1 | sed 's/.* //; s/->//')
	[ -n "$from" ] || continue
	case $k in run) before=$orig_run ;; pages_to_scan) before=$orig_scan ;; *) before=$orig_sleep ;; esac
	it_check "ksm.$k: first written over $from (read $before before the start)" [ "$from" = "$before" ]
	it_check "ksm.$k: restored to $from by the second blimpd" grep -q "ksm\.$k restored to $from;" "$LOG"
done
it_check "originals file removed by the clean exit" [ ! -e "$ORIG" ]
it_check "no corrupt-file report" bash -c "! grep -q corrupt '$LOG'"
note_others
now="run=$(cat $KSM/run) pages_to_scan=$(cat $KSM/pages_to_scan) sleep_millisecs=$(cat $KSM/sleep_millisecs)"
if [ "$others" = 0 ]; then
	it_check "KSM run back to $orig_run" [ "$(cat $KSM/run)" = "$orig_run" ]
	it_check "KSM pages_to_scan back to $orig_scan" [ "$(cat $KSM/pages_to_scan)" = "$orig_scan" ]
	it_check "KSM sleep_millisecs back to $orig_sleep" [ "$(cat $KSM/sleep_millisecs)" = "$orig_sleep" ]
else
	it_log "other blimpds ran on this host meanwhile: KSM now $now (not compared)"
fi
it_done
