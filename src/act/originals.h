/*
 * Host settings' originals on disk (STATE/host-originals), so they survive a blimpd
 * killed with SIGKILL: a knob (act/knob.h) records the value it found the first time
 * it changes it, before the write; the next blimpd loads the file, and its knobs take
 * the recorded value as their original (restore-on-exit then puts back the true
 * original, not the dead blimpd's setting). A clean exit restores what no knob
 * claimed and removes the file.
 *
 * The file is untrusted input: every line is validated (known knob labels, the file
 * name each label belongs to, values within that knob's bounds, sane absolute
 * paths) and a file with any bad line is set aside as PATH.bad and ignored as a
 * whole. An entry whose file is gone or is another object now (device and inode
 * differ: a recreated cgroup) is dropped, never written. A file from another boot is
 * removed: the kernel has reset those settings since.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct act_originals;

/* Load path (missing = empty). boot_id: this boot's id
 * (/proc/sys/kernel/random/boot_id), NULL to skip that check. *out is always set
 * unless -ENOMEM/-ENAMETOOLONG is returned; note gets one line for the log when
 * something was loaded, dropped, set aside or ignored (empty otherwise).
 * Returns 0, or -errno only for failures that leave no store (then *out is NULL). */
int act_originals_open(const char *path, const char *boot_id, struct act_originals **out,
		       char *note, size_t notelen) __attribute__((warn_unused_result));
/* Frees memory only: the file stays as it is (a "crash" in tests). */
void act_originals_free(struct act_originals *o);

/* Was the file refused as corrupt at open (log it as an error)? */
bool act_originals_refused(const struct act_originals *o);
/* Entries held (claimed or not) and those no knob has claimed yet. */
size_t act_originals_count(const struct act_originals *o);
size_t act_originals_pending(const struct act_originals *o);
/* Is there an unclaimed entry for a file directly in dir? (act/cgroup: does this
 * VM's cgroup carry a limit a dead blimpd set?) */
bool act_originals_pending_in(const struct act_originals *o, const char *dir);

/* A knob (label, path) starting up: if the file holds its original and path is still
 * the same object, copy it to value and return 1 (the entry is now claimed), else 0. */
int act_originals_claim(struct act_originals *o, const char *label, const char *path, char *value,
			size_t len) __attribute__((warn_unused_result));

/* Record (label, path) = value before blimp first changes path; the file is
 * rewritten atomically (tmp + fsync + rename + fsync of the directory). An entry
 * already there for path is kept as it is (the older original wins).
 * -EINVAL if label/value/path fail validation; -errno of the file write. */
int act_originals_put(struct act_originals *o, const char *label, const char *path,
		      const char *value) __attribute__((warn_unused_result));

/* Forget path's entry (restored, or the object went away); rewrites the file, or
 * removes it when nothing is left. 0 (also if there was none) or -errno. */
int act_originals_drop(struct act_originals *o, const char *path)
    __attribute__((warn_unused_result));

/* Clean exit, after every actuator restored its knobs: write back the entries no
 * knob claimed (a dead blimpd's changes this one never touched) where the file is
 * still the same object, then remove the file, or keep what could not be restored
 * for the next blimpd. msg says what was done. 0 or the first -errno. */
int act_originals_finish(struct act_originals *o, char *msg, size_t msglen)
    __attribute__((warn_unused_result));

/* Is label a knob blimp knows, path a file that label may name, value within its
 * bounds? (What act_originals_put and the loader accept.) */
bool act_originals_valid(const char *label, const char *path, const char *value);
