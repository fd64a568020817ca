/* libvirt's balloon memory statistics (virDomainMemoryStats) converted to bytes,
 * with every guest-reported value treated as untrusted and clamped. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <libvirt/libvirt.h>

#include "model/model.h"

enum collect_memstats_field {
	COLLECT_MS_SWAP_IN = 0,
	COLLECT_MS_SWAP_OUT,
	COLLECT_MS_MAJOR_FAULT,
	COLLECT_MS_MINOR_FAULT,
	COLLECT_MS_UNUSED,
	COLLECT_MS_AVAILABLE,
	COLLECT_MS_ACTUAL_BALLOON,
	COLLECT_MS_RSS,
	COLLECT_MS_USABLE,
	COLLECT_MS_LAST_UPDATE,
	COLLECT_MS_DISK_CACHES,
	COLLECT_MS__COUNT
};

struct collect_memstats {
	uint32_t found; /* bit per field libvirt returned */
	uint64_t swap_in_bytes;
	uint64_t swap_out_bytes;
	uint64_t major_faults;
	uint64_t minor_faults;
	uint64_t unused_bytes;	       /* guest MemFree */
	uint64_t available_bytes;      /* guest MemTotal */
	uint64_t actual_balloon_bytes; /* memory the guest holds (MEMSZ - balloon) */
	uint64_t rss_bytes;	       /* QEMU's RSS as libvirt sees it */
	uint64_t usable_bytes;	       /* guest MemAvailable */
	uint64_t disk_caches_bytes;
	uint64_t last_update_s; /* guest clock-free: QEMU's time of the last stats */
	uint64_t age_s;		/* now - last_update (0 if in the future) */
	uint32_t clamped;	/* how many values were clamped, over both calls */
};

static inline bool collect_memstats_has(const struct collect_memstats *m,
					enum collect_memstats_field f)
{
	return (m->found >> f) & 1;
}

/* Convert libvirt's tagged array (kB values; faults are counts; last_update is
 * seconds since the epoch). Unknown tags are ignored; a repeated tag keeps the last
 * value. kB values whose bytes would overflow are clamped to UINT64_MAX, a
 * last_update in the future gives age 0; each counts in `clamped`. -EINVAL if
 * stats is NULL with n > 0 or n < 0. */
int collect_memstats_from_libvirt(const virDomainMemoryStatStruct *stats, int n, uint64_t now_s,
				  struct collect_memstats *out) __attribute__((warn_unused_result));

/* Fill vm's guest-view fields from m, clamping against memsz (if 0, vm->memsz_bytes):
 * actual <= memsz, total ("available") <= memsz, free/usable/caches <= total (or
 * memsz when total is unknown). mctl is true when the balloon reported an actual
 * size and the guest's stats have arrived (last_update set). stats_age_ms is
 * MODEL_AGE_NEVER without a last_update. Returns how many values were clamped
 * here (m is const; callers add this to their own count). */
unsigned collect_memstats_to_snapshot(const struct collect_memstats *m, uint64_t memsz,
				      struct vm_snapshot *vm);
