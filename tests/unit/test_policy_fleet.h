/* Helpers for the policy tests: a small fleet of healthy VMs to modify per test. */
#pragma once
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/model.h"
#include "policy/policy.h"

#define GIB MODEL_GIB
#define MIB MODEL_MIB
#define FLEET_MAX 64

struct fleet {
	struct policy_settings s;
	struct policy_state *st;
	struct snapshot snap;
	struct vm_snapshot vms[FLEET_MAX];
	struct plan plan;
	struct vm_plan plans[FLEET_MAX];
	uint64_t now_ms;
};

/* A healthy, fresh VM: balloon at MEMSZ, half of it in use, half consumed. */
static inline void fleet_vm(struct vm_snapshot *v, int id, uint64_t memsz)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "vm%d", id);
	snprintf(v->uuid, sizeof(v->uuid), "00000000-0000-0000-0000-%012d", id);
	v->running = true;
	v->memsz_bytes = memsz;
	v->mctl = true;
	v->balloon_actual_bytes = memsz;
	v->stats_age_ms = 500;
	v->guest_total_bytes = memsz;
	v->guest_available_bytes = memsz / 2;
	v->guest_free_bytes = memsz / 4;
	v->consumed_bytes = memsz / 2;
	v->ovhd_bytes = 0;
	v->host_swap_ok = true;
}

static inline void fleet_init(struct fleet *f, size_t n, uint64_t memsz, uint64_t budget)
{
	memset(f, 0, sizeof(*f));
	policy_settings_default(&f->s);
	f->s.budget_bytes = budget;
	f->st = policy_state_new();
	assert_non_null(f->st);
	for (size_t i = 0; i < n; i++)
		fleet_vm(&f->vms[i], (int)i, memsz);
	f->snap.n_vms = n;
	f->snap.vms = f->vms;
	/* host swap that never runs short (policy_hostswap_fit); tests of the cap set less */
	f->snap.host.swap_total_bytes = 64 * GIB;
	f->snap.host.swap_free_bytes = 64 * GIB;
	f->plan.vms = f->plans;
	f->now_ms = 1000000;
}

static inline void fleet_free(struct fleet *f)
{
	policy_state_free(f->st);
	f->st = NULL;
}

/* One run at now, then time advances by a balance period. */
static inline void fleet_tick(struct fleet *f)
{
	f->snap.taken_ms = f->now_ms;
	assert_int_equal(policy_run(&f->s, f->st, &f->snap, f->now_ms, &f->plan), 0);
	assert_int_equal(f->plan.n_vms, f->snap.n_vms);
	f->now_ms += f->s.balance_period_ms;
}

/* The guest follows its balloon: actual = target, consumed tracks in-use. */
static inline void fleet_follow(struct fleet *f)
{
	/* Without deflate-on-OOM the balloon's pages leave MemTotal (and MemAvailable):
	 * the guest's own use stays what it was. */
	for (size_t i = 0; i < f->snap.n_vms; i++) {
		struct vm_snapshot *v = &f->vms[i];
		uint64_t from = v->balloon_actual_bytes, to = f->plans[i].target_bytes;
		uint64_t used = v->guest_total_bytes > v->guest_available_bytes
				    ? v->guest_total_bytes - v->guest_available_bytes
				    : 0;
		if (to >= from)
			v->guest_total_bytes += to - from;
		else
			v->guest_total_bytes -= from - to < v->guest_total_bytes ? from - to
										   : v->guest_total_bytes;
		v->guest_available_bytes =
		    v->guest_total_bytes > used ? v->guest_total_bytes - used : 0;
		v->balloon_actual_bytes = to;
	}
}
