/*
 * Active memory estimate per VM (ACTVF, ACTVS, ACTV) and guest distress.
 *
 * DESIGN: ACTV is what the guest touches, as ESX measures it: the host-side access
 * measurement (collect/access.h: DAMON, referenced bits or soft-dirty sampling of the
 * QEMU's guest RAM; the model's damon_* fields) is the sample wherever the host has
 * one. The guest's own in-use figure (MemTotal - MemAvailable, clamped: total to
 * MEMSZ, available to total) is allocated memory, not touched memory: an idle guest
 * holding what it once allocated, or a guest whose free memory sits in not-quite-free
 * caches, reads as active there, and the idle memory tax then taxes almost nothing
 * (issue 14: a throughput ratio of 0.97-1.05 where ESX's Fig. 7 shows +30%). So the
 * guest's figure is the sample only where the host measures nothing (access sampling
 * off or failed, a VM whose window has not ended yet), and an optional extra input
 * (actv_guest: the larger of both) elsewhere. It still sets the guest floor
 * (w->in_use_bytes, policy.c), unless floor_active says otherwise.
 *
 * A guest that major-faults or swaps in is short of memory whatever was touched, so
 * the interval's swap-in bytes and major faults (a page each) are added to the
 * sample. Two EWMAs (fast, slow); ACTV = max, so the estimate rises with the fast one
 * and falls with the slow one (ESX keeps a fast and a slow average and takes the
 * larger). Counter deltas use the guest's own sample times (now - stats age), so the
 * same stats read twice give no rate, and a counter that goes down (guest reboot) is
 * a new baseline, not a huge delta.
 *
 * The balloon's own pages: Linux's virtio_balloon takes inflated pages out of MemTotal
 * only when deflate-on-OOM is off. With it on (blimp starts every VM so), MemTotal stays
 * put and the balloon's pages count as used, so total - available would read the
 * balloon as guest demand and the guest floor would ratchet up as the balloon grows.
 * Which case applies is read from the guest itself: if MemTotal is closer to the
 * largest MemTotal seen than to that less the ballooned bytes, the balloon is inside
 * it and is taken out of in-use. (The host-side figure never counts the balloon: its
 * pages are given back to the host and are not resident.)
 */
#include "policy/internal.h"

/* Distress: sustained major faults or swap-in beyond what a healthy guest shows. A
 * guest reading files major-faults a little; one squeezed by the balloon faults in the
 * hundreds to thousands per second. */
#define POLICY_DISTRESS_MAJFLT_PER_S 64ULL
#define POLICY_DISTRESS_SWAPIN_BYTES_PER_S (256ULL * 1024ULL)

static uint64_t estimate_delta(uint64_t cur, uint64_t last)
{
	return cur >= last ? cur - last : 0; /* went down: counter reset */
}

static uint64_t estimate_ewma(uint64_t avg, uint64_t sample, uint32_t alpha_permyriad)
{
	if (sample >= avg)
		return avg + policy_permyriad_of(sample - avg, alpha_permyriad);
	return avg - policy_permyriad_of(avg - sample, alpha_permyriad);
}

/* In-use growth since the last fresh sample, projected POLICY_GROWTH_LOOKAHEAD_MS ahead;
 * 0 when slower than POLICY_GROWTH_MIN_PERMYRIAD_PER_S or when the balloon moved
 * between the samples (the stats and the balloon's actual are read at different times,
 * so in-use less the balloon jumps while it moves; a moving balloon is being steered
 * already). Capped at MEMSZ. */
static uint64_t estimate_growth(const struct policy_vm_state *vs, const struct vm_snapshot *v,
				uint64_t memsz, uint64_t in_use, uint64_t dt_ms)
{
	uint64_t still = policy_tol_bytes(memsz);
	uint64_t a = v->balloon_actual_bytes, b = vs->last_sample_actual_bytes;
	if ((a > b ? a - b : b - a) > still || in_use <= vs->last_in_use_bytes || dt_ms == 0)
		return 0;
	unsigned __int128 grew = in_use - vs->last_in_use_bytes;
	unsigned __int128 min =
	    (unsigned __int128)policy_permyriad_of(memsz, POLICY_GROWTH_MIN_PERMYRIAD_PER_S) *
	    dt_ms;
	if (grew * 1000 < min)
		return 0;
	unsigned __int128 proj = grew * POLICY_GROWTH_LOOKAHEAD_MS / dt_ms;
	return proj > memsz ? memsz : (uint64_t)proj;
}

bool policy_estimate_fresh(const struct policy_settings *s, const struct vm_snapshot *v)
{
	return v->running && v->mctl && v->stats_age_ms != MODEL_AGE_NEVER &&
	       v->stats_age_ms <= s->stale_after_ms && v->guest_total_bytes > 0 &&
	       v->memsz_bytes > 0;
}

void policy_estimate_update(const struct policy_settings *s, struct policy_vm_state *vs,
			    const struct vm_snapshot *v, uint64_t now_ms, struct policy_vm_work *w)
{
	uint64_t memsz = v->memsz_bytes;
	bool have_sample = false;
	uint64_t sample = 0;

	/* MEMSZ can shrink under a known uuid (VM redefined): ACTV never above MEMSZ */
	vs->actvf_bytes = policy_min_u64(vs->actvf_bytes, memsz);
	vs->actvs_bytes = policy_min_u64(vs->actvs_bytes, memsz);
	w->fresh = policy_estimate_fresh(s, v);
	w->distress = false;
	w->in_use_bytes = 0;
	w->growth_bytes = 0;
	w->new_sample = false;
	if (w->fresh) {
		uint64_t total = policy_min_u64(v->guest_total_bytes, memsz);
		uint64_t avail = policy_min_u64(v->guest_available_bytes, total);
		uint64_t in_use = total - avail;
		uint64_t ballooned = policy_sub_floor(memsz, v->balloon_actual_bytes);
		vs->guest_total_max_bytes = policy_max_u64(vs->guest_total_max_bytes, total);
		if (ballooned && total > policy_sub_floor(vs->guest_total_max_bytes, ballooned / 2))
			in_use = policy_sub_floor(in_use, ballooned);
		uint64_t at_ms = policy_sub_floor(now_ms, v->stats_age_ms);
		uint64_t boost = 0;
		if (vs->have_counters && at_ms > vs->counters_ms) {
			uint64_t dt_ms = at_ms - vs->counters_ms;
			uint64_t majflt =
			    estimate_delta(v->guest_major_faults, vs->last_major_faults);
			uint64_t swapin =
			    estimate_delta(v->guest_swap_in_bytes, vs->last_swap_in_bytes);
			uint64_t ooms = estimate_delta(v->guest_oom_kills, vs->last_oom_kills);
			unsigned __int128 thr_f =
			    (unsigned __int128)POLICY_DISTRESS_MAJFLT_PER_S * dt_ms;
			unsigned __int128 thr_s =
			    (unsigned __int128)POLICY_DISTRESS_SWAPIN_BYTES_PER_S * dt_ms;
			w->distress = (unsigned __int128)majflt * 1000 >= thr_f ||
				      (unsigned __int128)swapin * 1000 >= thr_s || ooms > 0;
			boost = policy_add_sat(swapin, majflt > UINT64_MAX / MODEL_PAGE_SIZE
							   ? UINT64_MAX
							   : majflt * MODEL_PAGE_SIZE);
			w->growth_bytes = estimate_growth(vs, v, memsz, in_use, dt_ms);
		}
		if (!vs->have_counters || at_ms > vs->counters_ms) {
			w->new_sample = true;
			vs->have_counters = true;
			vs->counters_ms = at_ms;
			vs->last_major_faults = v->guest_major_faults;
			vs->last_swap_in_bytes = v->guest_swap_in_bytes;
			vs->last_oom_kills = v->guest_oom_kills;
			vs->last_in_use_bytes = in_use;
			vs->last_sample_actual_bytes = v->balloon_actual_bytes;
		}
		w->in_use_bytes = in_use;
		sample = policy_min_u64(policy_add_sat(in_use, boost), memsz);
		have_sample = true;
		if (v->running && v->damon_valid) {
			uint64_t host = policy_min_u64(
			    policy_add_sat(policy_min_u64(v->damon_active_bytes, memsz), boost),
			    memsz);
			sample = s->actv_guest ? policy_max_u64(sample, host) : host;
		}
	} else if (v->running && v->damon_valid) {
		sample = policy_min_u64(v->damon_active_bytes, memsz);
		w->in_use_bytes = sample;
		have_sample = true;
	}
	w->sample_bytes = sample;
	if (!have_sample)
		return;
	/* The first host-side sample starts the averages afresh: until the host's first
	 * window ends (access_sample_s after the VM or blimpd started) the guest's in-use
	 * is the sample, and a slow average started there would keep an idle guest's
	 * allocation as ACTV for minutes. */
	bool host = v->running && v->damon_valid;
	if (!vs->have_actv || (host && !vs->actv_host)) {
		vs->actvf_bytes = sample;
		vs->actvs_bytes = sample;
		vs->have_actv = true;
		vs->actv_host = host;
		return;
	}
	vs->actv_host = host;
	vs->actvf_bytes = estimate_ewma(vs->actvf_bytes, sample, s->fast_alpha_permyriad);
	vs->actvs_bytes = estimate_ewma(vs->actvs_bytes, sample, s->slow_alpha_permyriad);
}

uint64_t policy_estimate_actv(const struct policy_vm_state *vs)
{
	return policy_max_u64(vs->actvf_bytes, vs->actvs_bytes);
}
