/*
 * DESIGN: the staged name carries a hash of the source's directory, so two guests'
 * vmlinux never share a slot; a link or copy is made under a temporary name, given the
 * source's mtime and renamed into place, so a crash never leaves a half file that a
 * later size+mtime check would take for current.
 */
#include "daemon/guest_stage.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/qemu_access.h"
#include "util/fs.h"
#include "util/log.h"

static uint64_t stage_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static int stage_copy(int in, int out)
{
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
			return -errno;
		break;
	}
	char buf[1 << 16];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			off += w;
		}
	}
}

/* tmp <- src: a hard link, else a copy with src's mode bits for others and its mtime */
static int stage_make(const char *src, const struct stat *st, const char *tmp)
{
	unlink(tmp);
	if (link(src, tmp) == 0)
		return 0;
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		int r = -errno;
		close(in);
		return r;
	}
	int r = stage_copy(in, out);
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	if (r == 0 && futimens(out, ts) < 0)
		r = -errno;
	close(in);
	if (close(out) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int daemon_guest_stage(const char *state_dir, uid_t uid, gid_t gid, const char *src, char *out,
		       size_t outlen, char *err, size_t errlen)
{
	char blocker[PATH_MAX];
	int r = daemon_qemu_reach(uid, gid, src, blocker, sizeof(blocker));
	if (r != -EACCES) { /* reachable, or unknown: libvirt will say */
		if (snprintf(out, outlen, "%s", src) >= (int)outlen)
			return -ENAMETOOLONG;
		return 0;
	}
	const char *base = strrchr(src, '/');
	base = base ? base + 1 : src;
	char dir[PATH_MAX], tmp[PATH_MAX + 32];
	if (snprintf(dir, sizeof(dir), "%s/staged", state_dir) >= (int)sizeof(dir) ||
	    snprintf(out, outlen, "%s/%016llx-%s", dir,
		     (unsigned long long)stage_hash(src, (size_t)(base - src)),
		     base) >= (int)outlen ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp.%d", out, (int)getpid()) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "state directory path too long to stage %.200s", src);
		return -ENAMETOOLONG;
	}
	struct stat st, cur;
	if (stat(src, &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "%.300s: %s", src, strerror(-r));
		return r;
	}
	if (stat(out, &cur) == 0 && cur.st_size == st.st_size &&
	    cur.st_mtim.tv_sec == st.st_mtim.tv_sec && cur.st_mtim.tv_nsec == st.st_mtim.tv_nsec)
		return 0;
	if ((r = util_mkdir_p(dir, 0711, 0711)) < 0 || (r = stage_make(src, &st, tmp)) < 0 ||
	    (rename(tmp, out) < 0 && (r = -errno) < 0)) {
		unlink(tmp);
		snprintf(err, errlen, "cannot stage %.200s for QEMU in %.200s: %s", src, dir,
			 strerror(-r));
		return r;
	}
	log_info("vm", "%s staged as %s: QEMU's user cannot search %s", src, out, blocker);
	return 0;
}
