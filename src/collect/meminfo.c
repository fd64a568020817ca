/*
 * DESIGN: one read() of /proc/meminfo into a stack buffer, then a single pass over
 * its ~55 lines. Each line's name (up to ':') is looked up in a small table;
 * matching is anchored (whole name followed by ':'), never a substring search.
 * Values are "N kB" (kB = 1024 bytes) and converted with an overflow check.
 */
#include "collect/meminfo.h"
#include "collect/parse.h"

#include <errno.h>
#include <string.h>

static const char *const names[COLLECT_MI__COUNT] = {
    [COLLECT_MI_MEM_TOTAL] = "MemTotal",
    [COLLECT_MI_MEM_FREE] = "MemFree",
    [COLLECT_MI_MEM_AVAILABLE] = "MemAvailable",
    [COLLECT_MI_BUFFERS] = "Buffers",
    [COLLECT_MI_CACHED] = "Cached",
    [COLLECT_MI_SWAP_CACHED] = "SwapCached",
    [COLLECT_MI_ACTIVE] = "Active",
    [COLLECT_MI_INACTIVE] = "Inactive",
    [COLLECT_MI_ACTIVE_ANON] = "Active(anon)",
    [COLLECT_MI_INACTIVE_ANON] = "Inactive(anon)",
    [COLLECT_MI_ACTIVE_FILE] = "Active(file)",
    [COLLECT_MI_INACTIVE_FILE] = "Inactive(file)",
    [COLLECT_MI_SWAP_TOTAL] = "SwapTotal",
    [COLLECT_MI_SWAP_FREE] = "SwapFree",
    [COLLECT_MI_ZSWAP] = "Zswap",
    [COLLECT_MI_ZSWAPPED] = "Zswapped",
    [COLLECT_MI_DIRTY] = "Dirty",
    [COLLECT_MI_ANON_PAGES] = "AnonPages",
    [COLLECT_MI_MAPPED] = "Mapped",
    [COLLECT_MI_SHMEM] = "Shmem",
    [COLLECT_MI_SRECLAIMABLE] = "SReclaimable",
    [COLLECT_MI_SUNRECLAIM] = "SUnreclaim",
    [COLLECT_MI_COMMITTED_AS] = "Committed_AS",
    [COLLECT_MI_ANON_HUGE_PAGES] = "AnonHugePages",
};
_Static_assert(COLLECT_MI__COUNT <= 64, "found is a 64-bit mask");

const char *collect_meminfo_name(enum collect_meminfo_field f)
{
	return (unsigned)f < COLLECT_MI__COUNT ? names[f] : "?";
}

int collect_meminfo_parse(const char *buf, size_t len, struct collect_meminfo *out)
{
	if (!buf || !out)
		return -EINVAL;
	struct collect_meminfo m = {0};
	int r = collect_kb_fields_parse(buf, len, names, COLLECT_MI__COUNT, m.bytes, &m.found);
	if (r < 0)
		return r;
	if (!m.found)
		return -EINVAL;
	*out = m;
	return 0;
}

int collect_meminfo_read(const char *path, struct collect_meminfo *out)
{
	char buf[8192];
	size_t len;
	int r = collect_file_read(path, buf, sizeof(buf), &len);
	if (r < 0)
		return r;
	return collect_meminfo_parse(buf, len, out);
}
