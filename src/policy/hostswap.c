/*
 * Host swap targets (SWTGT) and cgroup limits, blimp policy only.
 *
 * DESIGN: ESX swaps what the balloon cannot reclaim in time. In hard and low, a VM
 * the balloon cannot steer (no driver, stale stats, or a balloon stalled for
 * POLICY_STALL_PERIODS runs) or one held above its entitlement by its guest floor
 * (floors did not all fit) gets a host target: its balloon target when stalled, else
 * max(entitlement, reservation). cgroup limit = host target + its OVHD; SWTGT = what
 * CONSUMED is above the host target. In low, every other VM above its target gets
 * no more memory: cgroup limit = CONSUMED + OVHD. A limit below MEMSZ - MCTLMAX (the
 * balloon cannot reach it) is enforced the same way in every state.
 * A growing guest (fresh stats; in-use climbing or its target raised by the rules in
 * the last POLICY_GROWING_MS, or a grant in the last POLICY_GRANT_PENDING_MS) is never
 * the floor rule's victim: its floor is above its entitlement because it uses that
 * memory right now, and pushing it to host swap is double paging (bench/density:
 * a bursting VM swapped 65 -> 152 MiB in 6 s while the idle ones sat at
 * their balloon floors). In hard it gets no host target from the floor rule; in low
 * it is frozen (CONSUMED + OVHD) like the others above their targets. Once the host
 * is soft or better a growing guest drops a kept host target at once: the hold exists
 * against flapping, not against a burst. Stalled and blind VMs are targeted whether
 * growing or not (the balloon cannot steer them).
 * Hysteresis: when the host leaves hard/low, a VM's host target is kept until the
 * host has been soft or better for POLICY_HOSTSWAP_HOLD_MS (any return to hard/low
 * restarts the wait), then rises by POLICY_HOSTSWAP_RELEASE_PERMYRIAD of MEMSZ per
 * period until it reaches the VM's ceiling and is dropped. Without it, swapping out
 * frees memory, the state improves, the limit goes, the VM faults its memory back,
 * the host is in hard again: a limit flipping on and off every period.
 * Trim: the limit covers CONSUMED + OVHD as /proc sees them, the kernel enforces what
 * the cgroup is charged. They differ: QEMU's binary and libraries are resident (in
 * OVHD) but charged to whichever cgroup first read them (often another or a removed
 * one), and the cgroup is charged for host page cache of the VM's disks. Seen on this
 * host: CONSUMED held 70 MiB above the host target under its limit for two minutes
 * while SWCUR stood still. So the limit is closed on the outcome: while CONSUMED stays
 * above the host target by more than a tolerance, with pages already in host swap
 * (the limit bites) and CONSUMED not falling by more than the tolerance per run (not
 * a swap-out still under way), the limit is lowered by half the excess; while CONSUMED
 * is below the target by more than the tolerance with pages in host swap (the kernel
 * charges this cgroup for pages OVHD counts by their share, e.g. a vmlinux every QEMU
 * maps), it is raised by half the gap. The trim stays within +-OVHD (the limit never
 * goes below the host target nor above it plus twice OVHD) and is dropped with the
 * host target.
 * All of it only with settings.host_swap and a VM whose cgroup can swap (host_swap_ok):
 * a cgroup limit without swap would OOM-kill QEMU. A cgroup v2 swap.max (the VM's or
 * an ancestor's, host_swap_cap_bytes) caps it: the host target never asks for more
 * in swap than that (CONSUMED + SWCUR - cap at least stays resident); a cap already
 * reached, 0 included, counts as a cgroup that cannot swap. And only as much as the
 * host's free swap takes (policy_hostswap_fit, after every VM): the fleet's SWTGT fits
 * in free swap less a reserve, scaled down by one factor (limits raised) when it would
 * not; no swap at all, no limits.
 */
#include "policy/internal.h"

/* Host target from the hard/low rules (UINT64_MAX: none). */
static uint64_t hostswap_rule(const struct vm_snapshot *v, const struct policy_vm_state *vs,
			      const struct policy_vm_work *w, const struct vm_plan *p, bool growing)
{
	bool stalled = v->mctl && w->fresh && vs->stall_periods >= POLICY_STALL_PERIODS;
	bool blind = !v->mctl || !w->fresh;
	bool floor_bound = w->fresh && !growing && w->floor_bytes > p->entitlement_bytes &&
			   p->target_bytes > p->entitlement_bytes;
	if (stalled)
		return p->target_bytes;
	if (blind || floor_bound)
		return policy_max_u64(p->entitlement_bytes, w->reserve_bytes);
	return UINT64_MAX;
}

/* Soft or better: the kept target, raised step by step once the hold is over. */
static uint64_t hostswap_release(const struct policy_settings *s, struct policy_vm_state *vs,
				 const struct policy_vm_work *w, uint64_t now_ms, bool hold)
{
	if (!vs->swap_hold_bytes || hold)
		return vs->swap_hold_bytes ? vs->swap_hold_bytes : UINT64_MAX;
	uint64_t dt = now_ms > vs->last_run_ms
			  ? policy_min_u64(now_ms - vs->last_run_ms, s->balance_period_ms)
			  : 0;
	uint64_t per_period =
	    policy_permyriad_of(w->memsz_bytes, POLICY_HOSTSWAP_RELEASE_PERMYRIAD);
	uint64_t step = (uint64_t)((unsigned __int128)per_period * dt / s->balance_period_ms);
	uint64_t t = policy_add_sat(vs->swap_hold_bytes, policy_max_u64(step, 1));
	vs->swap_hold_bytes = t >= w->hi_bytes ? 0 : t;
	return vs->swap_hold_bytes ? vs->swap_hold_bytes : UINT64_MAX;
}

bool policy_hostswap_begin(struct policy_state *st, uint64_t now_ms, enum host_state hs)
{
	if (hs >= HOST_STATE_HARD) {
		st->calm = false;
	} else if (!st->calm) {
		st->calm = true;
		st->calm_since_ms = now_ms;
	}
	return !st->calm || now_ms < st->calm_since_ms ||
	       now_ms - st->calm_since_ms < POLICY_HOSTSWAP_HOLD_MS;
}

/* This run's cgroup limit for a host target (see DESIGN: the trim). */
static uint64_t hostswap_limit(const struct vm_snapshot *v, const struct policy_vm_work *w,
			       struct policy_vm_state *vs, uint64_t host_target,
			       uint64_t last_consumed)
{
	uint64_t tol = policy_max_u64(policy_permyriad_of(w->memsz_bytes, 200), 4 * MODEL_MIB);
	uint64_t c = v->consumed_bytes;
	/* |trim| <= OVHD <= INT64_MAX (clamped), so the sums below cannot overflow */
	int64_t bound = (int64_t)policy_min_u64(v->ovhd_bytes, INT64_MAX / 4);
	int64_t trim = vs->swap_trim_bytes;
	bool falling = policy_add_sat(c, tol) < last_consumed;
	bool swapped = v->swapped_bytes > 0;
	if (c > policy_add_sat(host_target, tol) && swapped && !falling)
		trim += (int64_t)policy_min_u64((c - host_target) / 2, (uint64_t)bound);
	else if (policy_add_sat(c, tol) < host_target && swapped)
		trim -= (int64_t)policy_min_u64((host_target - c) / 2, (uint64_t)bound);
	trim = trim > bound ? bound : trim < -bound ? -bound : trim;
	vs->swap_trim_bytes = trim;
	uint64_t base = policy_add_sat(host_target, v->ovhd_bytes);
	return trim >= 0 ? base - (uint64_t)trim : policy_add_sat(base, (uint64_t)-trim);
}

void policy_hostswap_vm(const struct policy_settings *s, const struct vm_snapshot *v,
			const struct policy_vm_work *w, struct policy_vm_state *vs, uint64_t now_ms,
			enum host_state hs, bool hold, struct vm_plan *p)
{
	uint64_t last_consumed = vs->last_consumed_bytes;
	vs->last_consumed_bytes = v->consumed_bytes;
	/* a cgroup swap.max already reached (0 included): as a VM that cannot swap */
	bool cap_full = v->host_swap_capped && v->swapped_bytes >= v->host_swap_cap_bytes;
	if (!s->host_swap || !v->running || !v->host_swap_ok || cap_full) {
		vs->swap_hold_bytes = vs->swap_trim_bytes = 0;
		return;
	}
	uint64_t host_target = UINT64_MAX;
	if (p->target_bytes > w->limit_bytes)
		host_target = w->limit_bytes;
	if (w->fresh && (w->growth_bytes > 0 || p->target_bytes > w->prev_target_bytes))
		vs->growing_until_ms = policy_add_sat(now_ms, POLICY_GROWING_MS);
	bool growing = w->fresh && (now_ms < vs->growing_until_ms || now_ms < vs->grant_until_ms);
	uint64_t swap_target;
	if (hs >= HOST_STATE_HARD) {
		swap_target = hostswap_rule(v, vs, w, p, growing);
		vs->swap_hold_bytes = swap_target == UINT64_MAX ? 0 : swap_target;
	} else {
		if (growing)
			vs->swap_hold_bytes = 0; /* a burst is not a flap: let it grow */
		swap_target = hostswap_release(s, vs, w, now_ms, hold);
	}
	host_target = policy_min_u64(host_target, swap_target);
	if (host_target != UINT64_MAX && v->host_swap_capped) {
		/* the cgroup's swap.max: what is in swap already plus SWTGT fits in it */
		uint64_t keep = policy_sub_floor(policy_add_sat(v->consumed_bytes, v->swapped_bytes),
						 v->host_swap_cap_bytes);
		host_target = policy_max_u64(host_target, keep);
	}
	if (host_target != UINT64_MAX) {
		p->cgroup_limit_bytes = hostswap_limit(v, w, vs, host_target, last_consumed);
		p->swtgt_bytes = policy_sub_floor(v->consumed_bytes, host_target);
		return;
	}
	vs->swap_trim_bytes = 0;
	if (hs == HOST_STATE_LOW && (growing || v->consumed_bytes > p->target_bytes))
		p->cgroup_limit_bytes = policy_add_sat(v->consumed_bytes, v->ovhd_bytes);
}

/* Swap capacity: SWTGT is memory the kernel has to find swap slots for, and a
 * cgroup at its limit with no slot left stalls (v1 with oom_kill_disable) or is
 * OOM-killed. So the sum of SWTGT over the fleet must fit in free swap less a
 * reserve (POLICY_SWAP_RESERVE_*: zswap, the host's own swapping and the guests'
 * next allocations need some); if it does not, every VM's SWTGT is scaled by the
 * same factor and its limit raised by what was cut. No swap at all: no limits. */
void policy_hostswap_fit(const struct host_snapshot *h, size_t n, unsigned __int128 need,
			 struct vm_plan *plans)
{
	if (h->swap_total_bytes == 0) {
		for (size_t i = 0; i < n; i++)
			plans[i].cgroup_limit_bytes = plans[i].swtgt_bytes = 0;
		return;
	}
	uint64_t reserve =
	    policy_max_u64(POLICY_SWAP_RESERVE_MIN_BYTES,
			   policy_permyriad_of(h->swap_total_bytes, POLICY_SWAP_RESERVE_PERMYRIAD));
	uint64_t room = policy_sub_floor(h->swap_free_bytes, reserve);
	if (need <= room)
		return;
	for (size_t i = 0; i < n; i++) {
		struct vm_plan *p = &plans[i];
		if (!p->cgroup_limit_bytes || !p->swtgt_bytes)
			continue;
		uint64_t keep = (uint64_t)((unsigned __int128)p->swtgt_bytes * room / need);
		p->cgroup_limit_bytes =
		    policy_add_sat(p->cgroup_limit_bytes, p->swtgt_bytes - keep);
		p->swtgt_bytes = keep;
	}
}
