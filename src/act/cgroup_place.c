/*
 * Placement (act/cgroup): which memory cgroup a VM's QEMU is in, and making it one
 * of its own when it shares one.
 *
 * DESIGN: resolution (first apply, or after the VM restarted or its cgroup was
 * recreated): PROC/PID/cgroup -> the memory cgroup; on v2 walk up out of threaded
 * cgroups (libvirt puts threads in .../emulator, vcpuN; memory is set on the domain).
 * If QEMU is alone in it (cgroup.procs holds only its PID) it is the VM's cgroup.
 * Otherwise blimp makes DIR/blimp/NAME and moves QEMU's process (v1: and every thread
 * through tasks) in. v2 needs +memory in cgroup.subtree_control of every ancestor; a
 * non-root parent with processes refuses that (no internal processes) and blimp falls
 * back to ROOT/blimp/NAME. Teardown order: set limits back, move processes back,
 * rmdir what blimp created, then (last VM) undo +memory where blimp added it.
 */
#include <dirent.h>
#include <errno.h>
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
	/* A new cgroup: no rescue of it yet (the policy resets its hold when the count
	 * goes down). */
	vm->rescues = vm->rescues_observed = 0;
	vm->rescue_bytes = 0;
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
int act_cgroup_pid_dir(struct act_cgroup *a, pid_t pid, char *dir, char *msg, size_t msglen)
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
int act_cgroup_resolve(struct act_cgroup *a, struct act_cgroup_vm *vm, bool may_create,
		       char *msg, size_t msglen)
{
	char dir[PATH_MAX];
	int r = act_cgroup_pid_dir(a, vm->pid, dir, msg, msglen);
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
int act_cgroup_unplace(struct act_cgroup *a, struct act_cgroup_vm *vm, char *msg, size_t msglen)
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
	act_cgroup_forget(vm);
	vm->dry_created = false;
	return ret;
}

void act_cgroup_forget(struct act_cgroup_vm *vm)
{
	act_knob_forget(&vm->limit);
	act_knob_forget(&vm->swappiness);
	act_knob_forget(&vm->oom_guard);
	act_cgroup_watch_disarm(vm);
	vm->resolved = false;
	vm->created = false;
}

void act_cgroup_drop(struct act_cgroup *a, struct act_cgroup_vm *vm)
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

void act_cgroup_undelegate(struct act_cgroup *a, char *msg, size_t msglen)
{
	/* Deepest first; a cgroup still using it refuses (EBUSY). */
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
}
