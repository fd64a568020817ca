/*
 * DESIGN: a knob is a (path, original, last-applied) triple. The original is read
 * just before the first write, so a value an admin set before blimp started is what
 * comes back on exit. "Last applied" makes repeated plans cheap: an unchanged value
 * costs no syscall. Dry-run still reads (to say "old->new") but never writes.
 */
#include "act/knob.h"
#include "act/originals.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void act_msg_append(char *msg, size_t msglen, const char *fmt, ...)
{
	if (!msg || msglen == 0)
		return;
	size_t used = strnlen(msg, msglen);
	if (used >= msglen - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + used, msglen - used, fmt, ap);
	va_end(ap);
}

int act_read_file(const char *path, char *buf, size_t len)
{
	if (len == 0)
		return -EINVAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t got = 0;
	int ret = 0;
	for (;;) {
		if (got == len - 1) {
			char extra;
			ssize_t n = read(fd, &extra, 1);
			if (n > 0)
				ret = -EFBIG;
			else if (n < 0)
				ret = -errno;
			break;
		}
		ssize_t n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (ret < 0)
		return ret;
	buf[got] = '\0';
	if (strlen(buf) != got)
		return -EINVAL; /* embedded NUL: not a text setting */
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == ' ' || buf[got - 1] == '\t'))
		buf[--got] = '\0';
	return 0;
}

int act_write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = strlen(value);
	ssize_t n;
	do {
		n = write(fd, value, len);
	} while (n < 0 && errno == EINTR);
	int ret = 0;
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	return ret;
}

int act_knob_init(struct act_knob *k, const char *label, const char *dir, const char *file)
{
	memset(k, 0, sizeof(*k));
	k->label = label;
	int n = snprintf(k->path, sizeof(k->path), "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= sizeof(k->path))
		return -ENAMETOOLONG;
	return 0;
}

void act_knob_mark_written(struct act_knob *k, const char *value)
{
	snprintf(k->last, sizeof(k->last), "%s", value);
	k->have_last = true;
	k->written = k->have_orig;
}

void act_knob_bind(struct act_knob *k, struct act_originals *originals)
{
	k->originals = originals;
	char v[ACT_KNOB_VALUE_MAX];
	if (act_originals_claim(originals, k->label, k->path, v, sizeof(v)) == 1) {
		memcpy(k->orig, v, sizeof(k->orig));
		k->have_orig = true;
		k->written = true;
		k->persisted = true;
	}
}

/* Drop the knob's recorded original (restored, or its object is gone). */
static void knob_unpersist(struct act_knob *k, char *msg, size_t msglen)
{
	if (!k->persisted)
		return;
	int r = act_originals_drop(k->originals, k->path);
	if (r < 0)
		act_msg_append(msg, msglen, "%s: cannot update the originals file: %s; ", k->label,
			       strerror(-r));
	k->persisted = false;
}

void act_knob_forget(struct act_knob *k)
{
	knob_unpersist(k, NULL, 0);
	k->have_orig = false;
	k->have_last = false;
	k->written = false;
	k->orig[0] = '\0';
	k->last[0] = '\0';
}

int act_knob_set(struct act_knob *k, const char *value, bool dry_run, char *msg, size_t msglen)
{
	if (strlen(value) >= ACT_KNOB_VALUE_MAX)
		return -EINVAL;
	if (k->have_last && strcmp(k->last, value) == 0)
		return 0;
	char cur[ACT_KNOB_VALUE_MAX];
	int r = act_read_file(k->path, cur, sizeof(cur));
	if (r < 0) {
		act_msg_append(msg, msglen, "%s: cannot read %s: %s; ", k->label, k->path,
			       strerror(-r));
		return r;
	}
	if (!k->have_orig) {
		memcpy(k->orig, cur, sizeof(k->orig));
		k->have_orig = true;
	}
	if (strcmp(cur, value) == 0) {
		/* Already so (maybe set by someone else): nothing to write. */
		snprintf(k->last, sizeof(k->last), "%s", value);
		k->have_last = true;
		return 0;
	}
	if (dry_run) {
		act_msg_append(msg, msglen, "would set %s %s->%s; ", k->label, cur, value);
	} else {
		if (k->originals && !k->persisted) {
			/* On disk before the write: a crash between leaves an original
			 * equal to the value, which is harmless to restore. */
			r = act_originals_put(k->originals, k->label, k->path, k->orig);
			if (r < 0)
				act_msg_append(msg, msglen,
					       "%s: original %s not recorded (%s), a crash would "
					       "lose it; ",
					       k->label, k->orig, strerror(-r));
			else
				k->persisted = true;
		}
		r = act_write_file(k->path, value);
		if (r < 0) {
			act_msg_append(msg, msglen, "%s: cannot write %s to %s: %s; ", k->label,
				       value, k->path, strerror(-r));
			return r;
		}
		k->written = true;
		act_msg_append(msg, msglen, "%s %s->%s; ", k->label, cur, value);
	}
	snprintf(k->last, sizeof(k->last), "%s", value);
	k->have_last = true;
	return 1;
}

int act_knob_restore(struct act_knob *k, bool dry_run, char *msg, size_t msglen)
{
	int ret = 0;
	if (k->written && k->have_orig) {
		if (dry_run) {
			act_msg_append(msg, msglen, "would restore %s to %s; ", k->label, k->orig);
			ret = 1;
		} else {
			int r = act_write_file(k->path, k->orig);
			if (r < 0) {
				act_msg_append(msg, msglen, "%s: cannot restore %s: %s; ", k->label,
					       k->orig, strerror(-r));
				return r; /* keep the state: the caller may retry */
			} else {
				act_msg_append(msg, msglen, "%s restored to %s; ", k->label,
					       k->orig);
				ret = 1;
			}
		}
	}
	if (dry_run)
		k->persisted = false; /* dry-run changes nothing, on disk neither */
	else
		knob_unpersist(k, msg, msglen);
	act_knob_forget(k);
	return ret;
}
