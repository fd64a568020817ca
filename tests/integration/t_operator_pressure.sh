#!/bin/bash
# blimpd over the operator's own domains (qemu:///system), under memory pressure.
# Three Debian 12 guests of 768 MiB defined by `virsh define` (balloon stats every 5 s,
# every 10 s, none), blimpd --connect qemu:///system with a 1536 MiB budget. Two guests
# fill 300 MiB of page cache and go quiet; blimp should balloon them. Then the third
# guest runs blimp-stress@400 (touch 400 MiB and finish): it must finish with success,
# with no OOM kill and no "Out of memory" in any guest's kernel log. Three rounds; the
# seconds until the 400 MiB are resident are printed for tuning.
#
# A skeleton: thresholds and waits are first guesses, to be tuned once blimpd's policy
# work lands. BLIMP_IT_ROUNDS, BLIMP_IT_QUIET_S adjust it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslibvirt.inc"

MIB=768
DOMS=(blimpit-press-a blimpit-press-b blimpit-press-c)
PERIODS=(5 10 0)
WORK=${DOMS[2]}
ROUNDS=${BLIMP_IT_ROUNDS:-3}
QUIET_S=${BLIMP_IT_QUIET_S:-75}
STRESS_MIB=400

sys_debian_image || { it_fail "Debian guest image"; it_done; }
sys_libvirtd_start || { it_fail "system libvirtd"; it_done; }
for i in "${!DOMS[@]}"; do
	sys_define "${DOMS[$i]}" "$MIB" "${PERIODS[$i]}" || { it_fail "define ${DOMS[$i]}"; it_done; }
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

# The two idle guests fill page cache, then everyone is quiet.
for d in "${DOMS[0]}" "${DOMS[1]}"; do
	if sys_run_unit "$d" blimp-cache@300.service 300; then it_ok "$d: 300 MiB of page cache"; else it_fail "$d: page cache fill"; fi
done

mctlsz_mib() { echo $(($(it_stat "$1" mctlsz 2>/dev/null || echo 0) / 1048576)); }
# Resident size of the stress-ng workers in the guest, MiB (0 if none running).
stress_rss_mib() {
	# The worker renames itself (stress-ng-vm), so match on the prefix.
	sys_gexec "$WORK" -- ps -eo rss=,comm= 2>/dev/null |
		awk '$2 ~ /^stress-ng/ { if ($1 > m) m = $1 } END { print int(m / 1024) }'
}

for r in $(seq 1 "$ROUNDS"); do
	it_log "round $r: quiet for $QUIET_S s"
	sleep "$QUIET_S"
	"$BLIMP" ls 2>&1 | sed 's/^/    /'
	for d in "${DOMS[0]}" "${DOMS[1]}"; do
		m=$(mctlsz_mib "$d")
		if [ "$m" -gt 0 ]; then it_ok "round $r: $d ballooned (MCTLSZ $m MiB)"; else it_fail "round $r: $d ballooned (MCTLSZ $m MiB)"; fi
	done

	unit=blimp-stress@$STRESS_MIB.service
	t=$SECONDS
	resident=
	sys_unit_start "$WORK" "$unit" || it_fail "round $r: start $unit"
	while [ $((SECONDS - t)) -lt 300 ]; do
		[ -z "$resident" ] && [ "$(stress_rss_mib)" -ge $((STRESS_MIB * 95 / 100)) ] && resident=$((SECONDS - t))
		sys_unit_running "$WORK" "$unit" || break
		sleep 1
	done
	done_s=$((SECONDS - t))
	res=$(sys_unit_result "$WORK" "$unit")
	it_log "round $r: $STRESS_MIB MiB resident after ${resident:-?} s, unit ended after $done_s s ($res)"
	it_check "round $r: $unit finished with success ($res)" [ "$res" = "success 0" ]
	for d in "${DOMS[@]}"; do
		kills=$(sys_oom_kills "$d")
		it_check "round $r: $d oom_kill 0 (${kills:-?})" [ "${kills:-x}" = 0 ]
		oom=$(sys_oom_log "$d")
		it_check "round $r: $d kernel log has no OOM" [ -z "$oom" ]
		[ -z "$oom" ] || echo "$oom" | head -5
	done
done

# blimpd must not stop the operator's domains when it exits.
it_daemon_stop --keep-vms
for d in "${DOMS[@]}"; do
	it_check "$d still running after blimpd exits" bash -c "virsh -q -c '$SYS_URI' domstate '$d' | grep -q running"
done
it_done
