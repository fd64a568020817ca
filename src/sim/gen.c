/*
 * Built-in fleet generators. Each VM i is drawn from its own PRNG stream (seed, i), so
 * gen(n) is a prefix of gen(n + k): capacity planning grows a fleet without
 * reshuffling the VMs already in it. docs/simulator.md describes each workload.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/rng.h"
#include "sim/sim.h"

#define H_MS (3600ULL * 1000)
#define MIN_MS (60ULL * 1000)
#define DAY_MS (24 * H_MS)
#define MIB MODEL_MIB
#define GIB MODEL_GIB

const char *const sim_gen_names[] = {"idle", "diurnal", "bursty", "clones", "demo", NULL};

bool sim_gen_known(const char *name)
{
	for (size_t i = 0; sim_gen_names[i]; i++)
		if (strcmp(name, sim_gen_names[i]) == 0)
			return true;
	return false;
}

static uint64_t gen_pm(uint64_t v, uint64_t pm)
{
	return (uint64_t)((unsigned __int128)v * pm / 10000);
}

static uint64_t gen_pick_memsz(struct sim_rng *r, const uint64_t *choices, size_t n)
{
	return choices[sim_rng_below(r, n)];
}

/* Adds a point, ignoring a time that does not increase (generators stay sorted). */
static int gen_pt(struct sim_vm_spec *v, uint64_t t_ms, uint64_t ws)
{
	if (ws > v->memsz_bytes)
		ws = v->memsz_bytes;
	if (v->ws.n && t_ms <= v->ws.pts[v->ws.n - 1].t_ms)
		return 0;
	return sim_trace_add(&v->ws, t_ms, ws);
}

/* Mostly idle: 3-10% of MEMSZ in use, drifting every 30 min by up to +-20%. */
static int gen_idle(struct sim_rng *r, struct sim_vm_spec *v)
{
	static const uint64_t sizes[] = {1 * GIB, 2 * GIB, 2 * GIB, 4 * GIB};
	sim_vm_spec_default(v, gen_pick_memsz(r, sizes, 4));
	v->start_ms = sim_rng_below(r, 10 * MIN_MS);
	v->cache_cap_bytes = gen_pm(v->memsz_bytes, sim_rng_range(r, 2000, 6000));
	v->shareable_permyriad = (uint32_t)sim_rng_range(r, 1000, 2000);
	if (sim_rng_below(r, 4) == 0)
		v->guest_swap_bytes = 1 * GIB;
	v->ws.period_ms = DAY_MS;
	uint64_t base = gen_pm(v->memsz_bytes, sim_rng_range(r, 300, 1000));
	for (uint64_t t = 0; t < DAY_MS; t += 30 * MIN_MS) {
		uint64_t ws = gen_pm(base, sim_rng_range(r, 8000, 12000));
		int e = gen_pt(v, t, ws);
		if (e)
			return e;
	}
	return 0;
}

/* Office hours: low at night, a peak in the afternoon (14:00 +- 2 h per VM). */
static int gen_diurnal(struct sim_rng *r, struct sim_vm_spec *v)
{
	static const uint64_t sizes[] = {2 * GIB, 4 * GIB, 4 * GIB, 8 * GIB};
	sim_vm_spec_default(v, gen_pick_memsz(r, sizes, 4));
	v->start_ms = sim_rng_below(r, 10 * MIN_MS);
	v->cache_cap_bytes = gen_pm(v->memsz_bytes, 4000);
	v->shareable_permyriad = (uint32_t)sim_rng_range(r, 1000, 2500);
	if (sim_rng_below(r, 2) == 0)
		v->guest_swap_bytes = 2 * GIB;
	v->ws.period_ms = DAY_MS;
	uint64_t lo = gen_pm(v->memsz_bytes, sim_rng_range(r, 500, 1500));
	uint64_t amp = gen_pm(v->memsz_bytes, sim_rng_range(r, 2500, 5500));
	uint64_t peak_h = 12 + sim_rng_below(r, 5); /* 12:00 .. 16:00 */
	/* A triangle 8 h wide on each side of the peak, sampled hourly, with noise. */
	for (uint64_t h = 0; h < 24; h++) {
		uint64_t d = h > peak_h ? h - peak_h : peak_h - h;
		if (d > 12)
			d = 24 - d;
		uint64_t level = d >= 8 ? 0 : (8 - d) * 10000 / 8; /* permyriad of amp */
		uint64_t ws = lo + gen_pm(amp, level);
		ws = gen_pm(ws, sim_rng_range(r, 9000, 11000));
		int e = gen_pt(v, h * H_MS, ws);
		if (e)
			return e;
	}
	return 0;
}

/* Batch jobs: idle at 5%, 2-6 jobs a day of 10-60 min at 50-85% of MEMSZ. */
static int gen_bursty(struct sim_rng *r, struct sim_vm_spec *v)
{
	static const uint64_t sizes[] = {2 * GIB, 4 * GIB};
	sim_vm_spec_default(v, gen_pick_memsz(r, sizes, 2));
	v->start_ms = sim_rng_below(r, 10 * MIN_MS);
	v->cache_cap_bytes = gen_pm(v->memsz_bytes, 3000);
	v->cache_bytes_per_s = 4 * MIB;
	if (sim_rng_below(r, 2) == 0)
		v->guest_swap_bytes = 1 * GIB;
	v->ws.period_ms = DAY_MS;
	uint64_t idle = gen_pm(v->memsz_bytes, 500);
	uint64_t jobs = sim_rng_range(r, 2, 6);
	uint64_t slot = DAY_MS / jobs; /* one job per slot: jobs never overlap */
	int e = gen_pt(v, 0, idle);
	for (uint64_t j = 0; j < jobs && !e; j++) {
		uint64_t dur = sim_rng_range(r, 10, 60) * MIN_MS;
		uint64_t start = j * slot + MIN_MS + sim_rng_below(r, slot - dur - 3 * MIN_MS);
		uint64_t peak = gen_pm(v->memsz_bytes, sim_rng_range(r, 5000, 8500));
		e = gen_pt(v, start, idle);
		if (!e)
			e = gen_pt(v, start + MIN_MS, peak); /* a minute to load its data */
		if (!e)
			e = gen_pt(v, start + dur, peak);
		if (!e)
			e = gen_pt(v, start + dur + 10000, idle);
	}
	return e;
}

/* Identical VMs (same image, same service): 2 GiB, 25% in use, much to share. The
 * trace comes from one stream shared by every clone. */
static int gen_clones(uint64_t seed, struct sim_rng *r, struct sim_vm_spec *v)
{
	sim_vm_spec_default(v, 2 * GIB);
	v->start_ms = sim_rng_below(r, 5 * MIN_MS);
	v->shareable_permyriad = 6000;
	v->cache_cap_bytes = 768 * MIB;
	v->ws.period_ms = DAY_MS;
	struct sim_rng shared;
	sim_rng_seed(&shared, seed, UINT64_MAX);
	for (uint64_t t = 0; t < DAY_MS; t += H_MS) {
		uint64_t ws = gen_pm(512 * MIB, sim_rng_range(&shared, 9000, 11000));
		int e = gen_pt(v, t, ws);
		if (e)
			return e;
	}
	return 0;
}

/* The 4-VM demo: 512 MiB VMs whose workloads take turns (5 min each in a 20 min
 * cycle): 360 MiB working set when active, 32 MiB when not. VM i takes turn i % 4. */
static int gen_demo(size_t i, struct sim_vm_spec *v)
{
	sim_vm_spec_default(v, 512 * MIB);
	v->boot_ms = 10000;
	v->idle_anon_bytes = 40 * MIB;
	v->cache_cap_bytes = 96 * MIB;
	v->cache_bytes_per_s = 2 * MIB;
	v->shareable_permyriad = 1500;
	v->ovhd_bytes = 48 * MIB; /* TCG: larger than under KVM */
	const uint64_t turn = 5 * MIN_MS, cycle = 4 * turn;
	v->ws.period_ms = cycle;
	uint64_t on = (i % 4) * turn;
	uint64_t hi = 360 * MIB, lo = 32 * MIB;
	int e = 0;
	if (on > 0)
		e = gen_pt(v, 0, lo);
	if (!e && on > 0)
		e = gen_pt(v, on - 5000, lo);
	if (!e)
		e = gen_pt(v, on, hi);
	if (!e)
		e = gen_pt(v, on + turn - 5000, hi);
	if (!e && on + turn < cycle)
		e = gen_pt(v, on + turn, lo);
	if (!e && on == 0)
		e = gen_pt(v, cycle - 5000, lo);
	return e;
}

int sim_gen(const char *name, size_t n, uint64_t seed, struct sim_fleet *f)
{
	if (!name || !sim_gen_known(name))
		return -EINVAL;
	if (n > SIM_FLEET_MAX_VMS)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		struct sim_rng r;
		struct sim_vm_spec v;
		int e;
		sim_rng_seed(&r, seed, i);
		if (!strcmp(name, "idle"))
			e = gen_idle(&r, &v);
		else if (!strcmp(name, "diurnal"))
			e = gen_diurnal(&r, &v);
		else if (!strcmp(name, "bursty"))
			e = gen_bursty(&r, &v);
		else if (!strcmp(name, "clones"))
			e = gen_clones(seed, &r, &v);
		else
			e = gen_demo(i, &v);
		snprintf(v.name, sizeof(v.name), "%s%zu", name, i);
		if (!e)
			e = sim_fleet_add(f, &v);
		if (e) {
			sim_trace_free(&v.ws);
			return e;
		}
	}
	return 0;
}
