/*
 * The policy library: pure functions from (settings, previous state, snapshot, now)
 * to (plan, new state). No I/O, no clock reads, no logging: blimpd, the simulator
 * and the tests all call exactly this code.
 */
#pragma once
#include "model/model.h"

enum policy_kind {
	POLICY_BLIMP = 0, /* ESX-style: states, min-funding + idle tax, guest safety */
	POLICY_STATIC,    /* no overcommit management: every VM keeps MEMSZ */
	POLICY_PROXMOX,   /* Proxmox auto-ballooning (pvestatd): ballooning-target, shares */
	POLICY_MOM,       /* oVirt MOM as VDSM ships it: 15 s, StatAvg, 20%/5%, 5% steps */
	POLICY__COUNT
};
const char *policy_kind_name(enum policy_kind k);
int policy_kind_parse(const char *s, enum policy_kind *out); /* 0 or -EINVAL */

/* Who decides KSM (every kind but static): blimp's per-state table, or ksmtuned's
 * rule (boost/decay of pages_to_scan while free < 20% of the budget; ksm.c). */
enum policy_ksm_kind {
	POLICY_KSM_BLIMP = 0,
	POLICY_KSM_KSMTUNED,
	POLICY_KSM__COUNT
};
const char *policy_ksm_kind_name(enum policy_ksm_kind k);

struct policy_settings {
	enum policy_kind kind;
	uint64_t budget_bytes;          /* memory blimp manages (VMs' CONSUMED + OVHD) */
	uint32_t idle_tax_permyriad;    /* tau, default 7500, 0..9900 */
	uint32_t balance_period_ms;     /* how often a plan is made, default 1000 */
	uint64_t stale_after_ms;        /* guest stats older than this are stale, default 5000 */
	uint64_t guest_margin_bytes;    /* floor = guest in-use + max(margin, margin_permyriad) */
	uint32_t guest_margin_permyriad;/* of MEMSZ, default 500 (5%) */
	uint32_t probe_step_permyriad;  /* slow probe: shrink by at most this of MEMSZ per period */
	bool probe_scale_by_state;      /* step x1 soft, x4 hard, x16 low (default true) */
	uint32_t backoff_hold_ms;       /* after a back-off, no shrink for this long */
	uint32_t fast_alpha_permyriad;  /* EWMA weight per sample, fast average */
	uint32_t slow_alpha_permyriad;  /* EWMA weight per sample, slow average */
	/* ACTV's sample is the host-side access measurement where there is one; with
	 * actv_guest the guest's own in-use figure joins it (the larger of the two). */
	bool actv_guest;
	/* The guest floor counts only what the host saw touched (ACTV) where the host
	 * measures, not all the guest's in-use: ESX's blind ballooning, for guests with
	 * swap of their own (docs/policy.md, "Active memory"). Off by default. */
	bool floor_active;
	/* In state high, the VMs' targets above their needs are shared out again by shares,
	 * zero-sum (level.c). Default off: bench/burst showed no gain (docs/policy.md). */
	bool level_headroom;
	bool host_swap;                 /* may push VMs to host swap in hard/low */
	/* MCTLMAX of a VM whose balloon lacks deflate-on-OOM and that has no maxmemctl of
	 * its own, as a share of MEMSZ (default 2500: it keeps 75%; docs/policy.md) */
	uint32_t nodeflate_maxmemctl_permyriad;
	uint32_t ksm_pages_to_scan[HOST_STATE__COUNT]; /* 0 in a state: KSM off there */
	uint32_t ksm_sleep_ms;
	enum policy_ksm_kind ksm_policy; /* blimp's table above or ksmtuned's rule */
	/* Proxmox's node option ballooning-target: host memory use the proxmox baseline
	 * fills to, percent of the budget (0..100, default 80 as pvestatd) */
	uint32_t proxmox_target_percent;
};

/* Defaults as documented in docs/settings.md; budget_bytes must still be set. */
void policy_settings_default(struct policy_settings *s);
/* Checks bounds; fills err with a one-line reason. 0 or -EINVAL. */
int policy_settings_validate(const struct policy_settings *s, char *err, size_t errlen);

/* Opaque state carried from one run to the next (per-VM averages, targets, back-off
 * timers), keyed by VM uuid. A VM seen for the first time starts at its current
 * balloon actual, so a restarted daemon resumes without a jump. */
struct policy_state;
struct policy_state *policy_state_new(void);
void policy_state_free(struct policy_state *st);

/* Make a plan. plan->vms must have room for snap->n_vms entries; plan->vms[i]
 * plans snap->vms[i]. Returns 0, or -errno (-ENOMEM) leaving the state unchanged. */
int policy_run(const struct policy_settings *s, struct policy_state *st,
	       const struct snapshot *snap, uint64_t now_ms, struct plan *plan)
	__attribute__((warn_unused_result));

/* MCTLMAX of a VM: its own maxmemctl setting, else 65% of MEMSZ, or
 * nodeflate_maxmemctl_permyriad of MEMSZ when its balloon lacks deflate-on-OOM. */
uint64_t policy_vm_maxmemctl(const struct policy_settings *s, const struct vm_snapshot *v);

/* How many probe steps a shrink may take per period in host state hs. */
uint32_t policy_probe_multiplier(const struct policy_settings *s, enum host_state hs);

/* vSphere's sliding minFree for a budget: 6% of the first 4 GiB, 4% of the next
 * 8 GiB, 2% of the next 16 GiB, 1% of the rest. */
uint64_t policy_minfree_bytes(uint64_t budget_bytes);

/* --- Additions (policy library owner) ----------------------------------------------- */

/* One VM's input to the entitlement: shares S, active bytes A (the idle tax applies to
 * the P - A inactive part), and the bounds the result must stay within. */
struct policy_entitle_vm {
	uint64_t shares;       /* S; 0 counts as 1, clamped to 2^24 */
	uint64_t active_bytes; /* A (ACTV); active fraction f = min(A, P) / P */
	uint64_t min_bytes;    /* never below (reservation and other hard floors) */
	uint64_t max_bytes;    /* never above (limit, MEMSZ); a min above it is capped */
};

/* Min-funding revocation with the idle memory tax (Waldspurger, OSDI 2002): divide
 * budget_bytes among n VMs so that every VM between its bounds has the same
 * rho = S / (P * (f + k * (1 - f))), k = 1 / (1 - tau); the VM with the lowest rho is
 * the one memory is revoked from. If everything fits, out = max. Ties go by index.
 * Returns 0; -ENOSPC if the minimums alone exceed the budget (out = min for all);
 * -EINVAL for tau > 9900 or a NULL array with n > 0. */
int policy_entitle(uint64_t budget_bytes, uint32_t idle_tax_permyriad,
		   const struct policy_entitle_vm *vms, size_t n, uint64_t *out_bytes)
	__attribute__((warn_unused_result));

/* ESX host state for `free_bytes` against minFree, without hysteresis:
 * high >= 100%, clear >= 64%, soft >= 32%, hard >= 16%, else low. */
enum host_state policy_host_state_raw(uint64_t free_bytes, uint64_t minfree_bytes);
/* With hysteresis by band: a worse state is entered at once; a better one only when
 * free has cleared the threshold of the state above it (high: 400% of minFree). */
enum host_state policy_host_state_next(enum host_state prev, uint64_t free_bytes,
				       uint64_t minfree_bytes);

/* --- From a plan to actions: every rate limit and hold, in one place ---------------- */
/* blimpd and the simulator both turn a plan into actions here (actions.c), so what
 * either applies, pass by pass, is the same by construction. The execute side keeps
 * only the emergency: an actuator may raise a stuck cgroup's limit at once (a rescue)
 * and reports it; the hold after it is decided here. */

/* A balloon target that moves less than this is noise: not applied. */
#define POLICY_BALLOON_DEADBAND_BYTES MODEL_MIB
/* Lowering cgroup limits asks the host to reclaim (swap out): at most this much per
 * pass, fleet-wide, below min(limit, usage) of each VM, so each step's reclaim is done
 * before the next (64 MiB a second at the default period: a rate a swap disk
 * sustains; bench/density: four VMs stepped down 64 MiB each in one second on a swap
 * file that took ~40 MiB/s, one cgroup went under_oom and libvirt killed its VM). A
 * raise is applied at once. */
#define POLICY_CGROUP_STEP_BYTES (64ULL << 20)
/* After a rescue the limit is not lowered below the rescue's for this many passes (a
 * minute at the default period, as long as the host-swap hold); doubled for each
 * further rescue under the same limit, up to 16x. */
#define POLICY_CGROUP_HOLD_PASSES 60U

/* One VM's side of what is applied: what the execute side left in force (filled by the
 * caller before each policy_actions: gather) and the hold policy_actions keeps between
 * passes (caller-owned, zeroed for a new VM). */
struct policy_applied {
	/* in force, as gathered */
	uint64_t balloon_bytes;       /* balloon target in force (last set, else current) */
	uint64_t manual_target_bytes; /* pinned by `balloon NAME SIZE`; 0 = policy decides */
	bool cgroup_off;              /* no cgroup limits for this VM (off, no QEMU pid) */
	bool cgroup_leftover;         /* an old blimpd's limit waits to be restored */
	uint64_t cgroup_limit_bytes;  /* blimp's limit in force; UINT64_MAX = none */
	uint64_t cgroup_usage_bytes;  /* charged to the cgroup; 0 = unknown: CONSUMED + OVHD */
	uint64_t cgroup_rescues;      /* the actuator's rescues of this cgroup (may restart at 0) */
	uint64_t cgroup_rescue_bytes; /* the limit the last rescue set; UINT64_MAX: it could
				       * not raise it and took the limit off */
	/* kept by policy_actions */
	uint64_t rescues_seen;
	uint64_t hold_floor_bytes; /* no lower limit than this during the hold (UINT64_MAX: none at all) */
	uint32_t hold_passes;	   /* passes the hold still lasts */
	uint32_t rescues_in_row;   /* rescues since the limit was last off (doubles the hold) */
};

enum policy_action_kind {
	POLICY_ACTION_BALLOON, /* set the balloon target to bytes */
	POLICY_ACTION_CGROUP,  /* set the cgroup limit to bytes (0: no limit) */
};
struct policy_action {
	enum policy_action_kind kind;
	size_t vm;	     /* index into the snapshot and plan */
	uint64_t bytes;
	uint64_t goal_bytes; /* cgroup: the plan's limit this steps toward (held: the floor) */
	bool manual;	     /* balloon: the pinned target */
	bool held;	     /* cgroup: a rescue's hold kept it up */
};

/* The limit to write this pass on the way to target (page-aligned): at once when it
 * is a raise; when lowering, no more than step_bytes below min(current, usage), so
 * each pass asks the kernel to reclaim at most one step and the next gives it time (a
 * limit far below usage at once makes v1 refuse it or, with swap short, stall or OOM
 * the cgroup). current = the limit in force (UINT64_MAX: none). */
uint64_t policy_cgroup_next_limit(uint64_t current, uint64_t usage, uint64_t target,
				  uint64_t step_bytes);

/* diff(plan, applied): the actions for one pass, balloons first (snapshot order), then
 * cgroup limits (snapshot order, sharing one POLICY_CGROUP_STEP_BYTES of reclaim). A
 * pinned VM's plan entry gets its manual target (target, MCTLTGT). applied[i] belongs
 * to snap->vms[i]; its hold fields are updated. out has room for 2 * n_vms; *n_out is
 * set. Pure: the execute side applies the actions and the next gather shows them. */
void policy_actions(const struct snapshot *snap, struct plan *plan,
		    struct policy_applied *applied, struct policy_action *out, size_t *n_out);
