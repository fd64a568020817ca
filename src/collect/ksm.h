/* KSM's sysfs directory (/sys/kernel/mm/ksm): settings and counters. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum collect_ksm_field {
	COLLECT_KSM_RUN = 0,
	COLLECT_KSM_PAGES_TO_SCAN,
	COLLECT_KSM_SLEEP_MILLISECS,
	COLLECT_KSM_PAGES_SHARED,
	COLLECT_KSM_PAGES_SHARING,
	COLLECT_KSM_PAGES_UNSHARED,
	COLLECT_KSM_PAGES_VOLATILE,
	COLLECT_KSM_PAGES_SCANNED,
	COLLECT_KSM_FULL_SCANS,
	COLLECT_KSM_ZERO_PAGES,
	COLLECT_KSM_USE_ZERO_PAGES,
	COLLECT_KSM_MAX_PAGE_SHARING,
	COLLECT_KSM_MERGE_ACROSS_NODES,
	COLLECT_KSM_GENERAL_PROFIT, /* bytes, may be negative: kept in general_profit_bytes */
	COLLECT_KSM__COUNT
};

struct collect_ksm {
	uint32_t found;			/* bit per field whose file exists (kernels differ) */
	uint64_t v[COLLECT_KSM__COUNT]; /* pages, ms or flags as the sysfs file says */
	int64_t general_profit_bytes;
};

static inline bool collect_ksm_has(const struct collect_ksm *k, enum collect_ksm_field f)
{
	return (k->found >> f) & 1;
}
/* The sysfs file name of a field ("pages_sharing"), or NULL. */
const char *collect_ksm_name(enum collect_ksm_field f);

/* Parse one file's contents `buf` for the file called `name` into out (unknown
 * names are ignored). -EINVAL if not a single number, -ERANGE on overflow. */
int collect_ksm_parse(const char *name, const char *buf, size_t len, struct collect_ksm *out)
    __attribute__((warn_unused_result));
/* Read every known file in `dir`. -ENOENT if the directory or its "run" file is
 * missing (no KSM); a missing optional file just leaves its bit clear. */
int collect_ksm_read(const char *dir, struct collect_ksm *out) __attribute__((warn_unused_result));
