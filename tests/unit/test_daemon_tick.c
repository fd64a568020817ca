/* The tick's decide and execute, without a host: gather results (snapshots and what
 * is in force, from a fake execute side) -> policy_run -> policy_actions -> the
 * actions, recorded by an ops table (struct daemon_act_ops). Asserts the actions:
 * the manual pin, the balloon deadband, the cgroup step-down with one step of reclaim
 * per pass for the fleet, and the hold after a rescue the actuator reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/daemon.h"

#define MIB MODEL_MIB
#define GIB MODEL_GIB
#define NVM 3
#define MAX_REC 64

/* The fake host: each VM's cgroup (limit in force, usage, rescues) and what the
 * execute side was asked this pass. */
struct fake {
	uint64_t limit[NVM], usage[NVM], rescues[NVM], rescue_bytes[NVM];
	struct policy_action rec[MAX_REC];
	size_t n_rec;
	unsigned ksm_calls;
};
static struct fake fk;

static size_t vm_index(const struct blimpd *d, const struct daemon_vm *v)
{
	return (size_t)(v - d->vms);
}

static void fake_observe(struct blimpd *d, struct daemon_vm *v, struct policy_applied *ap)
{
	size_t i = vm_index(d, v);
	if (ap->cgroup_off)
		return;
	ap->cgroup_limit_bytes = fk.limit[i];
	ap->cgroup_usage_bytes = fk.usage[i];
	ap->cgroup_rescues = fk.rescues[i];
	ap->cgroup_rescue_bytes = fk.rescue_bytes[i];
}

static int fake_balloon(struct blimpd *d, struct daemon_vm *v, uint64_t target, const char *reason)
{
	(void)reason;
	assert_true(fk.n_rec < MAX_REC);
	fk.rec[fk.n_rec++] = (struct policy_action){
	    .kind = POLICY_ACTION_BALLOON, .vm = vm_index(d, v), .bytes = target,
	    .manual = strcmp(reason, "manual") == 0};
	v->applied_target_bytes = target;
	return 0;
}

/* The limit goes in; the host reclaims down to it before the next pass. */
static void fake_cgroup(struct blimpd *d, struct daemon_vm *v, const struct policy_action *a)
{
	size_t i = vm_index(d, v);
	assert_true(fk.n_rec < MAX_REC);
	fk.rec[fk.n_rec] = *a;
	fk.rec[fk.n_rec++].vm = i;
	fk.limit[i] = a->bytes ? a->bytes : UINT64_MAX;
	if (a->bytes && fk.usage[i] > a->bytes)
		fk.usage[i] = a->bytes;
}

static void fake_ksm(struct blimpd *d, const struct host_plan *hp)
{
	(void)d;
	(void)hp;
	fk.ksm_calls++;
}

static const struct daemon_act_ops fake_ops = {
    .observe = fake_observe, .balloon = fake_balloon, .cgroup = fake_cgroup, .ksm = fake_ksm};

static void vm_init(struct daemon_vm *v, int id, uint64_t memsz, uint64_t consumed)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "vm%d", id);
	snprintf(v->uuid, sizeof(v->uuid), "00000000-0000-0000-0000-%012d", id);
	v->active = true;
	v->pid = 1000 + id;
	v->memsz_bytes = v->current_bytes = memsz;
	struct vm_snapshot *s = &v->snap;
	snprintf(s->name, sizeof(s->name), "%s", v->name);
	snprintf(s->uuid, sizeof(s->uuid), "%s", v->uuid);
	s->running = true;
	s->memsz_bytes = memsz;
	s->balloon_actual_bytes = memsz;
	s->consumed_bytes = consumed;
	s->host_swap_ok = true;
	s->stats_age_ms = MODEL_AGE_NEVER; /* no balloon driver: only a cgroup limit */
}

/* vm0: 4 GiB, no balloon driver, uses all of it, may swap to the host: the policy
 * limits its cgroup. vm1: 12 GiB, 3.9 GiB used, no QEMU pid seen (no cgroup). vm2:
 * 1 GiB with a balloon, pinned at 768 MiB. Budget 8 GiB: the host is low. */
static struct blimpd *tick_new(void)
{
	struct blimpd *d = calloc(1, sizeof(*d));
	assert_non_null(d);
	config_default(&d->cfg);
	d->cfg.policy.budget_bytes = 8 * GIB;
	d->cfg.policy.host_swap = true;
	d->cfg.manage_cgroups = true;
	d->pstate = policy_state_new();
	assert_non_null(d->pstate);
	d->host.swap_total_bytes = d->host.swap_free_bytes = 64 * GIB;
	d->vms = calloc(NVM, sizeof(*d->vms));
	assert_non_null(d->vms);
	d->n_vms = d->cap_vms = NVM;
	vm_init(&d->vms[0], 0, 4 * GIB, 4 * GIB);
	vm_init(&d->vms[1], 1, 12 * GIB, 3900 * MIB);
	d->vms[1].pid = 0;
	d->vms[1].snap.host_swap_ok = false;
	vm_init(&d->vms[2], 2, 1 * GIB, 512 * MIB);
	struct vm_snapshot *s = &d->vms[2].snap;
	s->mctl = true;
	s->stats_age_ms = 500;
	s->guest_total_bytes = 1 * GIB;
	s->guest_available_bytes = s->guest_free_bytes = 512 * MIB;
	d->vms[2].manual_target_bytes = 768 * MIB;
	d->ops = &fake_ops;
	memset(&fk, 0, sizeof(fk));
	for (int i = 0; i < NVM; i++)
		fk.limit[i] = UINT64_MAX;
	fk.usage[0] = 4 * GIB + 32 * MIB;
	return d;
}

static void tick_free(struct blimpd *d)
{
	policy_state_free(d->pstate);
	free(d->vms);
	free(d);
}

static const struct policy_action *rec_find(enum policy_action_kind k, size_t vm)
{
	for (size_t i = 0; i < fk.n_rec; i++)
		if (fk.rec[i].kind == k && fk.rec[i].vm == vm)
			return &fk.rec[i];
	return NULL;
}

/* One pass at now_ms; the fake's record starts empty. */
static void pass(struct blimpd *d, uint64_t now_ms)
{
	fk.n_rec = 0;
	uint64_t passes = d->policy_passes;
	daemon_balance(d, now_ms);
	assert_int_equal(d->policy_passes, passes + 1);
}

static void test_tick(void **state)
{
	(void)state;
	struct blimpd *d = tick_new();
	uint64_t now = 1000000;
	/* The pin: vm2 goes to its manual target, labelled manual, and its plan says so. */
	pass(d, now);
	const struct policy_action *a = rec_find(POLICY_ACTION_BALLOON, 2);
	assert_non_null(a);
	assert_int_equal(a->bytes, 768 * MIB);
	assert_true(a->manual);
	assert_int_equal(d->vms[2].plan.target_bytes, 768 * MIB);
	assert_true(d->have_host_plan);
	assert_true(d->host_plan.state >= HOST_STATE_HARD);
	assert_int_equal(fk.ksm_calls, 1);
	assert_null(rec_find(POLICY_ACTION_CGROUP, 1)); /* no pid: no cgroup */
	assert_null(rec_find(POLICY_ACTION_CGROUP, 2)); /* a balloon suffices */

	/* The step-down: vm0's limit falls a step per pass, from its usage. */
	unsigned steps = 0, rescue_at = 30;
	uint64_t goal = 0;
	for (unsigned t = 1; t < rescue_at; t++) {
		uint64_t before = fk.usage[0];
		pass(d, now += 1000);
		assert_null(rec_find(POLICY_ACTION_BALLOON, 2)); /* pinned and applied */
		a = rec_find(POLICY_ACTION_CGROUP, 0);
		if (!a)
			continue;
		steps++;
		goal = a->goal_bytes;
		assert_true(a->bytes >= goal);
		assert_true(before - fk.usage[0] <= POLICY_CGROUP_STEP_BYTES);
	}
	print_message("vm0: %u steps toward %llu MiB, limit now %llu MiB\n", steps,
		      (unsigned long long)(goal / MIB), (unsigned long long)(fk.limit[0] / MIB));
	assert_true(steps >= 5);
	assert_true(goal > 0 && goal < 4 * GIB);
	assert_true(fk.limit[0] < 4 * GIB);
	assert_true(fk.limit[0] > goal); /* still on its way: the step-down is slow */

	/* The deadband: vm2's balloon in force 512 KiB off its pin: nothing; 2 MiB: set. */
	d->vms[2].applied_target_bytes = 768 * MIB + 512 * 1024;
	pass(d, now += 1000);
	assert_null(rec_find(POLICY_ACTION_BALLOON, 2));
	d->vms[2].applied_target_bytes = 768 * MIB + 2 * MIB;
	pass(d, now += 1000);
	a = rec_find(POLICY_ACTION_BALLOON, 2);
	assert_non_null(a);
	assert_int_equal(a->bytes, 768 * MIB);

	/* The hold: the actuator rescues vm0 (limit up a step above usage); for
	 * POLICY_CGROUP_HOLD_PASSES passes no lower limit is asked, then it falls again. */
	uint64_t floor = fk.limit[0] + POLICY_CGROUP_STEP_BYTES;
	fk.rescues[0] = 1;
	fk.rescue_bytes[0] = fk.limit[0] = fk.usage[0] = floor;
	for (unsigned t = 0; t < POLICY_CGROUP_HOLD_PASSES; t++) {
		pass(d, now += 1000);
		a = rec_find(POLICY_ACTION_CGROUP, 0);
		assert_true(!a || a->bytes >= floor);
		assert_true(fk.limit[0] >= floor);
	}
	pass(d, now += 1000);
	a = rec_find(POLICY_ACTION_CGROUP, 0);
	assert_non_null(a);
	assert_true(a->bytes < floor && floor - a->bytes <= POLICY_CGROUP_STEP_BYTES);
	assert_int_equal(d->vms[0].applied.rescues_seen, 1);
	tick_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tick),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
