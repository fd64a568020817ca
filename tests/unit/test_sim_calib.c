/* The simulator's parts added for calibration against a real demo run
 * (bench/calibrate): a page cache filled before the run (cache_init), a host whose RAM
 * is above the budget (host_ram_bytes: no unmanaged reclaim until RAM runs out), and
 * lazy host swap-in (cold pages stay in host swap after a cgroup limit lifts; freed
 * cold pages free their swap slots first). The host model is stepped directly
 * through sim_vm_step with hand-set limits, so every number is known. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sim/internal.h"

#define MIB MODEL_MIB
#define GIB MODEL_GIB

/* One VM: 1 GiB, 64 MiB idle, 512 MiB of cache from the start that never grows, no
 * working set, no sharing, no OVHD, booted at once, a fast balloon. */
static void one_vm(struct sim_fleet *f, uint64_t cache_init)
{
	struct sim_vm_spec v;
	sim_vm_spec_default(&v, 1 * GIB);
	snprintf(v.name, sizeof(v.name), "a");
	v.boot_ms = 0;
	v.idle_anon_bytes = 64 * MIB;
	v.cache_cap_bytes = 512 * MIB;
	v.cache_init_bytes = cache_init;
	v.cache_bytes_per_s = 0;
	v.shareable_permyriad = 0;
	v.ovhd_bytes = 0;
	v.balloon_bytes_per_s = 1 * GIB;
	assert_int_equal(sim_trace_add(&v.ws, 0, 0), 0);
	assert_int_equal(sim_fleet_add(f, &v), 0);
}

static struct sim *new_sim(const struct sim_fleet *f, bool eager, uint64_t budget, uint64_t ram,
			   enum policy_kind k)
{
	struct sim_config c;
	sim_config_default(&c);
	c.policy = k;
	c.host_mem_bytes = budget;
	c.host_ram_bytes = ram;
	c.host_swap_eager = eager;
	c.host_swap_bytes_per_s = 200 * MIB;
	c.balance_ms = 1000;
	c.step_ms = 1000;
	struct sim *s = NULL;
	char err[256];
	if (sim_new(&c, f, &s, err, sizeof(err)))
		fail_msg("sim_new: %s", err);
	return s;
}

static void step(struct sim *s)
{
	s->now_ms += 1000;
	sim_vm_step(s, 0, s->now_ms, 1.0, 1.0);
}

static void assert_mib(double got, double want_mib)
{
	if (got < (want_mib - 0.5) * MIB || got > (want_mib + 0.5) * MIB)
		fail_msg("got %.2f MiB, want %.2f", got / MIB, want_mib);
}

static void test_cache_init(void **state)
{
	(void)state;
	for (int filled = 0; filled < 2; filled++) {
		struct sim_fleet f;
		sim_fleet_init(&f);
		one_vm(&f, filled ? 400 * MIB : 0);
		struct sim *s = new_sim(&f, false, 4 * GIB, 0, POLICY_STATIC);
		for (int i = 0; i < 30; i++)
			step(s);
		/* resident = idle anon + cache; a cache with no growth rate stays as it began */
		assert_mib(s->vms[0].consumed, filled ? 464 : 64);
		assert_mib(s->vms[0].cache, filled ? 400 : 0);
		sim_free(s);
		sim_fleet_free(&f);
	}
}

/* The guest swaps in only what it touches: after the limit lifts, cold pages stay
 * in host swap (eager: they all come back at the swap rate). */
static void test_lazy_swap_in(void **state)
{
	(void)state;
	for (int eager = 0; eager < 2; eager++) {
		struct sim_fleet f;
		sim_fleet_init(&f);
		one_vm(&f, 512 * MIB);
		struct sim *s = new_sim(&f, eager, 4 * GIB, 0, POLICY_STATIC);
		struct sim_vm *vm = &s->vms[0];
		step(s);
		assert_mib(vm->consumed, 576);
		assert_mib(vm->host_swapped, 0);
		vm->cgroup_limit = 276.0 * MIB; /* 300 MiB must go, 200 MiB/s */
		step(s);
		assert_mib(vm->host_swapped, 200);
		step(s);
		assert_mib(vm->host_swapped, 300);
		assert_mib(vm->consumed, 276);
		vm->cgroup_limit = 0; /* lifted */
		step(s);
		step(s);
		assert_mib(vm->host_swapped, eager ? 0 : 300);
		assert_mib(vm->consumed, eager ? 576 : 276);
		sim_free(s);
		sim_fleet_free(&f);
	}
}

/* The balloon takes cache the host swapped: the guest drops its coldest pages, which
 * are the ones in host swap, so SWCUR falls and CONSUMED stays. */
static void test_freed_cold_frees_swap(void **state)
{
	(void)state;
	struct sim_fleet f;
	sim_fleet_init(&f);
	one_vm(&f, 512 * MIB);
	struct sim *s = new_sim(&f, false, 4 * GIB, 0, POLICY_STATIC);
	struct sim_vm *vm = &s->vms[0];
	step(s);
	vm->cgroup_limit = 276.0 * MIB;
	step(s);
	step(s);
	vm->cgroup_limit = 0;
	assert_mib(vm->host_swapped, 300);
	vm->target = 400.0 * MIB; /* the guest keeps 400: cache 336, 176 MiB freed */
	step(s);
	assert_mib(vm->actual, 400);
	assert_mib(vm->cache, 336);
	assert_mib(vm->host_swapped, 124);
	assert_mib(vm->consumed, 276);
	sim_free(s);
	sim_fleet_free(&f);
}

/* Over the budget but within RAM: the host kernel does not reclaim (the budget is
 * blimpd's, not the kernel's); with RAM = budget the excess is swapped at once. */
static void test_host_ram(void **state)
{
	(void)state;
	for (int big = 0; big < 2; big++) {
		struct sim_fleet f;
		sim_fleet_init(&f);
		one_vm(&f, 512 * MIB);
		one_vm(&f, 512 * MIB);
		snprintf(f.vms[1].name, sizeof(f.vms[1].name), "b");
		struct sim_config c;
		sim_config_default(&c);
		c.policy = POLICY_STATIC;
		c.host_mem_bytes = 1 * GIB; /* two VMs hold 2 x 576 MiB */
		c.host_ram_bytes = big ? 2 * GIB : 0;
		c.balance_ms = c.step_ms = 1000;
		c.duration_ms = 30000;
		struct sim_result r;
		char err[256];
		if (sim_run(&c, &f, &r, err, sizeof(err)))
			fail_msg("sim_run: %s", err);
		if (big) {
			assert_int_equal(r.host_overflow_ms, 0);
			assert_int_equal(r.host_swapped_peak_bytes, 0);
			/* nobody reclaims: over the budget the whole run */
			assert_int_equal(r.host_over_budget_ms, 30000);
			assert_true(sim_result_over_pct(&r) > 99.99);
		} else {
			/* 128 MiB over: swapped at once; cold, it stays out (lazy swap-in) */
			assert_true(r.host_overflow_ms >= 1000);
			assert_true(r.host_swapped_peak_bytes >= 128 * MIB - MIB);
			/* RAM = budget: over the budget exactly when beyond RAM */
			assert_int_equal(r.host_over_budget_ms, r.host_overflow_ms);
			assert_true(r.host_over_budget_ms < 30000);
		}
		sim_fleet_free(&f);
	}
	/* RAM below the budget makes no sense */
	struct sim_config c;
	sim_config_default(&c);
	c.host_mem_bytes = 2 * GIB;
	c.host_ram_bytes = 1 * GIB;
	char err[128] = "";
	assert_int_equal(sim_config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "RAM"));
}

/* Capacity planning judged on time over the budget (bench/density's rule), on a host
 * whose RAM hides it: static VMs of 64 MiB in use + 512 MiB of cache (576 MiB each) on a
 * 2 GiB budget fit 3 (1728 MiB); the 4th is over the budget all the time. Without the
 * bound every count passes (no working set: no SLO violation), up to the search's cap.
 * blimp balloons the cache away, so it fits more within the same bound. */
static void test_capacity_over_budget(void **state)
{
	(void)state;
	struct sim_fleet base;
	sim_fleet_init(&base);
	one_vm(&base, 512 * MIB);
	struct sim_config c;
	sim_config_default(&c);
	c.host_mem_bytes = 2 * GIB;
	c.host_ram_bytes = 64 * GIB;
	c.balance_ms = c.step_ms = 1000;
	c.duration_ms = 120000;
	struct sim_capacity_opts o = {.base = &base, .slo_pct = 1, .max_vms = 8};
	static struct sim_capacity_result res; /* large: off the stack */
	char err[256];
	c.policy = POLICY_STATIC;
	o.max_over_pct = 100;
	if (sim_capacity(&c, &o, &res, err, sizeof(err)))
		fail_msg("sim_capacity: %s", err);
	assert_int_equal(res.max_vms, 8);
	assert_true(res.capped);
	o.max_over_pct = 10;
	if (sim_capacity(&c, &o, &res, err, sizeof(err)))
		fail_msg("sim_capacity: %s", err);
	assert_int_equal(res.max_vms, 3);
	assert_false(res.capped);
	bool saw_over = false;
	for (size_t i = 0; i < res.n_points; i++)
		saw_over |= res.points[i].n_vms == 4 && res.points[i].over_pct > 99;
	assert_true(saw_over);
	c.policy = POLICY_BLIMP;
	if (sim_capacity(&c, &o, &res, err, sizeof(err)))
		fail_msg("sim_capacity: %s", err);
	assert_true(res.max_vms > 3);
	assert_true(sim_result_over_pct(&res.at_max) <= 10);
	sim_fleet_free(&base);
}

/* What the guest reports: with deflate-on-OOM MemTotal stays put and the balloon's
 * pages count as used (Linux's virtio_balloon); without it MemTotal follows the
 * balloon. The kernel's reserved memory is never in MemTotal. */
static void test_guest_stats(void **state)
{
	(void)state;
	for (int doo = 0; doo < 2; doo++) {
		struct sim_fleet f;
		sim_fleet_init(&f);
		one_vm(&f, 512 * MIB);
		f.vms[0].deflate_on_oom = doo;
		f.vms[0].kernel_bytes = 48 * MIB; /* of the 64 MiB idle */
		struct sim *s = new_sim(&f, false, 4 * GIB, 0, POLICY_STATIC);
		struct sim_vm *vm = &s->vms[0];
		step(s);
		vm->target = 768.0 * MIB; /* 256 MiB ballooned */
		step(s);
		step(s);
		sim_snapshot_vm(s, 0, s->now_ms);
		const struct vm_snapshot *v = &s->snap_vms[0];
		assert_true(v->mctl);
		assert_int_equal(v->balloon_actual_bytes, 768 * MIB);
		assert_int_equal(v->guest_total_bytes, (doo ? 1024 : 768) * MIB - 48 * MIB);
		/* cache 512 + idle 64 fit in 768: 192 MiB free */
		assert_int_equal(v->guest_caches_bytes, 512 * MIB);
		assert_int_equal(v->guest_free_bytes, 192 * MIB);
		uint64_t in_use = v->guest_total_bytes - v->guest_available_bytes;
		assert_int_equal(in_use, (doo ? 256 + 16 : 16) * MIB);
		sim_free(s);
		sim_fleet_free(&f);
	}
}

/* KSM merges a fixed part (the kernel every guest holds alike) plus a share of what
 * is resident, never more than is resident. */
static void test_shareable_fixed(void **state)
{
	(void)state;
	struct sim_fleet f;
	sim_fleet_init(&f);
	one_vm(&f, 512 * MIB);
	f.vms[0].shareable_bytes = 40 * MIB;
	f.vms[0].shareable_permyriad = 1000; /* + 10% */
	struct sim *s = new_sim(&f, false, 4 * GIB, 0, POLICY_STATIC);
	struct sim_vm *vm = &s->vms[0];
	s->ksm_scan_bytes_per_s = 64.0 * GIB; /* scans everything within a step */
	s->total_resident = 576.0 * MIB;
	step(s);
	step(s);
	assert_mib(vm->shared, 40 + 57.6);
	assert_mib(vm->consumed, 576 - 97.6);
	/* the guest drops its cache: less resident, less shared, the fixed part stays */
	vm->target = 104.0 * MIB;
	step(s);
	assert_mib(vm->resident, 104);
	assert_mib(vm->shared, 40 + 10.4);
	sim_free(s);
	sim_fleet_free(&f);
}

/* settings.probe_scale_by_state: in low the slow probe takes 16x the step; blimpd ran
 * without it, and --no-probe-scale reproduces that. */
static void test_probe_unscaled(void **state)
{
	(void)state;
	uint64_t step_bytes[2];
	for (int unscaled = 0; unscaled < 2; unscaled++) {
		struct sim_fleet f;
		sim_fleet_init(&f);
		one_vm(&f, 512 * MIB);
		one_vm(&f, 512 * MIB);
		snprintf(f.vms[1].name, sizeof(f.vms[1].name), "b");
		struct sim_config c;
		sim_config_default(&c);
		c.host_mem_bytes = 1 * GIB; /* two VMs hold 2 x 576 MiB: low */
		c.host_ram_bytes = 8 * GIB;
		c.balance_ms = c.step_ms = 1000;
		c.collect_delay_ms = 0;
		c.probe_unscaled = unscaled;
		struct sim *s = NULL;
		char err[256];
		if (sim_new(&c, &f, &s, err, sizeof(err)))
			fail_msg("sim_new: %s", err);
		if (sim_advance(s, 3000, err, sizeof(err)))
			fail_msg("sim_advance: %s", err);
		const struct plan *p = sim_last_plan(s);
		assert_non_null(p);
		assert_int_equal(p->host.state, HOST_STATE_LOW);
		step_bytes[unscaled] = 1 * GIB - p->vms[0].target_bytes;
		sim_free(s);
		sim_fleet_free(&f);
	}
	/* three plans: 3 x 1% of MEMSZ unscaled, 3 x 16% scaled */
	assert_int_equal(step_bytes[1], 3 * (GIB / 100));
	assert_int_equal(step_bytes[0], 48 * (GIB / 100));
}

static void test_fleet_cache_init(void **state)
{
	(void)state;
	struct sim_fleet f;
	char err[256];
	sim_fleet_init(&f);
	static const char ok[] =
	    "name,memsz,cache_cap,cache_init,idle_anon,guest_kernel,shareable\n"
	    "a,1G,512M,256M,96M,48M,40M\nb,1G,,,,,\n";
	assert_int_equal(sim_fleet_parse(ok, strlen(ok), &f, err, sizeof(err)), 0);
	assert_int_equal(f.n, 2);
	assert_int_equal(f.vms[0].cache_init_bytes, 256 * MIB);
	assert_int_equal(f.vms[0].kernel_bytes, 48 * MIB);
	assert_int_equal(f.vms[0].shareable_bytes, 40 * MIB);
	assert_int_equal(f.vms[1].cache_init_bytes, 0);
	assert_int_equal(f.vms[1].kernel_bytes, 0);
	sim_fleet_free(&f);
	static const char *const bad[] = {
	    "name,memsz,cache_cap,cache_init\na,1G,128M,256M\n", /* above the cap */
	    "name,memsz,cache_init\na,1G,2G\n",			 /* above MEMSZ */
	    "name,memsz,cache_init\na,1G,-1\n",
	    "name,memsz,cache_init\na,1G,lots\n",
	    "name,memsz,idle_anon,guest_kernel\na,1G,64M,65M\n", /* above idle_anon */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sim_fleet_init(&f);
		err[0] = '\0';
		assert_int_equal(sim_fleet_parse(bad[i], strlen(bad[i]), &f, err, sizeof(err)),
				 -EINVAL);
		assert_true(strstr(err, "cache_") || strstr(err, "guest_kernel"));
		assert_int_equal(f.n, 0);
		sim_fleet_free(&f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cache_init),
	    cmocka_unit_test(test_lazy_swap_in),
	    cmocka_unit_test(test_freed_cold_frees_swap),
	    cmocka_unit_test(test_host_ram),
	    cmocka_unit_test(test_capacity_over_budget),
	    cmocka_unit_test(test_guest_stats),
	    cmocka_unit_test(test_shareable_fixed),
	    cmocka_unit_test(test_probe_unscaled),
	    cmocka_unit_test(test_fleet_cache_init),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
