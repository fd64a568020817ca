#!/bin/bash
# A guest without a balloon driver (`blimp start --no-balloon-driver`) is still brought
# to its target, through host swap: blimpd runs with its host swap file on, the guest
# fills ~400 MiB of page cache on a budget that leaves it ~250 MiB, and the scheduler's
# cgroup limit pushes QEMU's pages to host swap: MCTL? stays N, CONSUMED falls to about
# the target (ENTITLEMENT; within 10% of MEMSZ) and SWCUR > 0. The guest keeps working
# (its data checks out with memcheck) and nothing is OOM-killed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/t_sched_lib.inc"

printf '[blimpd]\nswapfile_size = 1G\n' >"$IT_DIR/blimpd.conf"
it_daemon_start --config "$IT_DIR/blimpd.conf" --policy static || exit 1
it_check "guest without balloon driver boots" it_vm_start nb --mem 512M --no-balloon-driver \
	-- sh -c 'cat /data/files/*/* >/dev/null 2>&1; echo 1 >/tmp/filled'
oom_mark
it_check "page cache filled" it_wait 120 "$BLIMP" exec nb -- test -e /tmp/filled
it_check "MCTL? is N" [ "$(it_stat nb mctl)" = "False" ]
it_check "no virtio_balloon in the guest" bash -c "! '$BLIMP' exec nb -- cat /proc/modules | grep -q virtio_balloon"
sleep 2
consumed0=$(it_stat nb consumed)
ovhd=$(it_stat nb ovhd)
# Leave the guest ~250 MiB: its OVHD, 250 MiB, and ~7% for minFree.
budget=$((((250 * MIB + ovhd) * 107 / 100 + MIB - 1) / MIB * MIB))
it_log "static: CONSUMED $(mib "$consumed0") MiB, OVHD $(mib "$ovhd") MiB; budget $(mib "$budget") MiB"
it_check "the guest holds more than the budget leaves it" [ "$((consumed0 + ovhd))" -gt $((budget + 100 * MIB)) ]

it_daemon_stop --keep-vms
it_daemon_start --config "$IT_DIR/blimpd.conf" --policy blimp --host-mem "$budget" || exit 1
it_check "blimpd's swap file is on" it_wait 20 grep -q "$IT_DIR/state/swapfile" /proc/swaps
# CONSUMED within 10% of MEMSZ (51 MiB) of the entitlement, with pages in host swap.
# The lowest CONSUMED seen is kept for the log.
echo 999999999999 >"$IT_DIR/min"
near_target() {
	local c e
	c=$(it_stat nb consumed) e=$(it_stat nb entitlement)
	[ "$c" -lt "$(cut -d' ' -f1 "$IT_DIR/min")" ] && echo "$c $e" >"$IT_DIR/min"
	[ "$c" -le $((e + 51 * MIB)) ] && [ "$(it_stat nb swcur)" -gt 0 ]
}
t0=$SECONDS
it_check "CONSUMED falls to about the target with SWCUR > 0 (within 120 s)" it_wait 120 near_target
c=$(it_stat nb consumed) e=$(it_stat nb entitlement) s=$(it_stat nb swcur)
read -r cmin emin <"$IT_DIR/min"
it_log "lowest CONSUMED $(mib "$cmin") MiB (entitlement then $(mib "${emin:-0}") MiB)"
it_log "after $((SECONDS - t0)) s: CONSUMED $(mib "$c") MiB, ENTITLEMENT $(mib "$e") MiB, SWCUR $(mib "$s") MiB, SWTGT $(mib "$(it_stat nb swtgt)") MiB, MCTLSZ $(mib "$(it_stat nb mctlsz)") MiB, reason $(it_stat nb reason)"
it_check "CONSUMED $(mib "$c") MiB below what it held ($(mib "$consumed0") MiB) by >= 100 MiB" \
	[ "$c" -le $((consumed0 - 100 * MIB)) ]
it_check "no balloon was used (MCTLSZ 0)" [ "$(it_stat nb mctlsz)" -eq 0 ]
# The guest still works and its memory is intact after host swapping.
it_check "memcheck 64 MiB passes in the host-swapped guest" \
	bash -c "'$BLIMP' exec nb --timeout 120 -- memcheck 64 --seconds 5 | grep -q 'memcheck ok'"
k=$(guest_ooms nb)
it_check "no OOM kill in the guest ($k)" [ "$k" = 0 ]
oom_check
it_daemon_stop
it_check "swap file removed on exit" bash -c "! grep -q '$IT_DIR/state/swapfile' /proc/swaps"
it_done
