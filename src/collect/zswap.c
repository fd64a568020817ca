/*
 * DESIGN: zswap's settings are module parameters (always there when zswap is
 * built in). Its statistics are not read here: debugfs has them but is root-only
 * and often not mounted, and /proc/meminfo's Zswap/Zswapped and the cgroup's
 * memory.stat zswap/zswapped give the figures blimp uses without it (meminfo.h,
 * cgroup.h).
 */
#include "collect/zswap.h"
#include "collect/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static const char *const names[COLLECT_ZSWAP__COUNT] = {
    [COLLECT_ZSWAP_ENABLED] = "enabled",
    [COLLECT_ZSWAP_COMPRESSOR] = "compressor",
    [COLLECT_ZSWAP_MAX_POOL_PERCENT] = "max_pool_percent",
    [COLLECT_ZSWAP_ACCEPT_THRESHOLD_PERCENT] = "accept_threshold_percent",
};

static int parse_word(const char *buf, size_t len, char *out, size_t cap)
{
	const char *p = collect_skip_blanks(buf, buf + len), *end = buf + len;
	const char *s = p;
	while (p<end && * p> ' ' && *p != 0x7f)
		p++;
	size_t n = (size_t)(p - s);
	if (n == 0 || n >= cap || !collect_rest_is(p, end, NULL))
		return -EINVAL;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int collect_zswap_parse(const char *name, const char *buf, size_t len, struct collect_zswap *out)
{
	if (!name || !buf || !out)
		return -EINVAL;
	int f;
	for (f = 0; f < COLLECT_ZSWAP__COUNT; f++)
		if (strcmp(name, names[f]) == 0)
			break;
	if (f == COLLECT_ZSWAP__COUNT)
		return 0;
	int r = 0;
	uint64_t v = 0;
	char word[32];
	switch (f) {
	case COLLECT_ZSWAP_ENABLED:
		if ((r = parse_word(buf, len, word, sizeof(word))) < 0)
			return r;
		if (!strcmp(word, "Y") || !strcmp(word, "y") || !strcmp(word, "1"))
			out->enabled = true;
		else if (!strcmp(word, "N") || !strcmp(word, "n") || !strcmp(word, "0"))
			out->enabled = false;
		else
			return -EINVAL;
		break;
	case COLLECT_ZSWAP_COMPRESSOR:
		if ((r = parse_word(buf, len, out->compressor, sizeof(out->compressor))) < 0)
			return r;
		break;
	default:
		if ((r = collect_u64_whole(buf, len, &v)) < 0)
			return r;
		if (f == COLLECT_ZSWAP_MAX_POOL_PERCENT)
			out->max_pool_percent = v > 100 ? 100 : (uint32_t)v;
		else
			out->accept_threshold_percent = v > 100 ? 100 : (uint32_t)v;
	}
	out->found |= 1U << f;
	return 0;
}

static int zswap_parse_cb(const char *name, const char *buf, size_t len, void *ctx)
{
	return collect_zswap_parse(name, buf, len, ctx);
}

uint64_t collect_zswap_share(uint64_t zswapped_bytes, uint64_t swap_used_bytes,
			     uint64_t vm_swapped_bytes)
{
	if (!zswapped_bytes || !swap_used_bytes || !vm_swapped_bytes)
		return 0;
	/* host and VM figures are read at different moments: a VM can show more
	 * swap than the host has in use */
	if (vm_swapped_bytes > swap_used_bytes)
		vm_swapped_bytes = swap_used_bytes;
	unsigned __int128 v =
	    (unsigned __int128)zswapped_bytes * vm_swapped_bytes / swap_used_bytes;
	uint64_t r = (uint64_t)v;
	if (r > vm_swapped_bytes)
		r = vm_swapped_bytes;
	return r;
}

int collect_zswap_read(const char *params_dir, struct collect_zswap *out)
{
	if (!params_dir || !out)
		return -EINVAL;
	struct collect_zswap z = {0};
	int r = collect_dir_files_read(params_dir, names, COLLECT_ZSWAP__COUNT, zswap_parse_cb, &z);
	if (r < 0)
		return r;
	if (!collect_zswap_has(&z, COLLECT_ZSWAP_ENABLED))
		return -ENOENT;
	*out = z;
	return 0;
}
