/* /proc/meminfo (host) or a guest's meminfo text: the fields blimp uses, in bytes. */
#pragma once
#include <stdint.h>
#include <stddef.h>

enum collect_meminfo_field {
	COLLECT_MI_MEM_TOTAL = 0,
	COLLECT_MI_MEM_FREE,
	COLLECT_MI_MEM_AVAILABLE,
	COLLECT_MI_BUFFERS,
	COLLECT_MI_CACHED,
	COLLECT_MI_SWAP_CACHED,
	COLLECT_MI_ACTIVE,
	COLLECT_MI_INACTIVE,
	COLLECT_MI_ACTIVE_ANON,
	COLLECT_MI_INACTIVE_ANON,
	COLLECT_MI_ACTIVE_FILE,
	COLLECT_MI_INACTIVE_FILE,
	COLLECT_MI_SWAP_TOTAL,
	COLLECT_MI_SWAP_FREE,
	COLLECT_MI_ZSWAP,
	COLLECT_MI_ZSWAPPED,
	COLLECT_MI_DIRTY,
	COLLECT_MI_ANON_PAGES,
	COLLECT_MI_MAPPED,
	COLLECT_MI_SHMEM,
	COLLECT_MI_SRECLAIMABLE,
	COLLECT_MI_SUNRECLAIM,
	COLLECT_MI_COMMITTED_AS,
	COLLECT_MI_ANON_HUGE_PAGES,
	COLLECT_MI__COUNT
};

struct collect_meminfo {
	uint64_t found; /* bit (1 << enum collect_meminfo_field) per field seen */
	uint64_t bytes[COLLECT_MI__COUNT];
};

static inline int collect_meminfo_has(const struct collect_meminfo *m, enum collect_meminfo_field f)
{
	return (m->found >> f) & 1;
}
/* The field's name as in /proc/meminfo ("MemTotal"), or "?" */
const char *collect_meminfo_name(enum collect_meminfo_field f);

/* Parse meminfo text. Any subset of fields is accepted (a guest's text may be
 * partial); unknown lines are skipped. A known field with a malformed value or
 * trailing garbage gives -EINVAL, one whose value overflows bytes gives -ERANGE;
 * text with none of the known fields gives -EINVAL. */
int collect_meminfo_parse(const char *buf, size_t len, struct collect_meminfo *out)
    __attribute__((warn_unused_result));
/* Read and parse a meminfo file (normally "/proc/meminfo"). */
int collect_meminfo_read(const char *path, struct collect_meminfo *out)
    __attribute__((warn_unused_result));
