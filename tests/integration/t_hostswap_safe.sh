#!/bin/bash
# A host swap limit never loses a VM (cgroup v1 hosts; skipped elsewhere). A guest
# without a balloon driver is pushed to host swap by blimp's cgroup limit, as in
# t_sched_noballoon.sh, with a small swap file. Checked: oom_kill_disable is 1 while the
# limit is held; the limit falls by at most a step (64 MiB) per apply. Then the swap is
# taken away from the VM's cgroup (the test sets its memory.swappiness to 0: reclaim
# can no longer swap QEMU's pages out, as with a full swap) while the guest keeps
# touching its memory: the cgroup reaches its limit with nothing to reclaim
# (under_oom), blimpd raises the limit at once (a "safety" warning in its log), and
# QEMU survives: same pid, no OOM kill in its cgroup or on the host, the guest's data
# intact. On exit the limit and oom_kill_disable are back as they were.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/t_sched_lib.inc"

V1=/sys/fs/cgroup/memory
it_require_cgroup_v1 "v2 uses memory.high, never OOM-kills"

printf '[blimpd]\nswapfile_size = 256M\n' >"$IT_DIR/blimpd.conf"
it_daemon_start --config "$IT_DIR/blimpd.conf" --policy static || exit 1
it_check "guest without balloon driver boots" it_vm_start nb --mem 512M --no-balloon-driver \
	-- sh -c 'cat /data/files/*/* >/dev/null 2>&1; echo 1 >/tmp/filled'
it_check "page cache filled" it_wait 120 "$BLIMP" exec nb -- test -e /tmp/filled
pid=$(it_qemu_pid nb)
cg="$V1$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' "/proc/$pid/cgroup")"
it_log "QEMU pid $pid, memory cgroup $cg"
it_check "QEMU has a memory cgroup of its own" [ -e "$cg/memory.oom_control" ]
lim0=$(cat "$cg/memory.limit_in_bytes")
ookd() { awk '$1=="oom_kill_disable"{print $2}' "$cg/memory.oom_control"; }
cgkills() { awk '$1=="oom_kill"{print $2}' "$cg/memory.oom_control"; }
guard0=$(ookd)
kills0=$(cgkills)
sleep 2
consumed0=$(it_stat nb consumed)
ovhd=$(it_stat nb ovhd)
budget=$((((250 * MIB + ovhd) * 107 / 100 + MIB - 1) / MIB * MIB))
it_log "CONSUMED $(mib "$consumed0") MiB, OVHD $(mib "$ovhd") MiB; budget $(mib "$budget") MiB"

it_daemon_stop --keep-vms
oom_mark
# The limit, sampled every 0.2 s while blimpd runs.
(while kill -0 "$pid" 2>/dev/null && [ ! -e "$IT_DIR/stop-sampler" ]; do
	echo "$(date +%s.%N) $(cat "$cg/memory.limit_in_bytes") $(cat "$cg/memory.usage_in_bytes") $(awk '{printf "%s=%s ", $1, $2}' "$cg/memory.oom_control")"
	sleep 0.2
done >"$IT_DIR/limits") &
sampler=$!
it_daemon_start --config "$IT_DIR/blimpd.conf" --policy blimp --host-mem "$budget" || exit 1
it_check "blimpd's swap file is on" it_wait 20 grep -q "$IT_DIR/state/swapfile" /proc/swaps
limited() { [ "$(cat "$cg/memory.limit_in_bytes")" -lt "$lim0" ]; }
it_check "blimp limits the VM's cgroup (within 90 s)" it_wait 90 limited
it_check "oom_kill_disable is 1 while limited (was $guard0)" [ "$(ookd)" = 1 ]
swapped() { [ "$(it_stat nb swcur)" -gt $((32 * MIB)) ]; }
it_check "pages go to host swap (SWCUR > 32 MiB within 90 s)" it_wait 90 swapped
it_log "limit $(mib "$(cat "$cg/memory.limit_in_bytes")") MiB, SWCUR $(mib "$(it_stat nb swcur)") MiB, SWTGT $(mib "$(it_stat nb swtgt)") MiB"

# Take swap away from the cgroup and make the guest touch its memory.
echo 0 >"$cg/memory.swappiness"
"$BLIMP" exec nb --timeout 200 -- memcheck 160 --seconds 60 >"$IT_DIR/memcheck.out" 2>&1 &
mc=$!
rescued() { grep -Eq "event=hostswap_(rescue|refused|oom_kill) " "$IT_DIR/blimpd.log"; }
it_check "blimpd sees the cgroup stuck and raises its limit (within 120 s)" it_wait 120 rescued
grep -E "event=hostswap_(rescue|refused|oom_kill) " "$IT_DIR/blimpd.log" | head -3 | cut -c1-400 | sed 's/^/    /'
wait "$mc"
it_check "memcheck passes in the guest ($(tail -c 120 "$IT_DIR/memcheck.out" | tr '\n' ' '))" \
	grep -q "memcheck ok" "$IT_DIR/memcheck.out"
under=$(grep -c "under_oom=1" "$IT_DIR/limits")
it_log "samples with under_oom=1: $under of $(wc -l <"$IT_DIR/limits")"
it_check "QEMU pid $pid still alive" kill -0 "$pid"
it_check "the guest still answers" "$BLIMP" exec nb --timeout 30 -- true
it_check "no OOM kill in the VM's cgroup (oom_kill $kills0 -> $(cgkills))" [ "$(cgkills)" = "$kills0" ]
k=$(guest_ooms nb)
it_check "no OOM kill in the guest ($k)" [ "$k" = 0 ]
oom_check
# Each fall of the limit is at most a step below min(limit, usage) before it (usage is
# sampled up to 0.2 s before blimpd read it: 16 MiB of slack).
maxdrop=$(awk -v u="$lim0" '$2 < u && $3 > 0 { b = (pu < p ? pu : p); if (p && $2 < p && b - $2 > m) m = b - $2 } { p = $2; pu = $3 } END { print m + 0 }' "$IT_DIR/limits")
it_check "the limit fell by at most a step (64 MiB) below min(limit, usage) (largest $(mib "$maxdrop") MiB)" \
	[ "$maxdrop" -le $((80 * MIB)) ]
echo 60 >"$cg/memory.swappiness"
it_daemon_stop --keep-vms # the cgroup goes with the VM: look at it first
touch "$IT_DIR/stop-sampler"
wait "$sampler"
it_check "limit restored on exit ($(cat "$cg/memory.limit_in_bytes"))" \
	[ "$(cat "$cg/memory.limit_in_bytes")" = "$lim0" ]
it_check "oom_kill_disable restored on exit" [ "$(ookd)" = "$guard0" ]
it_done
