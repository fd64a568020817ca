/*
 * DESIGN: the JSON views of the daemon's state that `status`, `stats`, `ls` and the
 * history answer with: the host, one VM, the counters. Read-only over struct blimpd;
 * the tick (tick.c) fills what they read.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "act/cgroup.h"
#include "daemon/daemon.h"
#include "daemon/history.h"

json_object *daemon_counters_json(const struct blimpd *d)
{
	struct act_cgroup_safety cs = {0};
	daemon_swap_safety(d, &cs.rescues, &cs.refused, &cs.oom_kills);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ctl_bad_requests", json_object_new_uint64(d->ctl_bad_requests));
	json_object_object_add(o, "ctl_refused", json_object_new_uint64(d->ctl_refused));
	json_object_object_add(o, "ctl_dropped", json_object_new_uint64(d->ctl_dropped));
	json_object_object_add(o, "guest_stats_clamped",
			       json_object_new_uint64(d->guest_stats_clamped));
	json_object_object_add(o, "cgroup_rescues", json_object_new_uint64(cs.rescues));
	json_object_object_add(o, "cgroup_refused", json_object_new_uint64(cs.refused));
	json_object_object_add(o, "cgroup_oom_kills", json_object_new_uint64(cs.oom_kills));
	struct history_counters hc = {0};
	if (d->history)
		history_counters(d->history, &hc);
	json_object_object_add(o, "history_slots_recycled",
			       json_object_new_uint64(hc.slots_recycled));
	json_object_object_add(o, "history_vms_dropped", json_object_new_uint64(hc.vms_dropped));
	json_object_object_add(o, "ticks_late_period",
			       json_object_new_uint64(d->ticks_late_period));
	struct virt_agent_counters ac;
	virt_agent_counters_get(&ac);
	json_object_object_add(o, "agent_garbage_bytes", json_object_new_uint64(ac.garbage_bytes));
	json_object_object_add(o, "agent_oversize_frames",
			       json_object_new_uint64(ac.oversize_frames));
	json_object_object_add(o, "agent_reads_deferred",
			       json_object_new_uint64(ac.reads_deferred));
	return o;
}

json_object *daemon_host_json(const struct blimpd *d)
{
	const struct host_snapshot *h = &d->host;
	const struct host_plan *p = &d->host_plan;
	json_object *o = json_object_new_object();
	uint64_t sum_memsz = 0;
	for (size_t i = 0; i < d->n_vms; i++)
		if (d->vms[i].active)
			sum_memsz += d->vms[i].memsz_bytes;
	uint64_t budget = d->cfg.policy.budget_bytes;
	json_object_object_add(o, "mem_total", json_object_new_uint64(h->mem_total_bytes));
	json_object_object_add(o, "mem_available", json_object_new_uint64(h->mem_available_bytes));
	json_object_object_add(o, "budget", json_object_new_uint64(budget));
	json_object_object_add(o, "free", json_object_new_uint64(p->free_bytes));
	json_object_object_add(o, "minfree", json_object_new_uint64(p->minfree_bytes));
	json_object_object_add(o, "state",
			       json_object_new_string(d->have_host_plan
							  ? model_host_state_name(p->state)
							  : "unknown"));
	json_object_object_add(o, "swap_total", json_object_new_uint64(h->swap_total_bytes));
	json_object_object_add(o, "swap_free", json_object_new_uint64(h->swap_free_bytes));
	json_object_object_add(o, "psi_some_avg10",
			       json_object_new_uint64(h->psi_some_avg10_permyriad));
	json_object_object_add(o, "ksm_run", json_object_new_boolean(p->ksm_run));
	json_object_object_add(o, "ksm_pages_to_scan",
			       json_object_new_uint64(p->ksm_pages_to_scan));
	json_object_object_add(o, "ksm_sleep_ms", json_object_new_uint64(p->ksm_sleep_ms));
	json_object_object_add(o, "ksm_pages_sharing",
			       json_object_new_uint64(h->ksm_pages_sharing));
	json_object_object_add(o, "ksm_pages_shared", json_object_new_uint64(h->ksm_pages_shared));
	json_object_object_add(o, "zswap", json_object_new_boolean(h->zswap_enabled));
	json_object_object_add(o, "zswap_pool", json_object_new_uint64(h->zswap_pool_bytes));
	json_object_object_add(o, "zswapped", json_object_new_uint64(h->zswapped_bytes));
	json_object_object_add(o, "shrdsvd", json_object_new_uint64(daemon_shrdsvd_bytes(h)));
	json_object_object_add(o, "overcommit",
			       json_object_new_uint64(budget ? sum_memsz * 10000 / budget : 0));
	/* the working-set alarm: the plan's figures, and whether the alarm is on */
	json_object_object_add(o, "working_set_bytes",
			       json_object_new_uint64(p->working_set_bytes));
	json_object_object_add(o, "working_set_shortfall_bytes",
			       json_object_new_uint64(p->working_set_shortfall_bytes));
	json_object_object_add(o, "working_set_alarm", json_object_new_boolean(d->wsalarm.active));
	return o;
}

uint64_t daemon_shrdsvd_bytes(const struct host_snapshot *h)
{
	long page = sysconf(_SC_PAGESIZE);
	return h->ksm_present ? h->ksm_pages_sharing * (uint64_t)(page > 0 ? page : 4096) : 0;
}

void daemon_vm_balloon(const struct daemon_vm *v, uint64_t *actual, uint64_t *target)
{
	const struct vm_snapshot *s = &v->snap;
	*actual = s->balloon_actual_bytes ? s->balloon_actual_bytes : v->current_bytes;
	*target = v->manual_target_bytes    ? v->manual_target_bytes
		  : v->applied_target_bytes ? v->applied_target_bytes
		  : v->have_plan	    ? v->plan.target_bytes
					    : v->current_bytes;
}

json_object *daemon_vm_json(const struct blimpd *d, const struct daemon_vm *v)
{
	(void)d;
	const struct vm_snapshot *s = &v->snap;
	const struct vm_plan *p = &v->plan;
	uint64_t memsz = v->memsz_bytes;
	uint64_t actual, target;
	daemon_vm_balloon(v, &actual, &target);
	json_object *o = json_object_new_object();
#define U(k, x) json_object_object_add(o, k, json_object_new_uint64(x))
	json_object_object_add(o, "name", json_object_new_string(v->name));
	json_object_object_add(o, "uuid", json_object_new_string(v->uuid));
	json_object_object_add(o, "state",
			       json_object_new_string(v->active ? "running" : "shut off"));
	json_object_object_add(o, "managed", json_object_new_boolean(v->managed));
	U("memsz", memsz);
	U("consumed", s->consumed_bytes);
	U("ovhd", s->ovhd_bytes);
	U("rss", v->rss_bytes);
	json_object_object_add(o, "mctl", json_object_new_boolean(s->mctl));
	U("mctlsz", memsz > actual ? memsz - actual : 0);
	U("mctltgt", memsz > target ? memsz - target : 0);
	U("mctlmax", daemon_vm_mctlmax(d, v));
	U("shrd", s->shared_bytes);
	U("zero", s->zero_bytes);
	/* ESX's SHRDSVD is host-wide (esxtop's PSHARE line): what sharing saves,
	 * KSM's pages_sharing (references to a shared page beyond the first) */
	U("shrdsvd", daemon_shrdsvd_bytes(&d->host));
	U("swcur", s->swapped_bytes);
	U("swtgt", p->swtgt_bytes);
	U("zip", s->zipped_bytes);
	json_object_object_add(o, "zip_estimated", json_object_new_boolean(s->zip_estimated));
	json_object_object_add(o, "host_swap_ok", json_object_new_boolean(s->host_swap_ok));
	/* cgroup v2 swap.max up the tree; null: no cap */
	json_object_object_add(o, "host_swap_cap",
			       s->host_swap_capped ? json_object_new_uint64(s->host_swap_cap_bytes)
						   : NULL);
	U("actv", p->actv_bytes);
	U("actvs", p->actvs_bytes);
	U("actvf", p->actvf_bytes);
	/* host-side access sampling: -1 until a window has been measured */
	json_object_object_add(o, "actv_host",
			       v->access.valid ? json_object_new_uint64(v->access.active_bytes)
					       : json_object_new_int64(-1));
	json_object_object_add(
	    o, "actv_host_method",
	    json_object_new_string(collect_access_method_name(v->access.method)));
	U("guest_total", s->guest_total_bytes);
	U("guest_free", s->guest_free_bytes);
	U("guest_available", s->guest_available_bytes);
	U("guest_caches", s->guest_caches_bytes);
	U("guest_swap_in", s->guest_swap_in_bytes);
	U("guest_swap_out", s->guest_swap_out_bytes);
	U("guest_major_faults", s->guest_major_faults);
	U("guest_minor_faults", s->guest_minor_faults);
	json_object_object_add(o, "stats_age_ms",
			       s->stats_age_ms == MODEL_AGE_NEVER
				   ? json_object_new_int64(-1)
				   : json_object_new_uint64(s->stats_age_ms));
	U("balloon_actual", actual);
	U("balloon_target", target);
	json_object_object_add(o, "domain", daemon_vm_domain_json(d, v));
	json_object_object_add(o, "balloon_manual",
			       json_object_new_boolean(v->manual_target_bytes != 0));
	U("shares", model_vm_shares(&v->settings, memsz));
	U("reservation", v->settings.reservation_bytes);
	U("limit", model_vm_limit(&v->settings, memsz));
	U("maxmemctl", model_vm_maxmemctl(&v->settings, memsz));
	U("entitlement", p->entitlement_bytes);
	json_object_object_add(o, "reason",
			       json_object_new_string(v->manual_target_bytes ? "manual"
						      : v->have_plan
							  ? model_plan_reason_name(p->reason)
							  : "none"));
	json_object_object_add(o, "pid", json_object_new_int(v->pid));
#undef U
	return o;
}
