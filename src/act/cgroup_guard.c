/*
 * The OOM guard (act/cgroup, docs/actuators.md "Host swap safety"): a limit never
 * OOM-kills QEMU.
 *
 * DESIGN: v1: memory.oom_control oom_kill_disable=1 is written before the first limit
 * and restored after the limit is; if it cannot be set, no limit is. At its limit
 * with nothing to reclaim the cgroup then waits (under_oom) instead of losing QEMU,
 * and every apply and every watcher round looks: under_oom (v2: usage a step above
 * memory.high) raises the limit at once to usage + a step (a rescue), counted; the
 * policy then holds the limit there (policy/actions.c). v1 refuses a step it cannot
 * reclaim (EBUSY): the limit is then held at usage + a step, never at usage (which
 * would stall the next fault), and the next pass tries again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "act/cgroup_fs.h"
#include "act/cgroup_internal.h"
#include "act/knob.h"
#include "util/size.h"

static int cg_read_oom(const struct act_cgroup_vm *vm, struct act_cgroup_oom *o)
{
	char buf[256];
	int r = act_read_file(vm->oom_guard.path, buf, sizeof(buf));
	return r < 0 ? r : act_cgroup_fs_oom_parse(buf, o);
}

/* v1: oom_kill_disable = 1 before any limit. The file shows three lines and takes
 * "0" or "1", so the knob's original is the flag alone, set here before
 * act_knob_set's first read would take the three lines for it. */
int act_cgroup_guard_on(struct act_cgroup *a, struct act_cgroup_vm *vm, char *msg,
			size_t msglen)
{
	struct act_knob *k = &vm->oom_guard;
	if (a->version != 1 || (k->have_last && strcmp(k->last, "1") == 0))
		return 0;
	struct act_cgroup_oom o;
	int r = cg_read_oom(vm, &o);
	if (r < 0) {
		act_msg_append(msg, msglen,
			       "memory.oom_control: cannot read it (%s): no limit without "
			       "oom_kill_disable; ",
			       strerror(-r));
		return r;
	}
	if (!k->have_orig) {
		snprintf(k->orig, sizeof(k->orig), "%d", o.kill_disable ? 1 : 0);
		k->have_orig = true;
	}
	if (o.kill_disable) {
		snprintf(k->last, sizeof(k->last), "1");
		k->have_last = true;
		return 0;
	}
	r = act_knob_set(k, "1", a->dry_run, NULL, 0);
	if (r < 0) {
		act_msg_append(msg, msglen,
			       "memory.oom_control: cannot set oom_kill_disable (%s): no limit "
			       "without it; ",
			       strerror(-r));
		return r;
	}
	act_msg_append(msg, msglen, "%smemory.oom_control oom_kill_disable 0->1; ",
		       a->dry_run ? "would set " : "");
	return 0;
}

/* Every apply while blimp holds a limit: is the cgroup stuck at it (v1 under_oom: a
 * charge waits because nothing can be reclaimed; v2: usage a step above memory.high,
 * reclaim cannot keep up)? Then raise the limit at once to usage + a step (the policy
 * holds it there); if even that write fails, the limit comes off at the next apply. */
void act_cgroup_watch_vm(struct act_cgroup *a, struct act_cgroup_vm *vm, char *msg, size_t msglen)
{
	if (!vm->limit.written || a->dry_run || vm->dry_created)
		return;
	uint64_t limit = act_cgroup_limit_now(vm), usage = 0, failcnt_delta = 0;
	bool have_usage = act_cgroup_usage(a, vm, &usage) == 0;
	bool stuck = false;
	if (a->version == 1) {
		struct act_cgroup_oom o;
		int r = cg_read_oom(vm, &o);
		if (r < 0) {
			act_msg_append(msg, msglen, "cannot read %s: %s; ", vm->oom_guard.path,
				       strerror(-r));
		} else {
			if (o.have_kills && vm->have_kills && o.kills > vm->kills) {
				a->safety.oom_kills += o.kills - vm->kills;
				act_msg_append(msg, msglen,
					       "%" PRIu64 " OOM kill(s) in %s under blimp's limit; ",
					       o.kills - vm->kills, vm->dir);
			}
			vm->have_kills = o.have_kills;
			vm->kills = o.kills;
			stuck = act_cgroup_v1_stuck(o.under_oom, have_usage, usage, limit,
						    a->step_bytes);
			if (!o.kill_disable && vm->oom_guard.have_last) {
				/* Someone cleared it: set it again before the next limit. */
				vm->oom_guard.have_last = false;
				act_msg_append(msg, msglen, "oom_kill_disable was cleared; ");
			}
		}
		uint64_t fc;
		if (act_cgroup_read_u64(vm, "memory.failcnt", &fc) == 0) {
			if (vm->have_failcnt && fc > vm->failcnt)
				failcnt_delta = fc - vm->failcnt;
			vm->failcnt = fc;
			vm->have_failcnt = true;
		}
	} else {
		stuck = have_usage && limit != UINT64_MAX && usage > limit &&
			usage - limit > a->step_bytes;
	}
	if (!stuck)
		return;
	uint64_t base = have_usage && cg_page_up(usage) > limit ? cg_page_up(usage) : limit;
	uint64_t to = cg_page_up(cg_add_sat(base, a->step_bytes));
	a->safety.rescues++;
	vm->rescues++;
	char v[24];
	snprintf(v, sizeof(v), "%" PRIu64, to);
	int r = act_write_file(vm->limit.path, v);
	if (r == 0) {
		act_knob_mark_written(&vm->limit, v);
		vm->rescue_bytes = to;
		char us[32], li[32], from[32], tos[32];
		size_format_pair(usage, limit, us, li, sizeof(us));
		size_format_pair(limit, to, from, tos, sizeof(from));
		act_msg_append(msg, msglen,
			       "stuck at its limit %s (%s, usage %s, failcnt +%" PRIu64
			       "): %s raised %s->%s at once (rescue #%" PRIu64 ", #%" PRIu64
			       " of this cgroup; the policy holds it); ",
			       li, a->version == 1 ? "under_oom" : "reclaim behind memory.high", us,
			       failcnt_delta, vm->limit.label, from, tos, a->safety.rescues,
			       vm->rescues);
		return;
	}
	vm->rescue_bytes = UINT64_MAX; /* the policy takes the limit off for the hold */
	act_msg_append(msg, msglen, "stuck at its limit, cannot raise %s (%s): removing it; ",
		       vm->limit.label, strerror(-r));
}

/* v1 refused a step (EBUSY: the kernel could not reclaim that much now). Hold the
 * limit at usage + a step, never at usage itself: at usage the next fault would have
 * nothing to reclaim either. */
int act_cgroup_v1_refused(struct act_cgroup *a, struct act_cgroup_vm *vm, uint64_t cur,
			  uint64_t want, char *msg, size_t msglen)
{
	a->safety.refused++;
	uint64_t usage = 0, held = cur;
	bool have_usage = act_cgroup_read_u64(vm, "memory.usage_in_bytes", &usage) == 0;
	if (have_usage) {
		uint64_t h = cg_page_up(cg_add_sat(usage, a->step_bytes));
		char v[24];
		snprintf(v, sizeof(v), "%" PRIu64, h);
		if (h < cur && h > want && act_write_file(vm->limit.path, v) == 0) {
			act_knob_mark_written(&vm->limit, v);
			held = h;
		}
	}
	char ws[32], us[32], hs[32];
	size_format_pair(want, usage, ws, us, sizeof(ws));
	act_msg_append(msg, msglen,
		       "memory.limit_in_bytes %s refused (usage %s, not reclaimable now): held "
		       "at %s; ",
		       ws, have_usage ? us : "unknown", size_format(held, hs, sizeof(hs)));
	return -EBUSY;
}
