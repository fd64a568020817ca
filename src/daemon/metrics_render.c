/*
 * The text exposition format (Prometheus 0.0.4) of a metrics_snapshot: one HELP and
 * one TYPE line per family, then its series. Pure: it reads only the snapshot, so a
 * unit test, a fuzzer or bench/metrics can feed it synthetic fleets.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/metrics.h"

const double metrics_hist_bounds[METRICS_HIST_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
							  0.05,	  0.1,	 0.25,	 0.5,	1,    2.5};

static const char *const refused_names[METRICS_REFUSED__COUNT] = {
    [METRICS_REFUSED_CTL_BAD_REQUEST] = "ctl_bad_request",
    [METRICS_REFUSED_CTL_UID] = "ctl_uid",
    [METRICS_REFUSED_CTL_SLOW_READER] = "ctl_slow_reader",
    [METRICS_REFUSED_GUEST_STATS] = "guest_stats_clamped",
    [METRICS_REFUSED_HTTP_CONNECTIONS] = "http_connections",
    [METRICS_REFUSED_HTTP_METHOD] = "http_method",
    [METRICS_REFUSED_HTTP_NOT_FOUND] = "http_not_found",
    [METRICS_REFUSED_HTTP_DROPPED] = "http_dropped",
};

const char *metrics_refused_name(enum metrics_refused r)
{
	return (unsigned)r < METRICS_REFUSED__COUNT ? refused_names[r] : "unknown";
}

void metrics_hist_observe(struct metrics_hist *h, double seconds)
{
	if (!(seconds >= 0)) /* NaN or negative: a clock step, not a duration */
		seconds = 0;
	size_t i = 0;
	while (i < METRICS_HIST_BUCKETS && seconds > metrics_hist_bounds[i])
		i++;
	h->counts[i]++;
	h->sum_s += seconds;
	h->count++;
}

void metrics_text_free(struct metrics_text *t)
{
	free(t->buf);
	*t = (struct metrics_text){0};
}

static int text_reserve(struct metrics_text *t, size_t more)
{
	if (t->len + more + 1 <= t->cap)
		return 0;
	size_t cap = t->cap ? t->cap : 4096;
	while (cap < t->len + more + 1)
		cap *= 2;
	char *b = realloc(t->buf, cap);
	if (!b)
		return -ENOMEM;
	t->buf = b;
	t->cap = cap;
	return 0;
}

static int text_add(struct metrics_text *t, const char *s, size_t n)
{
	if (text_reserve(t, n) < 0)
		return -ENOMEM;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
	return 0;
}

static int text_puts(struct metrics_text *t, const char *s)
{
	return text_add(t, s, strlen(s));
}

static int text_printf(struct metrics_text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int text_printf(struct metrics_text *t, const char *fmt, ...)
{
	for (int pass = 0; pass < 2; pass++) {
		va_list ap;
		va_start(ap, fmt);
		size_t room = t->cap > t->len ? t->cap - t->len : 0;
		int n = vsnprintf(room ? t->buf + t->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -EINVAL;
		if ((size_t)n < room) {
			t->len += (size_t)n;
			return 0;
		}
		if (text_reserve(t, (size_t)n) < 0)
			return -ENOMEM;
	}
	return -ENOMEM;
}

/* Length of the valid UTF-8 sequence at p (1..4), 0 when it is not one (RFC 3629:
 * no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	size_t n = c >= 0xC2 && c <= 0xDF   ? 2
		   : c >= 0xE0 && c <= 0xEF ? 3
		   : c >= 0xF0 && c <= 0xF4 ? 4
					    : 0;
	if (!n)
		return 0;
	unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
	unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return n;
}

int metrics_text_label_value(struct metrics_text *t, const char *v)
{
	/* Prometheus refuses a whole scrape over one label value that is not UTF-8: an
	 * each byte that starts no valid sequence becomes U+FFFD. */
	const char *run = v;
	for (const char *p = v; *p;) {
		size_t n = utf8_len((const unsigned char *)p);
		const char *esc = !n	       ? "\xEF\xBF\xBD"
				  : *p == '\\' ? "\\\\"
				  : *p == '"'  ? "\\\""
				  : *p == '\n' ? "\\n"
					       : NULL;
		if (!esc) {
			p += n;
			continue;
		}
		if (text_add(t, run, (size_t)(p - run)) < 0 || text_puts(t, esc) < 0)
			return -ENOMEM;
		p += n ? n : 1;
		run = p;
	}
	return text_puts(t, run);
}

static int family(struct metrics_text *t, const char *name, const char *type, const char *help)
{
	return text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* {domain="...",uuid="..."} */
static int vm_labels(struct metrics_text *t, const struct metrics_vm *v)
{
	if (text_puts(t, "{domain=\"") < 0 || metrics_text_label_value(t, v->name) < 0 ||
	    text_puts(t, "\",uuid=\"") < 0 || metrics_text_label_value(t, v->uuid) < 0)
		return -ENOMEM;
	return text_puts(t, "\"}");
}

/* Per-VM families: unsigned figures read through their offset in struct metrics_vm. */
struct vm_family {
	const char *name, *type, *help;
	size_t off;
};
#define VMF(n, t, f, h)                                                                            \
	{                                                                                          \
		n, t, h, offsetof(struct metrics_vm, f)                                            \
	}
static const struct vm_family vm_families[] = {
    VMF("blimp_vm_memsz_bytes", "gauge", memsz, "MEMSZ: memory the guest is configured with."),
    VMF("blimp_vm_consumed_bytes", "gauge", consumed,
	"CONSUMED: host memory backing the guest's RAM."),
    VMF("blimp_vm_overhead_bytes", "gauge", ovhd, "OVHD: QEMU's own memory beyond guest RAM."),
    VMF("blimp_vm_rss_bytes", "gauge", rss, "QEMU's whole resident set."),
    VMF("blimp_vm_mctlsz_bytes", "gauge", mctlsz,
	"MCTLSZ: memory the balloon holds now (MEMSZ - balloon actual)."),
    VMF("blimp_vm_mctltgt_bytes", "gauge", mctltgt,
	"MCTLTGT: memory the balloon should hold (MEMSZ - balloon target)."),
    VMF("blimp_vm_mctlmax_bytes", "gauge", mctlmax,
	"MCTLMAX: most the balloon may take from this VM."),
    VMF("blimp_vm_balloon_actual_bytes", "gauge", balloon_actual,
	"Memory the guest holds per its balloon driver."),
    VMF("blimp_vm_balloon_target_bytes", "gauge", balloon_target,
	"Memory blimp asks the guest to hold (balloon target)."),
    VMF("blimp_vm_shared_bytes", "gauge", shrd, "SHRD: guest memory shared by KSM."),
    VMF("blimp_vm_zero_bytes", "gauge", zero, "ZERO: zero pages among SHRD."),
    VMF("blimp_vm_swapped_bytes", "gauge", swcur, "SWCUR: guest memory in host swap."),
    VMF("blimp_vm_swap_target_bytes", "gauge", swtgt, "SWTGT: host swap target; 0 = none."),
    VMF("blimp_vm_zipped_bytes", "gauge", zip, "ZIP: guest memory compressed by zswap."),
    VMF("blimp_vm_active_bytes", "gauge", actv, "ACTV: active memory, max(ACTVS, ACTVF)."),
    VMF("blimp_vm_active_slow_bytes", "gauge", actvs, "ACTVS: slow moving active estimate."),
    VMF("blimp_vm_active_fast_bytes", "gauge", actvf, "ACTVF: fast moving active estimate."),
    VMF("blimp_vm_entitlement_bytes", "gauge", entitlement,
	"Memory the shares and the idle tax entitle this VM to."),
    VMF("blimp_vm_shares", "gauge", shares, "Memory shares of this VM."),
    VMF("blimp_vm_reservation_bytes", "gauge", reservation, "Reservation: memory never ballooned."),
    VMF("blimp_vm_limit_bytes", "gauge", limit, "Limit: most memory this VM may hold."),
    VMF("blimp_vm_maxmemctl_bytes", "gauge", maxmemctl, "The VM's maxmemctl setting."),
    VMF("blimp_vm_guest_total_bytes", "gauge", guest_total,
	"Guest's total memory (balloon stats)."),
    VMF("blimp_vm_guest_free_bytes", "gauge", guest_free, "Guest's free memory (balloon stats)."),
    VMF("blimp_vm_guest_available_bytes", "gauge", guest_available,
	"Guest's available memory (balloon stats)."),
    VMF("blimp_vm_guest_caches_bytes", "gauge", guest_caches,
	"Guest's page cache (balloon stats)."),
    VMF("blimp_vm_guest_swap_in_bytes_total", "counter", guest_swap_in,
	"Memory the guest swapped in (its own swap)."),
    VMF("blimp_vm_guest_swap_out_bytes_total", "counter", guest_swap_out,
	"Memory the guest swapped out (its own swap)."),
    VMF("blimp_vm_guest_major_faults_total", "counter", guest_major_faults,
	"Guest's major page faults."),
    VMF("blimp_vm_guest_minor_faults_total", "counter", guest_minor_faults,
	"Guest's minor page faults."),
};

static int render_vms(const struct metrics_snapshot *s, struct metrics_text *t)
{
	int r = 0;
	r |= family(t, "blimp_vm_info", "gauge", "One series per VM blimp knows, value 1.");
	for (size_t i = 0; i < s->n_vms; i++) {
		const struct metrics_vm *v = &s->vms[i];
		r |= text_puts(t, "blimp_vm_info{domain=\"");
		r |= metrics_text_label_value(t, v->name);
		r |= text_puts(t, "\",uuid=\"");
		r |= metrics_text_label_value(t, v->uuid);
		r |= text_printf(t, "\",managed=\"%s\"} 1\n", v->managed ? "true" : "false");
	}
	r |= family(t, "blimp_vm_running", "gauge", "1 while the VM runs.");
	for (size_t i = 0; i < s->n_vms; i++) {
		r |= text_puts(t, "blimp_vm_running");
		r |= vm_labels(t, &s->vms[i]);
		r |= text_printf(t, " %d\n", s->vms[i].running);
	}
	r |= family(t, "blimp_vm_balloon_active", "gauge",
		    "MCTL: 1 when the guest's balloon driver is working.");
	for (size_t i = 0; i < s->n_vms; i++) {
		r |= text_puts(t, "blimp_vm_balloon_active");
		r |= vm_labels(t, &s->vms[i]);
		r |= text_printf(t, " %d\n", s->vms[i].mctl);
	}
	for (size_t f = 0; f < sizeof(vm_families) / sizeof(vm_families[0]); f++) {
		const struct vm_family *vf = &vm_families[f];
		r |= family(t, vf->name, vf->type, vf->help);
		for (size_t i = 0; i < s->n_vms; i++) {
			uint64_t x;
			memcpy(&x, (const char *)&s->vms[i] + vf->off, sizeof(x));
			r |= text_puts(t, vf->name);
			r |= vm_labels(t, &s->vms[i]);
			r |= text_printf(t, " %" PRIu64 "\n", x);
		}
	}
	/* figures not measured yet have no sample rather than a made-up one */
	r |= family(t, "blimp_vm_active_host_bytes", "gauge",
		    "Active memory measured host-side (DAMON or referenced bits).");
	for (size_t i = 0; i < s->n_vms; i++) {
		if (s->vms[i].actv_host < 0)
			continue;
		r |= text_puts(t, "blimp_vm_active_host_bytes");
		r |= vm_labels(t, &s->vms[i]);
		r |= text_printf(t, " %" PRId64 "\n", s->vms[i].actv_host);
	}
	r |= family(t, "blimp_vm_stats_age_seconds", "gauge", "Age of the guest's balloon stats.");
	for (size_t i = 0; i < s->n_vms; i++) {
		if (s->vms[i].stats_age_ms < 0)
			continue;
		r |= text_puts(t, "blimp_vm_stats_age_seconds");
		r |= vm_labels(t, &s->vms[i]);
		r |= text_printf(t, " %.3f\n", (double)s->vms[i].stats_age_ms / 1000.0);
	}
	return r ? -ENOMEM : 0;
}

static int gauge_u(struct metrics_text *t, const char *name, const char *help, uint64_t x)
{
	return family(t, name, "gauge", help) | text_printf(t, "%s %" PRIu64 "\n", name, x);
}

static int render_host(const struct metrics_snapshot *s, struct metrics_text *t)
{
	const struct metrics_host *h = &s->host;
	int r = family(t, "blimp_host_state", "gauge",
		       "Host memory state (high, clear, soft, hard, low): 1 for the current one.");
	for (int st = 0; st < HOST_STATE__COUNT; st++)
		r |= text_printf(t, "blimp_host_state{state=\"%s\"} %d\n",
				 model_host_state_name((enum host_state)st),
				 h->state_known && h->state == (enum host_state)st);
	r |= gauge_u(t, "blimp_host_memory_total_bytes", "Host RAM.", h->mem_total);
	r |=
	    gauge_u(t, "blimp_host_memory_available_bytes", "Host MemAvailable.", h->mem_available);
	r |= gauge_u(t, "blimp_host_budget_bytes", "Memory budget for the VMs.", h->budget);
	r |= gauge_u(t, "blimp_host_free_bytes", "Free memory as the policy sees it.", h->free);
	r |= gauge_u(t, "blimp_host_minfree_bytes", "minFree: the high state's threshold.",
		     h->minfree);
	r |= gauge_u(t, "blimp_host_working_set_bytes",
		     "The VMs' working sets + OVHD, as the last plan saw them.", h->working_set);
	r |= gauge_u(t, "blimp_host_working_set_shortfall_bytes",
		     "How far the working sets exceed the budget + usable host swap (0: they fit).",
		     h->working_set_shortfall);
	r |=
	    gauge_u(t, "blimp_host_working_set_alarm",
		    "1 while the working-set alarm is on (10 s hysteresis).", h->working_set_alarm);
	r |= gauge_u(t, "blimp_host_swap_total_bytes", "Host swap.", h->swap_total);
	r |= gauge_u(t, "blimp_host_swap_free_bytes", "Free host swap.", h->swap_free);
	r |= family(t, "blimp_host_memory_pressure_ratio", "gauge",
		    "Memory PSI some avg10, as a ratio (0.05 = 5%).");
	r |= text_printf(t, "blimp_host_memory_pressure_ratio %.4f\n",
			 (double)h->psi_some_avg10_permyriad / 10000.0);
	r |= gauge_u(t, "blimp_host_ksm_run", "1 when blimp runs KSM.", h->ksm_run);
	r |= gauge_u(t, "blimp_host_ksm_pages_to_scan", "KSM pages_to_scan blimp set.",
		     h->ksm_pages_to_scan);
	r |= family(t, "blimp_host_ksm_sleep_seconds", "gauge", "KSM sleep between scans.");
	r |=
	    text_printf(t, "blimp_host_ksm_sleep_seconds %.3f\n", (double)h->ksm_sleep_ms / 1000.0);
	r |= gauge_u(t, "blimp_host_ksm_pages_sharing", "KSM pages_sharing.", h->ksm_pages_sharing);
	r |= gauge_u(t, "blimp_host_ksm_pages_shared", "KSM pages_shared.", h->ksm_pages_shared);
	r |= gauge_u(t, "blimp_host_shared_saved_bytes",
		     "SHRDSVD: host memory KSM saves (pages_sharing x page size).", h->shrdsvd);
	r |= gauge_u(t, "blimp_host_zswap_enabled", "1 when zswap is on.", h->zswap);
	r |= family(t, "blimp_host_overcommit_ratio", "gauge",
		    "Sum of running VMs' MEMSZ over the budget.");
	r |= text_printf(t, "blimp_host_overcommit_ratio %.4f\n",
			 (double)h->overcommit_permyriad / 10000.0);
	return r ? -ENOMEM : 0;
}

static int counter_u(struct metrics_text *t, const char *name, const char *help, uint64_t x)
{
	return family(t, name, "counter", help) | text_printf(t, "%s %" PRIu64 "\n", name, x);
}

static int render_daemon(const struct metrics_snapshot *s, struct metrics_text *t)
{
	const struct metrics_counters *c = &s->counters;
	int r = family(t, "blimp_balloon_moved_bytes_total", "counter",
		       "Memory moved by the balloon targets blimp set, by direction.");
	r |= text_printf(t, "blimp_balloon_moved_bytes_total{direction=\"inflate\"} %" PRIu64 "\n",
			 c->balloon_inflated);
	r |= text_printf(t, "blimp_balloon_moved_bytes_total{direction=\"deflate\"} %" PRIu64 "\n",
			 c->balloon_deflated);
	r |= counter_u(t, "blimp_host_swap_rescues_total",
		       "Host swap limits raised because the cgroup could not be squeezed.",
		       c->swap_rescues);
	r |= counter_u(t, "blimp_host_swap_limit_refused_total",
		       "Host swap limits held back (the cgroup could not go lower).",
		       c->swap_limit_refused);
	r |= counter_u(t, "blimp_host_swap_oom_kills_total", "OOM kills under a blimp limit.",
		       c->oom_kills);
	r |= family(t, "blimp_input_refused_total", "counter",
		    "Hostile or broken input refused or clamped, by source.");
	for (int i = 0; i < METRICS_REFUSED__COUNT; i++)
		r |= text_printf(t, "blimp_input_refused_total{source=\"%s\"} %" PRIu64 "\n",
				 metrics_refused_name((enum metrics_refused)i), c->refused[i]);
	r |= counter_u(t, "blimp_policy_passes_total", "Policy passes (plans made).",
		       c->policy_passes);
	r |= counter_u(t, "blimp_collections_total", "Collections (ticks that gathered figures).",
		       c->collections);
	r |= family(t, "blimp_collect_cpu_seconds_total", "counter",
		    "blimpd's main-thread CPU time spent collecting.");
	r |= text_printf(t, "blimp_collect_cpu_seconds_total %.6f\n",
			 (double)c->collect_cpu_us / 1e6);
	r |= family(t, "blimp_collect_duration_seconds", "histogram",
		    "Wall time of one collection (host + every VM).");
	uint64_t cum = 0;
	for (int i = 0; i < METRICS_HIST_BUCKETS; i++) {
		cum += s->collect.counts[i];
		r |=
		    text_printf(t, "blimp_collect_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
				metrics_hist_bounds[i], cum);
	}
	cum += s->collect.counts[METRICS_HIST_BUCKETS];
	r |=
	    text_printf(t, "blimp_collect_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", cum);
	r |= text_printf(t, "blimp_collect_duration_seconds_sum %.6f\n", s->collect.sum_s);
	r |= text_printf(t, "blimp_collect_duration_seconds_count %" PRIu64 "\n", s->collect.count);
	r |= counter_u(t, "blimp_ticks_late_total",
		       "Collection ticks that started late (see docs/metrics.md).", c->ticks_late);
	r |=
	    family(t, "blimp_tick_late_max_seconds", "gauge", "Largest tick lateness since start.");
	r |= text_printf(t, "blimp_tick_late_max_seconds %.3f\n",
			 (double)c->tick_late_max_ms / 1000.0);
	r |= counter_u(t, "blimp_metrics_scrapes_total", "Answers to GET /metrics.", c->scrapes);
	r |= gauge_u(t, "blimp_libvirt_connected", "1 while blimpd's libvirt connection is up.",
		     s->libvirt_connected);
	r |= family(t, "blimp_start_time_seconds", "gauge", "When blimpd started, unix time.");
	r |= text_printf(t, "blimp_start_time_seconds %.3f\n", s->start_time_s);
	return r ? -ENOMEM : 0;
}

int metrics_render(const struct metrics_snapshot *s, struct metrics_text *out)
{
	out->len = 0;
	if (text_reserve(out, 256 + s->n_vms * 4096) < 0)
		return -ENOMEM;
	out->buf[0] = '\0';
	if (render_host(s, out) < 0 || render_vms(s, out) < 0 || render_daemon(s, out) < 0)
		return -ENOMEM;
	return 0;
}
