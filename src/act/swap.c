/*
 * DESIGN: ownership is proven by the file itself: blimp writes its swap header with
 * the label "blimp", and only a file with that label is ever swapped off or
 * unlinked, so a swap area an admin made is safe even across blimpd crashes.
 * Space: fallocate(2) first (fast); where the filesystem lacks it, or swapon refuses
 * a fallocated file (unwritten extents on some filesystems), the file is written
 * with zeros and mkswap runs again. mkswap (util-linux) writes the header; blimp
 * does not reimplement it. The child is always waited for.
 */
#include "act/swap.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <unistd.h>

#include "act/knob.h"
#include "act/originals.h"
#include "model/model.h"
#include "util/size.h"

extern char **environ;

#define SWAP_MIN_BYTES (40 * 1024)
#define SWAP_ZERO_CHUNK (1024 * 1024)

struct act_swap {
	struct act_swap_opts o;
	char path[PATH_MAX];
	char proc_swaps[PATH_MAX];
	struct act_knob zswap;
	bool zswap_present;
	bool created; /* the file is blimp's (made now, or a labelled leftover) */
	bool active;  /* swapon done by this object */
};

struct act_swap *act_swap_new(const struct act_swap_opts *o, int *err)
{
	int dummy;
	if (!err)
		err = &dummy;
	*err = -EINVAL;
	if (!o->path || o->path[0] != '/' || strlen(o->path) >= PATH_MAX ||
	    o->size_bytes < SWAP_MIN_BYTES || o->priority < -1 || o->priority > 32767)
		return NULL;
	struct act_swap *s = calloc(1, sizeof(*s));
	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	s->o = *o;
	s->o.size_bytes &= ~(uint64_t)(MODEL_PAGE_SIZE - 1);
	snprintf(s->path, sizeof(s->path), "%s", o->path);
	s->o.path = s->path;
	const char *proc = o->proc_root ? o->proc_root : "/proc";
	const char *sys = o->sysfs_root ? o->sysfs_root : "/sys";
	char zdir[PATH_MAX];
	if (snprintf(s->proc_swaps, sizeof(s->proc_swaps), "%s/swaps", proc) >=
		(int)sizeof(s->proc_swaps) ||
	    snprintf(zdir, sizeof(zdir), "%s/module/zswap/parameters", sys) >= (int)sizeof(zdir) ||
	    act_knob_init(&s->zswap, "zswap.enabled", zdir, "enabled") < 0) {
		free(s);
		return NULL;
	}
	act_knob_bind(&s->zswap, o->originals);
	/* A swap file an earlier blimpd left at this path is this object's to handle:
	 * enable adopts it (after checking its label), restore removes it. */
	char off[8];
	(void)!act_originals_claim(o->originals, "swap.file", s->path, off, sizeof(off));
	s->zswap_present = access(s->zswap.path, F_OK) == 0;
	*err = 0;
	return s;
}

void act_swap_free(struct act_swap *s)
{
	free(s);
}

bool act_swap_active(const struct act_swap *s)
{
	return s->active;
}

int act_swap_is_ours(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* swap header v1: magic "SWAPSPACE2" in the last 10 bytes of page 0; the label
	 * (16 bytes) at 1024 + version, last_page, nr_badpages (4 each) + uuid (16). */
	long page = sysconf(_SC_PAGESIZE);
	if (page < 4096 || page > 65536)
		page = 4096;
	char magic[10], label[16];
	int ret = 0;
	if (pread(fd, magic, sizeof(magic), page - 10) == (ssize_t)sizeof(magic) &&
	    memcmp(magic, "SWAPSPACE2", 10) == 0 &&
	    pread(fd, label, sizeof(label), 1024 + 12 + 16) == (ssize_t)sizeof(label) &&
	    strncmp(label, ACT_SWAP_LABEL, sizeof(label)) == 0)
		ret = 1;
	close(fd);
	return ret;
}

/* Is path listed in /proc/swaps? 1, 0, -errno. Paths there escape spaces as \040. */
static int swap_listed(const struct act_swap *s)
{
	FILE *f = fopen(s->proc_swaps, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	char line[PATH_MAX + 128];
	int ret = 0;
	while (fgets(line, sizeof(line), f)) {
		char *sp = strchr(line, ' ');
		char *tab = strchr(line, '\t');
		if (tab && (!sp || tab < sp))
			sp = tab;
		if (!sp)
			continue;
		*sp = '\0';
		char name[PATH_MAX];
		size_t w = 0;
		for (char *r = line; *r && w < sizeof(name) - 1; r++) {
			if (r[0] == '\\' && r[1] == '0' && r[2] == '4' && r[3] == '0') {
				name[w++] = ' ';
				r += 3;
			} else {
				name[w++] = *r;
			}
		}
		name[w] = '\0';
		if (strcmp(name, s->path) == 0) {
			ret = 1;
			break;
		}
	}
	fclose(f);
	return ret;
}

static int swap_run_mkswap(const char *path)
{
	static const char *const candidates[] = {"/usr/sbin/mkswap", "/sbin/mkswap", "mkswap"};
	char *const argv[] = {(char *)"mkswap", (char *)"-L", (char *)ACT_SWAP_LABEL, (char *)path,
			      NULL};
	posix_spawn_file_actions_t fa;
	if (posix_spawn_file_actions_init(&fa) != 0)
		return -ENOMEM;
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	int ret = -ENOENT;
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		pid_t pid;
		if (candidates[i][0] == '/' && access(candidates[i], X_OK) != 0)
			continue;
		int r = candidates[i][0] == '/'
			    ? posix_spawn(&pid, candidates[i], &fa, NULL, argv, environ)
			    : posix_spawnp(&pid, candidates[i], &fa, NULL, argv, environ);
		if (r != 0) {
			ret = -r;
			continue;
		}
		int status;
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				ret = -errno;
				goto out;
			}
		}
		ret = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
		break;
	}
out:
	posix_spawn_file_actions_destroy(&fa);
	return ret;
}

/* Write zeros over the whole file (for filesystems where fallocate won't do). */
static int swap_zero_fill(int fd, uint64_t size)
{
	char *buf = calloc(1, SWAP_ZERO_CHUNK);
	if (!buf)
		return -ENOMEM;
	int ret = 0;
	for (uint64_t off = 0; off < size;) {
		size_t n = size - off < SWAP_ZERO_CHUNK ? (size_t)(size - off) : SWAP_ZERO_CHUNK;
		ssize_t w = pwrite(fd, buf, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		off += (uint64_t)w;
	}
	free(buf);
	if (ret == 0 && fsync(fd) < 0)
		ret = -errno;
	return ret;
}

static int swap_do_swapon(struct act_swap *s)
{
	int flags = 0;
	if (s->o.priority >= 0)
		flags = SWAP_FLAG_PREFER |
			((s->o.priority << SWAP_FLAG_PRIO_SHIFT) & SWAP_FLAG_PRIO_MASK);
	if (s->o.swapon)
		return s->o.swapon(s->path, flags, s->o.hook_arg);
	return swapon(s->path, flags) < 0 ? -errno : 0;
}

static int swap_do_swapoff(struct act_swap *s)
{
	if (s->o.swapoff)
		return s->o.swapoff(s->path, s->o.hook_arg);
	return swapoff(s->path) < 0 ? -errno : 0;
}

/* Make the file: fallocate, or zeros where that is not supported. */
static int swap_create_file(struct act_swap *s, bool zeros, char *msg, size_t msglen)
{
	int fd = open(s->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		int r = -errno;
		act_msg_append(msg, msglen, "cannot create %s: %s; ", s->path, strerror(-r));
		return r;
	}
	s->created = true;
	int r = 0;
	if (!zeros && fallocate(fd, 0, 0, (off_t)s->o.size_bytes) < 0) {
		r = -errno;
		if (r == -EOPNOTSUPP || r == -ENOSYS) {
			zeros = true;
			r = 0;
		}
	}
	if (r == 0 && zeros)
		r = swap_zero_fill(fd, s->o.size_bytes);
	if (r == 0 && fchmod(fd, 0600) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		char sz[32];
		act_msg_append(msg, msglen, "cannot allocate %s for %s: %s; ",
			       size_format(s->o.size_bytes, sz, sizeof(sz)), s->path, strerror(-r));
		unlink(s->path);
		s->created = false;
		return r;
	}
	r = swap_run_mkswap(s->path);
	if (r < 0) {
		act_msg_append(msg, msglen, "mkswap %s failed: %s; ", s->path, strerror(-r));
		unlink(s->path);
		s->created = false;
		return r;
	}
	act_msg_append(msg, msglen, "created %s (%" PRIu64 " MiB, %s); ", s->path,
		       s->o.size_bytes >> 20, zeros ? "written" : "fallocated");
	return 0;
}

int act_swap_enable(struct act_swap *s, char *msg, size_t msglen)
{
	if (msg && msglen)
		msg[0] = '\0';
	if (s->active)
		return 0;
	int listed = swap_listed(s);
	if (listed < 0) {
		act_msg_append(msg, msglen, "cannot read %s: %s; ", s->proc_swaps,
			       strerror(-listed));
		return listed;
	}
	int ours = act_swap_is_ours(s->path);
	bool exists = ours != -ENOENT;
	if (exists && ours != 1) {
		act_msg_append(msg, msglen, "%s exists and is not blimp's swap file: left alone; ",
			       s->path);
		return ours < 0 ? ours : -EEXIST;
	}
	if (s->o.dry_run) {
		act_msg_append(msg, msglen, "would %s %s (%" PRIu64 " MiB), mkswap, swapon%s; ",
			       exists ? "reuse" : "create", s->path, s->o.size_bytes >> 20,
			       listed ? " (already on)" : "");
		if (s->o.zswap && s->zswap_present)
			(void)!act_knob_set(&s->zswap, "Y", true, msg, msglen);
		return 0;
	}
	int r;
	if (exists) {
		/* Left by an earlier blimpd: ours. */
		s->created = true;
		act_msg_append(msg, msglen, "reusing blimp's %s; ", s->path);
		struct stat st;
		if (!listed && stat(s->path, &st) == 0 && (uint64_t)st.st_size != s->o.size_bytes) {
			unlink(s->path);
			s->created = false;
			exists = false;
		}
	}
	if (!exists) {
		r = swap_create_file(s, false, msg, msglen);
		if (r < 0)
			return r;
	}
	if (!listed) {
		r = swap_do_swapon(s);
		if (r == -EBUSY && exists) {
			/* blimp's file, on already: an earlier blimpd swapped it on in another
			 * mount namespace (systemd's ProtectSystem=/ReadWritePaths= bind
			 * mounts), and once that namespace is gone /proc/swaps names it by
			 * the path below that mount ("/swapfile"). swapoff(2) by this path
			 * still finds it (by inode). */
			act_msg_append(msg, msglen, "on already (not under this path in %s); ",
				       s->proc_swaps);
			r = 0;
		}
		if (r == -EINVAL) {
			/* Some filesystems refuse fallocated (unwritten) extents: write it. */
			act_msg_append(msg, msglen, "swapon refused the file, writing zeros; ");
			unlink(s->path);
			s->created = false;
			r = swap_create_file(s, true, msg, msglen);
			if (r == 0)
				r = swap_do_swapon(s);
		}
		if (r < 0) {
			act_msg_append(msg, msglen, "swapon %s failed: %s; ", s->path,
				       strerror(-r));
			if (s->created) {
				unlink(s->path);
				s->created = false;
			}
			return r;
		}
	}
	s->active = true;
	/* recorded, so a blimpd that dies leaves a way to remove it (act/originals.h) */
	r = s->o.originals ? act_originals_put(s->o.originals, "swap.file", s->path, "off") : 0;
	if (r < 0)
		act_msg_append(msg, msglen, "swap file not recorded in the originals (%s); ",
			       strerror(-r));
	if (s->o.priority >= 0)
		act_msg_append(msg, msglen, "swapon %s priority %d; ", s->path, s->o.priority);
	else
		act_msg_append(msg, msglen, "swapon %s; ", s->path);
	if (s->o.zswap) {
		if (!s->zswap_present) {
			act_msg_append(msg, msglen, "no zswap in this kernel; ");
		} else {
			r = act_knob_set(&s->zswap, "Y", false, msg, msglen);
			if (r < 0)
				return r; /* swap stays on; restore turns it off */
		}
	}
	return 0;
}

int act_swap_restore(struct act_swap *s, char *msg, size_t msglen)
{
	if (msg && msglen)
		msg[0] = '\0';
	int ret = 0;
	int r = act_knob_restore(&s->zswap, s->o.dry_run, msg, msglen);
	if (r < 0)
		ret = r;
	if (s->active) {
		/* Check the label again: never swap off what is not blimp's. */
		if (act_swap_is_ours(s->path) != 1) {
			act_msg_append(msg, msglen,
				       "%s is no longer blimp's swap file: left alone; ", s->path);
			s->active = false;
			s->created = false;
			return ret ? ret : -EEXIST;
		}
		r = swap_do_swapoff(s);
		if (r < 0) {
			act_msg_append(msg, msglen, "swapoff %s failed: %s (left on); ", s->path,
				       strerror(-r));
			return ret ? ret : r;
		}
		s->active = false;
		act_msg_append(msg, msglen, "swapoff %s; ", s->path);
	}
	if (s->created) {
		if (unlink(s->path) < 0 && errno != ENOENT) {
			r = -errno;
			act_msg_append(msg, msglen, "cannot remove %s: %s; ", s->path,
				       strerror(-r));
			if (ret == 0)
				ret = r;
		} else {
			act_msg_append(msg, msglen, "removed %s; ", s->path);
			r = act_originals_drop(s->o.originals, s->path);
			if (r < 0)
				act_msg_append(msg, msglen, "cannot update the originals: %s; ",
					       strerror(-r));
		}
		s->created = false;
	}
	return ret;
}

int act_swap_remove_leftover(const char *path, const char *proc_root, char *msg, size_t msglen)
{
	int ours = act_swap_is_ours(path);
	if (ours == -ENOENT)
		return 0;
	if (ours != 1) {
		act_msg_append(msg, msglen, "%s is not blimp's swap file: left alone; ", path);
		return ours < 0 ? ours : -EEXIST;
	}
	struct act_swap_opts o = {
	    .path = path, .size_bytes = SWAP_MIN_BYTES, .priority = -1, .proc_root = proc_root};
	int err = 0;
	struct act_swap *s = act_swap_new(&o, &err);
	if (!s)
		return err;
	int listed = swap_listed(s);
	if (listed < 0) {
		act_msg_append(msg, msglen, "cannot read %s: %s; ", s->proc_swaps,
			       strerror(-listed));
		act_swap_free(s);
		return listed;
	}
	/* Not listed may still be on under another mount namespace's path (see
	 * act_swap_enable): swapoff by path finds it; -EINVAL: it was off. */
	if (listed != 1 && swap_do_swapoff(s) == 0)
		act_msg_append(msg, msglen, "swapoff %s (on, not under this path in %s); ", path,
			       s->proc_swaps);
	s->active = listed == 1;
	s->created = true;
	char m[512] = "";
	int r = act_swap_restore(s, m, sizeof(m));
	act_msg_append(msg, msglen, "%s", m);
	act_swap_free(s);
	return r;
}
