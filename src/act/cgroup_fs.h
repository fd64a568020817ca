/*
 * Reading the cgroup side of a process (internal to act/cgroup): where the memory
 * controller is mounted, which memory cgroup a process is in, who else is in it,
 * and the process's start time (so a recycled PID is never taken for the old VM).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* From PROC/self/mountinfo: the memory controller's mount point and version (1 or 2),
 * and the hierarchy path mounted there (usually "/"). v1 is preferred when a
 * "cgroup" mount carries the memory option; else a cgroup2 mount whose
 * cgroup.controllers lists memory. -ENOENT if there is none. */
int act_cgroup_fs_detect(const char *proc_root, char *mount, size_t mlen, char *mroot, size_t rlen,
			 int *version) __attribute__((warn_unused_result));

/* The memory cgroup path of PID from PROC/PID/cgroup ("/machine/x"): for v1 the line
 * whose controller list has "memory", for v2 the "0::" line. -ENOENT if absent,
 * -EINVAL on a malformed file. */
int act_cgroup_fs_pid_path(const char *proc_root, pid_t pid, int version, char *path, size_t len)
    __attribute__((warn_unused_result));

/* Field 22 of PROC/PID/stat (start time in clock ticks since boot). */
int act_cgroup_fs_starttime(const char *proc_root, pid_t pid, uint64_t *out)
    __attribute__((warn_unused_result));

/* PIDs listed in FILE (cgroup.procs, tasks, children: whitespace-separated decimal).
 * *out is malloc'd (may be NULL when *n == 0). -EINVAL on garbage. */
int act_cgroup_fs_read_pids(const char *file, pid_t **out, size_t *n)
    __attribute__((warn_unused_result));

/* Does the space-separated word list in FILE contain word? (cgroup.controllers,
 * cgroup.subtree_control). 1, 0 or -errno. */
int act_cgroup_fs_has_word(const char *file, const char *word) __attribute__((warn_unused_result));

/* v1: is a cgroup that shows under_oom still stuck at limit? A cgroup stalled at its
 * limit has usage within one charge (a huge page) of it. When usage is more than
 * ACT_CGROUP_OOM_SLACK (or half a step, if larger) below the limit, the flag is
 * stale: the limit was just raised and the kernel has not woken the waiters yet, so
 * raising again would only spend a rescue. Unknown usage (have_usage false) or no
 * limit trusts the flag. */
#define ACT_CGROUP_OOM_SLACK (8ULL << 20)
bool act_cgroup_v1_stuck(bool under_oom, bool have_usage, uint64_t usage, uint64_t limit,
			 uint64_t step_bytes);

/* v1 memory.oom_control, three lines: "oom_kill_disable 0|1", "under_oom 0|1" and
 * (kernels since 4.13) "oom_kill N". */
struct act_cgroup_oom {
	bool kill_disable;
	bool under_oom; /* charges are waiting: the cgroup is at its limit, nothing reclaimable */
	bool have_kills;
	uint64_t kills; /* OOM kills in this cgroup so far */
};

/* Parse memory.oom_control's text. -EINVAL unless both flags are there as 0 or 1. */
int act_cgroup_fs_oom_parse(const char *text, struct act_cgroup_oom *out)
    __attribute__((warn_unused_result));

/* A decimal counter or size file (memory.usage_in_bytes, memory.failcnt,
 * memory.current, memory.high); "max" reads as UINT64_MAX. -EINVAL on garbage. */
int act_cgroup_fs_read_u64(const char *file, uint64_t *out) __attribute__((warn_unused_result));
