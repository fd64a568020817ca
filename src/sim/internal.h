/*
 * Simulator internals shared by engine.c, vm.c, host.c and output.c.
 *
 * DESIGN: struct sim holds the fleet's runtime state in flat arrays (one entry per
 * VM), the snapshot and plan arrays handed to policy_run (allocated once), and the
 * running totals. Model quantities are doubles in bytes (the model is arithmetic on
 * rates; the same binary gives the same bits on every run); everything that reaches
 * the policy or a file is converted to integers first.
 */
#pragma once
#include <stdio.h>

#include "sim/sim.h"

/* One VM's modelled state. */
struct sim_vm {
	bool running, booted, balloon;
	double memsz, ovhd;   /* copies of the spec's, so the host pass reads only this */
	double actual;	      /* balloon actual: memory the guest holds */
	double target;	      /* balloon target from the last plan */
	double cgroup_limit;  /* host cgroup limit from the last plan; 0 = none */
	double cache;	      /* guest page cache */
	double guest_swapped; /* anon in guest swap */
	double anon_res;      /* anon resident in the guest */
	double touched;	      /* high-water mark of guest use (no balloon: no page reporting) */
	double resident;      /* guest RAM resident on the host */
	double shared;	      /* saved by KSM */
	double host_swapped;  /* SWCUR */
	double cold;	      /* last step's cold memory: resident, not working set */
	double consumed;      /* CONSUMED = resident - shared - host_swapped */
	double ws;	      /* working set now */
	double missing_guest; /* working set not in guest RAM (guest swap or OOM-killed) */
	double loss;	      /* throughput lost now, 0..1 */
	double swap_in_bytes, swap_out_bytes, major_faults; /* cumulative */
	uint64_t oom_kills;
	double oom_deflated_bytes; /* cumulative deflate-on-OOM */
	bool in_oom;
	uint64_t oom_until_ms;
	size_t cursor; /* trace cursor */
	uint64_t stats_phase_ms;
	/* Guest stats as of the last refresh (what libvirt would return now). */
	bool stats_valid;
	uint64_t stats_at_ms;
	uint64_t g_total, g_avail, g_free, g_caches, g_swin, g_swout, g_majflt, g_ooms;
	/* Totals. */
	uint64_t run_ms, viol_ms;
	double loss_ms;
};

struct sim {
	struct sim_config cfg;
	const struct sim_fleet *fleet;
	struct policy_settings ps;
	struct policy_state *pst;
	size_t n;
	struct sim_vm *vms;
	struct snapshot snap;
	struct vm_snapshot *snap_vms;
	struct plan plan;
	struct vm_plan *plan_vms;
	bool have_plan;
	uint64_t now_ms;
	/* Host. */
	double ksm_scan_bytes_per_s;
	double swap_demand_out, swap_demand_in;		    /* last step's totals (rate sharing) */
	double total_resident;				    /* last step's sum (KSM scan time) */
	double acc_demand_out, acc_demand_in, acc_resident; /* this step's, being summed */
	bool overflow;					    /* last step beyond budget */
	double sum_consumed, sum_ovhd, sum_shared, sum_host_swapped, sum_memsz_running;
	size_t n_running, n_violating;
	/* Totals for the result. */
	struct sim_result res;
	double overcommit_sum_permyriad, saved_sum, ksm_saved_sum;
	uint64_t samples;
	/* Output. */
	FILE *out_vms, *out_host;
};

/* vm.c: advance VM i from now to now + dt (guest side, then host side before the
 * host-wide pass). */
void sim_vm_step(struct sim *s, size_t i, uint64_t t_next_ms, double dt_s, double dt_eff_s);
/* vm.c: loss and SLO accounting after the host's reclaim (running VMs only). */
void sim_vm_account(struct sim *s, size_t i, uint64_t dt_ms);
/* host.c: host-wide reclaim when used (sum CONSUMED + OVHD) is beyond the budget,
 * totals, sim_vm_account for every running VM and, when snap_ms is not UINT64_MAX,
 * every VM's snapshot entry as of snap_ms. */
void sim_host_pass(struct sim *s, uint64_t dt_ms, double used, double consumed, uint64_t snap_ms);
/* engine.c: one VM's snapshot entry (done in the host pass on a balance tick, while
 * the VM is in cache). */
void sim_snapshot_vm(struct sim *s, size_t i, uint64_t now_ms);
/* host.c: host snapshot fields. */
void sim_host_snapshot(struct sim *s, struct host_snapshot *h);

/* output.c */
int sim_output_open(struct sim *s, char *err, size_t errlen) __attribute__((warn_unused_result));
void sim_output_rows(struct sim *s);
int sim_output_close(struct sim *s) __attribute__((warn_unused_result));
