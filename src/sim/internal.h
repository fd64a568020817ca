/*
 * Simulator internals shared by engine.c, vm.c, host.c and output.c.
 *
 * DESIGN: struct sim holds the fleet's runtime state in flat arrays (one entry per
 * VM), the snapshot and plan arrays handed to policy_run (allocated once), and the
 * running totals. Model quantities are doubles in bytes (the model is arithmetic on
 * rates; the same binary gives the same bits on every run); everything that reaches
 * the policy or a file is converted to integers first.
 *
 * Scale (docs/simulator.md "Scale"): a step is one pass over the VMs in index order:
 * apply the plan, step, account, write the snapshot entry. Everything that pass reads
 * is in struct sim_vm (the spec's figures copied in, the working-set trace's current
 * piece cached), so it streams one array (384 bytes a VM, six cache lines) plus the plan and
 * snapshot entries; the fleet's specs and trace points are read only when a VM crosses a trace
 * point. What the pass rarely needs is in struct sim_vm_cold. Three results of a step
 * are settled only once every VM has stepped, so they are kept open instead of redone:
 *   - host overflow: the pass accounts as if the host kernel reclaims nothing; when it
 *     does (used beyond RAM) sim_host_end takes its share from each VM and accounts
 *     and snapshots the running VMs again;
 *   - the SLO totals (run_ms, viol_ms, loss_ms) of a step are added at the VM's next
 *     step (acct_pending), or by sim_result_get, so a redone accounting adds nothing
 *     twice;
 *   - guest stats refreshed in a step are the guest's state after it (stats_live) and
 *     are read from it when the snapshot is written; they are copied out only when a
 *     step leaves them unrefreshed (stats period above the step).
 * The order of every floating-point operation is that of the plain per-VM passes.
 */
#pragma once
#include <stdio.h>

#include "sim/sim.h"

/* A guest's memory stats as libvirt would return them. */
struct sim_guest_stats {
	uint64_t total, avail, free, caches, swin, swout, majflt, ooms;
};

/* One VM's modelled state: what every step reads or writes. */
struct sim_vm {
	/* Read first in a step, then in the order the model goes. */
	bool running, booted, balloon, deflate_on_oom, in_oom;
	bool stats_valid;
	bool stats_live;   /* the stats are the guest's state now (refreshed in the last step) */
	bool acct_pending; /* the last step's SLO accounting is not in the totals yet */
	uint64_t start_ms, boot_ms;
	uint64_t stats_phase_ms;
	uint64_t stats_at_ms;
	/* Totals (the last step's are added later: acct_pending). */
	double loss; /* throughput lost now, 0..1 */
	double loss_ms;
	uint64_t run_ms, viol_ms;
	struct sim_trace_seg ws_seg; /* the trace's piece at the last step */
	double ws;		     /* working set now */
	/* The spec's figures, as the model uses them. */
	double memsz, idle_anon, guest_swap, balloon_rate;
	uint64_t oom_until_ms;
	uint64_t oom_kills;
	double actual;	      /* balloon actual: memory the guest holds */
	double target;	      /* balloon target from the last plan */
	double guest_swapped; /* anon in guest swap */
	double anon_res;      /* anon resident in the guest */
	double missing_guest; /* working set not in guest RAM (guest swap or OOM-killed) */
	double swap_in_bytes, swap_out_bytes, major_faults; /* cumulative */
	double cache;					    /* guest page cache */
	double cache_rate, cache_cap, cache_init, kernel;
	double unreported; /* host-backed guest-free memory left (sim_vm_spec.unreported_bytes) */
	double touched;	 /* high-water mark of guest use (no balloon: no page reporting) */
	double resident; /* guest RAM resident on the host */
	double shareable;
	uint32_t shareable_permyriad;
	double shared;	     /* saved by KSM */
	double cold;	     /* last step's cold memory: resident, not working set */
	double cgroup_limit; /* host cgroup limit from the last plan; 0 = none */
	double ovhd;
	double host_swapped; /* SWCUR */
	double consumed;     /* CONSUMED = resident - shared - host_swapped */
} __attribute__((aligned(64)));

/* What a step rarely touches. */
struct sim_vm_cold {
	size_t cursor;		      /* trace cursor */
	double oom_deflated_bytes;    /* cumulative deflate-on-OOM */
	struct sim_guest_stats stats; /* as of stats_at_ms when not stats_live */
};

struct sim {
	struct sim_config cfg;
	const struct sim_fleet *fleet;
	struct policy_settings ps;
	struct policy_state *pst;
	size_t n;
	struct sim_vm *vms;
	struct sim_vm_cold *vms_cold;
	/* t_next / stats period and t_next % period for t_next = stats_for_ms (vm.c) */
	bool stats_for_valid;
	uint64_t stats_for_ms, stats_q, stats_r;
	struct snapshot snap;
	struct vm_snapshot *snap_vms;
	struct plan plan;
	struct vm_plan *plan_vms;
	/* What is in force per VM and the policy's holds (policy_actions, the code blimpd
	 * runs): the balloon target and cgroup limit the VMs take at the next step. */
	struct policy_applied *applied;
	struct policy_action *actions; /* scratch, 2 per VM */
	bool have_plan;
	uint64_t now_ms;
	/* Host. */
	double ksm_scan_bytes_per_s;
	double swap_demand_out, swap_demand_in;		    /* last step's totals (rate sharing) */
	double total_resident;				    /* last step's sum (KSM scan time) */
	double acc_demand_out, acc_demand_in, acc_resident; /* this step's, being summed */
	bool overflow;					    /* last step beyond RAM */
	bool over_budget; /* last step's CONSUMED + OVHD beyond the budget, before the
			   * host reclaimed (bench/density's rule) */
	double sum_consumed, sum_ovhd, sum_shared, sum_host_swapped, sum_memsz_running;
	size_t n_running, n_violating;
	/* Totals for the result. */
	struct sim_result res;
	double overcommit_sum_permyriad, saved_sum, ksm_saved_sum;
	uint64_t samples;
	/* Output. */
	FILE *out_vms, *out_host;
};

/* vm.c: copy VM i's spec figures into its state (sim_new). */
void sim_vm_init(struct sim *s, size_t i, uint64_t stats_phase_ms);
/* vm.c: advance VM i from now to now + dt (guest side, then host side); first adds
 * the previous step's SLO accounting to its totals. */
void sim_vm_step(struct sim *s, size_t i, uint64_t t_next_ms, double dt_s, double dt_eff_s);
/* vm.c: loss and SLO accounting after the host's reclaim (running VMs only); the
 * totals take it at the VM's next step. */
void sim_vm_account(struct sim *s, size_t i);
/* vm.c: VM i's totals including a pending step. */
void sim_vm_totals(const struct sim *s, size_t i, uint64_t *run_ms, uint64_t *viol_ms,
		   double *loss_ms);
/* vm.c: the guest stats a collector sees now (as of the last refresh). */
void sim_vm_stats(const struct sim *s, size_t i, struct sim_guest_stats *gs);
/* host.c: a step's host totals start at zero. */
void sim_host_begin(struct sim *s);
/* host.c: VM i (running) has stepped: totals and accounting, as if the host kernel
 * reclaims nothing this step. */
void sim_host_vm(struct sim *s, size_t i);
/* host.c: after every VM stepped: the host kernel's reclaim when used (sum CONSUMED +
 * OVHD) is beyond its RAM (then totals, accounting and, when snap_ms is not
 * UINT64_MAX, snapshot entries again for the running VMs), the swap-rate shares. */
void sim_host_end(struct sim *s, double used, double consumed, uint64_t snap_ms);
/* engine.c: one VM's snapshot entry as of now_ms. */
void sim_snapshot_vm(struct sim *s, size_t i, uint64_t now_ms);
/* host.c: host snapshot fields. */
void sim_host_snapshot(struct sim *s, struct host_snapshot *h);

/* output.c */
int sim_output_open(struct sim *s, char *err, size_t errlen) __attribute__((warn_unused_result));
void sim_output_rows(struct sim *s);
int sim_output_close(struct sim *s) __attribute__((warn_unused_result));
