#!/bin/bash
# Events under systemd go to the journal natively, with their priority and fields;
# elsewhere they are lines on stderr. A real systemd-journald runs for this test only,
# in a private mount namespace (tmpfs over /run and /var/log/journal),
# so the host's own logging never sees it. blimpd's stderr is a file whose DEVICE:INODE
# is given as JOURNAL_STREAM, as systemd does for a service's stream; a JOURNAL_STREAM
# naming another inode (stderr redirected since) must be ignored. No guest needed.
if [ -z "${IT_JOURNAL_NS:-}" ]; then
	IT_JOURNAL_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
for m in /run /var/log/journal; do
	[ -d "$m" ] && mount -t tmpfs tmpfs "$m" || { it_fail "tmpfs on $m"; it_done; }
done
mkdir -p /run/systemd/journal
/lib/systemd/systemd-journald >"$IT_DIR/journald.out" 2>&1 &
jd=$!
it_check "a private journald listens" it_wait 10 test -S /run/systemd/journal/socket

# Under the journal: JOURNAL_STREAM matches stderr.
: >"$IT_DIR/stderr"
st=$(stat -c '%d:%i' "$IT_DIR/stderr")
JOURNAL_STREAM=$st "$BLIMPD" --state-dir "$IT_DIR/state" --socket "$BLIMP_SOCKET" \
	--guest-dir "$IT_ROOT/build/guest" --policy static 2>>"$IT_DIR/stderr" >/dev/null &
IT_DAEMON_PID=$!
it_check "blimpd answers" it_wait 20 "$BLIMP" status
python3 - "$BLIMP_SOCKET" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"v":1,"cmd":"nope \\"vm=forged\\""}\n')
s.recv(4096)
EOF
"$BLIMP" stats novm >/dev/null 2>&1
it_daemon_stop
journalctl --no-pager -o json BLIMP_EVENT=host_state >"$IT_DIR/j.host" 2>&1
journalctl --no-pager -o json BLIMP_EVENT=request_refused >"$IT_DIR/j.bad" 2>&1
python3 - "$IT_DIR/j.host" "$IT_DIR/j.bad" >"$IT_DIR/j.check" 2>&1 <<'EOF'
import json, sys
host = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
bad = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
print("host_state entries %d, request_refused entries %d" % (len(host), len(bad)))
h = host[0]
print("  MESSAGE=%s" % h["MESSAGE"])
assert h["MESSAGE"].startswith("event=host_state from=unknown to=")
assert h["SYSLOG_IDENTIFIER"] == "blimpd" and h["BLIMP_FROM"] == "unknown"
assert h["BLIMP_TO"] in ("high", "clear", "soft", "hard", "low")
assert int(h["BLIMP_FREE_BYTES"]) > 0
assert h["PRIORITY"] in ("4", "5", "6")
b = bad[0]
print("  MESSAGE=%s PRIORITY=%s" % (b["MESSAGE"], b["PRIORITY"]))
assert b["PRIORITY"] == "5" and b["BLIMP_CODE"] == "EPROTO"
assert "\"" in b["BLIMP_ERROR"] and b["MESSAGE"].count("vm=") == 1 and "\\\"vm=forged" in b["MESSAGE"]
assert b["BLIMP_CMD"] == "-"
st = [e for e in bad if e.get("BLIMP_CMD") == "stats"]
assert len(st) == 1 and st[0]["BLIMP_CODE"] == "ENOENT", bad
print("  MESSAGE=%s" % st[0]["MESSAGE"])
print("ok")
EOF
jc=$?
sed 's/^/    /' "$IT_DIR/j.check"
it_check "events in the journal with priority and BLIMP_* fields" [ "$jc" -eq 0 ]
it_check "no event lines on stderr when it is the journal" bash -c "! grep -q 'event=' '$IT_DIR/stderr'"
it_check "other log lines still on stderr" grep -q "listening on" "$IT_DIR/stderr"

# Not the journal: JOURNAL_STREAM names another inode.
: >"$IT_DIR/stderr2"
JOURNAL_STREAM=$st "$BLIMPD" --state-dir "$IT_DIR/state" --socket "$BLIMP_SOCKET" \
	--guest-dir "$IT_ROOT/build/guest" --policy static 2>>"$IT_DIR/stderr2" >/dev/null &
IT_DAEMON_PID=$!
it_check "blimpd answers again" it_wait 20 "$BLIMP" status
it_daemon_stop
it_check "events on stderr when stderr is not the journal" \
	grep -q " event    event=host_state from=unknown to=" "$IT_DIR/stderr2"
n=$(journalctl --no-pager -o json BLIMP_EVENT=host_state 2>/dev/null | grep -c '^{')
it_check "and not in the journal (still 1 host_state entry: $n)" [ "$n" -eq 1 ]
kill "$jd"
wait "$jd" 2>/dev/null
it_done
