/*
 * Internal to act/cgroup: the per-VM and per-host state shared by its files, one
 * concern each:
 *   cgroup.c        the API: lifecycle, apply, observe, release, restore (the lock);
 *   cgroup_place.c  placement: which cgroup a VM's QEMU is in, creating blimp/NAME
 *                   and moving QEMU in, and back out on release;
 *   cgroup_limit.c  writing the limit the caller asks for (the policy steps it);
 *   cgroup_guard.c  the OOM guard: oom_kill_disable, a stuck cgroup's rescue, a
 *                   refused step;
 *   cgroup_watch.c  the watcher thread that rescues while the main loop is busy.
 * Every field is guarded by act_cgroup.mu once the watcher runs.
 */
#pragma once
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "act/cgroup.h"
#include "act/knob.h"

#define CG_NAME_MAX 64
#define CG_MAX_ENABLED 64 /* v2 directories where blimp added +memory */

struct act_cgroup_vm {
	char name[CG_NAME_MAX];
	pid_t pid;
	uint64_t starttime;
	bool resolved;
	bool dry_created;	 /* dry-run: the cgroup would be created, it does not exist */
	char dir[PATH_MAX];	 /* the cgroup blimp limits */
	char orig_dir[PATH_MAX]; /* where QEMU was (moved back there on release) */
	char blimp_dir[PATH_MAX];
	dev_t dev;
	ino_t ino;
	bool created;		    /* dir is DIR/blimp/NAME, made (or left over) by blimp */
	struct act_knob limit;	    /* v1 memory.limit_in_bytes, v2 memory.high */
	struct act_knob swappiness; /* v1 only */
	struct act_knob oom_guard;  /* v1 memory.oom_control: oom_kill_disable (orig "0"/"1") */
	/* Rescues since the cgroup was resolved, and the limit the last one set
	 * (UINT64_MAX: it could not raise it and took the limit off); the policy holds
	 * the limit after one (policy/actions.c). */
	uint64_t rescues;
	uint64_t rescue_bytes;
	uint64_t rescues_observed; /* rescues when the caller last observed: an apply that
				    * lowers after an unseen rescue waits a pass */
	bool have_kills;
	uint64_t kills; /* memory.oom_control oom_kill when last looked */
	bool have_failcnt;
	uint64_t failcnt; /* memory.failcnt when last looked */
	int oom_efd;	  /* v1: eventfd the kernel signals on OOM (cgroup.event_control), or -1 */
	int oom_cfd;	  /* its memory.oom_control fd, or -1 */
};

struct act_cgroup {
	char proc_root[PATH_MAX];
	char root[PATH_MAX];	   /* memory controller mount */
	char mount_root[PATH_MAX]; /* hierarchy path mounted at root */
	int version;
	bool dry_run;
	uint64_t step_bytes; /* a rescue's headroom above usage */
	struct act_cgroup_safety safety;
	struct act_originals *originals; /* limits' originals on disk, or NULL */
	int (*on_mkdir)(const char *dir, void *arg);
	int (*rmdir_hook)(const char *dir, void *arg);
	void *hook_arg;
	struct act_cgroup_vm **vms;
	size_t n_vms;
	char *enabled[CG_MAX_ENABLED]; /* v2: +memory added here, in order */
	size_t n_enabled;
	char *blimp_dirs[CG_MAX_ENABLED]; /* DIR/blimp directories blimp created */
	size_t n_blimp_dirs;
	/* The watcher (cgroup_watch.c): started with the first limit when
	 * watch_period_ms > 0. */
	pthread_mutex_t mu;
	uint32_t watch_period_ms;
	bool watch_on;
	pthread_t watch_thread;
	int watch_stop_fd; /* eventfd: written to stop the watcher; -1 before it runs */
};

static inline uint64_t cg_page_up(uint64_t v)
{
	return v > UINT64_MAX - 4095 ? UINT64_MAX & ~(uint64_t)4095 : (v + 4095) & ~(uint64_t)4095;
}

static inline uint64_t cg_add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static inline int cg_join(char *out, size_t len, const char *dir, const char *file)
{
	return snprintf(out, len, "%s/%s", dir, file) >= (int)len ? -ENAMETOOLONG : 0;
}

/* cgroup_place.c. The memory cgroup directory of pid (dir has PATH_MAX bytes). */
int act_cgroup_pid_dir(struct act_cgroup *a, pid_t pid, char *dir, char *msg, size_t msglen);
/* Find (or, may_create, make) vm's cgroup and move QEMU in; -EAGAIN where blimp
 * would have to create one and may not. */
int act_cgroup_resolve(struct act_cgroup *a, struct act_cgroup_vm *vm, bool may_create,
		       char *msg, size_t msglen);
/* Undo one VM: limits back, processes back, created cgroups removed. */
int act_cgroup_unplace(struct act_cgroup *a, struct act_cgroup_vm *vm, char *msg, size_t msglen);
/* Forget what was known of vm's cgroup (it went away): resolved afresh next time. */
void act_cgroup_forget(struct act_cgroup_vm *vm);
/* Forget vm (after act_cgroup_unplace) and free it. */
void act_cgroup_drop(struct act_cgroup *a, struct act_cgroup_vm *vm);
/* v2: -memory where blimp added +memory, deepest first (exit). */
void act_cgroup_undelegate(struct act_cgroup *a, char *msg, size_t msglen);

/* cgroup_limit.c. A number from a file of vm's cgroup. */
int act_cgroup_read_u64(const struct act_cgroup_vm *vm, const char *file, uint64_t *out);
/* What is charged to vm's cgroup now. */
int act_cgroup_usage(const struct act_cgroup *a, const struct act_cgroup_vm *vm, uint64_t *out);
/* The limit in force: the last one blimp applied, else what the file holds
 * (UINT64_MAX: none, or unreadable). */
uint64_t act_cgroup_limit_now(const struct act_cgroup_vm *vm);
/* Write limit_bytes (0: none) to vm's cgroup, with the OOM guard first (v1). */
int act_cgroup_set_limit(struct act_cgroup *a, struct act_cgroup_vm *vm, uint64_t limit_bytes,
			 char *msg, size_t msglen);

/* cgroup_guard.c. v1: oom_kill_disable = 1 before any limit. */
int act_cgroup_guard_on(struct act_cgroup *a, struct act_cgroup_vm *vm, char *msg,
			size_t msglen);
/* v1 refused a lower limit (EBUSY): hold it at usage + a step. Returns -EBUSY. */
int act_cgroup_v1_refused(struct act_cgroup *a, struct act_cgroup_vm *vm, uint64_t cur,
			  uint64_t want, char *msg, size_t msglen);
/* Is vm's cgroup stuck at its limit? If so raise the limit at once, count it (the
 * policy holds it there), and say so in msg. Caller holds a->mu. */
void act_cgroup_watch_vm(struct act_cgroup *a, struct act_cgroup_vm *vm, char *msg, size_t msglen);

/* cgroup_watch.c. Start the watcher if configured and not running (0 or -errno);
 * caller holds a->mu. */
int act_cgroup_watch_start(struct act_cgroup *a);
/* Stop and join it; caller does NOT hold a->mu. */
void act_cgroup_watch_stop(struct act_cgroup *a);
/* v1: ask the kernel for an eventfd signal when vm's cgroup goes OOM; best effort
 * (the watcher polls anyway). Caller holds a->mu. */
void act_cgroup_watch_arm(struct act_cgroup_vm *vm);
void act_cgroup_watch_disarm(struct act_cgroup_vm *vm);
