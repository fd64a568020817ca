/*
 * The simulation loop: step the VMs, let the host reclaim, account, and every
 * balance period collect a snapshot, call policy_run and act on the plan.
 *
 * DESIGN: time advances in fixed steps (step_ms, a divisor of balance_ms). A step is
 * O(N): each VM steps independently against the previous step's host-wide totals
 * (swap-rate shares, KSM scan time) in one pass that also adds up, accounts and writes
 * the snapshot; the host's own reclaim, when used ends beyond RAM, redoes the running
 * VMs (internal.h, "Scale"). At a
 * balance tick the snapshot is built from what blimpd would see: host figures now,
 * guest figures as of their last stats refresh (each VM refreshes every
 * stats_period_ms at its own phase), aged by the collection delay. The plan acts
 * collect_delay_ms later: the next step's balloon movement is shortened by it.
 * The policy is the real library: no policy logic lives here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "sim/internal.h"
#include "sim/rng.h"

void sim_config_default(struct sim_config *c)
{
	memset(c, 0, sizeof(*c));
	c->policy = POLICY_BLIMP;
	c->seed = 1;
	c->duration_ms = 24ULL * 3600 * 1000;
	c->balance_ms = 15000;
	c->step_ms = 15000;
	c->stats_period_ms = 1000;
	c->collect_delay_ms = 200;
	c->host_mem_bytes = 0;
	c->host_swap_bytes_per_s = 200 * MODEL_MIB;
	c->slo_loss_permyriad = 100; /* 1% of the working set missing */
	c->oom_restart_ms = 60000;
	c->ws_touch_ms = 10000;
	c->host_swap = true;
	c->proxmox_target_percent = 80;
	c->ksm_policy = POLICY_KSM_BLIMP;
	c->check = false;
	c->out_dir = NULL;
	c->sample_ms = 0; /* = balance_ms */
}

#define CFG_CHECK(cond, ...)                                                                       \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			if (err && errlen)                                                         \
				snprintf(err, errlen, __VA_ARGS__);                                \
			return -EINVAL;                                                            \
		}                                                                                  \
	} while (0)

int sim_config_validate(const struct sim_config *c, char *err, size_t errlen)
{
	CFG_CHECK((unsigned)c->policy < POLICY__COUNT, "unknown policy");
	CFG_CHECK(c->host_mem_bytes > 0, "host memory must be > 0");
	CFG_CHECK(c->balance_ms >= 10 && c->balance_ms <= 3600000,
		  "balance period %llu ms out of 10..3600000", (unsigned long long)c->balance_ms);
	CFG_CHECK(c->step_ms >= 10 && c->step_ms <= c->balance_ms &&
		      c->balance_ms % c->step_ms == 0,
		  "step %llu ms must be >= 10 and divide the balance period %llu ms",
		  (unsigned long long)c->step_ms, (unsigned long long)c->balance_ms);
	CFG_CHECK(c->duration_ms >= c->balance_ms && c->duration_ms <= 366ULL * 24 * 3600 * 1000,
		  "duration must be at least one balance period and at most a year");
	CFG_CHECK(c->stats_period_ms >= 100 && c->stats_period_ms <= 3600000,
		  "stats period %llu ms out of 100..3600000",
		  (unsigned long long)c->stats_period_ms);
	CFG_CHECK(c->collect_delay_ms <= c->step_ms, "collection delay above the step");
	CFG_CHECK(c->host_swap_bytes_per_s > 0, "host swap rate must be > 0");
	CFG_CHECK(c->host_ram_bytes == 0 || c->host_ram_bytes >= c->host_mem_bytes,
		  "host RAM below the budget");
	CFG_CHECK(c->slo_loss_permyriad <= MODEL_PERMYRIAD, "SLO loss above 100%%");
	CFG_CHECK(c->ws_touch_ms > 0, "working-set touch period must be > 0");
	uint64_t sample = c->sample_ms ? c->sample_ms : c->balance_ms;
	CFG_CHECK(sample % c->balance_ms == 0, "sample period must be a multiple of the balance");
	return 0;
}

double sim_result_slo_pct(const struct sim_result *r)
{
	return r->vm_run_ms ? 100.0 * (double)r->vm_violation_ms / (double)r->vm_run_ms : 0.0;
}

double sim_result_over_pct(const struct sim_result *r)
{
	return r->duration_ms ? 100.0 * (double)r->host_over_budget_ms / (double)r->duration_ms
			      : 0.0;
}

static void sim_snapshot_static(struct sim *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct sim_vm_spec *sp = &s->fleet->vms[i];
		struct vm_snapshot *v = &s->snap_vms[i];
		memset(v, 0, sizeof(*v));
		memcpy(v->name, sp->name, sizeof(v->name));
		v->name[MODEL_NAME_MAX - 1] = '\0';
		snprintf(v->uuid, sizeof(v->uuid), "00000000-0000-4000-8000-%012llx",
			 (unsigned long long)i & 0xffffffffffffULL);
		v->memsz_bytes = sp->memsz_bytes;
		v->settings = sp->settings;
	}
}

/* A zeroed per-VM array, aligned to a cache line (struct sim_vm is a whole number of
 * them). Large ones (100k VMs: tens of MiB each, streamed every step by the simulator
 * and policy_run) are asked to sit in transparent huge pages, where the host allows it
 * (THP "madvise" mode): fewer TLB misses, which cost the most under nested paging.
 * Freed with free(). */
#define SIM_HUGE_BYTES (2ULL * 1024 * 1024)
static void *sim_calloc_vms(size_t n, size_t size)
{
	if (n > SIZE_MAX / size - SIM_HUGE_BYTES)
		return NULL;
	size_t bytes = n * size, align = 64;
	bool huge = bytes >= 4 * SIM_HUGE_BYTES;
	if (huge) {
		align = SIM_HUGE_BYTES;
		bytes = (bytes + SIM_HUGE_BYTES - 1) / SIM_HUGE_BYTES * SIM_HUGE_BYTES;
	}
	void *p = NULL;
	if (posix_memalign(&p, align, bytes ? bytes : align))
		return NULL;
	if (huge)
		(void)madvise(p, bytes, MADV_HUGEPAGE); /* advice only: 4 KiB pages work too */
	memset(p, 0, bytes);
	return p;
}

int sim_new(const struct sim_config *c, const struct sim_fleet *f, struct sim **out, char *err,
	    size_t errlen)
{
	int r = sim_config_validate(c, err, errlen);
	if (r)
		return r;
	if (!f || f->n == 0) {
		snprintf(err, errlen, "empty fleet");
		return -EINVAL;
	}
	struct sim *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = *c;
	if (!s->cfg.sample_ms)
		s->cfg.sample_ms = s->cfg.balance_ms;
	s->fleet = f;
	s->n = f->n;
	policy_settings_default(&s->ps);
	s->ps.kind = c->policy;
	s->ps.budget_bytes = c->host_mem_bytes;
	s->ps.balance_period_ms = (uint32_t)c->balance_ms;
	uint64_t stale = 3 * c->stats_period_ms + c->collect_delay_ms;
	if (stale > s->ps.stale_after_ms)
		s->ps.stale_after_ms = stale;
	s->ps.host_swap = c->host_swap;
	s->ps.proxmox_target_percent = c->proxmox_target_percent;
	s->ps.ksm_policy = c->ksm_policy;
	if (c->probe_unscaled)
		s->ps.probe_scale_by_state = false;
	char perr[160];
	r = policy_settings_validate(&s->ps, perr, sizeof(perr));
	if (r) {
		snprintf(err, errlen, "policy settings: %s", perr);
		goto fail;
	}
	r = -ENOMEM;
	s->pst = policy_state_new();
	s->vms = sim_calloc_vms(s->n, sizeof(*s->vms));
	s->vms_cold = calloc(s->n, sizeof(*s->vms_cold));
	s->snap_vms = sim_calloc_vms(s->n, sizeof(*s->snap_vms));
	s->plan_vms = sim_calloc_vms(s->n, sizeof(*s->plan_vms));
	s->applied = sim_calloc_vms(s->n, sizeof(*s->applied));
	s->actions = calloc(2 * s->n, sizeof(*s->actions));
	if (!s->pst || !s->vms || !s->vms_cold || !s->snap_vms || !s->plan_vms || !s->applied ||
	    !s->actions)
		goto fail;
	s->snap.vms = s->snap_vms;
	s->snap.n_vms = s->n;
	s->plan.vms = s->plan_vms;
	struct sim_rng rng;
	sim_rng_seed(&rng, c->seed, UINT64_MAX - 1);
	for (size_t i = 0; i < s->n; i++)
		sim_vm_init(s, i, sim_rng_below(&rng, c->stats_period_ms));
	sim_snapshot_static(s);
	s->res.policy = c->policy;
	s->res.n_vms = s->n;
	s->res.budget_bytes = c->host_mem_bytes;
	r = sim_output_open(s, err, errlen);
	if (r)
		goto fail;
	*out = s;
	return 0;
fail:
	sim_free(s);
	return r;
}

void sim_free(struct sim *s)
{
	if (!s)
		return;
	if (s->out_vms || s->out_host) {
		int ignored = sim_output_close(s); /* error path: the run already failed */
		(void)ignored;
	}
	policy_state_free(s->pst);
	free(s->vms);
	free(s->vms_cold);
	free(s->snap_vms);
	free(s->plan_vms);
	free(s->applied);
	free(s->actions);
	free(s);
}

void sim_snapshot_vm(struct sim *s, size_t i, uint64_t now)
{
	const struct sim_vm *vm = &s->vms[i];
	struct vm_snapshot *v = &s->snap_vms[i];
	v->running = vm->running;
	v->mctl = vm->running && vm->booted && vm->balloon;
	v->balloon_actual_bytes = (uint64_t)(vm->running ? vm->actual : vm->memsz);
	if (v->mctl && vm->stats_valid) {
		struct sim_guest_stats gs;
		sim_vm_stats(s, i, &gs);
		v->stats_age_ms = now - vm->stats_at_ms + s->cfg.collect_delay_ms;
		v->guest_total_bytes = gs.total;
		v->guest_available_bytes = gs.avail;
		v->guest_free_bytes = gs.free;
		v->guest_caches_bytes = gs.caches;
		v->guest_swap_in_bytes = gs.swin;
		v->guest_swap_out_bytes = gs.swout;
		v->guest_major_faults = gs.majflt;
		v->guest_oom_kills = gs.ooms;
	} else {
		v->stats_age_ms = MODEL_AGE_NEVER;
		v->guest_total_bytes = v->guest_available_bytes = v->guest_free_bytes = 0;
		v->guest_caches_bytes = 0;
	}
	v->consumed_bytes = vm->running ? (uint64_t)vm->consumed : 0;
	v->ovhd_bytes = vm->running ? (uint64_t)vm->ovhd : 0;
	v->swapped_bytes = (uint64_t)vm->host_swapped;
	v->shared_bytes = (uint64_t)vm->shared;
	v->host_swap_ok = s->cfg.host_swap;
	v->no_deflate_on_oom = !vm->deflate_on_oom;
}

/* What blimpd's gather and execute do around policy_actions, on the model: what is
 * in force (the VM's target and limit; the cgroup's usage is CONSUMED + OVHD, the
 * policy's stand-in when unknown; no rescues: the model's cgroups never stall), the
 * actions, then the new targets and limits in force for the next step. */
static void sim_act(struct sim *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct sim_vm *vm = &s->vms[i];
		struct policy_applied *ap = &s->applied[i];
		ap->balloon_bytes = (uint64_t)vm->target;
		ap->cgroup_off = !vm->running;
		ap->cgroup_limit_bytes = vm->cgroup_limit > 0 ? (uint64_t)vm->cgroup_limit
							      : UINT64_MAX;
	}
	size_t n_acts = 0;
	policy_actions(&s->snap, &s->plan, s->applied, s->actions, &n_acts);
	for (size_t k = 0; k < n_acts; k++) {
		const struct policy_action *a = &s->actions[k];
		struct policy_applied *ap = &s->applied[a->vm];
		if (a->kind == POLICY_ACTION_BALLOON)
			ap->balloon_bytes = a->bytes;
		else
			ap->cgroup_limit_bytes = a->bytes ? a->bytes : UINT64_MAX;
	}
}

static int sim_balance(struct sim *s, char *err, size_t errlen)
{
	s->snap.taken_ms = s->now_ms;
	sim_host_snapshot(s, &s->snap.host);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = policy_run(&s->ps, s->pst, &s->snap, s->now_ms, &s->plan);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s->res.policy_ns +=
	    (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
	if (r) {
		snprintf(err, errlen, "policy_run at t=%llu ms: %s", (unsigned long long)s->now_ms,
			 strerror(-r));
		return r;
	}
	s->have_plan = true;
	sim_act(s);
	if (s->cfg.check) {
		char cerr[200];
		if (sim_check_plan(&s->ps, &s->snap, &s->plan, cerr, sizeof(cerr))) {
			s->res.check_failures++;
			snprintf(err, errlen, "check at t=%llu ms: %s",
				 (unsigned long long)s->now_ms, cerr);
			return -EPROTO;
		}
	}
	/* The VMs take their targets and limits in the next step's loop. */
	const struct host_plan *hp = &s->plan.host;
	s->ksm_scan_bytes_per_s =
	    hp->ksm_run && hp->ksm_sleep_ms
		? (double)hp->ksm_pages_to_scan * MODEL_PAGE_SIZE * 1000.0 / hp->ksm_sleep_ms
		: 0;
	struct sim_result *res = &s->res;
	res->balance_runs++;
	if (hp->working_set_shortfall_bytes) {
		res->ws_shortfall_ms += s->cfg.balance_ms;
		if (hp->working_set_shortfall_bytes > res->ws_shortfall_peak_bytes)
			res->ws_shortfall_peak_bytes = hp->working_set_shortfall_bytes;
	}
	if ((unsigned)hp->state < HOST_STATE__COUNT)
		res->state_ms[hp->state] += s->cfg.balance_ms;
	double oc = s->sum_memsz_running * MODEL_PERMYRIAD / (double)s->cfg.host_mem_bytes;
	if (oc > res->overcommit_peak_permyriad)
		res->overcommit_peak_permyriad = (uint32_t)oc;
	s->overcommit_sum_permyriad += oc;
	s->saved_sum += s->sum_memsz_running - s->sum_consumed;
	s->ksm_saved_sum += s->sum_shared;
	s->samples++;
	if (s->out_vms && s->now_ms % s->cfg.sample_ms == 0)
		sim_output_rows(s);
	return 0;
}

/* One step of every VM, in one pass: the plan made at now_ms, the VM model, the host
 * totals and the SLO accounting, the snapshot entry on a balance tick; then the host's
 * own reclaim (internal.h: what the pass leaves open). */
static void sim_step(struct sim *s, uint64_t t_next, double dt_s, double dt_eff, bool apply)
{
	const uint64_t bal = s->cfg.balance_ms;
	uint64_t snap_ms = t_next % bal == 0 ? t_next : UINT64_MAX;
	sim_host_begin(s);
	double used = 0, consumed = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct sim_vm *vm = &s->vms[i];
		if (apply && vm->running) { /* the actions of the plan made at now_ms */
			const struct policy_applied *ap = &s->applied[i];
			vm->target = (double)ap->balloon_bytes;
			vm->cgroup_limit = ap->cgroup_limit_bytes == UINT64_MAX
					       ? 0
					       : (double)ap->cgroup_limit_bytes;
		}
		sim_vm_step(s, i, t_next, dt_s, dt_eff);
		if (vm->running) {
			consumed += vm->consumed;
			used += vm->consumed + vm->ovhd;
			sim_host_vm(s, i);
		}
		if (snap_ms != UINT64_MAX)
			sim_snapshot_vm(s, i, snap_ms);
	}
	sim_host_end(s, used, consumed, snap_ms);
}

int sim_advance(struct sim *s, uint64_t until_ms, char *err, size_t errlen)
{
	const uint64_t step = s->cfg.step_ms, bal = s->cfg.balance_ms;
	const double dt_s = (double)step / 1000.0;
	while (s->now_ms + step <= until_ms) {
		uint64_t t_next = s->now_ms + step;
		double dt_eff = s->now_ms % bal == 0 && s->have_plan
				    ? (double)(step - s->cfg.collect_delay_ms) / 1000.0
				    : dt_s;
		bool apply = s->have_plan && s->now_ms % bal == 0;
		sim_step(s, t_next, dt_s, dt_eff, apply);
		if (s->overflow)
			s->res.host_overflow_ms += step;
		if (s->over_budget)
			s->res.host_over_budget_ms += step;
		if (s->sum_host_swapped > (double)s->res.host_swapped_peak_bytes)
			s->res.host_swapped_peak_bytes = (uint64_t)s->sum_host_swapped;
		s->now_ms = t_next;
		s->res.duration_ms = t_next;
		if (t_next % bal == 0) {
			int r = sim_balance(s, err, errlen);
			if (r)
				return r;
		}
	}
	return 0;
}

uint64_t sim_now_ms(const struct sim *s)
{
	return s->now_ms;
}

const struct snapshot *sim_last_snapshot(const struct sim *s)
{
	return &s->snap;
}

const struct plan *sim_last_plan(const struct sim *s)
{
	return s->have_plan ? &s->plan : NULL;
}

const struct policy_applied *sim_last_applied(const struct sim *s)
{
	return s->have_plan ? s->applied : NULL;
}

const struct policy_settings *sim_policy_settings(const struct sim *s)
{
	return &s->ps;
}

void sim_result_get(const struct sim *s, struct sim_result *r)
{
	*r = s->res;
	r->vm_run_ms = r->vm_violation_ms = r->guest_ooms = r->vms_violating = 0;
	r->vm_loss_ms = 0;
	for (size_t i = 0; i < s->n; i++) {
		uint64_t run_ms, viol_ms;
		double loss_ms;
		sim_vm_totals(s, i, &run_ms, &viol_ms, &loss_ms);
		r->vm_run_ms += run_ms;
		r->vm_violation_ms += viol_ms;
		r->vm_loss_ms += loss_ms;
		r->guest_ooms += s->vms[i].oom_kills;
		r->vms_violating += viol_ms > 0;
	}
	if (s->samples) {
		r->overcommit_mean_permyriad =
		    (uint32_t)(s->overcommit_sum_permyriad / (double)s->samples);
		r->saved_mean_bytes = (uint64_t)(s->saved_sum / (double)s->samples);
		r->ksm_saved_mean_bytes = (uint64_t)(s->ksm_saved_sum / (double)s->samples);
	}
}

int sim_run(const struct sim_config *c, const struct sim_fleet *f, struct sim_result *r, char *err,
	    size_t errlen)
{
	struct sim *s = NULL;
	int e = sim_new(c, f, &s, err, errlen);
	if (e)
		return e;
	e = sim_advance(s, c->duration_ms, err, errlen);
	sim_result_get(s, r);
	int ce = sim_output_close(s);
	if (!e && ce) {
		snprintf(err, errlen, "writing timelines: %s", strerror(-ce));
		e = ce;
	}
	sim_free(s);
	return e;
}
