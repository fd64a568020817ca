/*
 * DESIGN: the host-originals file, one entry a line after a two-line header:
 *
 *   blimp-host-originals 1
 *   boot_id 6f1c...            ("-" when unknown)
 *   knob LABEL DEV INO VALUE PATH
 *
 * PATH is the rest of the line (it may hold spaces; never a newline). DEV and INO
 * name the file's identity when the original was recorded: an entry is used only
 * while the path is still that object, so a cgroup recreated under the same name
 * never gets a dead VM's limit "restored". The whole file is rewritten on every
 * change (entries are few: three KSM knobs, zswap, two per limited VM; changes are
 * rare: a knob's first write and its restore), atomically: tmp, fsync, rename,
 * fsync of the directory. Loading is all or nothing: one bad line and the file is
 * set aside (PATH.bad, for the admin to read) and nothing in it is trusted.
 */
#include "act/originals.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "act/knob.h"
#include "act/swap.h"
#include "util/fs.h"

#define ORIG_MAGIC "blimp-host-originals 1"
#define ORIG_MAX_ENTRIES 1024
#define ORIG_MAX_FILE_BYTES (1024 * 1024)
#define ORIG_LABEL_MAX 32
#define ORIG_BOOT_ID_MAX 64

struct orig_entry {
	char label[ORIG_LABEL_MAX];
	char value[ACT_KNOB_VALUE_MAX];
	char *path;
	uint64_t dev, ino;
	bool claimed;
};

struct act_originals {
	char path[PATH_MAX];
	char boot_id[ORIG_BOOT_ID_MAX];
	struct orig_entry *e;
	size_t n, cap;
	bool refused;
};

void act_originals_free(struct act_originals *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++)
		free(o->e[i].path);
	free(o->e);
	free(o);
}

bool act_originals_refused(const struct act_originals *o)
{
	return o && o->refused;
}

size_t act_originals_count(const struct act_originals *o)
{
	return o ? o->n : 0;
}

size_t act_originals_pending(const struct act_originals *o)
{
	size_t n = 0;
	for (size_t i = 0; o && i < o->n; i++)
		n += !o->e[i].claimed;
	return n;
}

bool act_originals_pending_in(const struct act_originals *o, const char *dir)
{
	size_t dl = strlen(dir);
	for (size_t i = 0; o && i < o->n; i++) {
		const char *p = o->e[i].path;
		if (!o->e[i].claimed && strncmp(p, dir, dl) == 0 && p[dl] == '/' &&
		    !strchr(p + dl + 1, '/'))
			return true;
	}
	return false;
}

static struct orig_entry *orig_find(struct act_originals *o, const char *path)
{
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->e[i].path, path) == 0)
			return &o->e[i];
	return NULL;
}

static void orig_remove(struct act_originals *o, struct orig_entry *e)
{
	free(e->path);
	*e = o->e[--o->n];
}

static int orig_add(struct act_originals *o, const char *label, const char *path, const char *value,
		    uint64_t dev, uint64_t ino)
{
	if (o->n == ORIG_MAX_ENTRIES)
		return -ENOSPC;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 8;
		struct orig_entry *ne = realloc(o->e, cap * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		o->e = ne;
		o->cap = cap;
	}
	struct orig_entry *e = &o->e[o->n];
	memset(e, 0, sizeof(*e));
	e->path = strdup(path);
	if (!e->path)
		return -ENOMEM;
	snprintf(e->label, sizeof(e->label), "%s", label);
	snprintf(e->value, sizeof(e->value), "%s", value);
	e->dev = dev;
	e->ino = ino;
	o->n++;
	return 0;
}

/* Is path still the object the entry was recorded for? */
static bool orig_same_object(const struct orig_entry *e)
{
	struct stat st;
	return stat(e->path, &st) == 0 && (uint64_t)st.st_dev == e->dev &&
	       (uint64_t)st.st_ino == e->ino;
}

/* The whole store to disk (or the file removed when empty). */
static int orig_save(struct act_originals *o)
{
	if (o->n == 0)
		return util_unlink_durable(o->path);
	size_t cap = 128 + o->n * (PATH_MAX + 256), len = 0;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	len += (size_t)snprintf(buf + len, cap - len, "%s\nboot_id %s\n", ORIG_MAGIC,
				o->boot_id[0] ? o->boot_id : "-");
	for (size_t i = 0; i < o->n; i++) {
		const struct orig_entry *e = &o->e[i];
		len += (size_t)snprintf(buf + len, cap - len,
					"knob %s %" PRIu64 " %" PRIu64 " %s %s\n", e->label, e->dev,
					e->ino, e->value, e->path);
	}
	int r = util_write_atomic(o->path, buf, len, 0600);
	free(buf);
	return r;
}

/* Split off the next space-separated field of *s; NULL if there is none. */
static char *orig_field(char **s)
{
	char *f = *s;
	if (!f || !*f || *f == ' ')
		return NULL;
	char *sp = strchr(f, ' ');
	if (sp) {
		*sp = '\0';
		*s = sp + 1;
	} else {
		*s = NULL;
	}
	return f;
}

static bool orig_u64(const char *s, uint64_t *v)
{
	if (!s || !*s || strlen(s) > 20)
		return false;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end || s[0] < '0' || s[0] > '9')
		return false;
	*v = x;
	return true;
}

/* Parse buf (NUL-terminated, the whole file) into o. -EINVAL with why on garbage,
 * -ESTALE when it belongs to another boot. */
static int orig_parse(struct act_originals *o, char *buf, const char *boot_id, char *why,
		      size_t whylen)
{
	int line_no = 0;
	for (char *line = buf, *next; line && *line; line = next) {
		line_no++;
		next = strchr(line, '\n');
		if (!next) {
			snprintf(why, whylen, "line %d: no newline at the end (truncated?)",
				 line_no);
			return -EINVAL;
		}
		*next++ = '\0';
		if (line_no == 1) {
			if (strcmp(line, ORIG_MAGIC) != 0) {
				snprintf(why, whylen, "line 1: not \"%s\"", ORIG_MAGIC);
				return -EINVAL;
			}
			continue;
		}
		char *rest = line;
		char *kw = orig_field(&rest);
		if (line_no == 2) {
			char *id = orig_field(&rest);
			if (!kw || strcmp(kw, "boot_id") != 0 || !id || rest ||
			    strlen(id) >= ORIG_BOOT_ID_MAX) {
				snprintf(why, whylen, "line 2: no boot_id");
				return -EINVAL;
			}
			if (boot_id && strcmp(id, "-") != 0 && strcmp(id, boot_id) != 0) {
				snprintf(why, whylen, "written during another boot (%s)", id);
				return -ESTALE;
			}
			continue;
		}
		char *label = orig_field(&rest), *dev_s = orig_field(&rest);
		char *ino_s = orig_field(&rest), *value = orig_field(&rest);
		const char *path = rest;
		uint64_t dev, ino;
		if (!kw || strcmp(kw, "knob") != 0 || !label || !value || !path) {
			snprintf(why, whylen, "line %d: not \"knob LABEL DEV INO VALUE PATH\"",
				 line_no);
			return -EINVAL;
		}
		if (!orig_u64(dev_s, &dev) || !orig_u64(ino_s, &ino)) {
			snprintf(why, whylen, "line %d: bad device or inode number", line_no);
			return -EINVAL;
		}
		if (strlen(label) >= ORIG_LABEL_MAX || strlen(value) >= ACT_KNOB_VALUE_MAX ||
		    !act_originals_valid(label, path, value)) {
			snprintf(why, whylen,
				 "line %d: not a knob blimp changes, or a value out of its bounds",
				 line_no);
			return -EINVAL;
		}
		if (orig_find(o, path)) {
			snprintf(why, whylen, "line %d: a second entry for one file", line_no);
			return -EINVAL;
		}
		int r = orig_add(o, label, path, value, dev, ino);
		if (r < 0) {
			snprintf(why, whylen, "line %d: %s", line_no,
				 r == -ENOSPC ? "too many entries" : strerror(-r));
			return r == -ENOSPC ? -EINVAL : r;
		}
	}
	if (line_no < 2) {
		snprintf(why, whylen, "no header");
		return -EINVAL;
	}
	return 0;
}

int act_originals_open(const char *path, const char *boot_id, struct act_originals **out,
		       char *note, size_t notelen)
{
	*out = NULL;
	if (note && notelen)
		note[0] = '\0';
	struct act_originals *o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	if (snprintf(o->path, sizeof(o->path), "%s", path) >= (int)sizeof(o->path) - 8) {
		free(o);
		return -ENAMETOOLONG;
	}
	if (boot_id && strlen(boot_id) < ORIG_BOOT_ID_MAX && strchr(boot_id, ' ') == NULL)
		snprintf(o->boot_id, sizeof(o->boot_id), "%s", boot_id);
	char *buf = NULL;
	size_t len = 0;
	int r = util_read_all(path, ORIG_MAX_FILE_BYTES, &buf, &len);
	if (r == -ENOENT) {
		*out = o;
		return 0;
	}
	char why[256] = "";
	if (r == 0 && strlen(buf) != len) {
		snprintf(why, sizeof(why), "a NUL byte in it");
		r = -EINVAL;
	} else if (r == -EFBIG) {
		snprintf(why, sizeof(why), "larger than %d bytes", ORIG_MAX_FILE_BYTES);
		r = -EINVAL;
	} else if (r < 0) {
		snprintf(why, sizeof(why), "%s", strerror(-r));
		r = -EINVAL;
	} else {
		r = orig_parse(o, buf, o->boot_id[0] ? o->boot_id : NULL, why, sizeof(why));
	}
	free(buf);
	if (r == -ENOMEM) {
		act_originals_free(o);
		return r;
	}
	if (r < 0) {
		for (size_t i = 0; i < o->n; i++)
			free(o->e[i].path);
		o->n = 0;
	}
	if (r == -ESTALE) {
		act_msg_append(note, notelen,
			       "%s ignored and removed: %s; the kernel has reset those settings "
			       "since",
			       path, why);
		unlink(path);
	} else if (r < 0) {
		char bad[PATH_MAX + 8];
		snprintf(bad, sizeof(bad), "%s.bad", path);
		o->refused = true;
		int mv = rename(path, bad) < 0 ? -errno : 0;
		act_msg_append(note, notelen,
			       "%s is corrupt (%s): ignored, nothing in it restored; %s%s", path,
			       why, mv ? "could not set it aside: " : "set aside as ",
			       mv ? strerror(-mv) : bad);
	} else {
		size_t loaded = o->n, gone = 0;
		for (size_t i = 0; i < o->n;) {
			if (orig_same_object(&o->e[i])) {
				i++;
				continue;
			}
			orig_remove(o, &o->e[i]);
			gone++;
		}
		act_msg_append(note, notelen,
			       "%zu original host setting(s) left by an earlier blimpd in %s",
			       loaded, path);
		if (gone)
			act_msg_append(note, notelen,
				       ", %zu dropped (the file is gone or is another object now)",
				       gone);
	}
	*out = o;
	return 0;
}

int act_originals_claim(struct act_originals *o, const char *label, const char *path, char *value,
			size_t len)
{
	if (!o)
		return 0;
	struct orig_entry *e = orig_find(o, path);
	if (!e || e->claimed || strcmp(e->label, label) != 0)
		return 0;
	if (!orig_same_object(e)) {
		orig_remove(o, e);
		(void)!orig_save(o);
		return 0;
	}
	if (snprintf(value, len, "%s", e->value) >= (int)len)
		return 0;
	e->claimed = true;
	return 1;
}

int act_originals_put(struct act_originals *o, const char *label, const char *path,
		      const char *value)
{
	if (!act_originals_valid(label, path, value) || strlen(label) >= ORIG_LABEL_MAX ||
	    strlen(value) >= ACT_KNOB_VALUE_MAX)
		return -EINVAL;
	struct orig_entry *e = orig_find(o, path);
	if (e) {
		e->claimed = true;
		return 0;
	}
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	int r = orig_add(o, label, path, value, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
	if (r < 0)
		return r;
	o->e[o->n - 1].claimed = true;
	r = orig_save(o);
	if (r < 0)
		orig_remove(o, &o->e[o->n - 1]);
	return r;
}

int act_originals_drop(struct act_originals *o, const char *path)
{
	struct orig_entry *e = o ? orig_find(o, path) : NULL;
	if (!e)
		return 0;
	orig_remove(o, e);
	return orig_save(o);
}

int act_originals_finish(struct act_originals *o, char *msg, size_t msglen)
{
	int ret = 0;
	for (size_t i = 0; i < o->n;) {
		struct orig_entry *e = &o->e[i];
		if (e->claimed) {
			i++; /* its knob failed to restore it: kept for the next blimpd */
			continue;
		}
		if (!orig_same_object(e)) {
			orig_remove(o, e);
			continue;
		}
		int r = strcmp(e->label, "swap.file") == 0
			    ? act_swap_remove_leftover(e->path, "/proc", msg, msglen)
			    : act_write_file(e->path, e->value);
		if (r < 0) {
			act_msg_append(msg, msglen, "%s: cannot restore %s: %s; ", e->label,
				       e->value, strerror(-r));
			if (ret == 0)
				ret = r;
			i++;
			continue;
		}
		act_msg_append(msg, msglen, "%s restored to %s (left by an earlier blimpd); ",
			       e->label, e->value);
		orig_remove(o, e);
	}
	int r = orig_save(o);
	if (r < 0) {
		act_msg_append(msg, msglen, "cannot update %s: %s; ", o->path, strerror(-r));
		if (ret == 0)
			ret = r;
	} else if (o->n > 0) {
		act_msg_append(msg, msglen, "%zu kept in %s for the next blimpd; ", o->n, o->path);
	}
	return ret;
}
