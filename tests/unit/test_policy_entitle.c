/* Min-funding revocation with the idle memory tax: the paper's examples and bounds. */
#include <math.h>

#include "test_policy_fleet.h"

static double rho_of(const struct policy_entitle_vm *v, uint64_t p, uint32_t tau_pm)
{
	double tau = tau_pm / 10000.0, k = 1.0 / (1.0 - tau);
	double f = p ? (double)(v->active_bytes < p ? v->active_bytes : p) / (double)p : 1.0;
	return (double)(v->shares ? v->shares : 1) / ((double)p * (f + k * (1.0 - f)));
}

/* tau = 0: memory follows shares exactly (2:1 shares -> 2:1 memory). */
static void test_shares_2_to_1(void **state)
{
	(void)state;
	struct policy_entitle_vm v[2] = {
	    {.shares = 2000, .active_bytes = 1 * GIB, .min_bytes = 0, .max_bytes = 4 * GIB},
	    {.shares = 1000, .active_bytes = 4 * GIB, .min_bytes = 0, .max_bytes = 4 * GIB},
	};
	uint64_t out[2];
	assert_int_equal(policy_entitle(3 * GIB, 0, v, 2, out), 0);
	assert_int_equal(out[0], 2 * GIB);
	assert_int_equal(out[1], 1 * GIB);
	/* Activity does not matter without the tax. */
	v[0].active_bytes = 0;
	assert_int_equal(policy_entitle(3 * GIB, 0, v, 2, out), 0);
	assert_int_equal(out[0], 2 * GIB);
	assert_int_equal(out[1], 1 * GIB);
}

/* tau = 0 with a binding reservation: the rest still splits 2:1. */
static void test_shares_with_reservation(void **state)
{
	(void)state;
	struct policy_entitle_vm v[3] = {
	    {.shares = 2000, .active_bytes = 0, .min_bytes = 0, .max_bytes = 8 * GIB},
	    {.shares = 1000, .active_bytes = 0, .min_bytes = 0, .max_bytes = 8 * GIB},
	    {.shares = 10, .active_bytes = 0, .min_bytes = 3 * GIB, .max_bytes = 8 * GIB},
	};
	uint64_t out[3];
	assert_int_equal(policy_entitle(6 * GIB, 0, v, 3, out), 0);
	assert_int_equal(out[2], 3 * GIB);
	assert_int_equal(out[0], 2 * GIB);
	assert_int_equal(out[1], 1 * GIB);
}

/* tau = 0.75 (k = 4), equal shares, A fully active, B idle, 4 GiB to share:
 * rho_A = S / P_A, rho_B = S / (4 P_B); equal rho and P_A + P_B = 4 GiB give
 * P_A = 3.2 GiB, P_B = 0.8 GiB. Without the tax each would get 2 GiB. */
static void test_idle_tax_moves_memory(void **state)
{
	(void)state;
	struct policy_entitle_vm v[2] = {
	    {.shares = 1000, .active_bytes = 4 * GIB, .min_bytes = 0, .max_bytes = 4 * GIB},
	    {.shares = 1000, .active_bytes = 0, .min_bytes = 0, .max_bytes = 4 * GIB},
	};
	uint64_t out[2];
	assert_int_equal(policy_entitle(4 * GIB, 7500, v, 2, out), 0);
	uint64_t a = 4 * GIB / 5 * 4, b = 4 * GIB / 5;
	assert_true(out[0] + out[1] == 4 * GIB);
	assert_true(out[0] >= a - 2 && out[0] <= a + 2);
	assert_true(out[1] >= b - 2 && out[1] <= b + 2);
	assert_true(fabs(rho_of(&v[0], out[0], 7500) / rho_of(&v[1], out[1], 7500) - 1.0) < 1e-6);
	/* tau = 0: equal split. */
	assert_int_equal(policy_entitle(4 * GIB, 0, v, 2, out), 0);
	assert_int_equal(out[0], 2 * GIB);
	assert_int_equal(out[1], 2 * GIB);
}

/* Partly active VM: f = 0.5 of what it would hold. Check the fixed point against the
 * formula: A (active 1 GiB) vs B (idle), tau = 0.5 (k = 2), 3 GiB.
 * c_A(P) = 1 GiB + 2 (P - 1 GiB), c_B(P) = 2 P, equal shares -> c_A = c_B:
 * 2 P_A - 1 GiB = 2 P_B, P_A + P_B = 3 GiB -> P_A = 1.75 GiB, P_B = 1.25 GiB. */
static void test_idle_tax_partial(void **state)
{
	(void)state;
	struct policy_entitle_vm v[2] = {
	    {.shares = 500, .active_bytes = 1 * GIB, .min_bytes = 0, .max_bytes = 4 * GIB},
	    {.shares = 500, .active_bytes = 0, .min_bytes = 0, .max_bytes = 4 * GIB},
	};
	uint64_t out[2];
	assert_int_equal(policy_entitle(3 * GIB, 5000, v, 2, out), 0);
	assert_true(out[0] >= 7 * GIB / 4 - 2 && out[0] <= 7 * GIB / 4 + 2);
	assert_true(out[1] >= 5 * GIB / 4 - 2 && out[1] <= 5 * GIB / 4 + 2);
}

static void test_everything_fits(void **state)
{
	(void)state;
	struct policy_entitle_vm v[2] = {
	    {.shares = 1, .active_bytes = 0, .min_bytes = 0, .max_bytes = 1 * GIB},
	    {.shares = 9, .active_bytes = 0, .min_bytes = 0, .max_bytes = 2 * GIB},
	};
	uint64_t out[2];
	assert_int_equal(policy_entitle(3 * GIB, 7500, v, 2, out), 0);
	assert_int_equal(out[0], 1 * GIB);
	assert_int_equal(out[1], 2 * GIB);
}

static void test_reservations_exceed_budget(void **state)
{
	(void)state;
	struct policy_entitle_vm v[2] = {
	    {.shares = 1, .min_bytes = 2 * GIB, .max_bytes = 4 * GIB},
	    {.shares = 1, .min_bytes = 2 * GIB, .max_bytes = 4 * GIB},
	};
	uint64_t out[2];
	assert_int_equal(policy_entitle(3 * GIB, 7500, v, 2, out), -ENOSPC);
	assert_int_equal(out[0], 2 * GIB);
	assert_int_equal(out[1], 2 * GIB);
	/* A min above max is capped at max. */
	v[0].min_bytes = 8 * GIB;
	assert_int_equal(policy_entitle(100 * GIB, 0, v, 2, out), 0);
	assert_int_equal(out[0], 4 * GIB);
}

static void test_max_caps_and_rest_flows(void **state)
{
	(void)state;
	struct policy_entitle_vm v[2] = {
	    {.shares = 9000, .active_bytes = 8 * GIB, .min_bytes = 0, .max_bytes = 1 * GIB},
	    {.shares = 1000, .active_bytes = 8 * GIB, .min_bytes = 0, .max_bytes = 8 * GIB},
	};
	uint64_t out[2];
	assert_int_equal(policy_entitle(5 * GIB, 7500, v, 2, out), 0);
	assert_int_equal(out[0], 1 * GIB);
	assert_int_equal(out[1], 4 * GIB);
}

static void test_ties_by_index_and_bad_args(void **state)
{
	(void)state;
	struct policy_entitle_vm v[3] = {
	    {.shares = 7, .max_bytes = 100},
	    {.shares = 7, .max_bytes = 100},
	    {.shares = 7, .max_bytes = 100},
	};
	uint64_t out[3], again[3];
	assert_int_equal(policy_entitle(100, 0, v, 3, out), 0);
	assert_int_equal(out[0] + out[1] + out[2], 100);
	assert_true(out[0] >= out[1] && out[1] >= out[2]);
	assert_true(out[0] - out[2] <= 1);
	assert_int_equal(policy_entitle(100, 0, v, 3, again), 0);
	assert_memory_equal(out, again, sizeof(out));
	assert_int_equal(policy_entitle(100, 9901, v, 3, out), -EINVAL);
	assert_int_equal(policy_entitle(100, 0, NULL, 3, out), -EINVAL);
	assert_int_equal(policy_entitle(100, 0, NULL, 0, NULL), 0);
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Random inputs: the sum is exact, bounds hold, and the revocation order holds:
 * every VM strictly inside its bounds has (about) the same rho; a VM held at its
 * minimum has a lower rho (it would be revoked from), one at its max a higher one. */
static void test_random_fixed_point(void **state)
{
	(void)state;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	for (int round = 0; round < 300; round++) {
		size_t n = 1 + xorshift(&seed) % 12;
		struct policy_entitle_vm v[12];
		uint64_t out[12];
		uint64_t sum_min = 0, sum_max = 0;
		uint32_t tau = (uint32_t)(xorshift(&seed) % 9901);
		for (size_t i = 0; i < n; i++) {
			uint64_t max = (256 + xorshift(&seed) % 16384) * MIB;
			v[i].max_bytes = max;
			v[i].min_bytes = xorshift(&seed) % 3 == 0 ? xorshift(&seed) % max : 0;
			v[i].active_bytes = xorshift(&seed) % (max + 1);
			v[i].shares = 1 + xorshift(&seed) % 100000;
			sum_min += v[i].min_bytes;
			sum_max += max;
		}
		if (sum_max == sum_min)
			continue;
		uint64_t budget = sum_min + xorshift(&seed) % (sum_max - sum_min);
		assert_int_equal(policy_entitle(budget, tau, v, n, out), 0);
		uint64_t sum = 0;
		double lambda = -1;
		for (size_t i = 0; i < n; i++) {
			assert_true(out[i] >= v[i].min_bytes && out[i] <= v[i].max_bytes);
			sum += out[i];
			if (out[i] > v[i].min_bytes && out[i] < v[i].max_bytes && out[i] > 64 * MIB)
				lambda = rho_of(&v[i], out[i], tau);
		}
		assert_int_equal(sum, budget);
		if (lambda < 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (out[i] <= 64 * MIB)
				continue;
			double r = rho_of(&v[i], out[i], tau) / lambda;
			if (out[i] == v[i].min_bytes)
				assert_true(r <= 1.0 + 1e-6);
			else if (out[i] == v[i].max_bytes)
				assert_true(r >= 1.0 - 1e-6);
			else
				assert_true(fabs(r - 1.0) < 1e-6);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shares_2_to_1),
	    cmocka_unit_test(test_shares_with_reservation),
	    cmocka_unit_test(test_idle_tax_moves_memory),
	    cmocka_unit_test(test_idle_tax_partial),
	    cmocka_unit_test(test_everything_fits),
	    cmocka_unit_test(test_reservations_exceed_budget),
	    cmocka_unit_test(test_max_caps_and_rest_flows),
	    cmocka_unit_test(test_ties_by_index_and_bad_args),
	    cmocka_unit_test(test_random_fixed_point),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
