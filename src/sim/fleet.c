/* The fleet container: VM specs with their defaults, growth, cyclic repetition. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

void sim_vm_spec_default(struct sim_vm_spec *v, uint64_t memsz_bytes)
{
	memset(v, 0, sizeof(*v));
	v->memsz_bytes = memsz_bytes;
	v->balloon = true;
	v->deflate_on_oom = true;		  /* blimp starts every VM with it */
	v->balloon_bytes_per_s = 128 * MODEL_MIB; /* measured: see docs/simulator.md */
	v->boot_ms = 30000;
	v->guest_swap_bytes = 0; /* cloud images ship without swap */
	v->idle_anon_bytes = 64 * MODEL_MIB;
	v->cache_cap_bytes = memsz_bytes / 2;
	v->cache_bytes_per_s = 1 * MODEL_MIB;
	v->shareable_permyriad = 1000;
	v->ovhd_bytes = 32 * MODEL_MIB + memsz_bytes / 100;
}

void sim_fleet_init(struct sim_fleet *f)
{
	memset(f, 0, sizeof(*f));
}

void sim_fleet_free(struct sim_fleet *f)
{
	for (size_t i = 0; i < f->n; i++)
		sim_trace_free(&f->vms[i].ws);
	free(f->vms);
	memset(f, 0, sizeof(*f));
}

static int fleet_reserve(struct sim_fleet *f, size_t need)
{
	if (need > SIM_FLEET_MAX_VMS)
		return -E2BIG;
	if (need <= f->cap)
		return 0;
	size_t nc = f->cap ? f->cap : 16;
	while (nc < need)
		nc *= 2;
	struct sim_vm_spec *p = realloc(f->vms, nc * sizeof(*p));
	if (!p)
		return -ENOMEM;
	f->vms = p;
	f->cap = nc;
	return 0;
}

int sim_fleet_add(struct sim_fleet *f, struct sim_vm_spec *v)
{
	int r = fleet_reserve(f, f->n + 1);
	if (r)
		return r;
	f->vms[f->n++] = *v;
	memset(&v->ws, 0, sizeof(v->ws));
	return 0;
}

int sim_fleet_repeat(struct sim_fleet *dst, const struct sim_fleet *src, size_t n)
{
	if (src->n == 0 && n > 0)
		return -EINVAL;
	int r = fleet_reserve(dst, n);
	if (r)
		return r;
	for (size_t i = 0; i < n; i++) {
		const struct sim_vm_spec *s = &src->vms[i % src->n];
		struct sim_vm_spec v = *s;
		size_t k = i / src->n;
		if (k) {
			char suffix[24];
			int sl = snprintf(suffix, sizeof(suffix), "-%zu", k);
			size_t nl = strnlen(s->name, MODEL_NAME_MAX - 1);
			if (nl + (size_t)sl > MODEL_NAME_MAX - 1)
				nl = MODEL_NAME_MAX - 1 - (size_t)sl;
			memcpy(v.name, s->name, nl);
			memcpy(v.name + nl, suffix, (size_t)sl + 1);
		}
		r = sim_trace_copy(&v.ws, &s->ws);
		if (r)
			return r;
		dst->vms[dst->n++] = v;
	}
	return 0;
}

uint64_t sim_fleet_memsz_bytes(const struct sim_fleet *f)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < f->n; i++)
		sum += f->vms[i].memsz_bytes;
	return sum;
}
