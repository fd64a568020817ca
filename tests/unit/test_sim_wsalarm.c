/* The "working sets exceed the budget" alarm in the simulator (the held-out runs'
 * case: 3 x 512 MiB VMs whose working sets do not fit 1 GiB), and the baselines'
 * settings reaching the simulated policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sim/sim.h"

#define MIB MODEL_MIB
#define GIB MODEL_GIB

static void fleet3(struct sim_fleet *f, uint64_t ws)
{
	sim_fleet_init(f);
	for (int i = 0; i < 3; i++) {
		struct sim_vm_spec v;
		sim_vm_spec_default(&v, 512 * MIB);
		snprintf(v.name, sizeof(v.name), "ws%d", i);
		assert_int_equal(sim_trace_add(&v.ws, 0, 0), 0);
		assert_int_equal(sim_trace_add(&v.ws, 60000 + 20000 * (uint64_t)i, 0), 0);
		assert_int_equal(sim_trace_add(&v.ws, 70000 + 20000 * (uint64_t)i, ws), 0);
		assert_int_equal(sim_fleet_add(f, &v), 0);
	}
}

static void run(const struct sim_fleet *f, enum policy_kind k, bool host_swap, uint32_t pve,
		struct sim_result *r)
{
	struct sim_config c;
	sim_config_default(&c);
	c.policy = k;
	c.host_mem_bytes = 1 * GIB;
	c.balance_ms = 1000;
	c.step_ms = 1000;
	c.duration_ms = 240000;
	c.host_swap = host_swap;
	c.proxmox_target_percent = pve;
	c.check = true;
	char err[256];
	if (sim_run(&c, f, r, err, sizeof(err)))
		fail_msg("sim_run: %s", err);
}

static void test_alarm_without_host_swap(void **state)
{
	(void)state;
	struct sim_fleet f;
	fleet3(&f, 400 * MIB);
	struct sim_result r;
	run(&f, POLICY_BLIMP, false, 80, &r);
	/* the three working sets alone are 1200 MiB of a 1024 MiB budget */
	assert_true(r.ws_shortfall_ms >= 60000);
	assert_true(r.ws_shortfall_peak_bytes >= 150 * MIB);
	run(&f, POLICY_BLIMP, true, 80, &r);
	assert_int_equal(r.ws_shortfall_ms, 0);
	assert_int_equal(r.ws_shortfall_peak_bytes, 0);
	assert_true(r.host_swapped_peak_bytes > 0);
	sim_fleet_free(&f);

	/* working sets that fit: no alarm, with or without host swap */
	fleet3(&f, 200 * MIB);
	run(&f, POLICY_BLIMP, false, 80, &r);
	assert_int_equal(r.ws_shortfall_ms, 0);
	sim_fleet_free(&f);
}

/* proxmox_target_percent reaches the simulated pvestatd: at 95% it leaves the VMs
 * more memory than at 80% (CONSUMED is the memory saved's complement). */
static void test_proxmox_target_in_sim(void **state)
{
	(void)state;
	struct sim_fleet f;
	fleet3(&f, 150 * MIB);
	struct sim_result r80, r95;
	run(&f, POLICY_PROXMOX, false, 80, &r80);
	run(&f, POLICY_PROXMOX, false, 95, &r95);
	assert_true(r80.saved_mean_bytes > r95.saved_mean_bytes + 50 * MIB);
	sim_fleet_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alarm_without_host_swap),
	    cmocka_unit_test(test_proxmox_target_in_sim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
