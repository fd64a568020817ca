/* blimp's per-VM rules through policy_run: stale, probe, back-off, floors, bounds,
 * hostile stats, host swap, the state map. */
#include "test_policy_fleet.h"

/* Two 4 GiB VMs on a 6 GiB budget with every byte consumed: state low. */
static void fleet_pressure(struct fleet *f)
{
	fleet_init(f, 2, 4 * GIB, 6 * GIB);
	f->vms[0].consumed_bytes = 3 * GIB;
	f->vms[1].consumed_bytes = 3 * GIB;
	f->s.probe_scale_by_state = false; /* these tests pin the base step */
}

/* Idle guest: 10% in use. */
static void vm_idle(struct vm_snapshot *v)
{
	v->guest_available_bytes = v->guest_total_bytes / 10 * 9;
}

static void test_stale_never_shrinks(void **state)
{
	(void)state;
	for (int variant = 0; variant < 4; variant++) {
		struct fleet f;
		fleet_pressure(&f);
		vm_idle(&f.vms[0]);
		vm_idle(&f.vms[1]);
		f.vms[0].balloon_actual_bytes = 3 * GIB;
		switch (variant) {
		case 0:
			f.vms[0].stats_age_ms = f.s.stale_after_ms + 1;
			break;
		case 1:
			f.vms[0].stats_age_ms = MODEL_AGE_NEVER;
			break;
		case 2:
			f.vms[0].mctl = false;
			break;
		case 3:
			f.vms[0].guest_total_bytes = 0;
			f.vms[0].guest_available_bytes = 0;
			break;
		}
		for (int t = 0; t < 200; t++) {
			fleet_tick(&f);
			assert_int_equal(f.plan.host.state, HOST_STATE_LOW);
			assert_int_equal(f.plans[0].target_bytes, 3 * GIB);
			assert_int_equal(f.plans[0].reason, PLAN_REASON_STALE);
			f.vms[1].balloon_actual_bytes = f.plans[1].target_bytes;
		}
		/* The fresh idle VM was ballooned meanwhile, down to its entitlement. */
		assert_int_equal(f.plans[1].target_bytes, f.plans[1].entitlement_bytes);
		assert_true(f.plans[1].target_bytes < 3 * GIB);
		/* Stats come back: from the kept target, shrinking is a probe again. */
		f.vms[0].stats_age_ms = 100;
		f.vms[0].mctl = true;
		f.vms[0].guest_total_bytes = 4 * GIB;
		vm_idle(&f.vms[0]);
		fleet_tick(&f);
		assert_int_equal(f.plans[0].reason, PLAN_REASON_PROBE);
		assert_int_equal(f.plans[0].target_bytes, 3 * GIB - 4 * GIB / 100);
		fleet_free(&f);
	}
}

static void test_new_vm_starts_at_balloon_actual(void **state)
{
	(void)state;
	struct fleet f;
	fleet_init(&f, 1, 4 * GIB, 16 * GIB);
	f.vms[0].balloon_actual_bytes = 3 * GIB;
	f.vms[0].stats_age_ms = MODEL_AGE_NEVER;
	fleet_tick(&f);
	assert_int_equal(f.plans[0].target_bytes, 3 * GIB);
	assert_int_equal(f.plans[0].mctltgt_bytes, 1 * GIB);
	assert_int_equal(f.plans[0].reason, PLAN_REASON_STALE);
	/* Stats arrive, plenty of memory: grows at once to MEMSZ. */
	f.vms[0].stats_age_ms = 0;
	fleet_tick(&f);
	assert_int_equal(f.plan.host.state, HOST_STATE_HIGH);
	assert_int_equal(f.plans[0].target_bytes, 4 * GIB);
	assert_int_equal(f.plans[0].entitlement_bytes, 4 * GIB);
	assert_int_equal(f.plans[0].reason, PLAN_REASON_NONE);
	fleet_free(&f);
}

static void test_probe_bounded_per_period(void **state)
{
	(void)state;
	struct fleet f;
	fleet_pressure(&f);
	vm_idle(&f.vms[0]);
	vm_idle(&f.vms[1]);
	uint64_t step = 4 * GIB / 100; /* 1% of MEMSZ */
	uint64_t prev = 4 * GIB;
	int probes = 0;
	for (int t = 0; t < 25; t++) { /* the entitlement is ~29 steps away */
		fleet_tick(&f);
		uint64_t tg = f.plans[0].target_bytes;
		assert_true(tg <= prev);
		assert_true(prev - tg <= step);
		probes += f.plans[0].reason == PLAN_REASON_PROBE;
		prev = tg;
		fleet_follow(&f);
	}
	assert_int_equal(probes, 25);
	assert_int_equal(prev, 4 * GIB - 25 * step);
	/* Called again at the same time: no further shrink. */
	f.now_ms -= f.s.balance_period_ms;
	fleet_tick(&f);
	assert_int_equal(f.plans[0].target_bytes, prev);
	/* Half a period later, with a report after the last shrink: half a step. */
	f.now_ms = f.now_ms - f.s.balance_period_ms + f.s.balance_period_ms / 2;
	f.vms[0].stats_age_ms = 0;
	fleet_tick(&f);
	assert_int_equal(f.plans[0].target_bytes, prev - step / 2);
	/* A long gap does not allow a big jump. */
	prev = f.plans[0].target_bytes;
	f.now_ms += 60000;
	fleet_tick(&f);
	assert_int_equal(f.plans[0].target_bytes, prev - step);
	fleet_free(&f);
}

/* The probe step grows with the host's need: x4 in hard, x16 in low. */
static void test_probe_scales_with_state(void **state)
{
	(void)state;
	struct fleet f;
	fleet_pressure(&f);
	f.s.probe_scale_by_state = true;
	vm_idle(&f.vms[0]);
	vm_idle(&f.vms[1]);
	uint64_t step = 4 * GIB / 100;
	fleet_tick(&f); /* first run: the state settles, targets start at actual */
	fleet_follow(&f);
	uint64_t prev = f.plans[0].target_bytes;
	fleet_tick(&f);
	enum host_state hs = f.plan.host.state;
	assert_true(hs >= HOST_STATE_HARD);
	assert_int_equal(policy_probe_multiplier(&f.s, hs), hs == HOST_STATE_HARD ? 4 : 16);
	uint64_t shrink = prev - f.plans[0].target_bytes;
	assert_true(shrink > step); /* more than soft's step... */
	assert_true(shrink <= step * policy_probe_multiplier(&f.s, hs)); /* ...within the bound */
	assert_int_equal(policy_probe_multiplier(&f.s, HOST_STATE_SOFT), 1);
	f.s.probe_scale_by_state = false;
	assert_int_equal(policy_probe_multiplier(&f.s, HOST_STATE_LOW), 1);
	fleet_free(&f);
}

static void test_fast_backoff_after_faults(void **state)
{
	(void)state;
	struct fleet f;
	fleet_pressure(&f);
	vm_idle(&f.vms[0]);
	vm_idle(&f.vms[1]);
	for (int t = 0; t < 20; t++) {
		fleet_tick(&f);
		fleet_follow(&f);
	}
	uint64_t before = f.plans[0].target_bytes;
	assert_true(before < 4 * GIB);
	/* 1000 major faults in one second. */
	f.vms[0].guest_major_faults += 1000;
	fleet_tick(&f);
	assert_int_equal(f.plans[0].reason, PLAN_REASON_BACKOFF);
	assert_true(f.plans[0].target_bytes >= before + 4 * GIB / 10);
	uint64_t raised = f.plans[0].target_bytes;
	fleet_follow(&f);
	/* Hold: no shrink for backoff_hold_ms although the faults stopped. */
	int held = 0;
	while (f.now_ms < 1000000 + 21 * 1000 + f.s.backoff_hold_ms - 1000) {
		fleet_tick(&f);
		fleet_follow(&f);
		assert_int_equal(f.plans[0].target_bytes, raised);
		held++;
	}
	assert_true(held >= (int)(f.s.backoff_hold_ms / f.s.balance_period_ms) - 2);
	for (int t = 0; t < 3; t++) {
		fleet_tick(&f);
		fleet_follow(&f);
	}
	assert_true(f.plans[0].target_bytes < raised);
	assert_int_equal(f.plans[0].reason, PLAN_REASON_PROBE);
	/* Swap-in also counts (512 KiB/s), and so does an OOM kill. */
	f.vms[0].guest_swap_in_bytes += 512 * 1024;
	fleet_tick(&f);
	assert_int_equal(f.plans[0].reason, PLAN_REASON_BACKOFF);
	f.vms[1].guest_oom_kills += 1;
	fleet_tick(&f);
	assert_int_equal(f.plans[1].reason, PLAN_REASON_BACKOFF);
	/* A few faults (below 64/s) are normal. */
	struct fleet g;
	fleet_pressure(&g);
	vm_idle(&g.vms[0]);
	for (int t = 0; t < 10; t++) {
		g.vms[0].guest_major_faults += 10;
		fleet_tick(&g);
		fleet_follow(&g);
		assert_int_not_equal(g.plans[0].reason, PLAN_REASON_BACKOFF);
	}
	fleet_free(&g);
	fleet_free(&f);
}

static void test_guest_floor(void **state)
{
	(void)state;
	struct fleet f;
	fleet_pressure(&f);
	/* Both 3 GiB in use: the floors (3.2 GiB each) do not both fit in 6 GiB. */
	f.vms[0].guest_available_bytes = 1 * GIB;
	f.vms[1].guest_available_bytes = 1 * GIB;
	uint64_t floor = 3 * GIB + 4 * GIB * 500 / 10000; /* + 5% of MEMSZ > 64 MiB */
	for (int t = 0; t < 200; t++) {
		fleet_tick(&f);
		fleet_follow(&f);
		assert_true(f.plans[0].target_bytes >= floor);
	}
	assert_int_equal(f.plans[0].target_bytes, floor);
	assert_int_equal(f.plans[0].reason, PLAN_REASON_GUEST_FLOOR);
	/* In-use jumps to all the guest holds: the floor follows at once. */
	assert_int_equal(f.vms[0].guest_total_bytes, floor);
	f.vms[0].guest_available_bytes = 0;
	fleet_tick(&f);
	assert_int_equal(f.plans[0].target_bytes, floor + 4 * GIB * 500 / 10000);
	fleet_free(&f);
}

static void test_limit_maxmemctl_reservation(void **state)
{
	(void)state;
	struct fleet f;
	fleet_init(&f, 3, 4 * GIB, 64 * GIB);
	f.vms[0].settings.limit_bytes = 2 * GIB;
	fleet_tick(&f);
	assert_int_equal(f.plans[0].target_bytes, 2 * GIB);
	assert_int_equal(f.plans[0].reason, PLAN_REASON_LIMIT);
	assert_int_equal(f.plans[0].entitlement_bytes, 2 * GIB);
	assert_int_equal(f.plans[0].cgroup_limit_bytes, 0);
	fleet_free(&f);

	fleet_init(&f, 3, 4 * GIB, 6 * GIB);
	for (int i = 0; i < 3; i++) {
		vm_idle(&f.vms[i]);
		f.vms[i].consumed_bytes = 2 * GIB;
	}
	f.vms[0].settings.maxmemctl_bytes = 1 * GIB;
	f.vms[1].settings.reservation_bytes = 3 * GIB + 512 * MIB;
	f.vms[2].settings.limit_bytes = 1 * GIB; /* below MEMSZ - MCTLMAX (1.4 GiB) */
	f.vms[2].ovhd_bytes = 100 * MIB;
	for (int t = 0; t < 300; t++) {
		fleet_tick(&f);
		fleet_follow(&f);
		assert_true(f.plans[0].target_bytes >= 3 * GIB);
		assert_true(f.plans[0].mctltgt_bytes <= 1 * GIB);
		assert_true(f.plans[1].target_bytes >= 3 * GIB + 512 * MIB);
		assert_true(f.plans[2].mctltgt_bytes <=
			    model_vm_maxmemctl(&f.vms[2].settings, 4 * GIB));
	}
	assert_int_equal(f.plans[0].target_bytes, 3 * GIB);
	assert_int_equal(f.plans[0].reason, PLAN_REASON_MAXMEMCTL);
	assert_int_equal(f.plans[1].target_bytes, 3 * GIB + 512 * MIB);
	assert_int_equal(f.plans[1].reason, PLAN_REASON_RESERVATION);
	/* The balloon cannot reach the limit: the cgroup enforces it, in every state. */
	assert_int_equal(f.plans[2].target_bytes,
			 4 * GIB - model_vm_maxmemctl(&f.vms[2].settings, 4 * GIB));
	assert_int_equal(f.plans[2].cgroup_limit_bytes, 1 * GIB + 100 * MIB);
	assert_int_equal(f.plans[2].swtgt_bytes, 1 * GIB);
	fleet_free(&f);
}

static void test_hostile_stats(void **state)
{
	(void)state;
	struct fleet f;
	fleet_init(&f, 5, 4 * GIB, 8 * GIB);
	/* vm0: in-use above MEMSZ. */
	f.vms[0].guest_total_bytes = UINT64_MAX;
	f.vms[0].guest_available_bytes = 0;
	f.vms[0].guest_major_faults = UINT64_MAX;
	f.vms[0].guest_swap_in_bytes = UINT64_MAX;
	/* vm1: available above total, balloon actual above MEMSZ. */
	f.vms[1].guest_available_bytes = UINT64_MAX;
	f.vms[1].balloon_actual_bytes = UINT64_MAX;
	/* vm2: MEMSZ 0 and zeros everywhere. */
	memset(&f.vms[2], 0, sizeof(f.vms[2]));
	f.vms[2].running = true;
	f.vms[2].mctl = true;
	/* vm3: name and uuid without NUL, huge CONSUMED and OVHD. */
	memset(f.vms[3].name, 'A', sizeof(f.vms[3].name));
	memset(f.vms[3].uuid, 'B', sizeof(f.vms[3].uuid));
	f.vms[3].consumed_bytes = UINT64_MAX;
	f.vms[3].ovhd_bytes = UINT64_MAX;
	/* vm4: huge settings. */
	f.vms[4].settings.shares = UINT64_MAX;
	f.vms[4].settings.reservation_bytes = UINT64_MAX;
	f.vms[4].settings.maxmemctl_bytes = UINT64_MAX;
	for (int t = 0; t < 50; t++) {
		fleet_tick(&f);
		for (int i = 0; i < 5; i++) {
			assert_true(f.plans[i].target_bytes <= f.vms[i].memsz_bytes);
			assert_true(f.plans[i].actv_bytes <= f.vms[i].memsz_bytes);
			assert_true(f.plans[i].entitlement_bytes <= f.vms[i].memsz_bytes);
			assert_int_equal(f.plans[i].mctltgt_bytes,
					 f.vms[i].memsz_bytes - f.plans[i].target_bytes);
		}
		/* Counters that go back down (reboot) are a new baseline, not a distress. */
		f.vms[0].guest_major_faults = (uint64_t)t;
		f.vms[0].guest_swap_in_bytes = 0;
	}
	assert_int_equal(f.plan.host.state, HOST_STATE_LOW);
	assert_int_equal(f.plan.host.free_bytes, 0);
	assert_int_equal(f.plans[0].target_bytes, 4 * GIB); /* in-use = MEMSZ */
	assert_int_equal(f.plans[0].actv_bytes, 4 * GIB);
	assert_int_equal(f.plans[1].actv_bytes, 0);
	assert_int_equal(f.plans[2].target_bytes, 0);
	assert_int_equal(f.plans[4].target_bytes, 4 * GIB); /* reservation capped at MEMSZ */
	fleet_free(&f);
}

static void test_host_swap(void **state)
{
	(void)state;
	struct fleet f;
	fleet_pressure(&f);    /* low */
	f.vms[0].mctl = false; /* no balloon driver: only host swap can reclaim */
	f.vms[0].stats_age_ms = MODEL_AGE_NEVER;
	f.vms[0].ovhd_bytes = 200 * MIB;
	f.vms[0].consumed_bytes = 4 * GIB;
	f.vms[1].consumed_bytes = 3 * GIB;
	fleet_tick(&f);
	assert_int_equal(f.plan.host.state, HOST_STATE_LOW);
	uint64_t e = f.plans[0].entitlement_bytes;
	assert_true(e < 4 * GIB);
	assert_int_equal(f.plans[0].target_bytes, 4 * GIB); /* balloon target kept */
	assert_int_equal(f.plans[0].swtgt_bytes, 4 * GIB - e);
	assert_int_equal(f.plans[0].cgroup_limit_bytes, e + 200 * MIB);
	/* vm1 has a balloon and is above its target in low: it gets no more memory. */
	f.vms[1].consumed_bytes = 4 * GIB;
	fleet_tick(&f);
	assert_true(f.plans[1].target_bytes < 4 * GIB);
	assert_int_equal(f.plans[1].cgroup_limit_bytes, 4 * GIB);
	assert_int_equal(f.plans[1].swtgt_bytes, 0);
	/* Not without host swap, nor for a VM whose cgroup cannot swap. */
	f.s.host_swap = false;
	fleet_tick(&f);
	assert_int_equal(f.plans[0].swtgt_bytes, 0);
	assert_int_equal(f.plans[0].cgroup_limit_bytes, 0);
	assert_int_equal(f.plans[1].cgroup_limit_bytes, 0);
	f.s.host_swap = true;
	f.vms[0].host_swap_ok = false;
	fleet_tick(&f);
	assert_int_equal(f.plans[0].cgroup_limit_bytes, 0);
	fleet_free(&f);

	/* A stalled balloon in hard: swap down to the balloon target. */
	fleet_pressure(&f);
	vm_idle(&f.vms[0]);
	vm_idle(&f.vms[1]);
	uint64_t m = policy_minfree_bytes(6 * GIB);
	f.vms[0].consumed_bytes = 3 * GIB;
	f.vms[1].consumed_bytes = 3 * GIB - m / 4; /* free = 25% of minFree: hard */
	for (int t = 0; t < 5; t++)
		fleet_tick(&f); /* balloon actual stays at MEMSZ */
	assert_int_equal(f.plan.host.state, HOST_STATE_HARD);
	assert_true(f.plans[0].cgroup_limit_bytes > 0);
	assert_int_equal(f.plans[0].cgroup_limit_bytes, f.plans[0].target_bytes);
	assert_int_equal(f.plans[0].swtgt_bytes,
			 f.vms[0].consumed_bytes > f.plans[0].target_bytes
			     ? f.vms[0].consumed_bytes - f.plans[0].target_bytes
			     : 0);
	/* A balloon that follows is not stalled: no host swap. */
	fleet_follow(&f);
	fleet_tick(&f);
	fleet_follow(&f);
	fleet_tick(&f);
	assert_int_equal(f.plans[0].cgroup_limit_bytes, 0);
	fleet_free(&f);
}

static void test_idle_gives_to_active(void **state)
{
	(void)state;
	struct fleet f;
	fleet_pressure(&f);
	f.vms[0].guest_available_bytes = 1 * GIB; /* active: 3 GiB in use */
	vm_idle(&f.vms[1]);
	for (int t = 0; t < 300; t++) {
		fleet_tick(&f);
		fleet_follow(&f);
	}
	assert_true(f.plans[0].entitlement_bytes > f.plans[1].entitlement_bytes + 1 * GIB);
	assert_true(f.plans[0].actv_bytes > f.plans[1].actv_bytes);
	assert_true(f.plans[0].target_bytes > f.plans[1].target_bytes);
	/* The plan fits: sum of targets + OVHD within budget - minFree. */
	uint64_t sum = f.plans[0].target_bytes + f.plans[1].target_bytes;
	assert_true(sum <= 6 * GIB - policy_minfree_bytes(6 * GIB));
	fleet_free(&f);
}

/* With deflate-on-OOM the guest's MemTotal keeps the balloon's pages and counts them as
 * used; without it they leave MemTotal. Either way ACTV must be the guest's own use,
 * not its own use plus the balloon. */
static void test_balloon_not_counted_as_use(void **state)
{
	(void)state;
	for (int doo = 0; doo <= 1; doo++) {
		struct fleet f;
		fleet_init(&f, 1, 512 * MIB, 4 * GIB);
		struct vm_snapshot *v = &f.vms[0];
		v->guest_total_bytes = 460 * MIB;
		v->guest_available_bytes = 420 * MIB; /* 40 MiB in use */
		for (int i = 0; i < 5; i++)
			fleet_tick(&f);
		assert_in_range(f.plans[0].actv_bytes, 39 * MIB, 41 * MIB);
		/* balloon inflated by 300 MiB */
		v->balloon_actual_bytes = 212 * MIB;
		if (doo) {
			v->guest_available_bytes = 120 * MIB; /* total stays, balloon is "used" */
		} else {
			v->guest_total_bytes = 160 * MIB;
			v->guest_available_bytes = 120 * MIB;
		}
		for (int i = 0; i < 50; i++)
			fleet_tick(&f);
		assert_in_range(f.plans[0].actv_bytes, 39 * MIB, 41 * MIB);
		fleet_free(&f);
	}
}

/* Waldspurger's idle VM holds memory it does not touch. The guest says "in use" for
 * both VMs; host-side sampling tells them apart, and the idle tax moves memory to the
 * VM that touches it. Without the tax (tau = 0) equal shares split evenly. */
static void test_idle_tax_uses_host_sampling(void **state)
{
	(void)state;
	uint64_t ent[2][2];
	for (int taxed = 0; taxed <= 1; taxed++) {
		struct fleet f;
		fleet_init(&f, 2, 512 * MIB, 640 * MIB);
		f.s.idle_tax_permyriad = taxed ? 7500 : 0;
		for (int i = 0; i < 2; i++) {
			f.vms[i].guest_total_bytes = 460 * MIB;
			f.vms[i].guest_available_bytes = 110 * MIB; /* 350 MiB in use */
			f.vms[i].consumed_bytes = 300 * MIB;
			f.vms[i].damon_valid = true;
		}
		f.vms[0].damon_active_bytes = 340 * MIB; /* touches its memory */
		f.vms[1].damon_active_bytes = 30 * MIB;	 /* holds it, idle */
		for (int t = 0; t < 5; t++)
			fleet_tick(&f);
		ent[taxed][0] = f.plans[0].entitlement_bytes;
		ent[taxed][1] = f.plans[1].entitlement_bytes;
		fleet_free(&f);
	}
	assert_int_equal(ent[0][0], ent[0][1]);	       /* tau = 0: shares alone */
	assert_true(ent[1][0] > ent[0][0] + 64 * MIB); /* tax: the active VM gains */
	assert_true(ent[1][1] + 64 * MIB < ent[0][1]); /* ...from the idle one */
}

/* ACTV is what the host saw touched where it measures; the guest's in-use joins only
 * with actv_guest, and is the sample where the host measures nothing. */
static void test_actv_host_first(void **state)
{
	(void)state;
	for (int mode = 0; mode < 3; mode++) { /* host; host + actv_guest; no host figure */
		struct fleet f;
		fleet_init(&f, 1, 512 * MIB, 4 * GIB);
		f.s.actv_guest = mode == 1;
		struct vm_snapshot *v = &f.vms[0];
		v->guest_total_bytes = 460 * MIB;
		v->guest_available_bytes = 110 * MIB; /* 350 MiB in use */
		v->damon_valid = mode != 2;
		v->damon_active_bytes = 30 * MIB;
		for (int i = 0; i < 5; i++)
			fleet_tick(&f);
		if (mode == 0)
			assert_int_equal(f.plans[0].actv_bytes, 30 * MIB);
		else
			assert_int_equal(f.plans[0].actv_bytes, 350 * MIB);
		/* a guest that major-faults is short whatever was touched: 10 MiB of faults
		 * per second (2560 pages) join the host sample */
		for (int i = 0; i < 5; i++) {
			v->guest_major_faults += 2560;
			fleet_tick(&f);
		}
		if (mode == 0)
			assert_in_range(f.plans[0].actv_bytes, 39 * MIB, 41 * MIB);
		fleet_free(&f);
	}
	/* Until the host's first window ends the guest's figure is the sample; the first
	 * host sample then starts the averages afresh (else the slow one would carry the
	 * idle guest's 350 MiB for minutes). */
	struct fleet f;
	fleet_init(&f, 1, 512 * MIB, 4 * GIB);
	f.vms[0].guest_total_bytes = 460 * MIB;
	f.vms[0].guest_available_bytes = 110 * MIB;
	for (int i = 0; i < 5; i++)
		fleet_tick(&f);
	assert_int_equal(f.plans[0].actv_bytes, 350 * MIB);
	f.vms[0].damon_valid = true;
	f.vms[0].damon_active_bytes = 30 * MIB;
	fleet_tick(&f);
	assert_int_equal(f.plans[0].actv_bytes, 30 * MIB);
	/* a host figure that goes away and comes back starts them afresh again; one that
	 * stays is averaged (the slow average falls 1% of the gap per run) */
	f.vms[0].damon_valid = false;
	fleet_tick(&f);
	assert_true(f.plans[0].actv_bytes > 150 * MIB);
	f.vms[0].damon_valid = true;
	fleet_tick(&f);
	assert_int_equal(f.plans[0].actv_bytes, 30 * MIB);
	f.vms[0].damon_active_bytes = 330 * MIB;
	fleet_tick(&f);
	f.vms[0].damon_active_bytes = 30 * MIB;
	for (int i = 0; i < 10; i++)
		fleet_tick(&f);
	assert_in_range(f.plans[0].actv_bytes, 31 * MIB, 40 * MIB);
	fleet_free(&f);
}

/* floor_active: the idle VM's untouched in-use is no longer its floor, so the tax's
 * entitlement is reached (the guest pages the untouched memory out); off, the floor
 * of in-use + margin holds it, whatever the tax says. */
static void test_floor_active(void **state)
{
	(void)state;
	uint64_t target[2];
	for (int on = 0; on <= 1; on++) {
		struct fleet f;
		fleet_init(&f, 2, 512 * MIB, 700 * MIB);
		f.s.floor_active = on;
		for (int i = 0; i < 2; i++) {
			f.vms[i].guest_total_bytes = 460 * MIB;
			f.vms[i].guest_available_bytes = 110 * MIB; /* 350 MiB in use */
			f.vms[i].consumed_bytes = 460 * MIB;
			f.vms[i].damon_valid = true;
		}
		f.vms[0].damon_active_bytes = 460 * MIB; /* reads its page cache round */
		f.vms[1].damon_active_bytes = 30 * MIB;	 /* holds 350 MiB, idle */
		for (int t = 0; t < 300; t++) {
			fleet_tick(&f);
			fleet_follow(&f);
			f.vms[0].consumed_bytes = f.vms[0].balloon_actual_bytes;
			f.vms[1].consumed_bytes = f.vms[1].balloon_actual_bytes;
		}
		target[on] = f.plans[1].target_bytes;
		/* never below ACTV + margin (64 MiB) */
		assert_true(target[on] >= 94 * MIB);
		fleet_free(&f);
	}
	assert_true(target[0] >= 414 * MIB);		/* in-use + margin */
	assert_true(target[1] + 200 * MIB < target[0]); /* the tax's answer: ~150 MiB */
}

static void test_state_map(void **state)
{
	(void)state;
	struct fleet f;
	fleet_pressure(&f);
	vm_idle(&f.vms[0]);
	f.vms[1].stats_age_ms = MODEL_AGE_NEVER;
	f.vms[1].balloon_actual_bytes = 3 * GIB;
	for (int t = 0; t < 10; t++) {
		fleet_tick(&f);
		fleet_follow(&f);
	}
	uint64_t t0 = f.plans[0].target_bytes;
	/* Swap the order: state follows the uuid, not the index. */
	struct vm_snapshot tmp = f.vms[0];
	f.vms[0] = f.vms[1];
	f.vms[1] = tmp;
	fleet_tick(&f);
	assert_int_equal(f.plans[0].target_bytes, 3 * GIB);
	assert_true(f.plans[1].target_bytes <= t0);
	assert_true(f.plans[1].target_bytes >= t0 - 4 * GIB / 100);
	/* Remove vm0 (now index 1), then bring it back: a new VM at its balloon actual. */
	f.snap.n_vms = 1;
	fleet_tick(&f);
	f.snap.n_vms = 2;
	f.vms[1].balloon_actual_bytes = 4 * GIB;
	f.vms[1].stats_age_ms = MODEL_AGE_NEVER;
	fleet_tick(&f);
	assert_int_equal(f.plans[1].target_bytes, 4 * GIB);
	/* Duplicate uuids get separate state and no crash. */
	f.vms[1] = f.vms[0];
	fleet_tick(&f);
	fleet_tick(&f);
	assert_int_equal(f.plans[0].target_bytes, f.plans[1].target_bytes);
	fleet_free(&f);
}

/* A ballooned guest that has used what it holds gets the host's free memory above
 * minFree at once (grant.c); what it has not touched yet is not granted twice. */
static void test_grant_free_memory(void **state)
{
	(void)state;
	struct fleet f;
	fleet_init(&f, 3, 1 * GIB, 900 * MIB); /* minFree 6%: 54 MiB */
	for (int i = 0; i < 3; i++)
		f.vms[i].settings.maxmemctl_bytes = 900 * MIB;
	/* vm0: ballooned to 300 MiB and full (MemTotal keeps the balloon: deflate-on-OOM): floor
	 * 354 MiB */
	f.vms[0].balloon_actual_bytes = 300 * MIB;
	f.vms[0].guest_available_bytes = 10 * MIB;
	f.vms[0].consumed_bytes = 300 * MIB;
	/* vm1: reserved 500 MiB (so vm0's entitlement stays below its floor), idle */
	f.vms[1].settings.reservation_bytes = 500 * MIB;
	f.vms[1].balloon_actual_bytes = 500 * MIB;
	f.vms[1].guest_available_bytes = 450 * MIB;
	f.vms[1].consumed_bytes = 100 * MIB;
	/* vm2: ballooned and idle at its floor: not short */
	f.vms[2].balloon_actual_bytes = 200 * MIB;
	f.vms[2].guest_available_bytes = 150 * MIB;
	f.vms[2].consumed_bytes = 100 * MIB;
	fleet_tick(&f);
	/* free = 900 - 500 = 400 MiB; room = 400 - 54 = 346 MiB, all to vm0 */
	assert_int_equal(f.plan.host.free_bytes, 400 * MIB);
	assert_int_equal(f.plans[0].reason, PLAN_REASON_GRANT);
	assert_int_equal(f.plans[0].target_bytes, 354 * MIB + 346 * MIB);
	assert_int_not_equal(f.plans[2].reason, PLAN_REASON_GRANT);
	assert_true(f.plans[2].target_bytes <= 200 * MIB + MIB);
	/* Next period vm0 is full again but has not touched the grant yet: the 400 MiB it
	 * may still fault in are spoken for, so only its floor rule applies. */
	f.vms[0].balloon_actual_bytes = 700 * MIB;
	fleet_tick(&f);
	assert_int_equal(f.plans[0].reason, PLAN_REASON_GUEST_FLOOR);
	assert_int_equal(f.plans[0].target_bytes, 690 * MIB + 64 * MIB);
	/* Two short guests split the room; never past a ceiling (MEMSZ). */
	struct fleet g;
	fleet_init(&g, 2, 512 * MIB, 800 * MIB); /* entitlement 376 MiB each, room 352 */
	for (int i = 0; i < 2; i++) {
		g.vms[i].balloon_actual_bytes = 200 * MIB;
		g.vms[i].guest_available_bytes = 5 * MIB;
		g.vms[i].consumed_bytes = 200 * MIB;
	}
	fleet_tick(&g);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(g.plans[i].reason, PLAN_REASON_GRANT);
		assert_int_equal(g.plans[i].target_bytes, 512 * MIB);
	}
	/* No free memory above minFree: no grant. */
	struct fleet h;
	fleet_init(&h, 1, 1 * GIB, 340 * MIB); /* minFree 20.4 MiB */
	h.vms[0].balloon_actual_bytes = 300 * MIB;
	h.vms[0].guest_available_bytes = 10 * MIB;
	h.vms[0].consumed_bytes = 320 * MIB;
	fleet_tick(&h);
	assert_int_not_equal(h.plans[0].reason, PLAN_REASON_GRANT);
	fleet_free(&f);
	fleet_free(&g);
	fleet_free(&h);
}

/* Levelling (level.c). Three like idle 512 MiB VMs, left by the last reclaim at
 * targets of 240, 328 and 430 MiB (bench/burst, 2026-12-07), in state high: each
 * needs its entitlement, (1024 - 3 x 82 OVHD - minFree 61.44) / 3 = 238.85 MiB, and
 * the 281.4 MiB above the needs is shared out again, 93.8 MiB each: every target ends
 * within tolerance (5.12 MiB) of 332.7 MiB. vm1 (328) is inside the deadband and never
 * moves; vm2 gives at most four probe steps (20.48 MiB) a run, vm0 takes what vm2
 * gives, and the sum of the targets never changes. */
static void level_fleet_at(struct fleet *f, uint64_t mid_mib)
{
	const uint64_t at[3] = {240, mid_mib, 430};
	fleet_init(f, 3, 512 * MIB, 1024 * MIB);
	f->s.level_headroom = true;
	for (int i = 0; i < 3; i++) {
		struct vm_snapshot *v = &f->vms[i];
		v->ovhd_bytes = 82 * MIB;
		v->consumed_bytes = 26 * MIB;
		v->balloon_actual_bytes = at[i] * MIB;
		/* deflate-on-OOM: MemTotal keeps the balloon; 31 MiB in use */
		v->guest_available_bytes = (at[i] - 31) * MIB;
	}
}

static void level_fleet(struct fleet *f)
{
	level_fleet_at(f, 328);
}

static void level_follow(struct fleet *f)
{
	for (int i = 0; i < 3; i++) {
		f->vms[i].balloon_actual_bytes = f->plans[i].target_bytes;
		f->vms[i].guest_available_bytes = f->plans[i].target_bytes - 31 * MIB;
	}
}

static uint64_t level_sum(const struct fleet *f)
{
	return f->plans[0].target_bytes + f->plans[1].target_bytes + f->plans[2].target_bytes;
}

static void test_level_headroom(void **state)
{
	(void)state;
	struct fleet f;
	level_fleet(&f);
	uint64_t sum = (240 + 328 + 430) * MIB, step = 512 * MIB / 100, give = 4 * step;
	uint64_t part = 332 * MIB + 683 * MIB / 1000; /* 238.85 + 93.83 */
	uint64_t prev2 = 430 * MIB;
	int moves = 0;
	for (int t = 0; t < 40; t++) {
		fleet_tick(&f);
		assert_int_equal(f.plan.host.state, HOST_STATE_HIGH);
		assert_int_equal(level_sum(&f), sum);
		assert_int_equal(f.plans[1].target_bytes, 328 * MIB);
		assert_true(f.plans[2].target_bytes <= prev2);
		assert_true(prev2 - f.plans[2].target_bytes <= give);
		moves += f.plans[0].reason == PLAN_REASON_LEVEL;
		prev2 = f.plans[2].target_bytes;
		level_follow(&f);
	}
	assert_true(moves >= 5); /* 93 MiB at 20.48 MiB a run */
	/* each within tolerance of its part, plus vm1's 4.67 MiB left inside its deadband */
	for (int i = 0; i < 3; i += 2) {
		uint64_t t = f.plans[i].target_bytes;
		assert_true((t > part ? t - part : part - t) <= step + 5 * MIB);
		assert_int_not_equal(f.plans[i].reason, PLAN_REASON_LEVEL); /* arrived */
	}
	fleet_free(&f);

	/* Two takers: the one further from its part takes more. At 240, 290 and 430 MiB the
	 * part is 320.3 MiB: vm0 is 80 MiB short, vm1 30 (beyond the 25.6 MiB deadband), and
	 * vm2's 20.48 MiB go 80:30 between them. */
	level_fleet_at(&f, 290);
	fleet_tick(&f);
	uint64_t got0 = f.plans[0].target_bytes - 240 * MIB;
	uint64_t got1 = f.plans[1].target_bytes - 290 * MIB;
	assert_int_equal(got0 + got1, give);
	assert_true(got1 > 0 && got0 > 2 * got1);
	assert_int_equal(level_sum(&f), (240 + 290 + 430) * MIB);
	fleet_free(&f);

	/* Off: the targets stay where the reclaim left them. */
	level_fleet(&f);
	f.s.level_headroom = false;
	for (int t = 0; t < 10; t++) {
		fleet_tick(&f);
		assert_int_equal(f.plans[0].target_bytes, 240 * MIB);
		assert_int_equal(f.plans[2].target_bytes, 430 * MIB);
	}
	fleet_free(&f);

	/* Soft: the reclaim rules alone (the probe), no levelling. */
	level_fleet(&f);
	for (int i = 0; i < 3; i++)
		f.vms[i].consumed_bytes = 250 * MIB; /* free 26 MiB < 64% of minFree */
	for (int t = 0; t < 10; t++) {
		fleet_tick(&f);
		assert_true(f.plan.host.state >= HOST_STATE_SOFT);
		for (int i = 0; i < 3; i++)
			assert_int_not_equal(f.plans[i].reason, PLAN_REASON_LEVEL);
		assert_true(f.plans[0].target_bytes <= 240 * MIB);
		level_follow(&f);
	}
	fleet_free(&f);

	/* A guest without deflate-on-OOM is never inflated for another's headroom, and a
	 * distressed one takes no part: nothing moves. */
	level_fleet(&f);
	f.vms[2].no_deflate_on_oom = true;
	f.vms[2].settings.maxmemctl_bytes = 512 * MIB; /* its own: bounds unchanged */
	for (int t = 0; t < 10; t++) {
		fleet_tick(&f);
		assert_int_equal(f.plans[2].target_bytes, 430 * MIB);
		assert_int_equal(f.plans[0].target_bytes, 240 * MIB);
		level_follow(&f);
	}
	fleet_free(&f);
}

/* A guest whose in-use climbs while its balloon stands still is granted before its
 * floor reaches what it holds (growth projected 2 s ahead); not when the climb is
 * slow, and not when the balloon moved between the samples. */
static void grow_case(uint64_t grow_mib, uint64_t actual_moved_mib, bool want_grant)
{
	struct fleet f;
	fleet_init(&f, 2, 512 * MIB, 1 * GIB); /* minFree ~61 MiB */
	for (int i = 0; i < 2; i++)
		f.vms[i].settings.maxmemctl_bytes = 400 * MIB;
	f.vms[0].balloon_actual_bytes = 300 * MIB;
	f.vms[0].consumed_bytes = 150 * MIB;
	f.vms[1].consumed_bytes = 100 * MIB;
	fleet_tick(&f);
	/* vm0 now holds its target T (MemTotal keeps the balloon) with in-use T - 150 MiB:
	 * floor T - 86 MiB. One sample to start from, then one second later a new one. */
	uint64_t t = f.plans[0].target_bytes;
	f.vms[0].balloon_actual_bytes = t;
	f.vms[0].guest_available_bytes = 150 * MIB;
	fleet_tick(&f);
	assert_int_not_equal(f.plans[0].reason, PLAN_REASON_GRANT);
	assert_int_equal(f.plans[0].target_bytes, t);
	f.vms[0].guest_available_bytes -= grow_mib * MIB;
	f.vms[0].balloon_actual_bytes -= actual_moved_mib * MIB;
	f.vms[0].guest_available_bytes -= actual_moved_mib * MIB;
	fleet_tick(&f);
	/* the floor alone (T - 86 + grow) is still below what vm0 holds */
	assert_true(grow_mib < 86);
	if (want_grant) {
		assert_int_equal(f.plans[0].reason, PLAN_REASON_GRANT);
		assert_int_equal(f.plans[0].target_bytes, 512 * MIB); /* the ceiling */
	} else {
		assert_int_not_equal(f.plans[0].reason, PLAN_REASON_GRANT);
	}
	fleet_free(&f);
}

static void test_grant_on_growth(void **state)
{
	(void)state;
	grow_case(50, 0, true);	  /* 50 MiB/s: T - 86 + 50 + 100 projected > T + 5 */
	grow_case(3, 0, false);	  /* 3 MiB/s: under 1% of MEMSZ per second */
	grow_case(20, 0, false);  /* 20 MiB/s: T - 86 + 20 + 40 < T + 5 */
	grow_case(50, 40, false); /* the balloon moved: in-use less it is not trusted */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stale_never_shrinks),
	    cmocka_unit_test(test_new_vm_starts_at_balloon_actual),
	    cmocka_unit_test(test_probe_bounded_per_period),
	    cmocka_unit_test(test_probe_scales_with_state),
	    cmocka_unit_test(test_fast_backoff_after_faults),
	    cmocka_unit_test(test_guest_floor),
	    cmocka_unit_test(test_limit_maxmemctl_reservation),
	    cmocka_unit_test(test_hostile_stats),
	    cmocka_unit_test(test_host_swap),
	    cmocka_unit_test(test_idle_gives_to_active),
	    cmocka_unit_test(test_balloon_not_counted_as_use),
	    cmocka_unit_test(test_idle_tax_uses_host_sampling),
	    cmocka_unit_test(test_actv_host_first),
	    cmocka_unit_test(test_floor_active),
	    cmocka_unit_test(test_state_map),
	    cmocka_unit_test(test_grant_free_memory),
	    cmocka_unit_test(test_grant_on_growth),
	    cmocka_unit_test(test_level_headroom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
