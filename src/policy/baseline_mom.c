/*
 * Baseline "mom": oVirt MOM's balloon rules as VDSM ships them
 * (vdsm static/etc/vdsm/mom.d/02-balloon.policy with static/etc/vdsm/mom.conf.in;
 * the same constants as MOM's doc/balloon.rules). docs/policy.md cites the lines.
 *
 * DESIGN: every 15 s (mom.conf.in: policy-engine-interval, host- and
 * guest-monitor-interval all 15) one sample is kept per entity, the last 10 of them
 * (sample-history-length 10; MOM Monitor.py drops the oldest row); StatAvg is their
 * mean over the rows that have the field (MOM Entity.py StatAvg). Then:
 *   host_free   = StatAvg(host mem_free) / total
 * Below the 20% pressure threshold every guest is shrunk, else every guest is grown:
 *   guest_free% = host_free - 5%        when host_free <= 5% (critical: force swap)
 *               = 20% * host_free / 20% otherwise (= host_free)
 *   used        = StatAvg(balloon_cur) - StatAvg(mem_unused)
 *   floor       = max(balloon_min, used + guest_free% * balloon_cur)
 *   shrink: size = max(balloon_cur * 95%, floor), applied if size <= balloon_cur
 *   grow (only if balloon_cur < balloon_max): size = min(max(cur * 105%, floor), max)
 *   either: applied only if |size - cur| > 0.25% of cur
 *   QoS: a guest below balloon_min is set to balloon_min.
 * balloon_cur without StatAvg is the current sample, as in the policy file. Only
 * guests with ballooning enabled are ballooned: a guest without a balloon driver
 * (no balloon_cur) or without fresh stats (no mem_unused) is left alone and adds no
 * row (02-balloon.policy:122, `valid guest.balloon_cur (guest.Stat "mem_unused")`).
 * VDSM's balloonEnabled (00-defines.policy, set per cluster by the engine) is taken
 * as on: it is the cluster option that lets MOM shrink at all.
 * Mapping: balloon_cur = balloon actual, mem_unused = guest MemFree, balloon_max =
 * limit (MEMSZ), balloon_min = reservation (oVirt's guaranteed memory); host mem_free
 * = budget - sum(CONSUMED + OVHD) and total (mem_available) = budget.
 */
#include "policy/internal.h"

#define MOM_PRESSURE_THRESHOLD_PM 2000 /* 0.20 */
#define MOM_PRESSURE_CRITICAL_PM 500   /* 0.05 */
#define MOM_MIN_GUEST_FREE_PM 2000     /* 0.20 */
#define MOM_MAX_BALLOON_CHANGE_PM 500  /* 0.05 */
#define MOM_MIN_BALLOON_CHANGE_PM 25   /* 0.0025 */

static int64_t mom_i64(uint64_t v)
{
	return v > (uint64_t)(INT64_MAX / 8) ? INT64_MAX / 8 : (int64_t)v;
}

static bool mom_change_big_enough(int64_t cur, int64_t size)
{
	int64_t d = size > cur ? size - cur : cur - size;
	return (__int128)d * MODEL_PERMYRIAD > (__int128)cur * MOM_MIN_BALLOON_CHANGE_PM;
}

void policy_baseline_mom(const struct policy_settings *s, struct policy_state *st,
			 const struct snapshot *snap, uint64_t now_ms, struct plan *plan)
{
	policy_baseline_keep(st, snap, plan);
	if (!policy_baseline_due(st, now_ms, POLICY_MOM_ROUND_MS))
		return;
	policy_mom_ring_push(&st->mom_host_free, plan->host.free_bytes);
	int64_t host_free_pm =
	    (int64_t)((unsigned __int128)policy_mom_ring_avg(&st->mom_host_free) * MODEL_PERMYRIAD /
		      s->budget_bytes);
	int64_t guest_free_pm =
	    host_free_pm <= MOM_PRESSURE_CRITICAL_PM
		? host_free_pm - 500
		: MOM_MIN_GUEST_FREE_PM * host_free_pm / MOM_PRESSURE_THRESHOLD_PM;
	bool shrink = host_free_pm < MOM_PRESSURE_THRESHOLD_PM;

	for (size_t i = 0; i < snap->n_vms; i++) {
		const struct vm_snapshot *v = &snap->vms[i];
		const struct policy_vm_work *w = &st->work[i];
		struct policy_vm_state *vs = &st->vms[w->state_idx];
		struct vm_plan *p = &plan->vms[i];
		if (!v->running || !v->mctl)
			continue;
		int64_t cur = mom_i64(policy_min_u64(v->balloon_actual_bytes, w->memsz_bytes));
		int64_t max = mom_i64(w->limit_bytes);
		int64_t min = mom_i64(w->reserve_bytes);
		if (cur == 0)
			continue;
		/* a row with balloon_cur but no mem_unused (stale): counted in one mean only */
		policy_mom_ring_push(&vs->mom_cur, (uint64_t)cur);
		if (!w->fresh)
			continue;
		policy_mom_ring_push(&vs->mom_unused,
				     policy_min_u64(v->guest_free_bytes, (uint64_t)cur));
		/* the mean of a difference is the difference of the means */
		int64_t used = mom_i64(policy_mom_ring_avg(&vs->mom_cur)) -
			       mom_i64(policy_mom_ring_avg(&vs->mom_unused));
		int64_t floor = used + (int64_t)((__int128)guest_free_pm * cur / MODEL_PERMYRIAD);
		if (floor < min)
			floor = min;
		int64_t size = -1;
		if (shrink) {
			int64_t sz = (int64_t)((__int128)cur *
					       (MODEL_PERMYRIAD - MOM_MAX_BALLOON_CHANGE_PM) /
					       MODEL_PERMYRIAD);
			if (sz < floor)
				sz = floor;
			if (sz <= cur && mom_change_big_enough(cur, sz))
				size = sz;
		} else if (cur < max) {
			int64_t sz = (int64_t)((__int128)cur *
					       (MODEL_PERMYRIAD + MOM_MAX_BALLOON_CHANGE_PM) /
					       MODEL_PERMYRIAD);
			if (sz < floor)
				sz = floor;
			if (sz > max)
				sz = max;
			if (mom_change_big_enough(cur, sz))
				size = sz;
		}
		if (cur < min) /* guaranteed-memory QoS rule */
			size = min;
		if (size >= 0) {
			p->target_bytes = (uint64_t)size;
			p->reason = PLAN_REASON_BASELINE;
		}
	}
}
