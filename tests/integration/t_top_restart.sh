#!/bin/bash
# `blimp top -b` outlives a blimpd restart: while blimpd is down each refresh writes a
# notice on stderr (no rows, so stdout stays CSV), the next one after the restart
# reconnects, and the run exits 0. No guest needed: one host-only row per refresh.
. "$(dirname "$0")/lib.sh"
it_daemon_start --policy static || exit 1
"$BLIMP" top -b -n 10 -d 1 >"$IT_DIR/top.csv" 2>"$IT_DIR/top.err" &
top_pid=$!
sleep 2.5
it_check "blimpd stops" it_daemon_stop
sleep 3
it_check "blimpd starts again" it_daemon_start --policy static
wait "$top_pid"
rc=$?
it_log "stdout:"
sed 's/^/    | /' "$IT_DIR/top.csv"
it_log "stderr:"
sed 's/^/    | /' "$IT_DIR/top.err"
rows=$(($(wc -l <"$IT_DIR/top.csv") - 1))
away=$(grep -c 'blimpd not reachable' "$IT_DIR/top.err")
it_check "top -b exits 0 ($rc)" [ "$rc" -eq 0 ]
it_check "one CSV header" [ "$(grep -c '^timestamp,' "$IT_DIR/top.csv")" -eq 1 ]
it_check "refreshes while blimpd was down said so ($away)" [ "$away" -ge 2 ]
it_check "rows before and after the restart ($rows)" [ "$rows" -ge 4 ]
it_check "every refresh is a row or a notice ($rows + $away = 10)" [ $((rows + away)) -eq 10 ]
it_check "the reconnect is said" grep -q 'blimpd reachable again' "$IT_DIR/top.err"
it_check "stdout is CSV only (same column count on every line)" \
	bash -c "awk -F, '{print NF}' '$IT_DIR/top.csv' | sort -u | wc -l | grep -qx 1"
it_done
