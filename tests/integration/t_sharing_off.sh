#!/bin/bash
# Per-VM page sharing off (`blimp start --no-sharing`, ESX's salting for tenants who
# need isolation): the domain gets <memoryBacking><nosharepages/>, libvirt starts QEMU
# with mem-merge=off, so KSM never merges that VM's memory. Two identical guests, one
# with sharing off: while KSM runs (blimpd turns it on), the other shows SHRD > 0 and
# the one with sharing off keeps ksm_merging_pages at 0; `blimp stats --json` reports
# the domain's sharing from its live XML.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/t_ksm_lib.inc"
it_daemon_start || exit 1
it_check "guest s1 (sharing on) boots" it_vm_start s1 --mem 256M
it_check "guest s0 (sharing off) boots" it_vm_start s0 --mem 256M --no-sharing
p1=$(it_qemu_pid s1)
p0=$(it_qemu_pid s0)
it_check "s0's QEMU runs with mem-merge=off" bash -c "tr '\\0' ' ' </proc/$p0/cmdline | grep -q 'mem-merge=off'"
it_check "s1's QEMU has no mem-merge=off" bash -c "! tr '\\0' ' ' </proc/$p1/cmdline | grep -q 'mem-merge=off'"
dom() { "$BLIMP" stats "$1" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['domain']['sharing'])"; }
it_check "stats: s0's domain has sharing off" [ "$(dom s0)" = False ]
it_check "stats: s1's domain has sharing on" [ "$(dom s1)" = True ]
it_check "blimpd turned KSM on" it_wait 20 grep -qx 1 $KSM/run
merging() { awk '$1=="ksm_merging_pages" {print $2}' "/proc/$1/ksm_stat" 2>/dev/null || echo 0; }
shared() { [ "$(it_stat s1 shrd)" -gt 0 ]; }
it_check "s1 (sharing on) shows SHRD > 0 (within 180 s)" it_wait 180 shared
sleep 5
it_log "s1: SHRD $(it_stat s1 shrd), ksm_merging_pages $(merging "$p1"); s0: SHRD $(it_stat s0 shrd), ksm_merging_pages $(merging "$p0"); pages_sharing $(cat $KSM/pages_sharing)"
if [ -e "/proc/$p0/ksm_stat" ]; then
	it_check "s0 (sharing off): ksm_merging_pages is 0" [ "$(merging "$p0")" = 0 ]
fi
it_check "s0 (sharing off): SHRD is 0" [ "$(it_stat s0 shrd)" = 0 ]
samesvd() { [ "$(it_stat s0 shrdsvd)" = "$(it_stat s1 shrdsvd)" ] && [ "$(it_stat s1 shrdsvd)" -gt 0 ]; }
# (KSM keeps merging between the two reads: a few tries)
it_check "SHRDSVD is host-wide: > 0 and the same in both VMs" it_wait 10 samesvd
ksm_note_others
it_daemon_stop
ksm_check_restored
it_done
