#!/bin/bash
# ZIP > 0 when host swap runs with zswap (cgroup v1 hosts; skipped elsewhere). As in
# t_hostswap_safe.sh, a guest without a balloon driver is pushed to host swap by
# blimp's cgroup limit (swap file 256 MiB, zswap on: blimpd's `zswap = true`); the
# guest first fills 200 MiB of tmpfs with a compressible pattern, so what goes to swap
# compresses. Checked: the host's meminfo Zswapped grows, `blimp stats` shows ZIP > 0
# for the VM, marked as an estimate (v1 has no per-cgroup zswap figure: the host's
# Zswapped shared out by SWCUR), ZIP <= SWCUR, the host object shows zswapped; on exit
# zswap's `enabled` is back as it was.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/t_sched_lib.inc"

V1=/sys/fs/cgroup/memory
it_require_cgroup_v1 "v2 reads memory.stat zswapped"
ZEN=/sys/module/zswap/parameters/enabled
if [ ! -w "$ZEN" ]; then
	it_ok "skipped: no zswap in this kernel"
	it_done
fi
zen0=$(cat "$ZEN")
hstat() { "$BLIMP" status --json | python3 -c "import json,sys; print(json.load(sys.stdin)['host']['$1'])"; }

printf '[blimpd]\nswapfile_size = 256M\nzswap = true\n' >"$IT_DIR/blimpd.conf"
it_daemon_start --config "$IT_DIR/blimpd.conf" --policy static || exit 1
it_check "guest without balloon driver boots" it_vm_start nb --mem 512M --no-balloon-driver \
	-- sh -c 'yes blimp-zip-pattern | head -c 209715200 >/tmp/fill; echo 1 >/tmp/filled'
it_check "guest filled 200 MiB of tmpfs" it_wait 120 "$BLIMP" exec nb -- test -e /tmp/filled
it_check "the tmpfs file has 200 MiB" [ "$("$BLIMP" exec nb -- stat -c %s /tmp/fill)" = 209715200 ]
sleep 2
consumed0=$(it_stat nb consumed)
ovhd=$(it_stat nb ovhd)
# room for all but ~150 MiB of what the VM holds: the rest must go to host swap. (No
# data disk reads here: QEMU's cgroup would be charged the host's page cache of the
# disk image, and the limit would reclaim that instead of swapping.)
budget=$((((consumed0 - 150 * MIB + ovhd) * 107 / 100 + MIB - 1) / MIB * MIB))
it_log "CONSUMED $(mib "$consumed0") MiB, OVHD $(mib "$ovhd") MiB; budget $(mib "$budget") MiB"

it_daemon_stop --keep-vms
it_daemon_start --config "$IT_DIR/blimpd.conf" --policy blimp --host-mem "$budget" || exit 1
it_check "blimpd's swap file is on" it_wait 20 grep -q "$IT_DIR/state/swapfile" /proc/swaps
it_check "zswap is on while blimp's swap file is" [ "$(cat "$ZEN")" = Y ]
# How much goes out depends on the policy's view meanwhile (it gives the limit back
# once the host looks clear): any host swap of the VM's pages is enough here.
zipped() { [ "$(it_stat nb swcur)" -gt 0 ] && [ "$(it_stat nb zip)" -gt 0 ]; }
it_check "pages go to host swap and ZIP > 0 in blimp stats (within 120 s)" it_wait 120 zipped
zip=$(it_stat nb zip)
swcur=$(it_stat nb swcur)
zw=$(awk '$1=="Zswapped:"{print $2 * 1024}' /proc/meminfo)
it_log "SWCUR $(mib "$swcur") MiB, ZIP $(mib "$zip") MiB ($zip B); host Zswapped $(mib "$zw") MiB, blimp's zswapped $(mib "$(hstat zswapped)") MiB"
it_check "ZIP is marked as an estimate on cgroup v1" [ "$(it_stat nb zip_estimated)" = True ]
it_check "ZIP <= SWCUR" [ "$zip" -le "$swcur" ]
it_check "the host object shows zswapped > 0" [ "$(hstat zswapped)" -gt 0 ]
it_check "blimp stats (table) has a ZIP column" bash -c "'$BLIMP' stats nb | grep -q ZIP"
it_daemon_stop
it_check "zswap enabled restored on exit ($zen0)" [ "$(cat "$ZEN")" = "$zen0" ]
it_done
