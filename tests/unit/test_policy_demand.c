/* Host-visible demand (policy/demand.c) and guests without deflate-on-OOM: the rules
 * that keep an operator's stock-XML domain from being shrunk while its use climbs. */
#include "test_policy_fleet.h"

/* Three 1 GiB VMs on a budget that leaves the host in low (free 0). */
static void low_fleet(struct fleet *f)
{
	fleet_init(f, 3, 1 * GIB, 1536 * MIB);
	for (size_t i = 0; i < 3; i++)
		f->vms[i].guest_available_bytes = 900 * MIB; /* idle: 124 MiB in use */
}

/* A VM whose CONSUMED climbs 100 MiB a second is never shrunk, in low, even though
 * its last report (4 s old, still fresh) says it is idle; the others are. */
static void test_rising_never_shrunk(void **state)
{
	(void)state;
	struct fleet f;
	low_fleet(&f);
	fleet_tick(&f);
	uint64_t t0[3];
	for (int i = 0; i < 3; i++)
		t0[i] = f.plans[i].target_bytes;
	for (int k = 0; k < 5; k++) {
		f.vms[0].consumed_bytes += 100 * MIB;
		f.vms[0].stats_age_ms = 4000; /* the same old report, every tick */
		fleet_tick(&f);
		assert_true(f.plans[0].target_bytes >= t0[0]);
		assert_int_equal(f.plans[0].reason, PLAN_REASON_GROWING);
		fleet_follow(&f);
	}
	assert_true(f.plans[1].target_bytes < t0[1]);
	assert_true(f.plans[2].target_bytes < t0[2]);
	/* once it stops rising and the hold is over, it is reclaimed like the others */
	f.vms[0].stats_age_ms = 500;
	for (int k = 0; k < 12; k++) {
		fleet_tick(&f);
		fleet_follow(&f);
	}
	assert_true(f.plans[0].target_bytes < t0[0]);
	fleet_free(&f);
}

/* A guest that reports every second and whose in-use stands still while CONSUMED
 * climbs is refilling its page cache: that is not demand, it is shrunk like the
 * others (t_sched_shares' fileread guests refill their cache after every inflate). */
static void test_cache_refill_not_rising(void **state)
{
	(void)state;
	struct fleet f;
	low_fleet(&f);
	fleet_tick(&f);
	uint64_t t0 = f.plans[0].target_bytes;
	for (int k = 0; k < 5; k++) {
		f.vms[0].consumed_bytes += 50 * MIB;
		fleet_tick(&f);
		assert_int_not_equal(f.plans[0].reason, PLAN_REASON_GROWING);
		fleet_follow(&f);
	}
	assert_true(f.plans[0].target_bytes < t0);
	fleet_free(&f);
}

/* The floor counts what CONSUMED grew since the guest's report was first seen: the
 * report says 124 MiB in use, then the host sees 300 MiB more touched (slowly: not
 * rising) before the host goes low and blimp shrinks on that same report. */
static void test_floor_bounded_by_host(void **state)
{
	(void)state;
	struct fleet f;
	low_fleet(&f);
	f.s.stale_after_ms = 60000;	 /* one report for the whole test */
	f.s.probe_step_permyriad = 5000; /* shrink straight to the desired target */
	f.s.budget_bytes = 8 * GIB;	 /* high: nothing is shrunk */
	for (int i = 1; i < 3; i++)	 /* busy neighbours: VM0's entitlement is small */
		f.vms[i].guest_available_bytes = 64 * MIB;
	f.vms[0].consumed_bytes = 200 * MIB;
	fleet_tick(&f);
	for (int k = 0; k < 20; k++) {
		f.vms[0].stats_age_ms += 1000;
		f.vms[0].consumed_bytes += 15 * MIB;
		fleet_tick(&f);
	}
	assert_int_equal(f.plans[0].target_bytes, 1 * GIB);
	f.s.budget_bytes = 1536 * MIB; /* low */
	f.vms[0].stats_age_ms += 1000;
	fleet_tick(&f);
	/* in-use 124 + margin 64 + 300 touched since the report */
	assert_true(f.plans[0].target_bytes < 1 * GIB);
	assert_true(f.plans[0].target_bytes >= 124 * MIB + 64 * MIB + 300 * MIB);
	fleet_free(&f);
}

/* A guest reporting every 5 s is shrunk at most once per report. */
static void test_one_shrink_per_report(void **state)
{
	(void)state;
	struct fleet f;
	low_fleet(&f);
	f.s.probe_scale_by_state = false;
	unsigned shrinks = 0, reports = 0;
	uint64_t prev = 1 * GIB;
	for (int k = 0; k < 30; k++) {
		for (int i = 0; i < 3; i++)
			f.vms[i].stats_age_ms = (uint64_t)(k % 5) * 1000;
		reports += k % 5 == 0;
		fleet_tick(&f);
		if (f.plans[0].target_bytes < prev)
			shrinks++;
		prev = f.plans[0].target_bytes;
		fleet_follow(&f);
	}
	assert_true(shrinks > 0);
	assert_true(shrinks <= reports);
	fleet_free(&f);
}

/* Without deflate-on-OOM (and no maxmemctl of its own) a guest keeps 75% of MEMSZ
 * whatever the host's need; with it, the balloon may take 65%. */
static void test_nodeflate_keeps_room(void **state)
{
	(void)state;
	struct fleet f;
	low_fleet(&f);
	f.vms[0].no_deflate_on_oom = true;
	f.vms[2].no_deflate_on_oom = true;
	f.vms[2].settings.maxmemctl_bytes = 800 * MIB; /* the operator's own choice wins */
	for (int k = 0; k < 200; k++) {
		fleet_tick(&f);
		fleet_follow(&f);
	}
	uint64_t keep = 1 * GIB - policy_vm_maxmemctl(&f.s, &f.vms[0]);
	assert_int_equal(keep, 1 * GIB - 1 * GIB * 2500 / 10000);
	assert_true(f.plans[0].target_bytes >= keep);
	assert_int_equal(f.plans[0].reason, PLAN_REASON_MAXMEMCTL);
	assert_true(f.plans[1].target_bytes < keep); /* deflate-on-OOM: down to its floor */
	assert_true(f.plans[2].target_bytes < keep);
	fleet_free(&f);
}

/* A stale report with the host seeing the guest touch all it holds: granted free
 * memory (it cannot say so itself), never shrunk. */
static void test_stale_rising_granted(void **state)
{
	(void)state;
	struct fleet f;
	fleet_init(&f, 2, 1 * GIB, 4 * GIB); /* plenty free */
	f.vms[0].balloon_actual_bytes = 512 * MIB;
	f.vms[0].guest_total_bytes = 512 * MIB;
	f.vms[0].guest_available_bytes = 400 * MIB;
	f.vms[0].consumed_bytes = 300 * MIB;
	f.vms[0].stats_age_ms = 9000; /* stale from the start: the target is kept */
	fleet_tick(&f);
	assert_int_equal(f.plans[0].target_bytes, 512 * MIB);
	f.vms[0].consumed_bytes = 510 * MIB;
	fleet_tick(&f);
	assert_true(f.plans[0].target_bytes > 512 * MIB);
	assert_int_equal(f.plans[0].reason, PLAN_REASON_GRANT);
	fleet_free(&f);
}

/* Host low, no room above minFree: a guest without deflate-on-OOM whose use climbs
 * toward what it holds is deflated by what it needs all the same (blimp does what its
 * missing deflate-on-OOM would); one with deflate-on-OOM waits for room. */
static void test_nodeflate_granted_in_low(void **state)
{
	(void)state;
	for (int nd = 0; nd < 2; nd++) {
		struct fleet f;
		low_fleet(&f);
		for (int i = 0; i < 3; i++) {
			f.vms[i].guest_available_bytes = 524 * MIB; /* 500 MiB in use */
			f.vms[i].consumed_bytes = 505 * MIB; /* 21 MiB free: hard */
			f.vms[i].no_deflate_on_oom = nd;
		}
		fleet_tick(&f);
		/* ballooned to 700 MiB since (MemTotal with it, as without deflate-on-OOM) */
		f.vms[0].balloon_actual_bytes = f.vms[0].guest_total_bytes = 700 * MIB;
		f.vms[0].guest_available_bytes = 200 * MIB;
		f.vms[0].stats_age_ms = 0;
		fleet_tick(&f);
		f.vms[0].consumed_bytes += 150 * MIB; /* 150 MiB/s: ~300 MiB more in 2 s */
		f.vms[0].stats_age_ms = 3000;	      /* the report from before the climb */
		fleet_tick(&f);
		assert_int_equal(f.plan.host.state, HOST_STATE_LOW);
		/* floor 500 + 64 + 150 touched since the report; ahead: + 300 */
		if (nd) {
			assert_int_equal(f.plans[0].reason, PLAN_REASON_GRANT);
			assert_true(f.plans[0].target_bytes >= 1000 * MIB);
		} else {
			assert_true(f.plans[0].target_bytes < 1000 * MIB);
		}
		fleet_free(&f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rising_never_shrunk),
	    cmocka_unit_test(test_floor_bounded_by_host),
	    cmocka_unit_test(test_cache_refill_not_rising),
	    cmocka_unit_test(test_one_shrink_per_report),
	    cmocka_unit_test(test_nodeflate_keeps_room),
	    cmocka_unit_test(test_stale_rising_granted),
	    cmocka_unit_test(test_nodeflate_granted_in_low),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
