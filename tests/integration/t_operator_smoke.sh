#!/bin/bash
# The operator's world works without blimpd: a system libvirtd, two Debian 12 systemd
# guests of 768 MiB defined with `virsh define` (balloon stats off and every 5 s), both
# boot, their agents answer, `free -m` runs in each, and a 100 MiB stress-ng workload
# (blimp-stress@100) finishes with success and no OOM kill.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslibvirt.inc"

MIB=768
DOMS=(blimpit-smoke-a blimpit-smoke-b)
PERIODS=(0 5)

t0=$SECONDS
sys_debian_image || { it_fail "Debian guest image"; it_done; }
it_log "image ready in $((SECONDS - t0)) s"
sys_libvirtd_start || { it_fail "system libvirtd"; it_done; }
it_log "virt type $(sys_virt_type)"

for i in "${!DOMS[@]}"; do
	it_check "define ${DOMS[$i]} (${MIB} MiB, stats period ${PERIODS[$i]})" \
		sys_define "${DOMS[$i]}" "$MIB" "${PERIODS[$i]}"
done
# Boot in parallel: under TCG each boot takes 25-40 s of one core.
for d in "${DOMS[@]}"; do it_check "start $d" sys_start "$d"; done
for d in "${DOMS[@]}"; do
	if boot=$(sys_wait_agent "$d" 240); then
		it_ok "$d: agent answers ($boot s after start)"
	else
		it_fail "$d: agent answers"
	fi
done

it_log "${DOMS[0]}: $(sys_gexec "${DOMS[0]}" -- systemd-analyze | head -1)"

for i in "${!DOMS[@]}"; do
	d=${DOMS[$i]}
	xml=$(sys_virsh dumpxml "$d")
	# What the operator wrote is what libvirt runs: no blimp additions, no autodeflate.
	if grep -q "deflate\|freePageReporting\|urn:blimp" <<<"$xml"; then
		it_fail "$d: domain XML has no deflate/free page reporting/blimp metadata"
	else
		it_ok "$d: domain XML has no deflate/free page reporting/blimp metadata"
	fi
	if out=$(sys_gexec "$d" -- free -m); then
		total=$(awk '/^Mem:/ {print $2}' <<<"$out")
		it_log "$d free -m: $(awk '/^Mem:/' <<<"$out")"
		# The guest sees its configured memory less what the kernel reserves.
		in_range() { [ "${1:-0}" -ge "$2" ] && [ "${1:-0}" -le "$3" ]; }
		it_check "$d: free -m total ${total} MiB within 650..${MIB}" in_range "$total" 650 "$MIB"
	else
		it_fail "$d: free -m through the agent"
	fi
	# Stats period 5: libvirt reports the guest's free/available memory after a period.
	if [ "${PERIODS[$i]}" -gt 0 ]; then
		have_avail() { sys_virsh dommemstat "$1" | grep -q '^available '; }
		it_check "$d: dommemstat has guest stats (period ${PERIODS[$i]} s)" it_wait 30 have_avail "$d"
	fi
done

d=${DOMS[1]}
t=$SECONDS
if sys_run_unit "$d" blimp-stress@100.service 300; then
	it_ok "$d: blimp-stress@100 finished with success ($((SECONDS - t)) s)"
else
	it_fail "$d: blimp-stress@100 finished with success: $(sys_unit_result "$d" blimp-stress@100.service)"
	sys_gexec "$d" -- journalctl -q --no-pager -u blimp-stress@100.service | tail -10
fi
# The unit's result file is the proof it ran (see sys_unit_state); stress-ng agrees.
jl=$(sys_gexec "$d" -- journalctl -q --no-pager -o cat -u blimp-stress@100.service)
it_log "$d: $(grep -E 'successful run|fail|error' <<<"$jl" | tail -2 | tr '\n' ';')"
it_check "$d: stress-ng says 'successful run completed'" grep -q 'successful run completed' <<<"$jl"
for d in "${DOMS[@]}"; do
	kills=$(sys_oom_kills "$d")
	it_check "$d: oom_kill is 0 (${kills:-?})" [ "${kills:-x}" = 0 ]
	oom=$(sys_oom_log "$d")
	it_check "$d: no 'Out of memory' in the guest kernel log" [ -z "$oom" ]
done
it_done
