/* From a plan to the actions of a pass (policy_actions): the manual pin, the balloon
 * deadband, the cgroup step-down with one step of reclaim per pass for the whole
 * fleet, and the hold after a rescue. Pure: plans and what is in force go in,
 * actions come out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "policy/policy.h"

#define MIB (1ULL << 20)
#define N 3

struct pass {
	struct vm_snapshot vs[N];
	struct vm_plan vp[N];
	struct policy_applied ap[N];
	struct policy_action acts[2 * N];
	size_t n_acts;
	struct snapshot snap;
	struct plan plan;
};

static void pass_init(struct pass *p)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < N; i++) {
		p->vs[i].running = true;
		p->vs[i].memsz_bytes = 2048 * MIB;
		p->vs[i].consumed_bytes = 2000 * MIB;
		p->vs[i].ovhd_bytes = 48 * MIB;
		p->vp[i].target_bytes = 2048 * MIB;
		p->ap[i].balloon_bytes = 2048 * MIB;
		p->ap[i].cgroup_limit_bytes = UINT64_MAX;
	}
	p->snap = (struct snapshot){.n_vms = N, .vms = p->vs};
	p->plan = (struct plan){.n_vms = N, .vms = p->vp};
}

/* Run policy_actions and apply its actions as an execute side would (the limit in
 * force moves, usage follows it down: the reclaim is done by the next pass). */
static void pass_run(struct pass *p)
{
	policy_actions(&p->snap, &p->plan, p->ap, p->acts, &p->n_acts);
	for (size_t k = 0; k < p->n_acts; k++) {
		const struct policy_action *a = &p->acts[k];
		struct policy_applied *ap = &p->ap[a->vm];
		if (a->kind == POLICY_ACTION_BALLOON) {
			ap->balloon_bytes = a->bytes;
			continue;
		}
		ap->cgroup_limit_bytes = a->bytes ? a->bytes : UINT64_MAX;
		if (a->bytes && ap->cgroup_usage_bytes > a->bytes)
			ap->cgroup_usage_bytes = a->bytes;
	}
}

static const struct policy_action *find(const struct pass *p, enum policy_action_kind k,
					size_t vm)
{
	for (size_t i = 0; i < p->n_acts; i++)
		if (p->acts[i].kind == k && p->acts[i].vm == vm)
			return &p->acts[i];
	return NULL;
}

static void test_next_limit(void **state)
{
	(void)state;
	const uint64_t M = 1ULL << 20, S = 64 * M;
	/* Raises and equal limits: at once. */
	assert_int_equal(policy_cgroup_next_limit(512 * M, 512 * M, 1024 * M, S), 1024 * M);
	assert_int_equal(policy_cgroup_next_limit(512 * M, 100 * M, 512 * M, S), 512 * M);
	/* Unlimited, usage 2 GiB, target 512 MiB: one step below usage. */
	assert_int_equal(policy_cgroup_next_limit(UINT64_MAX, 2048 * M, 512 * M, S), 1984 * M);
	/* Usage far below the limit: down to usage costs no reclaim, then one step. */
	assert_int_equal(policy_cgroup_next_limit(2048 * M, 300 * M, 100 * M, S), 236 * M);
	/* Target within a step: the target. */
	assert_int_equal(policy_cgroup_next_limit(1024 * M, 1000 * M, 980 * M, S), 980 * M);
	/* Usage above the limit (v2 memory.high): from the limit. */
	assert_int_equal(policy_cgroup_next_limit(512 * M, 900 * M, 100 * M, S), 448 * M);
	/* Page alignment, tiny values, no underflow. */
	assert_int_equal(policy_cgroup_next_limit(UINT64_MAX, 5000, 1, S), 4096);
	assert_int_equal(policy_cgroup_next_limit(UINT64_MAX, UINT64_MAX, 4096, S) % 4096, 0);
	assert_int_equal(policy_cgroup_next_limit(8192, 8192, 0, S), 0);
	/* Never lower than a step below min(current, usage), for many values. */
	for (uint64_t cur = 64 * M; cur < 4096 * M; cur += 333 * M)
		for (uint64_t use = 0; use < 4096 * M; use += 257 * M)
			for (uint64_t t = 4096; t < 4096 * M; t += 511 * M) {
				uint64_t n = policy_cgroup_next_limit(cur, use, t, S);
				uint64_t from = cur < use ? cur : use;
				assert_int_equal(n % 4096, 0);
				if (t >= cur)
					assert_true(n >= t);
				else
					assert_true(n >= t && n + S + 4096 > from && n <= cur);
			}
}


/* A balloon move under 1 MiB is noise; 1 MiB or more is applied; target 0 never. */
static void test_deadband(void **state)
{
	(void)state;
	struct pass p;
	pass_init(&p);
	p.vp[0].target_bytes = 2048 * MIB - MIB + 1;
	p.vp[1].target_bytes = 2048 * MIB - MIB;
	p.vp[2].target_bytes = 0;
	pass_run(&p);
	assert_null(find(&p, POLICY_ACTION_BALLOON, 0));
	const struct policy_action *a = find(&p, POLICY_ACTION_BALLOON, 1);
	assert_non_null(a);
	assert_int_equal(a->bytes, 2047 * MIB);
	assert_false(a->manual);
	assert_null(find(&p, POLICY_ACTION_BALLOON, 2));
	assert_int_equal(p.n_acts, 1);
	/* Applied: the same plan again asks nothing. */
	pass_run(&p);
	assert_int_equal(p.n_acts, 0);
}

/* A pinned VM gets its manual target whatever the plan says, and the plan shows it. */
static void test_pin(void **state)
{
	(void)state;
	struct pass p;
	pass_init(&p);
	p.ap[0].manual_target_bytes = 1024 * MIB;
	p.vp[0].target_bytes = 1800 * MIB;
	p.vp[1].target_bytes = 1800 * MIB;
	pass_run(&p);
	const struct policy_action *a = find(&p, POLICY_ACTION_BALLOON, 0);
	assert_non_null(a);
	assert_int_equal(a->bytes, 1024 * MIB);
	assert_true(a->manual);
	assert_int_equal(p.vp[0].target_bytes, 1024 * MIB);
	assert_int_equal(p.vp[0].mctltgt_bytes, 1024 * MIB);
	assert_int_equal(find(&p, POLICY_ACTION_BALLOON, 1)->bytes, 1800 * MIB);
	/* Pinned and applied: the plan moving does not move it. */
	p.vp[0].target_bytes = 600 * MIB;
	pass_run(&p);
	assert_null(find(&p, POLICY_ACTION_BALLOON, 0));
	assert_int_equal(p.vp[0].target_bytes, 1024 * MIB);
	/* Unpinned (`balloon NAME --auto`): the plan's target again (each pass has a
	 * new plan). */
	p.ap[0].manual_target_bytes = 0;
	p.vp[0].target_bytes = 600 * MIB;
	pass_run(&p);
	assert_int_equal(find(&p, POLICY_ACTION_BALLOON, 0)->bytes, 600 * MIB);
}

/* One VM: a lower limit comes a step (64 MiB) below min(limit, usage) per pass; a
 * raise at once; usage unknown: CONSUMED + OVHD stands in. */
static void test_step_down(void **state)
{
	(void)state;
	struct pass p;
	pass_init(&p);
	p.ap[0].cgroup_usage_bytes = 2048 * MIB;
	p.vp[0].cgroup_limit_bytes = 512 * MIB;
	int passes = 0;
	uint64_t prev = 2048 * MIB;
	for (; passes < 100 && p.ap[0].cgroup_limit_bytes != 512 * MIB; passes++) {
		pass_run(&p);
		const struct policy_action *a = find(&p, POLICY_ACTION_CGROUP, 0);
		assert_non_null(a);
		assert_int_equal(a->goal_bytes, 512 * MIB);
		assert_true(a->bytes < prev && prev - a->bytes <= POLICY_CGROUP_STEP_BYTES);
		prev = a->bytes;
	}
	assert_int_equal(passes, (2048 - 512) / 64);
	pass_run(&p); /* there: nothing to do */
	assert_null(find(&p, POLICY_ACTION_CGROUP, 0));
	/* Raise: at once. */
	p.vp[0].cgroup_limit_bytes = 1536 * MIB;
	pass_run(&p);
	assert_int_equal(find(&p, POLICY_ACTION_CGROUP, 0)->bytes, 1536 * MIB);
	/* Usage well below the limit: straight to a step below usage. */
	p.ap[0].cgroup_usage_bytes = 600 * MIB;
	p.vp[0].cgroup_limit_bytes = 100 * MIB;
	pass_run(&p);
	assert_int_equal(find(&p, POLICY_ACTION_CGROUP, 0)->bytes, 536 * MIB);
	/* No limit any more: off at once; then nothing. */
	p.vp[0].cgroup_limit_bytes = 0;
	pass_run(&p);
	assert_int_equal(find(&p, POLICY_ACTION_CGROUP, 0)->bytes, 0);
	pass_run(&p);
	assert_null(find(&p, POLICY_ACTION_CGROUP, 0));
	/* Unknown usage: from CONSUMED + OVHD (2048 MiB). */
	p.ap[1].cgroup_usage_bytes = 0;
	p.vp[1].cgroup_limit_bytes = 1000 * MIB;
	pass_run(&p);
	assert_int_equal(find(&p, POLICY_ACTION_CGROUP, 1)->bytes, 1984 * MIB);
	/* cgroup_off (no QEMU pid, cgroups not managed): no cgroup action ever. */
	p.ap[2].cgroup_off = true;
	p.vp[2].cgroup_limit_bytes = 100 * MIB;
	pass_run(&p);
	assert_null(find(&p, POLICY_ACTION_CGROUP, 2));
	/* A leftover of an old blimpd with no limit planned: one action to take it off. */
	p.ap[2].cgroup_off = false;
	p.ap[2].cgroup_leftover = true;
	p.vp[2].cgroup_limit_bytes = 0;
	pass_run(&p);
	assert_int_equal(find(&p, POLICY_ACTION_CGROUP, 2)->bytes, 0);
}

/* Three VMs asked to fall 1 GiB each share one step of reclaim per pass, not a step
 * each, first come first served; a raise is never held back by a spent step. */
static void test_pass_budget(void **state)
{
	(void)state;
	struct pass p;
	pass_init(&p);
	for (int i = 0; i < N; i++) {
		p.ap[i].cgroup_usage_bytes = 2048 * MIB;
		p.vp[i].cgroup_limit_bytes = 1024 * MIB;
	}
	int passes = 0;
	for (; passes < 200; passes++) {
		uint64_t before = 0, after = 0;
		for (int i = 0; i < N; i++)
			before += p.ap[i].cgroup_usage_bytes;
		pass_run(&p);
		for (int i = 0; i < N; i++)
			after += p.ap[i].cgroup_usage_bytes;
		assert_true(before - after <= POLICY_CGROUP_STEP_BYTES); /* one step, fleet-wide */
		if (p.n_acts == 0)
			break;
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(p.ap[i].cgroup_limit_bytes, 1024 * MIB);
	assert_int_equal(passes, 3 * 1024 / 64); /* the three falls one after another */
	/* vm0 takes the step; vm1 rises at once; vm2 waits. */
	p.vp[0].cgroup_limit_bytes = 512 * MIB;
	p.vp[1].cgroup_limit_bytes = 2048 * MIB;
	p.vp[2].cgroup_limit_bytes = 512 * MIB;
	pass_run(&p);
	assert_int_equal(find(&p, POLICY_ACTION_CGROUP, 0)->bytes, 960 * MIB);
	assert_int_equal(find(&p, POLICY_ACTION_CGROUP, 1)->bytes, 2048 * MIB);
	assert_null(find(&p, POLICY_ACTION_CGROUP, 2));
}

/* After a rescue (the actuator raised the limit to 464 MiB) the plan's lower limit is
 * not applied for POLICY_CGROUP_HOLD_PASSES passes, a higher one is; a second rescue
 * under the same limit holds twice as long; a new cgroup (the count went down) starts
 * afresh; a rescue that took the limit off keeps it off for the hold. */
static void test_hold(void **state)
{
	(void)state;
	struct pass p;
	pass_init(&p);
	struct policy_applied *a = &p.ap[0];
	a->cgroup_usage_bytes = 400 * MIB;
	a->cgroup_limit_bytes = 400 * MIB;
	p.vp[0].cgroup_limit_bytes = 400 * MIB;
	pass_run(&p);
	assert_int_equal(p.n_acts, 0);
	/* Rescue: 400 -> 464 MiB, by the actuator. */
	a->cgroup_rescues = 1;
	a->cgroup_rescue_bytes = 464 * MIB;
	a->cgroup_limit_bytes = 464 * MIB;
	a->cgroup_usage_bytes = 464 * MIB;
	for (unsigned i = 0; i < POLICY_CGROUP_HOLD_PASSES; i++) {
		pass_run(&p);
		assert_null(find(&p, POLICY_ACTION_CGROUP, 0));
	}
	pass_run(&p); /* the hold is over: down a step at a time */
	assert_int_equal(find(&p, POLICY_ACTION_CGROUP, 0)->bytes, 400 * MIB);
	/* Stuck again under the same limit: twice as long. */
	a->cgroup_rescues = 2;
	a->cgroup_rescue_bytes = 480 * MIB;
	a->cgroup_limit_bytes = a->cgroup_usage_bytes = 480 * MIB;
	for (unsigned i = 0; i < 2 * POLICY_CGROUP_HOLD_PASSES; i++) {
		pass_run(&p);
		const struct policy_action *x = find(&p, POLICY_ACTION_CGROUP, 0);
		assert_null(x);
		if (i == 10) { /* a higher limit meanwhile: at once, and held there */
			p.vp[0].cgroup_limit_bytes = 600 * MIB;
			pass_run(&p);
			x = find(&p, POLICY_ACTION_CGROUP, 0);
			assert_non_null(x);
			assert_int_equal(x->bytes, 600 * MIB);
			assert_false(x->held);
			p.vp[0].cgroup_limit_bytes = 400 * MIB;
			pass_run(&p);
			x = find(&p, POLICY_ACTION_CGROUP, 0);
			assert_int_equal(x->bytes, 480 * MIB); /* back to the floor, not below */
			assert_true(x->held);
			i += 2;
		}
	}
	pass_run(&p);
	assert_int_equal(find(&p, POLICY_ACTION_CGROUP, 0)->bytes, 416 * MIB);
	/* A new cgroup (VM restarted): the count restarts at 0 and a new rescue holds
	 * for the first length again. */
	a->cgroup_rescues = 0;
	pass_run(&p);
	a->cgroup_rescues = 1;
	a->cgroup_rescue_bytes = 500 * MIB;
	a->cgroup_limit_bytes = a->cgroup_usage_bytes = 500 * MIB;
	for (unsigned i = 0; i < POLICY_CGROUP_HOLD_PASSES; i++) {
		pass_run(&p);
		assert_null(find(&p, POLICY_ACTION_CGROUP, 0));
	}
	pass_run(&p);
	assert_non_null(find(&p, POLICY_ACTION_CGROUP, 0));
	/* A rescue that could not raise the limit took it off: off for the hold. */
	a->cgroup_rescues = 2;
	a->cgroup_rescue_bytes = UINT64_MAX;
	pass_run(&p);
	const struct policy_action *x = find(&p, POLICY_ACTION_CGROUP, 0);
	assert_non_null(x);
	assert_int_equal(x->bytes, 0);
	assert_true(x->held);
	for (unsigned i = 1; i < 2 * POLICY_CGROUP_HOLD_PASSES; i++) {
		pass_run(&p);
		assert_null(find(&p, POLICY_ACTION_CGROUP, 0));
	}
	pass_run(&p);
	assert_non_null(find(&p, POLICY_ACTION_CGROUP, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_next_limit), cmocka_unit_test(test_deadband),
	    cmocka_unit_test(test_pin),	       cmocka_unit_test(test_step_down),
	    cmocka_unit_test(test_pass_budget), cmocka_unit_test(test_hold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
