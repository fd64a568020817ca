/*
 * DESIGN: what blimp needs of a domain's XML, and what it puts back (docs/domains.md).
 *
 * When blimp adopts a run of a domain (found running at start, started, restarted;
 * a run is identified by uuid + libvirt's domain id) it reads the live XML once
 * (virt/domcaps.h), not every tick: the balloon device's model, autodeflate,
 * freePageReporting and stats period, the domain type and a TCG tb-cache. Then:
 *  - stats period: libvirt reports guest stats only with a period, and stats older
 *    than stale_after_ms are stale (a stale VM is never shrunk, so never managed). A
 *    period of 0, or longer than half of stale_after_ms, is set live to
 *    stats_period_s (never in the persistent config) and logged with the old value;
 *  - a foreign domain's balloon target is recorded (the adoption target).
 * Both are written to STATE/domain-originals (daemon/domorig.h) before they matter,
 * so a blimpd killed with SIGKILL leaves the next one the domain's own values, not
 * blimp's: an entry for the same run (uuid and id) wins over what the next blimpd
 * sees, and a period found equal to the one blimp set is known to be blimp's.
 *
 * At an orderly exit (daemon_domains_restore) the periods go back, live, and with
 * on_exit=restore foreign domains get their adoption targets back as far as the host
 * has memory available (daemon/giveback.h). An entry stays in the file only for what
 * could not be put back, for the next blimpd.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "daemon/daemon.h"
#include "daemon/domorig.h"
#include "daemon/giveback.h"
#include "util/log.h"
#include "util/size.h"
#include "virt/dom.h"

bool daemon_vm_no_deflate_on_oom(const struct daemon_vm *v)
{
	return !(v->caps_known && v->caps.balloon == VIRT_DOMCAPS_BALLOON_VIRTIO &&
		 v->caps.autodeflate);
}

uint64_t daemon_vm_mctlmax(const struct blimpd *d, const struct daemon_vm *v)
{
	struct vm_snapshot s = {.memsz_bytes = v->memsz_bytes,
				.settings = v->settings,
				.no_deflate_on_oom = daemon_vm_no_deflate_on_oom(v)};
	return policy_vm_maxmemctl(&d->cfg.policy, &s);
}

static bool vm_has_balloon(const struct daemon_vm *v)
{
	return v->caps_known && v->caps.balloon == VIRT_DOMCAPS_BALLOON_VIRTIO;
}

/* What the XML lacks, for the log and the protocol: the names docs/protocol.md lists. */
static size_t vm_missing(const struct daemon_vm *v, const char **out, size_t max)
{
	size_t n = 0;
#define ADD(x)                                                                                     \
	do {                                                                                       \
		if (n < max)                                                                       \
			out[n++] = (x);                                                            \
	} while (0)
	if (!v->caps_known) {
		ADD("unknown");
		return n;
	}
	if (v->caps.balloon != VIRT_DOMCAPS_BALLOON_VIRTIO) {
		ADD("balloon");
		return n;
	}
	if (!v->caps.autodeflate)
		ADD("autodeflate");
	if (!v->caps.free_page_reporting)
		ADD("free_page_reporting");
	if (v->caps.type == VIRT_DOMCAPS_TYPE_QEMU && !v->caps.tb_cache)
		ADD("tb_cache");
#undef ADD
	return n;
}

/* Record what blimp must remember of this run (no-op in dry-run: no store). */
static void vm_store(struct blimpd *d, const struct daemon_vm *v)
{
	if (!d->domorig)
		return;
	int r;
	if (!v->adopt_bytes && !v->period_set_s) {
		r = daemon_domorig_drop(d->domorig, v->uuid);
	} else {
		struct daemon_domorig_entry e = {.id = v->dom_id,
						 .adopt_bytes = v->adopt_bytes,
						 .period_orig_s = v->period_orig_s,
						 .period_set_s = v->period_set_s};
		snprintf(e.uuid, sizeof(e.uuid), "%s", v->uuid);
		r = daemon_domorig_put(d->domorig, &e);
	}
	if (r < 0)
		log_warn("vm", "%s: cannot record its originals in the state directory: %s", v->name,
			 strerror(-r));
}

/* Set the live stats period when it is missing or too long for stale_after_ms. */
static void vm_check_period(struct blimpd *d, struct daemon_vm *v,
			    const struct daemon_domorig_entry *e)
{
	unsigned live = v->caps.stats_period_s, want = d->cfg.stats_period_s;
	if (e && e->period_set_s && live == e->period_set_s) {
		/* an earlier blimpd set this one: the domain's own is in the file */
		v->period_orig_s = e->period_orig_s;
		v->period_set_s = e->period_set_s;
		log_info("vm", "%s: stats period %u s was set by an earlier blimpd (the domain's "
			 "own: %u s)",
			 v->name, live, v->period_orig_s);
		return;
	}
	if (d->cfg.dry_run || !vm_has_balloon(v) || live == want ||
	    (live != 0 && (uint64_t)live * 1000 <= d->cfg.policy.stale_after_ms / 2))
		return;
	if (virt_dom_set_stats_period(&d->conn, v->uuid, want) < 0) {
		log_warn("vm", "%s: could not set the balloon stats period to %u s (it is %u s): %s",
			 v->name, want, live, virt_last_error());
		return;
	}
	v->period_orig_s = live;
	v->period_set_s = want;
	v->caps.stats_period_s = want;
	log_info("vm", "%s: balloon stats period %u s -> %u s (live only%s; put back at exit)",
		 v->name, live, want, live ? ": stats would be stale" : ": none set");
}

void daemon_vm_adopt(struct blimpd *d, struct daemon_vm *v)
{
	v->period_orig_s = v->period_set_s = 0;
	v->adopt_bytes = 0;
	int r = virt_dom_caps(&d->conn, v->uuid, &v->caps);
	v->caps_known = r == 0;
	if (r < 0)
		log_warn("vm", "%s: cannot read its domain XML (%s): deflate-on-OOM assumed off",
			 v->name, r == -EINVAL ? "not understood" : virt_last_error());
	const char *miss[8];
	size_t nm = vm_missing(v, miss, 8);
	if (nm && v->caps_known) {
		char list[256] = "";
		for (size_t i = 0; i < nm; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", miss[i]);
		log_info("vm", "%s: its domain XML lacks %s (blimp stats %s; docs/domains.md)",
			 v->name, list, v->name);
	}
	/* an entry for another run (another id) is stale: the domain restarted since */
	const struct daemon_domorig_entry *e = daemon_domorig_find(d->domorig, v->uuid);
	if (e && e->id != v->dom_id) {
		(void)!daemon_domorig_drop(d->domorig, v->uuid);
		e = NULL;
	}
	struct daemon_domorig_entry saved = {0};
	if (e) {
		saved = *e;
		e = &saved;
	}
	if (v->caps_known)
		vm_check_period(d, v, e);
	if (!v->managed && !d->cfg.dry_run) {
		char a[32];
		if (e && e->adopt_bytes) {
			v->adopt_bytes = e->adopt_bytes;
			log_info("vm", "%s: balloon target when first adopted: %s (recorded by an "
				 "earlier blimpd)",
				 v->name, size_format(v->adopt_bytes, a, sizeof(a)));
		} else {
			v->adopt_bytes = v->current_bytes;
		}
	}
	vm_store(d, v);
}

void daemon_vm_unadopt(struct blimpd *d, struct daemon_vm *v)
{
	v->period_orig_s = v->period_set_s = 0;
	v->adopt_bytes = 0;
	v->caps_known = false;
	if (d->domorig)
		(void)!daemon_domorig_drop(d->domorig, v->uuid);
}

json_object *daemon_vm_domain_json(const struct blimpd *d, const struct daemon_vm *v)
{
	(void)d;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "known", json_object_new_boolean(v->caps_known));
	if (v->caps_known) {
		json_object_object_add(o, "type",
				       json_object_new_string(virt_domcaps_type_name(v->caps.type)));
		json_object_object_add(
		    o, "balloon", json_object_new_string(virt_domcaps_balloon_name(v->caps.balloon)));
		json_object_object_add(o, "autodeflate", json_object_new_boolean(v->caps.autodeflate));
		json_object_object_add(o, "free_page_reporting",
				       json_object_new_boolean(v->caps.free_page_reporting));
		json_object_object_add(o, "stats_period_s",
				       json_object_new_uint64(v->caps.stats_period_s));
		json_object_object_add(o, "tb_cache", json_object_new_boolean(v->caps.tb_cache));
		/* <nosharepages/> (QEMU mem-merge=off): fixed at start, libvirt cannot
		 * change it on a running domain */
		json_object_object_add(o, "sharing", json_object_new_boolean(!v->caps.nosharepages));
	}
	const char *miss[8];
	size_t nm = vm_missing(v, miss, 8);
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < nm; i++)
		json_object_array_add(arr, json_object_new_string(miss[i]));
	json_object_object_add(o, "missing", arr);
	if (v->period_set_s) {
		json_object *p = json_object_new_object();
		json_object_object_add(p, "from_s", json_object_new_uint64(v->period_orig_s));
		json_object_object_add(p, "to_s", json_object_new_uint64(v->period_set_s));
		json_object_object_add(o, "stats_period_changed", p);
	}
	if (v->adopt_bytes)
		json_object_object_add(o, "adopt_target", json_object_new_uint64(v->adopt_bytes));
	return o;
}

/* The stats periods blimp set go back to the domains' own, live. */
static void restore_periods(struct blimpd *d)
{
	for (size_t i = 0; i < d->n_vms; i++) {
		struct daemon_vm *v = &d->vms[i];
		if (!v->active || !v->period_set_s)
			continue;
		if (virt_dom_set_stats_period(&d->conn, v->uuid, v->period_orig_s) < 0) {
			log_warn("vm", "%s: could not put its stats period back to %u s: %s", v->name,
				 v->period_orig_s, virt_last_error());
			continue;
		}
		log_info("vm", "%s: balloon stats period back to %u s", v->name, v->period_orig_s);
		v->period_set_s = v->period_orig_s = 0;
	}
}

static uint64_t vm_target_now(const struct daemon_vm *v)
{
	return v->applied_target_bytes ? v->applied_target_bytes : v->current_bytes;
}

/* Foreign domains back toward their adoption targets, as far as the host can afford. */
static void restore_balloons(struct blimpd *d)
{
	struct daemon_giveback g[d->n_vms + 1];
	size_t idx[d->n_vms + 1], n = 0;
	uint64_t need = 0;
	for (size_t i = 0; i < d->n_vms; i++) {
		struct daemon_vm *v = &d->vms[i];
		if (!v->active || v->managed || !v->adopt_bytes)
			continue;
		uint64_t want = v->adopt_bytes < v->memsz_bytes ? v->adopt_bytes : v->memsz_bytes;
		g[n] = (struct daemon_giveback){.now_bytes = vm_target_now(v), .want_bytes = want};
		if (want > g[n].now_bytes)
			need += want - g[n].now_bytes;
		idx[n++] = i;
	}
	if (need == 0)
		return;
	struct host_snapshot h;
	uint64_t avail = 0, margin = 0;
	if (daemon_gather_host(&h) == 0) {
		margin = daemon_giveback_margin(h.mem_total_bytes);
		avail = h.mem_available_bytes > margin ? h.mem_available_bytes - margin : 0;
	}
	uint32_t level = daemon_giveback_plan(g, n, avail);
	char a[32], b[32], c[32], e[32];
	log_info("vm", "exit: domains not started by blimp are short of %s of their adoption "
		 "targets; the host can give %s (MemAvailable less a %s margin)%s",
		 size_format(need, a, sizeof(a)), size_format(avail, b, sizeof(b)),
		 size_format(margin, c, sizeof(c)),
		 level == 10000 ? ": all of it" : ", most squeezed first");
	for (size_t k = 0; k < n; k++) {
		struct daemon_vm *v = &d->vms[idx[k]];
		uint64_t now = g[k].now_bytes, want = g[k].want_bytes, give = g[k].give_bytes;
		if (want <= now) {
			v->adopt_bytes = 0; /* nothing to give back: done with it */
			continue;
		}
		if (give == 0) {
			log_warn("vm", "%s: balloon target stays at %s: %s of its %s not returned "
				 "(the host has no memory to spare)",
				 v->name, size_format(now, a, sizeof(a)),
				 size_format(want - now, b, sizeof(b)), size_format(want, c, sizeof(c)));
			continue;
		}
		char err[256];
		if (virt_dom_set_balloon(&d->conn, v->uuid, now + give, err, sizeof(err)) < 0) {
			log_warn("vm", "%s: could not give its balloon target back: %s", v->name, err);
			continue;
		}
		v->applied_target_bytes = now + give;
		if (now + give >= want) {
			log_info("vm", "%s: balloon target back to %s (as blimp found it; was %s)",
				 v->name, size_format(want, a, sizeof(a)), size_format(now, b, sizeof(b)));
			v->adopt_bytes = 0;
		} else {
			log_warn("vm", "%s: balloon target %s -> %s of the %s blimp found: %s not "
				 "returned (host memory)",
				 v->name, size_format(now, a, sizeof(a)),
				 size_format(now + give, b, sizeof(b)), size_format(want, c, sizeof(c)),
				 size_format(want - now - give, e, sizeof(e)));
		}
	}
}

void daemon_domains_restore(struct blimpd *d)
{
	if (d->cfg.dry_run || !d->conn_ok)
		return;
	restore_periods(d);
	if (d->cfg.on_exit == CONFIG_ON_EXIT_RESTORE)
		restore_balloons(d);
	/* what is left in the file is what could not be put back (or on_exit=keep):
	 * the next blimpd takes those as the domains' own */
	for (size_t i = 0; i < d->n_vms; i++)
		if (d->vms[i].active)
			vm_store(d, &d->vms[i]);
}
