/*
 * Demand the host can see: which guests are growing, and how far behind the guest's
 * last report may be.
 *
 * DESIGN: the guest's own figures (in-use, faults) come once per stats period. blimp's
 * own VMs report every second, but an operator's domain reports every 5 or 10 s (or,
 * until blimpd sets a period, not at all), and a workload touches a hundred MiB or
 * more per second: a floor from a 5 s old in-use is hundreds of MiB behind, and a
 * shrink decided on it inflates the balloon into the very guest whose use is climbing.
 * Without deflate-on-OOM nothing gives those pages back before the OOM killer runs
 * (a stock-XML Debian guest lost its workload so in 3 of 5 runs). The host sees every
 * period what the guest touches: CONSUMED (resident guest RAM) rises only when the
 * guest touches memory the host did not back yet. So, for every VM:
 *   - rising: the guest's in-use grew (estimate.c's growth; not in the first
 *     POLICY_RISING_REPORT_LAG_MS after a shrink, when the balloon's move reads as
 *     growth) or it showed distress; or
 *     CONSUMED grew by at least POLICY_RISING_* per second since the last run while the
 *     guest's report is POLICY_RISING_REPORT_LAG_MS old or more (a newer report without
 *     in-use growth says the rise was page cache, and ends it); or the plan raised its
 *     target (policy.c). Each counts for POLICY_RISING_HOLD_MS after. A rising VM is
 *     never shrunk, in any state (reclaim.c): in low the probe reclaims from the others
 *     first.
 *   - bounded floor: a fresh floor (in-use + margin) is raised by what CONSUMED grew
 *     since the guest's current report was first seen; the guest cannot be using less
 *     than it used then plus what it has touched since.
 *   - answered: a shrink waits until the guest has reported after the last one (its
 *     in-use and faults under the smaller balloon): one shrink per report, so a 5 s
 *     period gets a step per 5 s, not five steps on one old figure. libvirt gives the
 *     report's time to the second, so "after" is to within a second.
 * Pure: no I/O, no clock; now_ms from the caller.
 */
#include "policy/internal.h"

void policy_demand_update(struct policy_vm_state *vs, const struct vm_snapshot *v, uint64_t now_ms,
			  struct policy_vm_work *w)
{
	uint64_t c = v->running ? v->consumed_bytes : 0;
	bool lagging = !w->fresh || v->stats_age_ms >= POLICY_RISING_REPORT_LAG_MS;
	uint64_t proj = 0; /* CONSUMED's rise projected POLICY_GROWTH_LOOKAHEAD_MS ahead */
	if (v->running && vs->demand_ms && now_ms > vs->demand_ms &&
	    c > vs->demand_consumed_bytes && lagging) {
		uint64_t dt = now_ms - vs->demand_ms;
		uint64_t per_s = policy_max_u64(
		    policy_permyriad_of(w->memsz_bytes, POLICY_RISING_PERMYRIAD_PER_S),
		    POLICY_RISING_MIN_BYTES_PER_S);
		unsigned __int128 grew = c - vs->demand_consumed_bytes;
		if (grew * 1000 >= (unsigned __int128)per_s * dt) {
			unsigned __int128 ahead = grew * POLICY_GROWTH_LOOKAHEAD_MS / dt;
			proj = ahead > w->memsz_bytes ? w->memsz_bytes : (uint64_t)ahead;
			vs->host_rising_until_ms = policy_add_sat(now_ms, POLICY_RISING_HOLD_MS);
		}
	}
	vs->demand_consumed_bytes = c;
	vs->demand_ms = now_ms ? now_ms : 1;
	/* the first reports after an inflate read the balloon's move as in-use growth
	 * (t_sched_shares: 56 and 82 MiB one second after each shrink, never after) */
	bool settling = vs->last_shrink_ms &&
			now_ms < policy_add_sat(vs->last_shrink_ms, POLICY_RISING_REPORT_LAG_MS);
	if ((w->growth_bytes > 0 && !settling) || w->distress)
		vs->rising_until_ms = policy_add_sat(now_ms, POLICY_RISING_HOLD_MS);
	else if (w->new_sample && !lagging)
		vs->host_rising_until_ms = 0; /* the guest reported since: it was cache */
	w->rising =
	    v->running && (now_ms < vs->rising_until_ms || now_ms < vs->host_rising_until_ms ||
			   now_ms < vs->raised_until_ms || now_ms < vs->grant_until_ms);

	if (w->new_sample || w->is_new)
		vs->sample_consumed_bytes = c;
	w->answered = false;
	w->ahead_bytes = 0;
	if (!w->fresh) {
		if (w->rising)
			w->ahead_bytes = policy_min_u64(policy_add_sat(c, proj), w->memsz_bytes);
		return;
	}
	uint64_t at_ms = policy_sub_floor(now_ms, v->stats_age_ms);
	w->answered = vs->last_shrink_ms == 0 || at_ms > vs->last_shrink_ms;
	uint64_t since = policy_sub_floor(c, vs->sample_consumed_bytes);
	if (since)
		w->floor_bytes =
		    policy_min_u64(policy_add_sat(w->floor_bytes, since), w->memsz_bytes);
	w->ahead_bytes = policy_min_u64(
	    policy_add_sat(w->floor_bytes, policy_max_u64(w->growth_bytes, proj)), w->memsz_bytes);
}
