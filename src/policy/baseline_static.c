/* Baseline "static": no overcommit management. Every VM keeps MEMSZ (its limit if
 * lower), KSM is not run (see policy.c). */
#include "policy/internal.h"

void policy_baseline_keep(struct policy_state *st, const struct snapshot *snap, struct plan *plan)
{
	for (size_t i = 0; i < snap->n_vms; i++) {
		plan->vms[i].target_bytes = st->work[i].prev_target_bytes;
		plan->vms[i].reason = PLAN_REASON_BASELINE;
	}
}

void policy_baseline_static(const struct policy_settings *s, struct policy_state *st,
			    const struct snapshot *snap, uint64_t now_ms, struct plan *plan)
{
	(void)s;
	(void)now_ms;
	for (size_t i = 0; i < snap->n_vms; i++) {
		plan->vms[i].target_bytes = st->work[i].hi_bytes;
		plan->vms[i].reason = PLAN_REASON_BASELINE;
	}
}
