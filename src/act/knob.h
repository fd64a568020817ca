/*
 * One host setting file (sysfs, cgroupfs, procfs) that an actuator may change:
 * remembers the value found the first time it was read, the value last applied,
 * and whether blimp wrote it, so each change is written once and undone on exit.
 * Dry-run knobs read but never write.
 */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define ACT_KNOB_VALUE_MAX 64

struct act_originals;

struct act_knob {
	char path[PATH_MAX];
	const char *label;	       /* short name for messages, e.g. "ksm.run" */
	char orig[ACT_KNOB_VALUE_MAX]; /* value found before blimp's first write */
	char last[ACT_KNOB_VALUE_MAX]; /* value last applied (or would have been, dry-run) */
	bool have_orig;
	bool have_last;
	bool written;			 /* blimp changed it: restore on exit */
	struct act_originals *originals; /* on-disk originals (act/originals.h), or NULL */
	bool persisted;			 /* originals holds this knob's entry */
};

/* Set path and label; clears all remembered state. -ENAMETOOLONG if it does not fit. */
int act_knob_init(struct act_knob *k, const char *label, const char *dir, const char *file)
    __attribute__((warn_unused_result));

/* Use originals (NULL: none) for this knob: its original is recorded there before
 * blimp's first write, and dropped when restored or forgotten. If the file already
 * holds this knob's original (an earlier blimpd died), that becomes the original and
 * the knob counts as changed by blimp, so exit restores it even if this blimpd never
 * writes. Call after act_knob_init. */
void act_knob_bind(struct act_knob *k, struct act_originals *originals);

/* Make the file hold value. Does nothing if value was the last one applied; reads
 * the file the first time (to remember the original). Appends what it did (or would
 * do) to msg as "label old->new; ". Returns 1 if it wrote (or would write), 0 if
 * nothing changed, -errno on failure (with the reason appended to msg). */
int act_knob_set(struct act_knob *k, const char *value, bool dry_run, char *msg, size_t msglen)
    __attribute__((warn_unused_result));

/* Put back the original value if blimp wrote one. Returns 1 if restored, 0 if there
 * was nothing to do, -errno on failure. Forgets the applied state either way. */
int act_knob_restore(struct act_knob *k, bool dry_run, char *msg, size_t msglen)
    __attribute__((warn_unused_result));

/* Record that value was written by someone on the knob's behalf (a stepped write):
 * marks it written (restore on exit) and last-applied. The original must have been
 * read already (a failed act_knob_set did that). */
void act_knob_mark_written(struct act_knob *k, const char *value);

/* Forget everything (the object behind the file went away; its recorded original
 * too); keeps path, label and the originals binding. */
void act_knob_forget(struct act_knob *k);

/* File helpers shared by the actuators. Read a small file, trailing whitespace
 * stripped; -EFBIG if it does not fit in len. */
int act_read_file(const char *path, char *buf, size_t len) __attribute__((warn_unused_result));
/* Write a string to an existing file in one write(2); 0 or -errno. */
int act_write_file(const char *path, const char *value) __attribute__((warn_unused_result));
/* Append printf-formatted text to msg (always NUL-terminated, truncates). */
void act_msg_append(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
