/*
 * From a plan to the actions of one pass: diff(plan, applied), with every rate limit
 * and hold between what the policy wants and what is written (policy.h).
 *
 * DESIGN: the plan says where each VM should be; this file says how far to move it
 * now, from what the execute side left in force:
 *   pin       a manual balloon target replaces the plan's until `balloon NAME --auto`;
 *   deadband  a balloon move under POLICY_BALLOON_DEADBAND_BYTES is noise: none;
 *   hold      a rescue (the actuator raised a stuck cgroup's limit at once) holds the
 *             limit at least where the rescue put it for POLICY_CGROUP_HOLD_PASSES
 *             passes, doubled per rescue under the same limit (up to 16x); a rescue
 *             that could not raise the limit took it off: none during the hold;
 *   step-down a lower limit comes POLICY_CGROUP_STEP_BYTES of reclaim per pass for
 *             the whole fleet (the host swaps out one step per pass, not one per VM);
 *             a raise comes at once.
 * The actuator's rescue counter is the input: it moving up is a rescue, it going down
 * is a new cgroup (restarted VM, released and limited again) and the hold is reset.
 */
#include <stdint.h>

#include "policy/internal.h"
#include "policy/policy.h"

static uint64_t act_page_up(uint64_t v)
{
	return v > UINT64_MAX - 4095 ? UINT64_MAX & ~(uint64_t)4095 : (v + 4095) & ~(uint64_t)4095;
}

uint64_t policy_cgroup_next_limit(uint64_t current, uint64_t usage, uint64_t target,
				  uint64_t step_bytes)
{
	target = act_page_up(target);
	if (target >= current)
		return target; /* raise (or keep) at once */
	/* Lowering: from where the cgroup is now (usage above a limit cannot stay), at
	 * most one step of reclaim. A limit between usage and current costs no reclaim,
	 * so it comes first. */
	uint64_t up = act_page_up(usage);
	uint64_t from = current < up ? current : up;
	uint64_t floor = from > step_bytes ? (from - step_bytes) & ~(uint64_t)4095 : 0;
	return target > floor ? target : floor;
}

/* The pin: the VM's plan carries the manual target, so status and the history show
 * what is applied. */
static void act_pin(const struct vm_snapshot *v, struct vm_plan *p, uint64_t manual)
{
	p->target_bytes = manual;
	p->mctltgt_bytes = v->memsz_bytes > manual ? v->memsz_bytes - manual : 0;
}

static bool act_balloon(const struct vm_snapshot *v, struct vm_plan *p,
			const struct policy_applied *a, size_t i, struct policy_action *out)
{
	if (a->manual_target_bytes)
		act_pin(v, p, a->manual_target_bytes);
	uint64_t target = p->target_bytes, cur = a->balloon_bytes;
	if (!target)
		return false;
	uint64_t delta = target > cur ? target - cur : cur - target;
	if (delta < POLICY_BALLOON_DEADBAND_BYTES)
		return false;
	*out = (struct policy_action){.kind = POLICY_ACTION_BALLOON,
				      .vm = i,
				      .bytes = target,
				      .goal_bytes = target,
				      .manual = a->manual_target_bytes != 0};
	return true;
}

/* The rescues the actuator reported since the last pass start or extend the hold. */
static void act_hold_update(struct policy_applied *a)
{
	if (a->cgroup_rescues < a->rescues_seen) { /* a new cgroup: nothing of the old */
		a->rescues_seen = a->cgroup_rescues;
		a->hold_passes = 0;
		a->rescues_in_row = 0;
		return;
	}
	if (a->cgroup_rescues == a->rescues_seen)
		return;
	uint64_t n = a->cgroup_rescues - a->rescues_seen;
	a->rescues_seen = a->cgroup_rescues;
	a->rescues_in_row = n > UINT32_MAX - a->rescues_in_row ? UINT32_MAX
							       : a->rescues_in_row + (uint32_t)n;
	/* Stuck again under the same limit: the hold doubles (up to 16x). */
	unsigned shift = a->rescues_in_row > 5 ? 4 : a->rescues_in_row - 1;
	a->hold_passes = POLICY_CGROUP_HOLD_PASSES << shift;
	a->hold_floor_bytes = a->cgroup_rescue_bytes;
}

/* The limit for this pass, with the hold; *pass_left is the fleet's reclaim budget. */
static bool act_cgroup(const struct vm_snapshot *v, const struct vm_plan *p,
		       struct policy_applied *a, uint64_t *pass_left, size_t i,
		       struct policy_action *out)
{
	if (a->cgroup_off)
		return false;
	act_hold_update(a);
	uint64_t goal = p->cgroup_limit_bytes;
	bool held = false;
	if (a->hold_passes > 0) {
		a->hold_passes--;
		if (a->hold_floor_bytes == UINT64_MAX) {
			held = goal != 0;
			goal = 0;
		} else if (goal && goal < a->hold_floor_bytes) {
			goal = a->hold_floor_bytes;
			held = true;
		}
	}
	uint64_t cur = a->cgroup_limit_bytes, next;
	if (goal == 0) {
		a->rescues_in_row = 0;
		if (cur == UINT64_MAX && !a->cgroup_leftover)
			return false;
		next = 0;
	} else {
		goal = act_page_up(goal);
		if (goal >= cur) {
			next = goal;
		} else {
			uint64_t usage = a->cgroup_usage_bytes
					     ? a->cgroup_usage_bytes
					     : policy_add_sat(v->consumed_bytes, v->ovhd_bytes);
			uint64_t up = act_page_up(usage), from = cur < up ? cur : up;
			if (*pass_left < 4096)
				return false; /* the step went to VMs before it: stays */
			next = policy_cgroup_next_limit(cur, usage, goal, *pass_left);
			if (next < from)
				*pass_left -= policy_min_u64(from - next, *pass_left);
		}
		if (next == cur)
			return false;
	}
	*out = (struct policy_action){.kind = POLICY_ACTION_CGROUP,
				      .vm = i,
				      .bytes = next,
				      .goal_bytes = goal,
				      .held = held};
	return true;
}

void policy_actions(const struct snapshot *snap, struct plan *plan,
		    struct policy_applied *applied, struct policy_action *out, size_t *n_out)
{
	size_t n = 0;
	for (size_t i = 0; i < snap->n_vms; i++)
		n += act_balloon(&snap->vms[i], &plan->vms[i], &applied[i], i, &out[n]);
	uint64_t pass_left = POLICY_CGROUP_STEP_BYTES;
	for (size_t i = 0; i < snap->n_vms; i++)
		n += act_cgroup(&snap->vms[i], &plan->vms[i], &applied[i], &pass_left, i, &out[n]);
	*n_out = n;
}
