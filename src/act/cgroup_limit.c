/*
 * Writing a VM's cgroup limit (act/cgroup): the limit the caller asks for, as it is;
 * how fast a limit falls, and how long one stays up after a rescue, is the policy's
 * (policy/actions.c). v1 sets memory.limit_in_bytes with memory.swappiness=100 and
 * the OOM guard first (cgroup_guard.c); v2 memory.high only, never memory.max.
 * One emergency is checked here too, right before writing: a cgroup stuck at its
 * limit is rescued (raised) first, and a lower limit planned before a rescue the
 * caller has not observed yet waits a pass (the world changed while it decided).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act/cgroup_fs.h"
#include "act/cgroup_internal.h"
#include "act/knob.h"

int act_cgroup_read_u64(const struct act_cgroup_vm *vm, const char *file, uint64_t *out)
{
	char path[PATH_MAX + 32];
	if (cg_join(path, sizeof(path), vm->dir, file) < 0)
		return -ENAMETOOLONG;
	return act_cgroup_fs_read_u64(path, out);
}

int act_cgroup_usage(const struct act_cgroup *a, const struct act_cgroup_vm *vm, uint64_t *out)
{
	return act_cgroup_read_u64(vm, a->version == 1 ? "memory.usage_in_bytes" : "memory.current", out);
}

uint64_t act_cgroup_limit_now(const struct act_cgroup_vm *vm)
{
	uint64_t v;
	if (vm->limit.have_last) {
		char *end;
		errno = 0;
		unsigned long long x = strtoull(vm->limit.last, &end, 10);
		return errno || *end || vm->limit.last[0] == '\0' ? UINT64_MAX : x;
	}
	return act_cgroup_fs_read_u64(vm->limit.path, &v) == 0 ? v : UINT64_MAX;
}

/* No limit: the limit back first, then swappiness, the OOM guard last. */
static int cg_unlimit(struct act_cgroup *a, struct act_cgroup_vm *vm, char *msg, size_t msglen)
{
	int r = act_knob_restore(&vm->limit, a->dry_run, msg, msglen);
	if (r < 0 || a->version != 1)
		return r < 0 ? r : 0;
	r = act_knob_restore(&vm->swappiness, a->dry_run, msg, msglen);
	if (r < 0)
		return r;
	r = act_knob_restore(&vm->oom_guard, a->dry_run, msg, msglen);
	if (r < 0)
		return r;
	act_cgroup_watch_disarm(vm);
	return 0;
}

int act_cgroup_set_limit(struct act_cgroup *a, struct act_cgroup_vm *vm, uint64_t limit_bytes,
			 char *msg, size_t msglen)
{
	if (limit_bytes)
		act_cgroup_watch_vm(a, vm, msg, msglen);
	bool unseen = vm->rescues != vm->rescues_observed;
	if (limit_bytes == 0 || (unseen && vm->rescue_bytes == UINT64_MAX))
		return cg_unlimit(a, vm, msg, msglen); /* asked, or a rescue took it off */
	limit_bytes = cg_page_up(limit_bytes);
	if (vm->dry_created) {
		act_msg_append(msg, msglen, "would set %s=%" PRIu64 " in %s; ", vm->limit.label,
			       limit_bytes, vm->dir);
		return 0;
	}
	int r;
	if (a->version == 1) {
		r = act_cgroup_guard_on(a, vm, msg, msglen);
		if (r < 0)
			return r;
		/* Reclaim from this cgroup goes to swap as readily as to page cache. */
		r = act_knob_set(&vm->swappiness, "100", a->dry_run, msg, msglen);
		if (r < 0)
			return r;
	}
	uint64_t cur = act_cgroup_limit_now(vm);
	if (limit_bytes < cur && unseen) {
		act_msg_append(msg, msglen, "rescued since the plan was made: %s not lowered "
			       "this pass; ", vm->limit.label);
		return 0;
	}
	char v[24];
	snprintf(v, sizeof(v), "%" PRIu64, limit_bytes);
	r = act_knob_set(&vm->limit, v, a->dry_run, msg, msglen);
	if (r == -EBUSY && a->version == 1)
		return act_cgroup_v1_refused(a, vm, cur, limit_bytes, msg, msglen);
	if (r < 0)
		return r;
	if (!a->dry_run && vm->limit.written) {
		/* From the first limit on, a thread watches it (the main loop may sit in
		 * a libvirt call to the very QEMU that is stuck). */
		if (a->version == 1)
			act_cgroup_watch_arm(vm);
		int w = act_cgroup_watch_start(a);
		if (w < 0)
			act_msg_append(msg, msglen, "cannot start the cgroup watcher: %s; ",
				       strerror(-w));
	}
	return 0;
}
