/* Randomized properties over many fleets and ticks (seeded, reproducible):
 * bounds, reservations, MCTLMAX, budget, stale never shrinks, bounded probe,
 * determinism, and convergence of the blimp plan into the budget. */
#include "test_policy_fleet.h"

static uint64_t rng(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static uint64_t rng_below(uint64_t *x, uint64_t n)
{
	return n ? rng(x) % n : 0;
}

static bool is_fresh(const struct policy_settings *s, const struct vm_snapshot *v)
{
	return v->running && v->mctl && v->stats_age_ms != MODEL_AGE_NEVER &&
	       v->stats_age_ms <= s->stale_after_ms && v->guest_total_bytes > 0;
}

static void random_fleet(struct fleet *f, uint64_t *seed, bool calm)
{
	size_t n = 1 + rng_below(seed, 16);
	uint64_t sum = 0;
	fleet_init(f, n, 1 * GIB, 1);
	for (size_t i = 0; i < n; i++) {
		struct vm_snapshot *v = &f->vms[i];
		uint64_t memsz = (256 + rng_below(seed, 16 * 1024)) * MIB;
		fleet_vm(v, (int)i, memsz);
		sum += memsz;
		if (rng_below(seed, 3) == 0)
			v->settings.shares = 1 + rng_below(seed, 100000);
		if (rng_below(seed, 4) == 0)
			v->settings.reservation_bytes = rng_below(seed, memsz + 1);
		if (rng_below(seed, 4) == 0)
			v->settings.limit_bytes = rng_below(seed, memsz + 1);
		if (rng_below(seed, 4) == 0)
			v->settings.maxmemctl_bytes = rng_below(seed, memsz + 1);
		v->balloon_actual_bytes = memsz - rng_below(seed, memsz / 2);
		v->guest_available_bytes = rng_below(seed, memsz + 1);
		v->ovhd_bytes = rng_below(seed, 200 * MIB);
		v->host_swap_ok = calm || rng_below(seed, 4) != 0;
	}
	f->s.budget_bytes = sum / 100 * (30 + rng_below(seed, 120)) + 1;
	f->s.idle_tax_permyriad = (uint32_t)rng_below(seed, 9901);
	f->s.kind = calm ? POLICY_BLIMP : (enum policy_kind)rng_below(seed, POLICY__COUNT);
	f->s.host_swap = calm || rng_below(seed, 2);
	f->s.level_headroom = rng_below(seed, 2);
}

/* Hostile and noisy per-tick changes. */
static void random_tick_input(struct fleet *f, uint64_t *seed)
{
	for (size_t i = 0; i < f->snap.n_vms; i++) {
		struct vm_snapshot *v = &f->vms[i];
		uint64_t memsz = v->memsz_bytes;
		uint64_t r = rng_below(seed, 100);
		v->stats_age_ms = r < 80   ? rng_below(seed, 2000)
				  : r < 90 ? f->s.stale_after_ms + rng_below(seed, 100000)
					   : MODEL_AGE_NEVER;
		v->mctl = rng_below(seed, 10) != 0;
		v->running = rng_below(seed, 50) != 0;
		r = rng_below(seed, 100);
		v->guest_total_bytes = r < 90	? memsz
				       : r < 95 ? 0
						: UINT64_MAX - rng_below(seed, 9);
		v->guest_available_bytes =
		    rng_below(seed, 100) < 95 ? rng_below(seed, memsz + 1) : UINT64_MAX;
		v->guest_free_bytes = rng_below(seed, memsz + 1);
		v->guest_major_faults += rng_below(seed, 10) == 0 ? rng_below(seed, 100000) : 0;
		v->guest_swap_in_bytes += rng_below(seed, 20) == 0 ? rng_below(seed, 64 * MIB) : 0;
		if (rng_below(seed, 200) == 0)
			v->guest_major_faults = 0; /* reboot */
		if (rng_below(seed, 2))
			v->balloon_actual_bytes = f->plans[i].target_bytes;
		if (rng_below(seed, 50) == 0)
			v->balloon_actual_bytes = UINT64_MAX;
		v->consumed_bytes =
		    rng_below(seed, 100) < 97 ? rng_below(seed, memsz + 1) : UINT64_MAX;
		v->ovhd_bytes = rng_below(seed, 200 * MIB);
		v->damon_valid = rng_below(seed, 3) == 0;
		v->damon_active_bytes = rng(seed) >> rng_below(seed, 64);
	}
}

struct bounds {
	uint64_t limit, reserve, lo, hi, maxmemctl;
};

static struct bounds bounds_of(const struct vm_snapshot *v)
{
	struct bounds b;
	uint64_t m = v->memsz_bytes;
	b.limit = model_vm_limit(&v->settings, m);
	b.reserve =
	    v->settings.reservation_bytes < b.limit ? v->settings.reservation_bytes : b.limit;
	b.maxmemctl = model_vm_maxmemctl(&v->settings, m);
	b.lo = b.reserve > m - b.maxmemctl ? b.reserve : m - b.maxmemctl;
	b.hi = b.limit > m - b.maxmemctl ? b.limit : m - b.maxmemctl;
	return b;
}

static void check_invariants(const struct fleet *f, const uint64_t *prev_target,
			     const bool *have_prev, uint64_t dt_ms)
{
	const struct plan *p = &f->plan;
	unsigned __int128 sum_e = 0, sum_min = 0, ovhd = 0;
	for (size_t i = 0; i < f->snap.n_vms; i++) {
		const struct vm_snapshot *v = &f->vms[i];
		const struct vm_plan *vp = &p->vms[i];
		struct bounds b = bounds_of(v);
		assert_true(vp->target_bytes <= v->memsz_bytes);
		assert_int_equal(vp->mctltgt_bytes, v->memsz_bytes - vp->target_bytes);
		assert_true(vp->mctltgt_bytes <= b.maxmemctl);
		assert_true(vp->target_bytes >= b.reserve);
		assert_true(vp->target_bytes <= b.hi);
		assert_true(vp->actv_bytes <= v->memsz_bytes);
		assert_true((unsigned)vp->reason < PLAN_REASON__COUNT);
		if (vp->cgroup_limit_bytes || vp->swtgt_bytes)
			assert_true(f->s.host_swap && v->host_swap_ok && v->running);
		if (!v->running)
			continue;
		uint64_t emin = b.lo < b.limit ? b.lo : b.limit;
		assert_true(vp->entitlement_bytes >= emin && vp->entitlement_bytes <= b.limit);
		sum_e += vp->entitlement_bytes;
		sum_min += emin;
		ovhd += v->ovhd_bytes;
		if (f->s.kind != POLICY_BLIMP || !have_prev[i])
			continue;
		/* stale never shrinks (settings fixed here); it may be granted memory when
		 * the host sees it rising */
		if (!is_fresh(&f->s, v))
			assert_true(vp->target_bytes >= prev_target[i]);
		/* only the bounded probe shrinks, and levelling by at most four steps */
		if (vp->target_bytes < prev_target[i]) {
			uint64_t step = (v->memsz_bytes / 10000 * f->s.probe_step_permyriad +
					 v->memsz_bytes % 10000 * f->s.probe_step_permyriad / 10000) *
					(vp->reason == PLAN_REASON_LEVEL
					     ? 4
					     : policy_probe_multiplier(&f->s, f->plan.host.state));
			uint64_t d =
			    dt_ms < f->s.balance_period_ms ? dt_ms : f->s.balance_period_ms;
			assert_true(prev_target[i] - vp->target_bytes <=
				    step * d / f->s.balance_period_ms + 1);
		}
	}
	uint64_t minfree = policy_minfree_bytes(f->s.budget_bytes);
	if (sum_min + ovhd + minfree <= f->s.budget_bytes)
		assert_true(sum_e + ovhd + minfree <= f->s.budget_bytes);
}

static void test_random_fleets(void **state)
{
	(void)state;
	uint64_t seed = 0xb11e5eedULL;
	int runs = 0;
	for (int fl = 0; fl < 300; fl++) {
		struct fleet f, twin;
		random_fleet(&f, &seed, false);
		twin = f;
		twin.st = policy_state_new();
		twin.snap.vms = twin.vms;
		twin.plan.vms = twin.plans;
		uint64_t prev[FLEET_MAX];
		bool have[FLEET_MAX] = {false};
		for (int t = 0; t < 60; t++) {
			random_tick_input(&f, &seed);
			uint64_t dt = rng_below(&seed, 10) == 0 ? rng_below(&seed, 30000)
								: f.s.balance_period_ms;
			f.now_ms += dt;
			assert_int_equal(policy_run(&f.s, f.st, &f.snap, f.now_ms, &f.plan), 0);
			memcpy(twin.vms, f.vms, sizeof(f.vms));
			assert_int_equal(
			    policy_run(&twin.s, twin.st, &twin.snap, f.now_ms, &twin.plan), 0);
			assert_memory_equal(f.plans, twin.plans, f.snap.n_vms * sizeof(f.plans[0]));
			assert_memory_equal(&f.plan.host, &twin.plan.host, sizeof(f.plan.host));
			check_invariants(&f, prev, have, dt);
			for (size_t i = 0; i < f.snap.n_vms; i++) {
				/* A non-running VM keeps its target, but its prev
				 * is not comparable when it comes back. */
				have[i] = f.vms[i].running;
				prev[i] = f.plans[i].target_bytes;
			}
			runs++;
		}
		policy_state_free(twin.st);
		fleet_free(&f);
	}
	assert_int_equal(runs, 300 * 60);
}

/* Calm fleets under blimp: the guests follow their balloons and use every byte they
 * hold. After the probe has had time, what the VMs may hold (target, or the cgroup
 * limit where host swap applies) plus OVHD fits the budget whenever the hard
 * minimums (reservation, MEMSZ - MCTLMAX) do. */
static void test_convergence_into_budget(void **state)
{
	(void)state;
	uint64_t seed = 0xc0ffee11ULL;
	int feasible = 0;
	for (int fl = 0; fl < 150; fl++) {
		struct fleet f;
		random_fleet(&f, &seed, true);
		for (int t = 0; t < 400; t++) {
			fleet_tick(&f);
			for (size_t i = 0; i < f.snap.n_vms; i++) {
				f.vms[i].balloon_actual_bytes = f.plans[i].target_bytes;
				f.vms[i].consumed_bytes = f.plans[i].target_bytes;
			}
		}
		unsigned __int128 held = 0, hard_min = 0;
		for (size_t i = 0; i < f.snap.n_vms; i++) {
			const struct vm_plan *vp = &f.plans[i];
			struct bounds b = bounds_of(&f.vms[i]);
			uint64_t eff = vp->target_bytes;
			if (vp->cgroup_limit_bytes) {
				uint64_t cap = vp->cgroup_limit_bytes - f.vms[i].ovhd_bytes;
				eff = cap < eff ? cap : eff;
			}
			held += eff + f.vms[i].ovhd_bytes;
			hard_min += (b.lo < b.limit ? b.lo : b.limit) + f.vms[i].ovhd_bytes;
		}
		uint64_t minfree = policy_minfree_bytes(f.s.budget_bytes);
		if (hard_min + minfree <= f.s.budget_bytes) {
			feasible++;
			assert_true(held <= f.s.budget_bytes);
		}
		fleet_free(&f);
	}
	assert_true(feasible > 50); /* the property was exercised */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_fleets),
	    cmocka_unit_test(test_convergence_into_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
