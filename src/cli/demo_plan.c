/*
 * DESIGN: what the demo asks of its guests and of the host, as pure functions.
 *
 * Each guest runs one shell script from boot (blimp.cmd): it reads the data disk into
 * page cache (so every VM starts out holding most of its MEMSZ, the waste ballooning
 * recovers), then waits for /tmp/demo-go. The demo writes that file (the scheduler's
 * start, Unix seconds) through the guest agent once blimpd runs the policy under
 * test, so the phases line up with the timeline however long the boots took. The
 * guest clock comes from the host's RTC at boot, good to a second.
 */
#include "cli/demo_core.h"

#include <stdio.h>

/* Guest memory in use by the idle built-in guest (kernel, busybox, agent): measured
 * 20-40 MiB on a 512 MiB guest; 48 leaves room. */
#define DEMO_GUEST_BASE_BYTES (48 * DEMO_MIB)
/* blimpd's default guest_margin (docs/settings.md): the balloon floor is in-use plus
 * this. */
#define DEMO_GUEST_MARGIN_BYTES (64 * DEMO_MIB)
#define DEMO_ROUND_BYTES (64 * DEMO_MIB)

uint64_t demo_plan_maxmemctl(uint64_t mem_bytes)
{
	return mem_bytes / 5 * 4;
}

uint64_t demo_plan_budget(uint64_t vms, uint64_t mem_bytes, uint64_t ws_mib, uint64_t ovhd_bytes)
{
	if (vms == 0)
		return 0;
	uint64_t floor = DEMO_GUEST_BASE_BYTES + DEMO_GUEST_MARGIN_BYTES;
	uint64_t active = floor + ws_mib * DEMO_MIB;
	if (active > mem_bytes)
		active = mem_bytes;
	uint64_t idle = mem_bytes - demo_plan_maxmemctl(mem_bytes);
	if (idle < floor)
		idle = floor;
	if (idle > mem_bytes)
		idle = mem_bytes;
	uint64_t held = active + ovhd_bytes + (vms - 1) * (idle + ovhd_bytes);
	/* The scheduler stays out of the hard state while free >= 64% of minFree, and
	 * minFree is 6% of a budget this small: keep ~6% spare. */
	uint64_t budget = held + held * 6 / 94;
	return (budget + DEMO_ROUND_BYTES - 1) / DEMO_ROUND_BYTES * DEMO_ROUND_BYTES;
}

int demo_plan_guest_cmd(unsigned i, unsigned n, uint64_t phase_s, uint64_t ws_mib, char *buf,
			size_t len)
{
	(void)n;
	return snprintf(buf, len,
			"cat /data/files/*/* >/dev/null 2>&1;"
			"echo 1 >/tmp/demo-filled;"
			"while [ ! -s /tmp/demo-go ];do sleep 1;done;"
			"a=$(($(cat /tmp/demo-go)+%u*%llu));b=$((a+%llu));"
			"while [ $(date +%%s) -lt $a ];do sleep 1;done;"
			"d=$((b-$(date +%%s)));"
			"[ $d -gt 0 ]&&wsloop %llu --duration $d --log /tmp/wsloop.log >/dev/null;"
			"echo 1 >/tmp/demo-done",
			i, (unsigned long long)phase_s, (unsigned long long)phase_s,
			(unsigned long long)ws_mib);
}

unsigned demo_plan_active(uint64_t t_s, unsigned n, uint64_t phase_s)
{
	if (phase_s == 0)
		return n;
	uint64_t i = t_s / phase_s;
	return i < n ? (unsigned)i : n;
}
