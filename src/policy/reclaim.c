/*
 * blimp's per-VM targets: entitlement, guest safety, slow probe, fast back-off.
 *
 * DESIGN: desired = max(entitlement, guest floor) clamped to [lo, hi] (reservation and
 * MCTLMAX below, limit/MEMSZ above). From the previous target:
 *   - stale or missing guest stats: keep it (stale data never shrinks a VM);
 *   - distress (major faults, swap-in, OOM kills) while ballooned: grow at once by
 *     POLICY_BACKOFF_STEP_PERMYRIAD of MEMSZ (at least to the floor) and hold off
 *     shrinking for backoff_hold_ms (Senpai's fast back-off);
 *   - desired above it: grow at once, in every state;
 *   - desired below it: nothing in high/clear (no reclaim needed there); in soft and
 *     worse shrink by at most probe_step_permyriad of MEMSZ per balance period, scaled
 *     by the time since this VM's last plan (so calling twice per period does not
 *     double the step), never while a back-off hold lasts. The step grows with the
 *     host's need: x1 in soft, x4 in hard, x16 in low. The guest floor (in-use +
 *     margin) already bounds how far it can go; the slow probe only hedges the in-use
 *     estimate, and in hard/low the alternative to ballooning is host swapping,
 *     which costs the guest far more than a quick inflate down to its floor.
 *     Never while the VM's demand is rising, and at most once per guest report
 *     (demand.c).
 * reason is the rule that bound the result.
 */
#include "policy/internal.h"

/* Fast back-off: raise the target by 10% of MEMSZ at once (Senpai grows by up to
 * 100% at once on pressure; 10% of MEMSZ is ten probe steps). */
#define POLICY_BACKOFF_STEP_PERMYRIAD 1000U

static enum plan_reason reclaim_desired(const struct vm_plan *p, const struct policy_vm_work *w,
					uint64_t *out)
{
	uint64_t d = p->entitlement_bytes;
	enum plan_reason why = PLAN_REASON_ENTITLEMENT;
	if (w->floor_bytes && w->floor_bytes >= d) {
		d = w->floor_bytes;
		why = PLAN_REASON_GUEST_FLOOR;
	}
	if (d <= w->lo_bytes && w->lo_bytes) {
		d = w->lo_bytes;
		why = w->reserve_bytes >= w->lo_bytes ? PLAN_REASON_RESERVATION
						      : PLAN_REASON_MAXMEMCTL;
	}
	if (d >= w->hi_bytes) {
		d = w->hi_bytes;
		if (w->hi_bytes >= w->memsz_bytes)
			why = PLAN_REASON_NONE;
		else if (w->limit_bytes >= w->hi_bytes)
			why = PLAN_REASON_LIMIT;
		else
			why = PLAN_REASON_MAXMEMCTL;
	}
	*out = d;
	return why;
}

uint64_t policy_reclaim_desired(const struct vm_plan *p, const struct policy_vm_work *w)
{
	uint64_t d;
	reclaim_desired(p, w, &d);
	return d;
}

uint32_t policy_probe_multiplier(const struct policy_settings *s, enum host_state hs)
{
	if (!s->probe_scale_by_state || hs <= HOST_STATE_SOFT)
		return 1;
	return hs == HOST_STATE_HARD ? 4 : 16;
}

uint64_t policy_probe_step(const struct policy_settings *s, const struct policy_vm_state *vs,
			   const struct policy_vm_work *w, uint64_t now_ms, enum host_state hs)
{
	uint64_t dt = s->balance_period_ms;
	if (!w->is_new)
		dt = now_ms > vs->last_run_ms ? policy_min_u64(now_ms - vs->last_run_ms, dt) : 0;
	uint64_t per_period = policy_permyriad_of(w->memsz_bytes, s->probe_step_permyriad);
	per_period *= policy_probe_multiplier(s, hs);
	uint64_t p;
	if (!__builtin_mul_overflow(per_period, dt, &p))
		return p / s->balance_period_ms;
	return (uint64_t)((unsigned __int128)per_period * dt / s->balance_period_ms);
}

/* The kept target was clamped by a changed setting: say which. */
static enum plan_reason reclaim_kept_reason(const struct policy_vm_work *w, uint64_t raw)
{
	uint64_t t = policy_clamp_target(w, raw);
	if (t > raw)
		return w->reserve_bytes >= w->lo_bytes ? PLAN_REASON_RESERVATION
						       : PLAN_REASON_MAXMEMCTL;
	if (t < raw)
		return PLAN_REASON_LIMIT;
	return PLAN_REASON_STALE;
}

void policy_reclaim_vm(const struct policy_settings *s, const struct vm_snapshot *v,
		       const struct policy_vm_work *w, struct policy_vm_state *vs, uint64_t now_ms,
		       enum host_state hs, struct vm_plan *p)
{
	uint64_t prev = w->prev_target_bytes;

	if (!v->running) {
		p->target_bytes = prev;
		p->reason = PLAN_REASON_NONE;
		return;
	}
	if (!w->fresh) {
		p->target_bytes = prev;
		p->reason = reclaim_kept_reason(w, vs->target_bytes);
		return;
	}
	uint64_t desired;
	enum plan_reason why = reclaim_desired(p, w, &desired);
	uint64_t actual = policy_min_u64(v->balloon_actual_bytes, w->memsz_bytes);
	bool ballooned = prev < w->hi_bytes || (actual && actual < w->hi_bytes);

	if (w->distress && ballooned) {
		uint64_t base = policy_max_u64(prev, actual);
		uint64_t t = policy_add_sat(
		    base, policy_permyriad_of(w->memsz_bytes, POLICY_BACKOFF_STEP_PERMYRIAD));
		t = policy_max_u64(t, policy_max_u64(w->floor_bytes, desired));
		p->target_bytes = policy_clamp_target(w, t);
		p->reason = PLAN_REASON_BACKOFF;
		vs->backoff_until_ms = policy_add_sat(now_ms, s->backoff_hold_ms);
	} else if (desired >= prev) {
		p->target_bytes = desired;
		p->reason = why;
	} else if (hs <= HOST_STATE_CLEAR) {
		p->target_bytes = prev;
		p->reason = PLAN_REASON_NONE;
	} else if (now_ms < vs->backoff_until_ms) {
		p->target_bytes = prev;
		p->reason = PLAN_REASON_BACKOFF;
	} else if (w->rising) {
		p->target_bytes = prev; /* demand.c: never shrink a VM whose use climbs */
		p->reason = PLAN_REASON_GROWING;
	} else if (!w->answered) {
		p->target_bytes = prev; /* demand.c: one shrink per guest report */
		p->reason = PLAN_REASON_PROBE;
	} else {
		uint64_t step = policy_probe_step(s, vs, w, now_ms, hs);
		if (prev - desired > step) {
			p->target_bytes = prev - step;
			p->reason = PLAN_REASON_PROBE;
		} else {
			p->target_bytes = desired;
			p->reason = why;
		}
	}
}
