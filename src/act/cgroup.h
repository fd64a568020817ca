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
 * The limit written is the caller's: how fast it falls and how long it stays up
 * after a rescue is policy (policy_actions). The actuator keeps the emergency only:
 * a cgroup found stuck at its limit (v1 under_oom, v2 usage a step above
 * memory.high) has its limit raised at once (a rescue), by a watcher thread too (the
 * caller's loop may be blocked on that very QEMU), and reported by act_cgroup_observe.
 * The functions below are thread-safe against that watcher (one mutex), not meant
 * for several callers at once.
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
	/* A rescue raises a stuck limit to usage + this (page-aligned); 0 =
	 * ACT_CGROUP_RESCUE_STEP_DEFAULT. */
	uint64_t rescue_step_bytes;
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

/* A rescue's headroom above usage: one policy step (POLICY_CGROUP_STEP_BYTES), so
 * the limit it sets is where the step-down would have begun. */
#define ACT_CGROUP_RESCUE_STEP_DEFAULT (64ULL << 20)

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

/* Make VM name (QEMU pid) have host memory limit limit_bytes (page-aligned up); 0 =
 * no limit (a limit blimp set before is set back). Resolves and creates the cgroup
 * the first time and again when the VM restarted. Before writing, a cgroup stuck at
 * its limit is rescued; a lower limit after a rescue the caller has not observed
 * (act_cgroup_observe) is not written this time. msg tells what was done (or would
 * be, in dry-run); empty when nothing changed. 0 or -errno:
 *   -EINVAL bad name/pid, -ESRCH no such process, -EBUSY (v2) the parent cgroup has
 *   processes so +memory cannot be delegated, -EBUSY (v1) the kernel could not
 *   reclaim down to it (held at usage + a step, retried on the next apply),
 *   -EOPNOTSUPP and friends (v1) oom_kill_disable cannot be set: no limit is set. */
int act_cgroup_apply(struct act_cgroup *a, const char *name, pid_t pid, uint64_t limit_bytes,
		     char *msg, size_t msglen) __attribute__((warn_unused_result));

/* What is in force in a VM's cgroup, for the policy's diff (policy_applied). */
struct act_cgroup_seen {
	bool tracked;	       /* blimp resolved the cgroup of this run of the VM */
	bool leftover;	       /* not tracked, but an old blimpd's limit waits there */
	uint64_t limit_bytes;  /* blimp's limit in force; UINT64_MAX = none */
	uint64_t usage_bytes;  /* charged to it now; 0 = unknown */
	uint64_t rescues;      /* rescues since blimp resolved it */
	uint64_t rescue_bytes; /* the limit the last one set; UINT64_MAX: it took it off */
};
/* Fill *out for VM name (QEMU pid); marks the rescues as seen (see act_cgroup_apply).
 * Reads two small files of a tracked VM; creates nothing. 0 or -EINVAL. */
int act_cgroup_observe(struct act_cgroup *a, const char *name, pid_t pid,
		       struct act_cgroup_seen *out);

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
