/*
 * policy_run(): the dispatch and the per-VM state map.
 *
 * DESIGN: one fixed pipeline for every kind (so `top` shows the same ACTV, state and
 * entitlement whichever policy acts), then the kind's own target rule:
 *   1. grow the state's arrays (the only allocation; -ENOMEM leaves the state as it was)
 *   2. match snapshot VMs to their state by uuid (name when there is none); a VM seen
 *      for the first time starts at its balloon actual
 *   3. estimate ACTV, derive each VM's bounds (reservation, MCTLMAX, limit)
 *   4. host free memory, minFree, state with hysteresis
 *   5. entitlements (min-funding + idle tax) on budget - OVHD - minFree
 *   6. targets: blimp rules (reclaim.c, grants of free memory in grant.c, host swap in
 *      hostswap.c) or a baseline
 *   7. safety clamps for every kind, MCTLTGT, KSM; forget VMs that are gone
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"

struct policy_state *policy_state_new(void)
{
	return calloc(1, sizeof(struct policy_state));
}

void policy_state_free(struct policy_state *st)
{
	if (!st)
		return;
	free(st->vms);
	free(st->work);
	free(st->ent_in);
	free(st->ent_out);
	free(st->short_idx);
	free(st->map);
	free(st);
}

/* The state key of a snapshot VM: its uuid, or "name:" + name without one. */
static size_t policy_key_of(const struct vm_snapshot *v, char key[POLICY_KEY_MAX])
{
	size_t ul = strnlen(v->uuid, MODEL_UUID_LEN - 1);
	if (ul > 0) {
		memcpy(key, v->uuid, ul);
		key[ul] = '\0';
		return ul;
	}
	size_t nl = strnlen(v->name, MODEL_NAME_MAX - 1);
	memcpy(key, "name:", 5);
	memcpy(key + 5, v->name, nl);
	key[5 + nl] = '\0';
	return 5 + nl;
}

/* Does vs belong to v? Same as comparing policy_key_of(v) with vs->key, without
 * building the key (this runs for every VM on every tick). */
static bool policy_key_equal(const struct policy_vm_state *vs, const struct vm_snapshot *v)
{
	size_t len = vs->key_len;
	const char *k = vs->key;
	const char *src = v->uuid;
	size_t max = MODEL_UUID_LEN - 1;
	if (v->uuid[0] == '\0') {
		if (len < 5 || memcmp(k, "name:", 5) != 0)
			return false;
		k += 5;
		len -= 5;
		src = v->name;
		max = MODEL_NAME_MAX - 1;
	}
	if (len > max || memcmp(k, src, len) != 0)
		return false;
	return len == max || src[len] == '\0';
}

static int policy_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 8;
	while (n < need)
		n = n > SIZE_MAX / 2 ? need : n * 2;
	if (n > SIZE_MAX / elem)
		return -ENOMEM;
	void *q = realloc(*p, n * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

/* Room for every snapshot VM being new, plus per-run scratch. */
static int policy_reserve(struct policy_state *st, size_t n)
{
	if (n > SIZE_MAX / 4 - st->n_vms)
		return -ENOMEM;
	int r = policy_grow((void **)&st->vms, &st->cap_vms, st->n_vms + n, sizeof(*st->vms));
	if (r)
		return r;
	if (st->map_slots < 2 * st->cap_vms) {
		size_t slots = 16;
		while (slots < 2 * st->cap_vms)
			slots *= 2;
		size_t *m = realloc(st->map, slots * sizeof(*m));
		if (!m)
			return -ENOMEM;
		st->map = m;
		st->map_slots = slots;
	}
	if (n <= st->cap_work)
		return 0;
	size_t c1 = st->cap_work, c2 = st->cap_work, c3 = st->cap_work, c4 = st->cap_work;
	r = policy_grow((void **)&st->work, &c1, n, sizeof(*st->work));
	if (!r)
		r = policy_grow((void **)&st->ent_in, &c2, n, sizeof(*st->ent_in));
	if (!r)
		r = policy_grow((void **)&st->ent_out, &c3, n, sizeof(*st->ent_out));
	if (!r)
		r = policy_grow((void **)&st->short_idx, &c4, n, sizeof(*st->short_idx));
	if (r)
		return r; /* grown blocks are kept; cap_work still says the old size */
	st->cap_work = policy_min_u64(policy_min_u64(c1, c2), policy_min_u64(c3, c4));
	return 0;
}

/* FNV-1a over the key's bytes (64-bit). */
static uint64_t policy_hash(uint64_t h, const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
#define POLICY_HASH_SEED 0xcbf29ce484222325ULL

static uint64_t policy_hash_vm(const struct vm_snapshot *v)
{
	size_t ul = strnlen(v->uuid, MODEL_UUID_LEN - 1);
	if (ul > 0)
		return policy_hash(POLICY_HASH_SEED, v->uuid, ul);
	uint64_t h = policy_hash(POLICY_HASH_SEED, "name:", 5);
	return policy_hash(h, v->name, strnlen(v->name, MODEL_NAME_MAX - 1));
}

/* Index every state entry known at the start of this run, in index order (so along a
 * probe chain equal keys come lowest index first, like a scan). */
static void policy_map_build(struct policy_state *st)
{
	size_t mask = st->map_slots - 1;
	for (size_t j = 0; j < st->map_slots; j++)
		st->map[j] = SIZE_MAX;
	for (size_t k = 0; k < st->n_vms; k++) {
		size_t j = policy_hash(POLICY_HASH_SEED, st->vms[k].key, st->vms[k].key_len) & mask;
		while (st->map[j] != SIZE_MAX)
			j = (j + 1) & mask;
		st->map[j] = k;
	}
	st->map_built = true;
}

/* The state of snapshot VM v: the entry at `hint` (the same index as last run, the
 * usual case: one key comparison), else the lowest unclaimed entry with its key (hash
 * map), else a new entry. Entries added in this run are claimed, so the map built
 * from the entries at the start of the run sees every candidate. */
static size_t policy_match(struct policy_state *st, const struct vm_snapshot *v, size_t hint,
			   size_t n_known, bool *is_new)
{
	if (hint < st->n_vms && st->vms[hint].claim_run != st->run &&
	    policy_key_equal(&st->vms[hint], v)) {
		*is_new = false;
		st->vms[hint].claim_run = st->run;
		st->n_claimed++;
		return hint;
	}
	if (n_known > 0) {
		if (!st->map_built)
			policy_map_build(st);
		size_t mask = st->map_slots - 1;
		for (size_t j = policy_hash_vm(v) & mask; st->map[j] != SIZE_MAX;
		     j = (j + 1) & mask) {
			size_t k = st->map[j];
			if (st->vms[k].claim_run != st->run && policy_key_equal(&st->vms[k], v)) {
				*is_new = false;
				st->vms[k].claim_run = st->run;
				st->n_claimed++;
				return k;
			}
		}
	}
	size_t k = st->n_vms++;
	memset(&st->vms[k], 0, sizeof(st->vms[k]));
	st->vms[k].key_len = (uint16_t)policy_key_of(v, st->vms[k].key);
	st->vms[k].claim_run = st->run;
	st->n_claimed++;
	*is_new = true;
	return k;
}

uint64_t policy_vm_maxmemctl(const struct policy_settings *s, const struct vm_snapshot *v)
{
	uint64_t m = model_vm_maxmemctl(&v->settings, v->memsz_bytes);
	if (v->no_deflate_on_oom && !v->settings.maxmemctl_bytes)
		m = policy_min_u64(
		    m, policy_permyriad_of(v->memsz_bytes, s->nodeflate_maxmemctl_permyriad));
	return m;
}

static void policy_bounds(const struct policy_settings *s, const struct vm_snapshot *v,
			  struct policy_vm_state *vs, struct policy_vm_work *w)
{
	uint64_t memsz = v->memsz_bytes;
	w->memsz_bytes = memsz;
	w->limit_bytes = model_vm_limit(&v->settings, memsz);
	w->reserve_bytes = policy_min_u64(v->settings.reservation_bytes, w->limit_bytes);
	w->maxmemctl_bytes = policy_vm_maxmemctl(s, v);
	uint64_t bal_floor = memsz - w->maxmemctl_bytes;
	w->lo_bytes = policy_max_u64(w->reserve_bytes, bal_floor);
	w->hi_bytes = policy_max_u64(w->limit_bytes, bal_floor);
	if (w->is_new) {
		uint64_t actual = v->balloon_actual_bytes;
		vs->target_bytes = (actual == 0 || actual > memsz) ? memsz : actual;
	}
	w->prev_target_bytes = policy_clamp_target(w, vs->target_bytes);
	w->floor_bytes = 0;
	if (w->fresh) {
		uint64_t margin = policy_max_u64(
		    s->guest_margin_bytes, policy_permyriad_of(memsz, s->guest_margin_permyriad));
		/* floor_active: what the guest holds untouched is not protected (it pages
		 * that out, as under ESX's balloon); ACTV carries distress's boost */
		uint64_t use = w->in_use_bytes;
		if (s->floor_active && v->damon_valid && vs->have_actv)
			use = policy_min_u64(use, policy_estimate_actv(vs));
		w->floor_bytes = policy_min_u64(policy_add_sat(use, margin), memsz);
	}
}

/* Balloon stall: asked to shrink, but actual neither at target nor moving toward it. */
static void policy_track_stall(const struct vm_snapshot *v, struct policy_vm_state *vs,
			       const struct policy_vm_work *w)
{
	uint64_t actual = policy_min_u64(v->balloon_actual_bytes, w->memsz_bytes);
	uint64_t tol = policy_tol_bytes(w->memsz_bytes);
	uint64_t progress_min = policy_max_u64(policy_permyriad_of(w->memsz_bytes, 20), 1);
	if (!v->running || actual <= policy_add_sat(w->prev_target_bytes, tol)) {
		vs->stall_periods = 0;
	} else if (vs->have_balloon && vs->last_balloon_actual_bytes >= actual &&
		   vs->last_balloon_actual_bytes - actual >= progress_min) {
		vs->stall_periods = 0; /* moving */
	} else if (vs->stall_periods < UINT32_MAX) {
		vs->stall_periods++;
	}
	vs->have_balloon = true;
	vs->last_balloon_actual_bytes = actual;
}

/* This run's entitlement input for one VM (zero when not running); returns its soft
 * minimum: the guest floor (fresh stats) or the kept target (stale stats with a
 * balloon driver), at least the hard minimum, at most the maximum. */
static uint64_t policy_entitle_input(const struct vm_snapshot *v, const struct policy_vm_state *vs,
				     const struct policy_vm_work *w, struct policy_entitle_vm *e)
{
	if (!v->running) {
		memset(e, 0, sizeof(*e));
		return 0;
	}
	e->shares = model_vm_shares(&v->settings, v->memsz_bytes);
	/* The idle tax needs memory that is *touched*: ACTV is host-measured wherever the
	 * host measures (estimate.c), its fast and slow averages as ESX keeps them. */
	e->active_bytes = vs->have_actv ? policy_estimate_actv(vs) : v->memsz_bytes;
	e->max_bytes = w->limit_bytes;
	e->min_bytes = policy_min_u64(w->lo_bytes, w->limit_bytes);
	uint64_t soft = e->min_bytes;
	if (w->fresh)
		soft = policy_max_u64(soft, w->floor_bytes);
	else if (v->mctl)
		soft = policy_max_u64(soft, w->prev_target_bytes);
	return policy_min_u64(soft, e->max_bytes);
}

/* Entitlements on avail = budget - sum(OVHD) - minFree. Guest floors (and the kept
 * target of a VM whose balloon cannot be steered now) count as minimums when they all
 * fit, so the plan's targets fit the budget; otherwise only the hard minimums do.
 * ent_in is filled and each soft minimum parked in ent_out by the first pass. */
static void policy_entitlements(const struct policy_settings *s, struct policy_state *st, size_t n,
				uint64_t avail, unsigned __int128 sum_soft)
{
	st->soft_mins_fit = sum_soft <= avail;
	if (st->soft_mins_fit) {
		for (size_t i = 0; i < n; i++)
			st->ent_in[i].min_bytes = st->ent_out[i];
	}
	/* -ENOSPC (reservations alone exceed the budget) still fills the minimums. */
	if (policy_entitle_solve(avail, s->idle_tax_permyriad, st->ent_in, n, st->ent_out,
				 &st->entitle_y, NULL) == -EINVAL) {
		for (size_t i = 0; i < n; i++)
			st->ent_out[i] = st->ent_in[i].max_bytes;
	}
}

/* Drop the entries no snapshot VM claimed (nothing to do when all were). */
static void policy_forget_gone(struct policy_state *st)
{
	if (st->n_claimed == st->n_vms)
		return;
	size_t k = 0;
	for (size_t j = 0; j < st->n_vms; j++) {
		if (st->vms[j].claim_run != st->run)
			continue;
		if (k != j)
			st->vms[k] = st->vms[j];
		k++;
	}
	st->n_vms = k;
}

/* Safety clamps for every kind, the display figures, bookkeeping. */
static void policy_finish_vm(const struct policy_settings *s, const struct policy_vm_work *w,
			     struct policy_vm_state *vs, uint64_t now_ms, struct vm_plan *p)
{
	uint64_t t = policy_clamp_target(w, p->target_bytes);
	if (t != p->target_bytes && s->kind != POLICY_BLIMP)
		p->reason = PLAN_REASON_BASELINE;
	p->target_bytes = t;
	p->mctltgt_bytes = w->memsz_bytes - t;
	if (t < w->prev_target_bytes)
		vs->last_shrink_ms = now_ms ? now_ms : 1;
	else if (t > policy_add_sat(w->prev_target_bytes, policy_tol_bytes(w->memsz_bytes)) &&
		 p->reason != PLAN_REASON_LEVEL) /* a share of headroom is not demand */
		vs->raised_until_ms = policy_add_sat(now_ms, POLICY_RISING_HOLD_MS);
	p->actvf_bytes = vs->actvf_bytes;
	p->actvs_bytes = vs->actvs_bytes;
	p->actv_bytes = policy_estimate_actv(vs);
	vs->target_bytes = t;
	vs->last_run_ms = now_ms;
}

/* What blimp's pass adds up over the VMs after each one's host swap. */
struct policy_blimp_tail {
	size_t held;		/* VMs holding a host-swap target */
	size_t limited;		/* VMs with a cgroup limit */
	unsigned __int128 need; /* SWTGT under those limits */
};

/* blimp's last steps for one VM, once its target is final (after the grant for a
 * short guest): host swap, the clamps, the sums for policy_hostswap_fit. */
static void policy_blimp_last(const struct policy_settings *s, const struct vm_snapshot *v,
			      const struct policy_vm_work *w, struct policy_vm_state *vs,
			      uint64_t now_ms, enum host_state hs, bool hold, struct vm_plan *p,
			      struct policy_blimp_tail *t)
{
	policy_hostswap_vm(s, v, w, vs, now_ms, hs, hold, p);
	t->held += vs->swap_hold_bytes != 0;
	t->limited += p->cgroup_limit_bytes != 0;
	t->need += p->cgroup_limit_bytes ? p->swtgt_bytes : 0;
	policy_finish_vm(s, w, vs, now_ms, p);
}

/* The "working sets exceed the budget" alarm: what the running VMs hold on to (a
 * fresh guest's in-use; else its CONSUMED, all the host can tell) plus OVHD, against
 * the budget and the swap that may hold the excess (only blimp with host_swap pushes
 * VMs there). No balloon can take a working set; without swap the host stays over
 * budget, or the guests swap and OOM, until a VM goes or swap is added. */
static void policy_working_set(const struct policy_settings *s, const struct policy_state *st,
			       const struct snapshot *snap, struct host_plan *hp)
{
	uint64_t ws = 0;
	for (size_t i = 0; i < snap->n_vms; i++) {
		const struct vm_snapshot *v = &snap->vms[i];
		const struct policy_vm_work *w = &st->work[i];
		if (!v->running)
			continue;
		uint64_t need = w->fresh ? w->in_use_bytes : v->consumed_bytes;
		ws = policy_add_sat(ws, policy_add_sat(need, v->ovhd_bytes));
	}
	uint64_t swap = s->kind == POLICY_BLIMP && s->host_swap ? snap->host.swap_free_bytes : 0;
	uint64_t over = policy_sub_floor(ws, policy_add_sat(s->budget_bytes, swap));
	hp->working_set_bytes = ws;
	hp->working_set_shortfall_bytes = over > policy_tol_bytes(s->budget_bytes) ? over : 0;
}

int policy_run(const struct policy_settings *s, struct policy_state *st,
	       const struct snapshot *snap, uint64_t now_ms, struct plan *plan)
{
	if (!s || !st || !snap || !plan || (snap->n_vms && (!snap->vms || !plan->vms)))
		return -EINVAL;
	if (policy_settings_validate(s, NULL, 0))
		return -EINVAL;
	size_t n = snap->n_vms;
	int r = policy_reserve(st, n);
	if (r)
		return r;

	/* 2-3: match, estimate, bounds, entitlement inputs: one pass over the VMs. */
	uint64_t used = 0, ovhd = 0;
	unsigned __int128 sum_soft = 0;
	size_t n_known = st->n_vms;
	st->map_built = false;
	st->run++;
	st->n_claimed = 0;
	for (size_t i = 0; i < n; i++) {
		const struct vm_snapshot *v = &snap->vms[i];
		struct policy_vm_work *w = &st->work[i]; /* every field but .b is set below */
		w->state_idx = policy_match(st, v, i, n_known, &w->is_new);
		struct policy_vm_state *vs = &st->vms[w->state_idx];
		policy_estimate_update(s, vs, v, now_ms, w);
		policy_bounds(s, v, vs, w);
		policy_demand_update(vs, v, now_ms, w);
		policy_track_stall(v, vs, w);
		if (v->running) {
			used =
			    policy_add_sat(used, policy_add_sat(v->consumed_bytes, v->ovhd_bytes));
			ovhd = policy_add_sat(ovhd, v->ovhd_bytes);
		}
		st->ent_out[i] = policy_entitle_input(v, vs, w, &st->ent_in[i]);
		sum_soft += st->ent_out[i];
		memset(&plan->vms[i], 0, sizeof(plan->vms[i]));
	}
	plan->n_vms = n;

	/* 4: host state. */
	struct host_plan *hp = &plan->host;
	memset(hp, 0, sizeof(*hp));
	hp->budget_bytes = s->budget_bytes;
	hp->free_bytes = policy_sub_floor(s->budget_bytes, used);
	hp->minfree_bytes = policy_minfree_bytes(s->budget_bytes);
	hp->state = st->have_host_state
			? policy_host_state_next(st->host_state, hp->free_bytes, hp->minfree_bytes)
			: policy_host_state_raw(hp->free_bytes, hp->minfree_bytes);
	st->host_state = hp->state;
	st->have_host_state = true;

	/* 5: entitlements. */
	uint64_t avail =
	    policy_sub_floor(policy_sub_floor(s->budget_bytes, ovhd), hp->minfree_bytes);
	policy_entitlements(s, st, n, avail, sum_soft);

	/* 6-7: targets, then the safety clamps; blimp's rules per VM in one pass. */
	if (s->kind == POLICY_BLIMP || (unsigned)s->kind >= POLICY__COUNT) {
		bool hold = policy_hostswap_begin(st, now_ms, hp->state);
		/* Memory still owed to VMs held by host swap: the balloon keeps reclaiming
		 * toward the entitlements (soft) in clear, so the held VMs can be released
		 * without the host falling back into hard. */
		enum host_state reclaim_hs = hp->state;
		if (st->n_swap_held && reclaim_hs == HOST_STATE_CLEAR)
			reclaim_hs = HOST_STATE_SOFT;
		/* Reclaim targets and who is short; then levelling (state high) and the
		 * grant, which change only targets; then host swap and the clamps. */
		struct policy_blimp_tail tail = {0};
		uint64_t pending = 0;
		st->n_short = 0;
		for (size_t i = 0; i < n; i++) {
			const struct vm_snapshot *v = &snap->vms[i];
			struct policy_vm_work *w = &st->work[i];
			struct policy_vm_state *vs = &st->vms[w->state_idx];
			struct vm_plan *p = &plan->vms[i];
			p->entitlement_bytes = v->running ? st->ent_out[i] : 0;
			policy_reclaim_vm(s, v, w, vs, now_ms, reclaim_hs, p);
			bool is_short = policy_grant_note(st, i, v, w, vs, p, now_ms, &pending);
			policy_level_note(s, v, w, vs, p, is_short, now_ms);
		}
		policy_level(st, snap, reclaim_hs, plan->vms);
		policy_grant(st, now_ms, hp, pending, snap, plan->vms);
		for (size_t i = 0; i < n; i++) {
			const struct policy_vm_work *w = &st->work[i];
			struct policy_vm_state *vs = &st->vms[w->state_idx];
			policy_blimp_last(s, &snap->vms[i], w, vs, now_ms, hp->state, hold,
					  &plan->vms[i], &tail);
		}
		st->n_swap_held = tail.held;
		if (tail.limited)
			policy_hostswap_fit(&snap->host, n, tail.need, plan->vms);
	} else {
		for (size_t i = 0; i < n; i++)
			plan->vms[i].entitlement_bytes = snap->vms[i].running ? st->ent_out[i] : 0;
		if (s->kind == POLICY_STATIC)
			policy_baseline_static(s, st, snap, now_ms, plan);
		else if (s->kind == POLICY_PROXMOX)
			policy_baseline_proxmox(s, st, snap, now_ms, plan);
		else
			policy_baseline_mom(s, st, snap, now_ms, plan);
		for (size_t i = 0; i < n; i++) {
			const struct policy_vm_work *w = &st->work[i];
			st->vms[w->state_idx].swap_hold_bytes = 0; /* baselines: no host swap */
			policy_finish_vm(s, w, &st->vms[w->state_idx], now_ms, &plan->vms[i]);
		}
		st->n_swap_held = 0;
	}
	if (s->kind == POLICY_STATIC) {
		hp->ksm_run = false;
		hp->ksm_pages_to_scan = 0;
		hp->ksm_sleep_ms = 0;
	} else {
		policy_ksm_plan(s, st, used, now_ms, hp);
	}
	policy_working_set(s, st, snap, hp);
	policy_forget_gone(st);
	return 0;
}
