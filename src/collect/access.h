/* Host-side access sampling of a QEMU process's guest RAM (ESX's way: no guest
 * cooperation): how many bytes of guest RAM the guest touched during a sampling
 * window. Two methods, chosen at run time:
 *   DAMON: a vaddr kdamond on the pid (damon.h), when DAMON's sysfs is free;
 *   REFS:  the referenced-bit method: "1" into /proc/PID/clear_refs at t0, then
 *          smaps' "Referenced:" of the guest-RAM mapping at t0 + window;
 *   SAMPLE: ESX's way: "4" into clear_refs (soft-dirty) at t0, then the pagemap
 *          entries of a few random pages of the guest-RAM mapping at t0 + window:
 *          the written fraction, scaled to the mapping (access_sample.c).
 * A state machine advanced on the collection tick: it never sleeps. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "collect/damon.h"
#include "collect/smaps.h"

/* DAMON's own window is one aggregation interval; writing
 * update_schemes_tried_regions makes the kernel wait for the next one, so it is
 * kept short. Older accesses come from the regions' age (see access_damon.c). */
#define COLLECT_ACCESS_DAMON_SAMPLE_US 5000ULL
#define COLLECT_ACCESS_DAMON_AGGR_US 100000ULL

enum collect_access_method {
	COLLECT_ACCESS_NONE = 0, /* off, or no method works for this VM (why says) */
	COLLECT_ACCESS_DAMON,
	COLLECT_ACCESS_REFS,
	COLLECT_ACCESS_SAMPLE,
};

/* ESX samples 100 pages per VM per period. */
#define COLLECT_ACCESS_SAMPLE_PAGES 100

struct collect_access_opts {
	const char *proc_root;	/* "/proc", or a fixture tree */
	const char *damon_root; /* COLLECT_DAMON_ROOT; NULL or "" = never DAMON */
	uint64_t interval_ms;	/* sampling window; 0 = off */
	/* The guest runs under hardware virtualisation (KVM with EPT/NPT): its accesses
	 * set the secondary MMU's accessed bits, which clear_refs and smaps never look
	 * at, so REFS would see almost nothing. Only DAMON (which asks KVM through the
	 * MMU notifier) is used then. */
	bool guest_kvm;
	/* 0: choose as above; else only this method (tests, `access_method`). */
	enum collect_access_method only;
	uint32_t sample_pages; /* SAMPLE: pages per window; 0 = COLLECT_ACCESS_SAMPLE_PAGES */
};

struct collect_access {
	enum collect_access_method method;
	char why[384]; /* why this method (for the log) */
	pid_t pid;
	uint64_t memsz_bytes;
	uint64_t interval_ms;

	/* The latest estimate. */
	bool valid;
	uint64_t active_bytes;	 /* guest RAM touched during the window (<= resident) */
	uint64_t resident_bytes; /* guest RAM resident at the sample */
	uint64_t window_ms;	 /* the window it covers */
	uint64_t sampled_ms;	 /* when (caller's clock) */
	uint64_t samples;	 /* estimates made since the method was chosen */
	bool clamped;		 /* the kernel's figures were inconsistent and clamped */
	int last_err;		 /* last failure, 0 if none */

	/* State machine. */
	bool armed;	  /* REFS: bits cleared at t0; DAMON: monitoring since t0 */
	uint64_t t0_ms;	  /* window start */
	uint64_t next_ms; /* not armed: earliest next clear (after a failure) */
	bool damon_failed;
	struct collect_damon damon;
	uint64_t rng;		   /* SAMPLE: xorshift state */
	uint32_t sample_written;   /* SAMPLE: of the last window's pages, written */
	uint32_t sample_pages;	   /* SAMPLE: pages looked at in the last window */
};

/* collect_access_tick's result bits (>= 0). */
#define COLLECT_ACCESS_SAMPLED 1 /* a new estimate is in active_bytes */
#define COLLECT_ACCESS_CHOSE 2	 /* a method was (re)chosen: log `why` */

void collect_access_init(struct collect_access *a);
/* Advance the sampler of one VM. A new pid, MEMSZ or interval restarts it and
 * chooses the method again. Returns the bits above, or -errno when a step failed
 * (valid is then false and the next try waits one interval). pid <= 0: stops. */
int collect_access_tick(struct collect_access *a, const struct collect_access_opts *o, pid_t pid,
			uint64_t memsz_bytes, uint64_t now_ms) __attribute__((warn_unused_result));
/* Would collect_access_tick do I/O now (choose a method, clear bits, read smaps or
 * DAMON)? Lets a caller spread that work over ticks (one VM per tick); a delayed
 * read only lengthens the window, which the estimate reports. */
bool collect_access_due(const struct collect_access *a, const struct collect_access_opts *o,
			pid_t pid, uint64_t memsz_bytes, uint64_t now_ms);
/* Stop (removes a kdamond blimp started; nothing to undo for REFS). */
void collect_access_stop(struct collect_access *a);
const char *collect_access_method_name(enum collect_access_method m);

/* REFS from a parsed smaps: the guest-RAM mapping's Referenced, clamped to its
 * resident bytes and to MEMSZ (*clamped set if that changed it). -ENODATA if no
 * guest-RAM mapping was found. */
int collect_access_from_smaps(const struct collect_smaps *s, uint64_t *active_bytes, bool *clamped)
    __attribute__((warn_unused_result));

/* SAMPLE, pure parts. A pagemap entry (Documentation/admin-guide/mm/pagemap.rst):
 * bit 63 present, 62 swapped, 55 soft-dirty (set when the page was written since
 * the last "4" into clear_refs, and on a page's first fault). */
#define COLLECT_PAGEMAP_PRESENT (1ULL << 63)
#define COLLECT_PAGEMAP_SWAPPED (1ULL << 62)
#define COLLECT_PAGEMAP_SOFT_DIRTY (1ULL << 55)
/* Next of a xorshift64* sequence (*state != 0; 0 is replaced by a constant). */
uint64_t collect_access_rand(uint64_t *state);
/* Count the written pages among n pagemap entries (soft-dirty and present or
 * swapped: an entry never faulted in counts as untouched). */
uint32_t collect_access_sample_count(const uint64_t *entries, uint32_t n);
/* written of sampled pages, scaled to size_bytes (rounded down). 0 if sampled = 0;
 * written > sampled is clamped. */
uint64_t collect_access_sample_scale(uint32_t written, uint32_t sampled, uint64_t size_bytes);
/* Does this kernel keep soft-dirty bits (CONFIG_MEM_SOFT_DIRTY)? Without it "4"
 * into clear_refs is accepted and pagemap's bit 55 stays 0. Checked once on a page
 * of our own (a newly faulted page is soft-dirty); 0 yes, -EOPNOTSUPP no, -errno. */
int collect_access_soft_dirty_probe(void);
/* Read the pagemap entries of n random pages of [lo, hi) from the open
 * /proc/PID/pagemap (fd) into entries. -EINVAL if the range is empty. */
int collect_access_sample_read(int fd, uint64_t lo, uint64_t hi, uint64_t *rng, uint64_t *entries,
			       uint32_t n) __attribute__((warn_unused_result));

/* DAMON: read a tried_regions directory clipped to [lo, hi), counting as active
 * every region accessed in the last aggregation interval or idle for less than
 * window_us (age x aggr_us < window_us). Same errors as collect_damon_regions_read. */
int collect_access_damon_regions_read(const char *dir, uint64_t lo, uint64_t hi, uint64_t aggr_us,
				      uint64_t window_us, struct collect_damon_regions *out)
    __attribute__((warn_unused_result));
/* DAMON: ask the kdamond for fresh tried regions (the kernel waits for the end of
 * the current aggregation interval). */
int collect_access_damon_update(const struct collect_damon *d) __attribute__((warn_unused_result));
