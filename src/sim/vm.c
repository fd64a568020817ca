/*
 * The VM model: one step of one VM.
 *
 * DESIGN (docs/simulator.md "Model"): the guest holds G = balloon actual bytes (the
 * balloon moves toward its target at its rate, but inflates only into memory the
 * guest can give: free, cache, swappable anon). Its
 * anon memory is idle_anon + the working set (the trace). When anon does not fit in G
 * the guest swaps, idle anon first; what it cannot swap is an OOM kill (the workload
 * dies, its working set counts as lost until it restarts oom_restart_ms later), unless
 * the balloon driver deflates on OOM fast enough (what it deflates in a step counts
 * as missing working set for that step: the guest stalled in its OOM path). Page
 * cache grows toward its cap in whatever room is left. The host backs what the guest
 * uses (free page reporting returns free pages; without a balloon driver there is no
 * reporting and the host keeps the high-water mark), less what KSM merged, less what
 * the host swapped. Host swap follows the plan's cgroup limit at the host's swap
 * rate, shared among VMs in proportion to their demand in the previous step. Swap-in
 * is lazy, as in Linux: only working-set pages come back (when touched); cold pages
 * stay swapped until the guest frees them (freed cold pages are the swapped ones
 * first: the guest's and the host's LRU agree on what is cold).
 * Lost throughput = working set not resident (in guest swap, OOM-killed, or in host
 * swap beyond the VM's cold pages) / working set.
 */
#include <math.h>

#include "sim/internal.h"

static double vm_min(double a, double b)
{
	return a < b ? a : b;
}
static double vm_max(double a, double b)
{
	return a > b ? a : b;
}

static void vm_guest(struct sim *s, const struct sim_vm_spec *sp, struct sim_vm *vm,
		     uint64_t t_next_ms, double dt_s, double dt_eff_s)
{
	double memsz = (double)sp->memsz_bytes, idle = (double)sp->idle_anon_bytes;
	double ws = (double)sim_trace_at(&sp->ws, t_next_ms, &vm->cursor);
	vm->ws = vm_min(ws, memsz - idle);

	double swap = (double)sp->guest_swap_bytes;
	if (vm->in_oom && t_next_ms >= vm->oom_until_ms)
		vm->in_oom = false; /* the workload restarts */
	double anon = idle + (vm->in_oom ? 0 : vm->ws);
	if (sp->balloon) {
		double step = (double)sp->balloon_bytes_per_s * dt_eff_s;
		if (vm->actual > vm->target) {
			/* The driver allocates without retrying: it takes free memory, cache
			 * and swappable anon, and stalls instead of pushing the guest to OOM. */
			double floor = vm_max(anon - swap, 0);
			if (vm->actual > floor)
				vm->actual = vm_max(vm_max(vm->target, vm->actual - step), floor);
		} else {
			vm->actual = vm_min(vm->target, vm->actual + step);
		}
	} else {
		vm->actual = memsz;
	}
	double g = vm->actual;

	double oom_deflated = 0;
	if (anon - g > swap + 0.5 && sp->balloon && sp->deflate_on_oom && g < memsz) {
		/* The driver's OOM notifier deflates before the OOM killer runs: as much as
		 * the balloon can release this step. The guest stalls in reclaim meanwhile. */
		double want = vm_min(anon - swap - g, memsz - g);
		oom_deflated = vm_min(want, (double)sp->balloon_bytes_per_s * dt_s);
		vm->actual = g = g + oom_deflated;
		vm->oom_deflated_bytes += oom_deflated;
	}
	if (anon - g > swap + 0.5) {
		if (!vm->in_oom) {
			vm->oom_kills++;
			vm->in_oom = true;
		}
		vm->oom_until_ms = t_next_ms + s->cfg.oom_restart_ms;
		anon = idle;
	}
	double gs = vm_min(vm_max(anon - g, 0), swap);
	if (gs > vm->guest_swapped)
		vm->swap_out_bytes += gs - vm->guest_swapped;
	else
		vm->swap_in_bytes += vm->guest_swapped - gs;
	vm->guest_swapped = gs;
	vm->anon_res = anon - gs;
	vm->missing_guest =
	    vm->in_oom ? vm->ws : vm_min(vm_max(gs - idle, 0) + oom_deflated, vm->ws);
	if (vm->missing_guest > 0 && !vm->in_oom) {
		/* Thrashing: every missing page is touched once per ws_touch_ms. */
		double faults = vm->missing_guest / (double)MODEL_PAGE_SIZE * dt_s * 1000.0 /
				(double)s->cfg.ws_touch_ms;
		vm->major_faults += faults;
		vm->swap_in_bytes += faults * (double)MODEL_PAGE_SIZE;
		vm->swap_out_bytes += faults * (double)MODEL_PAGE_SIZE;
	}
	double room = vm_max(g - vm->anon_res, 0);
	vm->cache = vm_min(vm->cache + (double)sp->cache_bytes_per_s * dt_s,
			   vm_min((double)sp->cache_cap_bytes, room));
}

static void vm_stats_refresh(const struct sim *s, const struct sim_vm_spec *sp, struct sim_vm *vm,
			     uint64_t t_next_ms)
{
	uint64_t period = s->cfg.stats_period_ms;
	if (t_next_ms < vm->stats_phase_ms)
		return;
	uint64_t b = vm->stats_phase_ms + (t_next_ms - vm->stats_phase_ms) / period * period;
	if (vm->stats_valid && b <= vm->stats_at_ms)
		return;
	double room = vm_max(vm->actual - vm->anon_res, 0);
	double freeb = vm_max(room - vm->cache, 0);
	vm->stats_valid = true;
	vm->stats_at_ms = b;
	/* Linux's virtio_balloon takes inflated pages out of MemTotal only without
	 * deflate-on-OOM; with it they stay inside as used memory. The kernel's own
	 * image and reserved memory are never in MemTotal. */
	double total = sp->deflate_on_oom ? vm->memsz : vm->actual;
	vm->g_total = (uint64_t)vm_max(total - (double)sp->kernel_bytes, 0);
	vm->g_free = (uint64_t)freeb;
	vm->g_caches = (uint64_t)vm->cache;
	vm->g_avail = (uint64_t)(freeb + vm->cache);
	vm->g_swin = (uint64_t)vm->swap_in_bytes;
	vm->g_swout = (uint64_t)vm->swap_out_bytes;
	vm->g_majflt = (uint64_t)vm->major_faults;
	vm->g_ooms = vm->oom_kills;
}

static void vm_host(struct sim *s, const struct sim_vm_spec *sp, struct sim_vm *vm, double dt_s)
{
	double memsz = (double)sp->memsz_bytes;
	double used = vm->anon_res + vm->cache;
	if (sp->balloon && vm->booted) {
		vm->resident = vm_min(used, vm->actual);
	} else {
		vm->touched = vm_max(vm->touched, used);
		vm->resident = vm_min(vm->touched, memsz);
	}
	double shareable =
	    vm_min(vm->resident, (double)sp->shareable_bytes +
				     vm->resident * sp->shareable_permyriad / MODEL_PERMYRIAD);
	if (vm->shared > shareable)
		vm->shared = shareable; /* merged pages written or freed */
	else if (s->ksm_scan_bytes_per_s > 0 && s->total_resident > 0)
		vm->shared += (shareable - vm->shared) *
			      vm_min(1.0, dt_s * s->ksm_scan_bytes_per_s / s->total_resident);
	double need = vm->resident - vm->shared;
	double cold = vm_max(need - vm_max(vm->ws - vm->missing_guest, 0), 0);
	if (!s->cfg.host_swap_eager) {
		/* Cold memory the guest frees (the balloon takes cache, the working set
		 * evicts it) is its coldest, the pages the host swapped first: those swap
		 * slots go first. */
		if (cold < vm->cold)
			vm->host_swapped = vm_max(vm->host_swapped - (vm->cold - cold), 0);
		vm->cold = cold;
	}
	double tgt = 0;
	if (vm->cgroup_limit > 0)
		tgt = vm_max(need + (double)sp->ovhd_bytes - vm->cgroup_limit, 0);
	double rate = (double)s->cfg.host_swap_bytes_per_s * dt_s;
	if (tgt > vm->host_swapped) {
		/* this VM's demand counts too: one VM alone cannot beat the device */
		double d = tgt - vm->host_swapped, demand = vm_max(s->swap_demand_out, d);
		double share = demand > rate ? rate / demand : 1.0;
		vm->host_swapped += d * share;
		s->acc_demand_out += d;
	} else if (tgt < vm->host_swapped) {
		/* Linux swaps a page in when it is touched: the working set's pages come
		 * back, cold ones stay in swap after the limit lifts (eager: all come back). */
		double d = vm->host_swapped - tgt;
		if (!s->cfg.host_swap_eager)
			d = vm_min(d, vm_max(vm->host_swapped - cold, 0));
		double demand = vm_max(s->swap_demand_in, d);
		double share = demand > rate ? rate / demand : 1.0;
		vm->host_swapped -= d * share;
		s->acc_demand_in += d;
	}
	vm->host_swapped = vm_min(vm->host_swapped, need);
	vm->consumed = need - vm->host_swapped;
	s->acc_resident += vm->resident;
}

void sim_vm_step(struct sim *s, size_t i, uint64_t t_next_ms, double dt_s, double dt_eff_s)
{
	const struct sim_vm_spec *sp = &s->fleet->vms[i];
	struct sim_vm *vm = &s->vms[i];
	if (t_next_ms <= sp->start_ms)
		return;
	if (!vm->running) {
		vm->running = true;
		vm->actual = vm->target = (double)sp->memsz_bytes;
		vm->cache = (double)sp->cache_init_bytes;
	}
	uint64_t since = t_next_ms - sp->start_ms;
	if (since < sp->boot_ms) {
		vm->booted = false;
		vm->anon_res = (double)sp->idle_anon_bytes * (double)since / (double)sp->boot_ms;
		/* A guest that filled its cache before the run holds it while it boots (here:
		 * until blimpd has its first stats). */
		vm->cache =
		    vm_min((double)sp->cache_init_bytes, (double)sp->memsz_bytes - vm->anon_res);
		vm->ws = 0;
		vm->missing_guest = 0;
	} else {
		vm->booted = true;
		vm_guest(s, sp, vm, t_next_ms, dt_s, dt_eff_s);
		if (sp->balloon)
			vm_stats_refresh(s, sp, vm, t_next_ms);
	}
	vm_host(s, sp, vm, dt_s);
}

void sim_vm_account(struct sim *s, size_t i, uint64_t dt_ms)
{
	struct sim_vm *vm = &s->vms[i];
	if (!vm->booted) {
		vm->loss = 0;
		return;
	}
	double need = vm->resident - vm->shared;
	double ws_in_guest = vm_max(vm->ws - vm->missing_guest, 0);
	double cold = vm_max(need - ws_in_guest, 0);
	double missing_host = vm_max(vm->host_swapped - cold, 0);
	double loss = 0;
	if (vm->in_oom)
		loss = 1;
	else if (vm->ws > 0)
		loss = vm_min(1.0, (vm->missing_guest + missing_host) / vm->ws);
	vm->loss = loss;
	vm->run_ms += dt_ms;
	vm->loss_ms += loss * (double)dt_ms;
	if (loss * MODEL_PERMYRIAD > s->cfg.slo_loss_permyriad) {
		vm->viol_ms += dt_ms;
		s->n_violating++;
	}
}
