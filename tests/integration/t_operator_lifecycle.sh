#!/bin/bash
# blimpd --connect qemu:///system over an operator's own Debian domain (stock XML: a
# plain virtio memballoon with a 10 s stats period, no autodeflate, no blimp metadata),
# through what an operator does to it: `blimp set` (seen in `virsh dumpxml`), blimpd
# killed with SIGKILL and started again, `virsh destroy` + `virsh start`, a libvirtd
# restart, and an orderly blimpd exit, which gives the domain back its stats period and
# the balloon target blimp found (on_exit=restore, the default).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslibvirt.inc"

D=blimpit-life
sys_debian_image || { it_fail "Debian guest image"; it_done; }
sys_libvirtd_start || { it_fail "system libvirtd"; it_done; }
sys_define "$D" 768 10 || { it_fail "define $D"; it_done; }
sys_start "$D" || { it_fail "start $D"; it_done; }
if boot=$(sys_wait_agent "$D" 240); then it_ok "$D boots ($boot s)"; else it_fail "$D boots"; it_done; fi

jget() { "$BLIMP" stats "$D" --json 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
actual_mib() { sys_virsh dommemstat "$D" 2>/dev/null | awk '$1 == "actual" {print int($2 / 1024)}'; }
live_period() { sys_virsh dumpxml "$D" | sed -n "s/.*<stats period='\([0-9]*\)'.*/\1/p"; }
managed_now() { # the domain is running, blimp sees it with fresh stats (age < 2.5 s)
	[ "$(jget "d['state']")" = running ] && [ "$(jget "d['stats_age_ms']")" -lt 2500 ]
}

# The guest holds 300 MiB of page cache, on a budget below what it then holds: blimp
# balloons it (to 75% of MEMSZ at most, no deflate-on-OOM).
sys_run_unit "$D" blimp-cache@300.service 300 || it_fail "$D: page cache fill"
it_daemon_start --connect "$SYS_URI" --host-mem 450M || { it_fail "blimpd --connect"; it_done; }
it_check "the domain is managed: fresh stats within 30 s" it_wait 30 managed_now
it_check "its 10 s stats period is set live to 1 s" [ "$(live_period)" = 1 ]
it_check "blimp stats names what its XML lacks" bash -c "'$BLIMP' stats '$D' | grep -q 'no deflate-on-OOM'"
it_check "MCTLMAX without deflate-on-OOM is 25% of MEMSZ" [ "$(jget "d['mctlmax']")" = $((768 * 1048576 / 4)) ]
ballooned() { [ "$(actual_mib)" -lt 700 ]; }
it_check "blimp balloons it (budget 450M)" it_wait 90 ballooned
it_log "balloon actual $(actual_mib) MiB, reason $(jget "d['reason']")"
it_check "never below 75% of MEMSZ ($(actual_mib) MiB)" [ "$(actual_mib)" -ge $((768 * 75 / 100 - 1)) ]

# blimp set: in the domain's XML, live and persistent
it_check "blimp set reservation=400M" "$BLIMP" set "$D" reservation=400M
it_check "virsh dumpxml shows it" bash -c "virsh -q -c '$SYS_URI' dumpxml '$D' | grep -q 'urn:blimp:memory:1'"
it_check "virsh dumpxml --inactive shows it" bash -c "virsh -q -c '$SYS_URI' dumpxml --inactive '$D' | grep -q 'urn:blimp:memory:1'"

# SIGKILL, then a new blimpd: resumes, same domain, original period still known
kill -9 "$IT_DAEMON_PID"
wait "$IT_DAEMON_PID" 2>/dev/null
IT_DAEMON_PID=
it_daemon_start --connect "$SYS_URI" --host-mem 450M || { it_fail "blimpd after SIGKILL"; it_done; }
it_check "after SIGKILL: managed again" it_wait 30 managed_now
it_check "the reservation survived (domain metadata)" [ "$(jget "d['reservation']")" = $((400 * 1048576)) ]
it_check "the domain's own period (10 s) is still known" [ "$(jget "d['domain'].get('stats_period_changed')")" = "{'from_s': 10, 'to_s': 1}" ]

# virsh destroy + start: a new run of the domain, its config's period again
sys_virsh destroy "$D" >/dev/null
gone() { [ "$(jget "d['state']")" != running ]; }
it_check "destroy seen" it_wait 30 gone
sys_start "$D"
if boot=$(sys_wait_agent "$D" 240); then it_ok "$D boots again ($boot s)"; else it_fail "$D boots again"; fi
it_check "after destroy/start: managed again" it_wait 60 managed_now
it_check "its period set live again" [ "$(live_period)" = 1 ]

# libvirtd restart: blimpd says it is disconnected, then reconnects
if [ -n "$SYS_LIBVIRTD_PID" ]; then
	sys_stop_pid "$SYS_LIBVIRTD_PID"
	disconnected() { "$BLIMP" status --json | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)["libvirt"]["connected"])'; }
	it_check "status shows libvirt disconnected" it_wait 30 disconnected
	SYS_LIBVIRTD_PID=
	sys_libvirtd_start || it_fail "libvirtd restart"
	connected() { "$BLIMP" status --json | python3 -c 'import json,sys; sys.exit(not json.load(sys.stdin)["libvirt"]["connected"])'; }
	it_check "blimpd reconnects within 60 s" it_wait 60 connected
	it_check "the domain is managed after the reconnect" it_wait 30 managed_now
else
	it_log "libvirtd was running before the test: not restarting someone else's libvirtd"
fi

# The exit default: the period goes back to 10 s, the balloon target to what blimp found
"$BLIMP" set "$D" reservation=0 >/dev/null
it_daemon_stop --keep-vms
it_check "the domain still runs after blimpd exits" bash -c "virsh -q -c '$SYS_URI' domstate '$D' | grep -q running"
it_check "stats period back to 10 s" [ "$(live_period)" = 10 ]
back() { [ "$(actual_mib)" -ge 760 ]; }
it_check "balloon back at 768 MiB (as blimp found it)" it_wait 60 back
grep -E "balloon target back|could not return" "$IT_DIR/blimpd.log" | tail -2 | sed 's/^/    /'
it_done
