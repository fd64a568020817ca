/*
 * The daemon's side of the Prometheus endpoint: after each collection, fill a
 * metrics_snapshot from the same fields `stats` (daemon_vm_json) and `status`
 * (daemon_host_json, counters) read, render it, and publish the text to the HTTP
 * thread. All of it runs on the main thread; the HTTP thread only gets bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/daemon.h"
#include "util/log.h"

static struct metrics_vm *fill_vms;
static size_t fill_cap;
static struct metrics_text fill_text;
static double fill_start_s;

static void fill_vm(const struct blimpd *d, const struct daemon_vm *v, struct metrics_vm *m)
{
	const struct vm_snapshot *s = &v->snap;
	const struct vm_plan *p = &v->plan;
	uint64_t memsz = v->memsz_bytes, actual, target;
	daemon_vm_balloon(v, &actual, &target);
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", v->name);
	snprintf(m->uuid, sizeof(m->uuid), "%s", v->uuid);
	m->running = v->active;
	m->managed = v->managed;
	m->mctl = s->mctl;
	m->memsz = memsz;
	m->consumed = s->consumed_bytes;
	m->ovhd = s->ovhd_bytes;
	m->rss = v->rss_bytes;
	m->mctlsz = memsz > actual ? memsz - actual : 0;
	m->mctltgt = memsz > target ? memsz - target : 0;
	m->mctlmax = daemon_vm_mctlmax(d, v);
	m->shrd = s->shared_bytes;
	m->zero = s->zero_bytes;
	m->swcur = s->swapped_bytes;
	m->swtgt = p->swtgt_bytes;
	m->zip = s->zipped_bytes;
	m->actv = p->actv_bytes;
	m->actvs = p->actvs_bytes;
	m->actvf = p->actvf_bytes;
	m->actv_host = v->access.valid ? (int64_t)v->access.active_bytes : -1;
	m->balloon_actual = actual;
	m->balloon_target = target;
	m->shares = model_vm_shares(&v->settings, memsz);
	m->reservation = v->settings.reservation_bytes;
	m->limit = model_vm_limit(&v->settings, memsz);
	m->maxmemctl = model_vm_maxmemctl(&v->settings, memsz);
	m->entitlement = p->entitlement_bytes;
	m->stats_age_ms = s->stats_age_ms == MODEL_AGE_NEVER ? -1 : (int64_t)s->stats_age_ms;
	m->guest_total = s->guest_total_bytes;
	m->guest_free = s->guest_free_bytes;
	m->guest_available = s->guest_available_bytes;
	m->guest_caches = s->guest_caches_bytes;
	m->guest_swap_in = s->guest_swap_in_bytes;
	m->guest_swap_out = s->guest_swap_out_bytes;
	m->guest_major_faults = s->guest_major_faults;
	m->guest_minor_faults = s->guest_minor_faults;
}

void daemon_metrics_fill(const struct blimpd *d, struct metrics_vm *vms, struct metrics_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->start_time_s = fill_start_s;
	s->libvirt_connected = d->conn_ok;
	const struct host_snapshot *h = &d->host;
	const struct host_plan *p = &d->host_plan;
	struct metrics_host *mh = &s->host;
	uint64_t sum_memsz = 0;
	for (size_t i = 0; i < d->n_vms; i++) {
		if (d->vms[i].active)
			sum_memsz += d->vms[i].memsz_bytes;
		fill_vm(d, &d->vms[i], &vms[i]);
	}
	s->vms = vms;
	s->n_vms = d->n_vms;
	mh->state_known = d->have_host_plan;
	mh->state = p->state;
	mh->mem_total = h->mem_total_bytes;
	mh->mem_available = h->mem_available_bytes;
	mh->budget = d->cfg.policy.budget_bytes;
	mh->free = p->free_bytes;
	mh->minfree = p->minfree_bytes;
	mh->working_set = p->working_set_bytes;
	mh->working_set_shortfall = p->working_set_shortfall_bytes;
	mh->working_set_alarm = d->wsalarm.active;
	mh->swap_total = h->swap_total_bytes;
	mh->swap_free = h->swap_free_bytes;
	mh->psi_some_avg10_permyriad = h->psi_some_avg10_permyriad;
	mh->ksm_run = p->ksm_run;
	mh->ksm_pages_to_scan = p->ksm_pages_to_scan;
	mh->ksm_sleep_ms = p->ksm_sleep_ms;
	mh->ksm_pages_sharing = h->ksm_pages_sharing;
	mh->ksm_pages_shared = h->ksm_pages_shared;
	mh->shrdsvd = daemon_shrdsvd_bytes(h);
	mh->zswap = h->zswap_enabled;
	mh->overcommit_permyriad = mh->budget ? sum_memsz * 10000 / mh->budget : 0;

	struct metrics_counters *c = &s->counters;
	c->balloon_inflated = d->balloon_inflated_bytes;
	c->balloon_deflated = d->balloon_deflated_bytes;
	daemon_swap_safety(d, &c->swap_rescues, &c->swap_limit_refused, &c->oom_kills);
	c->refused[METRICS_REFUSED_CTL_BAD_REQUEST] = d->ctl_bad_requests;
	c->refused[METRICS_REFUSED_CTL_UID] = d->ctl_refused;
	c->refused[METRICS_REFUSED_CTL_SLOW_READER] = d->ctl_dropped;
	c->refused[METRICS_REFUSED_GUEST_STATS] = d->guest_stats_clamped;
	metrics_http_counters(c);
	c->policy_passes = d->policy_passes;
	c->collections = d->collect_count;
	c->collect_cpu_us = d->collect_cpu_total_us;
	c->ticks_late = d->ticks_late;
	c->tick_late_max_ms = d->tick_late_max_ms;
	s->collect = d->collect_hist;
}

int daemon_metrics_start(struct blimpd *d, char *err, size_t errlen)
{
	if (!d->cfg.metrics_listen[0])
		return 0;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	fill_start_s = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	return metrics_http_start(d->cfg.metrics_listen, err, errlen);
}

void daemon_metrics_update(struct blimpd *d)
{
	if (!metrics_http_running())
		return;
	if (d->n_vms > fill_cap) {
		struct metrics_vm *n = realloc(fill_vms, d->n_vms * sizeof(*n));
		if (!n) {
			log_warn("metrics", "out of memory: /metrics keeps the previous figures");
			return;
		}
		fill_vms = n;
		fill_cap = d->n_vms;
	}
	struct metrics_snapshot s;
	daemon_metrics_fill(d, fill_vms, &s);
	if (metrics_render(&s, &fill_text) < 0) {
		log_warn("metrics", "out of memory: /metrics keeps the previous figures");
		return;
	}
	metrics_http_publish(&fill_text);
}

void daemon_metrics_stop(void)
{
	metrics_http_stop();
	metrics_text_free(&fill_text);
	free(fill_vms);
	fill_vms = NULL;
	fill_cap = 0;
}
