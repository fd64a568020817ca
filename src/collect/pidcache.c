/*
 * DESIGN: keep smaps off the hot path. RSS and swap come from the kernel's per-mm
 * counters in /proc/PID/status every tick; the split between guest RAM and QEMU's
 * own memory (OVHD) is measured with smaps now and then and carried forward:
 * guest RAM resident = RSS - OVHD(last measured). The error is bounded by how much
 * OVHD moved since the last measurement; a large RSS (or swap) move forces a
 * re-measure.
 *
 * Between measurements:
 *   SWCUR (guest RAM's swap) = the process's swap now, scaled by guest RAM's share
 *     of the process's swap at the last smaps read (of its RSS when nothing was
 *     swapped then). Any anonymous page of QEMU can be swapped (under TCG the 1 GiB
 *     translation buffer too), so the change is split in the measured proportion
 *     rather than all given to guest RAM; capped at what of guest RAM is not
 *     resident. Counting the whole process's swap as the VM's was wrong.
 *   KSM merged in guest RAM = the process's merged pages now less the merges
 *     outside guest RAM at the last read: only guest RAM is MADV_MERGEABLE (QEMU
 *     marks it alone), so a change in merging is guest RAM's.
 */
#include "collect/pidcache.h"
#include "collect/parse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const st_names[COLLECT_ST__COUNT] = {
    [COLLECT_ST_VM_RSS] = "VmRSS",     [COLLECT_ST_RSS_ANON] = "RssAnon",
    [COLLECT_ST_RSS_FILE] = "RssFile", [COLLECT_ST_RSS_SHMEM] = "RssShmem",
    [COLLECT_ST_VM_SWAP] = "VmSwap",
};

int collect_proc_status_parse(const char *buf, size_t len, struct collect_proc_status *out)
{
	if (!buf || !out)
		return -EINVAL;
	struct collect_proc_status st = {0};
	uint64_t found;
	int r = collect_kb_fields_parse(buf, len, st_names, COLLECT_ST__COUNT, st.bytes, &found);
	if (r < 0)
		return r;
	st.found = (uint32_t)found;
	if (!(st.found & (1U << COLLECT_ST_VM_RSS)))
		return -ESRCH;
	*out = st;
	return 0;
}

int collect_proc_status_read(const char *path, struct collect_proc_status *out)
{
	char buf[4096];
	size_t len;
	int r = collect_file_read(path, buf, sizeof(buf), &len);
	if (r < 0)
		return r;
	return collect_proc_status_parse(buf, len, out);
}

/* Guest RAM's share of swap now (see the DESIGN note). */
static uint64_t pid_cache_guest_swap(const struct collect_proc_pid *full, uint64_t swap,
				     uint64_t guest_rss)
{
	uint64_t part, whole;
	if (full->swap_bytes) {
		part = full->guest_ram_swap_bytes;
		whole = full->swap_bytes;
	} else {
		part = full->guest_ram_rss_bytes;
		whole = full->rss_bytes;
	}
	if (!whole || !swap)
		return 0;
	if (part > whole)
		part = whole;
	uint64_t g = (uint64_t)((unsigned __int128)swap * part / whole);
	uint64_t room = collect_sub_floor(full->guest_ram_size_bytes, guest_rss);
	return g < room ? g : room;
}

void collect_pid_cache_estimate(const struct collect_proc_pid *full,
				const struct collect_proc_status *st,
				const struct collect_ksm_stat *ksm, uint64_t page_size,
				struct collect_proc_pid *out)
{
	*out = *full;
	uint64_t rss = st->bytes[COLLECT_ST_VM_RSS];
	uint64_t swap = st->bytes[COLLECT_ST_VM_SWAP];
	out->rss_bytes = rss;
	out->swap_bytes = swap;
	if (full->guest_ram_found) {
		uint64_t other = full->other_rss_bytes < rss ? full->other_rss_bytes : rss;
		uint64_t guest = rss - other;
		if (guest > full->guest_ram_size_bytes)
			guest = full->guest_ram_size_bytes;
		out->guest_ram_rss_bytes = guest;
		out->other_rss_bytes = rss - guest; /* RSS = guest RAM + the rest, always */
		out->guest_ram_swap_bytes = pid_cache_guest_swap(full, swap, guest);
	} else {
		out->other_rss_bytes = rss;
	}
	if (ksm && ksm->found) {
		out->ksm_stat_found = true;
		collect_mul_sat(ksm->merging_pages, page_size, &out->ksm_merging_bytes);
		collect_mul_sat(ksm->zero_pages, page_size, &out->ksm_zero_bytes);
		if (out->guest_ram_ksm_known) {
			uint64_t elsewhere =
			    collect_sub_floor(full->ksm_merging_bytes, full->guest_ram_ksm_bytes);
			out->guest_ram_ksm_bytes =
			    collect_sub_floor(out->ksm_merging_bytes, elsewhere);
		}
	}
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

bool collect_pid_cache_due(const struct collect_pid_cache *c,
			   const struct collect_pid_cache_opts *opts, uint64_t rss_bytes,
			   uint64_t swap_bytes, uint64_t now_ms)
{
	struct collect_pid_cache_opts o = {COLLECT_PID_CACHE_MAX_AGE_MS,
					   COLLECT_PID_CACHE_RSS_DELTA_BYTES};
	if (opts)
		o = *opts;
	return !c->valid || now_ms - c->full_ms >= o.max_age_ms || now_ms < c->full_ms ||
	       absdiff(rss_bytes, c->full_rss_bytes) >= o.rss_delta_bytes ||
	       absdiff(swap_bytes, c->full.swap_bytes) >= o.rss_delta_bytes;
}

int collect_pid_cache_update(const char *pid_dir, uint64_t memsz_bytes, uint64_t now_ms,
			     const struct collect_pid_cache_opts *opts, bool allow_full,
			     struct collect_pid_cache *c, struct collect_proc_pid *out,
			     bool *did_full)
{
	if (!pid_dir || !c || !out)
		return -EINVAL;
	struct collect_pid_cache_opts o = {COLLECT_PID_CACHE_MAX_AGE_MS,
					   COLLECT_PID_CACHE_RSS_DELTA_BYTES};
	if (opts)
		o = *opts;
	char path[512];
	struct collect_proc_status st;
	if ((size_t)snprintf(path, sizeof(path), "%s/status", pid_dir) >= sizeof(path))
		return -ENAMETOOLONG;
	int r = collect_proc_status_read(path, &st);
	if (r < 0)
		return r;
	uint64_t rss = st.bytes[COLLECT_ST_VM_RSS];
	bool due = collect_pid_cache_due(c, &o, rss, st.bytes[COLLECT_ST_VM_SWAP], now_ms);
	if (did_full)
		*did_full = false;
	if (due && (allow_full || !c->valid)) {
		r = collect_proc_pid_read(pid_dir, memsz_bytes, 0, &c->full);
		if (r < 0)
			return r;
		c->valid = true;
		c->full_ms = now_ms;
		c->full_rss_bytes = rss;
		*out = c->full;
		if (did_full)
			*did_full = true;
		return 0;
	}
	struct collect_ksm_stat ksm = {0};
	snprintf(path, sizeof(path), "%s/ksm_stat", pid_dir);
	r = collect_ksm_stat_read(path, &ksm);
	if (r < 0 && r != -ENOENT)
		return r;
	collect_pid_cache_estimate(&c->full, &st, &ksm, (uint64_t)sysconf(_SC_PAGESIZE), out);
	return 0;
}
