/*
 * libFuzzer target: policy_run over several ticks with state carried, on snapshots
 * decoded from the input (hostile guest and host figures: every field arbitrary).
 *
 * Input: settings (kind, budget, idle tax, margins, periods, host swap), then up to
 * FZ_VMS VMs (MEMSZ and per-VM settings fixed for the run), then ticks: which VMs are
 * in the snapshot, the time step, and every collected field of every VM. Values are
 * decoded with a mode byte (0, near 2^64, a fraction of MEMSZ, raw, ...) so that the
 * interesting corners are a byte flip away. A second state fed the same snapshots
 * checks determinism.
 *
 * Invariants (trap on violation), as docs/policy.md states them:
 *  - policy_run returns 0 for valid settings; plan.n_vms = snapshot n_vms;
 *  - target <= MEMSZ, MCTLTGT = MEMSZ - target <= MCTLMAX, target in [lo, hi] where
 *    lo = max(min(reservation, limit), MEMSZ - MCTLMAX), hi = max(limit, MEMSZ -
 *    MCTLMAX), so target <= limit whenever the balloon can reach it, and target >=
 *    reservation whenever reservation <= limit <= MEMSZ;
 *  - ACTV <= MEMSZ, reason and host state in range, KSM off when not asked for;
 *    ksmtuned's pages within 64..1250; the working-set shortfall within the working set;
 *  - host swap (SWTGT, cgroup limit) only for running VMs the host may swap, under
 *    the blimp kind with host_swap on;
 *  - a running VM's entitlement in [min(lo, limit), limit], and the entitlements plus
 *    OVHD plus minFree fit the budget whenever the minimums do;
 *  - blimp: stale stats never shrink a target; a shrink is at most one probe step;
 *  - the same inputs give the same plan.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_VMS 8
#define FZ_TICKS 12

struct fz_in {
	const uint8_t *p;
	size_t n;
};

static uint8_t fz_u8(struct fz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t fz_raw(struct fz_in *in, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v = v << 8 | fz_u8(in);
	return v;
}

/* A byte-size figure for a VM of MEMSZ m. */
static uint64_t fz_bytes(struct fz_in *in, uint64_t m)
{
	uint8_t mode = fz_u8(in);
	switch (mode % 8) {
	case 0:
		return 0;
	case 1:
		return UINT64_MAX - fz_u8(in);
	case 2:
		return m + fz_u8(in);
	case 3:
		return fz_raw(in, 8);
	case 4:
		return fz_raw(in, 2) * MODEL_MIB;
	default: /* a fraction of MEMSZ, the common case */
		return (uint64_t)((unsigned __int128)m * fz_u8(in) / 255);
	}
}

static uint64_t fz_age(struct fz_in *in, uint64_t stale_ms)
{
	uint8_t mode = fz_u8(in);
	switch (mode % 6) {
	case 0:
		return MODEL_AGE_NEVER;
	case 1:
		return stale_ms + fz_raw(in, 2);
	case 2:
		return fz_raw(in, 8);
	default:
		return fz_raw(in, 2) % 2000;
	}
}

struct fz_run {
	struct policy_settings s;
	struct policy_state *st, *twin;
	size_t n_all;
	struct vm_snapshot all[FZ_VMS]; /* every VM's fixed part and last figures */
	struct vm_snapshot vms[FZ_VMS]; /* this tick's snapshot */
	size_t idx[FZ_VMS];		/* snapshot slot -> VM */
	struct vm_plan plans[FZ_VMS], twin_plans[FZ_VMS];
	uint64_t prev_target[FZ_VMS];
	bool have_prev[FZ_VMS];
	uint64_t now_ms;
};

static void fz_settings(struct fz_in *in, struct fz_run *r)
{
	struct policy_settings *s = &r->s;
	policy_settings_default(s);
	uint8_t b = fz_u8(in);
	s->kind = (enum policy_kind)(b % POLICY__COUNT);
	s->host_swap = b & 0x80;
	s->idle_tax_permyriad = (uint32_t)(fz_raw(in, 2) % 9901);
	/* the baselines' own settings, from bits the kind leaves free (the input's layout
	 * stays as it was) */
	s->ksm_policy = b & 0x40 ? POLICY_KSM_KSMTUNED : POLICY_KSM_BLIMP;
	s->proxmox_target_percent = b & 0x20 ? s->idle_tax_permyriad % 101 : 80;
	s->level_headroom = b & 0x10;
	b = fz_u8(in);
	if (b & 1)
		s->stale_after_ms = 1 + fz_raw(in, 3) % 86400000;
	if (b & 2)
		s->guest_margin_bytes = fz_raw(in, 2) * MODEL_MIB;
	if (b & 4)
		s->guest_margin_permyriad = (uint32_t)(fz_raw(in, 2) % 5001);
	if (b & 8)
		s->probe_step_permyriad = (uint32_t)(1 + fz_raw(in, 2) % 5000);
	if (b & 16)
		s->backoff_hold_ms = (uint32_t)(fz_raw(in, 3) % 3600001);
	if (b & 32) {
		s->fast_alpha_permyriad = (uint32_t)(1 + fz_raw(in, 2) % 10000);
		s->slow_alpha_permyriad =
		    (uint32_t)(1 + fz_raw(in, 2) % s->fast_alpha_permyriad);
	}
	if (b & 64)
		s->balance_period_ms = (uint32_t)(10 + fz_raw(in, 3) % 3599991);
}

static void fz_fleet(struct fz_in *in, struct fz_run *r)
{
	r->n_all = fz_u8(in) % (FZ_VMS + 1);
	unsigned __int128 sum = 0;
	for (size_t i = 0; i < r->n_all; i++) {
		struct vm_snapshot *v = &r->all[i];
		memset(v, 0, sizeof(*v));
		snprintf(v->name, sizeof(v->name), "vm%zu", i);
		uint8_t u = fz_u8(in);
		/* duplicate uuids now and then (docs: first come, first matched) */
		snprintf(v->uuid, sizeof(v->uuid), "00000000-0000-0000-0000-%012u",
			 u < 16 ? u % FZ_VMS : (unsigned)i);
		uint8_t mode = fz_u8(in);
		uint64_t m = mode % 4 == 0 ? fz_raw(in, 8)
			     : mode % 4 == 1 ? fz_raw(in, 1) * MODEL_PAGE_SIZE
					      : (fz_raw(in, 2) + 1) * MODEL_MIB;
		v->memsz_bytes = m;
		uint8_t which = fz_u8(in);
		if (which & 1)
			v->settings.shares = fz_u8(in) & 1 ? fz_raw(in, 8) : fz_raw(in, 3);
		if (which & 2)
			v->settings.reservation_bytes = fz_bytes(in, m);
		if (which & 4)
			v->settings.limit_bytes = fz_bytes(in, m);
		if (which & 8)
			v->settings.maxmemctl_bytes = fz_bytes(in, m);
		/* fixed per VM like its settings: it is read from the domain's XML */
		v->no_deflate_on_oom = which & 16;
		v->balloon_actual_bytes = m;
		v->running = true;
		sum += m;
	}
	uint8_t mode = fz_u8(in);
	uint64_t sum64 = sum > UINT64_MAX ? UINT64_MAX : (uint64_t)sum;
	r->s.budget_bytes = mode % 4 == 0 ? fz_raw(in, 8)
			    : mode % 4 == 1 ? (fz_raw(in, 2) + 1) * MODEL_MIB
					     : (uint64_t)((unsigned __int128)sum64 * fz_u8(in) / 128);
	if (r->s.budget_bytes == 0)
		r->s.budget_bytes = 1;
}

/* This tick's collected figures for VM v (fixed fields kept). */
static void fz_collect(struct fz_in *in, const struct fz_run *r, struct vm_snapshot *v,
		       const struct vm_plan *last)
{
	uint64_t m = v->memsz_bytes;
	uint8_t b = fz_u8(in);
	v->running = (b & 7) != 0;
	v->mctl = (b & 8) == 0;
	v->host_swap_ok = b & 16;
	v->damon_valid = b & 32;
	/* a guest that follows its balloon most of the time */
	v->balloon_actual_bytes = b & 64 && last ? last->target_bytes : fz_bytes(in, m);
	v->stats_age_ms = fz_age(in, r->s.stale_after_ms);
	v->guest_total_bytes = b & 128 ? m : fz_bytes(in, m);
	v->guest_available_bytes = fz_bytes(in, m);
	v->guest_free_bytes = fz_bytes(in, m);
	v->guest_caches_bytes = fz_bytes(in, m);
	uint8_t c = fz_u8(in);
	/* cumulative counters: mostly growing, sometimes reset or wild */
	if (c & 1)
		v->guest_swap_in_bytes = c & 2 ? 0 : v->guest_swap_in_bytes + fz_bytes(in, m);
	if (c & 4)
		v->guest_swap_out_bytes = c & 8 ? 0 : v->guest_swap_out_bytes + fz_bytes(in, m);
	if (c & 16)
		v->guest_major_faults = c & 32 ? fz_raw(in, 8) : v->guest_major_faults + fz_u8(in);
	if (c & 64)
		v->guest_minor_faults = fz_raw(in, 8);
	if (c & 128)
		v->guest_oom_kills += fz_u8(in) & 1;
	v->consumed_bytes = fz_bytes(in, m);
	v->ovhd_bytes = fz_bytes(in, m / 8);
	v->swapped_bytes = fz_bytes(in, m);
	v->shared_bytes = fz_bytes(in, m);
	v->zero_bytes = fz_bytes(in, m);
	v->zipped_bytes = fz_bytes(in, m);
	v->damon_active_bytes = fz_bytes(in, m);
}

static void fz_host(struct fz_in *in, struct host_snapshot *h, uint64_t budget)
{
	h->mem_total_bytes = fz_bytes(in, budget);
	h->mem_available_bytes = fz_bytes(in, budget);
	h->swap_total_bytes = fz_bytes(in, budget);
	h->swap_free_bytes = fz_bytes(in, budget);
	h->psi_some_avg10_permyriad = (uint32_t)fz_raw(in, 2);
	h->psi_full_avg10_permyriad = (uint32_t)fz_raw(in, 2);
	uint8_t b = fz_u8(in);
	h->ksm_present = b & 1;
	h->zswap_enabled = b & 2;
	h->ksm_pages_sharing = fz_raw(in, b & 4 ? 8 : 2);
	h->ksm_pages_shared = fz_raw(in, b & 8 ? 8 : 2);
}

static bool fz_fresh(const struct policy_settings *s, const struct vm_snapshot *v)
{
	return v->running && v->mctl && v->stats_age_ms != MODEL_AGE_NEVER &&
	       v->stats_age_ms <= s->stale_after_ms && v->guest_total_bytes > 0;
}

#define FZ_CHECK(cond)                                                                             \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "policy invariant broken: %s (line %d)\n", #cond,          \
				__LINE__);                                                         \
			__builtin_trap();                                                          \
		}                                                                                  \
	} while (0)

static void fz_check(const struct fz_run *r, const struct snapshot *snap,
		     const struct plan *p, uint64_t dt_ms)
{
	const struct policy_settings *s = &r->s;
	FZ_CHECK(p->n_vms == snap->n_vms);
	FZ_CHECK((unsigned)p->host.state < HOST_STATE__COUNT);
	FZ_CHECK(p->host.budget_bytes == s->budget_bytes);
	FZ_CHECK(p->host.free_bytes <= s->budget_bytes);
	if (p->host.ksm_run)
		FZ_CHECK(p->host.ksm_pages_to_scan > 0);
	if (p->host.ksm_run && s->ksm_policy == POLICY_KSM_KSMTUNED)
		FZ_CHECK(p->host.ksm_pages_to_scan >= 64 && p->host.ksm_pages_to_scan <= 1250 &&
			 p->host.ksm_sleep_ms >= 10);
	FZ_CHECK(p->host.working_set_shortfall_bytes <= p->host.working_set_bytes);
	unsigned __int128 sum_e = 0, sum_min = 0, ovhd = 0;
	for (size_t k = 0; k < snap->n_vms; k++) {
		const struct vm_snapshot *v = &snap->vms[k];
		const struct vm_plan *vp = &p->vms[k];
		size_t i = r->idx[k];
		uint64_t m = v->memsz_bytes;
		uint64_t limit = model_vm_limit(&v->settings, m);
		uint64_t reserve = v->settings.reservation_bytes < limit
				       ? v->settings.reservation_bytes
				       : limit;
		uint64_t maxmemctl = policy_vm_maxmemctl(s, v);
		uint64_t lo = reserve > m - maxmemctl ? reserve : m - maxmemctl;
		uint64_t hi = limit > m - maxmemctl ? limit : m - maxmemctl;
		FZ_CHECK(vp->target_bytes <= m);
		FZ_CHECK(vp->mctltgt_bytes == m - vp->target_bytes);
		FZ_CHECK(vp->mctltgt_bytes <= maxmemctl);
		FZ_CHECK(vp->target_bytes >= lo && vp->target_bytes <= hi);
		if (v->settings.reservation_bytes <= limit)
			FZ_CHECK(vp->target_bytes >= v->settings.reservation_bytes);
		if (limit >= m - maxmemctl)
			FZ_CHECK(vp->target_bytes <= limit);
		FZ_CHECK(vp->actv_bytes <= m);
		FZ_CHECK((unsigned)vp->reason < PLAN_REASON__COUNT);
		if (vp->cgroup_limit_bytes || vp->swtgt_bytes)
			FZ_CHECK(s->kind == POLICY_BLIMP && s->host_swap && v->host_swap_ok &&
				 v->running);
		if (!v->running)
			continue;
		uint64_t emin = lo < limit ? lo : limit;
		FZ_CHECK(vp->entitlement_bytes >= emin && vp->entitlement_bytes <= limit);
		sum_e += vp->entitlement_bytes;
		sum_min += emin;
		ovhd += v->ovhd_bytes;
		if (s->kind != POLICY_BLIMP || !r->have_prev[i])
			continue;
		/* stale never shrinks; it may be granted memory when the host sees it rising */
		if (!fz_fresh(s, v))
			FZ_CHECK(vp->target_bytes >= r->prev_target[i]);
		if (vp->target_bytes < r->prev_target[i]) {
			uint64_t step = (m / 10000 * s->probe_step_permyriad +
					 m % 10000 * s->probe_step_permyriad / 10000) *
					policy_probe_multiplier(s, p->host.state);
			uint64_t d = dt_ms < s->balance_period_ms ? dt_ms : s->balance_period_ms;
			FZ_CHECK(r->prev_target[i] - vp->target_bytes <=
				 (unsigned __int128)step * d / s->balance_period_ms + 1);
		}
	}
	uint64_t minfree = policy_minfree_bytes(s->budget_bytes);
	if (sum_min + ovhd + minfree <= s->budget_bytes)
		FZ_CHECK(sum_e + ovhd + minfree <= s->budget_bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = {data, size};
	static struct fz_run r;
	memset(&r, 0, sizeof(r));
	fz_settings(&in, &r);
	fz_fleet(&in, &r);
	if (policy_settings_validate(&r.s, NULL, 0) != 0)
		__builtin_trap(); /* the decoder only makes valid settings */
	r.st = policy_state_new();
	r.twin = policy_state_new();
	if (!r.st || !r.twin)
		abort();
	r.now_ms = fz_raw(&in, 4);
	const struct vm_plan *last[FZ_VMS] = {NULL};
	static struct vm_plan last_plan[FZ_VMS];
	int ticks = 1 + fz_u8(&in) % FZ_TICKS;
	for (int t = 0; t < ticks; t++) {
		struct snapshot snap = {0};
		uint8_t present = r.n_all ? fz_u8(&in) : 0;
		if (t == 0 || (present & 0x80) == 0)
			present = 0xff; /* usually everyone */
		uint8_t dtb = fz_u8(&in);
		uint64_t dt = dtb < 200 ? r.s.balance_period_ms
			      : dtb < 250 ? fz_raw(&in, 2)
					  : fz_raw(&in, 4);
		r.now_ms += dt;
		snap.taken_ms = r.now_ms;
		fz_host(&in, &snap.host, r.s.budget_bytes);
		bool in_snap[FZ_VMS] = {false};
		for (size_t i = 0; i < r.n_all; i++) {
			if (!(present & (1u << i)))
				continue;
			fz_collect(&in, &r, &r.all[i], last[i]);
			r.idx[snap.n_vms] = i;
			r.vms[snap.n_vms++] = r.all[i];
			in_snap[i] = true;
		}
		snap.vms = r.vms;
		struct plan plan = {.vms = r.plans};
		struct plan twin = {.vms = r.twin_plans};
		memset(r.plans, 0xa5, sizeof(r.plans));
		int rc = policy_run(&r.s, r.st, &snap, r.now_ms, &plan);
		if (rc == -ENOMEM)
			break;
		FZ_CHECK(rc == 0);
		FZ_CHECK(policy_run(&r.s, r.twin, &snap, r.now_ms, &twin) == 0);
		FZ_CHECK(memcmp(&plan.host, &twin.host, sizeof(plan.host)) == 0);
		FZ_CHECK(memcmp(r.plans, r.twin_plans, snap.n_vms * sizeof(r.plans[0])) == 0);
		fz_check(&r, &snap, &plan, dt);
		for (size_t k = 0; k < snap.n_vms; k++) {
			size_t i = r.idx[k];
			last_plan[i] = r.plans[k];
			last[i] = &last_plan[i];
		}
		/* prev is comparable only for a VM in both snapshots, running, with a uuid
		 * of its own (a duplicate may match another VM's state) */
		for (size_t i = 0; i < r.n_all; i++) {
			bool unique = true;
			for (size_t j = 0; j < r.n_all; j++)
				if (j != i && strcmp(r.all[i].uuid, r.all[j].uuid) == 0)
					unique = false;
			r.have_prev[i] = in_snap[i] && r.all[i].running && unique;
			if (in_snap[i])
				r.prev_target[i] = last_plan[i].target_bytes;
			else
				last[i] = NULL;
		}
	}
	policy_state_free(r.st);
	policy_state_free(r.twin);
	return 0;
}
