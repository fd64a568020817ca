#!/bin/bash
# Foreign domains with names blimp cannot keep whole: 200+ characters with spaces,
# quotes and non-ASCII letters. blimp keeps the first bytes of the name (cut at a
# character boundary, valid UTF-8 in JSON), acts on each domain by UUID (balloon,
# stats period, XML capabilities), and two such domains whose names share their
# first 63 bytes stay two VMs. The domains are made with virsh on blimpd's embedded
# libvirt while blimpd is stopped (as t_domains.sh does), from a minimal XML.
. "$(dirname "$0")/lib.sh"
U="qemu:///embed?root=$IT_DIR/state/libvirt"
vs() { timeout 60 virsh -q -c "$U" "$@" 2>/dev/null; }
long=$(printf 'x%.0s' $(seq 1 180))
NAME1="foreign guest 'quoted' \"double\" é 🎈 $long-one"
NAME2="foreign guest 'quoted' \"double\" é 🎈 $long-two"
xml_name() { python3 -c "import sys, html; print(html.escape(sys.argv[1]))" "$1"; }
# QEMU runs as libvirt-qemu and these domains are virsh's, not blimpd's (which stages
# what QEMU's user cannot reach): a checkout under a 0700 directory (/root, mktemp -d)
# would refuse the kernel, so the domains boot copies in the test's 0711 directory.
for f in vmlinux initrd.img; do
	cp "$IT_ROOT/build/guest/$f" "$IT_DIR/$f" && chmod 644 "$IT_DIR/$f" ||
		{ it_fail "copy $f for QEMU's user"; exit 1; }
done
mkxml() {
	cat <<XML
<domain type='qemu'>
  <name>$(xml_name "$1")</name>
  <memory unit='KiB'>262144</memory>
  <currentMemory unit='KiB'>262144</currentMemory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$IT_DIR/vmlinux</kernel>
    <initrd>$IT_DIR/initrd.img</initrd>
    <cmdline>console=ttyS0 panic=-1</cmdline></os>
  <features><acpi/></features>
  <cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>
  <devices><memballoon model='virtio'><stats period='1'/></memballoon></devices>
</domain>
XML
}
it_log "names of ${#NAME1} characters ($(printf %s "$NAME1" | wc -c) bytes)"

# blimpd writes the embedded qemu.conf (QEMU as libvirt-qemu) and exits
it_daemon_start || exit 1
it_daemon_stop
mkxml "$NAME1" >"$IT_DIR/d1.xml"
mkxml "$NAME2" >"$IT_DIR/d2.xml"
it_check "virsh creates the first foreign domain" vs create "$IT_DIR/d1.xml"
it_check "virsh creates the second foreign domain" vs create "$IT_DIR/d2.xml"
uuid1=$(vs domuuid "$NAME1")
uuid2=$(vs domuuid "$NAME2")
it_log "uuids $uuid1 $uuid2"

it_daemon_start --policy static || exit 1
ls_json() { "$BLIMP" ls --json; }
it_check "ls is valid JSON and lists both domains" bash -c "'$BLIMP' ls --json | python3 -c '
import json, sys
vms = json.load(sys.stdin)[\"vms\"]
assert {v[\"uuid\"] for v in vms} == {\"$uuid1\", \"$uuid2\"}, vms
for v in vms:
    assert v[\"name\"].startswith(\"foreign guest \x27quoted\x27 \\\"double\\\" é 🎈 x\"), v[\"name\"]
    assert len(v[\"name\"].encode()) <= 63, v[\"name\"]
'"
it_check "still two VMs after a few ticks (no eviction by the shared name)" \
	bash -c "sleep 3; [ \$('$BLIMP' ls --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"vms\"]))') = 2 ]"
dom() { "$BLIMP" stats "$1" --json | python3 -c "import json,sys; d=json.load(sys.stdin)['domain']; print($2)"; }
it_check "its XML was read by UUID (virtio balloon, period 1 s)" \
	[ "$(dom "$uuid1" "d['known'], d['balloon'], d['stats_period_s']")" = "True virtio 1" ]
actual() { "$BLIMP" stats "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["balloon_actual"])'; }
it_check "the guest's balloon driver answers" it_wait 120 bash -c "'$BLIMP' stats $uuid1 --json | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"mctl\"] is True'"
it_check "balloon by UUID accepted" "$BLIMP" balloon "$uuid1" 200M
it_check "the balloon of the first reaches 200 MiB" it_wait 60 bash -c "[ \$('$BLIMP' stats $uuid1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"balloon_actual\"])') -le $((200 << 20)) ]"
it_check "the second is left alone (256 MiB)" [ "$(actual "$uuid2")" = $((256 << 20)) ]
it_check "no libvirt lookup failed" bash -c "! grep -q 'no domain' '$IT_DIR/blimpd.log'"
it_daemon_stop
# at exit the first gets its balloon target back (on_exit restore, found by UUID);
# virsh can open the embedded root only now that blimpd has let go of it
it_check "after blimpd exits, the first is back at 256 MiB (virsh)" it_wait 60 bash -c "[ \"\$(timeout 60 virsh -q -c '$U' dommemstat $uuid1 2>/dev/null | awk '\$1 == \"actual\" {print \$2}')\" = 262144 ]"
vs destroy "$uuid1" >/dev/null
vs destroy "$uuid2" >/dev/null
it_done
