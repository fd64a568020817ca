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
 * reporting and the host keeps the high-water mark) plus what is still unreported:
 * pages the guest freed at boot in blocks too small to report stay backed, free in
 * the guest, until its allocations reuse them (Linux puts reported pages at the tail
 * of the free lists, so the unreported ones are handed out first) or the balloon
 * takes them (bench/calibrate: the demo's guests hold ~70 MiB more at t=0 than after
 * their first burst), less what KSM merged, less what
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

/* The trace's working set at t_ms: the cached piece, the trace only when t leaves it. */
static double vm_trace_ws(struct sim *s, size_t i, struct sim_vm *vm, uint64_t t_ms)
{
	if (t_ms < vm->ws_seg.lo_ms || t_ms >= vm->ws_seg.hi_ms)
		sim_trace_seg_find(&s->fleet->vms[i].ws, t_ms, &s->vms_cold[i].cursor, &vm->ws_seg);
	return (double)sim_trace_seg_at(&vm->ws_seg, t_ms);
}

static void vm_guest(struct sim *s, size_t i, struct sim_vm *vm, uint64_t t_next_ms, double dt_s,
		     double dt_eff_s)
{
	double memsz = vm->memsz, idle = vm->idle_anon;
	/* what the guest allocated beyond idle_anon last step (for the unreported pages) */
	double alloc_before = (vm->in_oom ? 0 : vm->ws) + vm->cache;
	double ws = vm_trace_ws(s, i, vm, t_next_ms);
	vm->ws = vm_min(ws, memsz - idle);

	double swap = vm->guest_swap;
	if (vm->in_oom && t_next_ms >= vm->oom_until_ms)
		vm->in_oom = false; /* the workload restarts */
	double anon = idle + (vm->in_oom ? 0 : vm->ws);
	if (vm->balloon) {
		double step = vm->balloon_rate * dt_eff_s;
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
	if (anon - g > swap + 0.5 && vm->balloon && vm->deflate_on_oom && g < memsz) {
		/* The driver's OOM notifier deflates before the OOM killer runs: as much as
		 * the balloon can release this step. The guest stalls in reclaim meanwhile. */
		double want = vm_min(anon - swap - g, memsz - g);
		oom_deflated = vm_min(want, vm->balloon_rate * dt_s);
		vm->actual = g = g + oom_deflated;
		s->vms_cold[i].oom_deflated_bytes += oom_deflated;
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
	vm->cache = vm_min(vm->cache + vm->cache_rate * dt_s, vm_min(vm->cache_cap, room));
	/* Unreported pages are free memory the allocator hands out first (reported pages
	 * go to the tail of the free lists): growth takes them, and they can be no more
	 * than what anon, cache and the balloon leave free. */
	double grew = vm_max((vm->in_oom ? 0 : vm->ws) + vm->cache - alloc_before, 0);
	vm->unreported = vm_min(vm_max(vm->unreported - grew, 0), vm_max(room - vm->cache, 0));
}

/* Do the guest's stats refresh in the step ending at t_next_ms? *b: the refresh's
 * time, the last stats boundary (stats_phase + k x period) at or before t_next_ms.
 * t_next / period and t_next % period are worked out once per step (phase < period). */
static bool vm_stats_due(struct sim *s, const struct sim_vm *vm, uint64_t t_next_ms, uint64_t *b)
{
	if (t_next_ms < vm->stats_phase_ms)
		return false;
	if (!s->stats_for_valid || s->stats_for_ms != t_next_ms) {
		s->stats_q = t_next_ms / s->cfg.stats_period_ms;
		s->stats_r = t_next_ms % s->cfg.stats_period_ms;
		s->stats_for_ms = t_next_ms;
		s->stats_for_valid = true;
	}
	uint64_t k = s->stats_q - (vm->stats_phase_ms > s->stats_r ? 1 : 0);
	*b = vm->stats_phase_ms + k * s->cfg.stats_period_ms;
	return !(vm->stats_valid && *b <= vm->stats_at_ms);
}

static void vm_stats_now(const struct sim_vm *vm, struct sim_guest_stats *gs)
{
	double room = vm_max(vm->actual - vm->anon_res, 0);
	double freeb = vm_max(room - vm->cache, 0);
	/* Linux's virtio_balloon takes inflated pages out of MemTotal only without
	 * deflate-on-OOM; with it they stay inside as used memory. The kernel's own
	 * image and reserved memory are never in MemTotal. */
	double total = vm->deflate_on_oom ? vm->memsz : vm->actual;
	gs->total = (uint64_t)vm_max(total - vm->kernel, 0);
	gs->free = (uint64_t)freeb;
	gs->caches = (uint64_t)vm->cache;
	gs->avail = (uint64_t)(freeb + vm->cache);
	gs->swin = (uint64_t)vm->swap_in_bytes;
	gs->swout = (uint64_t)vm->swap_out_bytes;
	gs->majflt = (uint64_t)vm->major_faults;
	gs->ooms = vm->oom_kills;
}

void sim_vm_stats(const struct sim *s, size_t i, struct sim_guest_stats *gs)
{
	const struct sim_vm *vm = &s->vms[i];
	if (vm->stats_live)
		vm_stats_now(vm, gs);
	else
		*gs = s->vms_cold[i].stats;
}

static void vm_host(struct sim *s, struct sim_vm *vm, double dt_s)
{
	double memsz = vm->memsz;
	double used = vm->anon_res + vm->cache + vm->unreported;
	if (vm->balloon && vm->booted) {
		vm->resident = vm_min(used, vm->actual);
	} else {
		vm->touched = vm_max(vm->touched, used);
		vm->resident = vm_min(vm->touched, memsz);
	}
	double shareable = vm_min(
	    vm->resident, vm->shareable + vm->resident * vm->shareable_permyriad / MODEL_PERMYRIAD);
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
		tgt = vm_max(need + vm->ovhd - vm->cgroup_limit, 0);
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

void sim_vm_init(struct sim *s, size_t i, uint64_t stats_phase_ms)
{
	const struct sim_vm_spec *sp = &s->fleet->vms[i];
	struct sim_vm *vm = &s->vms[i];
	vm->stats_phase_ms = stats_phase_ms;
	vm->memsz = (double)sp->memsz_bytes;
	vm->ovhd = (double)sp->ovhd_bytes;
	vm->idle_anon = (double)sp->idle_anon_bytes;
	vm->guest_swap = (double)sp->guest_swap_bytes;
	vm->balloon_rate = (double)sp->balloon_bytes_per_s;
	vm->cache_rate = (double)sp->cache_bytes_per_s;
	vm->cache_cap = (double)sp->cache_cap_bytes;
	vm->cache_init = (double)sp->cache_init_bytes;
	vm->unreported = (double)sp->unreported_bytes;
	vm->kernel = (double)sp->kernel_bytes;
	vm->shareable = (double)sp->shareable_bytes;
	vm->shareable_permyriad = sp->shareable_permyriad;
	vm->start_ms = sp->start_ms;
	vm->boot_ms = sp->boot_ms;
	vm->balloon = sp->balloon;
	vm->deflate_on_oom = sp->deflate_on_oom;
	/* an empty piece: the first step looks the trace up */
	vm->ws_seg.lo_ms = vm->ws_seg.hi_ms = 0;
	vm->ws_seg.span_ms = 1;
}

/* The last step's accounting into the totals. */
static void vm_settle(const struct sim *s, const struct sim_vm *vm, uint64_t *run_ms,
		      uint64_t *viol_ms, double *loss_ms)
{
	uint64_t dt_ms = s->cfg.step_ms;
	*run_ms += dt_ms;
	*loss_ms += vm->loss * (double)dt_ms;
	if (vm->loss * MODEL_PERMYRIAD > s->cfg.slo_loss_permyriad)
		*viol_ms += dt_ms;
}

void sim_vm_totals(const struct sim *s, size_t i, uint64_t *run_ms, uint64_t *viol_ms,
		   double *loss_ms)
{
	const struct sim_vm *vm = &s->vms[i];
	*run_ms = vm->run_ms;
	*viol_ms = vm->viol_ms;
	*loss_ms = vm->loss_ms;
	if (vm->acct_pending)
		vm_settle(s, vm, run_ms, viol_ms, loss_ms);
}

void sim_vm_step(struct sim *s, size_t i, uint64_t t_next_ms, double dt_s, double dt_eff_s)
{
	struct sim_vm *vm = &s->vms[i];
	if (vm->acct_pending) {
		vm_settle(s, vm, &vm->run_ms, &vm->viol_ms, &vm->loss_ms);
		vm->acct_pending = false;
	}
	if (t_next_ms <= vm->start_ms)
		return;
	if (!vm->running) {
		vm->running = true;
		vm->actual = vm->target = vm->memsz;
		vm->cache = vm->cache_init;
	}
	uint64_t since = t_next_ms - vm->start_ms;
	if (since < vm->boot_ms) {
		vm->booted = false;
		vm->anon_res = vm->idle_anon * (double)since / (double)vm->boot_ms;
		/* A guest that filled its cache before the run holds it while it boots (here:
		 * until blimpd has its first stats). */
		vm->cache = vm_min(vm->cache_init, vm->memsz - vm->anon_res);
		vm->ws = 0;
		vm->missing_guest = 0;
	} else {
		vm->booted = true;
		uint64_t b = 0;
		bool due = vm->balloon && vm_stats_due(s, vm, t_next_ms, &b);
		if (vm->stats_live && !due) {
			/* the guest moves on, its stats stay as of the last refresh */
			vm_stats_now(vm, &s->vms_cold[i].stats);
			vm->stats_live = false;
		}
		vm_guest(s, i, vm, t_next_ms, dt_s, dt_eff_s);
		if (due) {
			vm->stats_valid = vm->stats_live = true;
			vm->stats_at_ms = b;
		}
	}
	vm_host(s, vm, dt_s);
}

void sim_vm_account(struct sim *s, size_t i)
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
	vm->acct_pending = true;
	if (loss * MODEL_PERMYRIAD > s->cfg.slo_loss_permyriad)
		s->n_violating++;
}
