/*
 * One blimpd per host: an flock(2) on a lock file (default /run/blimp/blimpd.lock)
 * held for blimpd's life. The holder writes "PID STATE_DIR" into it, so a second
 * blimpd can name the first. Two blimpds on one host would each record the other's
 * KSM and swap settings as the host's originals and fight over the same memory.
 */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/* Take the lock at path (creating its directory, mode 0755). On success *fd_out holds
 * it until exit (close-on-exec). -EWOULDBLOCK: another blimpd holds it, err names it
 * ("pid N, state dir X"); other -errno: err says why. */
int daemon_lock_take(const char *path, const char *state_dir, int *fd_out, char *err,
		     size_t errlen) __attribute__((warn_unused_result));

/* Parse a lock file's contents "PID STATE_DIR\n" (pure). 0 or -EINVAL. */
int daemon_lock_parse(const char *text, pid_t *pid, char *state_dir, size_t dirlen)
	__attribute__((warn_unused_result));
