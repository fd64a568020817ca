/*
 * Grants: a guest short of memory gets the host's free memory at once.
 *
 * DESIGN: the reclaim rules grow a ballooned guest to its floor (in-use + margin) or,
 * on distress, by 10% of MEMSZ per period. A guest that starts a large working set
 * behind its balloon can only show in-use up to what it holds, so growth by the floor
 * alone is one margin per stats period (~50 MiB/s here: bench/policies measured 6-7 s
 * for a 300 MiB burst while 400 MiB sat free). ESX answers from free memory at once
 * (the balloon deflates in the high state). So after every VM's reclaim target:
 *   room = free - minFree - pending,
 * where free = budget - sum(CONSUMED + OVHD) and pending is the headroom of grants made
 * in the last POLICY_GRANT_PENDING_MS that the guests have not used yet (target -
 * CONSUMED): memory already promised is not promised twice while the guests fault it
 * in. A guest is short when its stats are fresh and either it shows distress or its
 * floor is above the target it had (it has used what it holds and wants more), and it
 * is ballooned (target below its ceiling); or, its report being stale, the host sees it
 * rising (demand.c) with CONSUMED at its target. The floor counts the guest's growth,
 * projected two seconds ahead (estimate.c): a working set starting behind the balloon
 * is granted memory as it climbs, before the guest drops its cache and swaps. The room
 * is split equally among the short guests (index order takes the rounding), each
 * capped at its ceiling. Keeping minFree means a grant never takes the host below the
 * clear state, so it cannot start host swapping; a grant the guest does not use is
 * taken back by the slow probe once the host needs it (soft state).
 */
#include "policy/internal.h"

static bool grant_short(const struct vm_snapshot *v, const struct policy_vm_work *w,
			const struct vm_plan *p)
{
	if (!v->running || !v->mctl || p->target_bytes >= w->hi_bytes)
		return false;
	uint64_t tol = policy_tol_bytes(w->memsz_bytes);
	bool ahead = w->ahead_bytes > policy_add_sat(w->prev_target_bytes, tol);
	if (!w->fresh) /* its report is old, but the host sees it touch all it holds */
		return w->rising &&
		       (ahead || policy_add_sat(v->consumed_bytes, tol) >= w->prev_target_bytes);
	return w->distress || ahead;
}

bool policy_grant_note(struct policy_state *st, size_t i, const struct vm_snapshot *v,
		       const struct policy_vm_work *w, const struct policy_vm_state *vs,
		       const struct vm_plan *p, uint64_t now_ms, uint64_t *pending)
{
	if (v->running && now_ms < vs->grant_until_ms)
		*pending =
		    policy_add_sat(*pending, policy_sub_floor(p->target_bytes, v->consumed_bytes));
	if (!grant_short(v, w, p))
		return false;
	st->short_idx[st->n_short++] = i;
	return true;
}

void policy_grant(struct policy_state *st, uint64_t now_ms, const struct host_plan *hp,
		  uint64_t pending, const struct snapshot *snap, struct vm_plan *plans)
{
	size_t n_short = st->n_short;
	uint64_t room =
	    policy_sub_floor(policy_sub_floor(hp->free_bytes, hp->minfree_bytes), pending);
	if (!n_short)
		return;
	uint64_t each = room / n_short, extra = room % n_short;
	for (size_t k = 0; k < n_short; k++) {
		size_t i = st->short_idx[k];
		const struct policy_vm_work *w = &st->work[i];
		struct vm_plan *p = &plans[i];
		uint64_t give = each + (extra ? 1 : 0);
		extra -= extra ? 1 : 0;
		uint64_t t = policy_min_u64(policy_add_sat(p->target_bytes, give), w->hi_bytes);
		/* blimp is its missing deflate-on-OOM: what it needs, room or not */
		if (snap->vms[i].no_deflate_on_oom)
			t = policy_max_u64(t, policy_min_u64(w->ahead_bytes, w->hi_bytes));
		if (t <= p->target_bytes)
			continue;
		p->target_bytes = t;
		p->reason = PLAN_REASON_GRANT;
		st->vms[w->state_idx].grant_until_ms =
		    policy_add_sat(now_ms, POLICY_GRANT_PENDING_MS);
	}
}
