/*
 * Baseline "proxmox": Proxmox VE's auto-ballooning, re-implemented from its
 * description (pve-manager PVE/Service/pvestatd.pm auto_ballooning and
 * PVE/AutoBalloon.pm compute_alg1; docs/policy.md cites the rules).
 *
 * DESIGN: every 10 s, goal = target% of the host's memory - used (here: budget x
 * proxmox_target_percent / 100 - sum(CONSUMED + OVHD)); target is the node option
 * `ballooning-target`, default 80 (pvestatd.pm auto_ballooning: `int($config->
 * {'ballooning-target'} // 80)` and `$goal = int(memtotal * $target / 100 - memused)`;
 * PVE/NodeConfig.pm declares it 0..100, default 80). |goal| <= 10 MiB: nothing. Otherwise split the
 * goal among ballooned VMs in proportion to their shares (default 1000 each) above their minimum
 * (balloon_min), each VM moving at most 100 MiB from its current size per round, between
 * balloon_min and its maximum; VMs pinned at a bound drop out and the rest is split again. Growth
 * goes first to VMs under memory pressure (guest free <= 25% of balloon_min), shrinking first to
 * VMs with enough free memory; if that list makes no progress, all VMs are used. VMs are taken in
 * snapshot order (Perl's hash order is random). Mapping: balloon_min = reservation, else MEMSZ -
 * MCTLMAX (a VM without a configured minimum is never auto-ballooned by Proxmox; blimp gives every
 * VM one); maximum = limit; current = balloon actual; guest free = MemFree.
 */
#include "policy/internal.h"

#define PVE_MAXCHANGE_BYTES (100LL * 1024 * 1024)
#define PVE_DEADBAND_BYTES (10LL * 1024 * 1024)
#define PVE_DEFAULT_SHARES 1000
#define PVE_MAX_PASSES 64 /* the Perl loop ends when a pass changes nothing; bound it */
#define PVE_BYTES_MAX (INT64_MAX / 8)

static int64_t pve_i64(uint64_t v)
{
	return v > (uint64_t)PVE_BYTES_MAX ? PVE_BYTES_MAX : (int64_t)v;
}

enum pve_list { PVE_ALL, PVE_PRESSURE, PVE_COMFY };

static bool pve_in(const struct policy_baseline_vm *d, enum pve_list l)
{
	return l == PVE_ALL ? d->in_all : l == PVE_PRESSURE ? d->in_pressure : d->in_comfy;
}

/* compute_alg1's change function over the VMs in `list`. Returns the goal left. */
static int64_t pve_change(struct policy_vm_work *w, size_t n, enum pve_list list, int64_t bytes)
{
	int64_t rest = bytes;
	bool repeat = true;
	int64_t progress = 1;
	for (size_t i = 0; i < n; i++)
		w[i].b.done = false;
	for (int pass = 0; rest && repeat && progress && pass < PVE_MAX_PASSES; pass++) {
		repeat = false;
		progress = 0;
		int64_t shares_total = 0, alloc_old = 0;
		for (size_t i = 0; i < n; i++) {
			const struct policy_baseline_vm *d = &w[i].b;
			if (!pve_in(d, list) || d->done)
				continue;
			alloc_old += (d->has_res ? d->res : d->cur) - d->min;
			shares_total += d->shares;
		}
		if (shares_total == 0)
			break;
		int64_t alloc_new = alloc_old + rest, changes = 0;
		for (size_t i = 0; i < n; i++) {
			struct policy_baseline_vm *d = &w[i].b;
			if (!pve_in(d, list) || d->done)
				continue;
			__int128 share = (__int128)alloc_new * d->shares / shares_total;
			int64_t desired = d->min + (int64_t)share;
			if (desired > d->max) {
				desired = d->max;
				repeat = true;
			} else if (desired < d->min) {
				desired = d->min;
				repeat = true;
			}
			int64_t balloon;
			if (bytes > 0 && desired > d->cur) {
				int64_t nw = d->cur + PVE_MAXCHANGE_BYTES;
				balloon = nw > desired ? desired : nw;
			} else if (desired < d->cur) {
				int64_t nw = d->cur - PVE_MAXCHANGE_BYTES;
				balloon = nw > desired ? nw : desired;
			} else {
				d->done = true;
				continue;
			}
			int64_t diff = balloon - d->cur;
			if (diff == 0)
				continue;
			int64_t old = d->has_res ? d->res : d->cur;
			d->res = balloon;
			d->has_res = true;
			if (balloon != old) {
				changes += balloon - old;
				progress += diff > 0 ? diff : -diff;
				repeat = true;
			}
		}
		rest -= changes;
	}
	return rest;
}

void policy_baseline_proxmox(const struct policy_settings *s, struct policy_state *st,
			     const struct snapshot *snap, uint64_t now_ms, struct plan *plan)
{
	policy_baseline_keep(st, snap, plan);
	if (!policy_baseline_due(st, now_ms, POLICY_BASELINE_ROUND_MS))
		return;
	size_t n = snap->n_vms;
	uint64_t used = 0;
	for (size_t i = 0; i < n; i++)
		if (snap->vms[i].running)
			used = policy_add_sat(used, policy_add_sat(snap->vms[i].consumed_bytes,
								   snap->vms[i].ovhd_bytes));
	uint32_t target = s->proxmox_target_percent > 100 ? 100 : s->proxmox_target_percent;
	/* Perl's int() truncates toward zero, as C's division does */
	__int128 num = (__int128)pve_i64(s->budget_bytes) * target - (__int128)pve_i64(used) * 100;
	int64_t goal = (int64_t)(num / 100);
	if (goal <= PVE_DEADBAND_BYTES && goal >= -PVE_DEADBAND_BYTES)
		return;

	struct policy_vm_work *ws = st->work;
	for (size_t i = 0; i < n; i++) {
		const struct vm_snapshot *v = &snap->vms[i];
		struct policy_baseline_vm *d = &ws[i].b;
		uint64_t memsz = ws[i].memsz_bytes;
		uint64_t bmin = v->settings.reservation_bytes ? ws[i].reserve_bytes
							      : memsz - ws[i].maxmemctl_bytes;
		d->cur = pve_i64(policy_min_u64(v->balloon_actual_bytes, memsz));
		d->min = pve_i64(policy_min_u64(bmin, ws[i].limit_bytes));
		d->max = pve_i64(ws[i].limit_bytes);
		d->shares = v->settings.shares
				? pve_i64(policy_min_u64(v->settings.shares, 1u << 24))
				: PVE_DEFAULT_SHARES;
		d->res = 0;
		d->has_res = false;
		d->done = false;
		d->in_all = v->running && v->mctl && d->cur > 0 && d->min > 0;
		int64_t freemem = ws[i].fresh ? pve_i64(v->guest_free_bytes) : 0;
		bool ok = freemem > 0 && freemem > d->min / 4 && d->cur >= d->min;
		d->in_comfy = d->in_all && ok;
		d->in_pressure = d->in_all && !ok;
	}
	if (goal > 0) {
		int64_t rest = pve_change(ws, n, PVE_PRESSURE, goal);
		if (rest >= goal)
			pve_change(ws, n, PVE_ALL, rest);
	} else {
		int64_t rest = pve_change(ws, n, PVE_COMFY, goal);
		if (rest <= goal)
			pve_change(ws, n, PVE_ALL, rest);
	}
	for (size_t i = 0; i < n; i++) {
		if (!ws[i].b.has_res)
			continue;
		plan->vms[i].target_bytes = (uint64_t)ws[i].b.res;
		plan->vms[i].reason = PLAN_REASON_BASELINE;
	}
}
