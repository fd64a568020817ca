/*
 * Plan invariants, checked every balance period under --check and by the property
 * test: what must hold whatever the fleet does.
 */
#include <errno.h>
#include <stdio.h>

#include "sim/sim.h"

#define CHECK_FAIL(...)                                                                            \
	do {                                                                                       \
		if (err && errlen)                                                                 \
			snprintf(err, errlen, __VA_ARGS__);                                        \
		return -EPROTO;                                                                    \
	} while (0)

int sim_check_plan(const struct policy_settings *ps, const struct snapshot *snap,
		   const struct plan *plan, char *err, size_t errlen)
{
	if (plan->n_vms != snap->n_vms)
		CHECK_FAIL("plan has %zu VMs, snapshot %zu", plan->n_vms, snap->n_vms);
	unsigned __int128 sum_min = 0, sum_ent = 0, ovhd = 0;
	for (size_t i = 0; i < snap->n_vms; i++) {
		const struct vm_snapshot *v = &snap->vms[i];
		const struct vm_plan *p = &plan->vms[i];
		if (!v->running)
			continue;
		uint64_t memsz = v->memsz_bytes;
		uint64_t limit = model_vm_limit(&v->settings, memsz);
		uint64_t mctlmax = policy_vm_maxmemctl(ps, v);
		uint64_t res =
		    v->settings.reservation_bytes < limit ? v->settings.reservation_bytes : limit;
		uint64_t bal_floor = memsz - mctlmax;
		uint64_t hi = limit > bal_floor ? limit : bal_floor;
		uint64_t lo = res > bal_floor ? res : bal_floor;
		if (p->target_bytes < res)
			CHECK_FAIL("%s: target %llu below reservation %llu", v->name,
				   (unsigned long long)p->target_bytes, (unsigned long long)res);
		if (p->target_bytes > memsz || memsz - p->target_bytes > mctlmax)
			CHECK_FAIL("%s: target %llu asks the balloon for more than MCTLMAX %llu",
				   v->name, (unsigned long long)p->target_bytes,
				   (unsigned long long)mctlmax);
		if (p->target_bytes > hi)
			CHECK_FAIL("%s: target %llu above limit %llu", v->name,
				   (unsigned long long)p->target_bytes, (unsigned long long)hi);
		if (p->mctltgt_bytes != memsz - p->target_bytes)
			CHECK_FAIL("%s: MCTLTGT %llu != MEMSZ - target", v->name,
				   (unsigned long long)p->mctltgt_bytes);
		if (p->entitlement_bytes > limit)
			CHECK_FAIL("%s: entitlement %llu above limit %llu", v->name,
				   (unsigned long long)p->entitlement_bytes,
				   (unsigned long long)limit);
		sum_min += lo < limit ? lo : limit;
		sum_ent += p->entitlement_bytes;
		ovhd += v->ovhd_bytes;
	}
	uint64_t minfree = policy_minfree_bytes(ps->budget_bytes);
	if (sum_min + ovhd + minfree <= ps->budget_bytes &&
	    sum_ent + ovhd + minfree > ps->budget_bytes)
		CHECK_FAIL("entitlements %llu + OVHD %llu + minFree %llu exceed the budget %llu",
			   (unsigned long long)sum_ent, (unsigned long long)ovhd,
			   (unsigned long long)minfree, (unsigned long long)ps->budget_bytes);
	if (plan->host.budget_bytes != ps->budget_bytes)
		CHECK_FAIL("plan budget %llu != settings budget %llu",
			   (unsigned long long)plan->host.budget_bytes,
			   (unsigned long long)ps->budget_bytes);
	return 0;
}
