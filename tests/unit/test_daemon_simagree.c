/* The simulator and the daemon agree on the cgroup step-down: the same fleet, the
 * same plans, the same limits pass by pass, because both turn a plan into actions with
 * the one policy_actions. The simulator runs its fleet; at each balance its snapshot
 * is handed to blimpd's tick (daemon_balance, through an ops table that stands in for
 * the host), and the cgroup limits and balloon targets each puts in force must match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/daemon.h"
#include "sim/sim.h"

#define MIB MODEL_MIB
#define GIB MODEL_GIB
#define NVM 4

/* The daemon side's host: the limit in force per VM (usage unknown, as in the
 * simulator: CONSUMED + OVHD stands in). */
static uint64_t host_limit[NVM];

static size_t vm_index(const struct blimpd *d, const struct daemon_vm *v)
{
	return (size_t)(v - d->vms);
}

static void fake_observe(struct blimpd *d, struct daemon_vm *v, struct policy_applied *ap)
{
	ap->cgroup_limit_bytes = host_limit[vm_index(d, v)];
}

static int fake_balloon(struct blimpd *d, struct daemon_vm *v, uint64_t target, const char *reason)
{
	(void)d;
	(void)reason;
	v->applied_target_bytes = target;
	return 0;
}

static void fake_cgroup(struct blimpd *d, struct daemon_vm *v, const struct policy_action *a)
{
	host_limit[vm_index(d, v)] = a->bytes ? a->bytes : UINT64_MAX;
}

static void fake_ksm(struct blimpd *d, const struct host_plan *hp)
{
	(void)d;
	(void)hp;
}

static const struct daemon_act_ops fake_ops = {
    .observe = fake_observe, .balloon = fake_balloon, .cgroup = fake_cgroup, .ksm = fake_ksm};

/* vm0, vm1: no balloon driver, a working set near MEMSZ: only a cgroup limit (host
 * swap) takes memory back. vm2, vm3: balloons, working sets that come and go. */
static void fleet_make(struct sim_fleet *f)
{
	sim_fleet_init(f);
	for (int i = 0; i < NVM; i++) {
		struct sim_vm_spec v;
		sim_vm_spec_default(&v, 2 * GIB);
		snprintf(v.name, sizeof(v.name), "vm%d", i);
		v.boot_ms = 0;
		v.balloon = i >= 2;
		v.cache_cap_bytes = 0;
		if (i < 2) {
			assert_int_equal(sim_trace_add(&v.ws, 0, 1800 * MIB), 0);
		} else {
			v.ws.period_ms = 120000;
			assert_int_equal(sim_trace_add(&v.ws, 0, 300 * MIB), 0);
			assert_int_equal(sim_trace_add(&v.ws, 30000 * (uint64_t)i, 1200 * MIB), 0);
			assert_int_equal(sim_trace_add(&v.ws, 30000 * (uint64_t)i + 20000, 300 * MIB),
					 0);
		}
		assert_int_equal(sim_fleet_add(f, &v), 0);
	}
}

static void test_agree(void **state)
{
	(void)state;
	struct sim_fleet f;
	fleet_make(&f);
	struct sim_config c;
	sim_config_default(&c);
	c.host_mem_bytes = 5 * GIB;
	c.host_swap = true;
	c.balance_ms = 1000;
	c.step_ms = 1000;
	c.duration_ms = 300000;
	struct sim *s = NULL;
	char err[256];
	if (sim_new(&c, &f, &s, err, sizeof(err)))
		fail_msg("sim_new: %s", err);

	struct blimpd *d = calloc(1, sizeof(*d));
	assert_non_null(d);
	config_default(&d->cfg);
	d->cfg.policy = *sim_policy_settings(s);
	d->cfg.manage_cgroups = true;
	d->pstate = policy_state_new();
	d->vms = calloc(NVM, sizeof(*d->vms));
	assert_non_null(d->pstate);
	assert_non_null(d->vms);
	d->n_vms = d->cap_vms = NVM;
	d->ops = &fake_ops;
	for (int i = 0; i < NVM; i++) {
		d->vms[i].active = true;
		d->vms[i].pid = 100 + i;
		d->vms[i].memsz_bytes = d->vms[i].current_bytes = 2 * GIB;
		host_limit[i] = UINT64_MAX;
	}

	unsigned passes = 0, changes = 0, stepped = 0;
	uint64_t prev[NVM];
	for (int i = 0; i < NVM; i++)
		prev[i] = UINT64_MAX;
	for (uint64_t t = c.balance_ms; t <= c.duration_ms; t += c.balance_ms) {
		if (sim_advance(s, t, err, sizeof(err)))
			fail_msg("sim_advance: %s", err);
		const struct snapshot *snap = sim_last_snapshot(s);
		const struct plan *plan = sim_last_plan(s);
		const struct policy_applied *sim_ap = sim_last_applied(s);
		assert_non_null(plan);
		assert_int_equal(snap->n_vms, NVM);
		/* The daemon's gather, from the same snapshot. */
		d->host = snap->host;
		for (int i = 0; i < NVM; i++) {
			assert_true(snap->vms[i].running);
			d->vms[i].snap = snap->vms[i];
		}
		daemon_balance(d, t);
		passes++;
		for (int i = 0; i < NVM; i++) {
			const struct daemon_vm *v = &d->vms[i];
			/* The same plan ... */
			assert_int_equal(v->plan.cgroup_limit_bytes, plan->vms[i].cgroup_limit_bytes);
			assert_int_equal(v->plan.target_bytes, plan->vms[i].target_bytes);
			/* ... the same limits and balloon targets in force. */
			if (host_limit[i] != sim_ap[i].cgroup_limit_bytes)
				fail_msg("t=%llu ms vm%d: daemon limit %llu, simulator %llu",
					 (unsigned long long)t, i,
					 (unsigned long long)host_limit[i],
					 (unsigned long long)sim_ap[i].cgroup_limit_bytes);
			uint64_t bd = v->applied_target_bytes ? v->applied_target_bytes
							      : v->current_bytes;
			assert_int_equal(bd, sim_ap[i].balloon_bytes);
			if (host_limit[i] != prev[i]) {
				changes++;
				uint64_t goal = plan->vms[i].cgroup_limit_bytes;
				stepped += goal && host_limit[i] != goal;
			}
			prev[i] = host_limit[i];
		}
	}
	print_message("%u passes, %u limit changes, %u of them steps short of the plan\n", passes,
		      changes, stepped);
	/* Not vacuous: limits moved, and the step-down (not the plan) set most of them. */
	assert_int_equal(passes, c.duration_ms / c.balance_ms);
	assert_true(changes >= 10);
	assert_true(stepped >= 5);

	policy_state_free(d->pstate);
	free(d->vms);
	free(d);
	sim_free(s);
	sim_fleet_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_agree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
