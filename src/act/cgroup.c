/*
 * DESIGN: one entry per VM name: identity (pid + start time, cgroup inode), where
 * QEMU was before blimp moved it (orig_dir), what blimp created, and the limit
 * knobs (act/knob.h), which remember the original value and write only changes.
 *
 * Resolution (first apply, or after the VM restarted or its cgroup was recreated):
 *   PROC/PID/cgroup -> the memory cgroup; on v2 walk up out of threaded cgroups
 *   (libvirt puts threads in .../emulator, vcpuN; memory is set on the domain).
 *   If QEMU is alone in it (cgroup.procs holds only its PID) it is the VM's cgroup.
 *   Otherwise blimp makes DIR/blimp/NAME and moves QEMU's process (v1: and every
 *   thread through tasks) in. v2 needs +memory in cgroup.subtree_control of every
 *   ancestor; a non-root parent with processes refuses that (no internal processes)
 *   and blimp falls back to ROOT/blimp/NAME.
 * Never an OOM kill (docs/actuators.md, "Host swap safety"):
 *   v1: memory.oom_control oom_kill_disable=1 is written before the first limit and
 *   restored after the limit is; if it cannot be set, no limit is. At its limit with
 *   nothing to reclaim the cgroup then waits (under_oom) instead of losing QEMU, and
 *   every apply looks: under_oom (v2: usage a step above memory.high) raises the
 *   limit at once to usage + a step and holds it there for
 *   ACT_CGROUP_RESCUE_HOLD_APPLIES applies.
 *   A lower limit comes a step per apply (act_cgroup_next_limit), so each step's
 *   reclaim has a period to finish; a higher one at once. v1 refuses a step it
 *   cannot reclaim (EBUSY): the limit is then held at usage + a step, never at
 *   usage (which would stall the next fault), and the next apply tries again.
 * Teardown order: set limits back, move processes back, rmdir what blimp created,
 * then (last VM) undo +memory where blimp added it.
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
	a->step_bytes = o->step_down_bytes ? (o->step_down_bytes + 4095) & ~(uint64_t)4095
					   : ACT_CGROUP_STEP_DEFAULT;
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

/* ROOT + hierarchy path (with the mount's own root stripped). */
static int cg_abs(const struct act_cgroup *a, const char *rel, char *out, size_t len)
{
	size_t mr = strlen(a->mount_root);
	if (strcmp(a->mount_root, "/") != 0) {
		if (strncmp(rel, a->mount_root, mr) != 0 || (rel[mr] != '/' && rel[mr] != '\0'))
			return -ENOENT; /* outside what is mounted here */
		rel += mr;
	}
	if (strcmp(rel, "/") == 0 || rel[0] == '\0')
		rel = "";
	if (snprintf(out, len, "%s%s", a->root, rel) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static int cg_join(char *out, size_t len, const char *dir, const char *file)
{
	return snprintf(out, len, "%s/%s", dir, file) >= (int)len ? -ENAMETOOLONG : 0;
}

static int cg_rmdir(struct act_cgroup *a, const char *dir)
{
	if (a->rmdir_hook)
		return a->rmdir_hook(dir, a->hook_arg);
	return rmdir(dir) < 0 ? -errno : 0;
}

/* mkdir; 1 if made, 0 if it was there, -errno. */
static int cg_mkdir(struct act_cgroup *a, const char *dir)
{
	if (mkdir(dir, 0755) < 0)
		return errno == EEXIST ? 0 : -errno;
	if (a->on_mkdir) {
		int r = a->on_mkdir(dir, a->hook_arg);
		if (r < 0) {
			(void)!rmdir(dir);
			return r;
		}
	}
	return 1;
}

/* Move every process listed in from/cgroup.procs to to/cgroup.procs. */
static int cg_move_all(const char *from, const char *to)
{
	char src[PATH_MAX + 16], dst[PATH_MAX + 16];
	snprintf(src, sizeof(src), "%s/cgroup.procs", from);
	snprintf(dst, sizeof(dst), "%s/cgroup.procs", to);
	pid_t *pids;
	size_t n;
	int r = act_cgroup_fs_read_pids(src, &pids, &n);
	if (r < 0)
		return r;
	int ret = 0;
	for (size_t i = 0; i < n; i++) {
		char v[16];
		snprintf(v, sizeof(v), "%d", (int)pids[i]);
		r = act_write_file(dst, v);
		if (r < 0 && r != -ESRCH && ret == 0)
			ret = r;
	}
	free(pids);
	return ret;
}

/* Move QEMU (pid, its threads on v1, its child processes) into dir. */
static int cg_move_in(struct act_cgroup *a, pid_t pid, const char *dir)
{
	char procs[PATH_MAX + 16], v[16];
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	snprintf(v, sizeof(v), "%d", (int)pid);
	int r = act_write_file(procs, v);
	if (r < 0)
		return r;
	char path[PATH_MAX + 64];
	if (a->version == 1) {
		/* cgroup.procs moved the thread group; tasks catches a thread that raced. */
		char tasks[PATH_MAX + 16];
		snprintf(tasks, sizeof(tasks), "%s/tasks", dir);
		snprintf(path, sizeof(path), "%s/%d/task", a->proc_root, (int)pid);
		DIR *d = opendir(path);
		if (d) {
			struct dirent *de;
			while ((de = readdir(d))) {
				char *end;
				long tid = strtol(de->d_name, &end, 10);
				if (de->d_name[0] < '1' || de->d_name[0] > '9' || *end ||
				    tid <= 0 || tid > INT_MAX)
					continue;
				r = act_write_file(tasks, de->d_name);
				if (r < 0 && r != -ESRCH) {
					closedir(d);
					return r;
				}
			}
			closedir(d);
		}
	}
	/* Child processes (QEMU helpers), where the kernel lists them. */
	pid_t *ids;
	size_t n;
	snprintf(path, sizeof(path), "%s/%d/task/%d/children", a->proc_root, (int)pid, (int)pid);
	if (act_cgroup_fs_read_pids(path, &ids, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			snprintf(v, sizeof(v), "%d", (int)ids[i]);
			r = act_write_file(procs, v);
			if (r < 0 && r != -ESRCH) {
				free(ids);
				return r;
			}
		}
		free(ids);
	}
	return 0;
}

static void cg_remember(char **list, size_t *n, const char *dir)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(list[i], dir) == 0)
			return;
	if (*n < CG_MAX_ENABLED) {
		char *c = strdup(dir);
		if (c)
			list[(*n)++] = c;
	}
}

/* v2: make sure every cgroup from the root down to dir (inclusive) delegates the
 * memory controller to its children. */
static int cg_v2_enable_memory(struct act_cgroup *a, const char *dir, char *msg, size_t msglen)
{
	size_t rl = strlen(a->root);
	char cur[PATH_MAX];
	snprintf(cur, sizeof(cur), "%s", a->root);
	const char *rest = dir + rl;
	for (;;) {
		char sc[PATH_MAX + 32];
		if (cg_join(sc, sizeof(sc), cur, "cgroup.subtree_control") < 0)
			return -ENAMETOOLONG;
		int has = act_cgroup_fs_has_word(sc, "memory");
		if (has < 0) {
			act_msg_append(msg, msglen, "cannot read %s: %s; ", sc, strerror(-has));
			return has;
		}
		if (!has) {
			int r = act_write_file(sc, "+memory");
			if (r < 0) {
				act_msg_append(msg, msglen, "cannot enable +memory in %s: %s; ", sc,
					       strerror(-r));
				return r;
			}
			cg_remember(a->enabled, &a->n_enabled, cur);
			act_msg_append(msg, msglen, "+memory in %s; ", sc);
		}
		if (*rest == '\0')
			return 0;
		const char *slash = strchr(rest + 1, '/');
		size_t step = slash ? (size_t)(slash - rest) : strlen(rest);
		size_t cl = strlen(cur);
		if (cl + step >= sizeof(cur))
			return -ENAMETOOLONG;
		memcpy(cur + cl, rest, step);
		cur[cl + step] = '\0';
		rest += step;
	}
}

static void cg_knobs_init(struct act_cgroup *a, struct act_cgroup_vm *vm)
{
	int r;
	if (a->version == 1) {
		r = act_knob_init(&vm->limit, "memory.limit_in_bytes", vm->dir,
				  "memory.limit_in_bytes");
		r |= act_knob_init(&vm->swappiness, "memory.swappiness", vm->dir,
				   "memory.swappiness");
		r |= act_knob_init(&vm->oom_guard, "memory.oom_control", vm->dir,
				   "memory.oom_control");
	} else {
		r = act_knob_init(&vm->limit, "memory.high", vm->dir, "memory.high");
		r |= act_knob_init(&vm->swappiness, "(none)", vm->dir, "memory.swappiness");
		r |= act_knob_init(&vm->oom_guard, "(none)", vm->dir, "memory.oom_control");
	}
	(void)r; /* dir fits PATH_MAX and the file names are short: cannot overflow */
	act_knob_bind(&vm->limit, a->originals);
	act_knob_bind(&vm->swappiness, a->originals);
	act_knob_bind(&vm->oom_guard, a->originals);
	vm->hold_floor_bytes = 0;
	vm->hold_applies = 0;
	vm->rescues_in_row = 0;
	vm->have_kills = false;
	vm->have_failcnt = false;
}

/* Is dir a cgroup QEMU has to itself? Also true for a blimp/NAME left by an
 * earlier blimpd (then *ours is set). */
static int cg_dedicated(struct act_cgroup *a, const char *dir, pid_t pid, const char *name,
			bool *ours)
{
	*ours = false;
	if (strcmp(dir, a->root) == 0)
		return 0;
	char tail[CG_NAME_MAX + 8];
	snprintf(tail, sizeof(tail), "/blimp/%s", name);
	size_t dl = strlen(dir), tl = strlen(tail);
	if (dl > tl && strcmp(dir + dl - tl, tail) == 0)
		*ours = true;
	char procs[PATH_MAX + 16];
	if (cg_join(procs, sizeof(procs), dir, "cgroup.procs") < 0)
		return -ENAMETOOLONG;
	pid_t *pids;
	size_t n;
	int r = act_cgroup_fs_read_pids(procs, &pids, &n);
	if (r < 0)
		return r;
	bool alone = n > 0;
	for (size_t i = 0; i < n; i++)
		if (pids[i] != pid)
			alone = false;
	free(pids);
	return alone || *ours;
}

static int cg_make_own(struct act_cgroup *a, struct act_cgroup_vm *vm, const char *parent,
		       char *msg, size_t msglen)
{
	char blimp_dir[PATH_MAX], dir[PATH_MAX];
	if (cg_join(blimp_dir, sizeof(blimp_dir), parent, "blimp") < 0 ||
	    cg_join(dir, sizeof(dir), blimp_dir, vm->name) < 0)
		return -ENAMETOOLONG;
	if (a->dry_run) {
		act_msg_append(msg, msglen, "would create %s and move pid %d into it; ", dir,
			       (int)vm->pid);
		snprintf(vm->dir, sizeof(vm->dir), "%s", dir);
		vm->dry_created = access(dir, F_OK) != 0;
		return 0;
	}
	int r;
	if (a->version == 2) {
		r = cg_v2_enable_memory(a, parent, msg, msglen);
		if (r < 0)
			return r;
	}
	r = cg_mkdir(a, blimp_dir);
	if (r < 0) {
		act_msg_append(msg, msglen, "cannot create %s: %s; ", blimp_dir, strerror(-r));
		return r;
	}
	if (r == 1)
		cg_remember(a->blimp_dirs, &a->n_blimp_dirs, blimp_dir);
	if (a->version == 2) {
		r = cg_v2_enable_memory(a, blimp_dir, msg, msglen);
		if (r < 0)
			return r;
	}
	r = cg_mkdir(a, dir);
	if (r < 0) {
		act_msg_append(msg, msglen, "cannot create %s: %s; ", dir, strerror(-r));
		return r;
	}
	bool made = r == 1;
	if (a->version == 1) {
		/* Older v1 kernels can move QEMU's existing pages with it; 6.10+ refuse
		 * (EINVAL) and only new pages are charged here, old ones as they refault. */
		char mv[PATH_MAX + 40];
		if (cg_join(mv, sizeof(mv), dir, "memory.move_charge_at_immigrate") == 0 &&
		    access(mv, F_OK) == 0 && act_write_file(mv, "3") < 0)
			act_msg_append(msg, msglen,
				       "note: kernel cannot move existing charges, QEMU's resident "
				       "pages stay charged to %s until they refault; ",
				       parent);
	}
	snprintf(vm->dir, sizeof(vm->dir), "%s", dir);
	snprintf(vm->blimp_dir, sizeof(vm->blimp_dir), "%s", blimp_dir);
	vm->created = true;
	r = cg_move_in(a, vm->pid, dir);
	if (r < 0) {
		act_msg_append(msg, msglen, "cannot move pid %d into %s: %s; ", (int)vm->pid, dir,
			       strerror(-r));
		return r;
	}
	act_msg_append(msg, msglen, "%s %s, moved pid %d in; ", made ? "created" : "using", dir,
		       (int)vm->pid);
	return 0;
}

/* The memory cgroup directory of pid (dir has PATH_MAX bytes). */
static int cg_pid_dir(struct act_cgroup *a, pid_t pid, char *dir, char *msg, size_t msglen)
{
	char rel[PATH_MAX];
	int r = act_cgroup_fs_pid_path(a->proc_root, pid, a->version, rel, sizeof(rel));
	if (r < 0) {
		act_msg_append(msg, msglen, "cannot find the memory cgroup of pid %d: %s; ",
			       (int)pid, strerror(-r));
		return r;
	}
	r = cg_abs(a, rel, dir, PATH_MAX);
	if (r < 0) {
		act_msg_append(msg, msglen, "memory cgroup %s of pid %d is outside %s; ", rel,
			       (int)pid, a->root);
		return r;
	}
	if (a->version == 2) {
		/* Threads live in threaded children; memory is set on the domain above. */
		for (;;) {
			char type_path[PATH_MAX + 16], type[32];
			if (strcmp(dir, a->root) == 0 ||
			    cg_join(type_path, sizeof(type_path), dir, "cgroup.type") < 0 ||
			    act_read_file(type_path, type, sizeof(type)) < 0 ||
			    strcmp(type, "threaded") != 0)
				break;
			*strrchr(dir, '/') = '\0';
		}
	}
	return 0;
}

/* may_create false: only a cgroup QEMU has to itself (or blimp's leftover) is
 * resolved; -EAGAIN where blimp would have to create one. */
static int cg_resolve(struct act_cgroup *a, struct act_cgroup_vm *vm, bool may_create, char *msg,
		      size_t msglen)
{
	char dir[PATH_MAX];
	int r = cg_pid_dir(a, vm->pid, dir, msg, msglen);
	if (r < 0)
		return r;
	bool ours;
	r = cg_dedicated(a, dir, vm->pid, vm->name, &ours);
	if (r < 0) {
		act_msg_append(msg, msglen, "cannot read the processes of %s: %s; ", dir,
			       strerror(-r));
		return r;
	}
	if (r == 0 && !may_create)
		return -EAGAIN;
	vm->dry_created = false;
	if (r == 1) {
		snprintf(vm->dir, sizeof(vm->dir), "%s", dir);
		if (ours) {
			/* Left by an earlier blimpd: ours to clean up; QEMU goes back to
			 * the cgroup above blimp/. */
			vm->created = true;
			snprintf(vm->blimp_dir, sizeof(vm->blimp_dir), "%s", dir);
			*strrchr(vm->blimp_dir, '/') = '\0';
			snprintf(vm->orig_dir, sizeof(vm->orig_dir), "%s", vm->blimp_dir);
			*strrchr(vm->orig_dir, '/') = '\0';
		} else {
			snprintf(vm->orig_dir, sizeof(vm->orig_dir), "%s", dir);
		}
	} else {
		snprintf(vm->orig_dir, sizeof(vm->orig_dir), "%s", dir);
		r = cg_make_own(a, vm, dir, msg, msglen);
		if (r == -EBUSY && a->version == 2 && strcmp(dir, a->root) != 0) {
			/* v2: a parent with processes cannot delegate memory. */
			act_msg_append(msg, msglen, "falling back to %s/blimp; ", a->root);
			r = cg_make_own(a, vm, a->root, msg, msglen);
		}
		if (r < 0)
			return r;
	}
	cg_knobs_init(a, vm);
	if (!vm->dry_created) {
		struct stat st;
		if (stat(vm->dir, &st) < 0) {
			r = -errno;
			act_msg_append(msg, msglen, "cannot stat %s: %s; ", vm->dir, strerror(-r));
			return r;
		}
		vm->dev = st.st_dev;
		vm->ino = st.st_ino;
	}
	if (a->version == 2 && !vm->dry_created) {
		char sw[PATH_MAX + 32], val[64];
		if (cg_join(sw, sizeof(sw), vm->dir, "memory.swap.max") == 0 &&
		    act_read_file(sw, val, sizeof(val)) == 0 && strcmp(val, "max") != 0)
			act_msg_append(msg, msglen,
				       "note: %s is %s, host swap for this VM is capped; ", sw,
				       val);
	}
	vm->resolved = true;
	return 0;
}

/* Undo one VM: limits back, processes back, created cgroups removed. */
static int cg_release(struct act_cgroup *a, struct act_cgroup_vm *vm, char *msg, size_t msglen)
{
	int ret = 0;
	if (!vm->resolved)
		return 0;
	struct stat st;
	bool same = !vm->dry_created && stat(vm->dir, &st) == 0 && st.st_dev == vm->dev &&
		    st.st_ino == vm->ino;
	if (same) {
		int r = act_knob_restore(&vm->limit, a->dry_run, msg, msglen);
		if (r < 0)
			ret = r;
		r = act_knob_restore(&vm->swappiness, a->dry_run, msg, msglen);
		if (r < 0 && ret == 0)
			ret = r;
		/* The OOM guard goes last, and only once the limit is gone. */
		if (ret == 0) {
			r = act_knob_restore(&vm->oom_guard, a->dry_run, msg, msglen);
			if (r < 0)
				ret = r;
		}
	}
	if (same && vm->created) {
		if (a->dry_run) {
			act_msg_append(msg, msglen,
				       "would move processes back to %s and remove %s; ",
				       vm->orig_dir, vm->dir);
		} else {
			int r = 0;
			for (int attempt = 0; attempt < 3; attempt++) {
				r = cg_move_all(vm->dir, vm->orig_dir);
				if (r < 0 && r != -ENOENT)
					break;
				r = cg_rmdir(a, vm->dir);
				if (r != -EBUSY)
					break; /* EBUSY: a process raced in; move again */
			}
			if (r < 0 && r != -ENOENT) {
				act_msg_append(msg, msglen, "cannot remove %s: %s; ", vm->dir,
					       strerror(-r));
				if (ret == 0)
					ret = r;
			} else {
				act_msg_append(msg, msglen, "moved back to %s, removed %s; ",
					       vm->orig_dir, vm->dir);
			}
		}
	}
	/* DIR/blimp goes when its last VM does (ENOTEMPTY/EBUSY: others still there). */
	for (size_t i = 0; !a->dry_run && i < a->n_blimp_dirs;) {
		int r = cg_rmdir(a, a->blimp_dirs[i]);
		if (r == 0 || r == -ENOENT) {
			if (r == 0)
				act_msg_append(msg, msglen, "removed %s; ", a->blimp_dirs[i]);
			free(a->blimp_dirs[i]);
			a->blimp_dirs[i] = a->blimp_dirs[--a->n_blimp_dirs];
		} else {
			i++;
		}
	}
	act_knob_forget(&vm->limit);
	act_knob_forget(&vm->swappiness);
	act_knob_forget(&vm->oom_guard);
	act_cgroup_watch_disarm(vm);
	vm->resolved = false;
	vm->created = false;
	vm->dry_created = false;
	return ret;
}

static void cg_drop(struct act_cgroup *a, struct act_cgroup_vm *vm)
{
	act_cgroup_watch_disarm(vm);
	for (size_t i = 0; i < a->n_vms; i++) {
		if (a->vms[i] == vm) {
			a->vms[i] = a->vms[--a->n_vms];
			break;
		}
	}
	free(vm);
}

static uint64_t cg_page_up(uint64_t v)
{
	return v > UINT64_MAX - 4095 ? UINT64_MAX & ~(uint64_t)4095 : (v + 4095) & ~(uint64_t)4095;
}

static uint64_t cg_add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* A number from a file of vm's cgroup. */
static int cg_read_u64(const struct act_cgroup_vm *vm, const char *file, uint64_t *out)
{
	char path[PATH_MAX + 32];
	if (cg_join(path, sizeof(path), vm->dir, file) < 0)
		return -ENAMETOOLONG;
	return act_cgroup_fs_read_u64(path, out);
}

static int cg_usage(const struct act_cgroup *a, const struct act_cgroup_vm *vm, uint64_t *out)
{
	return cg_read_u64(vm, a->version == 1 ? "memory.usage_in_bytes" : "memory.current", out);
}

/* The limit in force: the last one blimp applied, else what the file holds
 * (UINT64_MAX: none, or unreadable). */
static uint64_t cg_limit_now(const struct act_cgroup_vm *vm)
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

static int cg_read_oom(const struct act_cgroup_vm *vm, struct act_cgroup_oom *o)
{
	char buf[256];
	int r = act_read_file(vm->oom_guard.path, buf, sizeof(buf));
	return r < 0 ? r : act_cgroup_fs_oom_parse(buf, o);
}

/* v1: oom_kill_disable = 1 before any limit. The file shows three lines and takes
 * "0" or "1", so the knob's original is the flag alone, set here before
 * act_knob_set's first read would take the three lines for it. */
static int cg_oom_guard_on(struct act_cgroup *a, struct act_cgroup_vm *vm, char *msg,
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
 * reclaim cannot keep up)? Then raise the limit at once to usage + a step and hold it
 * there; if even that write fails, take the limit off for the hold. */
void act_cgroup_watch_vm(struct act_cgroup *a, struct act_cgroup_vm *vm, char *msg, size_t msglen)
{
	if (!vm->limit.written || a->dry_run || vm->dry_created)
		return;
	uint64_t limit = cg_limit_now(vm), usage = 0, failcnt_delta = 0;
	bool have_usage = cg_usage(a, vm, &usage) == 0;
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
		if (cg_read_u64(vm, "memory.failcnt", &fc) == 0) {
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
	/* Stuck again under the same limit: the hold doubles (up to 16x). */
	vm->rescues_in_row++;
	vm->hold_applies = ACT_CGROUP_RESCUE_HOLD_APPLIES
			   << (vm->rescues_in_row > 5 ? 4 : vm->rescues_in_row - 1);
	char v[24];
	snprintf(v, sizeof(v), "%" PRIu64, to);
	int r = act_write_file(vm->limit.path, v);
	if (r == 0) {
		act_knob_mark_written(&vm->limit, v);
		vm->hold_floor_bytes = to;
		char us[32], li[32], from[32], tos[32];
		size_format_pair(usage, limit, us, li, sizeof(us));
		size_format_pair(limit, to, from, tos, sizeof(from));
		act_msg_append(msg, msglen,
			       "stuck at its limit %s (%s, usage %s, failcnt +%" PRIu64
			       "): %s raised %s->%s at once, held %u applies (rescue "
			       "#%" PRIu64 "); ",
			       li, a->version == 1 ? "under_oom" : "reclaim behind memory.high", us,
			       failcnt_delta, vm->limit.label, from, tos, vm->hold_applies,
			       a->safety.rescues);
		return;
	}
	vm->hold_floor_bytes = UINT64_MAX; /* no limit during the hold */
	act_msg_append(msg, msglen, "stuck at its limit, cannot raise %s (%s): removing it; ",
		       vm->limit.label, strerror(-r));
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

/* v1 refused a step (EBUSY: the kernel could not reclaim that much now). Hold the
 * limit at usage + a step, never at usage itself: at usage the next fault would have
 * nothing to reclaim either. */
static int cg_v1_refused(struct act_cgroup *a, struct act_cgroup_vm *vm, uint64_t cur,
			 uint64_t want, char *msg, size_t msglen)
{
	a->safety.refused++;
	uint64_t usage = 0, held = cur;
	bool have_usage = cg_read_u64(vm, "memory.usage_in_bytes", &usage) == 0;
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

void act_cgroup_pass_begin(struct act_cgroup *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	a->pass_on = true;
	a->pass_left = a->step_bytes;
	pthread_mutex_unlock(&a->mu);
}

/* The next limit toward target, within this pass's budget of reclaim: what falls
 * below min(current, usage) is taken from it; none left, the limit stays as it is
 * (not even down to usage: a cgroup at its limit must reclaim on its next fault). */
static uint64_t cg_next_in_pass(struct act_cgroup *a, uint64_t cur, uint64_t usage,
				uint64_t target)
{
	if (!a->pass_on)
		return act_cgroup_next_limit(cur, usage, target, a->step_bytes);
	uint64_t up = cg_page_up(usage), from = cur < up ? cur : up;
	if (a->pass_left < 4096)
		return cur;
	uint64_t next = act_cgroup_next_limit(cur, usage, target, a->pass_left);
	if (next < from)
		a->pass_left -= from - next < a->pass_left ? from - next : a->pass_left;
	return next;
}

static int cg_set_limit(struct act_cgroup *a, struct act_cgroup_vm *vm, uint64_t limit_bytes,
			char *msg, size_t msglen)
{
	if (limit_bytes)
		act_cgroup_watch_vm(a, vm, msg, msglen);
	if (vm->hold_applies > 0) {
		vm->hold_applies--;
		if (vm->hold_floor_bytes == UINT64_MAX)
			limit_bytes = 0;
		else if (limit_bytes && limit_bytes < vm->hold_floor_bytes)
			limit_bytes = vm->hold_floor_bytes;
	}
	if (limit_bytes == 0) {
		vm->rescues_in_row = 0;
		return cg_unlimit(a, vm, msg, msglen);
	}
	limit_bytes = cg_page_up(limit_bytes);
	if (vm->dry_created) {
		act_msg_append(msg, msglen, "would set %s=%" PRIu64 " in %s; ", vm->limit.label,
			       limit_bytes, vm->dir);
		return 0;
	}
	int r;
	if (a->version == 1) {
		r = cg_oom_guard_on(a, vm, msg, msglen);
		if (r < 0)
			return r;
		/* Reclaim from this cgroup goes to swap as readily as to page cache. */
		r = act_knob_set(&vm->swappiness, "100", a->dry_run, msg, msglen);
		if (r < 0)
			return r;
	}
	uint64_t cur = cg_limit_now(vm), next = limit_bytes, usage = 0;
	if (limit_bytes < cur) {
		r = cg_usage(a, vm, &usage);
		if (r < 0) {
			act_msg_append(msg, msglen, "cannot read the usage of %s (%s): limit not "
				       "lowered; ", vm->dir, strerror(-r));
			return r;
		}
		next = cg_next_in_pass(a, cur, usage, limit_bytes);
		if (next >= cur)
			return 0;
	}
	char v[24];
	snprintf(v, sizeof(v), "%" PRIu64, next);
	r = act_knob_set(&vm->limit, v, a->dry_run, msg, msglen);
	if (r == -EBUSY && a->version == 1)
		return cg_v1_refused(a, vm, cur, next, msg, msglen);
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
	if (next != limit_bytes) {
		char ls[32], us[32];
		size_format_pair(limit_bytes, usage, ls, us, sizeof(ls));
		act_msg_append(msg, msglen, "stepping down to %s (usage %s); ", ls, us);
	}
	return 0;
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
			(void)!cg_release(a, vm, msg, msglen);
		} else if (recreated) {
			act_msg_append(msg, msglen, "cgroup %s went away or was recreated; ",
				       vm->dir);
			act_knob_forget(&vm->limit);
			act_knob_forget(&vm->swappiness);
			act_knob_forget(&vm->oom_guard);
			act_cgroup_watch_disarm(vm);
			vm->resolved = false;
			vm->created = false;
		}
	}
	/* No limit for a VM blimp never limited: nothing to do, unless a blimpd that
	 * died left a limit on its cgroup (recorded in originals): then resolve it (a
	 * cgroup QEMU has to itself only) and let the limit knob restore it. */
	bool leftover = false;
	if (limit_bytes == 0 && (!vm || !vm->resolved) && act_originals_pending(a->originals)) {
		char dir[PATH_MAX];
		leftover = cg_pid_dir(a, pid, dir, NULL, 0) == 0 &&
			   act_originals_pending_in(a->originals, dir);
	}
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
		r = cg_resolve(a, vm, !leftover, msg, msglen);
		if (r == -EAGAIN)
			return 0; /* shares its cgroup now: the exit restores the leftover */
		if (r < 0)
			return r;
	}
	return cg_set_limit(a, vm, limit_bytes, msg, msglen);
}

int act_cgroup_apply(struct act_cgroup *a, const char *name, pid_t pid, uint64_t limit_bytes,
		     char *msg, size_t msglen)
{
	pthread_mutex_lock(&a->mu);
	int r = cg_apply(a, name, pid, limit_bytes, msg, msglen);
	pthread_mutex_unlock(&a->mu);
	return r;
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
		r = cg_release(a, vm, msg, msglen);
		cg_drop(a, vm);
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
		int r = cg_release(a, vm, msg, msglen);
		if (r < 0 && ret == 0)
			ret = r;
		cg_drop(a, vm);
	}
	/* Undo +memory, deepest first; a cgroup still using it refuses (EBUSY). */
	while (a->n_enabled > 0) {
		char *dir = a->enabled[--a->n_enabled];
		char sc[PATH_MAX + 32];
		if (!a->dry_run && cg_join(sc, sizeof(sc), dir, "cgroup.subtree_control") == 0) {
			int r = act_write_file(sc, "-memory");
			if (r < 0 && r != -ENOENT)
				act_msg_append(msg, msglen, "left +memory in %s: %s; ", sc,
					       strerror(-r));
			else if (r == 0)
				act_msg_append(msg, msglen, "-memory in %s; ", sc);
		}
		free(dir);
	}
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
