/* The one-pass step (internal.h "Scale"): what it leaves open and settles later must
 * come out as if each step were done in full passes. SLO totals kept pending across
 * steps, guest stats read from the live state or from their copy, the host overflow's
 * redone accounting and snapshot, and the per-VM state's size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sim/internal.h"
#include "sim/rng.h"

#define MIB MODEL_MIB
#define GIB MODEL_GIB

static struct sim *new_sim(const struct sim_fleet *f, uint64_t budget, uint64_t step_ms,
			   uint64_t balance_ms, uint64_t stats_ms, enum policy_kind k)
{
	struct sim_config c;
	sim_config_default(&c);
	c.policy = k;
	c.host_mem_bytes = budget;
	c.step_ms = step_ms;
	c.balance_ms = balance_ms;
	c.stats_period_ms = stats_ms;
	c.collect_delay_ms = 0;
	c.duration_ms = 24ULL * 3600 * 1000;
	struct sim *s = NULL;
	char err[256];
	if (sim_new(&c, f, &s, err, sizeof(err)))
		fail_msg("sim_new: %s", err);
	return s;
}

static void advance(struct sim *s, uint64_t until_ms)
{
	char err[256];
	if (sim_advance(s, until_ms, err, sizeof(err)))
		fail_msg("sim_advance: %s", err);
}

/* A stepped fleet: bursty VMs (working sets above what a tight budget gives them, so
 * SLO time accrues) and a few without a balloon driver. */
static void gen_fleet(struct sim_fleet *f, size_t n)
{
	sim_fleet_init(f);
	assert_int_equal(sim_gen("bursty", n, 3, f), 0);
	for (size_t i = 0; i < n; i += 5)
		f->vms[i].balloon = false;
}

/* Advancing in uneven chunks, reading results in between, gives the same result as one
 * advance: the pending SLO accounting is added exactly once, whoever reads it. */
static void test_chunked_advance(void **state)
{
	(void)state;
	struct sim_fleet f;
	gen_fleet(&f, 40);
	const uint64_t end = 6 * 3600 * 1000ULL, budget = 40 * GIB;
	struct sim *a = new_sim(&f, budget, 5000, 15000, 1000, POLICY_BLIMP);
	advance(a, end);
	struct sim *b = new_sim(&f, budget, 5000, 15000, 1000, POLICY_BLIMP);
	struct sim_rng r;
	sim_rng_seed(&r, 9, 0);
	struct sim_result mid, mid2;
	while (sim_now_ms(b) < end) {
		uint64_t until = sim_now_ms(b) + sim_rng_range(&r, 1, 40) * 5000;
		advance(b, until < end ? until : end);
		sim_result_get(b, &mid);
		sim_result_get(b, &mid2); /* reading twice changes nothing */
		assert_int_equal(mid.vm_run_ms, mid2.vm_run_ms);
		assert_true(mid.vm_loss_ms == mid2.vm_loss_ms);
	}
	struct sim_result ra, rb;
	sim_result_get(a, &ra);
	sim_result_get(b, &rb);
	ra.policy_ns = rb.policy_ns = 0;
	assert_true(ra.vm_violation_ms > 0); /* the fleet does lose throughput */
	assert_true(ra.guest_ooms + ra.vms_violating > 0);
	assert_int_equal(ra.vm_run_ms, rb.vm_run_ms);
	assert_int_equal(ra.vm_violation_ms, rb.vm_violation_ms);
	assert_true(ra.vm_loss_ms == rb.vm_loss_ms);
	assert_memory_equal(&ra, &rb, sizeof(ra));
	/* Every VM's booted time is counted to the last step: each step from the first
	 * one ending booted (t_next - start >= boot). */
	uint64_t booted_ms = 0;
	for (size_t i = 0; i < f.n; i++) {
		uint64_t first = (f.vms[i].start_ms + f.vms[i].boot_ms + 4999) / 5000 * 5000;
		if (first <= end)
			booted_ms += end - first + 5000;
	}
	assert_int_equal(ra.vm_run_ms, booted_ms);
	sim_free(a);
	sim_free(b);
	sim_fleet_free(&f);
}

/* Guest stats are as of the last refresh: with a stats period above the step they hold
 * still between refreshes while the guest moves on (page cache growing), and jump to
 * the guest's state at the refresh. Periods that divide the step, do not, and exceed it. */
static void test_stats_as_of_refresh(void **state)
{
	(void)state;
	static const uint64_t periods[] = {500, 700, 1000, 2500, 3000};
	for (size_t k = 0; k < sizeof(periods) / sizeof(periods[0]); k++) {
		struct sim_fleet f;
		sim_fleet_init(&f);
		struct sim_vm_spec v;
		sim_vm_spec_default(&v, 4 * GIB);
		snprintf(v.name, sizeof(v.name), "c");
		v.boot_ms = 0;
		v.cache_bytes_per_s = 3 * MIB;
		v.cache_cap_bytes = 3 * GIB;
		assert_int_equal(sim_trace_add(&v.ws, 0, 256 * MIB), 0);
		assert_int_equal(sim_fleet_add(&f, &v), 0);
		struct sim *s = new_sim(&f, 64 * GIB, 1000, 5000, periods[k], POLICY_STATIC);
		const struct sim_vm *vm = &s->vms[0];
		uint64_t at = UINT64_MAX, cache_at = 0, changes = 0, holds = 0;
		for (int i = 0; i < 120; i++) {
			advance(s, sim_now_ms(s) + 1000);
			if (vm->stats_valid && vm->stats_at_ms != at) {
				at = vm->stats_at_ms;
				cache_at = (uint64_t)vm->cache;
				changes++;
			} else if (vm->stats_valid) {
				holds++;
			}
			if (!vm->stats_valid)
				continue;
			sim_snapshot_vm(s, 0, sim_now_ms(s));
			const struct vm_snapshot *sv = &s->snap_vms[0];
			assert_int_equal(sv->guest_caches_bytes, cache_at);
			assert_int_equal(sv->stats_age_ms, sim_now_ms(s) - at);
			assert_true(sv->stats_age_ms < periods[k]);
		}
		if (periods[k] > 1000)
			assert_true(holds > 0 && changes > 0);
		else
			assert_true(holds == 0 && changes >= 119);
		sim_free(s);
		sim_fleet_free(&f);
	}
}

/* Beyond the host's RAM the host kernel takes the excess: after that step the running
 * VMs use exactly RAM, their snapshot entries say the CONSUMED after the take, and the
 * violation count is of this step's losses, counted once. */
static void test_overflow_redone(void **state)
{
	(void)state;
	struct sim_fleet f;
	gen_fleet(&f, 30);
	const uint64_t budget = 30 * GIB;
	struct sim *s = new_sim(&f, budget, 15000, 15000, 1000, POLICY_STATIC);
	uint64_t overflow_steps = 0;
	for (int k = 0; k < 24 * 240 && overflow_steps < 20; k++) {
		advance(s, sim_now_ms(s) + 15000);
		if (!s->overflow)
			continue;
		overflow_steps++;
		double used = 0;
		size_t violating = 0, running = 0;
		for (size_t i = 0; i < s->n; i++) {
			const struct sim_vm *vm = &s->vms[i];
			const struct vm_snapshot *sv = &s->snap_vms[i];
			if (!vm->running)
				continue;
			running++;
			used += vm->consumed + vm->ovhd;
			violating += vm->loss * MODEL_PERMYRIAD > s->cfg.slo_loss_permyriad;
			assert_int_equal(sv->consumed_bytes, (uint64_t)vm->consumed);
			assert_int_equal(sv->swapped_bytes, (uint64_t)vm->host_swapped);
		}
		assert_true(used <= (double)budget + 1.0 && used >= (double)budget - 1.0);
		assert_true(s->sum_consumed + s->sum_ovhd <= (double)budget + 1.0);
		assert_int_equal(s->n_running, running);
		assert_int_equal(s->n_violating, violating);
	}
	assert_true(overflow_steps > 0);
	sim_free(s);
	sim_fleet_free(&f);
}

/* The one-pass step streams this struct once per VM and step: keep it small (see
 * internal.h; 100k VMs x 384 bytes is 37 MiB, about the L3 of the machines we run on). */
static void test_hot_state_size(void **state)
{
	(void)state;
	assert_true(sizeof(struct sim_vm) <= 384);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chunked_advance),
	    cmocka_unit_test(test_stats_as_of_refresh),
	    cmocka_unit_test(test_overflow_redone),
	    cmocka_unit_test(test_hot_state_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
