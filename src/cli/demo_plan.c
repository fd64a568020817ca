/*
 * DESIGN: what the demo asks of its guests and of the host, as pure functions.
 *
 * Each guest's boot command (blimp.cmd) reads the data disk into page cache, so every
 * VM starts out holding most of its MEMSZ: the waste ballooning recovers. The phases
 * are driven from the host: at the start of VM i's phase the demo starts wsloop in it
 * through the guest agent, for the rest of the phase. (A schedule in the guest keyed
 * on its own clock drifted: under TCG with 4 guests on 2 cores the guest clocks fell
 * ~5 s behind the host's within two minutes.)
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

int demo_plan_guest_cmd(char *buf, size_t len)
{
	return snprintf(buf, len, "cat /data/files/*/* >/dev/null 2>&1; echo 1 >/tmp/demo-filled");
}

int demo_plan_phase_cmd(uint64_t duration_s, uint64_t ws_mib, char *buf, size_t len)
{
	/* In the background with every descriptor redirected: the agent answers at once. */
	return snprintf(buf, len,
			"wsloop %llu --duration %llu --log /tmp/wsloop.log "
			">/dev/null 2>&1 </dev/null &",
			(unsigned long long)ws_mib,
			(unsigned long long)(duration_s ? duration_s : 1));
}

unsigned demo_plan_active(uint64_t t_s, unsigned n, uint64_t phase_s)
{
	if (phase_s == 0)
		return n;
	uint64_t i = t_s / phase_s;
	return i < n ? (unsigned)i : n;
}
