/*
 * Host swap limits for VMs through the memory cgroup of each VM's QEMU process,
 * cgroup v1 (memory.limit_in_bytes + memory.swappiness=100) or v2 (memory.high,
 * reclaim + throttle; memory.swap.max left as it is, normally unlimited).
 *
 * A VM whose QEMU sits in a cgroup of its own (libvirt's machine/qemu-...) is limited
 * there. A VM whose QEMU shares its cgroup with other processes (or sits in the
 * root) gets CGROUP/blimp/NAME below that cgroup, created by blimp, with every QEMU
 * thread moved in. On release/restore the limits are set back, processes move back
 * to where they were, and the cgroups blimp created are removed.
 *
 * VMs are tracked by identity: the QEMU PID with its start time, and the cgroup
 * directory's inode. A restarted VM or a recreated cgroup is resolved afresh.
 *
 * A limit never OOM-kills QEMU (docs/actuators.md, "Host swap safety"): v1 sets
 * memory.oom_control oom_kill_disable=1 before the first limit (no limit without
 * it) and restores it after the limit; v2 uses memory.high only, never memory.max.
 * Limits fall by at most one step per apply and rise at once; a cgroup found stuck
 * at its limit (v1 under_oom, v2 usage a step above memory.high) has its limit
 * raised at once and held there for a while, by a watcher thread too (the caller's
 * loop may be blocked on that very QEMU). The functions below are thread-safe
 * against that watcher (one mutex), not meant for several callers at once.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct act_originals;

struct act_cgroup_opts {
	const char *proc_root;	       /* "/proc" */
	const char *cgroup_root;       /* memory controller mount; NULL = detect from mountinfo */
	const char *cgroup_mount_root; /* hierarchy path mounted there; NULL = "/" */
	int version;		       /* 1 or 2; 0 with cgroup_root NULL = detect */
	bool dry_run;
	/* Most a limit falls per apply (page-aligned); 0 = ACT_CGROUP_STEP_DEFAULT. */
	uint64_t step_down_bytes;
	/* A thread watches every limited cgroup this often (v1: and at once on the
	 * kernel's OOM eventfd) and rescues a stuck one, also while the caller is
	 * blocked elsewhere (a libvirt call to a stalled QEMU). 0 = no thread: only
	 * act_cgroup_apply looks (tests). blimpd: ACT_CGROUP_WATCH_MS. */
	uint32_t watch_period_ms;
	/* Limits' originals on disk (act/originals.h), NULL = none. A VM whose cgroup
	 * still carries a limit from a blimpd that died gets it restored on its first
	 * apply, also with limit 0. */
	struct act_originals *originals;
	/* Tests only: a fake cgroupfs does not make control files on mkdir or refuse
	 * rmdir of a populated cgroup; these hooks stand in for the kernel. NULL on
	 * a real host. Each returns 0 or -errno. */
	int (*on_mkdir)(const char *dir, void *arg);
	int (*rmdir)(const char *dir, void *arg);
	void *hook_arg;
};

struct act_cgroup;

/* 64 MiB per apply (a second at the default balance period): swap-out at a rate a
 * disk sustains, so the reclaim each step asks for is done before the next one. */
#define ACT_CGROUP_STEP_DEFAULT (64ULL << 20)
/* After a rescue the limit is not lowered again for this many applies (a minute at
 * the default period, as long as the policy's host-swap hold); doubled for each
 * further rescue under the same limit, up to 16x. */
#define ACT_CGROUP_RESCUE_HOLD_APPLIES 60U

/* The watcher's period in blimpd: a stalled QEMU is rescued within this (v1: at once
 * on the OOM event); reading three small files per limited VM costs ~20 us. */
#define ACT_CGROUP_WATCH_MS 100U

/* Safety counters since act_cgroup_new. */
struct act_cgroup_safety {
	uint64_t rescues;   /* limits raised at once: cgroup stuck at its limit */
	uint64_t refused;   /* v1 lower limits refused (EBUSY): held at usage + a step */
	uint64_t oom_kills; /* OOM kills the kernel counted in a cgroup blimp limited (v1
			     * memory.oom_control oom_kill; should stay 0) */
};

/* NULL with *err set (-ENOENT: no memory controller, -ENOMEM, -ENAMETOOLONG). */
struct act_cgroup *act_cgroup_new(const struct act_cgroup_opts *o, int *err);
void act_cgroup_free(struct act_cgroup *a);
int act_cgroup_version(const struct act_cgroup *a);

/* Make VM name (QEMU pid) have host memory limit limit_bytes; 0 = no limit (a
 * limit blimp set before is set back). Resolves and creates the cgroup the first
 * time and again when the VM restarted. msg tells what was done (or would be, in
 * dry-run); empty when nothing changed. 0 or -errno:
 *   -EINVAL bad name/pid, -ESRCH no such process, -EBUSY (v2) the parent cgroup has
 *   processes so +memory cannot be delegated, -EBUSY (v1) the kernel could not
 *   reclaim down to the step (held at usage + a step, retried on the next apply),
 *   -EOPNOTSUPP and friends (v1) oom_kill_disable cannot be set: no limit is set.
 * A limit lower than the one in force is approached a step per call
 * (step_down_bytes below min(limit, usage)); a higher one is written at once. */
int act_cgroup_apply(struct act_cgroup *a, const char *name, pid_t pid, uint64_t limit_bytes,
		     char *msg, size_t msglen) __attribute__((warn_unused_result));

/* A pass of applies over the fleet begins: from here until the next call, the limits
 * lowered fall by at most step_down_bytes *in total* below min(limit, usage), i.e.
 * the host is asked for one step of reclaim per pass, not one per VM (bench/density,
 * session 5: four VMs stepped down 64 MiB each in one second on a swap file that
 * took ~40 MiB/s; one cgroup went under_oom, a kernel-context charge failed and
 * QEMU's monitor with it: libvirt killed the VM). Without a call each apply gets a
 * step of its own (tests, single VMs). */
void act_cgroup_pass_begin(struct act_cgroup *a);

/* The safety counters (for the log and status). */
void act_cgroup_safety_get(struct act_cgroup *a, struct act_cgroup_safety *out);
/* The safety counters moved from s0 to s1 for vm: one event per kind that moved
 * (cgroup_event.c); source says which path acted ("apply" or "watcher"). */
void act_cgroup_safety_events(const char *vm, const char *source, const char *detail,
			      const struct act_cgroup_safety *s0,
			      const struct act_cgroup_safety *s1);

/* The cgroup directory blimp manages for name (for status and collectors).
 * -ENOENT if the VM is not tracked. */
int act_cgroup_dir(struct act_cgroup *a, const char *name, char *buf, size_t len)
    __attribute__((warn_unused_result));

/* Undo everything for one VM (it stopped, or blimp no longer manages it). */
int act_cgroup_release(struct act_cgroup *a, const char *name, char *msg, size_t msglen)
    __attribute__((warn_unused_result));

/* Undo everything for every VM (blimpd exiting). 0 or the first -errno. */
int act_cgroup_restore(struct act_cgroup *a, char *msg, size_t msglen)
    __attribute__((warn_unused_result));
