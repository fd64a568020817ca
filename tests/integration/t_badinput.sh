#!/bin/bash
# Every bad input gets a one-line error and a non-zero status; nothing is half-applied.
. "$(dirname "$0")/lib.sh"
it_daemon_start --policy static || exit 1
it_check "guest boots" it_vm_start ok1 --mem 256M
vm_names() { "$BLIMP" ls --json | python3 -c "import json,sys; d=json.load(sys.stdin); v=d['vms'] if isinstance(d,dict) else d; print(sorted((x['name'], x['uuid'], x['memsz']) for x in v))"; }
before=$(vm_names)
it_expect_fail "stats of an unknown VM" "$BLIMP" stats nosuchvm
it_expect_fail "balloon of an unknown VM" "$BLIMP" balloon nosuchvm 100M
it_expect_fail "malformed size" "$BLIMP" start bad1 --mem 12X
it_expect_fail "negative size" "$BLIMP" start bad1 --mem -5M
it_expect_fail "reservation above memory" "$BLIMP" start bad1 --mem 256M --reservation 512M
it_check "... in units" grep -q -- '--reservation 512.0M is more than --mem 256.0M' "$IT_DIR/err"
it_expect_fail "limit below reservation" "$BLIMP" start bad1 --mem 256M --reservation 200M --limit 100M
it_expect_fail "name escaping XML" "$BLIMP" start "a<b>" --mem 256M
it_expect_fail "name escaping paths" "$BLIMP" start "../../etc" --mem 256M
it_expect_fail "name with quote" "$BLIMP" start "x'y" --mem 256M
it_expect_fail "name too long" "$BLIMP" start "$(printf 'n%.0s' $(seq 1 80))" --mem 256M
it_expect_fail "duplicate name" "$BLIMP" start ok1 --mem 256M
it_expect_fail "set unknown key" "$BLIMP" set ok1 colour=blue
it_expect_fail "set reservation above memory" "$BLIMP" set ok1 reservation=1G
it_check "... in units (daemon)" grep -q 'reservation 1024.0M above memory size 256.0M' "$IT_DIR/err"
it_expect_fail "balloon above MEMSZ" "$BLIMP" balloon ok1 1G
it_expect_fail "balloon malformed size" "$BLIMP" balloon ok1 lots
sock_reply() { # raw line -> first reply line
	python3 - "$BLIMP_SOCKET" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
while b"\n" not in buf:
    d = s.recv(65536)
    if not d: break
    buf += d
print(buf.split(b"\n")[0].decode(errors="replace"))
PY
}
err_reply() { sock_reply "$1" | python3 -c "import json,sys; r=json.load(sys.stdin); sys.exit(0 if r.get('ok') is False and r['error']['code']=='$2' else 1)"; }
it_check "bad JSON -> EPROTO" err_reply '{"v":1,"cmd":' EPROTO
it_check "unknown command -> EPROTO" err_reply '{"v":1,"id":1,"cmd":"fly"}' EPROTO
it_check "wrong version -> EPROTO" err_reply '{"v":99,"id":1,"cmd":"status"}' EPROTO
it_check "wrong arg type -> EINVAL" err_reply '{"v":1,"id":1,"cmd":"stats","args":{"name":42}}' EINVAL
big() {
	python3 - "$BLIMP_SOCKET" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
try:
    s.sendall(b'{"v":1,"cmd":"status","pad":"' + b"x" * (2 << 20) + b'"}\n')
except OSError:
    pass  # closed on us: also a refusal
buf = b""
try:
    while True:
        d = s.recv(65536)
        if not d: break
        buf += d
except OSError:
    pass
sys.exit(0 if b"E2BIG" in buf or buf == b"" else 1)
PY
}
it_check "oversized line refused" big
it_check "daemon still answers after hostile clients" "$BLIMP" status
bad=$("$BLIMP" status --json | python3 -c "import json,sys; print(json.load(sys.stdin)['counters']['ctl_bad_requests'])")
it_check "status counts the bad requests ($bad >= 3)" [ "$bad" -ge 3 ]
it_check "blimp status prints the counters" bash -c "'$BLIMP' status | grep -q '^input .* bad requests'"
after=$(vm_names)
it_log "VMs before: $before after: $after"
it_check "nothing half-applied: VM list unchanged" test -n "$before" -a "$before" = "$after"
it_check "no stray domain or files for rejected names" bash -c "! ls '$IT_DIR/state/vms' | grep -qv '^ok1$'"
it_done
