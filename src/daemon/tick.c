/*
 * DESIGN: the collection tick, every collect_period_ms on the main loop:
 *   gather   host figures + one libvirt call for every domain's balloon stats + each
 *            QEMU's /proc figures, into the VM table's snapshots (gather.c); at a
 *            pass, what is in force for each VM too (balloon target, pin, cgroup
 *            limit, usage and rescues: d->ops->observe);
 *   decide   every balance_period_ms, policy_run over the running VMs (the policy
 *            state lives across ticks, so targets resume from balloon actual after a
 *            restart and stale data never shrinks a VM), then policy_actions:
 *            diff(plan, applied) with every rate limit and hold (the pin, the 1 MiB
 *            deadband, the cgroup step-down and its fleet-wide budget, the hold after
 *            a rescue), the very code the simulator runs;
 *   execute  the actions through d->ops (execute.c on a host; a recorder in tests);
 *            --dry-run logs instead.
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

#include "daemon/daemon.h"
#include "daemon/history.h"
#include "util/event.h"
#include "util/log.h"
#include "util/size.h"
#include "virt/loop.h"

static uint64_t cpu_us(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
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

/* Gather's last part: what is in force for v (policy_applied), its hold kept. */
static void balance_applied(struct blimpd *d, const struct daemon_act_ops *ops,
			    struct daemon_vm *v)
{
	struct policy_applied *ap = &v->applied;
	ap->balloon_bytes = v->applied_target_bytes ? v->applied_target_bytes : v->current_bytes;
	ap->manual_target_bytes = v->manual_target_bytes;
	ap->cgroup_off = !d->cfg.manage_cgroups || v->pid <= 0;
	ops->observe(d, v, ap);
}

/* Execute: balloons, then cgroup limits (in the order policy_actions gave, which
 * spent the fleet's reclaim step in snapshot order), then KSM. */
static void balance_execute(struct blimpd *d, const struct daemon_act_ops *ops,
			    const struct plan *plan, struct daemon_vm **idx,
			    const struct policy_action *acts, size_t n_acts)
{
	for (size_t k = 0; k < n_acts; k++) {
		const struct policy_action *a = &acts[k];
		struct daemon_vm *v = idx[a->vm];
		if (a->kind == POLICY_ACTION_BALLOON)
			(void)ops->balloon(d, v, a->bytes,
					   a->manual ? "manual"
						     : model_plan_reason_name(plan->vms[a->vm].reason));
		else
			ops->cgroup(d, v, a);
	}
	d->host_plan = plan->host;
	d->have_host_plan = true;
	ops->ksm(d, &plan->host);
}

void daemon_balance(struct blimpd *d, uint64_t now_ms)
{
	const struct daemon_act_ops *ops = d->ops ? d->ops : &daemon_act_host;
	size_t n = 0, cap = d->n_vms + 1;
	struct daemon_vm **idx = calloc(cap, sizeof(*idx));
	struct vm_snapshot *vs = calloc(cap, sizeof(*vs));
	struct vm_plan *vp = calloc(cap, sizeof(*vp));
	struct policy_applied *ap = calloc(cap, sizeof(*ap));
	struct policy_action *acts = calloc(2 * cap, sizeof(*acts));
	if (!idx || !vs || !vp || !ap || !acts)
		goto out;
	for (size_t i = 0; i < d->n_vms; i++) {
		struct daemon_vm *v = &d->vms[i];
		if (!v->active || !v->snap.running)
			continue;
		balance_applied(d, ops, v);
		idx[n] = v;
		ap[n] = v->applied;
		vs[n++] = v->snap;
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
	size_t n_acts = 0;
	policy_actions(&snap, &plan, ap, acts, &n_acts);
	for (size_t i = 0; i < n; i++) {
		idx[i]->applied = ap[i];
		idx[i]->plan = plan.vms[i];
		idx[i]->have_plan = true;
	}
	balance_execute(d, ops, &plan, idx, acts, n_acts);
out:
	free(idx);
	free(vs);
	free(vp);
	free(ap);
	free(acts);
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
	daemon_swap_once(d);
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
		daemon_balance(d, now);
	}
	daemon_history_record(d, now);
	daemon_metrics_update(d);
}
