#!/bin/bash
# A domain blimp did not start (a "foreign" one, as on qemu:///system): blimp reads
# its XML, sets a too long stats period live and puts it back at exit, and gives its
# balloon target back at an orderly exit, also after a SIGKILL in between (the
# originals come from STATE/domain-originals), and not with --on-exit keep.
# The foreign domain is made in embedded mode: blimp starts it, then, with blimpd
# stopped, virsh on the same embedded root marks it managed=0, sets its stats period
# to 10 s and its balloon to 200 MiB, as an operator's own domain would have them.
. "$(dirname "$0")/lib.sh"
U="qemu:///embed?root=$IT_DIR/state/libvirt"
vs() { timeout 60 virsh -q -c "$U" "$@" 2>/dev/null; }
actual_kib() { vs dommemstat f1 | awk '$1 == "actual" {print $2}'; }
dom() { "$BLIMP" stats f1 --json | python3 -c "import json,sys; d=json.load(sys.stdin)['domain']; print($1)"; }
orig_file="$IT_DIR/state/domain-originals"

it_daemon_start --policy static || exit 1
it_check "guest boots" it_vm_start f1 --mem 256M
it_check "a VM blimp started lacks nothing" [ "$(dom "d['missing']")" = "[]" ]
it_check "its XML read: qemu, virtio balloon, autodeflate, period 1 s" \
	[ "$(dom "d['type'], d['balloon'], d['autodeflate'], d['stats_period_s']")" = "qemu virtio True 1" ]
it_check "blimp stats prints the domain line" bash -c "'$BLIMP' stats f1 | grep -q '^domain  *qemu, balloon virtio, stats period 1 s'"
it_check "status: libvirt connected" bash -c "'$BLIMP' status | grep -q '^connection  connected'"
it_check "status json: libvirt.connected" bash -c "'$BLIMP' status --json | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"libvirt\"][\"connected\"] is True'"
it_daemon_stop --keep-vms

# make it foreign, with an operator's period and balloon
vs metadata f1 urn:blimp:memory:1 --live --key blimp --set '<memory><managed>0</managed></memory>' >/dev/null
vs dommemstat f1 --period 10 --live >/dev/null
vs setmem f1 200M --live
it_check "balloon settles at 200 MiB (virsh)" it_wait 60 bash -c "[ \"\$(timeout 60 virsh -q -c '$U' dommemstat f1 2>/dev/null | awk '\$1 == \"actual\" {print \$2}')\" = 204800 ]"

it_daemon_start --policy static || exit 1
it_check "adopted as not started by blimp" bash -c "grep -q 'f1: found (running, not started by blimp)' '$IT_DIR/blimpd.log'"
it_check "period 10 s set live to 1 s" [ "$(dom "d.get('stats_period_changed')")" = "{'from_s': 10, 'to_s': 1}" ]
it_check "adoption target 200 MiB" [ "$(dom "d.get('adopt_target')")" = $((200 << 20)) ]
it_check "stats says the period was changed" bash -c "'$BLIMP' stats f1 | grep -q '^stats_period  *changed by blimp from 10 s to 1 s (live only), restored on exit'"
it_check "originals recorded" grep -q " 209715200 10 1\$" "$orig_file"
it_check "guest stats fresh with the new period" it_wait 30 bash -c "[ \$('$BLIMP' stats f1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"stats_age_ms\"])') -lt 2500 ]"
"$BLIMP" balloon f1 150M >/dev/null
it_check "balloon 150M" it_wait 30 bash -c "[ \$('$BLIMP' stats f1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"balloon_actual\"])') = $((150 << 20)) ]"

# SIGKILL: the next blimpd must not take 150 MiB or 1 s as the domain's own
kill -9 "$IT_DAEMON_PID"; wait "$IT_DAEMON_PID" 2>/dev/null; IT_DAEMON_PID=
it_check "originals survive SIGKILL" grep -q " 209715200 10 1\$" "$orig_file"
it_daemon_start --policy static || exit 1
it_check "restarted blimpd knows the adoption target" [ "$(dom "d.get('adopt_target')")" = $((200 << 20)) ]
it_check "and the domain's own period" [ "$(dom "d.get('stats_period_changed')")" = "{'from_s': 10, 'to_s': 1}" ]
it_check "logged as an earlier blimpd's" grep -q "f1: balloon target when first adopted: 200.0M (recorded by an earlier blimpd)" "$IT_DIR/blimpd.log"
"$BLIMP" balloon f1 150M >/dev/null
it_check "balloon 150M again" it_wait 30 bash -c "[ \$('$BLIMP' stats f1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"balloon_actual\"])') = $((150 << 20)) ]"
it_daemon_stop
it_check "QEMU of the foreign domain still runs" bash -c "[ -n \"\$(pgrep -f 'qemu-system.*guest=f1,.*$IT_DIR')\" ]"
it_check "exit logged the give-back" grep -q "f1: balloon target back to 200.0M (as blimp found it; was 150.0M)" "$IT_DIR/blimpd.log"
it_check "balloon back at 200 MiB after exit" it_wait 30 bash -c "[ \"\$(timeout 60 virsh -q -c '$U' dommemstat f1 2>/dev/null | awk '\$1 == \"actual\" {print \$2}')\" = 204800 ]"
it_check "stats period back to 10 s" bash -c "timeout 60 virsh -q -c '$U' dumpxml f1 2>/dev/null | grep -q \"<stats period='10'/>\""
it_check "nothing left to restore: originals file removed" [ ! -e "$orig_file" ]

# --on-exit keep: the target stays where blimp left it, the original stays recorded
it_daemon_start --policy static --on-exit keep || exit 1
"$BLIMP" balloon f1 150M >/dev/null
it_check "balloon 150M (keep)" it_wait 30 bash -c "[ \$('$BLIMP' stats f1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"balloon_actual\"])') = $((150 << 20)) ]"
it_daemon_stop
it_check "--on-exit keep leaves 150 MiB" [ "$(actual_kib)" = 153600 ]
it_check "--on-exit keep keeps the adoption target for the next blimpd" grep -q " 209715200 10 0\$\| 209715200 0 0\$" "$orig_file"
vs destroy f1 >/dev/null
it_done
