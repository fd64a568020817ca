/* zswap: module parameters (/sys/module/zswap/parameters). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum collect_zswap_field {
	COLLECT_ZSWAP_ENABLED = 0,
	COLLECT_ZSWAP_COMPRESSOR,
	COLLECT_ZSWAP_MAX_POOL_PERCENT,
	COLLECT_ZSWAP_ACCEPT_THRESHOLD_PERCENT,
	COLLECT_ZSWAP__COUNT
};

struct collect_zswap {
	uint32_t found;
	bool enabled;
	char compressor[32];
	uint32_t max_pool_percent;	   /* 0..100 (clamped) */
	uint32_t accept_threshold_percent; /* 0..100 (clamped) */
};

static inline bool collect_zswap_has(const struct collect_zswap *z, enum collect_zswap_field f)
{
	return (z->found >> f) & 1;
}

/* Parse one file (`name` as in sysfs) into out; unknown names ignored.
 * "enabled" accepts Y/N/1/0. -EINVAL on malformed, -ERANGE on overflow. */
int collect_zswap_parse(const char *name, const char *buf, size_t len, struct collect_zswap *out)
    __attribute__((warn_unused_result));
/* A VM's ZIP where the cgroup does not say it (cgroup v1, or v2 before
 * memory.stat had "zswapped"): the host's zswapped bytes (meminfo "Zswapped", the
 * original size of what zswap holds) shared out by the VM's part of the swap in
 * use, zswapped x vm_swapped / swap_used. zswap entries hold swap slots, so a
 * VM's zswapped pages are part of its VmSwap; the share assumes every VM's swap
 * is compressed alike: an estimate. Clamped to vm_swapped and to zswapped; 0 when
 * nothing is swapped. */
uint64_t collect_zswap_share(uint64_t zswapped_bytes, uint64_t swap_used_bytes,
			     uint64_t vm_swapped_bytes);
/* Read params_dir: -ENOENT if missing (no zswap). */
int collect_zswap_read(const char *params_dir, struct collect_zswap *out)
    __attribute__((warn_unused_result));
