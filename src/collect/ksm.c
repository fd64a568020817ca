/*
 * DESIGN: one small file per value; each is opened relative to one directory fd
 * (openat), read with one read() and parsed as a whole-file number. Fields that a
 * kernel lacks (ksm_zero_pages and general_profit are 6.x) are just not found.
 */
#include "collect/ksm.h"
#include "collect/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static const char *const names[COLLECT_KSM__COUNT] = {
    [COLLECT_KSM_RUN] = "run",
    [COLLECT_KSM_PAGES_TO_SCAN] = "pages_to_scan",
    [COLLECT_KSM_SLEEP_MILLISECS] = "sleep_millisecs",
    [COLLECT_KSM_PAGES_SHARED] = "pages_shared",
    [COLLECT_KSM_PAGES_SHARING] = "pages_sharing",
    [COLLECT_KSM_PAGES_UNSHARED] = "pages_unshared",
    [COLLECT_KSM_PAGES_VOLATILE] = "pages_volatile",
    [COLLECT_KSM_PAGES_SCANNED] = "pages_scanned",
    [COLLECT_KSM_FULL_SCANS] = "full_scans",
    [COLLECT_KSM_ZERO_PAGES] = "ksm_zero_pages",
    [COLLECT_KSM_USE_ZERO_PAGES] = "use_zero_pages",
    [COLLECT_KSM_MAX_PAGE_SHARING] = "max_page_sharing",
    [COLLECT_KSM_MERGE_ACROSS_NODES] = "merge_across_nodes",
    [COLLECT_KSM_GENERAL_PROFIT] = "general_profit",
};

const char *collect_ksm_name(enum collect_ksm_field f)
{
	return (unsigned)f < COLLECT_KSM__COUNT ? names[f] : NULL;
}

int collect_ksm_parse(const char *name, const char *buf, size_t len, struct collect_ksm *out)
{
	if (!name || !buf || !out)
		return -EINVAL;
	for (int f = 0; f < COLLECT_KSM__COUNT; f++) {
		if (strcmp(name, names[f]) != 0)
			continue;
		int r;
		if (f == COLLECT_KSM_GENERAL_PROFIT) {
			const char *p = buf, *end = buf + len;
			int64_t v;
			r = collect_i64_parse(&p, end, &v);
			if (r == 0 && !collect_rest_is(p, end, NULL))
				r = -EINVAL;
			if (r < 0)
				return r;
			out->general_profit_bytes = v;
			out->v[f] = v > 0 ? (uint64_t)v : 0;
		} else {
			uint64_t v;
			if ((r = collect_u64_whole(buf, len, &v)) < 0)
				return r;
			out->v[f] = v;
		}
		out->found |= 1U << f;
		return 0;
	}
	return 0;
}

static int ksm_parse_cb(const char *name, const char *buf, size_t len, void *ctx)
{
	return collect_ksm_parse(name, buf, len, ctx);
}

int collect_ksm_read(const char *dir, struct collect_ksm *out)
{
	if (!dir || !out)
		return -EINVAL;
	struct collect_ksm k = {0};
	int r = collect_dir_files_read(dir, names, COLLECT_KSM__COUNT, ksm_parse_cb, &k);
	if (r < 0)
		return r;
	if (!collect_ksm_has(&k, COLLECT_KSM_RUN))
		return -ENOENT;
	*out = k;
	return 0;
}
