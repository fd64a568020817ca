/*
 * KSM: blimp's table (scan rate from settings.ksm_pages_to_scan[state]; 0 = off), or
 * ksmtuned's rule (ksm_policy = ksmtuned), for the baselines as their users run them.
 *
 * DESIGN (ksmtuned, Debian's ksmtuned 4.20150326 /usr/sbin/ksmtuned; docs/policy.md
 * cites the lines): every 60 s (KSM_MONITOR_INTERVAL, after a first sleep),
 *   thres = max(total x 20%, 2048 KiB)            (KSM_THRES_COEF, KSM_THRES_CONST)
 *   committed + thres < total and free > thres:  KSM stopped
 *   else npages += 300 if free < thres, else -50  (KSM_NPAGES_BOOST, _DECAY)
 *        clamped to 64..1250 (KSM_NPAGES_MIN, _MAX), KSM run with npages
 *   sleep_millisecs = max(10, 10 x 16 GiB / total) (KSM_SLEEP_MSEC for a 16 GiB host)
 * Between adjustments KSM stays as last set. Mapping: total = budget, committed
 * (qemu RSS) = sum(CONSUMED + OVHD), free = budget - committed.
 */
#include "policy/internal.h"

static void policy_ksm_table(const struct policy_settings *s, enum host_state hs,
			     struct host_plan *hp)
{
	uint32_t pages = (unsigned)hs < HOST_STATE__COUNT ? s->ksm_pages_to_scan[hs] : 0;
	hp->ksm_run = pages != 0;
	hp->ksm_pages_to_scan = pages;
	hp->ksm_sleep_ms = s->ksm_sleep_ms;
}

static void policy_ksmtuned_adjust(const struct policy_settings *s, struct policy_state *st,
				   uint64_t used_bytes)
{
	uint64_t total = s->budget_bytes;
	uint64_t thres =
	    policy_max_u64(policy_permyriad_of(total, POLICY_KSMTUNED_THRES_PERCENT * 100),
			   POLICY_KSMTUNED_THRES_CONST_BYTES);
	uint64_t free_b = policy_sub_floor(total, used_bytes);
	uint64_t total_kib = total / 1024 ? total / 1024 : 1;
	uint64_t sleep = 10ULL * 16 * 1024 * 1024 / total_kib;
	st->ksmtuned_sleep_ms = sleep <= 10 ? 10 : (uint32_t)policy_min_u64(sleep, 60000);
	if (policy_add_sat(used_bytes, thres) < total && free_b > thres) {
		st->ksmtuned_run = false;
		return;
	}
	int64_t np = (int64_t)st->ksmtuned_npages +
		     (free_b < thres ? POLICY_KSMTUNED_BOOST : POLICY_KSMTUNED_DECAY);
	if (np < POLICY_KSMTUNED_NPAGES_MIN)
		np = POLICY_KSMTUNED_NPAGES_MIN;
	else if (np > POLICY_KSMTUNED_NPAGES_MAX)
		np = POLICY_KSMTUNED_NPAGES_MAX;
	st->ksmtuned_npages = (uint32_t)np;
	st->ksmtuned_run = true;
}

void policy_ksm_plan(const struct policy_settings *s, struct policy_state *st, uint64_t used_bytes,
		     uint64_t now_ms, struct host_plan *hp)
{
	if (s->ksm_policy != POLICY_KSM_KSMTUNED) {
		policy_ksm_table(s, hp->state, hp);
		return;
	}
	if (!st->ksmtuned_started) { /* ksmtuned sleeps an interval before its first adjust */
		st->ksmtuned_started = true;
		st->ksmtuned_last_ms = now_ms;
		st->ksmtuned_npages = 0;
		st->ksmtuned_run = false;
		st->ksmtuned_sleep_ms = 0;
	} else if (now_ms >= st->ksmtuned_last_ms &&
		   now_ms - st->ksmtuned_last_ms >= POLICY_KSMTUNED_INTERVAL_MS) {
		st->ksmtuned_last_ms = now_ms;
		policy_ksmtuned_adjust(s, st, used_bytes);
	}
	hp->ksm_run = st->ksmtuned_run;
	hp->ksm_pages_to_scan = st->ksmtuned_run ? st->ksmtuned_npages : 0;
	hp->ksm_sleep_ms = st->ksmtuned_run ? st->ksmtuned_sleep_ms : 0;
}
