/* Small filesystem helpers shared by the daemon's modules. */
#pragma once
#include <sys/types.h>

/* mkdir -p: every missing parent of path with parent_mode, path itself with mode;
 * directories already there are left as they are. 0 or -errno (-ENAMETOOLONG past
 * PATH_MAX). */
int util_mkdir_p(const char *path, mode_t parent_mode, mode_t mode)
    __attribute__((warn_unused_result));
