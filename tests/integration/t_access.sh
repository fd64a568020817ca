#!/bin/bash
# Host-side access sampling (no guest cooperation) against the guest's own figures:
# one 512 MiB guest (free page reporting on) runs `wsloop 200`; after two sampling
# windows blimpd's actv_host is within tolerance of the guest's in-use memory
# (guest_total - guest_available) and at least the 200 MiB the workload sweeps; once
# the workload stops, the estimate falls within two windows.
. "$(dirname "$0")/lib.sh"
WIN_S=${BLIMP_ACCESS_WIN_S:-5}
WS_MIB=200
printf '[blimpd]\naccess_sample_s = %s\n' "$WIN_S" >"$IT_DIR/blimpd.conf"
it_daemon_start --config "$IT_DIR/blimpd.conf" --policy static || exit 1
it_check "guest boots" it_vm_start a1 --mem 512M
mib() { echo $(($1 / 1048576)); }
method=$(it_stat a1 actv_host_method)
it_log "method: $method ($(grep -o 'access sampling [a-z_]*: .*' "$IT_DIR/blimpd.log" | head -1))"
it_check "a sampling method was chosen (got '$method')" [ "$method" != none ]

"$BLIMP" exec a1 -- sh -c "wsloop $WS_MIB --log /tmp/ws.log >/dev/null 2>&1 </dev/null &" >/dev/null
it_check "wsloop runs in the guest" it_wait 10 "$BLIMP" exec a1 -- pidof wsloop
ws_resident() { "$BLIMP" exec a1 -- tail -1 /tmp/ws.log | sed -n 's/.*resident_mib=\([0-9]*\).*/\1/p'; }
full() { [ "$(ws_resident)" -ge $WS_MIB ] 2>/dev/null; }
it_check "wsloop holds its $WS_MIB MiB" it_wait 60 full
sleep $((2 * WIN_S + 2)) # two whole windows with the workload running
ok=0
for i in 1 2 3; do
	"$BLIMP" stats a1 --json >"$IT_DIR/busy.json"
	read -r host inuse <<<"$(python3 -c "import json; s=json.load(open('$IT_DIR/busy.json')); print(s['actv_host'], s['guest_total']-s['guest_available'])")"
	it_log "busy ($i): actv_host $(mib "$host") MiB, guest in-use $(mib "$inuse") MiB, wsloop $WS_MIB MiB"
	# tolerance: at least the swept set less 5%, at most in-use + max(25%, 64 MiB)
	# (the host also sees what the guest kernel and QEMU's devices touch)
	if [ "$host" -ge $((WS_MIB * 1048576 * 95 / 100)) ] &&
		[ "$host" -le $((inuse + (inuse / 4 > 67108864 ? inuse / 4 : 67108864))) ] &&
		[ "$host" -le $((512 * 1048576)) ]; then
		ok=1
		break
	fi
	sleep "$WIN_S"
done
# keep the QEMU's smaps of the busy guest (IT_KEEP=1 leaves it in IT_DIR): the unit
# test's fixture tests/fixtures/collect/access/qemu512_wsloop/smaps came from here
qp=$(it_qemu_pid a1)
[ -n "$qp" ] && cat "/proc/$qp/smaps" >"$IT_DIR/busy.smaps" 2>/dev/null
it_check "actv_host ($(mib "$host") MiB) agrees with guest in-use ($(mib "$inuse") MiB) and wsloop ($WS_MIB MiB)" [ $ok -eq 1 ]
busy=$host

"$BLIMP" exec a1 -- sh -c 'kill $(pidof wsloop)' >/dev/null
it_check "wsloop stopped" it_wait 10 bash -c "! '$BLIMP' exec a1 -- pidof wsloop"
t0=$SECONDS
fell() { [ "$(it_stat a1 actv_host)" -ge 0 ] && [ "$(it_stat a1 actv_host)" -le $((busy / 4)) ]; }
it_wait $((3 * WIN_S + 5)) fell
rc=$?
idle=$(it_stat a1 actv_host)
it_log "idle: actv_host $(mib "$idle") MiB after $((SECONDS - t0)) s (busy $(mib "$busy") MiB), guest in-use $(mib $(($(it_stat a1 guest_total) - $(it_stat a1 guest_available)))) MiB, CONSUMED $(mib "$(it_stat a1 consumed)") MiB"
it_check "actv_host fell below a quarter of the busy figure within $((3 * WIN_S + 5)) s" [ $rc -eq 0 ]
it_done
