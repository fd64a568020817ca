#!/bin/bash
# Runtime settings (docs/settings.md): `blimp config` shows the settings in force;
# `blimp config set` changes runtime keys, all or none; SIGHUP re-reads the settings
# file (flags still win). A bad value, a restart key, or a bad file changes nothing
# and says why; blimpd keeps running through all of it. No VM is needed: the values
# come back through `blimp config`, and host_mem shows in the budget of `blimp status`.
# --dry-run: this blimpd touches nothing on the host.
. "$(dirname "$0")/lib.sh"
CONF="$IT_DIR/blimpd.conf"
cat >"$CONF" <<'CONF'
[blimpd]
idle_tax = 0.75
host_mem = 4G
CONF
# --balance-ms is a flag: it must win over the file after SIGHUP too
it_daemon_start --config "$CONF" --dry-run --balance-ms 700 || exit 1

# value of KEY in force, from `blimp config --json`
cfg() {
	"$BLIMP" config --json | python3 -c "import json,sys
for s in json.load(sys.stdin)['settings']:
    if s['key'] == '$1': print(s['value'], s['when'])"
}
budget() { "$BLIMP" status --json | python3 -c "import json,sys; print(json.load(sys.stdin)['host']['budget'])"; }
val() { cfg "$1" | cut -d' ' -f1; }
# all values, to show that a refusal changed none
snapshot() { "$BLIMP" config --json | python3 -c "import json,sys
print(sorted((s['key'], s['value']) for s in json.load(sys.stdin)['settings']))"; }

it_check "blimp config lists the settings" bash -c "'$BLIMP' config | grep -Eq '^idle_tax +runtime +0.75 +0.75'"
it_check "state_dir is a restart key in force" [ "$(cfg state_dir)" = "$IT_DIR/state restart" ]
it_check "idle_tax from the file: 0.75, runtime" [ "$(cfg idle_tax)" = "0.75 runtime" ]
it_check "balance_period_ms from the flag: 700" [ "$(val balance_period_ms)" = 700 ]
it_check "budget from host_mem 4G" [ "$(budget)" = $((4 << 30)) ]

# config set: a runtime key
out=$("$BLIMP" config set idle_tax=0.5 2>&1)
it_log "config set idle_tax=0.5: $out"
it_check "config set idle_tax=0.5 reports the change" grep -q "idle_tax: 0.75 -> 0.5" <<<"$out"
it_check "idle_tax now 0.5" [ "$(val idle_tax)" = 0.5 ]
minfree() { "$BLIMP" status --json | python3 -c "import json,sys; print(json.load(sys.stdin)['host']['minfree'])"; }
mf4=$(minfree)
"$BLIMP" config set host_mem=3G >/dev/null
it_check "host_mem=3G: the budget follows (3 GiB)" [ "$(budget)" = $((3 << 30)) ]
# the policy's next plan works from the new budget: minfree (a share of it) drops
it_check "host_mem=3G: the next plan's minfree is below the 4G one ($mf4)" \
	it_wait 10 bash -c "[ \$(\"$BLIMP\" status --json | python3 -c \"import json,sys; print(json.load(sys.stdin)['host']['minfree'])\") -lt $mf4 ]"

before=$(snapshot)
it_expect_fail "config set idle_tax=7 refused" "$BLIMP" config set idle_tax=7
it_check "... and it said why (range)" grep -q "out of range" "$IT_DIR/err"
it_check "... nothing changed" [ "$(snapshot)" = "$before" ]
it_expect_fail "config set state_dir=/x refused (restart key)" "$BLIMP" config set state_dir=/x
it_check "... and it said restart" grep -q "restart" "$IT_DIR/err"
it_expect_fail "config set guest_margin=128M idle_tax=abc refused" \
	"$BLIMP" config set guest_margin=128M idle_tax=abc
it_check "... neither key changed" [ "$(snapshot)" = "$before" ]
it_expect_fail "config set stale_after_ms=500 refused (below collect_period_ms, checked as a whole)" \
	"$BLIMP" config set stale_after_ms=500
it_check "... nothing changed" [ "$(snapshot)" = "$before" ]
it_expect_fail "config set no_such_key=1 refused" "$BLIMP" config set no_such_key=1
it_check "... nothing changed" [ "$(snapshot)" = "$before" ]

# hostile config_set requests on the socket: each a clear error, nothing changed
raw() {
	python3 - "$BLIMP_SOCKET" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    c = s.recv(65536)
    if not c: break
    buf += c
r = json.loads(buf)
print(r.get("error", {}).get("code", "OK") if isinstance(r.get("error"), dict) else ("OK" if r.get("ok") else r))
PY
}
for req in '{"v":1,"id":1,"cmd":"config_set","args":{}}' \
	'{"v":1,"id":2,"cmd":"config_set","args":{"values":[]}}' \
	'{"v":1,"id":3,"cmd":"config_set","args":{"values":{"idle_tax":0.5}}}' \
	'{"v":1,"id":4,"cmd":"config_set","args":{"values":{"idle_tax":"0.5\u0001"}}}' \
	"{\"v\":1,\"id\":5,\"cmd\":\"config_set\",\"args\":{\"values\":{\"$(head -c 5000 /dev/zero | tr '\0' k)\":\"1\"}}}" \
	"{\"v\":1,\"id\":6,\"cmd\":\"config_set\",\"args\":{\"values\":{$(for i in $(seq 300); do printf '"k%d":"1",' "$i"; done)\"x\":\"1\"}}}" \
	'{"v":1,"id":7,"cmd":"config_set","args":{"values":{"idle_tax":"0.5"},"extra":1}}' \
	'{"v":1,"id":8,"cmd":"config","args":{"x":1}}'; do
	code=$(raw "$req" 2>&1)
	it_check "hostile request ${req:0:60}... refused ($code)" [ "$code" != OK ]
done
it_check "... nothing changed" [ "$(snapshot)" = "$before" ]

# SIGHUP: the file again (config set is not persisted), flags still win
cat >"$CONF" <<'CONF'
[blimpd]
idle_tax = 0.25
host_mem = 2G
balance_period_ms = 5000
CONF
kill -HUP "$IT_DAEMON_PID"
it_check "SIGHUP: idle_tax 0.25 from the file" it_wait 10 bash -c "'$BLIMP' config | grep -Eq '^idle_tax +runtime +0.25 '"
it_check "SIGHUP: budget from host_mem 2G" [ "$(budget)" = $((2 << 30)) ]
it_check "SIGHUP: the flag --balance-ms 700 still wins over the file's 5000" \
	[ "$(val balance_period_ms)" = 700 ]
it_check "the log names the reload and its keys" \
	it_wait 5 grep -q "settings (sighup): changed .*idle_tax" "$IT_DIR/blimpd.log"

# SIGHUP with a bad value: nothing changes, the log says why
before=$(snapshot)
cat >"$CONF" <<'CONF'
[blimpd]
idle_tax = 0.1
host_mem = 1G
ksm_sleep_ms = 0
CONF
kill -HUP "$IT_DAEMON_PID"
it_check "bad file: the log says why (file:line, key)" \
	it_wait 10 grep -q "settings not reloaded, nothing changed: $CONF:4: key 'ksm_sleep_ms'" "$IT_DIR/blimpd.log"
it_check "bad file: config_refused event" grep -q "event=config_refused" "$IT_DIR/blimpd.log"
it_check "bad file: nothing changed (idle_tax still 0.25)" [ "$(snapshot)" = "$before" ]
it_check "bad file: budget unchanged" [ "$(budget)" = $((2 << 30)) ]

# SIGHUP with a restart key changed: refused whole, naming the key
cat >"$CONF" <<'CONF'
[blimpd]
idle_tax = 0.1
collect_period_ms = 2000
CONF
kill -HUP "$IT_DAEMON_PID"
it_check "restart key in the file: refused naming it" \
	it_wait 10 grep -q "restart needed for collect_period_ms" "$IT_DIR/blimpd.log"
it_check "... nothing changed" [ "$(snapshot)" = "$before" ]

it_check "blimpd still runs" kill -0 "$IT_DAEMON_PID"
it_check "and still answers" bash -c "'$BLIMP' status >/dev/null"
it_daemon_stop
it_done
