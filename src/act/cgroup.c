/*
 * DESIGN: one entry per VM name: identity (pid + start time, cgroup inode), where
 * QEMU was before blimp moved it (orig_dir), what blimp created (cgroup_place.c),
 * and the limit knobs (act/knob.h), which remember the original value and write only
 * changes (cgroup_limit.c), with the OOM guard and the rescue (cgroup_guard.c,
 * cgroup_watch.c). Every entry point takes the one mutex the watcher shares.
 * Rate limits are not here: the caller writes what policy_actions decided
 * (policy/actions.c: the step-down, the fleet's reclaim per pass, the hold after a
 * rescue) and reads back what is in force with act_cgroup_observe.
 */
#include "act/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "act/cgroup_fs.h"
#include "act/cgroup_internal.h"
#include "act/knob.h"
#include "act/originals.h"
#include "util/size.h"

static bool cg_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= CG_NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

struct act_cgroup *act_cgroup_new(const struct act_cgroup_opts *o, int *err)
{
	int dummy;
	if (!err)
		err = &dummy;
	struct act_cgroup *a = calloc(1, sizeof(*a));
	if (!a) {
		*err = -ENOMEM;
		return NULL;
	}
	const char *proc = o->proc_root ? o->proc_root : "/proc";
	if (snprintf(a->proc_root, sizeof(a->proc_root), "%s", proc) >= (int)sizeof(a->proc_root)) {
		*err = -ENAMETOOLONG;
		goto fail;
	}
	if (o->cgroup_root) {
		if (o->version != 1 && o->version != 2) {
			*err = -EINVAL;
			goto fail;
		}
		if (snprintf(a->root, sizeof(a->root), "%s", o->cgroup_root) >=
		    (int)sizeof(a->root)) {
			*err = -ENAMETOOLONG;
			goto fail;
		}
		snprintf(a->mount_root, sizeof(a->mount_root), "%s",
			 o->cgroup_mount_root ? o->cgroup_mount_root : "/");
		a->version = o->version;
	} else {
		int r = act_cgroup_fs_detect(a->proc_root, a->root, sizeof(a->root), a->mount_root,
					     sizeof(a->mount_root), &a->version);
		if (r < 0) {
			*err = r;
			goto fail;
		}
	}
	a->dry_run = o->dry_run;
	a->step_bytes = o->rescue_step_bytes ? cg_page_up(o->rescue_step_bytes)
					     : ACT_CGROUP_RESCUE_STEP_DEFAULT;
	a->originals = o->originals;
	a->on_mkdir = o->on_mkdir;
	a->rmdir_hook = o->rmdir;
	a->hook_arg = o->hook_arg;
	a->watch_period_ms = o->watch_period_ms;
	a->watch_stop_fd = -1;
	pthread_mutex_init(&a->mu, NULL);
	*err = 0;
	return a;
fail:
	free(a);
	return NULL;
}

int act_cgroup_version(const struct act_cgroup *a)
{
	return a->version;
}

static struct act_cgroup_vm *cg_find(const struct act_cgroup *a, const char *name)
{
	for (size_t i = 0; i < a->n_vms; i++)
		if (strcmp(a->vms[i]->name, name) == 0)
			return a->vms[i];
	return NULL;
}


/* An old blimpd's limit waits in pid's cgroup (recorded in originals). */
static bool cg_leftover(struct act_cgroup *a, pid_t pid)
{
	if (!act_originals_pending(a->originals))
		return false;
	char dir[PATH_MAX];
	return act_cgroup_pid_dir(a, pid, dir, NULL, 0) == 0 &&
	       act_originals_pending_in(a->originals, dir);
}

static int cg_apply(struct act_cgroup *a, const char *name, pid_t pid, uint64_t limit_bytes,
		    char *msg, size_t msglen)
{
	if (msg && msglen)
		msg[0] = '\0';
	if (!name || !cg_name_ok(name) || pid <= 0) {
		act_msg_append(msg, msglen, "bad VM name or pid; ");
		return -EINVAL;
	}
	uint64_t start;
	int r = act_cgroup_fs_starttime(a->proc_root, pid, &start);
	if (r < 0) {
		act_msg_append(msg, msglen, "pid %d of %s is gone; ", (int)pid, name);
		return r == -ENOENT ? -ESRCH : r;
	}
	struct act_cgroup_vm *vm = cg_find(a, name);
	if (vm && vm->resolved) {
		bool restarted = vm->pid != pid || vm->starttime != start;
		struct stat st;
		bool recreated = !vm->dry_created && (stat(vm->dir, &st) < 0 ||
						      st.st_dev != vm->dev || st.st_ino != vm->ino);
		if (restarted) {
			act_msg_append(msg, msglen, "%s restarted (pid %d -> %d); ", name,
				       (int)vm->pid, (int)pid);
			(void)!act_cgroup_unplace(a, vm, msg, msglen);
		} else if (recreated) {
			act_msg_append(msg, msglen, "cgroup %s went away or was recreated; ",
				       vm->dir);
			act_cgroup_forget(vm);
		}
	}
	/* No limit for a VM blimp never limited: nothing to do, unless a blimpd that
	 * died left a limit on its cgroup (recorded in originals): then resolve it (a
	 * cgroup QEMU has to itself only) and let the limit knob restore it. */
	bool leftover = limit_bytes == 0 && (!vm || !vm->resolved) && cg_leftover(a, pid);
	if (!vm) {
		if (limit_bytes == 0 && !leftover)
			return 0; /* never limited, nothing to do: create nothing */
		struct act_cgroup_vm **nv = realloc(a->vms, (a->n_vms + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		a->vms = nv;
		vm = calloc(1, sizeof(*vm));
		if (!vm)
			return -ENOMEM;
		vm->oom_efd = vm->oom_cfd = -1;
		snprintf(vm->name, sizeof(vm->name), "%s", name);
		a->vms[a->n_vms++] = vm;
	}
	vm->pid = pid;
	vm->starttime = start;
	if (!vm->resolved) {
		if (limit_bytes == 0 && !leftover)
			return 0;
		r = act_cgroup_resolve(a, vm, !leftover, msg, msglen);
		if (r == -EAGAIN)
			return 0; /* shares its cgroup now: the exit restores the leftover */
		if (r < 0)
			return r;
	}
	return act_cgroup_set_limit(a, vm, limit_bytes, msg, msglen);
}

int act_cgroup_apply(struct act_cgroup *a, const char *name, pid_t pid, uint64_t limit_bytes,
		     char *msg, size_t msglen)
{
	pthread_mutex_lock(&a->mu);
	int r = cg_apply(a, name, pid, limit_bytes, msg, msglen);
	pthread_mutex_unlock(&a->mu);
	return r;
}

int act_cgroup_observe(struct act_cgroup *a, const char *name, pid_t pid,
		       struct act_cgroup_seen *out)
{
	*out = (struct act_cgroup_seen){.limit_bytes = UINT64_MAX};
	if (!name || pid <= 0)
		return -EINVAL;
	pthread_mutex_lock(&a->mu);
	struct act_cgroup_vm *vm = cg_find(a, name);
	uint64_t start;
	bool same = vm && vm->resolved && vm->pid == pid &&
		    act_cgroup_fs_starttime(a->proc_root, pid, &start) == 0 &&
		    start == vm->starttime;
	if (same) {
		out->tracked = true;
		if (vm->limit.have_last)
			out->limit_bytes = act_cgroup_limit_now(vm);
		uint64_t u;
		if (!vm->dry_created && act_cgroup_usage(a, vm, &u) == 0)
			out->usage_bytes = u;
		out->rescues = vm->rescues;
		out->rescue_bytes = vm->rescue_bytes;
		vm->rescues_observed = vm->rescues;
	} else {
		out->leftover = cg_leftover(a, pid);
	}
	pthread_mutex_unlock(&a->mu);
	return 0;
}

void act_cgroup_safety_get(struct act_cgroup *a, struct act_cgroup_safety *out)
{
	pthread_mutex_lock(&a->mu);
	*out = a->safety;
	pthread_mutex_unlock(&a->mu);
}

int act_cgroup_dir(struct act_cgroup *a, const char *name, char *buf, size_t len)
{
	pthread_mutex_lock(&a->mu);
	const struct act_cgroup_vm *vm = name ? cg_find(a, name) : NULL;
	int r = 0;
	if (!vm || !vm->resolved)
		r = -ENOENT;
	else if (snprintf(buf, len, "%s", vm->dir) >= (int)len)
		r = -ENAMETOOLONG;
	pthread_mutex_unlock(&a->mu);
	return r;
}

int act_cgroup_release(struct act_cgroup *a, const char *name, char *msg, size_t msglen)
{
	if (msg && msglen)
		msg[0] = '\0';
	pthread_mutex_lock(&a->mu);
	struct act_cgroup_vm *vm = name ? cg_find(a, name) : NULL;
	int r = 0;
	if (vm) {
		r = act_cgroup_unplace(a, vm, msg, msglen);
		act_cgroup_drop(a, vm);
	}
	pthread_mutex_unlock(&a->mu);
	return r;
}

int act_cgroup_restore(struct act_cgroup *a, char *msg, size_t msglen)
{
	if (msg && msglen)
		msg[0] = '\0';
	pthread_mutex_lock(&a->mu);
	int ret = 0;
	while (a->n_vms > 0) {
		struct act_cgroup_vm *vm = a->vms[a->n_vms - 1];
		int r = act_cgroup_unplace(a, vm, msg, msglen);
		if (r < 0 && ret == 0)
			ret = r;
		act_cgroup_drop(a, vm);
	}
	act_cgroup_undelegate(a, msg, msglen);
	pthread_mutex_unlock(&a->mu);
	return ret;
}

void act_cgroup_free(struct act_cgroup *a)
{
	if (!a)
		return;
	act_cgroup_watch_stop(a);
	for (size_t i = 0; i < a->n_vms; i++) {
		act_cgroup_watch_disarm(a->vms[i]);
		free(a->vms[i]);
	}
	free(a->vms);
	for (size_t i = 0; i < a->n_enabled; i++)
		free(a->enabled[i]);
	for (size_t i = 0; i < a->n_blimp_dirs; i++)
		free(a->blimp_dirs[i]);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

