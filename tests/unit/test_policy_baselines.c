/* Baselines: static, Proxmox auto-ballooning, oVirt MOM balloon rules. */
#include "test_policy_fleet.h"

static void set_used(struct fleet *f, uint64_t used)
{
	size_t n = f->snap.n_vms;
	for (size_t i = 0; i < n; i++)
		f->vms[i].consumed_bytes = used / n;
	f->vms[0].consumed_bytes += used % n;
}

static void test_static(void **state)
{
	(void)state;
	struct fleet f;
	fleet_init(&f, 2, 4 * GIB, 6 * GIB);
	f.s.kind = POLICY_STATIC;
	set_used(&f, 6 * GIB);
	f.vms[0].balloon_actual_bytes = 2 * GIB;
	f.vms[1].settings.limit_bytes = 3 * GIB;
	for (int t = 0; t < 20; t++) {
		fleet_tick(&f);
		assert_int_equal(f.plan.host.state, HOST_STATE_LOW);
		assert_int_equal(f.plans[0].target_bytes, 4 * GIB);
		assert_int_equal(f.plans[1].target_bytes, 3 * GIB);
		assert_int_equal(f.plans[0].reason, PLAN_REASON_BASELINE);
		assert_false(f.plan.host.ksm_run);
		assert_int_equal(f.plan.host.ksm_pages_to_scan, 0);
		assert_int_equal(f.plans[0].swtgt_bytes, 0);
		assert_int_equal(f.plans[0].cgroup_limit_bytes, 0);
	}
	fleet_free(&f);
}

/* Proxmox: used above 80% of the budget shrinks every ballooned VM by at most
 * 100 MiB per 10 s round. */
static void test_proxmox_shrink_100m_per_round(void **state)
{
	(void)state;
	struct fleet f;
	fleet_init(&f, 2, 4 * GIB, 8 * GIB);
	f.s.kind = POLICY_PROXMOX;
	set_used(&f, 7 * GIB + 600 * MIB); /* goal = 6.4 GiB - used = -1.2 GiB */
	fleet_tick(&f);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(f.plans[i].target_bytes, 4 * GIB - 100 * MIB);
		assert_int_equal(f.plans[i].reason, PLAN_REASON_BASELINE);
		assert_int_equal(f.plans[i].cgroup_limit_bytes, 0);
	}
	fleet_follow(&f);
	for (int t = 1; t < 10; t++) { /* same round: nothing new */
		fleet_tick(&f);
		assert_int_equal(f.plans[0].target_bytes, 4 * GIB - 100 * MIB);
	}
	fleet_tick(&f); /* 10 s later: next step */
	assert_int_equal(f.plans[0].target_bytes, 4 * GIB - 200 * MIB);
	assert_int_equal(f.plans[1].target_bytes, 4 * GIB - 200 * MIB);
	/* Blimp's KSM table still runs under the baselines. */
	assert_true(f.plan.host.ksm_run);
	fleet_free(&f);
}

static void test_proxmox_shares_and_deadband(void **state)
{
	(void)state;
	struct fleet f;
	/* Equal shares, goal -150 MiB: 75 MiB each. */
	fleet_init(&f, 2, 4 * GIB, 8 * GIB);
	f.s.kind = POLICY_PROXMOX;
	uint64_t target80 = 8 * GIB / 10 * 8; /* 80% of the budget */
	set_used(&f, target80 + 150 * MIB);
	fleet_tick(&f);
	/* goal = int(8589934592 x 80 / 100 - used) = int(-157286398.4): Perl truncates */
	assert_int_equal(f.plans[0].target_bytes + f.plans[1].target_bytes, 8 * GIB - 157286398);
	assert_true(f.plans[0].target_bytes >= 4 * GIB - 75 * MIB - 1);
	assert_true(f.plans[0].target_bytes <= 4 * GIB - 75 * MIB + 1);
	fleet_free(&f);

	/* 2:1 shares, same goal: the VM with more shares wants to keep more, so the
	 * VM with fewer shares gives it all (capped at 100 MiB). */
	fleet_init(&f, 2, 4 * GIB, 8 * GIB);
	f.s.kind = POLICY_PROXMOX;
	f.vms[0].settings.shares = 2000;
	f.vms[1].settings.shares = 1000;
	set_used(&f, target80 + 150 * MIB);
	fleet_tick(&f);
	assert_int_equal(f.plans[0].target_bytes, 4 * GIB);
	assert_int_equal(f.plans[1].target_bytes, 4 * GIB - 100 * MIB);
	fleet_free(&f);

	/* Within 10 MiB of the goal: nothing. */
	fleet_init(&f, 2, 4 * GIB, 8 * GIB);
	f.s.kind = POLICY_PROXMOX;
	f.vms[0].balloon_actual_bytes = 3 * GIB;
	set_used(&f, target80 + 9 * MIB);
	fleet_tick(&f);
	assert_int_equal(f.plans[0].target_bytes, 3 * GIB);
	assert_int_equal(f.plans[1].target_bytes, 4 * GIB);
	fleet_free(&f);
}

static void test_proxmox_grow_and_min(void **state)
{
	(void)state;
	struct fleet f;
	fleet_init(&f, 3, 4 * GIB, 16 * GIB);
	f.s.kind = POLICY_PROXMOX;
	for (int i = 0; i < 3; i++)
		f.vms[i].balloon_actual_bytes = 3 * GIB;
	f.vms[2].mctl = false; /* no balloon driver: never touched */
	set_used(&f, 4 * GIB);
	fleet_tick(&f);
	assert_int_equal(f.plans[0].target_bytes, 3 * GIB + 100 * MIB);
	assert_int_equal(f.plans[1].target_bytes, 3 * GIB + 100 * MIB);
	assert_int_equal(f.plans[2].target_bytes, 3 * GIB);
	fleet_free(&f);

	/* Never below the VM's minimum (its reservation when set). */
	fleet_init(&f, 2, 4 * GIB, 8 * GIB);
	f.s.kind = POLICY_PROXMOX;
	f.vms[0].settings.reservation_bytes = 3 * GIB + 950 * MIB;
	f.vms[1].settings.reservation_bytes = 3 * GIB + 950 * MIB;
	set_used(&f, 8 * GIB);
	fleet_tick(&f);
	assert_int_equal(f.plans[0].target_bytes, 3 * GIB + 950 * MIB);
	assert_int_equal(f.plans[1].target_bytes, 3 * GIB + 950 * MIB);
	fleet_free(&f);

	/* A VM whose share-proportional size is above its current one is not shrunk:
	 * the other gives (Proxmox splits the memory above the minimums by shares). */
	fleet_init(&f, 2, 4 * GIB, 8 * GIB);
	f.s.kind = POLICY_PROXMOX;
	f.vms[0].settings.reservation_bytes = 3 * GIB + 950 * MIB;
	set_used(&f, 8 * GIB);
	fleet_tick(&f);
	assert_int_equal(f.plans[0].target_bytes, 4 * GIB);
	assert_int_equal(f.plans[1].target_bytes, 4 * GIB - 100 * MIB);
	fleet_free(&f);
}

/* MOM: host free below 20% shrinks each guest by 5% of its memory unless that would
 * leave it less free memory than host_free% of its size. */
static void test_mom_shrink(void **state)
{
	(void)state;
	struct fleet f;
	fleet_init(&f, 3, 4 * GIB, 10 * GIB);
	f.s.kind = POLICY_MOM;
	set_used(&f, 9 * GIB);		       /* host free 10% */
	f.vms[0].guest_free_bytes = 2 * GIB;   /* used 2G, floor 2.4G: 5% step */
	f.vms[1].guest_free_bytes = 200 * MIB; /* used 3.8G, floor 4.2G: no shrink */
	f.vms[2].guest_free_bytes = 500 * MIB; /* used 3.5G, floor 3.9G: to the floor */
	fleet_tick(&f);
	assert_int_equal(f.plans[0].target_bytes,
			 4 * GIB / 10000 * 9500 + 4 * GIB % 10000 * 9500 / 10000);
	assert_int_equal(f.plans[0].reason, PLAN_REASON_BASELINE);
	assert_int_equal(f.plans[1].target_bytes, 4 * GIB);
	uint64_t floor2 = 4 * GIB - 500 * MIB + 4 * GIB / 10;
	assert_true(f.plans[2].target_bytes >= floor2 - 1 && f.plans[2].target_bytes <= floor2 + 1);
	/* Same round: nothing more. */
	fleet_follow(&f);
	fleet_tick(&f);
	assert_true(f.plans[0].target_bytes > 3 * GIB + 700 * MIB);
	fleet_free(&f);

	/* Critical (host free <= 5%): the guest's free target goes negative. */
	fleet_init(&f, 1, 4 * GIB, 10000 * MIB);
	f.s.kind = POLICY_MOM;
	set_used(&f, 9600 * MIB);	       /* host free 4%: guest free% = -1% */
	f.vms[0].guest_free_bytes = 100 * MIB; /* used 3.9G: floor = 3.9G - 1% of 4G */
	fleet_tick(&f);
	uint64_t floor = 4 * GIB - 100 * MIB - 4 * GIB / 100;
	assert_true(f.plans[0].target_bytes >= floor - 1 && f.plans[0].target_bytes <= floor + 1);
	fleet_free(&f);
}

static void test_mom_grow_and_rules(void **state)
{
	(void)state;
	struct fleet f;
	fleet_init(&f, 4, 4 * GIB, 20 * GIB);
	f.s.kind = POLICY_MOM;
	set_used(&f, 10 * GIB); /* host free 50%: grow, guest free% = 50% */
	f.vms[0].balloon_actual_bytes = 3 * GIB;
	f.vms[0].guest_free_bytes = 2 * GIB;		     /* used 1G, floor 2.5G < 3.15G */
	f.vms[1].balloon_actual_bytes = 4 * GIB - 100 * MIB; /* +5% passes MEMSZ: capped */
	f.vms[2].balloon_actual_bytes = 4 * GIB - 5 * MIB;   /* change below 0.25%: skipped */
	f.vms[3].balloon_actual_bytes = 2 * GIB;
	f.vms[3].settings.reservation_bytes = 3 * GIB + 512 * MIB; /* QoS: to the minimum */
	f.vms[3].guest_free_bytes = 2 * GIB;
	fleet_tick(&f);
	uint64_t g0 = 3 * GIB + 3 * GIB / 20;
	assert_true(f.plans[0].target_bytes >= g0 - 1 && f.plans[0].target_bytes <= g0 + 1);
	assert_int_equal(f.plans[1].target_bytes, 4 * GIB);
	assert_int_equal(f.plans[2].target_bytes, 4 * GIB - 5 * MIB);
	assert_int_equal(f.plans[3].target_bytes, 3 * GIB + 512 * MIB);
	fleet_free(&f);

	/* Stale stats: MOM leaves the guest alone. */
	fleet_init(&f, 1, 4 * GIB, 10 * GIB);
	f.s.kind = POLICY_MOM;
	set_used(&f, 9 * GIB);
	f.vms[0].stats_age_ms = MODEL_AGE_NEVER;
	fleet_tick(&f);
	assert_int_equal(f.plans[0].target_bytes, 4 * GIB);
	fleet_free(&f);
}

/* Every kind honours reservation, limit and MCTLMAX. */
static void test_baselines_safety_clamps(void **state)
{
	(void)state;
	for (int k = POLICY_STATIC; k < POLICY__COUNT; k++) {
		struct fleet f;
		fleet_init(&f, 2, 4 * GIB, 4 * GIB);
		f.s.kind = (enum policy_kind)k;
		set_used(&f, 4 * GIB);
		f.vms[0].settings.maxmemctl_bytes = 150 * MIB;
		f.vms[0].guest_free_bytes = 4 * GIB;
		f.vms[1].settings.limit_bytes = 2 * GIB;
		for (int t = 0; t < 100; t++) {
			fleet_tick(&f);
			fleet_follow(&f);
			assert_true(f.plans[0].mctltgt_bytes <= 150 * MIB);
			assert_true(f.plans[1].target_bytes <= 2 * GIB);
		}
		fleet_free(&f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_static),
	    cmocka_unit_test(test_proxmox_shrink_100m_per_round),
	    cmocka_unit_test(test_proxmox_shares_and_deadband),
	    cmocka_unit_test(test_proxmox_grow_and_min),
	    cmocka_unit_test(test_mom_shrink),
	    cmocka_unit_test(test_mom_grow_and_rules),
	    cmocka_unit_test(test_baselines_safety_clamps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
