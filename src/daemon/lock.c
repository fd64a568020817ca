/*
 * DESIGN: flock, not a pid file check: the kernel drops the lock when the holder dies
 * (even by SIGKILL), so a stale file never blocks a restart. The contents are only
 * for the message; they are rewritten by each holder after it has the lock.
 */
#include "daemon/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "util/fs.h"

int daemon_lock_parse(const char *text, pid_t *pid, char *state_dir, size_t dirlen)
{
	char *end;
	errno = 0;
	long p = strtol(text, &end, 10);
	if (errno || end == text || p <= 0 || p > INT_MAX || *end != ' ')
		return -EINVAL;
	const char *dir = end + 1;
	size_t n = strcspn(dir, "\n");
	if (n == 0 || n >= dirlen)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)dir[i] < 0x20 || dir[i] == 0x7f)
			return -EINVAL;
	memcpy(state_dir, dir, n);
	state_dir[n] = '\0';
	*pid = (pid_t)p;
	return 0;
}

/* Who holds it, as far as the file says. */
static void lock_describe(int fd, char *err, size_t errlen, const char *path)
{
	char buf[PATH_MAX + 32], dir[PATH_MAX];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	pid_t pid;
	if (n > 0) {
		buf[n] = '\0';
		if (daemon_lock_parse(buf, &pid, dir, sizeof(dir)) == 0) {
			snprintf(err, errlen,
				 "another blimpd (pid %d, state dir %s) is running: it holds %s",
				 (int)pid, dir, path);
			return;
		}
	}
	snprintf(err, errlen, "another blimpd is running: it holds %s (pid not recorded yet)",
		 path);
}

int daemon_lock_take(const char *path, const char *state_dir, int *fd_out, char *err,
		     size_t errlen)
{
	char dir[PATH_MAX];
	size_t len = strlen(path);
	const char *slash = strrchr(path, '/');
	if (!slash || len >= sizeof(dir)) {
		snprintf(err, errlen, "lock file %s: not an absolute path", path);
		return -EINVAL;
	}
	if (slash > path) {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		int r = util_mkdir_p(dir, 0755, 0755);
		if (r < 0) {
			snprintf(err, errlen, "cannot create %s for the lock file: %s", dir,
				 strerror(-r));
			return r;
		}
	}
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		int r = -errno;
		snprintf(err, errlen, "cannot open lock file %s: %s", path, strerror(errno));
		return r;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int r = -errno;
		if (r == -EWOULDBLOCK)
			lock_describe(fd, err, errlen, path);
		else
			snprintf(err, errlen, "cannot lock %s: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	char line[PATH_MAX + 32];
	int n = snprintf(line, sizeof(line), "%d %s\n", (int)getpid(), state_dir);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t)n, 0) != n) {
		int r = -errno;
		snprintf(err, errlen, "cannot write lock file %s: %s", path, strerror(errno));
		close(fd);
		return r;
	}
	*fd_out = fd;
	return 0;
}
