/*
 * DESIGN: a guest controls every number its balloon driver reports, so nothing
 * here trusts one: sizes are clamped to what the VM was given (MEMSZ) and to each
 * other (free <= total), overflow saturates instead of wrapping, and each clamp is
 * counted so the daemon can flag a guest that lies. The policy then decides what
 * to believe (stale stats never shrink a VM).
 */
#include "collect/memstats.h"
#include "collect/parse.h"

#include <errno.h>
#include <string.h>

_Static_assert((int)VIR_DOMAIN_MEMORY_STAT_SWAP_IN == (int)COLLECT_MS_SWAP_IN &&
		   (int)VIR_DOMAIN_MEMORY_STAT_DISK_CACHES == (int)COLLECT_MS_DISK_CACHES &&
		   (int)VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE == (int)COLLECT_MS_LAST_UPDATE,
	       "enum collect_memstats_field mirrors libvirt's tags");

static uint64_t kb_to_bytes(uint64_t kb, uint32_t *clamped)
{
	uint64_t b;
	if (collect_mul_sat(kb, COLLECT_KIB, &b))
		(*clamped)++;
	return b;
}

int collect_memstats_from_libvirt(const virDomainMemoryStatStruct *stats, int n, uint64_t now_s,
				  struct collect_memstats *out)
{
	if (!out || n < 0 || (n > 0 && !stats))
		return -EINVAL;
	struct collect_memstats m = {0};
	for (int i = 0; i < n; i++) {
		int tag = stats[i].tag;
		uint64_t v = stats[i].val;
		if (tag < 0 || tag >= COLLECT_MS__COUNT)
			continue;
		switch (tag) {
		case COLLECT_MS_SWAP_IN:
			m.swap_in_bytes = kb_to_bytes(v, &m.clamped);
			break;
		case COLLECT_MS_SWAP_OUT:
			m.swap_out_bytes = kb_to_bytes(v, &m.clamped);
			break;
		case COLLECT_MS_MAJOR_FAULT:
			m.major_faults = v;
			break;
		case COLLECT_MS_MINOR_FAULT:
			m.minor_faults = v;
			break;
		case COLLECT_MS_UNUSED:
			m.unused_bytes = kb_to_bytes(v, &m.clamped);
			break;
		case COLLECT_MS_AVAILABLE:
			m.available_bytes = kb_to_bytes(v, &m.clamped);
			break;
		case COLLECT_MS_ACTUAL_BALLOON:
			m.actual_balloon_bytes = kb_to_bytes(v, &m.clamped);
			break;
		case COLLECT_MS_RSS:
			m.rss_bytes = kb_to_bytes(v, &m.clamped);
			break;
		case COLLECT_MS_USABLE:
			m.usable_bytes = kb_to_bytes(v, &m.clamped);
			break;
		case COLLECT_MS_LAST_UPDATE:
			m.last_update_s = v;
			break;
		case COLLECT_MS_DISK_CACHES:
			m.disk_caches_bytes = kb_to_bytes(v, &m.clamped);
			break;
		}
		m.found |= 1U << tag;
	}
	if (collect_memstats_has(&m, COLLECT_MS_LAST_UPDATE) && m.last_update_s) {
		if (m.last_update_s > now_s) {
			m.age_s = 0;
			m.clamped++;
		} else {
			m.age_s = now_s - m.last_update_s;
		}
	}
	*out = m;
	return 0;
}

static uint64_t clamp_to(uint64_t v, uint64_t max, unsigned *n)
{
	if (v > max) {
		(*n)++;
		return max;
	}
	return v;
}

unsigned collect_memstats_to_snapshot(const struct collect_memstats *m, uint64_t memsz,
				      struct vm_snapshot *vm)
{
	unsigned n = 0;
	if (!memsz)
		memsz = vm->memsz_bytes;
	bool memsz_known = memsz != 0;
	if (!memsz_known)
		memsz = UINT64_MAX;
	bool has_actual = collect_memstats_has(m, COLLECT_MS_ACTUAL_BALLOON);
	bool has_update = collect_memstats_has(m, COLLECT_MS_LAST_UPDATE) && m->last_update_s;
	/* Without a balloon figure the guest is taken to hold all its memory. */
	if (has_actual)
		vm->balloon_actual_bytes = clamp_to(m->actual_balloon_bytes, memsz, &n);
	else
		vm->balloon_actual_bytes = memsz_known ? memsz : 0;
	uint64_t total = memsz;
	if (collect_memstats_has(m, COLLECT_MS_AVAILABLE)) {
		total = clamp_to(m->available_bytes, memsz, &n);
		vm->guest_total_bytes = total;
	} else {
		vm->guest_total_bytes = 0;
	}
	vm->guest_available_bytes =
	    collect_memstats_has(m, COLLECT_MS_USABLE) ? clamp_to(m->usable_bytes, total, &n) : 0;
	vm->guest_free_bytes =
	    collect_memstats_has(m, COLLECT_MS_UNUSED) ? clamp_to(m->unused_bytes, total, &n) : 0;
	vm->guest_caches_bytes = collect_memstats_has(m, COLLECT_MS_DISK_CACHES)
				     ? clamp_to(m->disk_caches_bytes, total, &n)
				     : 0;
	vm->guest_swap_in_bytes = m->swap_in_bytes;
	vm->guest_swap_out_bytes = m->swap_out_bytes;
	vm->guest_major_faults = m->major_faults;
	vm->guest_minor_faults = m->minor_faults;
	vm->mctl = has_actual && has_update;
	if (has_update) {
		uint64_t ms;
		collect_mul_sat(m->age_s, 1000, &ms);
		vm->stats_age_ms = ms == UINT64_MAX ? MODEL_AGE_NEVER - 1 : ms;
	} else {
		vm->stats_age_ms = MODEL_AGE_NEVER;
	}
	return n;
}
