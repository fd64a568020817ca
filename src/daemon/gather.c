/*
 * DESIGN: the "collect" step of the tick, on top of src/collect's readers: host
 * figures (collect/host.c: meminfo, PSI, KSM, zswap), every running domain's balloon
 * stats in one libvirt call (converted to libvirt's tagged form so collect's memstats
 * conversion does the clamping), and each QEMU's /proc/PID (smaps split into guest
 * RAM = CONSUMED and the rest = OVHD, ksm_stat). Guest numbers are clamped to MEMSZ
 * there; nothing here trusts them further.
 *
 * Cost: the kernel walks every page table to produce smaps (~5 ms of system time for
 * a TCG QEMU here), so a full smaps read happens for at most one VM per tick (the
 * one most overdue: never measured first, then the oldest among those whose split
 * is 30 s old or whose RSS or swap moved 64 MiB). Between them collect/pidcache
 * reads /proc/PID/status (VmRSS, VmSwap) and ksm_stat (tens of microseconds):
 * CONSUMED = RSS - OVHD(last smaps) - KSM-merged in guest RAM; SWCUR = the
 * process's swap in guest RAM's share at the last smaps read (pidcache.c says why).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect/access.h"
#include "collect/cgroup.h"
#include "collect/damon.h"
#include "collect/host.h"
#include "collect/memstats.h"
#include "collect/pidcache.h"
#include "collect/procpid.h"
#include "collect/zswap.h"
#include "daemon/daemon.h"
#include "util/event.h"
#include "util/log.h"
#include "virt/dom.h"
#include "virt/loop.h"

/* Only meminfo is required: a kernel without PSI, KSM or zswap (or with a file of
 * theirs blimp cannot parse) gives zeros for those, never stale host figures. */
int daemon_gather_host(struct host_snapshot *h)
{
	static const struct collect_host_paths paths = {
	    .meminfo = "/proc/meminfo",
	    .psi = "/proc/pressure/memory",
	    .ksm_dir = "/sys/kernel/mm/ksm",
	    .zswap_params = "/sys/module/zswap/parameters",
	};
	struct collect_host c;
	int r = collect_host_read(&paths, &c);
	if (r < 0)
		return r;
	if (c.bad)
		log_debug("collect", "host: unreadable %s%s%s",
			  c.bad & (1u << COLLECT_HOST_PSI) ? " PSI" : "",
			  c.bad & (1u << COLLECT_HOST_KSM) ? " KSM" : "",
			  c.bad & (1u << COLLECT_HOST_ZSWAP) ? " zswap" : "");
	collect_host_to_snapshot(&c, h);
	return 0;
}

/* A VM whose RSS keeps moving (a balloon on its way) is re-measured at most this
 * often: the split only corrects OVHD, which moves slowly. */
#define SMAPS_MIN_GAP_MS 5000

/* QEMU's /proc figures: a full smaps read when full is true (or the split was never
 * measured), else the /proc/PID/status estimate. */
static void gather_vm_proc(struct blimpd *d, struct daemon_vm *v, bool full)
{
	if (v->pid > 0 && kill(v->pid, 0) != 0)
		v->pid = 0;
	if (v->pid <= 0) {
		pid_t pid;
		if (virt_dom_pid(d->conn.run_dir, "", v->name, v->uuid, &pid) == 0)
			v->pid = pid;
	}
	if (v->pid != v->pidcache_pid) {
		memset(&v->pidcache, 0, sizeof(v->pidcache));
		v->pidcache_pid = v->pid;
	}
	struct collect_proc_pid pp;
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d", (int)v->pid);
	/* max_age 0: a full read whenever allowed (the caller chose this VM) */
	const struct collect_pid_cache_opts now_opts = {0, 0};
	int r = v->pid > 0 ? collect_pid_cache_update(dir, v->memsz_bytes, virt_loop_now_ms(),
						      full ? &now_opts : NULL, full, &v->pidcache,
						      &pp, NULL)
			   : -ESRCH;
	if (r == 0) {
		v->rss_bytes = pp.rss_bytes;
		v->swap_bytes = pp.swap_bytes;
		collect_vm_host_figures_to_snapshot(&pp, &v->snap);
		return;
	}
	if (v->pid > 0)
		log_debug("collect", "%s: /proc/%d: %s", v->name, (int)v->pid, strerror(-r));
	memset(&v->pidcache, 0, sizeof(v->pidcache));
	v->rss_bytes = v->swap_bytes = 0;
	v->snap.consumed_bytes = v->snap.ovhd_bytes = v->snap.swapped_bytes = 0;
	v->snap.shared_bytes = v->snap.zero_bytes = 0;
}

/* Host-side access sampling (docs/collectors.md): a window of access_sample_s per
 * VM; the referenced-bit method costs a clear_refs and a smaps walk (~10 ms each for
 * 512 MiB in 4 KiB pages), so at most one VM does that work per tick (*busy): the
 * others' windows stretch by a tick or two. The model's damon_* fields carry the
 * estimate whichever method made it. */
static void gather_vm_access(struct blimpd *d, struct daemon_vm *v, uint64_t now_ms, bool *busy)
{
	struct collect_access_opts o = {.proc_root = "/proc",
					.damon_root = COLLECT_DAMON_ROOT,
					.interval_ms = (uint64_t)d->cfg.access_sample_s * 1000,
					.guest_kvm = d->conn.accel == VIRT_ACCEL_KVM};
	v->snap.damon_valid = v->access.valid;
	v->snap.damon_active_bytes = v->access.valid ? v->access.active_bytes : 0;
	if (collect_access_due(&v->access, &o, v->pid, v->memsz_bytes, now_ms)) {
		if (*busy)
			return;
		*busy = true;
	}
	int r = collect_access_tick(&v->access, &o, v->pid, v->memsz_bytes, now_ms);
	if (r >= 0 && (r & COLLECT_ACCESS_CHOSE))
		log_info("collect", "%s: access sampling %s: %s", v->name,
			 collect_access_method_name(v->access.method), v->access.why);
	else if (r < 0)
		log_warn("collect", "%s: access sampling (%s): %s", v->name,
			 collect_access_method_name(v->access.method), strerror(-r));
	if (r > 0 && (r & COLLECT_ACCESS_SAMPLED))
		log_debug("collect",
			  "%s: host-side active %llu MiB of %llu MiB resident in %llu ms", v->name,
			  (unsigned long long)(v->access.active_bytes / MODEL_MIB),
			  (unsigned long long)(v->access.resident_bytes / MODEL_MIB),
			  (unsigned long long)v->access.window_ms);
	v->snap.damon_valid = v->access.valid;
	v->snap.damon_active_bytes = v->access.valid ? v->access.active_bytes : 0;
}

void daemon_vm_stop_sampling(struct daemon_vm *v)
{
	collect_access_stop(&v->access);
}

void daemon_vm_refresh(struct blimpd *d, struct daemon_vm *v)
{
	uint64_t actual;
	if (!v->active || !d->conn_ok)
		return;
	if (virt_dom_balloon_actual(&d->conn, v->uuid, &actual) == 0 && actual <= v->memsz_bytes)
		v->snap.balloon_actual_bytes = actual;
	gather_vm_proc(d, v, true);
}

/* libvirt's bulk stats back into its tagged form (kB, counts, seconds). */
static int to_tagged(const struct virt_balloon_stats *st, virDomainMemoryStatStruct *m)
{
	int n = 0;
#define PUT(t_, v_) (m[n].tag = (t_), m[n].val = (v_), n++)
	PUT(VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON, st->current_bytes / 1024);
	if (st->rss_bytes)
		PUT(VIR_DOMAIN_MEMORY_STAT_RSS, st->rss_bytes / 1024);
	if (st->have_guest) {
		PUT(VIR_DOMAIN_MEMORY_STAT_SWAP_IN, st->swap_in_bytes / 1024);
		PUT(VIR_DOMAIN_MEMORY_STAT_SWAP_OUT, st->swap_out_bytes / 1024);
		PUT(VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT, st->major_faults);
		PUT(VIR_DOMAIN_MEMORY_STAT_MINOR_FAULT, st->minor_faults);
		if (st->have_unused)
			PUT(VIR_DOMAIN_MEMORY_STAT_UNUSED, st->unused_bytes / 1024);
		if (st->have_available)
			PUT(VIR_DOMAIN_MEMORY_STAT_AVAILABLE, st->available_bytes / 1024);
		if (st->have_usable)
			PUT(VIR_DOMAIN_MEMORY_STAT_USABLE, st->usable_bytes / 1024);
		if (st->have_disk_caches)
			PUT(VIR_DOMAIN_MEMORY_STAT_DISK_CACHES, st->disk_caches_bytes / 1024);
		PUT(VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE, st->last_update_s);
	}
#undef PUT
	return n;
}

/* From the VM's cgroup. ZIP: on cgroup v2 its own memory.stat "zswapped" (where the
 * kernel has it; else the estimate); on v1 (no per-cgroup zswap figure) the host's
 * zswapped bytes shared out by SWCUR, marked as an estimate. The swap cap: v2's
 * memory.swap.max up the tree (an operator's machine.slice may say 0); v1 has no
 * such file (memsw limits blimp's own placement does not set). */
static void gather_vm_cgroup(const struct blimpd *d, const struct daemon_vm *v,
			     struct vm_snapshot *s)
{
	static int cg_version; /* 0: not looked yet; -1: no memory cgroup */
	if (!cg_version) {
		int r = collect_cgroup_version("/sys/fs/cgroup");
		cg_version = r > 0 ? r : -1;
	}
	bool zip = false;
	if (cg_version == 2 && v->pid > 0) {
		char pf[64], dir[4096];
		struct collect_cgroup c;
		uint64_t cap;
		snprintf(pf, sizeof(pf), "/proc/%d/cgroup", (int)v->pid);
		if (collect_cgroup_pid_dir("/sys/fs/cgroup", 2, pf, dir, sizeof(dir)) == 0) {
			if (collect_cgroup_read(dir, 2, &c) == 0 &&
			    collect_cgroup_has(&c, COLLECT_CG_ZSWAPPED)) {
				s->zipped_bytes = c.v[COLLECT_CG_ZSWAPPED];
				s->zip_estimated = false;
				zip = true;
			}
			if (collect_cgroup_swap_cap("/sys/fs/cgroup", dir, &cap) == 0 &&
			    cap != COLLECT_CGROUP_UNLIMITED) {
				s->host_swap_capped = true;
				s->host_swap_cap_bytes = cap;
			}
		}
	}
	if (zip)
		return;
	const struct host_snapshot *h = &d->host;
	uint64_t used = h->swap_total_bytes > h->swap_free_bytes
			    ? h->swap_total_bytes - h->swap_free_bytes
			    : 0;
	s->zipped_bytes = collect_zswap_share(h->zswapped_bytes, used, s->swapped_bytes);
	s->zip_estimated = true;
}

void daemon_gather_vms(struct blimpd *d)
{
	struct virt_balloon_stats *bs = NULL;
	size_t n = 0;
	if (virt_dom_stats_all(&d->conn, &bs, &n) < 0) {
		log_warn("collect", "balloon stats failed: %s", virt_last_error());
		n = 0;
	}
	uint64_t now_s = (uint64_t)time(NULL);
	uint64_t now_ms = virt_loop_now_ms();
	/* the one VM whose smaps is most overdue gets the full read this tick (by last
	 * tick's RSS and swap; a VM never measured is read in full regardless) */
	struct daemon_vm *full = NULL;
	bool access_busy = false; /* one VM's access sampling step per tick */
	for (size_t i = 0; i < d->n_vms; i++) {
		struct daemon_vm *v = &d->vms[i];
		const struct collect_pid_cache *c = &v->pidcache;
		if (!v->active || !c->valid || now_ms - c->full_ms < SMAPS_MIN_GAP_MS ||
		    !collect_pid_cache_due(c, NULL, v->rss_bytes, v->swap_bytes, now_ms))
			continue;
		if (!full || c->full_ms < full->pidcache.full_ms)
			full = v;
	}
	for (size_t i = 0; i < d->n_vms; i++) {
		struct daemon_vm *v = &d->vms[i];
		struct vm_snapshot *s = &v->snap;
		const struct virt_balloon_stats *st = NULL;
		for (size_t k = 0; k < n; k++)
			if (strcmp(bs[k].uuid, v->uuid) == 0)
				st = &bs[k];
		/* host-view fields survive; the guest view is rebuilt from this tick */
		struct vm_snapshot keep = *s;
		memset(s, 0, sizeof(*s));
		s->consumed_bytes = keep.consumed_bytes;
		s->ovhd_bytes = keep.ovhd_bytes;
		snprintf(s->name, sizeof(s->name), "%s", v->name);
		snprintf(s->uuid, sizeof(s->uuid), "%s", v->uuid);
		s->memsz_bytes = v->memsz_bytes;
		s->settings = v->settings;
		/* from the XML read at adoption (domains.c); true while unknown */
		s->no_deflate_on_oom = daemon_vm_no_deflate_on_oom(v);
		s->running = v->active && st && st->active;
		s->stats_age_ms = MODEL_AGE_NEVER;
		if (!st)
			continue;
		virDomainMemoryStatStruct tagged[16];
		struct collect_memstats ms;
		int nt = to_tagged(st, tagged);
		if (collect_memstats_from_libvirt(tagged, nt, now_s, &ms) == 0 &&
		    collect_memstats_to_snapshot(&ms, v->memsz_bytes, s) > 0) {
			d->guest_stats_clamped++; /* a figure out of range: clamped */
			/* a guest can do this every tick: a few events, then a pause */
			static struct log_ratelimit rl = {.interval_ms = 10000, .burst = 5};
			if (log_ratelimit_ok(&rl, now_ms)) {
				char tot[24];
				snprintf(tot, sizeof(tot), "%" PRIu64, d->guest_stats_clamped);
				event_emit(EVENT_WARNING, "guest_stats_clamped", "vm", v->name,
					   "clamped_total", tot, NULL);
			}
		}
		gather_vm_proc(d, v, v == full);
		gather_vm_access(d, v, now_ms, &access_busy);
		s->host_swap_ok = d->cfg.manage_cgroups && d->host.swap_total_bytes > 0 && v->pid > 0;
		gather_vm_cgroup(d, v, s);
	}
	free(bs);
}
