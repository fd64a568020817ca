/*
 * Policy settings: defaults, bounds, kind names. Every default has its reason in
 * docs/policy.md ("Settings").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"

static const char *const kind_names[POLICY__COUNT] = {"blimp", "static", "proxmox", "mom"};
_Static_assert(sizeof(kind_names) / sizeof(kind_names[0]) == POLICY__COUNT,
	       "policy kind names in step with the enum");

const char *policy_kind_name(enum policy_kind k)
{
	return (unsigned)k < POLICY__COUNT ? kind_names[k] : "?";
}

static const char *const ksm_kind_names[POLICY_KSM__COUNT] = {"blimp", "ksmtuned"};

const char *policy_ksm_kind_name(enum policy_ksm_kind k)
{
	return (unsigned)k < POLICY_KSM__COUNT ? ksm_kind_names[k] : "?";
}

int policy_kind_parse(const char *s, enum policy_kind *out)
{
	if (!s || !out)
		return -EINVAL;
	for (unsigned i = 0; i < POLICY__COUNT; i++) {
		if (strcmp(s, kind_names[i]) == 0) {
			*out = (enum policy_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

void policy_settings_default(struct policy_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->kind = POLICY_BLIMP;
	s->budget_bytes = 0;
	s->idle_tax_permyriad = 7500; /* ESX default Mem.IdleTax = 75% */
	s->balance_period_ms = 1000;  /* one plan per collection */
	s->stale_after_ms = 5000;     /* 5 missed 1 s stats periods */
	s->guest_margin_bytes = 64 * MODEL_MIB;
	s->guest_margin_permyriad = 500; /* 5% of MEMSZ */
	s->probe_scale_by_state = true;
	s->probe_step_permyriad = 100;	 /* 1% of MEMSZ per period (Senpai: 1% per step) */
	s->backoff_hold_ms = 30000;	 /* no shrink for 30 s after distress */
	s->fast_alpha_permyriad = 5000;	 /* ACTVF: half-life ~1 period */
	s->slow_alpha_permyriad = 100;	 /* ACTVS: time constant ~100 periods */
	s->host_swap = true;
	s->level_headroom = false; /* measured: no gain in bench/burst (docs/policy.md) */
	/* Without deflate-on-OOM the balloon shrinks the guest's MemTotal, Linux refuses any
	 * single mapping larger than MemTotal + swap, and nothing deflates before the OOM
	 * killer: what the guest keeps must hold a burst until blimp sees it. A Debian 12
	 * guest of 768 MiB (MemTotal 698 MiB) ballooned to 390 MiB could not map 400 MiB;
	 * kept at 65% (MemTotal ~430 MiB) it mapped them and was OOM-killed at 357 MiB
	 * resident, a second before blimp's grant. At 25% it keeps 576 MiB, a MemTotal of
	 * ~506 MiB (docs/policy.md). */
	s->nodeflate_maxmemctl_permyriad = 2500;
	/* KSM is the slow, long-term saving (ESX scans a VM's memory over hours); the
	 * balloon and host swap answer pressure. At 20 ms sleeps: 20 MiB/s of scanning in
	 * high (the kernel's default), 60 MiB/s in clear, 200 MiB/s in soft, 400 MiB/s
	 * in hard and low. ksmd's CPU competes with the guests' vCPUs (bench/policies
	 * measures it). */
	s->ksm_pages_to_scan[HOST_STATE_HIGH] = 100;
	s->ksm_pages_to_scan[HOST_STATE_CLEAR] = 300;
	s->ksm_pages_to_scan[HOST_STATE_SOFT] = 1000;
	s->ksm_pages_to_scan[HOST_STATE_HARD] = 2000;
	s->ksm_pages_to_scan[HOST_STATE_LOW] = 2000;
	s->ksm_sleep_ms = 20;
	s->ksm_policy = POLICY_KSM_BLIMP;
	s->proxmox_target_percent = 80; /* pvestatd's default ballooning-target */
}

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			if (err && errlen)                                                         \
				snprintf(err, errlen, __VA_ARGS__);                                \
			return -EINVAL;                                                            \
		}                                                                                  \
	} while (0)

int policy_settings_validate(const struct policy_settings *s, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	CHECK(s != NULL, "no settings");
	CHECK((unsigned)s->kind < POLICY__COUNT, "unknown policy kind %u", (unsigned)s->kind);
	CHECK(s->budget_bytes > 0, "budget must be > 0");
	CHECK(s->idle_tax_permyriad <= 9900, "idle tax %u permyriad out of 0..9900",
	      s->idle_tax_permyriad);
	CHECK(s->balance_period_ms >= 10 && s->balance_period_ms <= 3600000,
	      "balance period %u ms out of 10..3600000", s->balance_period_ms);
	CHECK(s->stale_after_ms >= 1 && s->stale_after_ms <= 86400000ULL,
	      "stale-after %llu ms out of 1..86400000", (unsigned long long)s->stale_after_ms);
	CHECK(s->guest_margin_bytes <= 1024ULL * MODEL_GIB, "guest margin above 1 TiB");
	CHECK(s->guest_margin_permyriad <= 5000, "guest margin %u permyriad out of 0..5000",
	      s->guest_margin_permyriad);
	CHECK(s->probe_step_permyriad >= 1 && s->probe_step_permyriad <= 5000,
	      "probe step %u permyriad out of 1..5000", s->probe_step_permyriad);
	CHECK(s->backoff_hold_ms <= 3600000, "backoff hold %u ms out of 0..3600000",
	      s->backoff_hold_ms);
	CHECK(s->fast_alpha_permyriad >= 1 && s->fast_alpha_permyriad <= 10000,
	      "fast alpha %u permyriad out of 1..10000", s->fast_alpha_permyriad);
	CHECK(s->slow_alpha_permyriad >= 1 && s->slow_alpha_permyriad <= 10000,
	      "slow alpha %u permyriad out of 1..10000", s->slow_alpha_permyriad);
	CHECK(s->slow_alpha_permyriad <= s->fast_alpha_permyriad,
	      "slow alpha %u above fast alpha %u", s->slow_alpha_permyriad,
	      s->fast_alpha_permyriad);
	CHECK(s->nodeflate_maxmemctl_permyriad <= MODEL_PERMYRIAD,
	      "nodeflate maxmemctl %u permyriad out of 0..10000", s->nodeflate_maxmemctl_permyriad);
	for (unsigned i = 0; i < HOST_STATE__COUNT; i++)
		CHECK(s->ksm_pages_to_scan[i] <= 100000,
		      "ksm pages to scan (%s) %u out of 0..100000",
		      model_host_state_name((enum host_state)i), s->ksm_pages_to_scan[i]);
	CHECK(s->ksm_sleep_ms >= 1 && s->ksm_sleep_ms <= 60000, "ksm sleep %u ms out of 1..60000",
	      s->ksm_sleep_ms);
	CHECK((unsigned)s->ksm_policy < POLICY_KSM__COUNT, "unknown ksm policy %u",
	      (unsigned)s->ksm_policy);
	CHECK(s->proxmox_target_percent <= 100, "proxmox ballooning target %u%% out of 0..100",
	      s->proxmox_target_percent);
	return 0;
}
