/* A process's memory cgroup, v1 (/sys/fs/cgroup/memory/<path>) or v2 (unified,
 * /sys/fs/cgroup/<path>): usage, swap, zswap and current limits. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COLLECT_CGROUP_UNLIMITED UINT64_MAX
/* cgroup v1 prints "no limit" as PAGE_COUNTER_MAX pages: 0x7FFFFFFFFFFFF000 with
 * 4 KiB pages; anything at or above this is treated as unlimited. */
#define COLLECT_CGROUP_V1_UNLIMITED_MIN 0x7FFFFFFFFFFF0000ULL

/* Where the memory controller is under root ("/sys/fs/cgroup"): 2 if root is a
 * cgroup2 mount whose cgroup.controllers lists "memory"; 1 if root/memory is a
 * v1 memory hierarchy (hybrid hosts such as this one have both and use v1 for
 * memory); -ENOENT if neither. */
int collect_cgroup_version(const char *root) __attribute__((warn_unused_result));

/* From /proc/PID/cgroup text, the memory cgroup's path ("/machine.slice/...").
 * v1: the line whose controller list contains "memory"; v2: the "0::" line.
 * -ENOENT if no such line, -EINVAL on malformed text or a path with ".."
 * components or not starting with '/', -ENAMETOOLONG if it does not fit. */
int collect_cgroup_proc_parse(const char *buf, size_t len, int version, char *path, size_t cap)
    __attribute__((warn_unused_result));

/* The directory whose memory.* files account for the process: root + "/memory"
 * (v1) or root (v2) + path, then up toward the root until a directory with the
 * usage file exists (v2 threaded leaves like libvirt's .../emulator have none). */
int collect_cgroup_pid_dir(const char *root, int version, const char *proc_cgroup_file, char *dir,
			   size_t cap) __attribute__((warn_unused_result));

enum collect_cgroup_field {
	COLLECT_CG_USAGE = 0,	/* v1 memory.usage_in_bytes, v2 memory.current */
	COLLECT_CG_ANON,	/* v1 total_rss, v2 anon */
	COLLECT_CG_FILE,	/* v1 total_cache, v2 file */
	COLLECT_CG_SWAP,	/* v1 total_swap, v2 memory.swap.current */
	COLLECT_CG_ZSWAP,	/* v2 zswap: compressed size */
	COLLECT_CG_ZSWAPPED,	/* v2 zswapped: original size of what is in zswap */
	COLLECT_CG_PGMAJFAULT,	/* count */
	COLLECT_CG_LIMIT,	/* v1 memory.limit_in_bytes, v2 memory.max */
	COLLECT_CG_HIGH,	/* v2 memory.high */
	COLLECT_CG_SWAP_MAX,	/* v2 memory.swap.max */
	COLLECT_CG_MEMSW_LIMIT, /* v1 memory.memsw.limit_in_bytes (memory + swap) */
	COLLECT_CG__COUNT
};

struct collect_cgroup {
	int version;
	uint32_t found;
	uint64_t v[COLLECT_CG__COUNT]; /* bytes (limits: COLLECT_CGROUP_UNLIMITED = none) */
};

static inline bool collect_cgroup_has(const struct collect_cgroup *c, enum collect_cgroup_field f)
{
	return (c->found >> f) & 1;
}

/* memory.stat text ("name value" lines; name anchored at line start). Unknown
 * keys are skipped; a known key with a malformed value gives -EINVAL. */
int collect_cgroup_stat_parse(const char *buf, size_t len, int version, struct collect_cgroup *out)
    __attribute__((warn_unused_result));
/* A single-value file: a number, or "max" (= COLLECT_CGROUP_UNLIMITED). */
int collect_cgroup_value_parse(const char *buf, size_t len, uint64_t *out)
    __attribute__((warn_unused_result));
/* Read a cgroup directory. -ENOENT if the usage file is missing. */
int collect_cgroup_read(const char *dir, int version, struct collect_cgroup *out)
    __attribute__((warn_unused_result));

/* cgroup v2: how much swap the cgroup at dir may use, the smallest memory.swap.max of
 * dir and of every ancestor below root (the kernel charges swap up the tree, so a
 * machine.slice with swap.max 0 stops every VM in it). COLLECT_CGROUP_UNLIMITED when
 * none sets one (or a file is missing: swap accounting off). dir must be root or
 * under it. -EINVAL on a malformed file or a dir outside root. */
int collect_cgroup_swap_cap(const char *root, const char *dir, uint64_t *cap)
    __attribute__((warn_unused_result));
