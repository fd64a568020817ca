/*
 * Internals shared by the policy library's files (not part of the API).
 *
 * DESIGN: policy_run() is a fixed pipeline over one snapshot:
 *   match (state map) -> estimate (ACTV) -> host state -> entitlement -> targets
 *   (blimp rules or a baseline) -> host swap -> KSM.
 * Every per-VM array lives in struct policy_state and only grows (to the largest
 * fleet seen), so a tick allocates nothing once the fleet is stable. Nothing here
 * does I/O, reads a clock or logs: `now_ms` comes from the caller.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "policy/policy.h"

#define POLICY_KEY_MAX (MODEL_NAME_MAX + 8)

/* MOM's sample history (mom.conf sample-history-length: 10 as VDSM ships it; MOM
 * Monitor.py keeps that many rows, Entity.py StatAvg averages the rows that have the
 * field). */
#define POLICY_MOM_HISTORY 10U
struct policy_mom_ring {
	uint64_t v[POLICY_MOM_HISTORY];
	uint8_t n, next;
};
static inline void policy_mom_ring_push(struct policy_mom_ring *r, uint64_t x)
{
	r->v[r->next] = x;
	r->next = (uint8_t)((r->next + 1) % POLICY_MOM_HISTORY);
	if (r->n < POLICY_MOM_HISTORY)
		r->n++;
}
/* StatAvg: the mean of the kept samples (0 with none; callers push first). */
static inline uint64_t policy_mom_ring_avg(const struct policy_mom_ring *r)
{
	unsigned __int128 sum = 0;
	for (unsigned i = 0; i < r->n; i++)
		sum += r->v[i];
	return r->n ? (uint64_t)(sum / r->n) : 0;
}

/* Persistent per-VM state, keyed by uuid (or "name:" + name without a uuid). The
 * fields every run touches come first, the key last (only its first key_len bytes are
 * read when matching). */
struct policy_vm_state {
	uint64_t claim_run;    /* matched in run number claim_run (policy_state.run) */
	uint64_t target_bytes; /* last planned target */
	uint64_t actvf_bytes;
	uint64_t actvs_bytes;
	uint64_t counters_ms; /* when the guest produced them (now - stats age) */
	uint64_t last_major_faults;
	uint64_t last_swap_in_bytes;
	uint64_t last_oom_kills;
	uint64_t last_balloon_actual_bytes;
	uint64_t guest_total_max_bytes; /* largest MemTotal the guest reported */
	uint64_t backoff_until_ms; /* no shrink before this (0 = none) */
	uint64_t last_run_ms;	   /* last policy_run that planned this VM */
	uint64_t swap_hold_bytes;  /* host-swap target kept after hard/low (0 = none) */
	uint64_t grant_until_ms;   /* a grant's headroom counts as taken until then (grant.c) */
	uint64_t growing_until_ms; /* guest counts as growing until then (hostswap.c) */
	int64_t swap_trim_bytes;   /* cgroup limit below (> 0) or above host target + OVHD (hostswap.c) */
	uint64_t last_consumed_bytes; /* CONSUMED at the last run (hostswap.c) */
	uint32_t stall_periods;	   /* consecutive runs the balloon did not move toward target */
	bool level_moving;	   /* level.c: on its way to its part (no deadband) */
	/* growth (estimate.c): the last fresh sample's in-use and balloon actual */
	uint64_t last_in_use_bytes;
	uint64_t last_sample_actual_bytes;
	/* demand.c: what the host saw since the guest's last report */
	uint64_t demand_consumed_bytes; /* CONSUMED at the last run */
	uint64_t demand_ms;		/* when (0: not yet) */
	uint64_t sample_consumed_bytes; /* CONSUMED when the guest's current report came */
	uint64_t rising_until_ms;	/* the guest's own figures said rising until then */
	uint64_t host_rising_until_ms;	/* CONSUMED's rise, unexplained by a report, until then */
	uint64_t raised_until_ms;	/* the plan raised the target: rising until then */
	uint64_t last_shrink_ms;	/* the last run that lowered the target (0: none) */
	/* baseline_mom.c: balloon_cur and mem_unused, one sample per MOM round */
	struct policy_mom_ring mom_cur, mom_unused;
	bool have_actv;
	bool actv_host; /* the averages are from host-side samples (estimate.c) */
	bool have_counters; /* the guest counters above are from a fresh sample */
	bool have_balloon;
	uint16_t key_len; /* strlen(key) */
	char key[POLICY_KEY_MAX];
};

/* Per-run scratch a baseline may use for one VM (signed maths as in the originals). */
struct policy_baseline_vm {
	int64_t cur, min, max, shares, res;
	bool has_res, done;
	bool in_all, in_pressure, in_comfy;
};

/* Per-run scratch for one snapshot VM (not kept between runs). */
struct policy_vm_work {
	size_t state_idx;      /* index into policy_state.vms */
	bool is_new;	       /* first time this VM is seen */
	bool fresh;	       /* guest stats usable this run */
	bool distress;	       /* major faults / swap-in / OOM kills above thresholds */
	uint64_t in_use_bytes; /* guest in-use (fresh) or DAMON active, clamped to MEMSZ */
	uint64_t sample_bytes; /* this run's active sample fed to the EWMAs */
	uint64_t memsz_bytes;
	uint64_t limit_bytes;	/* min(limit, MEMSZ) */
	uint64_t reserve_bytes; /* min(reservation, limit) */
	uint64_t maxmemctl_bytes;
	uint64_t lo_bytes;    /* max(reservation, MEMSZ - MCTLMAX) */
	uint64_t hi_bytes;    /* max(limit, MEMSZ - MCTLMAX) */
	uint64_t floor_bytes; /* guest floor: in-use + margin (0 if not fresh) */
	uint64_t prev_target_bytes;
	/* in-use growth projected POLICY_GROWTH_LOOKAHEAD_MS ahead (0 unless fresh, growing) */
	uint64_t growth_bytes;
	bool new_sample; /* the guest reported since the last run (estimate.c) */
	/* demand.c: what the guest will hold POLICY_GROWTH_LOOKAHEAD_MS ahead: fresh, the
	 * floor plus the larger of its in-use growth and CONSUMED's; stale, CONSUMED plus
	 * CONSUMED's growth; 0 when unknown */
	uint64_t ahead_bytes;
	bool rising; /* demand rising: never shrunk this run (demand.c) */
	/* the sample is newer than the last shrink: the guest has answered it (demand.c) */
	bool answered;
	/* level.c: takes part this run, may give, its need and its part of the surplus */
	bool level_ok, level_give_ok, level_capped;
	uint64_t level_need_bytes, level_part_bytes, level_step_bytes, level_band_bytes;
	uint64_t level_from_bytes; /* the target before levelling moved it */
	struct policy_baseline_vm b; /* last: blimp never touches it */
};

struct policy_state {
	struct policy_vm_state *vms;
	size_t n_vms;
	size_t cap_vms;
	/* Scratch, sized to the largest snapshot seen. */
	struct policy_vm_work *work;
	struct policy_entitle_vm *ent_in;
	uint64_t *ent_out;
	size_t *short_idx; /* this run's guests short of memory (grant.c) */
	size_t n_short;
	size_t cap_work;
	/* uuid -> index into vms, open addressing, for snapshots not in the last run's
	 * order: built on the first miss of a run, sized for cap_vms (policy.c). */
	size_t *map;
	size_t map_slots; /* a power of two >= 2 * cap_vms, or 0 */
	bool map_built;	  /* this run */
	uint64_t run;	  /* runs so far: an entry is claimed when its claim_run == run */
	size_t n_claimed; /* entries claimed in this run */
	bool have_host_state;
	enum host_state host_state;
	bool soft_mins_fit;	     /* this run: guest floors fitted in the entitlement */
	unsigned __int128 entitle_y; /* last run's y (policy_entitle_solve's warm start) */
	size_t n_swap_held;	     /* VMs holding a host-swap target after the last run */
	bool calm;		     /* host soft or better since calm_since_ms (hostswap.c) */
	uint64_t calm_since_ms;
	uint64_t baseline_last_ms; /* baselines' own cadence (10 s or 15 s rounds) */
	bool baseline_have_last;
	struct policy_mom_ring mom_host_free; /* baseline_mom.c: Host "mem_free" */
	/* ksm.c, ksm_policy = ksmtuned: its npages and when it last adjusted */
	uint32_t ksmtuned_npages;
	bool ksmtuned_started, ksmtuned_run;
	uint64_t ksmtuned_last_ms;
	uint32_t ksmtuned_sleep_ms;
};

/* entitle.c: policy_entitle, starting the search for y at *y_hint when it is not 0
 * (policy_run passes the previous run's) and storing this run's y there; the result is
 * the same for every hint. *passes (if not NULL) counts the O(N) passes made. */
int policy_entitle_solve(uint64_t budget_bytes, uint32_t idle_tax_permyriad,
			 const struct policy_entitle_vm *vms, size_t n, uint64_t *out_bytes,
			 unsigned __int128 *y_hint, unsigned *passes)
    __attribute__((warn_unused_result));

/* A balloon that has not moved toward its target for this many runs is stalled. */
#define POLICY_STALL_PERIODS 3U

/* Host-swap hysteresis (hostswap.c). A limit set in hard/low is kept until the host
 * has been soft or better for this long: swapping out frees memory within a period or
 * two, which lifts the state, and dropping the limit at once lets the VM fault it all
 * back and the host falls into hard again, a flap every period. A minute is several
 * of blimpd's and the simulator's periods and longer than the swap-out transient. */
#define POLICY_HOSTSWAP_HOLD_MS 60000ULL
/* Then the limit rises by this much of MEMSZ per balance period (scaled by the time
 * since the VM's last plan, like the probe) and is dropped once it reaches the VM's
 * ceiling: the swapped-out memory comes back at a pace the host can follow. */
#define POLICY_HOSTSWAP_RELEASE_PERMYRIAD 500U

/* A guest whose in-use climbed, or whose target the rules raised, counts as growing
 * (never the floor rule's host-swap victim) for this long after (hostswap.c): the
 * stats come once per period and the growth estimate is 0 while its balloon moves. */
#define POLICY_GROWING_MS 5000ULL
/* Swap kept free when sizing host swap targets (hostswap.c, policy_hostswap_fit):
 * 10% of the host's swap, at least 64 MiB. A limit that needs more swap than
 * there is stalls or OOM-kills QEMU; the reserve covers what moves between the
 * snapshot and the kernel acting on the limit (the guests keep allocating, the
 * host swaps too). */
#define POLICY_SWAP_RESERVE_PERMYRIAD 1000U
#define POLICY_SWAP_RESERVE_MIN_BYTES (64ULL * MODEL_MIB)

/* Growth (estimate.c, grant.c): a guest whose in-use rises by at least this much of
 * MEMSZ per second, with its balloon still, is growing; its rise is projected this far
 * ahead. A working set starting behind a balloon shows in the guest's stats a second
 * or two before its floor passes what it holds (the guest first drops its cache and
 * swaps); granting then, not once it is already swapping, is what makes a burst
 * resident in a period or two (bench/policies). */
#define POLICY_GROWTH_MIN_PERMYRIAD_PER_S 100U
#define POLICY_GROWTH_LOOKAHEAD_MS 2000ULL

/* Saturating helpers. */
static inline uint64_t policy_add_sat(uint64_t a, uint64_t b)
{
	uint64_t r = a + b;
	return r < a ? UINT64_MAX : r;
}
static inline uint64_t policy_sub_floor(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}
static inline uint64_t policy_min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}
static inline uint64_t policy_max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}
/* v * pm / 10000 without overflow (pm may exceed 10000). */
static inline uint64_t policy_permyriad_of(uint64_t v, uint64_t pm)
{
	uint64_t p;
	if (!__builtin_mul_overflow(v, pm, &p))
		return p / MODEL_PERMYRIAD; /* 64-bit: GCC divides 128 bits in a libcall */
	unsigned __int128 r = (unsigned __int128)v * pm / MODEL_PERMYRIAD;
	return r > UINT64_MAX ? UINT64_MAX : (uint64_t)r;
}
/* A VM's shares as the policy weighs them (entitlements, levelling): 0 counts as 1,
 * and at most POLICY_SHARES_MAX, so shares x bytes-per-share fits the solvers' maths. */
#define POLICY_SHARES_MAX (1ULL << 24)
static inline uint64_t policy_shares_weight(uint64_t shares)
{
	if (shares == 0)
		return 1;
	return shares > POLICY_SHARES_MAX ? POLICY_SHARES_MAX : shares;
}

/* What counts as "the same size" for a VM's balloon and targets: max(1% of MEMSZ, 1 MiB)
 * (a balloon at its target, a floor above the target it had, a balloon standing still). */
static inline uint64_t policy_tol_bytes(uint64_t memsz)
{
	return policy_max_u64(policy_permyriad_of(memsz, 100), MODEL_MIB);
}

bool policy_estimate_fresh(const struct policy_settings *s, const struct vm_snapshot *v);
/* estimate.c: fills w->fresh, in_use, sample, distress; updates vs EWMAs, counters. */
void policy_estimate_update(const struct policy_settings *s, struct policy_vm_state *vs,
			    const struct vm_snapshot *v, uint64_t now_ms, struct policy_vm_work *w);
/* ACTV = max(ACTVF, ACTVS); the active bytes used for the idle tax. */
uint64_t policy_estimate_actv(const struct policy_vm_state *vs);

/* demand.c (every kind): host-visible demand. After policy_bounds: sets w->rising and
 * w->answered, and raises a fresh floor by CONSUMED's growth since the guest's report. */
void policy_demand_update(struct policy_vm_state *vs, const struct vm_snapshot *v, uint64_t now_ms,
			  struct policy_vm_work *w);
/* Host-side growth that makes a VM rising: max(2% of MEMSZ, 8 MiB) per second. The
 * guest-side threshold (POLICY_GROWTH_MIN_PERMYRIAD_PER_S) is half that: CONSUMED is
 * carried between smaps reads by RSS, which moves a few MiB on its own. */
#define POLICY_RISING_PERMYRIAD_PER_S 200U
#define POLICY_RISING_MIN_BYTES_PER_S (8ULL * MODEL_MIB)
/* A VM counts as rising this long after the last rise it showed: two of the longest
 * stats periods blimp leaves alone (docs/policy.md), so a burst that pauses between
 * reports is not shrunk in the pause. */
#define POLICY_RISING_HOLD_MS 10000ULL
/* CONSUMED's rise counts only while the guest's report is at least this old: with a
 * newer report the guest's own in-use says whether the rise was demand or page cache
 * (a guest rereading its files refills its cache after every inflate: counted as
 * demand, that held t_sched_shares' VMs far from their 2:1 entitlements). Two
 * collection periods, since libvirt dates reports to the second. */
#define POLICY_RISING_REPORT_LAG_MS 2000ULL

/* reclaim.c: the blimp rules for one running-or-not VM: fills p->target_bytes and
 * p->reason from its work, state and p->entitlement_bytes. */
void policy_reclaim_vm(const struct policy_settings *s, const struct vm_snapshot *v,
		       const struct policy_vm_work *w, struct policy_vm_state *vs, uint64_t now_ms,
		       enum host_state hs, struct vm_plan *p);
/* reclaim.c: the slow probe's shrink for this run (probe_step of MEMSZ per balance
 * period, scaled by the time since the VM's last plan and by the host's state). */
uint64_t policy_probe_step(const struct policy_settings *s, const struct policy_vm_state *vs,
			   const struct policy_vm_work *w, uint64_t now_ms, enum host_state hs);
/* reclaim.c: what the VM needs, max(entitlement, guest floor) within [lo, hi]. */
uint64_t policy_reclaim_desired(const struct vm_plan *p, const struct policy_vm_work *w);
/* level.c (blimp only, state high): policy_level_note, per VM after the reclaim rules
 * and the grant's note, marks who takes part; policy_level then shares the targets'
 * sum above the VMs' needs out again by shares, zero-sum. */
void policy_level_note(const struct policy_settings *s, const struct vm_snapshot *v,
		       struct policy_vm_work *w, struct policy_vm_state *vs,
		       const struct vm_plan *p, bool is_short, uint64_t now_ms);
void policy_level(struct policy_state *st, const struct snapshot *snap, enum host_state hs,
		  struct vm_plan *plans);
/* hostswap.c (blimp only): once per run, the host side of the hysteresis (returns
 * whether kept limits are still held); then per VM after policy_reclaim_vm, SWTGT and
 * the cgroup limit. */
bool policy_hostswap_begin(struct policy_state *st, uint64_t now_ms, enum host_state hs);
void policy_hostswap_vm(const struct policy_settings *s, const struct vm_snapshot *v,
			const struct policy_vm_work *w, struct policy_vm_state *vs, uint64_t now_ms,
			enum host_state hs, bool hold, struct vm_plan *p);

/* hostswap.c: after every VM's plan, scale SWTGT (raising the limits) so their sum
 * fits in the host's free swap less a reserve; no swap at all: no limits. */
/* need: the sum of SWTGT over the plans with a cgroup limit (summed by the caller in
 * its pass over the VMs, so the plans are read again only when it is over the room). */
void policy_hostswap_fit(const struct host_snapshot *h, size_t n, unsigned __int128 need,
			 struct vm_plan *plans);

/* Baselines (each in its own file): fill target_bytes and reason for every VM. */
void policy_baseline_static(const struct policy_settings *s, struct policy_state *st,
			    const struct snapshot *snap, uint64_t now_ms, struct plan *plan);
void policy_baseline_proxmox(const struct policy_settings *s, struct policy_state *st,
			     const struct snapshot *snap, uint64_t now_ms, struct plan *plan);
void policy_baseline_mom(const struct policy_settings *s, struct policy_state *st,
			 const struct snapshot *snap, uint64_t now_ms, struct plan *plan);

/* grant.c (blimp only): the host's free memory above minFree (less grants not yet used)
 * goes at once to guests short of memory. In the reclaim pass, policy_grant_note adds
 * VM i's unused grant to *pending and, if it is short, records i in st->short_idx and
 * returns true (its host swap and finish wait for the grant); then policy_grant gives
 * the room to the recorded VMs. */
bool policy_grant_note(struct policy_state *st, size_t i, const struct vm_snapshot *v,
		       const struct policy_vm_work *w, const struct policy_vm_state *vs,
		       const struct vm_plan *p, uint64_t now_ms, uint64_t *pending);
void policy_grant(struct policy_state *st, uint64_t now_ms, const struct host_plan *hp,
		  uint64_t pending, const struct snapshot *snap, struct vm_plan *plans);
/* A grant's headroom (target - CONSUMED) counts as taken for this long. */
#define POLICY_GRANT_PENDING_MS 10000ULL

/* ksm.c: blimp's table, or ksmtuned's rule (state in st) by s->ksm_policy. */
void policy_ksm_plan(const struct policy_settings *s, struct policy_state *st, uint64_t used_bytes,
		     uint64_t now_ms, struct host_plan *hp);
/* ksmtuned's constants (ksmtuned.conf defaults; docs/policy.md cites the lines). */
#define POLICY_KSMTUNED_INTERVAL_MS 60000ULL
#define POLICY_KSMTUNED_BOOST 300
#define POLICY_KSMTUNED_DECAY (-50)
#define POLICY_KSMTUNED_NPAGES_MIN 64
#define POLICY_KSMTUNED_NPAGES_MAX 1250
#define POLICY_KSMTUNED_THRES_PERCENT 20
#define POLICY_KSMTUNED_THRES_CONST_BYTES (2048ULL * 1024)

/* Clamp a target into [w->lo, w->hi] (reservation, MCTLMAX, limit, MEMSZ). */
static inline uint64_t policy_clamp_target(const struct policy_vm_work *w, uint64_t t)
{
	if (t < w->lo_bytes)
		t = w->lo_bytes;
	if (t > w->hi_bytes)
		t = w->hi_bytes;
	return t;
}

/* Proxmox's pvestatd decides every 10 s (its update loop); MOM as VDSM ships it every
 * 15 s (vdsm static/etc/vdsm/mom.conf.in: policy-engine-interval and the host and
 * guest monitor intervals, all 15). Between rounds a baseline keeps its targets. */
#define POLICY_BASELINE_ROUND_MS 10000ULL
#define POLICY_MOM_ROUND_MS 15000ULL
static inline bool policy_baseline_due(struct policy_state *st, uint64_t now_ms,
				       uint64_t round_ms)
{
	if (st->baseline_have_last && now_ms >= st->baseline_last_ms &&
	    now_ms - st->baseline_last_ms < round_ms)
		return false;
	st->baseline_have_last = true;
	st->baseline_last_ms = now_ms;
	return true;
}
/* Keep every VM's previous target (reason BASELINE). */
void policy_baseline_keep(struct policy_state *st, const struct snapshot *snap, struct plan *plan);
