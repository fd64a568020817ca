/*
 * DESIGN: the collection tick, every collect_period_ms on the main loop:
 *   collect  host figures + one libvirt call for every domain's balloon stats + each
 *            QEMU's /proc figures, into the VM table's snapshots;
 *   decide   every balance_period_ms, policy_run over the running VMs (the policy
 *            state lives across ticks, so targets resume from balloon actual after a
 *            restart and stale data never shrinks a VM);
 *   act      only on differences from what was last applied: balloon targets that
 *            moved by >= 1 MiB, KSM settings; --dry-run logs instead.
 * A manual `balloon` target pins its VM until `balloon NAME --auto`.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "act/cgroup.h"
#include "act/ksm.h"
#include "act/originals.h"
#include "act/swap.h"
#include "daemon/daemon.h"
#include "daemon/history.h"
#include "util/event.h"
#include "util/log.h"
#include "util/size.h"
#include "virt/dom.h"
#include "virt/loop.h"

#define APPLY_MIN_DELTA_BYTES MODEL_MIB /* smaller balloon moves are noise */

static struct act_ksm *tick_ksm;
static struct act_cgroup *tick_cgroup;
static bool tick_cgroup_failed;
static bool tick_cgroup_pass; /* a pass of limits began: tell act/cgroup before the first */
static struct act_swap *tick_swap;
static bool tick_swap_tried;

/* Host swap file, once, when the settings ask for one. */
static void act_swap_once(struct blimpd *d)
{
	if (tick_swap_tried || !d->cfg.swapfile_bytes)
		return;
	tick_swap_tried = true;
	struct act_swap_opts o = {.path = d->cfg.swapfile_path,
				  .size_bytes = d->cfg.swapfile_bytes,
				  .priority = -1,
				  .zswap = d->cfg.zswap,
				  .sysfs_root = "/sys",
				  .proc_root = "/proc",
				  .dry_run = d->cfg.dry_run,
				  .originals = d->originals};
	int err = 0;
	tick_swap = act_swap_new(&o, &err);
	if (!tick_swap) {
		log_warn("act", "host swap: %s", strerror(-err));
		return;
	}
	char msg[512] = "";
	if (act_swap_enable(tick_swap, msg, sizeof(msg)) < 0)
		log_warn("act", "host swap: %s", msg);
	else if (msg[0])
		log_info("act", "host swap: %s", msg);
}

/* Host memory limit of one VM's cgroup (the plan's SWTGT made concrete). */
static void act_cgroup_vm(struct blimpd *d, struct daemon_vm *v, uint64_t limit_bytes)
{
	if (!d->cfg.manage_cgroups || v->pid <= 0 || tick_cgroup_failed)
		return;
	if (!tick_cgroup) {
		struct act_cgroup_opts o = {.proc_root = "/proc",
					    .dry_run = d->cfg.dry_run,
					    .watch_period_ms = ACT_CGROUP_WATCH_MS,
					    .originals = d->originals};
		int err = 0;
		tick_cgroup = act_cgroup_new(&o, &err);
		if (!tick_cgroup) {
			log_warn("act", "no memory cgroup (%s): host swap limits off",
				 strerror(-err));
			tick_cgroup_failed = true;
			return;
		}
	}
	if (tick_cgroup_pass) {
		act_cgroup_pass_begin(tick_cgroup); /* one step of reclaim per pass, fleet-wide */
		tick_cgroup_pass = false;
	}
	char msg[1024] = "";
	struct act_cgroup_safety s0, s1;
	act_cgroup_safety_get(tick_cgroup, &s0);
	int r = act_cgroup_apply(tick_cgroup, v->name, v->pid, limit_bytes, msg, sizeof(msg));
	act_cgroup_safety_get(tick_cgroup, &s1);
	if (s1.rescues != s0.rescues || s1.oom_kills != s0.oom_kills || s1.refused != s0.refused)
		/* A limit met a cgroup it could not squeeze: raised (rescue), held (refused),
		 * or worse (kill). Totals since start, so a repeat shows in one line. */
		act_cgroup_safety_events(v->name, "apply", msg, &s0, &s1);
	else if (r < 0 && r != -EBUSY)
		log_warn("act", "%s: cgroup limit: %s", v->name, msg[0] ? msg : strerror(-r));
	else if (msg[0])
		log_info("act", "%s: %s%s", v->name, msg, d->cfg.dry_run ? " [dry-run]" : "");
}

void daemon_swap_safety(uint64_t *rescues, uint64_t *refused, uint64_t *oom_kills)
{
	struct act_cgroup_safety cs = {0};
	if (tick_cgroup)
		act_cgroup_safety_get(tick_cgroup, &cs);
	*rescues = cs.rescues;
	*refused = cs.refused;
	*oom_kills = cs.oom_kills;
}

void daemon_release_vm(struct blimpd *d, const char *name)
{
	(void)d;
	if (!tick_cgroup)
		return;
	char msg[512] = "";
	if (act_cgroup_release(tick_cgroup, name, msg, sizeof(msg)) < 0)
		log_warn("act", "%s: cgroup release: %s", name, msg);
	else if (msg[0])
		log_info("act", "%s: %s", name, msg);
}

static uint64_t cpu_us(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int daemon_apply_balloon(struct blimpd *d, struct daemon_vm *v, uint64_t target_bytes,
			 const char *reason, char *err, size_t errlen)
{
	char a[32], b[32];
	uint64_t from = v->applied_target_bytes ? v->applied_target_bytes : v->current_bytes;
	if (d->cfg.dry_run) {
		log_info("act", "%s: balloon target %s -> %s (%s) [dry-run]", v->name,
			 size_format(from, a, sizeof(a)), size_format(target_bytes, b, sizeof(b)),
			 reason);
		v->applied_target_bytes = target_bytes;
		return 0;
	}
	int r = virt_dom_set_balloon(&d->conn, v->uuid, target_bytes, err, errlen);
	if (r < 0) {
		log_warn("act", "%s: balloon target %s failed: %s", v->name,
			 size_format(target_bytes, b, sizeof(b)), err);
		return r;
	}
	log_info("act", "%s: balloon target %s -> %s (%s)", v->name,
		 size_format(from, a, sizeof(a)), size_format(target_bytes, b, sizeof(b)), reason);
	/* a smaller target inflates the balloon */
	if (target_bytes < from)
		d->balloon_inflated_bytes += from - target_bytes;
	else
		d->balloon_deflated_bytes += target_bytes - from;
	v->applied_target_bytes = target_bytes;
	v->current_bytes = target_bytes;
	return 0;
}

static void act_plan(struct blimpd *d, const struct plan *plan, struct daemon_vm **idx, size_t n)
{
	char err[256], a[32];
	for (size_t i = 0; i < n; i++) {
		struct daemon_vm *v = idx[i];
		const struct vm_plan *p = &plan->vms[i];
		v->plan = *p;
		v->have_plan = true;
		uint64_t target = p->target_bytes;
		const char *reason = model_plan_reason_name(p->reason);
		if (v->manual_target_bytes) {
			target = v->manual_target_bytes;
			reason = "manual";
			v->plan.target_bytes = target;
			v->plan.mctltgt_bytes = v->memsz_bytes - target;
		}
		if (!target)
			continue;
		uint64_t cur = v->applied_target_bytes ? v->applied_target_bytes : v->current_bytes;
		uint64_t delta = target > cur ? target - cur : cur - target;
		if (delta < APPLY_MIN_DELTA_BYTES)
			continue;
		if (daemon_apply_balloon(d, v, target, reason, err, sizeof(err)) < 0)
			log_warn("act", "%s: could not move the balloon to %s", v->name,
				 size_format(target, a, sizeof(a)));
	}
	tick_cgroup_pass = true;
	for (size_t i = 0; i < n; i++)
		act_cgroup_vm(d, idx[i], plan->vms[i].cgroup_limit_bytes);
	d->host_plan = plan->host;
	d->have_host_plan = true;
	if (d->cfg.manage_ksm) {
		if (!tick_ksm && (tick_ksm = act_ksm_new("/sys", d->cfg.dry_run)))
			act_ksm_use_originals(tick_ksm, d->originals);
		if (tick_ksm && act_ksm_present(tick_ksm)) {
			char msg[512] = "";
			int r = act_ksm_apply(tick_ksm, plan->host.ksm_run,
					      plan->host.ksm_pages_to_scan, plan->host.ksm_sleep_ms,
					      msg, sizeof(msg));
			if (r < 0)
				log_warn("act", "KSM: %s", msg);
			else if (msg[0])
				log_info("act", "KSM (%s): %s%s",
					 model_host_state_name(plan->host.state), msg,
					 d->cfg.dry_run ? " [dry-run]" : "");
		}
	}
}

/* The host's ESX state changed: one event (docs/daemon.md, Events), louder the lower
 * it goes. */
static void event_host_state(const struct blimpd *d, const struct host_plan *to)
{
	char fr[24], mf[24], bu[24], a[32], b[32];
	snprintf(fr, sizeof(fr), "%" PRIu64, to->free_bytes);
	snprintf(mf, sizeof(mf), "%" PRIu64, to->minfree_bytes);
	snprintf(bu, sizeof(bu), "%" PRIu64, d->cfg.policy.budget_bytes);
	enum event_prio prio = to->state >= HOST_STATE_HARD   ? EVENT_WARNING
			       : to->state == HOST_STATE_SOFT ? EVENT_NOTICE
							      : EVENT_INFO;
	event_emit(prio, "host_state", "from",
		   d->have_host_plan ? model_host_state_name(d->host_plan.state) : "unknown", "to",
		   model_host_state_name(to->state), "free_bytes", fr, "minfree_bytes", mf,
		   "budget_bytes", bu, "free", size_format(to->free_bytes, a, sizeof(a)), "minfree",
		   size_format(to->minfree_bytes, b, sizeof(b)), NULL);
}

/* The "working sets exceed the budget" alarm: one event when it starts, one when it
 * ends (wsalarm.h); status and top show it meanwhile. */
static void balance_wsalarm(struct blimpd *d, const struct host_plan *hp, uint64_t now_ms)
{
	char a[32], b[32], c[32], msg[256], n1[24], n2[24], n3[24];
	switch (daemon_wsalarm_step(&d->wsalarm, hp->working_set_shortfall_bytes, now_ms)) {
	case DAEMON_WSALARM_START: {
		const char *why =
		    d->cfg.policy.host_swap
			? (d->host.swap_total_bytes ? "too little host swap" : "no host swap")
			: "host_swap off";
		snprintf(msg, sizeof(msg),
			 "working sets exceed the budget: %s missing (working sets + OVHD %s, "
			 "budget %s, %s); the VMs stay over budget or the guests swap and OOM "
			 "until one stops or host swap is added (docs/daemon.md)",
			 size_format(hp->working_set_shortfall_bytes, a, sizeof(a)),
			 size_format(hp->working_set_bytes, b, sizeof(b)),
			 size_format(hp->budget_bytes, c, sizeof(c)), why);
		snprintf(n1, sizeof(n1), "%" PRIu64, hp->working_set_shortfall_bytes);
		snprintf(n2, sizeof(n2), "%" PRIu64, hp->working_set_bytes);
		snprintf(n3, sizeof(n3), "%" PRIu64, hp->budget_bytes);
		event_emit(EVENT_WARNING, "working_set_alarm", "alarm", "on", "missing_bytes", n1,
			   "working_set_bytes", n2, "budget_bytes", n3, "why", why, "message", msg,
			   NULL);
		break;
	}
	case DAEMON_WSALARM_END:
		snprintf(msg, sizeof(msg),
			 "working sets fit the budget again after %llu s (at most %s was missing)",
			 (unsigned long long)((now_ms - d->wsalarm.since_ms) / 1000),
			 size_format(d->wsalarm.peak_bytes, a, sizeof(a)));
		snprintf(n1, sizeof(n1), "%" PRIu64, d->wsalarm.peak_bytes);
		event_emit(EVENT_NOTICE, "working_set_alarm", "alarm", "off", "peak_missing_bytes",
			   n1, "message", msg, NULL);
		break;
	case DAEMON_WSALARM_NONE:
		break;
	}
}

static void balance(struct blimpd *d, uint64_t now_ms)
{
	size_t n = 0;
	struct daemon_vm **idx = calloc(d->n_vms + 1, sizeof(*idx));
	struct vm_snapshot *vs = calloc(d->n_vms + 1, sizeof(*vs));
	struct vm_plan *vp = calloc(d->n_vms + 1, sizeof(*vp));
	if (!idx || !vs || !vp)
		goto out;
	for (size_t i = 0; i < d->n_vms; i++) {
		if (!d->vms[i].active || !d->vms[i].snap.running)
			continue;
		idx[n] = &d->vms[i];
		vs[n++] = d->vms[i].snap;
	}
	struct snapshot snap = {.taken_ms = now_ms, .host = d->host, .n_vms = n, .vms = vs};
	struct plan plan = {.n_vms = n, .vms = vp};
	int r = policy_run(&d->cfg.policy, d->pstate, &snap, now_ms, &plan);
	if (r < 0) {
		log_err("policy", "policy_run failed: %s", strerror(-r));
		goto out;
	}
	d->policy_passes++;
	if (!d->have_host_plan || d->host_plan.state != plan.host.state)
		event_host_state(d, &plan.host);
	balance_wsalarm(d, &plan.host, now_ms);
	act_plan(d, &plan, idx, n);
out:
	free(idx);
	free(vs);
	free(vp);
}

/* How late this tick started against its due time (the loop's timer keeps the same
 * schedule: due += period, restarting from now after a stall). */
static void tick_lateness(struct blimpd *d, uint64_t now)
{
	uint64_t period = d->cfg.collect_period_ms;
	d->ticks++;
	if (d->tick_due_ms && now > d->tick_due_ms) {
		uint64_t late = now - d->tick_due_ms;
		if (late > d->tick_late_max_ms)
			d->tick_late_max_ms = late;
		if (late >= DAEMON_TICK_LATE_MS)
			d->ticks_late++;
		if (late > period)
			d->ticks_late_period++;
	}
	d->tick_due_ms = (d->tick_due_ms ? d->tick_due_ms : now) + period;
	if (d->tick_due_ms <= now)
		d->tick_due_ms = now + period;
}

void daemon_tick(void *opaque)
{
	struct blimpd *d = opaque;
	uint64_t now = virt_loop_now_ms();
	tick_lateness(d, now);
	if (!d->conn_ok) {
		/* no collection, but /metrics shows the lost connection (and the counters) */
		if (now < d->conn_retry_ms) {
			daemon_metrics_update(d);
			return;
		}
		d->conn_retry_ms = now + DAEMON_RECONNECT_MS;
		if (virt_conn_reopen(&d->conn) == 0) {
			log_info("virt", "reconnected to %s", d->conn.uri);
			d->conn_ok = true;
			if (daemon_vms_sync(d) < 0)
				log_warn("vm", "sync after reconnect failed");
		} else {
			daemon_metrics_update(d);
			return;
		}
	}
	act_swap_once(d);
	uint64_t cpu0 = cpu_us(CLOCK_THREAD_CPUTIME_ID);
	uint64_t pcpu0 = cpu_us(CLOCK_PROCESS_CPUTIME_ID);
	uint64_t wall0 = cpu_us(CLOCK_MONOTONIC);
	if (daemon_gather_host(&d->host) < 0)
		log_debug("collect", "host figures incomplete");
	daemon_gather_vms(d);
	metrics_hist_observe(&d->collect_hist, (double)(cpu_us(CLOCK_MONOTONIC) - wall0) / 1e6);
	d->collect_cpu_us = cpu_us(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	d->collect_cpu_process_us = cpu_us(CLOCK_PROCESS_CPUTIME_ID) - pcpu0;
	d->collect_count++;
	d->collect_cpu_total_us += d->collect_cpu_us;
	d->collect_cpu_process_total_us += d->collect_cpu_process_us;
	d->last_collect_ms = now;
	if (now - d->last_balance_ms >= d->cfg.policy.balance_period_ms || !d->last_balance_ms) {
		d->last_balance_ms = now;
		balance(d, now);
	}
	daemon_history_record(d, now);
	daemon_metrics_update(d);
}

/* One restore step's outcome in the log. */
static void restore_log(const char *what, int r, const char *msg)
{
	if (r < 0)
		log_warn("act", "%s restore: %s", what, msg[0] ? msg : strerror(-r));
	else if (msg[0])
		log_info("act", "%s restored: %s", what, msg);
}

void daemon_restore_host(struct blimpd *d)
{
	char msg[1024] = "";
	if (tick_cgroup) {
		restore_log("cgroup", act_cgroup_restore(tick_cgroup, msg, sizeof(msg)), msg);
		act_cgroup_free(tick_cgroup);
		tick_cgroup = NULL;
	}
	if (tick_swap) {
		restore_log("host swap", act_swap_restore(tick_swap, msg, sizeof(msg)), msg);
		act_swap_free(tick_swap);
		tick_swap = NULL;
	}
	if (tick_ksm) {
		restore_log("KSM", act_ksm_restore(tick_ksm, msg, sizeof(msg)), msg);
		act_ksm_free(tick_ksm);
		tick_ksm = NULL;
	}
	if (d->originals) {
		/* what a blimpd that died changed and this one never touched */
		msg[0] = '\0';
		restore_log("host originals", act_originals_finish(d->originals, msg, sizeof(msg)),
			    msg);
		act_originals_free(d->originals);
		d->originals = NULL;
	}
}
