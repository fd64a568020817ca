/*
 * DESIGN: host-side access sampling, one sampler per VM, advanced on the
 * collection tick and never sleeping:
 *
 *   REFS   not armed, now >= next: write "1" to PROC/PID/clear_refs (the kernel
 *          clears the accessed bits of every page of the process and flushes the
 *          TLB); armed, t0 = now.
 *          armed, now >= t0 + interval: read PROC/PID/smaps (smaps.c finds the
 *          guest-RAM mapping), active = its "Referenced:" (pages whose accessed bit
 *          or PG_referenced/young was set since t0); then clear again at once, so
 *          windows are back to back.
 *   DAMON  started when the method is chosen (t0 = now); every interval: smaps for
 *          the guest-RAM range and resident size, then fresh tried regions
 *          (access_damon.c). The kernel waits up to one aggregation interval
 *          (COLLECT_ACCESS_DAMON_AGGR_US) for them: the one wait in this file.
 *
 *   SAMPLE as REFS, but "4" (soft-dirty) into clear_refs and, at the end of the
 *          window, pagemap entries of a few random guest-RAM pages
 *          (access_sample.c).
 *
 * Choice: DAMON when its sysfs interface is free (collect_damon_probe: nr_kdamonds
 * 0; it also means only the first VM gets it, the others see it busy), else REFS
 * unless the guest runs under KVM (hardware-set accessed bits live in EPT/NPT,
 * where clear_refs and smaps do not look), where SAMPLE (soft-dirty write
 * tracking does reach through KVM's MMU notifier), else none. opts.only restricts
 * the choice to one method. The reason goes into `why`.
 *
 * ESX samples 100 random pages per VM per period and scales the touched fraction
 * to MEMSZ. REFS counts every referenced page of the guest-RAM mapping exactly, at
 * the price of two page-table walks (clear_refs, smaps) per window. The estimate is
 * at the mapping's page granularity: a transparent huge page counts 2 MiB when any
 * of it was touched.
 */
#include "collect/access.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *collect_access_method_name(enum collect_access_method m)
{
	switch (m) {
	case COLLECT_ACCESS_DAMON:
		return "damon";
	case COLLECT_ACCESS_REFS:
		return "clear_refs";
	case COLLECT_ACCESS_SAMPLE:
		return "sample";
	case COLLECT_ACCESS_NONE:
		break;
	}
	return "none";
}

void collect_access_init(struct collect_access *a)
{
	memset(a, 0, sizeof(*a));
}

int collect_access_from_smaps(const struct collect_smaps *s, uint64_t *active_bytes, bool *clamped)
{
	if (!s || !active_bytes)
		return -EINVAL;
	if (s->guest_ram_match == COLLECT_GUEST_RAM_NONE)
		return -ENODATA;
	uint64_t v = s->guest_ram_referenced_bytes;
	uint64_t cap = s->guest_ram_rss_bytes;
	if (s->memsz_bytes && s->memsz_bytes < cap)
		cap = s->memsz_bytes;
	bool c = v > cap;
	*active_bytes = c ? cap : v;
	if (clamped)
		*clamped = c;
	return 0;
}

static int access_path(const struct collect_access_opts *o, pid_t pid, const char *file, char *buf,
		       size_t len)
{
	const char *root = o->proc_root && o->proc_root[0] ? o->proc_root : "/proc";
	if ((size_t)snprintf(buf, len, "%s/%d/%s", root, (int)pid, file) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int access_clear_refs(const struct collect_access *a, const struct collect_access_opts *o)
{
	/* "1": referenced bits (REFS); "4": soft-dirty bits (SAMPLE) */
	const char *what = a->method == COLLECT_ACCESS_SAMPLE ? "4" : "1";
	char path[512];
	int e = access_path(o, a->pid, "clear_refs", path, sizeof(path));
	if (e < 0)
		return e;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, what, 1);
	e = w < 0 ? -errno : w != 1 ? -EIO : 0;
	if (close(fd) < 0 && e == 0)
		e = -errno;
	return e;
}

static int access_smaps(const struct collect_access *a, const struct collect_access_opts *o,
			struct collect_smaps *s)
{
	char path[512];
	int e = access_path(o, a->pid, "smaps", path, sizeof(path));
	if (e < 0)
		return e;
	return collect_smaps_read(path, a->memsz_bytes, s);
}

static void access_choose(struct collect_access *a, const struct collect_access_opts *o,
			  uint64_t now_ms)
{
	char damon_why[256] = "";
	a->method = COLLECT_ACCESS_NONE;
	a->armed = false;
	a->next_ms = now_ms;
	if (!a->interval_ms) {
		snprintf(a->why, sizeof(a->why), "off (access_sample_s = 0)");
		return;
	}
	bool any = o->only == COLLECT_ACCESS_NONE;
	if ((any || o->only == COLLECT_ACCESS_DAMON) && o->damon_root && o->damon_root[0] &&
	    !a->damon_failed) {
		int e = collect_damon_probe(o->damon_root, damon_why, sizeof(damon_why));
		if (e == 0) {
			struct collect_damon_attrs at = {
			    .sample_us = COLLECT_ACCESS_DAMON_SAMPLE_US,
			    .aggr_us = COLLECT_ACCESS_DAMON_AGGR_US,
			    .update_us = 1000000,
			    .min_regions = 10,
			    .max_regions = 1000,
			};
			e = collect_damon_start(o->damon_root, a->pid, &at, &a->damon);
			if (e == 0) {
				a->method = COLLECT_ACCESS_DAMON;
				a->armed = true;
				a->t0_ms = now_ms;
				snprintf(a->why, sizeof(a->why),
					 "DAMON vaddr kdamond on pid %d (sample %llu us, aggr "
					 "%llu us, window %llu ms)",
					 (int)a->pid, COLLECT_ACCESS_DAMON_SAMPLE_US,
					 COLLECT_ACCESS_DAMON_AGGR_US,
					 (unsigned long long)a->interval_ms);
				return;
			}
			snprintf(damon_why, sizeof(damon_why), "DAMON start failed: %s",
				 strerror(-e));
		}
	} else {
		snprintf(damon_why, sizeof(damon_why), "%s",
			 a->damon_failed ? "DAMON failed before" : "DAMON not asked for");
	}
	if (o->only == COLLECT_ACCESS_DAMON) {
		snprintf(a->why, sizeof(a->why), "none: %s; only DAMON asked for", damon_why);
		return;
	}
	char path[512];
	int e = access_path(o, a->pid, "clear_refs", path, sizeof(path));
	if (e == 0 && access(path, W_OK) < 0)
		e = -errno;
	if (e < 0) {
		snprintf(a->why, sizeof(a->why), "none: %s; clear_refs of pid %d: %s", damon_why,
			 (int)a->pid, strerror(-e));
		return;
	}
	if (o->only == COLLECT_ACCESS_SAMPLE || (any && o->guest_kvm)) {
		e = access_path(o, a->pid, "pagemap", path, sizeof(path));
		if (e == 0 && access(path, R_OK) < 0)
			e = -errno;
		/* soft-dirty is a build option: on the real /proc, check it works */
		bool real = !o->proc_root || !o->proc_root[0] || !strcmp(o->proc_root, "/proc");
		if (e == 0 && real)
			e = collect_access_soft_dirty_probe();
		if (e < 0) {
			snprintf(
			    a->why, sizeof(a->why),
			    "none: %s; %ssampling: soft-dirty pagemap of pid %d: %s", damon_why,
			    o->guest_kvm ? "clear_refs cannot see a KVM guest's accesses (EPT/NPT "
					   "accessed bits); "
					 : "",
			    (int)a->pid, strerror(-e));
			return;
		}
		a->method = COLLECT_ACCESS_SAMPLE;
		a->rng = ((uint64_t)a->pid << 32) ^ now_ms ^ 0x5bd1e995ULL;
		snprintf(a->why, sizeof(a->why),
			 "sampling: soft-dirty of %u random pages every %llu ms (writes only; %s)",
			 o->sample_pages ? o->sample_pages : COLLECT_ACCESS_SAMPLE_PAGES,
			 (unsigned long long)a->interval_ms, damon_why);
		return;
	}
	a->method = COLLECT_ACCESS_REFS;
	snprintf(a->why, sizeof(a->why), "clear_refs + smaps Referenced every %llu ms (%s)",
		 (unsigned long long)a->interval_ms, damon_why);
}

void collect_access_stop(struct collect_access *a)
{
	if (!a)
		return;
	if (a->method == COLLECT_ACCESS_DAMON)
		(void)collect_damon_stop(&a->damon);
	a->method = COLLECT_ACCESS_NONE;
	a->armed = false;
	a->valid = false;
	a->pid = 0;
}

static int access_fail(struct collect_access *a, int e, uint64_t now_ms)
{
	a->valid = false;
	a->last_err = e;
	a->armed = false;
	a->next_ms = now_ms + a->interval_ms;
	return e;
}

static void access_result(struct collect_access *a, uint64_t active, uint64_t resident,
			  bool clamped, uint64_t now_ms)
{
	a->valid = true;
	a->active_bytes = active;
	a->resident_bytes = resident;
	a->clamped = clamped;
	a->window_ms = now_ms - a->t0_ms;
	a->sampled_ms = now_ms;
	a->samples++;
	a->last_err = 0;
}

/* The REFS and SAMPLE windows (both begin by clearing bits): arms one when it is due.
 * 1 when the open window has run its interval, 0 while it runs or until the next is
 * due, <0 when arming failed. */
static int access_window(struct collect_access *a, const struct collect_access_opts *o,
			 uint64_t now_ms)
{
	if (!a->armed) {
		if (now_ms < a->next_ms)
			return 0;
		int e = access_clear_refs(a, o);
		if (e < 0)
			return access_fail(a, e, now_ms);
		a->armed = true;
		a->t0_ms = now_ms;
		return 0;
	}
	return now_ms - a->t0_ms >= a->interval_ms;
}

/* After a window's result: the next window starts now (or after an interval if the
 * bits cannot be cleared). */
static void access_rearm(struct collect_access *a, const struct collect_access_opts *o,
			 uint64_t now_ms)
{
	int e = access_clear_refs(a, o);
	if (e < 0) {
		a->armed = false;
		a->next_ms = now_ms + a->interval_ms;
		a->last_err = e;
	} else {
		a->t0_ms = now_ms;
	}
}

static int access_tick_refs(struct collect_access *a, const struct collect_access_opts *o,
			    uint64_t now_ms)
{
	int e = access_window(a, o, now_ms);
	if (e <= 0)
		return e;
	struct collect_smaps s;
	uint64_t active;
	bool clamped = false;
	if ((e = access_smaps(a, o, &s)) < 0 ||
	    (e = collect_access_from_smaps(&s, &active, &clamped)) < 0)
		return access_fail(a, e, now_ms);
	access_result(a, active, s.guest_ram_rss_bytes, clamped, now_ms);
	access_rearm(a, o, now_ms);
	return COLLECT_ACCESS_SAMPLED;
}

static int access_tick_sample(struct collect_access *a, const struct collect_access_opts *o,
			      uint64_t now_ms)
{
	int e = access_window(a, o, now_ms);
	if (e <= 0)
		return e;
	struct collect_smaps s;
	if ((e = access_smaps(a, o, &s)) < 0)
		return access_fail(a, e, now_ms);
	if (s.guest_ram_match == COLLECT_GUEST_RAM_NONE)
		return access_fail(a, -ENODATA, now_ms);
	uint32_t n = o->sample_pages ? o->sample_pages : COLLECT_ACCESS_SAMPLE_PAGES;
	if (n > 4096)
		n = 4096;
	static uint64_t entries[4096];
	char path[512];
	if ((e = access_path(o, a->pid, "pagemap", path, sizeof(path))) < 0)
		return access_fail(a, e, now_ms);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return access_fail(a, -errno, now_ms);
	e = collect_access_sample_read(fd, s.guest_ram_start, s.guest_ram_end, &a->rng, entries, n);
	close(fd);
	if (e < 0)
		return access_fail(a, e, now_ms);
	a->sample_pages = n;
	a->sample_written = collect_access_sample_count(entries, n);
	uint64_t size = s.guest_ram_end - s.guest_ram_start;
	if (a->memsz_bytes && a->memsz_bytes < size)
		size = a->memsz_bytes;
	uint64_t active = collect_access_sample_scale(a->sample_written, n, size);
	bool clamped = active > s.guest_ram_rss_bytes;
	if (clamped)
		active = s.guest_ram_rss_bytes;
	access_result(a, active, s.guest_ram_rss_bytes, clamped, now_ms);
	access_rearm(a, o, now_ms);
	return COLLECT_ACCESS_SAMPLED;
}

static int access_tick_damon(struct collect_access *a, const struct collect_access_opts *o,
			     uint64_t now_ms)
{
	if (now_ms - a->t0_ms < a->interval_ms)
		return 0;
	struct collect_smaps s;
	struct collect_damon_regions rg;
	int e;
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/kdamonds/0/contexts/0/schemes/0/tried_regions",
		 a->damon.root);
	if ((e = access_smaps(a, o, &s)) < 0)
		return access_fail(a, e, now_ms);
	if (s.guest_ram_match == COLLECT_GUEST_RAM_NONE)
		return access_fail(a, -ENODATA, now_ms);
	if ((e = collect_access_damon_update(&a->damon)) < 0 ||
	    (e = collect_access_damon_regions_read(dir, s.guest_ram_start, s.guest_ram_end,
						   COLLECT_ACCESS_DAMON_AGGR_US,
						   a->interval_ms * 1000, &rg)) < 0) {
		/* DAMON went wrong under us: never again for this VM, REFS instead */
		(void)collect_damon_stop(&a->damon);
		a->damon_failed = true;
		access_choose(a, o, now_ms);
		snprintf(a->why + strlen(a->why), sizeof(a->why) - strlen(a->why),
			 " [DAMON sample failed: %s]", strerror(-e));
		a->last_err = e;
		a->valid = false;
		int r = a->method == COLLECT_ACCESS_REFS ? access_tick_refs(a, o, now_ms) : 0;
		return r < 0 ? r : COLLECT_ACCESS_CHOSE;
	}
	/* DAMON regions are virtual ranges: never more than what is resident */
	bool clamped = rg.active_bytes > s.guest_ram_rss_bytes;
	uint64_t active = clamped ? s.guest_ram_rss_bytes : rg.active_bytes;
	access_result(a, active, s.guest_ram_rss_bytes, clamped, now_ms);
	a->t0_ms = now_ms;
	return COLLECT_ACCESS_SAMPLED;
}

bool collect_access_due(const struct collect_access *a, const struct collect_access_opts *o,
			pid_t pid, uint64_t memsz_bytes, uint64_t now_ms)
{
	if (!a || !o || pid <= 0)
		return false;
	if (pid != a->pid || memsz_bytes != a->memsz_bytes || o->interval_ms != a->interval_ms)
		return true;
	switch (a->method) {
	case COLLECT_ACCESS_REFS:
	case COLLECT_ACCESS_SAMPLE:
		if (!a->armed)
			return now_ms >= a->next_ms;
		return now_ms - a->t0_ms >= a->interval_ms;
	case COLLECT_ACCESS_DAMON:
		return now_ms - a->t0_ms >= a->interval_ms;
	default:
		return false;
	}
}

int collect_access_tick(struct collect_access *a, const struct collect_access_opts *o, pid_t pid,
			uint64_t memsz_bytes, uint64_t now_ms)
{
	if (!a || !o)
		return -EINVAL;
	int ret = 0;
	if (pid <= 0) {
		collect_access_stop(a);
		return 0;
	}
	if (pid != a->pid || memsz_bytes != a->memsz_bytes || o->interval_ms != a->interval_ms) {
		bool was_failed = a->damon_failed && pid == a->pid;
		collect_access_stop(a);
		collect_access_init(a);
		a->pid = pid;
		a->memsz_bytes = memsz_bytes;
		a->interval_ms = o->interval_ms;
		a->damon_failed = was_failed;
		access_choose(a, o, now_ms);
		ret |= COLLECT_ACCESS_CHOSE;
	}
	int r;
	switch (a->method) {
	case COLLECT_ACCESS_REFS:
		r = access_tick_refs(a, o, now_ms);
		break;
	case COLLECT_ACCESS_DAMON:
		r = access_tick_damon(a, o, now_ms);
		break;
	case COLLECT_ACCESS_SAMPLE:
		r = access_tick_sample(a, o, now_ms);
		break;
	default:
		r = 0;
		break;
	}
	return r < 0 ? r : ret | r;
}
