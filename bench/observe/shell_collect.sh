#!/bin/bash
# The hand-written equivalent of one blimpd collection, ITERATIONS times:
# `virsh domstats --balloon` for every domain, the host files (meminfo, PSI, KSM
# sysfs, swaps, zswap) and, per QEMU, smaps_rollup, status, ksm_stat and the memory
# cgroup's files. Kept as cheap as a shell can be: one `cat` per VM and one for the
# host, output discarded (a real script would also parse it).
# usage: shell_collect.sh URI ITERATIONS PID:CGROUP_DIR...
set -u
uri=$1
iters=$2
shift 2
host_files=(/proc/meminfo /proc/pressure/memory /proc/swaps)
for f in run pages_to_scan sleep_millisecs pages_shared pages_sharing pages_unshared \
	pages_volatile full_scans; do
	host_files+=("/sys/kernel/mm/ksm/$f")
done
[ -e /sys/module/zswap/parameters/enabled ] && host_files+=(/sys/module/zswap/parameters/enabled)
vm_files=()
for pc in "$@"; do
	pid=${pc%%:*}
	cg=${pc#*:}
	fl="/proc/$pid/smaps_rollup /proc/$pid/status /proc/$pid/ksm_stat"
	for f in memory.usage_in_bytes memory.limit_in_bytes memory.memsw.usage_in_bytes \
		memory.stat memory.current memory.max memory.high memory.swap.current; do
		[ -e "$cg/$f" ] && fl="$fl $cg/$f"
	done
	vm_files+=("$fl")
done
for ((i = 0; i < iters; i++)); do
	virsh -c "$uri" domstats --balloon >/dev/null
	cat "${host_files[@]}" >/dev/null
	for fl in "${vm_files[@]}"; do
		# shellcheck disable=SC2086 # one word per file on purpose
		cat $fl >/dev/null
	done
done
