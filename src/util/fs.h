/* Small filesystem helpers shared by the daemon's modules. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/* mkdir -p: every missing parent of path with parent_mode, path itself with mode;
 * directories already there are left as they are. 0 or -errno (-ENAMETOOLONG past
 * PATH_MAX). */
int util_mkdir_p(const char *path, mode_t parent_mode, mode_t mode)
    __attribute__((warn_unused_result));

/* Replace path with buf atomically (path.tmp with mode, fsync, rename, fsync of the
 * directory); path.tmp is removed on failure; never follows a symlink at path.tmp.
 * 0 or -errno. */
int util_write_atomic(const char *path, const char *buf, size_t len, mode_t mode)
    __attribute__((warn_unused_result));
/* unlink path (missing is fine), then fsync its directory. 0 or -errno. */
int util_unlink_durable(const char *path) __attribute__((warn_unused_result));
/* Read a whole small file (not a symlink) into a malloc'ed, NUL-terminated buffer.
 * -EFBIG past max bytes; -errno of open/read. *len excludes the NUL. */
int util_read_all(const char *path, size_t max, char **out, size_t *len)
    __attribute__((warn_unused_result));
