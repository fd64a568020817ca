/*
 * The baselines as their users configure them, against fixtures computed by hand
 * from the upstream rules (docs/policy.md cites each file and line):
 *   - Proxmox: pvestatd.pm auto_ballooning's goal = int(memtotal * target / 100 -
 *     memused) with the node option ballooning-target; AutoBalloon.pm compute_alg1.
 *   - MOM as VDSM ships it: 15 s rounds (mom.conf.in), StatAvg over the last 10
 *     samples (MOM Entity.py, Monitor.py) in 02-balloon.policy.
 *   - ksmtuned's KSM rule (Debian ksmtuned 4.20150326, /usr/sbin/ksmtuned adjust()).
 *   - The "working sets exceed the budget" alarm.
 */
#include "test_policy_fleet.h"

static void set_used(struct fleet *f, uint64_t used)
{
	size_t n = f->snap.n_vms;
	for (size_t i = 0; i < n; i++)
		f->vms[i].consumed_bytes = used / n;
	f->vms[0].consumed_bytes += used % n;
}

static void run_at(struct fleet *f, uint64_t t_ms)
{
	f->now_ms = t_ms;
	f->snap.taken_ms = t_ms;
	assert_int_equal(policy_run(&f->s, f->st, &f->snap, t_ms, &f->plan), 0);
}

static void assert_near(uint64_t got, uint64_t want)
{
	if (got + 1 < want || got > want + 1)
		fail_msg("got %llu, want %llu (+-1)", (unsigned long long)got,
			 (unsigned long long)want);
}

/* Two 4 GiB VMs at 3.5 GiB each, 7 GiB used of 8 GiB (87.5%). min = MEMSZ - MCTLMAX
 * = 35% of 4 GiB; both are "comfy" (1 GiB free > min / 4), so compute_alg1 splits the
 * goal over all of them by shares (1000 each), capped at 100 MiB per round. */
static void pve_fleet(struct fleet *f, uint32_t target)
{
	fleet_init(f, 2, 4 * GIB, 8 * GIB);
	f->s.kind = POLICY_PROXMOX;
	f->s.proxmox_target_percent = target;
	for (int i = 0; i < 2; i++)
		f->vms[i].balloon_actual_bytes = 3 * GIB + 512 * MIB;
	set_used(f, 7 * GIB);
}

static void test_proxmox_target(void **state)
{
	(void)state;
	struct fleet f;
	const uint64_t cur = 3 * GIB + 512 * MIB;
	/* 80 (pvestatd's default): goal = 0.8 x 8 GiB - 7 GiB = -614.4 MiB: each gives its
	 * 100 MiB maximum. */
	pve_fleet(&f, 80);
	run_at(&f, 1000000);
	for (int i = 0; i < 2; i++)
		assert_int_equal(f.plans[i].target_bytes, cur - 100 * MIB);
	fleet_free(&f);
	/* 88: goal = int(8589934592 x 88 / 100 - 7516192768) = int(42949672.96) = 42949672:
	 * half each, 21474836, to grow. */
	pve_fleet(&f, 88);
	run_at(&f, 1000000);
	for (int i = 0; i < 2; i++)
		assert_int_equal(f.plans[i].target_bytes, cur + 21474836);
	fleet_free(&f);
	/* 87: goal = int(7473243095.04 - 7516192768) = int(-42949672.96) = -42949672 (Perl's
	 * int truncates toward zero): 21474836 each, to shrink. */
	pve_fleet(&f, 87);
	run_at(&f, 1000000);
	for (int i = 0; i < 2; i++)
		assert_int_equal(f.plans[i].target_bytes, cur - 21474836);
	fleet_free(&f);
	/* 95: goal = +614.4 MiB: each grows by its 100 MiB maximum. */
	pve_fleet(&f, 95);
	run_at(&f, 1000000);
	for (int i = 0; i < 2; i++)
		assert_int_equal(f.plans[i].target_bytes, cur + 100 * MIB);
	fleet_free(&f);
	/* 100 of 8 GiB, used 8 GiB - 5 MiB: |goal| <= 10 MiB, nothing moves. */
	pve_fleet(&f, 100);
	set_used(&f, 8 * GIB - 5 * MIB);
	run_at(&f, 1000000);
	for (int i = 0; i < 2; i++)
		assert_int_equal(f.plans[i].target_bytes, cur);
	fleet_free(&f);
}

/* MOM, one 4 GiB guest on 10 GiB, host used 9 GiB (free 10%: shrink, guest free% =
 * 0.20 x 0.10 / 0.20 = 10%). Round 1 at t0: StatAvg of one sample = the sample:
 * used = 4 GiB - 2 GiB, floor = 2 GiB + 10% x 4 GiB; size = max(95% x 4 GiB, floor)
 * = 4080218931. Round 2, 15 s later: balloon there, the guest's free fell to
 * 200 MiB (its working set grew). Current sample only: used = 4080218931 - 209715200,
 * floor = used + 408021893 = 4278525624 > cur: no shrink. MOM's StatAvg over the two
 * rows: balloon_cur (4294967296 + 4080218931) / 2 = 4187593113, mem_unused (2 GiB +
 * 200 MiB) / 2 = 1178599424, used = 3008993689, floor = 3417015582 < 95% x cur =
 * 3876207984: shrunk to 3876207984. */
static void test_mom_statavg(void **state)
{
	(void)state;
	struct fleet f;
	const uint64_t t0 = 1000000;
	fleet_init(&f, 2, 4 * GIB, 10 * GIB);
	f.s.kind = POLICY_MOM;
	set_used(&f, 9 * GIB);
	f.vms[0].guest_free_bytes = 2 * GIB;
	f.vms[1].mctl = false; /* no balloon: ballooning not enabled, left alone */
	f.vms[1].guest_free_bytes = 3 * GIB;
	run_at(&f, t0);
	assert_near(f.plans[0].target_bytes, 4080218931ULL);
	assert_int_equal(f.plans[1].target_bytes, 4 * GIB);
	/* 10 s later: still the same round (VDSM's 15 s policy-engine-interval) */
	f.vms[0].balloon_actual_bytes = f.plans[0].target_bytes;
	f.vms[0].guest_free_bytes = 200 * MIB;
	run_at(&f, t0 + 10000);
	assert_near(f.plans[0].target_bytes, 4080218931ULL);
	run_at(&f, t0 + 15000);
	assert_near(f.plans[0].target_bytes, 3876207984ULL);
	assert_int_equal(f.plans[1].target_bytes, 4 * GIB);

	/* Round 3: host used falls to 7.5 GiB (free 25%: the current sample says grow).
	 * StatAvg(mem_free) = (1 + 1 + 2.5) / 3 GiB = 15% of 10 GiB < 20%: still shrink,
	 * by at most 5%: max(95% x cur, floor) with cur = 3876207984, used =
	 * avg(4294967296, 4080218931, 3876207984) - avg(2 GiB, 200 MiB, 1 GiB) =
	 * 4083798070 - 1143646890 = 2940151180, guest free% = 0.2 x 0.15 / 0.2 = 15%,
	 * floor = 2940151180 + 581431197 = 3521582377 < 3682397584 = 95% x cur. */
	f.vms[0].balloon_actual_bytes = f.plans[0].target_bytes;
	f.vms[0].guest_free_bytes = 1 * GIB;
	set_used(&f, 7 * GIB + 512 * MIB);
	f.vms[0].consumed_bytes += f.vms[1].consumed_bytes; /* all of it in the guest */
	f.vms[1].consumed_bytes = 0;
	run_at(&f, t0 + 30000);
	assert_near(f.plans[0].target_bytes, 3682397584ULL);
	fleet_free(&f);
}

/* The same first two rounds with the current sample in place of StatAvg: what the
 * baseline did before (history of one). Shown by a fresh state per round. */
static void test_mom_current_sample_differs(void **state)
{
	(void)state;
	struct fleet f;
	fleet_init(&f, 1, 4 * GIB, 10 * GIB);
	f.s.kind = POLICY_MOM;
	set_used(&f, 9 * GIB);
	f.vms[0].balloon_actual_bytes = 4080218931ULL;
	f.vms[0].guest_free_bytes = 200 * MIB;
	run_at(&f, 1000000);
	/* one row: floor 4278525624 > cur, no shrink (the target stays at the balloon) */
	assert_int_equal(f.plans[0].target_bytes, 4080218931ULL);
	fleet_free(&f);
}

/* ksmtuned on an 8 GiB budget: thres = 20% = 1717986918 B (> 2048 KiB), sleep =
 * 10 x 16 GiB / 8 GiB = 20 ms. It adjusts every 60 s after a first 60 s sleep. */
static void test_ksmtuned(void **state)
{
	(void)state;
	struct fleet f;
	const uint64_t t0 = 1000000;
	fleet_init(&f, 2, 4 * GIB, 8 * GIB);
	f.s.kind = POLICY_PROXMOX;
	f.s.ksm_policy = POLICY_KSM_KSMTUNED;
	set_used(&f, 7 * GIB); /* free 1 GiB < thres: boost */
	run_at(&f, t0);
	assert_false(f.plan.host.ksm_run); /* still in its first sleep */
	run_at(&f, t0 + 59000);
	assert_false(f.plan.host.ksm_run);
	const uint32_t want[] = {300, 600, 900, 1200, 1250, 1250}; /* +300, max 1250 */
	for (int k = 0; k < 6; k++) {
		run_at(&f, t0 + 60000 * (uint64_t)(k + 1));
		assert_true(f.plan.host.ksm_run);
		assert_int_equal(f.plan.host.ksm_pages_to_scan, want[k]);
		assert_int_equal(f.plan.host.ksm_sleep_ms, 20);
		run_at(&f, t0 + 60000 * (uint64_t)(k + 1) + 30000); /* between: kept */
		assert_int_equal(f.plan.host.ksm_pages_to_scan, want[k]);
	}
	/* free 2 GiB > thres and committed + thres < total: stopped */
	set_used(&f, 6 * GIB);
	run_at(&f, t0 + 420000);
	assert_false(f.plan.host.ksm_run);
	assert_int_equal(f.plan.host.ksm_pages_to_scan, 0);
	/* short again: npages kept from before the stop, boosted, still capped */
	set_used(&f, 7 * GIB);
	run_at(&f, t0 + 480000);
	assert_true(f.plan.host.ksm_run);
	assert_int_equal(f.plan.host.ksm_pages_to_scan, 1250);
	fleet_free(&f);

	/* blimp's table is the default and ignores the 60 s cadence */
	fleet_init(&f, 2, 4 * GIB, 8 * GIB);
	f.s.kind = POLICY_MOM;
	set_used(&f, 7 * GIB);
	run_at(&f, t0);
	assert_true(f.plan.host.ksm_run);
	assert_int_equal(f.plan.host.ksm_pages_to_scan, f.s.ksm_pages_to_scan[f.plan.host.state]);
	fleet_free(&f);
}

/* 3 x 512 MiB guests with 430 MiB in use each on 1 GiB: 1290 MiB of working sets,
 * 266 MiB missing. */
static void ws_fleet(struct fleet *f, enum policy_kind k, uint64_t in_use)
{
	fleet_init(f, 3, 512 * MIB, 1 * GIB);
	f->s.kind = k;
	for (int i = 0; i < 3; i++) {
		f->vms[i].guest_total_bytes = 512 * MIB;
		f->vms[i].guest_available_bytes = 512 * MIB - in_use;
		f->vms[i].guest_free_bytes = 512 * MIB - in_use;
		f->vms[i].consumed_bytes = 340 * MIB;
	}
}

static void test_working_set_alarm(void **state)
{
	(void)state;
	struct fleet f;
	/* no host swap at all */
	ws_fleet(&f, POLICY_BLIMP, 430 * MIB);
	f.snap.host.swap_total_bytes = f.snap.host.swap_free_bytes = 0;
	run_at(&f, 1000000);
	assert_int_equal(f.plan.host.working_set_bytes, 3 * 430 * MIB);
	assert_int_equal(f.plan.host.working_set_shortfall_bytes, 3 * 430 * MIB - GIB);
	fleet_free(&f);
	/* host_swap off: the swap there is not blimp's to use */
	ws_fleet(&f, POLICY_BLIMP, 430 * MIB);
	f.s.host_swap = false;
	run_at(&f, 1000000);
	assert_int_equal(f.plan.host.working_set_shortfall_bytes, 3 * 430 * MIB - GIB);
	fleet_free(&f);
	/* with host swap that can hold the excess: no alarm */
	ws_fleet(&f, POLICY_BLIMP, 430 * MIB);
	run_at(&f, 1000000);
	assert_int_equal(f.plan.host.working_set_shortfall_bytes, 0);
	fleet_free(&f);
	/* ... too little swap: what it cannot hold */
	ws_fleet(&f, POLICY_BLIMP, 430 * MIB);
	f.snap.host.swap_free_bytes = 100 * MIB;
	run_at(&f, 1000000);
	assert_int_equal(f.plan.host.working_set_shortfall_bytes, 3 * 430 * MIB - GIB - 100 * MIB);
	fleet_free(&f);
	/* a baseline never uses host swap */
	ws_fleet(&f, POLICY_PROXMOX, 430 * MIB);
	run_at(&f, 1000000);
	assert_int_equal(f.plan.host.working_set_shortfall_bytes, 3 * 430 * MIB - GIB);
	fleet_free(&f);
	/* working sets that fit (or are over by less than 1% of the budget): none */
	ws_fleet(&f, POLICY_BLIMP, 300 * MIB);
	f.s.host_swap = false;
	run_at(&f, 1000000);
	assert_int_equal(f.plan.host.working_set_shortfall_bytes, 0);
	fleet_free(&f);
	ws_fleet(&f, POLICY_BLIMP, 344 * MIB); /* 1032 MiB: 8 MiB over, under 1% */
	f.s.host_swap = false;
	run_at(&f, 1000000);
	assert_int_equal(f.plan.host.working_set_shortfall_bytes, 0);
	fleet_free(&f);
	/* OVHD counts; a stale guest counts with its CONSUMED */
	ws_fleet(&f, POLICY_BLIMP, 300 * MIB);
	f.s.host_swap = false;
	f.vms[2].stats_age_ms = MODEL_AGE_NEVER;
	f.vms[2].consumed_bytes = 500 * MIB;
	for (int i = 0; i < 3; i++)
		f.vms[i].ovhd_bytes = 20 * MIB;
	run_at(&f, 1000000);
	assert_int_equal(f.plan.host.working_set_bytes, 1160 * MIB);
	assert_int_equal(f.plan.host.working_set_shortfall_bytes, 1160 * MIB - GIB);
	fleet_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_proxmox_target),
	    cmocka_unit_test(test_mom_statavg),
	    cmocka_unit_test(test_mom_current_sample_differs),
	    cmocka_unit_test(test_ksmtuned),
	    cmocka_unit_test(test_working_set_alarm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
