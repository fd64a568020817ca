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
 * All of it only with settings.host_swap and a VM whose cgroup can swap (host_swap_ok):
 * a cgroup limit without swap would OOM-kill QEMU.
 */
#include "policy/internal.h"

void policy_hostswap_plan(const struct policy_settings *s, struct policy_state *st,
			  const struct snapshot *snap, enum host_state hs, struct plan *plan)
{
	if (!s->host_swap)
		return;
	for (size_t i = 0; i < snap->n_vms; i++) {
		const struct vm_snapshot *v = &snap->vms[i];
		const struct policy_vm_work *w = &st->work[i];
		const struct policy_vm_state *vs = &st->vms[w->state_idx];
		struct vm_plan *p = &plan->vms[i];
		if (!v->running || !v->host_swap_ok)
			continue;
		uint64_t host_target = UINT64_MAX;
		if (p->target_bytes > w->limit_bytes)
			host_target = w->limit_bytes;
		if (hs >= HOST_STATE_HARD) {
			bool stalled =
			    v->mctl && w->fresh && vs->stall_periods >= POLICY_STALL_PERIODS;
			bool blind = !v->mctl || !w->fresh;
			bool floor_bound = w->fresh && w->floor_bytes > p->entitlement_bytes &&
					   p->target_bytes > p->entitlement_bytes;
			uint64_t ent = policy_max_u64(p->entitlement_bytes, w->reserve_bytes);
			if (stalled)
				host_target = policy_min_u64(host_target, p->target_bytes);
			else if (blind || floor_bound)
				host_target = policy_min_u64(host_target, ent);
		}
		if (host_target != UINT64_MAX) {
			p->cgroup_limit_bytes = policy_add_sat(host_target, v->ovhd_bytes);
			p->swtgt_bytes = policy_sub_floor(v->consumed_bytes, host_target);
		} else if (hs == HOST_STATE_LOW && v->consumed_bytes > p->target_bytes) {
			p->cgroup_limit_bytes = policy_add_sat(v->consumed_bytes, v->ovhd_bytes);
		}
	}
}
