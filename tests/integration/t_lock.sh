#!/bin/bash
# One blimpd per host: a second blimpd (another state dir, another socket, the
# default lock file) exits non-zero naming the first (pid and state dir); the first
# keeps answering. Once the first exits, the lock is free again. The first holds the
# default path explicitly, so this test fails if a blimpd of the host holds it.
. "$(dirname "$0")/lib.sh"
LOCK=/run/blimp/blimpd.lock

it_daemon_start --lock-file "$LOCK" || exit 1
first=$IT_DAEMON_PID
it_check "the lock file names the first blimpd" grep -qx "$first $IT_DIR/state" "$LOCK"

# the second: default lock_file (no flag), its own state dir and socket
"$BLIMPD" --state-dir "$IT_DIR/state2" --socket "$IT_DIR/second.sock" \
	--guest-dir "$IT_ROOT/build/guest" >"$IT_DIR/second.out" 2>&1 &
second=$!
it_wait 30 bash -c "! kill -0 $second"
wait "$second"
rc=$?
it_log "second blimpd: exit $rc: $(head -1 "$IT_DIR/second.out")"
it_check "the second blimpd exits non-zero" [ "$rc" -ne 0 ]
it_check "its message names the first (pid $first, state dir)" \
	grep -q "another blimpd (pid $first, state dir $IT_DIR/state) is running" "$IT_DIR/second.out"
it_check "the second never opened its socket" [ ! -e "$IT_DIR/second.sock" ]
it_check "the first still answers" bash -c "'$BLIMP' status >/dev/null"
it_check "the first is still running" kill -0 "$first"
it_check "the lock file still names the first" grep -qx "$first $IT_DIR/state" "$LOCK"

it_daemon_stop
# the lock goes with the holder: now another blimpd may start
BLIMP_SOCKET="$IT_DIR/third.sock" "$BLIMPD" --state-dir "$IT_DIR/state3" \
	--socket "$IT_DIR/third.sock" --guest-dir "$IT_ROOT/build/guest" \
	>"$IT_DIR/third.out" 2>&1 &
third=$!
it_check "after the first exits, another blimpd starts" \
	it_wait 30 env BLIMP_SOCKET="$IT_DIR/third.sock" "$BLIMP" status
it_check "and holds the lock" grep -qx "$third $IT_DIR/state3" "$LOCK"
BLIMP_SOCKET="$IT_DIR/third.sock" "$BLIMP" shutdown >/dev/null 2>&1 || kill "$third"
wait "$third"
it_done
