/* Cheap per-tick figures for a QEMU process. smaps costs a page-table walk (about
 * 8 ms for 512 MiB of 4 KiB pages on this host; 0.1 ms when QEMU's guest RAM is
 * in transparent huge pages, until KSM or the balloon split them). So each tick
 * reads only /proc/PID/status (kernel counters, O(1)) and ksm_stat, and redoes
 * the smaps split when it is old, when RSS moved a lot, or never having been done. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/procpid.h"

enum collect_status_field {
	COLLECT_ST_VM_RSS = 0,
	COLLECT_ST_RSS_ANON,
	COLLECT_ST_RSS_FILE,
	COLLECT_ST_RSS_SHMEM,
	COLLECT_ST_VM_SWAP,
	COLLECT_ST__COUNT
};

struct collect_proc_status {
	uint32_t found;
	uint64_t bytes[COLLECT_ST__COUNT];
};

/* /proc/PID/status: VmRSS, RssAnon, RssFile, RssShmem, VmSwap ("Name:\tN kB").
 * Needs VmRSS (kernel threads and zombies have none: -ESRCH). */
int collect_proc_status_parse(const char *buf, size_t len, struct collect_proc_status *out)
    __attribute__((warn_unused_result));
int collect_proc_status_read(const char *path, struct collect_proc_status *out)
    __attribute__((warn_unused_result));

#define COLLECT_PID_CACHE_MAX_AGE_MS 30000		/* OVHD moves slowly */
#define COLLECT_PID_CACHE_RSS_DELTA_BYTES (64ULL << 20) /* a balloon move, a burst */

struct collect_pid_cache_opts {
	uint64_t max_age_ms;	  /* redo the split at least this often (default 30 s) */
	uint64_t rss_delta_bytes; /* or when RSS or swap moved this much since (64 MiB) */
};

/* Per-VM state, zero-initialised by the caller; reset it when the pid changes. */
struct collect_pid_cache {
	bool valid;
	uint64_t full_ms;	 /* when the split was last measured */
	uint64_t full_rss_bytes; /* RSS (status) at that time */
	struct collect_proc_pid full;
};

/* Is a full smaps read due (never measured, old, or RSS/swap moved a lot since)?
 * opts NULL = defaults. For choosing which VM gets the one full read of a tick. */
bool collect_pid_cache_due(const struct collect_pid_cache *c,
			   const struct collect_pid_cache_opts *opts, uint64_t rss_bytes,
			   uint64_t swap_bytes, uint64_t now_ms);

/* Fill out for the QEMU at pid_dir. A full smaps read happens when the cache is
 * invalid, or when it is due and allow_full is true (so a caller can spread full
 * reads over ticks: one VM per tick). Otherwise guest RAM resident is estimated as
 * RSS now less the last measured non-guest RSS (OVHD changes slowly; guest RAM
 * does not); guest RAM's swap as the process's swap in the last measured
 * proportion; see pidcache.c. *did_full tells which happened (may be NULL).
 * Returns 0 or -errno (-ENOENT/-ESRCH: the process is gone). */
int collect_pid_cache_update(const char *pid_dir, uint64_t memsz_bytes, uint64_t now_ms,
			     const struct collect_pid_cache_opts *opts, bool allow_full,
			     struct collect_pid_cache *c, struct collect_proc_pid *out,
			     bool *did_full) __attribute__((warn_unused_result));
/* The estimate alone (pure): from a cached full measurement and fresh counters. */
void collect_pid_cache_estimate(const struct collect_proc_pid *full,
				const struct collect_proc_status *st,
				const struct collect_ksm_stat *ksm, uint64_t page_size,
				struct collect_proc_pid *out);
