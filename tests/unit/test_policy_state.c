/* Host states: minFree, thresholds, hysteresis; settings; KSM by state. */
#include "test_policy_fleet.h"
#include "policy/internal.h"

static void test_minfree(void **state)
{
	(void)state;
	assert_int_equal(policy_minfree_bytes(0), 0);
	assert_int_equal(policy_minfree_bytes(1 * GIB), 1 * GIB * 6 / 100);
	assert_int_equal(policy_minfree_bytes(4 * GIB), 4 * GIB * 6 / 100);
	/* 12 GiB: 6% of 4 + 4% of 8 */
	assert_int_equal(policy_minfree_bytes(12 * GIB), 4 * GIB * 6 / 100 + 8 * GIB * 4 / 100);
	/* 28 GiB: + 2% of 16 */
	uint64_t m28 = 4 * GIB * 6 / 100 + 8 * GIB * 4 / 100 + 16 * GIB * 2 / 100;
	assert_int_equal(policy_minfree_bytes(28 * GIB), m28);
	/* 100 GiB: + 1% of 72 */
	assert_int_equal(policy_minfree_bytes(100 * GIB), m28 + 72 * GIB / 100);
	assert_true(policy_minfree_bytes(UINT64_MAX) > 0);
}

/* ESX's bands: clear below 100% of minFree, soft below 64%, hard below 32%, low
 * below 16%. */
static void test_thresholds(void **state)
{
	(void)state;
	uint64_t m = 100 * MIB;
	assert_int_equal(policy_host_state_raw(400 * MIB, m), HOST_STATE_HIGH);
	assert_int_equal(policy_host_state_raw(100 * MIB, m), HOST_STATE_HIGH);
	assert_int_equal(policy_host_state_raw(100 * MIB - 1, m), HOST_STATE_CLEAR);
	assert_int_equal(policy_host_state_raw(64 * MIB, m), HOST_STATE_CLEAR);
	assert_int_equal(policy_host_state_raw(64 * MIB - 1, m), HOST_STATE_SOFT);
	assert_int_equal(policy_host_state_raw(32 * MIB, m), HOST_STATE_SOFT);
	assert_int_equal(policy_host_state_raw(32 * MIB - 1, m), HOST_STATE_HARD);
	assert_int_equal(policy_host_state_raw(16 * MIB, m), HOST_STATE_HARD);
	assert_int_equal(policy_host_state_raw(16 * MIB - 1, m), HOST_STATE_LOW);
	assert_int_equal(policy_host_state_raw(0, m), HOST_STATE_LOW);
	assert_int_equal(policy_host_state_raw(UINT64_MAX, UINT64_MAX), HOST_STATE_HIGH);
	/* minFree 0 (a budget of 0): nothing is ever short of it */
	assert_int_equal(policy_host_state_raw(0, 0), HOST_STATE_HIGH);
}

static void test_hysteresis(void **state)
{
	(void)state;
	uint64_t m = 100 * MIB;
	/* Worse at once, even by a byte. */
	assert_int_equal(policy_host_state_next(HOST_STATE_HIGH, 100 * MIB - 1, m),
			 HOST_STATE_CLEAR);
	assert_int_equal(policy_host_state_next(HOST_STATE_CLEAR, 64 * MIB - 1, m),
			 HOST_STATE_SOFT);
	assert_int_equal(policy_host_state_next(HOST_STATE_HIGH, 0, m), HOST_STATE_LOW);
	/* Better only once free clears the next threshold up: a whole band. Soft (entered
	 * below 64%) is left for clear at 100%, not at 64% or 64% + a little. */
	assert_int_equal(policy_host_state_next(HOST_STATE_SOFT, 64 * MIB, m), HOST_STATE_SOFT);
	assert_int_equal(policy_host_state_next(HOST_STATE_SOFT, 100 * MIB - 1, m),
			 HOST_STATE_SOFT);
	assert_int_equal(policy_host_state_next(HOST_STATE_SOFT, 100 * MIB, m), HOST_STATE_CLEAR);
	assert_int_equal(policy_host_state_next(HOST_STATE_HARD, 64 * MIB - 1, m),
			 HOST_STATE_HARD);
	assert_int_equal(policy_host_state_next(HOST_STATE_HARD, 64 * MIB, m), HOST_STATE_SOFT);
	assert_int_equal(policy_host_state_next(HOST_STATE_LOW, 32 * MIB - 1, m), HOST_STATE_LOW);
	assert_int_equal(policy_host_state_next(HOST_STATE_LOW, 32 * MIB, m), HOST_STATE_HARD);
	/* Clear is left for high only at ESX's 400%. */
	assert_int_equal(policy_host_state_next(HOST_STATE_CLEAR, 399 * MIB, m),
			 HOST_STATE_CLEAR);
	assert_int_equal(policy_host_state_next(HOST_STATE_CLEAR, 400 * MIB, m), HOST_STATE_HIGH);
	/* Several steps at once when free recovers a lot. */
	assert_int_equal(policy_host_state_next(HOST_STATE_LOW, 500 * MIB, m), HOST_STATE_HIGH);
	assert_int_equal(policy_host_state_next(HOST_STATE_LOW, 70 * MIB, m), HOST_STATE_SOFT);
	assert_int_equal(policy_host_state_next(HOST_STATE_LOW, 150 * MIB, m), HOST_STATE_CLEAR);
	/* An unknown previous state: the raw one. */
	assert_int_equal(policy_host_state_next((enum host_state)99, 50 * MIB, m), HOST_STATE_SOFT);
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Noise of +-5% of minFree around each threshold: at most one transition, never a flap.
 * Without hysteresis the same noise flips the state hundreds of times. */
static void test_no_flap_on_noise(void **state)
{
	(void)state;
	uint64_t m = 200 * MIB, seed = 12345;
	const uint32_t boundaries[] = {10000, 6400, 3200, 1600};
	for (size_t b = 0; b < 4; b++) {
		uint64_t center = m / 10000 * boundaries[b];
		enum host_state s = policy_host_state_raw(center + m / 20, m);
		int transitions = 0, raw_flips = 0;
		enum host_state raw_prev = s;
		for (int i = 0; i < 2000; i++) {
			uint64_t noise = xorshift(&seed) % (m / 10); /* 0..10% */
			uint64_t free = center - m / 20 + noise;
			enum host_state n = policy_host_state_next(s, free, m);
			enum host_state raw = policy_host_state_raw(free, m);
			transitions += n != s;
			raw_flips += raw != raw_prev;
			s = n;
			raw_prev = raw;
		}
		assert_true(transitions <= 1);
		assert_true(raw_flips > 100);
	}
}

/* Through policy_run: free = budget - sum(CONSUMED + OVHD), floored at 0. */
static void test_state_from_fleet(void **state)
{
	(void)state;
	struct fleet f;
	fleet_init(&f, 2, 4 * GIB, 8 * GIB);
	uint64_t m = policy_minfree_bytes(8 * GIB);
	f.vms[0].consumed_bytes = 4 * GIB;
	f.vms[1].consumed_bytes = 4 * GIB - m;
	f.vms[1].ovhd_bytes = 0;
	fleet_tick(&f);
	assert_int_equal(f.plan.host.free_bytes, m);
	assert_int_equal(f.plan.host.minfree_bytes, m);
	assert_int_equal(f.plan.host.state, HOST_STATE_HIGH); /* free = 100% of minFree */
	assert_int_equal(f.plan.host.budget_bytes, 8 * GIB);
	f.vms[1].ovhd_bytes = 1 * GIB; /* now over budget: free floors at 0 */
	fleet_tick(&f);
	assert_int_equal(f.plan.host.free_bytes, 0);
	assert_int_equal(f.plan.host.state, HOST_STATE_LOW);
	assert_false(f.plan.host.ksm_run == false);
	assert_int_equal(f.plan.host.ksm_pages_to_scan, 2000);
	f.vms[0].consumed_bytes = 0;
	f.vms[1].consumed_bytes = 0;
	f.vms[1].ovhd_bytes = 0;
	fleet_tick(&f);
	assert_int_equal(f.plan.host.state, HOST_STATE_HIGH);
	assert_true(f.plan.host.ksm_run);
	assert_int_equal(f.plan.host.ksm_pages_to_scan, 100);
	assert_int_equal(f.plan.host.ksm_sleep_ms, 20);
	fleet_free(&f);
}

static void test_ksm_by_state(void **state)
{
	(void)state;
	struct fleet f;
	fleet_init(&f, 1, 4 * GIB, 8 * GIB);
	f.s.ksm_pages_to_scan[HOST_STATE_HIGH] = 0; /* off when plenty free */
	f.vms[0].consumed_bytes = 0;
	fleet_tick(&f);
	assert_int_equal(f.plan.host.state, HOST_STATE_HIGH);
	assert_false(f.plan.host.ksm_run);
	assert_int_equal(f.plan.host.ksm_pages_to_scan, 0);
	f.vms[0].consumed_bytes = 8 * GIB - policy_minfree_bytes(8 * GIB) * 80 / 100; /* 80% free */
	fleet_tick(&f);
	assert_int_equal(f.plan.host.state, HOST_STATE_CLEAR);
	assert_true(f.plan.host.ksm_run);
	assert_int_equal(f.plan.host.ksm_pages_to_scan, 300);
	fleet_free(&f);
}

static void test_settings(void **state)
{
	(void)state;
	struct policy_settings s;
	char err[128];
	policy_settings_default(&s);
	assert_int_equal(s.idle_tax_permyriad, 7500);
	assert_int_equal(s.kind, POLICY_BLIMP);
	assert_int_equal(policy_settings_validate(&s, err, sizeof(err)), -EINVAL); /* budget 0 */
	assert_non_null(strstr(err, "budget"));
	s.budget_bytes = 1 * GIB;
	assert_int_equal(policy_settings_validate(&s, err, sizeof(err)), 0);
	s.idle_tax_permyriad = 9900;
	assert_int_equal(policy_settings_validate(&s, err, sizeof(err)), 0);
	s.idle_tax_permyriad = 9901;
	assert_int_equal(policy_settings_validate(&s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "idle tax"));
	policy_settings_default(&s);
	s.budget_bytes = 1;
	s.probe_step_permyriad = 0;
	assert_int_equal(policy_settings_validate(&s, NULL, 0), -EINVAL);
	policy_settings_default(&s);
	s.budget_bytes = 1;
	s.kind = (enum policy_kind)17;
	assert_int_equal(policy_settings_validate(&s, err, sizeof(err)), -EINVAL);
	policy_settings_default(&s);
	s.budget_bytes = 1;
	s.slow_alpha_permyriad = 9000;
	s.fast_alpha_permyriad = 100;
	assert_int_equal(policy_settings_validate(&s, err, sizeof(err)), -EINVAL);

	enum policy_kind k = POLICY_BLIMP;
	for (int i = 0; i < POLICY__COUNT; i++) {
		assert_int_equal(policy_kind_parse(policy_kind_name((enum policy_kind)i), &k), 0);
		assert_int_equal(k, i);
	}
	assert_string_equal(policy_kind_name(POLICY_PROXMOX), "proxmox");
	assert_string_equal(policy_kind_name((enum policy_kind)99), "?");
	assert_int_equal(policy_kind_parse("esx", &k), -EINVAL);
	assert_int_equal(policy_kind_parse(NULL, &k), -EINVAL);
	assert_int_equal(policy_kind_parse("", &k), -EINVAL);
}

static void test_run_bad_args(void **state)
{
	(void)state;
	struct fleet f;
	fleet_init(&f, 1, 4 * GIB, 8 * GIB);
	assert_int_equal(policy_run(NULL, f.st, &f.snap, 0, &f.plan), -EINVAL);
	assert_int_equal(policy_run(&f.s, NULL, &f.snap, 0, &f.plan), -EINVAL);
	f.plan.vms = NULL;
	assert_int_equal(policy_run(&f.s, f.st, &f.snap, 0, &f.plan), -EINVAL);
	f.plan.vms = f.plans;
	f.s.budget_bytes = 0;
	assert_int_equal(policy_run(&f.s, f.st, &f.snap, 0, &f.plan), -EINVAL);
	f.s.budget_bytes = 8 * GIB;
	f.snap.n_vms = 0;
	f.snap.vms = NULL;
	assert_int_equal(policy_run(&f.s, f.st, &f.snap, 0, &f.plan), 0);
	assert_int_equal(f.plan.n_vms, 0);
	assert_int_equal(f.plan.host.free_bytes, 8 * GIB);
	fleet_free(&f);
	policy_state_free(NULL);
}

/* Once the fleet is stable a tick allocates nothing: the state's arrays keep their
 * address and capacity; a larger fleet grows them, a smaller one reuses them. */
static void test_no_allocation_when_stable(void **state)
{
	(void)state;
	struct fleet f;
	fleet_init(&f, 8, 4 * GIB, 16 * GIB);
	fleet_tick(&f);
	fleet_tick(&f); /* the map keeps room for a whole new fleet beside the old one */
	const void *vms = f.st->vms, *work = f.st->work, *in = f.st->ent_in, *out = f.st->ent_out;
	size_t cap = f.st->cap_vms, capw = f.st->cap_work;
	for (int kind = 0; kind < POLICY__COUNT; kind++) {
		f.s.kind = (enum policy_kind)kind;
		for (int t = 0; t < 50; t++) {
			f.snap.n_vms = (size_t)(8 - t % 3);
			fleet_tick(&f);
		}
	}
	assert_ptr_equal(f.st->vms, vms);
	assert_ptr_equal(f.st->work, work);
	assert_ptr_equal(f.st->ent_in, in);
	assert_ptr_equal(f.st->ent_out, out);
	assert_int_equal(f.st->cap_vms, cap);
	assert_int_equal(f.st->cap_work, capw);
	for (int i = 8; i < FLEET_MAX; i++)
		fleet_vm(&f.vms[i], i, 1 * GIB);
	f.snap.n_vms = FLEET_MAX;
	fleet_tick(&f);
	assert_true(f.st->cap_work >= FLEET_MAX);
	assert_int_equal(f.st->n_vms, FLEET_MAX);
	f.snap.n_vms = 2; /* the others are forgotten */
	fleet_tick(&f);
	assert_int_equal(f.st->n_vms, 2);
	fleet_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_minfree),
	    cmocka_unit_test(test_thresholds),
	    cmocka_unit_test(test_hysteresis),
	    cmocka_unit_test(test_no_flap_on_noise),
	    cmocka_unit_test(test_state_from_fleet),
	    cmocka_unit_test(test_ksm_by_state),
	    cmocka_unit_test(test_settings),
	    cmocka_unit_test(test_run_bad_args),
	    cmocka_unit_test(test_no_allocation_when_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
