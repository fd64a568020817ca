/* /proc/swaps: the host's swap areas and their totals. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define COLLECT_SWAPS_MAX 32
#define COLLECT_SWAP_PATH_MAX 256

struct collect_swap_entry {
	char path[COLLECT_SWAP_PATH_MAX]; /* unescaped (\040 -> ' '), truncated if longer */
	char type[16];			  /* "partition", "file" */
	uint64_t size_bytes;
	uint64_t used_bytes;
	int32_t prio;
};

struct collect_swaps {
	size_t n;	/* entries stored (at most COLLECT_SWAPS_MAX) */
	size_t n_total; /* entries seen; totals cover all of them */
	struct collect_swap_entry e[COLLECT_SWAPS_MAX];
	uint64_t total_bytes;
	uint64_t used_bytes;
};

/* Parse /proc/swaps text: a header line, then "path type size used prio" (kB).
 * Header only = no swap (n 0). -EINVAL on a malformed entry or a missing header,
 * -ERANGE on overflowing sizes. */
int collect_swaps_parse(const char *buf, size_t len, struct collect_swaps *out)
    __attribute__((warn_unused_result));
int collect_swaps_read(const char *path, struct collect_swaps *out)
    __attribute__((warn_unused_result));
