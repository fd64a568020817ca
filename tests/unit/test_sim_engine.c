/* The simulation loop on the real policy: hand-known fleets with exact allocations,
 * determinism of the output files, invariants on large random fleets, and the model's
 * own behaviour (OOM, guest swap, host overflow). */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sim/rng.h"
#include "sim/sim.h"
#include "sim/sim_main.h"

#define MIB MODEL_MIB
#define GIB MODEL_GIB

/* A plain VM: boots at once, no cache, no sharing, no OVHD, constant working set. */
static void add_vm(struct sim_fleet *f, const char *name, uint64_t memsz, uint64_t ws,
		   uint64_t shares, uint64_t maxmemctl)
{
	struct sim_vm_spec v;
	sim_vm_spec_default(&v, memsz);
	snprintf(v.name, sizeof(v.name), "%s", name);
	v.boot_ms = 0;
	v.idle_anon_bytes = 0;
	v.cache_cap_bytes = 0;
	v.shareable_permyriad = 0;
	v.ovhd_bytes = 0;
	v.settings.shares = shares;
	v.settings.maxmemctl_bytes = maxmemctl;
	assert_int_equal(sim_trace_add(&v.ws, 0, ws), 0);
	assert_int_equal(sim_fleet_add(f, &v), 0);
}

static struct sim *run_for(const struct sim_fleet *f, uint64_t budget, uint64_t ms,
			   enum policy_kind k)
{
	struct sim_config c;
	sim_config_default(&c);
	c.policy = k;
	c.host_mem_bytes = budget;
	c.check = true;
	c.balance_ms = 5000;
	c.step_ms = 1000;
	c.duration_ms = ms;
	struct sim *s = NULL;
	char err[256];
	int r = sim_new(&c, f, &s, err, sizeof(err));
	if (r)
		fail_msg("sim_new: %s", err);
	r = sim_advance(s, ms, err, sizeof(err));
	if (r)
		fail_msg("sim_advance: %s", err);
	assert_non_null(sim_last_plan(s));
	return s;
}

static uint64_t avail_of(uint64_t budget)
{
	return budget - policy_minfree_bytes(budget);
}

static void assert_near(uint64_t got, uint64_t want, uint64_t tol)
{
	if (got + tol < want || got > want + tol)
		fail_msg("got %llu, want %llu +- %llu", (unsigned long long)got,
			 (unsigned long long)want, (unsigned long long)tol);
}

/* Everyone idle and it all fits: every VM keeps (and is entitled to) its MEMSZ. */
static void test_idle_fits(void **state)
{
	(void)state;
	struct sim_fleet f;
	sim_fleet_init(&f);
	for (int i = 0; i < 4; i++) {
		char n[16];
		snprintf(n, sizeof(n), "i%d", i);
		add_vm(&f, n, 1 * GIB, 50 * MIB, 0, 0);
	}
	struct sim *s = run_for(&f, 8 * GIB, 600000, POLICY_BLIMP);
	const struct plan *p = sim_last_plan(s);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(p->vms[i].entitlement_bytes, 1 * GIB);
		assert_int_equal(p->vms[i].target_bytes, 1 * GIB);
		assert_int_equal(sim_last_snapshot(s)->vms[i].balloon_actual_bytes, 1 * GIB);
	}
	assert_int_equal(p->host.state, HOST_STATE_HIGH);
	struct sim_result r;
	sim_result_get(s, &r);
	assert_int_equal(r.vm_violation_ms, 0);
	assert_int_equal(r.guest_ooms, 0);
	assert_int_equal(r.vm_run_ms, 4 * 600000);
	sim_free(s);
	sim_fleet_free(&f);
}

/* All busy, equal shares: the budget (less minFree) splits equally. */
static void test_busy_equal_split(void **state)
{
	(void)state;
	struct sim_fleet f;
	sim_fleet_init(&f);
	for (int i = 0; i < 4; i++) {
		char n[16];
		snprintf(n, sizeof(n), "b%d", i);
		add_vm(&f, n, 2 * GIB, 2 * GIB, 0, 0);
	}
	uint64_t budget = 5 * GIB;
	struct sim *s = run_for(&f, budget, 300000, POLICY_BLIMP);
	const struct plan *p = sim_last_plan(s);
	uint64_t each = avail_of(budget) / 4;
	for (int i = 0; i < 4; i++)
		assert_near(p->vms[i].entitlement_bytes, each, 4);
	sim_free(s);
	sim_fleet_free(&f);
}

/* All busy, shares 2:1: memory 2:1. */
static void test_busy_shares_2_to_1(void **state)
{
	(void)state;
	struct sim_fleet f;
	sim_fleet_init(&f);
	add_vm(&f, "gold", 4 * GIB, 4 * GIB, 2000, 4 * GIB);
	add_vm(&f, "bronze", 4 * GIB, 4 * GIB, 1000, 4 * GIB);
	uint64_t budget = 3 * GIB + 256 * MIB;
	struct sim *s = run_for(&f, budget, 300000, POLICY_BLIMP);
	const struct plan *p = sim_last_plan(s);
	uint64_t a = avail_of(budget);
	assert_near(p->vms[0].entitlement_bytes, a / 3 * 2, 4);
	assert_near(p->vms[1].entitlement_bytes, a / 3, 4);
	assert_int_equal(p->vms[0].entitlement_bytes + p->vms[1].entitlement_bytes, a);
	sim_free(s);
	sim_fleet_free(&f);
}

/* The idle memory tax (tau = 0.75, k = 4): equal shares, one VM fully active, one
 * idle: the active one gets 4/5 of what there is, the idle one 1/5. */
static void test_idle_tax(void **state)
{
	(void)state;
	struct sim_fleet f;
	sim_fleet_init(&f);
	add_vm(&f, "active", 4 * GIB, 4 * GIB, 1000, 4 * GIB);
	add_vm(&f, "idle", 4 * GIB, 0, 1000, 4 * GIB);
	uint64_t budget = 4 * GIB + 256 * MIB;
	struct sim *s = run_for(&f, budget, 300000, POLICY_BLIMP);
	const struct plan *p = sim_last_plan(s);
	uint64_t a = avail_of(budget);
	assert_near(p->vms[0].entitlement_bytes, a / 5 * 4, 4);
	assert_near(p->vms[1].entitlement_bytes, a / 5, 4);
	assert_int_equal(p->vms[1].actv_bytes, 0);
	assert_int_equal(p->vms[0].actv_bytes, 4 * GIB);
	sim_free(s);
	sim_fleet_free(&f);
}

/* Static never balloons; an idle VM under blimp in a tight host is squeezed, and
 * the blimp plan keeps everyone above the guest floor: no OOM, no swap. */
static void test_static_vs_blimp(void **state)
{
	(void)state;
	struct sim_fleet f;
	sim_fleet_init(&f);
	add_vm(&f, "busy", 2 * GIB, 1536 * MIB, 0, 0);
	add_vm(&f, "idle", 2 * GIB, 128 * MIB, 0, 0);
	for (size_t i = 0; i < f.n; i++) {
		f.vms[i].cache_cap_bytes = 1 * GIB; /* the idle one fills its cache */
		f.vms[i].cache_bytes_per_s = 16 * MIB;
	}
	uint64_t budget = 3 * GIB;
	struct sim *st = run_for(&f, budget, 1800000, POLICY_STATIC);
	struct sim *bl = run_for(&f, budget, 1800000, POLICY_BLIMP);
	assert_int_equal(sim_last_plan(st)->vms[1].target_bytes, 2 * GIB);
	assert_true(sim_last_plan(bl)->vms[1].target_bytes < 1 * GIB);
	assert_true(sim_last_snapshot(bl)->vms[1].balloon_actual_bytes < 1 * GIB);
	struct sim_result rs, rb;
	sim_result_get(st, &rs);
	sim_result_get(bl, &rb);
	assert_int_equal(rb.guest_ooms, 0);
	assert_true(rb.host_overflow_ms < rs.host_overflow_ms);
	assert_true(rs.host_overflow_ms > 0); /* caches filled the host: the kernel swapped */
	assert_true(rb.saved_mean_bytes > rs.saved_mean_bytes);
	sim_free(st);
	sim_free(bl);
	sim_fleet_free(&f);
}

/* The model: a guest with no swap whose working set outgrows its balloon is OOM
 * killed (no deflate-on-OOM); with guest swap it swaps and counts a violation. */
static void test_oom_and_swap_model(void **state)
{
	(void)state;
	for (int swap = 0; swap < 3; swap++) {
		struct sim_fleet f;
		sim_fleet_init(&f);
		add_vm(&f, "grow", 2 * GIB, 256 * MIB, 0, 0);
		struct sim_vm_spec *v = &f.vms[0];
		v->deflate_on_oom = swap == 2;
		v->guest_swap_bytes = swap == 1 ? 2 * GIB : 0;
		/* 256 MiB for 20 min (blimp probes the balloon down), then 1.8 GiB in 1 s
		 * (deflate-on-OOM: in 20 s, which the balloon can follow at 128 MiB/s). */
		assert_int_equal(sim_trace_add(&v->ws, 1200000, 256 * MIB), 0);
		assert_int_equal(sim_trace_add(&v->ws, swap == 2 ? 1220000 : 1201000, 1800 * MIB),
				 0);
		/* A second VM keeps the host busy so blimp reclaims (hard state). */
		add_vm(&f, "hog", 4 * GIB, 4 * GIB - 64 * MIB, 0, 0);
		/* Host in hard: blimp balloons the idle VM toward its floor. */
		struct sim *s = run_for(&f, 4400 * MIB, 1195000, POLICY_BLIMP);
		/* without deflate-on-OOM blimp takes at most 25% of MEMSZ (1.5 GiB kept) */
		assert_true(sim_last_snapshot(s)->vms[0].balloon_actual_bytes <
			    (swap == 2 ? 1 * GIB : 1600 * MIB));
		char err[200];
		if (sim_advance(s, 1200000 + 30000, err, sizeof(err)))
			fail_msg("%s", err);
		struct sim_result r;
		sim_result_get(s, &r);
		const struct snapshot *sn = sim_last_snapshot(s);
		if (swap == 2) {
			assert_int_equal(r.guest_ooms, 0);
			assert_true(sn->vms[0].balloon_actual_bytes >= 1800 * MIB);
			assert_true(r.vm_violation_ms > 0); /* stalled in the OOM path meanwhile */
		} else if (swap == 1) {
			assert_int_equal(r.guest_ooms, 0);
			assert_true(sn->vms[0].guest_swap_out_bytes > 0);
			assert_true(r.vm_violation_ms > 0);
		} else {
			assert_true(r.guest_ooms >= 1);
			assert_int_equal(sn->vms[0].guest_oom_kills, r.guest_ooms);
		}
		sim_free(s);
		sim_fleet_free(&f);
	}
}

/* The operator's domains (issue: stock libvirt XML): three 768 MiB guests without
 * deflate-on-OOM reporting every 5 s, two holding page cache, on a budget below their
 * MEMSZ and no host swap; after ten quiet minutes one starts a 400 MiB working set in
 * two seconds. blimp balloons the idle guests, keeps 75% of MEMSZ in each (no
 * deflate-on-OOM), never shrinks the one whose use climbs and, the host being low,
 * deflates it by what it needs as deflate-on-OOM would have: no guest is OOM-killed
 * (without that grant the sim OOM-killed the workload at 602 s). */
static void test_operator_domains(void **state)
{
	(void)state;
	struct sim_fleet f;
	sim_fleet_init(&f);
	for (int i = 0; i < 3; i++) {
		char name[8];
		snprintf(name, sizeof(name), "deb%d", i);
		add_vm(&f, name, 768 * MIB, 0, 0, 0);
		struct sim_vm_spec *v = &f.vms[i];
		v->deflate_on_oom = false;
		v->idle_anon_bytes = 120 * MIB;
		v->kernel_bytes = 70 * MIB;
		v->ovhd_bytes = 100 * MIB;
		v->cache_cap_bytes = i ? 500 * MIB : 100 * MIB;
		v->cache_init_bytes = v->cache_cap_bytes;
	}
	assert_int_equal(sim_trace_add(&f.vms[0].ws, 600000, 0), 0);
	assert_int_equal(sim_trace_add(&f.vms[0].ws, 602000, 400 * MIB), 0);
	struct sim_config c;
	sim_config_default(&c);
	c.policy = POLICY_BLIMP;
	c.host_mem_bytes = 1536 * MIB;
	c.check = true;
	c.balance_ms = 1000;
	c.step_ms = 1000;
	c.stats_period_ms = 5000;
	c.host_swap = false;
	c.duration_ms = 660000;
	struct sim *s = NULL;
	char err[256];
	if (sim_new(&c, &f, &s, err, sizeof(err)))
		fail_msg("sim_new: %s", err);
	if (sim_advance(s, 599000, err, sizeof(err)))
		fail_msg("%s", err);
	const struct snapshot *sn = sim_last_snapshot(s);
	for (int i = 0; i < 3; i++) { /* ballooned, but never below 75% of MEMSZ */
		assert_true(sn->vms[i].balloon_actual_bytes < 768 * MIB);
		assert_true(sn->vms[i].balloon_actual_bytes >= 768 * MIB * 75 / 100);
	}
	if (sim_advance(s, 660000, err, sizeof(err)))
		fail_msg("%s", err);
	struct sim_result r;
	sim_result_get(s, &r);
	assert_int_equal(r.guest_ooms, 0);
	sn = sim_last_snapshot(s);
	assert_true(sn->vms[0].balloon_actual_bytes >= 120 * MIB + 400 * MIB);
	sim_free(s);
	sim_fleet_free(&f);
}

/* Unreported memory (free in the guest, still backed by the host): held until the
 * guest's allocations reuse it, so a working set of W grows CONSUMED by W less what
 * was unreported, and gone for good after (the working set's pages are reported when
 * freed); the balloon takes it too. unreported = 0 is the model as it was. */
static void test_unreported_model(void **state)
{
	(void)state;
	uint64_t cons[2][3];
	for (int u = 0; u < 2; u++) {
		struct sim_fleet f;
		sim_fleet_init(&f);
		add_vm(&f, "vm", 512 * MIB, 0, 0, 0);
		struct sim_vm_spec *v = &f.vms[0];
		v->idle_anon_bytes = 64 * MIB;
		v->unreported_bytes = u ? 100 * MIB : 0;
		/* idle until 60 s, a 200 MiB working set for 60 s, idle again */
		assert_int_equal(sim_trace_add(&v->ws, 60000, 0), 0);
		assert_int_equal(sim_trace_add(&v->ws, 61000, 200 * MIB), 0);
		assert_int_equal(sim_trace_add(&v->ws, 120000, 200 * MIB), 0);
		assert_int_equal(sim_trace_add(&v->ws, 121000, 0), 0);
		uint64_t at[3] = {50000, 110000, 170000};
		struct sim *s = run_for(&f, 4 * GIB, at[0], POLICY_BLIMP);
		char err[200];
		for (int k = 0; k < 3; k++) {
			if (k && sim_advance(s, at[k], err, sizeof(err)))
				fail_msg("%s", err);
			cons[u][k] = sim_last_snapshot(s)->vms[0].consumed_bytes;
		}
		sim_free(s);
		sim_fleet_free(&f);
	}
	assert_int_equal(cons[0][0], 64 * MIB);
	assert_int_equal(cons[1][0], 164 * MIB);	   /* idle: held on top */
	assert_int_equal(cons[0][1], 264 * MIB);
	assert_int_equal(cons[1][1], 264 * MIB);	   /* reused by the working set */
	assert_int_equal(cons[1][2], cons[0][2]);	   /* and not back after it */
	assert_int_equal(cons[0][2], 64 * MIB);

	/* The balloon takes it first: on a budget where blimp balloons the idle guest,
	 * the guest with unreported memory ends at the same CONSUMED as one without. */
	uint64_t end[2];
	for (int u = 0; u < 2; u++) {
		struct sim_fleet f;
		sim_fleet_init(&f);
		add_vm(&f, "idle", 1 * GIB, 0, 0, 0);
		f.vms[0].idle_anon_bytes = 64 * MIB;
		f.vms[0].unreported_bytes = u ? 300 * MIB : 0;
		f.vms[0].cache_cap_bytes = f.vms[0].cache_init_bytes = 400 * MIB;
		add_vm(&f, "hog", 2 * GIB, 2 * GIB - 64 * MIB, 0, 0);
		struct sim *s = run_for(&f, 2300 * MIB, 600000, POLICY_BLIMP);
		const struct vm_snapshot *sv = &sim_last_snapshot(s)->vms[0];
		assert_true(sv->balloon_actual_bytes < 1 * GIB); /* ballooned */
		end[u] = sv->consumed_bytes;
		sim_free(s);
		sim_fleet_free(&f);
	}
	assert_int_equal(end[0], end[1]);
}

static uint64_t fnv_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "re");
	assert_non_null(fp);
	uint64_t h = 0xcbf29ce484222325ULL;
	int ch;
	*len = 0;
	while ((ch = fgetc(fp)) != EOF) {
		h = (h ^ (uint64_t)ch) * 0x100000001b3ULL;
		(*len)++;
	}
	fclose(fp);
	return h;
}

static void rm_dir(const char *dir)
{
	char p[512];
	const char *files[] = {"vms.csv", "host.csv"};
	for (size_t i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

static void run_to_dir(const char *gen, uint64_t seed, const char *dir, struct sim_result *r)
{
	struct sim_fleet f;
	sim_fleet_init(&f);
	assert_int_equal(sim_gen(gen, 40, seed, &f), 0);
	struct sim_config c;
	sim_config_default(&c);
	c.seed = seed;
	c.host_mem_bytes = sim_fleet_memsz_bytes(&f) / 2;
	c.duration_ms = 3 * 3600 * 1000;
	c.out_dir = dir;
	c.check = true;
	char err[256];
	if (sim_run(&c, &f, r, err, sizeof(err)))
		fail_msg("%s", err);
	sim_fleet_free(&f);
}

/* Same fleet + seed: byte-identical files. Another seed: different files. */
static void test_determinism(void **state)
{
	(void)state;
	char a[] = "/tmp/simdetAXXXXXX", b[] = "/tmp/simdetBXXXXXX", c[] = "/tmp/simdetCXXXXXX";
	assert_non_null(mkdtemp(a));
	assert_non_null(mkdtemp(b));
	assert_non_null(mkdtemp(c));
	struct sim_result ra, rb, rc;
	run_to_dir("bursty", 11, a, &ra);
	run_to_dir("bursty", 11, b, &rb);
	run_to_dir("bursty", 12, c, &rc);
	const char *files[] = {"vms.csv", "host.csv"};
	for (size_t i = 0; i < 2; i++) {
		char pa[128], pb[128], pc[128];
		snprintf(pa, sizeof(pa), "%s/%s", a, files[i]);
		snprintf(pb, sizeof(pb), "%s/%s", b, files[i]);
		snprintf(pc, sizeof(pc), "%s/%s", c, files[i]);
		size_t la, lb, lc;
		uint64_t ha = fnv_file(pa, &la), hb = fnv_file(pb, &lb), hc = fnv_file(pc, &lc);
		assert_true(la > 1000);
		assert_int_equal(la, lb);
		assert_int_equal(ha, hb);
		assert_int_not_equal(ha, hc);
	}
	ra.policy_ns = rb.policy_ns = 0; /* wall time: the one field that may differ */
	assert_memory_equal(&ra, &rb, sizeof(ra));
	/* 3 h at 15 s: 720 host rows and a header. */
	char ph[128], line[512];
	snprintf(ph, sizeof(ph), "%s/host.csv", a);
	FILE *fp = fopen(ph, "re");
	assert_non_null(fp);
	int rows = 0;
	while (fgets(line, sizeof(line), fp))
		rows++;
	fclose(fp);
	assert_int_equal(rows, 721);
	rm_dir(a);
	rm_dir(b);
	rm_dir(c);
}

/* Invariants every balance period (sim_check_plan via --check) on large random fleets
 * with random settings, for every policy. */
static void test_property_random_fleets(void **state)
{
	(void)state;
	static const char *gens[] = {"idle", "diurnal", "bursty", "clones"};
	for (uint64_t seed = 1; seed <= 8; seed++) {
		struct sim_rng rng;
		sim_rng_seed(&rng, seed, 999);
		struct sim_fleet f;
		sim_fleet_init(&f);
		size_t n = 100 + sim_rng_below(&rng, 300);
		assert_int_equal(sim_gen(gens[seed % 4], n, seed, &f), 0);
		for (size_t i = 0; i < f.n; i++) {
			struct sim_vm_spec *v = &f.vms[i];
			uint64_t m = v->memsz_bytes;
			if (sim_rng_below(&rng, 4) == 0)
				v->settings.reservation_bytes = m / 100 * sim_rng_below(&rng, 90);
			if (sim_rng_below(&rng, 4) == 0)
				v->settings.limit_bytes = m / 100 * (10 + sim_rng_below(&rng, 90));
			if (sim_rng_below(&rng, 4) == 0)
				v->settings.maxmemctl_bytes = m / 100 * sim_rng_below(&rng, 101);
			if (sim_rng_below(&rng, 3) == 0)
				v->settings.shares = 1 + sim_rng_below(&rng, 100000);
			if (sim_rng_below(&rng, 8) == 0)
				v->balloon = false;
			if (sim_rng_below(&rng, 4) == 0)
				v->deflate_on_oom = false;
		}
		struct sim_config c;
		sim_config_default(&c);
		c.seed = seed;
		c.check = true;
		c.duration_ms = (2 + sim_rng_below(&rng, 4)) * 3600 * 1000;
		c.host_mem_bytes =
		    sim_fleet_memsz_bytes(&f) / 100 * (30 + sim_rng_below(&rng, 120));
		c.balance_ms = 5000 * (1 + sim_rng_below(&rng, 6));
		c.step_ms = c.balance_ms / (1 + sim_rng_below(&rng, 5));
		c.balance_ms = c.step_ms * (c.balance_ms / c.step_ms);
		c.stats_period_ms = 1000 * (1 + sim_rng_below(&rng, 10));
		for (unsigned k = 0; k < POLICY__COUNT; k++) {
			c.policy = (enum policy_kind)k;
			struct sim_result r;
			char err[256];
			int e = sim_run(&c, &f, &r, err, sizeof(err));
			if (e)
				fail_msg("seed %llu policy %s: %s", (unsigned long long)seed,
					 policy_kind_name(c.policy), err);
			assert_int_equal(r.check_failures, 0);
			assert_true(r.balance_runs == c.duration_ms / c.balance_ms);
			assert_true(r.vm_violation_ms <= r.vm_run_ms);
		}
		sim_fleet_free(&f);
	}
}

/* The checker itself catches broken plans (so --check can fail). */
static void test_check_catches(void **state)
{
	(void)state;
	struct vm_snapshot v;
	memset(&v, 0, sizeof(v));
	snprintf(v.name, sizeof(v.name), "x");
	v.running = true;
	v.memsz_bytes = 4 * GIB;
	v.settings.reservation_bytes = 2 * GIB;
	struct snapshot snap = {.n_vms = 1, .vms = &v};
	struct vm_plan vp;
	memset(&vp, 0, sizeof(vp));
	struct plan plan = {.n_vms = 1, .vms = &vp};
	struct policy_settings ps;
	policy_settings_default(&ps);
	ps.budget_bytes = 16 * GIB;
	plan.host.budget_bytes = ps.budget_bytes;
	char err[200];
	vp.target_bytes = 3 * GIB;
	vp.mctltgt_bytes = 1 * GIB;
	vp.entitlement_bytes = 3 * GIB;
	assert_int_equal(sim_check_plan(&ps, &snap, &plan, err, sizeof(err)), 0);
	vp.target_bytes = 1900 * MIB; /* below reservation */
	vp.mctltgt_bytes = 4 * GIB - vp.target_bytes;
	assert_int_equal(sim_check_plan(&ps, &snap, &plan, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "reservation"));
	v.settings.reservation_bytes = 0;
	vp.target_bytes = 1 * GIB; /* MCTLMAX = 65% of 4 GiB: balloon of 3 GiB too much */
	vp.mctltgt_bytes = 3 * GIB;
	assert_int_equal(sim_check_plan(&ps, &snap, &plan, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "MCTLMAX"));
	vp.target_bytes = 3 * GIB;
	vp.mctltgt_bytes = 1 * GIB;
	vp.entitlement_bytes = 16 * GIB; /* above the limit (MEMSZ) */
	assert_int_equal(sim_check_plan(&ps, &snap, &plan, err, sizeof(err)), -EPROTO);
	vp.entitlement_bytes = 4 * GIB;
	ps.budget_bytes = 3 * GIB; /* entitlement + minFree beyond the budget */
	plan.host.budget_bytes = ps.budget_bytes;
	assert_int_equal(sim_check_plan(&ps, &snap, &plan, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "budget"));
}

/* The command line: usage errors are 2, a run prints a RESULT line. */
static void test_main_flags(void **state)
{
	(void)state;
	char *bad1[] = {"sim", NULL};
	char *bad2[] = {"sim", "--gen", "nosuch", NULL};
	char *bad3[] = {"sim", "--gen", "idle", "--fleet", "x.csv", NULL};
	char *bad4[] = {"sim", "--gen", "idle", "--hours", "-1", NULL};
	char *bad5[] = {"sim", "--gen", "idle", "--step-ms", "7000", "--balance-ms", "15000", NULL};
	char *bad6[] = {"sim", "--gen", "idle", "--policy", "esx", NULL};
	char *bad7[] = {"sim", "--fleet", "tests/fixtures/sim/nonexistent.csv", NULL};
	char *bad8[] = {"sim", "--gen", "idle", "stray", NULL};
	char **bads[] = {bad1, bad2, bad3, bad4, bad5, bad6, bad7, bad8};
	FILE *saved = stderr;
	stderr = fopen("/dev/null", "w");
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		int argc = 0;
		while (bads[i][argc])
			argc++;
		assert_int_equal(sim_main(argc, bads[i]), 2);
	}
	char *ok[] = {"sim", "--gen", "demo", "--hours", "0.5", "--check", "--policy", "all", NULL};
	int fd = dup(STDOUT_FILENO);
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	fflush(stdout);
	dup2(fileno(tmp), STDOUT_FILENO);
	int rc = sim_main(8, ok);
	fflush(stdout);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	fclose(stderr);
	stderr = saved;
	assert_int_equal(rc, 0);
	rewind(tmp);
	char line[8192], last[8192] = "";
	while (fgets(line, sizeof(line), tmp))
		memcpy(last, line, sizeof(line));
	fclose(tmp);
	assert_true(strncmp(last, "RESULT vms=4 ", 13) == 0);
	assert_non_null(strstr(last, "blimp_slo_violation_pct="));
	assert_non_null(strstr(last, "mom_guest_ooms="));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_idle_fits),
	    cmocka_unit_test(test_busy_equal_split),
	    cmocka_unit_test(test_busy_shares_2_to_1),
	    cmocka_unit_test(test_idle_tax),
	    cmocka_unit_test(test_static_vs_blimp),
	    cmocka_unit_test(test_oom_and_swap_model),
	    cmocka_unit_test(test_operator_domains),
	    cmocka_unit_test(test_unreported_model),
	    cmocka_unit_test(test_determinism),
	    cmocka_unit_test(test_property_random_fleets),
	    cmocka_unit_test(test_check_catches),
	    cmocka_unit_test(test_main_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
