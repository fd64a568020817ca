/* policy_entitle's fast solver against the original 100-round bisection (the slow
 * reference below, kept verbatim in maths): exact equality of every byte and of the
 * return code on random and hostile fleets, cold and warm, and few passes. */
#include "test_policy_fleet.h"

#include "policy/internal.h"

typedef unsigned __int128 u128;

/* --- The reference: bisection over y in [0, 2^100], 128-bit maths throughout. --- */
static uint64_t ref_shares(const struct policy_entitle_vm *v)
{
	if (v->shares == 0)
		return 1;
	return v->shares > (1ULL << 24) ? (1ULL << 24) : v->shares;
}

static uint64_t ref_min(const struct policy_entitle_vm *v)
{
	return v->min_bytes < v->max_bytes ? v->min_bytes : v->max_bytes;
}

static uint64_t ref_alloc_at(const struct policy_entitle_vm *v, uint32_t tau, u128 y)
{
	u128 x = ((u128)ref_shares(v) * y) >> 16;
	u128 a = v->active_bytes;
	u128 p = x <= a ? x : a + (x - a) * (10000 - tau) / 10000;
	uint64_t lo = ref_min(v), hi = v->max_bytes;
	if (p < lo)
		return lo;
	if (p > hi)
		return hi;
	return (uint64_t)p;
}

static int ref_entitle(uint64_t budget, uint32_t tau, const struct policy_entitle_vm *vms, size_t n,
		       uint64_t *out)
{
	if (tau > 9900 || (n > 0 && (!vms || !out)))
		return -EINVAL;
	u128 sum_min = 0, sum_max = 0;
	for (size_t i = 0; i < n; i++) {
		sum_min += ref_min(&vms[i]);
		sum_max += vms[i].max_bytes;
	}
	if (sum_max <= budget) {
		for (size_t i = 0; i < n; i++)
			out[i] = vms[i].max_bytes;
		return 0;
	}
	if (sum_min >= budget) {
		for (size_t i = 0; i < n; i++)
			out[i] = ref_min(&vms[i]);
		return sum_min > budget ? -ENOSPC : 0;
	}
	u128 lo = 0, hi = (u128)1 << 100;
	while (hi - lo > 1) {
		u128 mid = lo + (hi - lo) / 2, sum = 0;
		for (size_t i = 0; i < n; i++)
			sum += ref_alloc_at(&vms[i], tau, mid);
		if (sum <= budget)
			lo = mid;
		else
			hi = mid;
	}
	u128 used = 0;
	for (size_t i = 0; i < n; i++) {
		out[i] = ref_alloc_at(&vms[i], tau, lo);
		used += out[i];
	}
	uint64_t rest = (uint64_t)(budget - used);
	for (size_t i = 0; i < n && rest; i++) {
		uint64_t next = ref_alloc_at(&vms[i], tau, hi);
		uint64_t inc = next - out[i] < rest ? next - out[i] : rest;
		out[i] += inc;
		rest -= inc;
	}
	return 0;
}

/* --- Random fleets. --- */
static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

#define REF_N_MAX 3000

/* A fleet in one of several styles: realistic (MiB-sized, shares 10/MiB), wild
 * (anything from bytes to 2^60, shares 0..2^30), or degenerate (shares 1, tau 99%). */
static size_t ref_fleet(uint64_t *seed, struct policy_entitle_vm *v, uint32_t *tau,
			uint64_t *budget, unsigned *style_out)
{
	unsigned style = (unsigned)(xorshift(seed) % 4);
	*style_out = style;
	/* One xorshift call per statement: argument order is unspecified in C. */
	size_t big = xorshift(seed) % 8 == 0 ? REF_N_MAX : 40;
	size_t n = 1 + xorshift(seed) % big;
	*tau = xorshift(seed) % 4 == 0 ? 0 : (uint32_t)(xorshift(seed) % 9901);
	if (style == 3)
		*tau = 9900;
	u128 sum_min = 0, sum_max = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t max;
		if (style == 1) {
			unsigned sh = 4 + (unsigned)(xorshift(seed) % 60);
			max = xorshift(seed) >> sh;
		} else {
			max = (256 + xorshift(seed) % 16384) * MIB;
			max += xorshift(seed) % 4096;
		}
		v[i].max_bytes = max;
		v[i].min_bytes = xorshift(seed) % 3 == 0 ? xorshift(seed) % (max + 1) : 0;
		if (style == 1 && xorshift(seed) % 8 == 0)
			v[i].min_bytes = max + xorshift(seed) % 100; /* min above max: capped */
		v[i].active_bytes = xorshift(seed) % 4 == 0 ? max : xorshift(seed) % (max + 1);
		if (style == 0) {
			v[i].shares = 10 * (max / MIB);
		} else if (style == 1) {
			unsigned sh = 34 + (unsigned)(xorshift(seed) % 30);
			v[i].shares = xorshift(seed) >> sh;
		} else if (style == 2) {
			v[i].shares = 1 + xorshift(seed) % 100000;
		} else {
			v[i].shares = 1;
		}
		sum_min += v[i].min_bytes < max ? v[i].min_bytes : max;
		sum_max += max;
	}
	/* Mostly between the sums; sometimes outside (everything fits / -ENOSPC). */
	unsigned where = (unsigned)(xorshift(seed) % 10);
	if (sum_max > UINT64_MAX)
		sum_max = UINT64_MAX;
	if (sum_min > UINT64_MAX)
		sum_min = UINT64_MAX;
	if (where == 0)
		*budget = (uint64_t)sum_max;
	else if (where == 1)
		*budget = sum_min ? (uint64_t)sum_min - 1 : 0;
	else if (sum_max > sum_min)
		*budget = (uint64_t)sum_min + xorshift(seed) % (uint64_t)(sum_max - sum_min);
	else
		*budget = (uint64_t)sum_min;
	return n;
}

static void test_solver_equals_reference(void **state)
{
	(void)state;
	static struct policy_entitle_vm v[REF_N_MAX];
	static uint64_t want[REF_N_MAX], got[REF_N_MAX], warm[REF_N_MAX];
	uint64_t seed = 0x2545f4914f6cdd1dULL;
	/* Passes per solve: realistic fleets (style 0) and all. */
	unsigned long real_passes = 0, real_solved = 0, real_max = 0;
	unsigned long solved = 0, all_passes = 0, max_passes = 0;
	for (int round = 0; round < 1500; round++) {
		uint32_t tau;
		uint64_t budget;
		unsigned style;
		size_t n = ref_fleet(&seed, v, &tau, &budget, &style);
		int rr = ref_entitle(budget, tau, v, n, want);
		u128 y = 0;
		unsigned passes;
		int rg = policy_entitle_solve(budget, tau, v, n, got, &y, &passes);
		assert_int_equal(rg, rr);
		assert_memory_equal(got, want, n * sizeof(got[0]));
		assert_int_equal(policy_entitle(budget, tau, v, n, got), rr);
		assert_memory_equal(got, want, n * sizeof(got[0]));
		if (passes) {
			solved++;
			all_passes += passes;
			if (passes > max_passes)
				max_passes = passes;
		}
		if (passes && style == 0) {
			real_solved++;
			real_passes += passes;
			if (passes > real_max)
				real_max = passes;
		}
		/* Any hint, good or absurd, gives the same bytes. */
		unsigned sh = (unsigned)(xorshift(&seed) % 64);
		u128 hints[] = {y,
				y + 1,
				y ? y - 1 : 0,
				y * 3 + 7,
				((u128)1 << 100) + 5,
				(u128)xorshift(&seed) << sh};
		for (size_t h = 0; h < sizeof(hints) / sizeof(hints[0]); h++) {
			u128 hint = hints[h];
			assert_int_equal(policy_entitle_solve(budget, tau, v, n, warm, &hint, NULL),
					 rr);
			assert_memory_equal(warm, want, n * sizeof(warm[0]));
		}
	}
	assert_true(solved > 1000 && real_solved > 200);
	/* The bisection always took ~101 passes. Realistic fleets take a handful; shares of
	 * 1 with a 99% tax or 2^70-byte VMs (F a coarse staircase in y) need the plateau
	 * steps, and the worst case is bounded by ENTITLE_NEWTON_PASSES_MAX + the old
	 * bisection's rounds. */
	print_message("solver: realistic %lu solves, %.1f passes mean, %lu max; all %lu solves, "
		      "%.1f mean, %lu max\n",
		      real_solved, (double)real_passes / (double)real_solved, real_max, solved,
		      (double)all_passes / (double)solved, max_passes);
	assert_true(real_passes <= 6 * real_solved);
	assert_true(real_max <= 20);
	assert_true(all_passes <= 10 * solved);
	assert_true(max_passes <= 24 + 101);
}

/* A drifting fleet (what policy_run sees tick after tick): the previous y as the hint
 * keeps the passes per solve low, with the reference's bytes every time. */
static void test_warm_start_drift(void **state)
{
	(void)state;
	enum { N = 2000 };
	static struct policy_entitle_vm v[N];
	static uint64_t want[N], got[N];
	uint64_t seed = 77;
	for (size_t i = 0; i < N; i++) {
		uint64_t memsz = (1 + xorshift(&seed) % 16) * GIB;
		v[i].max_bytes = memsz;
		v[i].min_bytes = memsz * 35 / 100;
		v[i].active_bytes = xorshift(&seed) % memsz;
		v[i].shares = 10 * (memsz / MIB);
	}
	u128 y = 0;
	unsigned long passes_total = 0;
	for (int tick = 0; tick < 200; tick++) {
		for (size_t i = 0; i < N; i++) { /* activity drifts by up to ~1% of MEMSZ */
			uint64_t d = xorshift(&seed) % (v[i].max_bytes / 100);
			if (xorshift(&seed) & 1)
				v[i].active_bytes =
				    v[i].active_bytes > d ? v[i].active_bytes - d : 0;
			else if (v[i].active_bytes + d <= v[i].max_bytes)
				v[i].active_bytes += d;
		}
		uint64_t budget = 9000 * GIB + (uint64_t)tick * 7 * MIB;
		unsigned passes;
		assert_int_equal(ref_entitle(budget, 7500, v, N, want), 0);
		assert_int_equal(policy_entitle_solve(budget, 7500, v, N, got, &y, &passes), 0);
		assert_memory_equal(got, want, sizeof(got));
		if (tick > 0)
			passes_total += passes;
	}
	print_message("warm: %.2f passes per solve\n", (double)passes_total / 199.0);
	assert_true(passes_total <= 6 * 199);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_solver_equals_reference),
	    cmocka_unit_test(test_warm_start_drift),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
