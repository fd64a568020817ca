#!/bin/bash
# Not in the suite (2-3 minutes; run by hand): blimpd --connect qemu:///system with
# only the capability bounding set of packaging/blimpd.service.in (setpriv), over a
# Debian domain whose QEMU runs as libvirt-qemu: managed, fresh stats, CONSUMED and
# OVHD read, ballooned. CAPS_SET=... tries another set. Run: tests/package/caps-check.sh
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/syslibvirt.inc"
D=blimpit-caps
sys_debian_image || { it_fail img; it_done; }
sys_libvirtd_start || { it_fail libvirtd; it_done; }
sys_define "$D" 768 10 || { it_fail define; it_done; }
sys_start "$D" || { it_fail start; it_done; }
boot=$(sys_wait_agent "$D" 240) || { it_fail boot; it_done; }
it_ok "boots $boot s"
qpid=$(pgrep -f "qemu-system.*guest=$D" | head -1)
it_log "QEMU pid $qpid user $(ps -o user= -p $qpid)"
sys_run_unit "$D" blimp-cache@300.service 300 || it_fail "cache fill"
# the unit's CapabilityBoundingSet, in setpriv's words
CAPS=-all$(sed -n 's/^CapabilityBoundingSet=//p' "$IT_ROOT/packaging/blimpd.service.in" |
	tr ' ' '\n' | sed 's/^CAP_//' | tr 'A-Z' 'a-z' | sed 's/^/,+/' | tr -d '\n')
it_log "bounding set: $CAPS"
BLIMPD_REAL=$BLIMPD
BLIMPD=$IT_DIR/blimpd-caps
printf '#!/bin/sh\nexec setpriv --bounding-set %s %s "$@"\n' "${CAPS_SET:-$CAPS}" "$BLIMPD_REAL" >$BLIMPD
chmod +x $BLIMPD
it_daemon_start --connect "$SYS_URI" --host-mem 450M || { it_fail "blimpd"; it_done; }
bpid=$(pgrep -f "blimpd --state-dir $IT_DIR" | head -1)
it_log "blimpd caps: $(grep CapBnd "/proc/$bpid/status")"
jget() { "$BLIMP" stats "$D" --json 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
fresh() { [ "$(jget "d['stats_age_ms']")" -lt 2500 ]; }
figures() { [ "$(jget "d['consumed']")" -gt 0 ] && [ "$(jget "d['ovhd']")" -gt 0 ]; }
it_check "managed, fresh stats" it_wait 30 fresh
it_check "CONSUMED and OVHD read from QEMU's /proc/PID" it_wait 30 figures
actual_mib() { sys_virsh dommemstat "$D" 2>/dev/null | awk '$1 == "actual" {print int($2 / 1024)}'; }
ballooned() { [ "$(actual_mib)" -lt 700 ]; }
it_check "ballooned" it_wait 90 ballooned
"$BLIMP" stats "$D" | head -40
grep -iE "warn|error|denied|EACCES|permission" "$IT_DIR/blimpd.log" | grep -v " debug " | head -20
it_daemon_stop
it_done
