/*
 * The host model: the budget, unmanaged reclaim and KSM's scan rate.
 *
 * DESIGN: while the VMs step, the loop adds up CONSUMED + OVHD. Beyond the
 * host's RAM (the budget unless host_ram_bytes says more) the host kernel itself reclaims (global
 * LRU, not the policy's choice): the excess goes to host swap at once, taken from each VM in
 * proportion to its CONSUMED, and the time is counted as overflow. KSM's scan rate comes from the
 * last plan (pages_to_scan per sleep_ms); the time to find a VM's shareable pages is the time to
 * scan all resident guest RAM once. The step's own pass totals the host figures and does each
 * VM's SLO accounting as if the host reclaims nothing (sim_host_vm); only a step that ends beyond
 * RAM reads the running VMs a second time (sim_host_end) to take the excess and redo both.
 */
#include "sim/internal.h"

void sim_host_begin(struct sim *s)
{
	s->sum_consumed = s->sum_ovhd = s->sum_shared = s->sum_host_swapped = 0;
	s->sum_memsz_running = 0;
	s->n_running = s->n_violating = 0;
}

void sim_host_vm(struct sim *s, size_t i)
{
	const struct sim_vm *vm = &s->vms[i];
	s->n_running++;
	s->sum_consumed += vm->consumed;
	s->sum_ovhd += vm->ovhd;
	s->sum_shared += vm->shared;
	s->sum_host_swapped += vm->host_swapped;
	s->sum_memsz_running += vm->memsz;
	sim_vm_account(s, i);
}

void sim_host_end(struct sim *s, double used, double consumed, uint64_t snap_ms)
{
	double ram =
	    (double)(s->cfg.host_ram_bytes ? s->cfg.host_ram_bytes : s->cfg.host_mem_bytes);
	s->overflow = used > ram + 0.5;
	s->over_budget = used > (double)s->cfg.host_mem_bytes + 0.5;
	double frac = 0;
	if (s->overflow && consumed > 0) {
		frac = (used - ram) / consumed;
		if (frac > 1)
			frac = 1; /* OVHD alone beyond the budget: everything swapped */
	}
	if (frac > 0) {
		sim_host_begin(s);
		for (size_t i = 0; i < s->n; i++) {
			struct sim_vm *vm = &s->vms[i];
			if (!vm->running)
				continue;
			double take = vm->consumed * frac;
			vm->host_swapped += take;
			vm->consumed -= take;
			sim_host_vm(s, i);
			if (snap_ms != UINT64_MAX)
				sim_snapshot_vm(s, i, snap_ms);
		}
	}
	s->swap_demand_out = s->acc_demand_out;
	s->swap_demand_in = s->acc_demand_in;
	s->total_resident = s->acc_resident;
	s->acc_demand_out = s->acc_demand_in = s->acc_resident = 0;
}

void sim_host_snapshot(struct sim *s, struct host_snapshot *h)
{
	double budget = (double)s->cfg.host_mem_bytes;
	double used = s->sum_consumed + s->sum_ovhd;
	h->mem_total_bytes = s->cfg.host_mem_bytes;
	h->mem_available_bytes = used < budget ? (uint64_t)(budget - used) : 0;
	h->swap_total_bytes = 1024 * MODEL_GIB;
	h->swap_free_bytes = h->swap_total_bytes - (uint64_t)s->sum_host_swapped;
	h->psi_some_avg10_permyriad =
	    s->n_running ? (uint32_t)(s->n_violating * MODEL_PERMYRIAD / s->n_running) : 0;
	h->psi_full_avg10_permyriad = 0;
	h->ksm_present = true;
	h->ksm_pages_sharing = (uint64_t)(s->sum_shared / (double)MODEL_PAGE_SIZE);
	h->ksm_pages_shared = h->ksm_pages_sharing / 4;
	h->zswap_enabled = false;
}
