/* Host-side access sampling of a QEMU process with DAMON's sysfs interface
 * (/sys/kernel/mm/damon/admin): a kdamond monitoring the pid's virtual address
 * space (vaddr) with one "stat" scheme, whose tried regions give each region's
 * access count; "active bytes" is the size of regions seen accessed. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define COLLECT_DAMON_ROOT "/sys/kernel/mm/damon/admin"

struct collect_damon_region {
	uint64_t start, end;  /* [start, end) virtual addresses */
	uint32_t nr_accesses; /* sampling intervals (of one aggregation) seen accessed */
	uint32_t age;	      /* aggregation intervals the access pattern has held */
	uint32_t found;	      /* bit 0 start, 1 end, 2 nr_accesses, 3 age */
};

struct collect_damon_regions {
	size_t n;	       /* regions overlapping [lo, hi) */
	uint64_t total_bytes;  /* bytes of those regions within [lo, hi) */
	uint64_t active_bytes; /* of which in regions with nr_accesses > 0 */
	uint32_t max_nr_accesses;
};

/* One file of a region directory ("start", "end", "nr_accesses", "age"; others
 * are ignored). -EINVAL if not a number, -ERANGE on overflow. */
int collect_damon_region_parse(const char *name, const char *buf, size_t len,
			       struct collect_damon_region *r) __attribute__((warn_unused_result));
/* One region directory sub (of dirfd): its files parsed into r ("age" optional,
 * for older kernels). 0 or -errno. */
int collect_damon_region_readat(int dirfd, const char *sub, struct collect_damon_region *r)
    __attribute__((warn_unused_result));
/* Account one complete region (start < end) to `out`, clipped to [lo, hi).
 * -EINVAL if the region is incomplete or empty. */
int collect_damon_regions_add(struct collect_damon_regions *out,
			      const struct collect_damon_region *r, uint64_t lo, uint64_t hi)
    __attribute__((warn_unused_result));
/* Read a tried_regions directory (subdirectories 0..N-1) clipped to [lo, hi)
 * (0, UINT64_MAX for everything). -ENOENT if missing, -EINVAL on a malformed
 * region. An empty directory is 0 regions. */
int collect_damon_regions_read(const char *dir, uint64_t lo, uint64_t hi,
			       struct collect_damon_regions *out)
    __attribute__((warn_unused_result));
/* Same, and a region idle in the last aggregation but younger than recent_aggrs
 * aggregations ("age", where the kernel has it) counts as accessed. */
int collect_damon_regions_read_recent(const char *dir, uint64_t lo, uint64_t hi,
				      uint64_t recent_aggrs, struct collect_damon_regions *out)
    __attribute__((warn_unused_result));

struct collect_damon_attrs {
	uint64_t sample_us; /* default 10 ms */
	uint64_t aggr_us;   /* default 1 s: "active" = touched within the last second */
	uint64_t update_us; /* default 1 s: how often vaddr re-reads the mappings */
	uint32_t min_regions, max_regions; /* default 10, 1000 */
};

struct collect_damon {
	char root[256];
	pid_t pid;
	bool running;
};

/* Start monitoring pid. Takes kdamond 0 only when the interface is unused
 * (nr_kdamonds == 0): DAMON sysfs can change nr_kdamonds only while no kdamond
 * runs, and doing so would wipe others' setup, so -EBUSY if any exists.
 * -ENOENT without DAMON sysfs, -EACCES/-EPERM without root. attrs may be NULL. */
int collect_damon_start(const char *admin_root, pid_t pid, const struct collect_damon_attrs *attrs,
			struct collect_damon *d) __attribute__((warn_unused_result));
/* Ask the kdamond to refresh the tried regions (blocks for up to one aggregation
 * interval), then read them clipped to [lo, hi): e.g. the guest-RAM mapping. */
int collect_damon_sample(struct collect_damon *d, uint64_t lo, uint64_t hi,
			 struct collect_damon_regions *out) __attribute__((warn_unused_result));
/* Stop the kdamond and remove what start created (nr_kdamonds back to 0). */
int collect_damon_stop(struct collect_damon *d);

/* Why start would fail, read-only: 0 if the interface is free, else -errno with
 * a reason in buf ("kdamond 0 is on (pid 77, ops paddr): not ours"). */
int collect_damon_probe(const char *admin_root, char *buf, size_t len);
