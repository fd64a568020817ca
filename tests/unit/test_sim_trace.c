/* Trace pieces (sim_trace_seg_find / sim_trace_seg_at) against sim_trace_at: the
 * engine evaluates working sets through the cached piece, so the two must agree bit
 * for bit on every trace shape, at every time, however the caller steps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sim/rng.h"
#include "sim/sim.h"

#define MIB MODEL_MIB

/* A random trace: 0..7 points, periodic or not, small or huge values (the 128-bit
 * path of the interpolation), sometimes the period set after points beyond it. */
static void rand_trace(struct sim_rng *r, struct sim_trace *tr)
{
	memset(tr, 0, sizeof(*tr));
	bool periodic = sim_rng_below(r, 2);
	bool malformed = periodic && sim_rng_below(r, 8) == 0;
	uint64_t period = sim_rng_range(r, 1, 200000);
	if (periodic && !malformed)
		tr->period_ms = period;
	size_t n = (size_t)sim_rng_below(r, 8);
	uint64_t t = sim_rng_below(r, 3) ? sim_rng_below(r, period / 2 + 1) : 0;
	uint64_t big = sim_rng_below(r, 4) == 0 ? UINT64_MAX / 2 : 64 * MODEL_GIB;
	for (size_t i = 0; i < n; i++) {
		if (periodic && !malformed && t >= period)
			break;
		assert_int_equal(sim_trace_add(tr, t, sim_rng_below(r, big)), 0);
		t += sim_rng_range(r, 1, sim_rng_below(r, 2) ? 50 : period / 2 + 1);
	}
	if (malformed)
		tr->period_ms = tr->n ? sim_rng_range(r, 1, tr->pts[tr->n - 1].t_ms + 1) : period;
}

static uint64_t rand_step(struct sim_rng *r, const struct sim_trace *tr)
{
	uint64_t p = tr->period_ms ? tr->period_ms : 100000;
	switch (sim_rng_below(r, 6)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return sim_rng_below(r, 100);
	case 3:
		return sim_rng_below(r, p);
	case 4:
		return p * sim_rng_range(r, 1, 3); /* same phase, later period */
	default:
		return sim_rng_below(r, 5 * p);
	}
}

static void test_seg_matches_trace_at(void **state)
{
	(void)state;
	struct sim_rng r;
	sim_rng_seed(&r, 42, 0);
	uint64_t refinds = 0, evals = 0;
	for (int k = 0; k < 3000; k++) {
		struct sim_trace tr;
		rand_trace(&r, &tr);
		size_t c_ref = 0, c_seg = 0;
		struct sim_trace_seg seg;
		bool have = false;
		uint64_t t = sim_rng_below(&r, 3) ? 0 : sim_rng_below(&r, 1000000);
		for (int j = 0; j < 400; j++) {
			if (sim_rng_below(&r, 50) == 0) /* a caller going back in time */
				t = sim_rng_below(&r, t + 1);
			else
				t += rand_step(&r, &tr);
			uint64_t want = sim_trace_at(&tr, t, &c_ref);
			if (!have || t < seg.lo_ms || t >= seg.hi_ms) {
				sim_trace_seg_find(&tr, t, &c_seg, &seg);
				have = true;
				refinds++;
				assert_true(seg.lo_ms <= t && t < seg.hi_ms);
				assert_true(seg.span_ms > 0);
			}
			uint64_t got = sim_trace_seg_at(&seg, t);
			if (got != want)
				fail_msg(
				    "trace %d (n %zu, period %llu) t=%llu: piece %llu, trace %llu",
				    k, tr.n, (unsigned long long)tr.period_ms,
				    (unsigned long long)t, (unsigned long long)got,
				    (unsigned long long)want);
			evals++;
		}
		sim_trace_free(&tr);
	}
	/* The piece is reused: far fewer look-ups than evaluations. */
	assert_true(refinds < evals / 2);
}

/* Hand-known values: a daily trace 100 MiB at 0 h, 300 MiB at 12 h, read on day 2
 * (inside, and across the wrap from 12 h back to 24 h = 0 h). */
static void test_seg_periodic_known(void **state)
{
	(void)state;
	const uint64_t H = 3600000, DAY = 24 * H;
	struct sim_trace tr;
	memset(&tr, 0, sizeof(tr));
	tr.period_ms = DAY;
	assert_int_equal(sim_trace_add(&tr, 0, 100 * MIB), 0);
	assert_int_equal(sim_trace_add(&tr, 12 * H, 300 * MIB), 0);
	size_t c = 0;
	struct sim_trace_seg seg;
	sim_trace_seg_find(&tr, DAY + 6 * H, &c, &seg);
	assert_int_equal(seg.lo_ms, DAY);
	assert_int_equal(seg.hi_ms, DAY + 12 * H);
	assert_int_equal(sim_trace_seg_at(&seg, DAY + 6 * H), 200 * MIB);
	sim_trace_seg_find(&tr, DAY + 18 * H, &c, &seg);
	assert_int_equal(seg.lo_ms, DAY + 12 * H);
	assert_int_equal(seg.hi_ms, 2 * DAY);
	assert_int_equal(sim_trace_seg_at(&seg, DAY + 18 * H), 200 * MIB);
	assert_int_equal(sim_trace_seg_at(&seg, DAY + 12 * H), 300 * MIB);
	/* Points starting late: before the first point is the wrap from the last. */
	sim_trace_free(&tr);
	tr.period_ms = DAY;
	assert_int_equal(sim_trace_add(&tr, 6 * H, 100 * MIB), 0);
	assert_int_equal(sim_trace_add(&tr, 18 * H, 300 * MIB), 0);
	c = 0;
	sim_trace_seg_find(&tr, 0, &c, &seg); /* first period: origin before 0 */
	assert_int_equal(seg.lo_ms, 0);
	assert_int_equal(seg.hi_ms, 6 * H);
	assert_int_equal(sim_trace_seg_at(&seg, 0), 200 * MIB);
	assert_int_equal(sim_trace_seg_at(&seg, 3 * H), 150 * MIB);
	sim_trace_free(&tr);
}

static void test_seg_flat_ends(void **state)
{
	(void)state;
	struct sim_trace tr;
	memset(&tr, 0, sizeof(tr));
	size_t c = 0;
	struct sim_trace_seg seg;
	sim_trace_seg_find(&tr, 12345, &c, &seg); /* empty: 0 forever */
	assert_int_equal(sim_trace_seg_at(&seg, 12345), 0);
	assert_int_equal(seg.hi_ms, UINT64_MAX);
	assert_int_equal(sim_trace_add(&tr, 1000, 5 * MIB), 0);
	assert_int_equal(sim_trace_add(&tr, 2000, 7 * MIB), 0);
	c = 0;
	sim_trace_seg_find(&tr, 10, &c, &seg); /* before the first point: its value */
	assert_int_equal(seg.hi_ms, 1000);
	assert_int_equal(sim_trace_seg_at(&seg, 999), 5 * MIB);
	sim_trace_seg_find(&tr, 5000, &c, &seg); /* after the last: it holds */
	assert_int_equal(seg.lo_ms, 2000);
	assert_int_equal(seg.hi_ms, UINT64_MAX);
	assert_int_equal(sim_trace_seg_at(&seg, UINT64_MAX - 1), 7 * MIB);
	sim_trace_free(&tr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seg_matches_trace_at),
	    cmocka_unit_test(test_seg_periodic_known),
	    cmocka_unit_test(test_seg_flat_ends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
