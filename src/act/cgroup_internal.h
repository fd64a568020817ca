/*
 * Internal to act/cgroup: the per-VM and per-host state shared by cgroup.c (apply,
 * release, restore) and cgroup_watch.c (the watcher thread that rescues a cgroup
 * stuck at its limit while the main loop is busy). Every field is guarded by
 * act_cgroup.mu once the watcher runs.
 */
#pragma once
#include <limits.h>
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
	uint64_t hold_floor_bytes;  /* after a rescue: the limit stays at least this */
	unsigned hold_applies;	    /* ... for this many more applies */
	unsigned rescues_in_row;    /* rescues since this limit was set (doubles the hold) */
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
	uint64_t step_bytes; /* most a limit falls per apply */
	bool pass_on;	     /* act_cgroup_pass_begin was called: a fleet-wide budget */
	uint64_t pass_left;  /* reclaim still allowed in this pass (of step_bytes) */
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

/* Is vm's cgroup stuck at its limit? If so raise the limit at once, hold it, count
 * it, and say so in msg (cgroup.c). Caller holds a->mu. */
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
