/*
 * The tick's execute side on a real host (daemon_act_host): the actuators blimpd owns
 * (struct daemon_actuators: KSM, cgroup limits, host swap), made on first use and
 * restored on exit. Each op does what one action says, no more: every rate limit and
 * hold was decided in policy_actions. What the actuators do on their own is the
 * emergency only (a stuck cgroup's rescue), which the gather reports back (observe).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "act/cgroup.h"
#include "act/knob.h"
#include "act/ksm.h"
#include "act/originals.h"
#include "act/swap.h"
#include "daemon/daemon.h"
#include "util/log.h"
#include "util/size.h"
#include "virt/dom.h"

void daemon_swap_once(struct blimpd *d)
{
	struct daemon_actuators *x = &d->act;
	if (x->swap_tried || !d->cfg.swapfile_bytes)
		return;
	x->swap_tried = true;
	struct act_swap_opts o = {.path = d->cfg.swapfile_path,
				  .size_bytes = d->cfg.swapfile_bytes,
				  .priority = -1,
				  .zswap = d->cfg.zswap,
				  .sysfs_root = "/sys",
				  .proc_root = "/proc",
				  .dry_run = d->cfg.dry_run,
				  .originals = d->originals};
	int err = 0;
	x->swap = act_swap_new(&o, &err);
	if (!x->swap) {
		log_warn("act", "host swap: %s", strerror(-err));
		return;
	}
	char msg[512] = "";
	if (act_swap_enable(x->swap, msg, sizeof(msg)) < 0)
		log_warn("act", "host swap: %s", msg);
	else if (msg[0])
		log_info("act", "host swap: %s", msg);
}

/* The cgroup actuator, made on first use; NULL when there is no memory cgroup. */
static struct act_cgroup *host_cgroup_get(struct blimpd *d)
{
	struct daemon_actuators *x = &d->act;
	if (x->cgroup || x->cgroup_failed)
		return x->cgroup;
	struct act_cgroup_opts o = {.proc_root = "/proc",
				    .dry_run = d->cfg.dry_run,
				    .rescue_step_bytes = POLICY_CGROUP_STEP_BYTES,
				    .watch_period_ms = ACT_CGROUP_WATCH_MS,
				    .originals = d->originals};
	int err = 0;
	x->cgroup = act_cgroup_new(&o, &err);
	if (!x->cgroup) {
		log_warn("act", "no memory cgroup (%s): host swap limits off", strerror(-err));
		x->cgroup_failed = true;
	}
	return x->cgroup;
}

static void host_observe(struct blimpd *d, struct daemon_vm *v, struct policy_applied *ap)
{
	struct act_cgroup *cg = ap->cgroup_off ? NULL : host_cgroup_get(d);
	struct act_cgroup_seen s = {.limit_bytes = UINT64_MAX};
	if (!cg || act_cgroup_observe(cg, v->name, v->pid, &s) < 0)
		ap->cgroup_off = true;
	ap->cgroup_leftover = s.leftover;
	ap->cgroup_limit_bytes = s.limit_bytes;
	ap->cgroup_usage_bytes = s.usage_bytes;
	ap->cgroup_rescues = s.rescues;
	ap->cgroup_rescue_bytes = s.rescue_bytes;
}

static int host_balloon(struct blimpd *d, struct daemon_vm *v, uint64_t target_bytes,
			const char *reason)
{
	char err[256], a[32];
	int r = daemon_apply_balloon(d, v, target_bytes, reason, err, sizeof(err));
	if (r < 0)
		log_warn("act", "%s: could not move the balloon to %s", v->name,
			 size_format(target_bytes, a, sizeof(a)));
	return r;
}

/* Host memory limit of one VM's cgroup (the plan's SWTGT made concrete, a step of
 * it this pass). */
static void host_cgroup(struct blimpd *d, struct daemon_vm *v, const struct policy_action *pa)
{
	struct act_cgroup *cg = d->act.cgroup;
	if (!cg)
		return;
	char msg[1024] = "";
	struct act_cgroup_safety s0, s1;
	act_cgroup_safety_get(cg, &s0);
	int r = act_cgroup_apply(cg, v->name, v->pid, pa->bytes, msg, sizeof(msg));
	act_cgroup_safety_get(cg, &s1);
	if (r == 0 && msg[0] && pa->bytes && pa->bytes != pa->goal_bytes) {
		/* The usage the step was taken from: the cgroup's, or (not read yet) the
		 * policy's stand-in. */
		uint64_t use = v->applied.cgroup_usage_bytes;
		const char *what = "usage";
		if (!use) {
			use = v->snap.consumed_bytes + v->snap.ovhd_bytes;
			what = "CONSUMED + OVHD";
		}
		char gs[32], us[32];
		act_msg_append(msg, sizeof(msg), "stepping down to %s (%s %s); ",
			       size_format(pa->goal_bytes, gs, sizeof(gs)), what,
			       size_format(use, us, sizeof(us)));
	}
	if (r == 0 && msg[0] && pa->held)
		act_msg_append(msg, sizeof(msg), "held by a rescue; ");
	if (s1.rescues != s0.rescues || s1.oom_kills != s0.oom_kills || s1.refused != s0.refused)
		/* A limit met a cgroup it could not squeeze: raised (rescue), held (refused),
		 * or worse (kill). Totals since start, so a repeat shows in one line. */
		act_cgroup_safety_events(v->name, "apply", msg, &s0, &s1);
	else if (r < 0 && r != -EBUSY)
		log_warn("act", "%s: cgroup limit: %s", v->name, msg[0] ? msg : strerror(-r));
	else if (msg[0])
		log_info("act", "%s: %s%s", v->name, msg, d->cfg.dry_run ? " [dry-run]" : "");
}

static void host_ksm(struct blimpd *d, const struct host_plan *hp)
{
	struct daemon_actuators *x = &d->act;
	if (!d->cfg.manage_ksm)
		return;
	if (!x->ksm && (x->ksm = act_ksm_new("/sys", d->cfg.dry_run)))
		act_ksm_use_originals(x->ksm, d->originals);
	if (!x->ksm || !act_ksm_present(x->ksm))
		return;
	char msg[512] = "";
	int r = act_ksm_apply(x->ksm, hp->ksm_run, hp->ksm_pages_to_scan, hp->ksm_sleep_ms, msg,
			      sizeof(msg));
	if (r < 0)
		log_warn("act", "KSM: %s", msg);
	else if (msg[0])
		log_info("act", "KSM (%s): %s%s", model_host_state_name(hp->state), msg,
			 d->cfg.dry_run ? " [dry-run]" : "");
}

const struct daemon_act_ops daemon_act_host = {
    .observe = host_observe,
    .balloon = host_balloon,
    .cgroup = host_cgroup,
    .ksm = host_ksm,
};

void daemon_swap_safety(const struct blimpd *d, uint64_t *rescues, uint64_t *refused,
			uint64_t *oom_kills)
{
	struct act_cgroup_safety cs = {0};
	if (d->act.cgroup)
		act_cgroup_safety_get(d->act.cgroup, &cs);
	*rescues = cs.rescues;
	*refused = cs.refused;
	*oom_kills = cs.oom_kills;
}

void daemon_release_vm(struct blimpd *d, const char *name)
{
	if (!d->act.cgroup)
		return;
	char msg[512] = "";
	if (act_cgroup_release(d->act.cgroup, name, msg, sizeof(msg)) < 0)
		log_warn("act", "%s: cgroup release: %s", name, msg);
	else if (msg[0])
		log_info("act", "%s: %s", name, msg);
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
	struct daemon_actuators *x = &d->act;
	char msg[1024] = "";
	if (x->cgroup) {
		restore_log("cgroup", act_cgroup_restore(x->cgroup, msg, sizeof(msg)), msg);
		act_cgroup_free(x->cgroup);
		x->cgroup = NULL;
	}
	if (x->swap) {
		restore_log("host swap", act_swap_restore(x->swap, msg, sizeof(msg)), msg);
		act_swap_free(x->swap);
		x->swap = NULL;
	}
	if (x->ksm) {
		restore_log("KSM", act_ksm_restore(x->ksm, msg, sizeof(msg)), msg);
		act_ksm_free(x->ksm);
		x->ksm = NULL;
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
