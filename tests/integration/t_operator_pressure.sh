#!/bin/bash
# blimpd over the operator's own domains (qemu:///system), under memory pressure, with
# the XML an operator writes: three Debian 12 guests of 768 MiB defined by `virsh
# define` with balloon stats every 5 s, every 10 s and none, no autodeflate, no free
# page reporting, no blimp metadata; blimpd --connect qemu:///system with a 1536 MiB
# budget (below the three MEMSZ) and no host swap. Each round all three guests fill
# 300 MiB of page cache and go quiet until blimp has ballooned every one of them; then
# the third runs blimp-stress@400 (stress-ng maps, populates and verifies 400 MiB, then
# exits) while the other two hold their cache. The workload must finish with success,
# with no OOM kill in any guest (/proc/vmstat oom_kill and the kernel log, not the
# workload's exit status); the seconds until its 400 MiB are resident are printed.
# Three rounds. All along, no domain's stats may stay stale for a minute.
# BLIMP_IT_ROUNDS, BLIMP_IT_QUIET_S adjust it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslibvirt.inc"

MIB=768
DOMS=(blimpit-press-a blimpit-press-b blimpit-press-c)
PERIODS=(5 10 0)
WORK=${DOMS[2]}
ROUNDS=${BLIMP_IT_ROUNDS:-3}
QUIET_S=${BLIMP_IT_QUIET_S:-90}
STRESS_MIB=400

stock_xml() { ! sys_virsh dumpxml "$1" | grep -q "deflate\|freePageReporting\|urn:blimp"; }
sys_debian_image || { it_fail "Debian guest image"; it_done; }
sys_libvirtd_start || { it_fail "system libvirtd"; it_done; }
for i in "${!DOMS[@]}"; do
	sys_define "${DOMS[$i]}" "$MIB" "${PERIODS[$i]}" || { it_fail "define ${DOMS[$i]}"; it_done; }
	# what the operator wrote is what libvirt runs: nothing of blimp's, no deflate
	it_check "${DOMS[$i]}: stock XML (no autodeflate, free page reporting, blimp metadata)" \
		stock_xml "${DOMS[$i]}"
done
for d in "${DOMS[@]}"; do sys_start "$d" || { it_fail "start $d"; it_done; }; done
for d in "${DOMS[@]}"; do
	if boot=$(sys_wait_agent "$d" 240); then it_ok "$d boots ($boot s)"; else it_fail "$d boots"; it_done; fi
done

# blimpd on the system libvirt. lib.sh's it_daemon_start also passes --guest-dir; that
# is only read when `blimp start` makes a built-in guest, so it is harmless here.
# CAUTION: blimpd --connect manages every domain of that libvirtd, not just ours.
it_daemon_start --connect "$SYS_URI" --host-mem 1536M || { it_fail "blimpd --connect $SYS_URI"; it_done; }
it_ok "blimpd runs on $SYS_URI"

# Every 5 s, each domain's stats age and reason, for the "managed" check and the log.
sampler() {
	while :; do
		for d in "${DOMS[@]}"; do
			"$BLIMP" stats "$d" --json 2>/dev/null | python3 -c "import json,sys,time; v=json.load(sys.stdin); print(int(time.time()), v['name'], v['stats_age_ms'], v['balloon_actual'] >> 20, v['reason'])" 2>/dev/null
		done
		sleep 5
	done
}
sampler >"$IT_DIR/samples" 2>/dev/null &
SAMPLER=$!

mctlsz_mib() { echo $(($(it_stat "$1" mctlsz 2>/dev/null || echo 0) / 1048576)); }
all_ballooned() { local d; for d in "${DOMS[@]}"; do [ "$(mctlsz_mib "$d")" -gt 0 ] || return 1; done; }
# Milliseconds until a stress-ng worker in the guest holds KIB resident, measured in
# the guest (a poll through the agent takes a second or more: too coarse); "?" after
# 120 s. The worker renames itself (stress-ng-vm), so match on the prefix.
resident_ms() {
	sys_gexec "$WORK" --timeout 150 -- sh -c '
		t0=$(date +%s%N)
		while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 120000 ]; do
			r=$(ps -eo rss=,comm= | awk "\$2 ~ /^stress-ng/ { if (\$1 > m) m = \$1 } END { print m + 0 }")
			[ "$r" -ge "$1" ] && { echo $(( ($(date +%s%N) - t0) / 1000000 )); exit 0; }
			sleep 0.1
		done
		echo "?"' sh "$1"
}
# The cache units are oneshots that stay active: restart them to read the file again.
fill_cache() { sys_gexec "$1" -- systemctl restart --no-block "blimp-cache@$2.service"; }

kills0=()
for d in "${DOMS[@]}"; do kills0+=("$(sys_oom_kills "$d")"); done
for r in $(seq 1 "$ROUNDS"); do
	# The workload's guest reads more: after a round it holds what the workload freed
	# (KSM merges it: stress-ng leaves it uniform), and a guest that reads nothing new
	# leaves the host in clear, where nothing needs ballooning.
	for d in "${DOMS[0]}" "${DOMS[1]}"; do fill_cache "$d" 300 || it_fail "round $r: $d cache fill"; done
	fill_cache "$WORK" 500 || it_fail "round $r: $WORK cache fill"
	it_log "round $r: page cache filled in all three; quiet until each is ballooned ($QUIET_S s at most)"
	sleep 20
	it_wait "$QUIET_S" all_ballooned
	sleep 5
	"$BLIMP" ls 2>&1 | sed 's/^/    /'
	for d in "${DOMS[@]}"; do
		m=$(mctlsz_mib "$d")
		if [ "$m" -gt 0 ]; then it_ok "round $r: $d ballooned (MCTLSZ $m MiB)"; else it_fail "round $r: $d ballooned (MCTLSZ $m MiB)"; fi
	done
	it_log "round $r: $WORK before the workload: $(sys_gexec "$WORK" -- grep MemTotal /proc/meminfo | tr -s ' ')"

	unit=blimp-stress@$STRESS_MIB.service
	t=$SECONDS
	resident_ms $((STRESS_MIB * 1024 * 95 / 100)) >"$IT_DIR/resident" 2>/dev/null &
	probe=$!
	sleep 1 # the probe's shell is up in the guest
	sys_unit_start "$WORK" "$unit" || it_fail "round $r: start $unit"
	while [ $((SECONDS - t)) -lt 300 ]; do
		sys_unit_running "$WORK" "$unit" || break
		sleep 1
	done
	done_s=$((SECONDS - t))
	wait "$probe"
	resident=$(cat "$IT_DIR/resident")
	res=$(sys_unit_result "$WORK" "$unit")
	it_log "round $r: $STRESS_MIB MiB resident after ${resident:-?} ms (95%, from about 1 s before the start), unit ended after $done_s s ($res)"
	echo "$r $resident" >>"$IT_DIR/resident.all"
	it_check "round $r: $unit finished with success ($res)" [ "$res" = "success 0" ]
	for i in "${!DOMS[@]}"; do
		d=${DOMS[$i]}
		kills=$(sys_oom_kills "$d")
		it_check "round $r: $d oom_kill unchanged (${kills0[$i]} -> ${kills:-?})" [ "${kills:-x}" = "${kills0[$i]}" ]
		oom=$(sys_oom_log "$d")
		it_check "round $r: $d kernel log has no OOM" [ -z "$oom" ]
		[ -z "$oom" ] || echo "$oom" | head -5
	done
done

kill "$SAMPLER" 2>/dev/null
wait "$SAMPLER" 2>/dev/null
# Managed: after the first minute, no domain's stats are older than a minute, and the
# share of stale samples (older than stale_after_ms, 5 s) is printed per domain.
t0=$(head -1 "$IT_DIR/samples" | cut -d' ' -f1)
for d in "${DOMS[@]}"; do
	worst=$(awk -v d="$d" -v t0="$t0" '$2 == d && $1 > t0 + 60 { if ($3 > m) m = $3 } END { print m + 0 }' "$IT_DIR/samples")
	stale=$(awk -v d="$d" '$2 == d { n++; if ($3 > 5000) s++ } END { printf "%d of %d", s, n }' "$IT_DIR/samples")
	it_check "$d managed: stats at most $((worst / 1000)) s old after the first minute (stale samples: $stale)" [ "$worst" -lt 60000 ]
done
awk -v d="$WORK" '$2 == d { print "    " $0 }' "$IT_DIR/samples" | tail -12

# blimpd must not stop the operator's domains when it exits.
it_daemon_stop --keep-vms
for d in "${DOMS[@]}"; do
	it_check "$d still running after blimpd exits" bash -c "virsh -q -c '$SYS_URI' domstate '$d' | grep -q running"
done
it_done
