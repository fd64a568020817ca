#!/bin/bash
# The live history, read back while two real guests run: `blimp top -b` runs until
# SIGTERM and every refresh reaches a pipe while it runs; `blimp history --csv` holds a
# host row and a row per VM per second, consistent with `blimp stats`; the `history`
# request pages in whole, contiguous frames; `blimp plot --since 2m` writes a PNG
# whose height holds one panel per VM plus the host's, and an SVG whose panel titles
# are the VMs; events name the VMs adopted and lost and the host's state.
. "$(dirname "$0")/lib.sh"
printf '[blimpd]\nhistory_s = 600\n' >"$IT_DIR/blimpd.conf"
it_daemon_start --config "$IT_DIR/blimpd.conf" || exit 1
t0=$SECONDS
it_check "vm1 boots" it_vm_start vm1 --mem 256M
it_check "vm2 boots" it_vm_start vm2 --mem 256M

# top -b: no -n, so it runs until stopped; read its pipe while it runs.
mkfifo "$IT_DIR/top.fifo"
"$BLIMP" top -b -d 1 >"$IT_DIR/top.fifo" 2>"$IT_DIR/top.err" &
top_pid=$!
exec 3<"$IT_DIR/top.fifo"
got=0
stamps=""
while [ "$got" -lt 7 ] && IFS= read -r -t 5 line <&3; do
	got=$((got + 1))
	stamps="$stamps ${line%%,*}"
done
it_check "top -b: header and 3 refreshes x 2 VMs read while it runs ($got lines)" [ "$got" -eq 7 ]
it_check "top -b: still running after 3 refreshes" kill -0 "$top_pid"
it_check "top -b: 3 distinct refresh timestamps ($stamps)" \
	bash -c "echo '$stamps' | tr ' ' '\n' | grep -v timestamp | grep . | sort -u | wc -l | grep -qx 3"
kill -TERM "$top_pid"
cat <&3 >/dev/null
exec 3<&-
wait "$top_pid"
rc=$?
it_check "top -b: exits 0 on SIGTERM ($rc)" [ "$rc" -eq 0 ]

# ... and stops quietly when its reader goes (EPIPE), like `esxtop -b | head`.
timeout 20 "$BLIMP" top -b -d 0.2 2>"$IT_DIR/top2.err" | head -3 >/dev/null
prc=${PIPESTATUS[0]}
it_check "top -b | head -3: exits 0 once head is gone ($prc), nothing on stderr" \
	bash -c "[ $prc -eq 0 ] && [ ! -s '$IT_DIR/top2.err' ]"

# Let the history fill for a while beyond the boots (the test is about a short run).
while [ $((SECONDS - t0)) -lt 60 ]; do sleep 2; done

"$BLIMP" history --csv --since 2m >"$IT_DIR/h.csv" 2>"$IT_DIR/h.err"
it_check "history --csv exits 0 ($(head -c 200 "$IT_DIR/h.err"))" [ -s "$IT_DIR/h.csv" ]
"$BLIMP" stats vm1 --json >"$IT_DIR/vm1.json"
python3 - "$IT_DIR/h.csv" "$IT_DIR/vm1.json" >"$IT_DIR/h.check" 2>&1 <<'EOF'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
st = json.load(open(sys.argv[2]))
host = [r for r in rows if r["vm"] == "@host"]
v1 = [r for r in rows if r["vm"] == "vm1"]
v2 = [r for r in rows if r["vm"] == "vm2"]
print("rows %d: host %d vm1 %d vm2 %d" % (len(rows), len(host), len(v1), len(v2)))
assert len(host) >= 45, "a host row per second of the last 2 minutes"
assert len(v1) >= 30 and len(v2) >= 30, "VM rows"
assert len(rows) == len(host) + len(v1) + len(v2), "nothing but host and VM rows"
ts = [float(r["t_s"]) for r in host]
assert all(b > a for a, b in zip(ts, ts[1:])), "host rows in time order"
steps = sorted(b - a for a, b in zip(ts, ts[1:]))
# one sample per collect period (1 s); a tick waits while libvirt starts a guest
# (a few seconds under TCG), so a few steps may be longer
median = steps[len(steps) // 2]
print("steps: median %.2f s, max %.1f s" % (median, steps[-1]))
assert 0.9 <= median <= 1.1, "median step %.2f s" % median
assert steps[int(len(steps) * 0.9)] < 1.5, "90% of steps under 1.5 s"
assert all(r["state_name"] in ("high", "clear", "soft", "hard", "low") for r in host)
last = v1[-1]
assert int(last["memsz"]) == st["memsz"], "memsz %s vs stats %d" % (last["memsz"], st["memsz"])
d = abs(int(last["consumed"]) - st["consumed"])
print("vm1 consumed: history %s, stats %d (diff %d)" % (last["consumed"], st["consumed"], d))
assert d <= 64 << 20, "consumed within 64 MiB of stats"
assert int(last["mctlsz"]) == st["mctlsz"] or abs(int(last["mctlsz"]) - st["mctlsz"]) <= 64 << 20
assert 0 < int(last["consumed"]) <= st["memsz"]
print("ok")
EOF
hc=$?
sed 's/^/    /' "$IT_DIR/h.check"
it_check "history --csv: rows and values consistent with stats" [ "$hc" -eq 0 ]

it_check "status shows the history (600 s, 64 slots, 1.1M)" \
	bash -c "'$BLIMP' status | grep -q '^history     600 s of up to 64 VMs in 1.1M, [0-9]* s held; 0 slots recycled'"

# Paging: a tiny limit gives whole frames, contiguous across pages.
python3 - "$BLIMP_SOCKET" >"$IT_DIR/page.check" 2>&1 <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rwb")
def call(args):
    f.write((json.dumps({"v": 1, "cmd": "history", "args": args}) + "\n").encode())
    f.flush()
    return json.loads(f.readline())
seqs, pages, after = [], 0, None
while True:
    a = {"since": 60, "limit": 10, "vms": ["vm1"]} if after is None else {"after": after, "limit": 10, "vms": ["vm1"]}
    r = call(a)
    assert r["ok"], r
    res = r["result"]
    rows = sum(1 + len(fr["vms"]) for fr in res["frames"])
    assert rows <= 10, "page of %d rows over the limit" % rows
    assert all(v["name"] == "vm1" for fr in res["frames"] for v in fr["vms"])
    seqs += [fr["seq"] for fr in res["frames"]]
    pages += 1
    if not res["more"]:
        break
    after = res["after"]
    assert pages < 100
print("pages %d, frames %d" % (pages, len(seqs)))
assert pages >= 5 and len(seqs) >= 50
assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "contiguous frames"
for bad in ({"limit": 0}, {"vms": ["no such/name"]}, {"since": "1m"}, {"junk": 1}):
    r = call(bad)
    assert not r["ok"] and r["error"]["code"] == "EINVAL", (bad, r)
print("ok")
EOF
pc=$?
sed 's/^/    /' "$IT_DIR/page.check"
it_check "history request pages in whole contiguous frames; bad args are EINVAL" [ "$pc" -eq 0 ]

# The picture.
"$BLIMP" plot --since 2m -o "$IT_DIR/x.png" --dir "$IT_DIR/plot" >"$IT_DIR/plot.out" 2>&1
prc=$?
sed 's/^/    /' "$IT_DIR/plot.out"
it_check "plot --since 2m exits 0 ($prc)" [ "$prc" -eq 0 ]
it_check "plot says it drew vm1, vm2 and the host" grep -q ": 3 panels (vm1, vm2, host)" "$IT_DIR/plot.out"
png_check() {
	python3 - "$1" "$2" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n", "PNG signature"
assert b[12:16] == b"IHDR"
w, h = struct.unpack(">II", b[16:24])
panels = (h - 60) // 200
print("    PNG %dx%d: %d panels" % (w, h, panels))
assert (h - 60) % 200 == 0 and panels == int(sys.argv[2])
EOF
}
it_check "the PNG is a PNG, 3 panels high" png_check "$IT_DIR/x.png" 3
it_check "the script draws a 3-panel multiplot" grep -q "set multiplot layout 3,1" "$IT_DIR/plot/plot.gp"
"$BLIMP" plot --since 2m --vm vm2 -o "$IT_DIR/x.svg" >"$IT_DIR/svg.out" 2>&1
svg_titles() {
	python3 - "$IT_DIR/x.svg" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
texts = re.findall(r"<text[^>]*>(?:<tspan[^>]*>)?([^<]*)<", t)
panels = [x for x in texts if x in ("vm1", "vm2") or x.startswith("host (budget")]
print("    SVG panel titles:", panels)
assert panels == ["vm2", panels[1]] and panels[1].startswith("host"), panels
EOF
}
it_check "--vm vm2 as SVG: panels vm2 and host, read from the picture" svg_titles
it_expect_fail "plot without -o is a usage error" "$BLIMP" plot --since 2m
it_check "plot without gnuplot says so" bash -c \
	"PATH=/nonexistent '$BLIMP' plot -o '$IT_DIR/y.png' 2>&1 | grep -q 'gnuplot not found'"

# Events: VMs adopted and lost, the host's state, one line each.
"$BLIMP" stop -f vm2 >/dev/null
it_check "event: vm2 lost" it_wait 20 grep -q "event=vm_lost vm=vm2 " "$IT_DIR/blimpd.log"
it_check "event: vm1 adopted" grep -q "event=vm_adopted vm=vm1 " "$IT_DIR/blimpd.log"
it_check "event: host state from unknown" grep -q "event=host_state from=unknown to=" "$IT_DIR/blimpd.log"

# history_s = 0: the request says the history is off.
it_daemon_stop
printf '[blimpd]\nhistory_s = 0\n' >"$IT_DIR/off.conf"
it_check "blimpd starts with history_s 0" it_daemon_start --config "$IT_DIR/off.conf"
"$BLIMP" history >/dev/null 2>"$IT_DIR/off.err"
orc=$?
it_check "history when off: exit 1 and says so ($(cat "$IT_DIR/off.err"))" \
	bash -c "[ $orc -eq 1 ] && grep -q 'history is off' '$IT_DIR/off.err'"
it_done
