/*
 * Host swap for blimp (off unless swapfile_size is set): creates a swap file,
 * writes its header with mkswap (label "blimp"), enables it with swapon(2) at a
 * priority, and turns zswap on while it is active (when the kernel has zswap). On
 * exit: swapoff, unlink, zswap back as it was. A swap area blimp did not create
 * (no "blimp" label, or any other path) is never touched.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct act_originals;

#define ACT_SWAP_LABEL "blimp"

struct act_swap_opts {
	const char *path;	/* the swap file, absolute */
	uint64_t size_bytes;	/* rounded down to pages; at least 40 KiB */
	int priority;		/* 0..32767, or -1 for the kernel's default */
	bool zswap;		/* enable zswap while the swap file is on */
	const char *sysfs_root; /* "/sys" (zswap parameters) */
	const char *proc_root;	/* "/proc" (/proc/swaps) */
	bool dry_run;
	struct act_originals *originals; /* zswap's original on disk (act/originals.h) */
	/* Tests only: stand-ins for swapon(2)/swapoff(2); NULL = the real calls. */
	int (*swapon)(const char *path, int flags, void *arg);
	int (*swapoff)(const char *path, void *arg);
	void *hook_arg;
};

struct act_swap;

/* Checks the options (no I/O). NULL with *err = -EINVAL / -ENOMEM. */
struct act_swap *act_swap_new(const struct act_swap_opts *o, int *err);
void act_swap_free(struct act_swap *s);

/* Create and enable the swap file (idempotent: once on, does nothing). A leftover
 * file with blimp's label (an earlier blimpd died) is reused; any other existing
 * file is refused with -EEXIST. 0 or -errno, msg says what happened. */
int act_swap_enable(struct act_swap *s, char *msg, size_t msglen)
    __attribute__((warn_unused_result));

/* Is blimp's swap file on now (by this object)? */
bool act_swap_active(const struct act_swap *s);

/* swapoff + unlink what blimp created, zswap back. 0 or the first -errno. */
int act_swap_restore(struct act_swap *s, char *msg, size_t msglen)
    __attribute__((warn_unused_result));

/* A swap file left by a blimpd that died (and not configured now): if path carries
 * blimp's label, swapoff (when PROC/swaps lists it) and unlink. 0 (also when there
 * is no file), -EEXIST when it is not blimp's (left alone), or -errno. */
int act_swap_remove_leftover(const char *path, const char *proc_root, char *msg, size_t msglen)
    __attribute__((warn_unused_result));

/* Does the file at path carry a swap header with blimp's label? 1, 0 or -errno. */
int act_swap_is_ours(const char *path) __attribute__((warn_unused_result));
