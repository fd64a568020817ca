/*
 * Levelling: in state high, the headroom the VMs hold beyond what they need is shared
 * out again by shares.
 *
 * DESIGN: blimp shrinks a VM only in soft and worse, and the probe stops where the host
 * recovers. The balloons then stay wherever the last reclaim left them. Three identical
 * idle 512 MiB VMs ended at targets of 240, 328 and 430 MiB (bench/burst, 2026-12-07):
 * the first two reached their entitlement before the host cleared, the third was barely
 * probed. Each VM's need r = max(entitlement, guest floor) within its bounds
 * (policy_reclaim_desired) is met; the rest, S = sum(target - r), is memory promised
 * beyond need, and it sits with whichever VM the probe reached last. A burst in the VM
 * left at r swaps inside the guest for the 2-4 s a grant takes (a stats period, then
 * the deflate while the guest is busy): 56 MiB out and 50 MiB back in, at 77% of its
 * unconstrained rate, in that run. Its peers held the headroom, idle.
 *
 * So in high, where no reclaim runs, S is divided again by shares, as the entitlements
 * divide the budget: each taking VM gets r + min(hi - r, lambda x shares), lambda set
 * so that the parts add up to S (water-filling). It is zero-sum: the VMs above their
 * part give (their balloons inflate, from memory above their floor), the VMs below it
 * take at most what was given. The sum of targets, the host's exposure if every guest
 * touched all it may hold, does not change; the host's free memory does not either
 * until a guest uses its headroom.
 *
 * Who takes part (policy_level_note): running, balloon answering, fresh stats, no
 * distress, demand not rising, no grant or back-off pending, not short this run. A
 * giver must also have answered its last shrink (demand.c) and have deflate-on-OOM
 * (a guest without it is never inflated for another's headroom). A VM moves only when
 * its part is more than the deadband away from its target (the larger of 5% of MEMSZ
 * and 16 MiB), so ACTV's noise does not move balloons; once moving it goes on to its
 * part (within policy_tol_bytes). A giver gives at most four probe steps a run (4% of
 * MEMSZ a second by default, as the probe in hard): what it gives is above its need,
 * which holds its floor (in-use + margin), so the inflate takes memory the guest does
 * not use; and headroom that moves only after the next burst came is no use (in
 * bench/burst a VM left 230 MiB above its part by a grant had 7 s before the next
 * VM's burst).
 */
#include "policy/internal.h"

#define POLICY_LEVEL_BAND_PERMYRIAD 500U
#define POLICY_LEVEL_BAND_MIN_BYTES (16ULL * MODEL_MIB)
/* A giver gives up to this many probe steps a run (see above). */
#define POLICY_LEVEL_STEPS 4U

typedef unsigned __int128 u128;

void policy_level_note(const struct policy_settings *s, const struct vm_snapshot *v,
		       struct policy_vm_work *w, struct policy_vm_state *vs,
		       const struct vm_plan *p, bool is_short, uint64_t now_ms)
{
	bool moving = vs->level_moving;
	vs->level_moving = false; /* policy_level sets it again for a VM still on its way */
	w->level_ok = false;
	w->level_give_ok = false;
	if (!s->level_headroom || is_short || !v->running || !v->mctl || !w->fresh || w->distress ||
	    w->rising || now_ms < vs->grant_until_ms || now_ms < vs->backoff_until_ms)
		return;
	uint64_t need = policy_reclaim_desired(p, w);
	if (p->target_bytes < need || need > w->hi_bytes)
		return;
	w->level_need_bytes = need;
	w->level_band_bytes =
	    moving
		? policy_tol_bytes(w->memsz_bytes)
		: policy_max_u64(policy_permyriad_of(w->memsz_bytes, POLICY_LEVEL_BAND_PERMYRIAD),
				 POLICY_LEVEL_BAND_MIN_BYTES);
	w->level_ok = true;
	w->level_give_ok = w->answered && !v->no_deflate_on_oom;
	uint64_t step = policy_probe_step(s, vs, w, now_ms, HOST_STATE_HIGH);
	w->level_step_bytes =
	    step > UINT64_MAX / POLICY_LEVEL_STEPS ? UINT64_MAX : step * POLICY_LEVEL_STEPS;
}

/* VM i's shares as the entitlements weigh them (its entitlement input, policy.c). */
static uint64_t level_shares(const struct policy_state *st, size_t i)
{
	return policy_shares_weight(st->ent_in[i].shares);
}

/* Water-filling: each VM's part of S is min(cap, lambda x shares); sets level_part_bytes. */
static void level_parts(struct policy_state *st, const struct snapshot *snap, u128 surplus)
{
	size_t n = snap->n_vms;
	u128 open_shares = 0;
	for (size_t i = 0; i < n; i++) {
		struct policy_vm_work *w = &st->work[i];
		w->level_capped = false;
		if (w->level_ok)
			open_shares += level_shares(st, i);
	}
	/* A VM whose cap is below its share at the current lambda gets its cap; that only
	 * raises lambda for the others, so capping never has to be undone. Repeat until a
	 * pass caps nobody: the rest take lambda x shares. */
	for (bool again = true; again;) {
		again = false;
		for (size_t i = 0; i < n; i++) {
			struct policy_vm_work *w = &st->work[i];
			if (!w->level_ok || w->level_capped)
				continue;
			uint64_t sh = level_shares(st, i);
			uint64_t cap = w->hi_bytes - w->level_need_bytes;
			if ((u128)cap * open_shares > surplus * sh)
				continue;
			w->level_part_bytes = cap;
			w->level_capped = true;
			surplus -= cap;
			open_shares -= sh;
			again = true;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct policy_vm_work *w = &st->work[i];
		if (w->level_ok && !w->level_capped) /* open_shares >= its shares >= 1 */
			w->level_part_bytes =
			    (uint64_t)(surplus * level_shares(st, i) / open_shares);
	}
}

/* How far VM i moves toward its part this run: < 0 gives (at most its step), > 0
 * takes, 0 within the deadband (or not taking part, or a VM that may only take). */
static int64_t level_move(const struct policy_vm_work *w, uint64_t target)
{
	if (!w->level_ok)
		return 0;
	uint64_t band = w->level_band_bytes;
	uint64_t part = w->level_need_bytes + w->level_part_bytes;
	if (policy_add_sat(part, band) < target && w->level_give_ok)
		return -(int64_t)policy_min_u64(policy_min_u64(target - part, w->level_step_bytes),
						INT64_MAX);
	if (part > policy_add_sat(target, band))
		return (int64_t)policy_min_u64(part - target, INT64_MAX);
	return 0;
}

/* Moves one side (sign -1: the givers, 1: the takers) by m in all, each VM in
 * proportion to its move (the rounding's few bytes to the first with room), so the
 * furthest from its part moves most. Computed from the targets before any move. */
static void level_side(struct policy_state *st, const struct snapshot *snap, struct vm_plan *plans,
		       int sign, u128 total, u128 m)
{
	size_t n = snap->n_vms;
	u128 left = m;
	for (int pass = 0; pass < 2 && left; pass++) {
		for (size_t i = 0; i < n && left; i++) {
			struct policy_vm_work *w = &st->work[i];
			int64_t d = level_move(w, w->level_from_bytes);
			if (!d || (d < 0) != (sign < 0))
				continue;
			uint64_t mag = d < 0 ? (uint64_t)-d : (uint64_t)d;
			uint64_t moved = plans[i].target_bytes > w->level_from_bytes
					     ? plans[i].target_bytes - w->level_from_bytes
					     : w->level_from_bytes - plans[i].target_bytes;
			u128 add = pass == 0 ? (u128)mag * m / total : (u128)(mag - moved);
			if (add > left)
				add = left;
			if (!add)
				continue;
			left -= add;
			plans[i].target_bytes = sign < 0 ? plans[i].target_bytes - (uint64_t)add
							 : plans[i].target_bytes + (uint64_t)add;
			plans[i].reason = PLAN_REASON_LEVEL;
			/* on its way: no deadband next run, until within tolerance of its part */
			uint64_t part = w->level_need_bytes + w->level_part_bytes;
			uint64_t t = plans[i].target_bytes;
			st->vms[w->state_idx].level_moving =
			    (part > t ? part - t : t - part) > policy_tol_bytes(w->memsz_bytes);
		}
	}
}

void policy_level(struct policy_state *st, const struct snapshot *snap, enum host_state hs,
		  struct vm_plan *plans)
{
	if (hs != HOST_STATE_HIGH)
		return;
	size_t n = snap->n_vms, members = 0;
	u128 surplus = 0;
	for (size_t i = 0; i < n; i++) {
		const struct policy_vm_work *w = &st->work[i];
		if (!w->level_ok)
			continue;
		surplus += plans[i].target_bytes - w->level_need_bytes;
		members++;
	}
	if (members < 2 || !surplus)
		return;
	level_parts(st, snap, surplus);
	for (size_t i = 0; i < n; i++)
		st->work[i].level_from_bytes = plans[i].target_bytes;
	/* Zero-sum: the givers give and the takers take the same m = min(offer, want). */
	u128 offer = 0, want = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t d = level_move(&st->work[i], plans[i].target_bytes);
		if (d < 0)
			offer += (uint64_t)-d;
		else
			want += (uint64_t)d;
	}
	u128 m = offer < want ? offer : want;
	if (!m)
		return;
	level_side(st, snap, plans, -1, offer, m);
	level_side(st, snap, plans, 1, want, m);
}
