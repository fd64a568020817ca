/*
 * DESIGN: a forked child does setgroups/setgid/setuid and access(2) on each prefix of
 * the path, exiting with the number of the first prefix it cannot search (1-based,
 * capped at 250). Simpler and more exact than re-implementing permission checks
 * (ACLs, group membership) in blimpd.
 */
#include "daemon/qemu_access.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define REACH_MAX_PARTS 250

/* Prefix k (1-based) of path: "/a", "/a/b", ...; 0 or -ENOENT past the end. */
static int reach_prefix(const char *path, int k, char *out, size_t len)
{
	const char *p = path;
	for (int i = 0; i < k; i++) {
		p = strchr(p + 1, '/');
		if (!p) {
			if (i == k - 1) {
				snprintf(out, len, "%s", path);
				return 0;
			}
			return -ENOENT;
		}
	}
	size_t n = (size_t)(p - path);
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(out, path, n);
	out[n] = '\0';
	return 0;
}

int daemon_qemu_reach(uid_t uid, gid_t gid, const char *path, char *blocker, size_t len)
{
	char dir[PATH_MAX];
	if (path[0] != '/' || strlen(path) >= sizeof(dir))
		return -EINVAL;
	/* the directories: path itself only when it is one */
	snprintf(dir, sizeof(dir), "%s", path);
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		char *slash = strrchr(dir, '/');
		if (slash == dir)
			return 0; /* a file in / */
		*slash = '\0';
	}
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
			_exit(255);
		char pre[PATH_MAX];
		for (int k = 1; k <= REACH_MAX_PARTS; k++) {
			if (reach_prefix(dir, k, pre, sizeof(pre)) < 0)
				_exit(0);
			if (access(pre, X_OK) < 0)
				_exit(k);
		}
		_exit(0);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 255)
		return -EPERM;
	int k = WEXITSTATUS(status);
	if (k == 0)
		return 0;
	if (reach_prefix(dir, k, blocker, len) < 0)
		snprintf(blocker, len, "%s", dir);
	return -EACCES;
}
