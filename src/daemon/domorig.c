/*
 * DESIGN: the domain-originals file, one domain a line after a two-line header:
 *
 *   blimp-domain-originals 1
 *   boot_id 6f1c...                 ("-" when unknown)
 *   dom UUID ID ADOPT_BYTES PERIOD_ORIG_S PERIOD_SET_S
 *
 * All fields are required, decimal (UUID in libvirt's 36-character form). Rewritten
 * whole on every change (entries are few, changes rare: a domain adopted, a period
 * set, a domain gone) with util_write_atomic. Loading is all or nothing, as for
 * STATE/host-originals (act/originals.c).
 */
#include "daemon/domorig.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collect/parse.h"
#include "util/fs.h"

#define DOMORIG_MAGIC "blimp-domain-originals 1"
#define DOMORIG_MAX_ENTRIES 4096
#define DOMORIG_MAX_FILE_BYTES (1024 * 1024)
#define DOMORIG_BOOT_ID_MAX 64
#define DOMORIG_MAX_PERIOD_S 86400u

struct daemon_domorig {
	char path[PATH_MAX];
	char boot_id[DOMORIG_BOOT_ID_MAX];
	struct daemon_domorig_entry *e;
	size_t n, cap;
};

static bool domorig_uuid_ok(const char *u)
{
	if (strlen(u) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		char c = u[i];
		if (dash ? c != '-'
			 : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

static bool domorig_u64(const char *s, uint64_t max, uint64_t *v)
{
	return collect_u64_whole(s, strlen(s), v) == 0 && *v <= max;
}

int daemon_domorig_parse(const char *text, const char *boot_id,
			 struct daemon_domorig_entry **entries, size_t *n, char *why, size_t whylen)
{
	*entries = NULL;
	*n = 0;
	size_t cap = 0, cnt = 0;
	struct daemon_domorig_entry *e = NULL;
	int line_no = 0, r = 0;
	char line[512];
	for (const char *p = text; *p;) {
		line_no++;
		const char *nl = strchr(p, '\n');
		if (!nl) {
			snprintf(why, whylen, "line %d: no newline at the end (truncated?)", line_no);
			r = -EINVAL;
			break;
		}
		size_t len = (size_t)(nl - p);
		if (len >= sizeof(line)) {
			snprintf(why, whylen, "line %d: too long", line_no);
			r = -EINVAL;
			break;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl + 1;
		if (line_no == 1) {
			if (strcmp(line, DOMORIG_MAGIC) != 0) {
				snprintf(why, whylen, "line 1: not \"%s\"", DOMORIG_MAGIC);
				r = -EINVAL;
				break;
			}
			continue;
		}
		char f[7][80];
		char extra;
		if (line_no == 2) {
			if (sscanf(line, "%79s %63s %c", f[0], f[1], &extra) != 2 ||
			    strcmp(f[0], "boot_id") != 0 || strncmp(line, "boot_id ", 8) != 0) {
				snprintf(why, whylen, "line 2: no boot_id");
				r = -EINVAL;
				break;
			}
			if (boot_id && strcmp(f[1], "-") != 0 && strcmp(f[1], boot_id) != 0) {
				snprintf(why, whylen, "written during another boot (%s)", f[1]);
				r = -ESTALE;
				break;
			}
			continue;
		}
		uint64_t id, adopt, po, ps;
		/* single spaces only: the file is ours, anything else was edited or broken */
		int k = sscanf(line, "%79s %79s %79s %79s %79s %79s %c", f[0], f[1], f[2], f[3],
			       f[4], f[5], &extra);
		size_t flen = 0;
		for (int i = 0; i < 6 && k == 6; i++)
			flen += strlen(f[i]) + (i ? 1 : 0);
		if (k != 6 || flen != len || strcmp(f[0], "dom") != 0 || !domorig_uuid_ok(f[1]) ||
		    !domorig_u64(f[2], INT_MAX, &id) || !domorig_u64(f[3], UINT64_MAX / 2, &adopt) ||
		    !domorig_u64(f[4], DOMORIG_MAX_PERIOD_S, &po) ||
		    !domorig_u64(f[5], DOMORIG_MAX_PERIOD_S, &ps)) {
			snprintf(why, whylen,
				 "line %d: not \"dom UUID ID ADOPT_BYTES PERIOD_ORIG_S PERIOD_SET_S\"",
				 line_no);
			r = -EINVAL;
			break;
		}
		for (size_t i = 0; i < cnt; i++)
			if (strcasecmp(e[i].uuid, f[1]) == 0) {
				snprintf(why, whylen, "line %d: a second entry for %s", line_no, f[1]);
				r = -EINVAL;
			}
		if (r < 0)
			break;
		if (cnt == DOMORIG_MAX_ENTRIES) {
			snprintf(why, whylen, "more than %d entries", DOMORIG_MAX_ENTRIES);
			r = -EINVAL;
			break;
		}
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			struct daemon_domorig_entry *ne = realloc(e, cap * sizeof(*ne));
			if (!ne) {
				r = -ENOMEM;
				break;
			}
			e = ne;
		}
		struct daemon_domorig_entry *x = &e[cnt++];
		memset(x, 0, sizeof(*x));
		memcpy(x->uuid, f[1], 36); /* checked: 36 characters */
		x->uuid[36] = '\0';
		x->id = (int)id;
		x->adopt_bytes = adopt;
		x->period_orig_s = (unsigned)po;
		x->period_set_s = (unsigned)ps;
	}
	if (r == 0 && line_no < 2) {
		snprintf(why, whylen, "no header");
		r = -EINVAL;
	}
	if (r < 0) {
		free(e);
		return r;
	}
	*entries = e;
	*n = cnt;
	return 0;
}

char *daemon_domorig_format(const struct daemon_domorig_entry *e, size_t n, const char *boot_id)
{
	size_t cap = 128 + n * 128, len = 0;
	char *buf = malloc(cap);
	if (!buf)
		return NULL;
	len += (size_t)snprintf(buf, cap, "%s\nboot_id %s\n", DOMORIG_MAGIC,
				boot_id && boot_id[0] ? boot_id : "-");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len, "dom %s %d %" PRIu64 " %u %u\n",
					e[i].uuid, e[i].id, e[i].adopt_bytes, e[i].period_orig_s,
					e[i].period_set_s);
	return buf;
}

static int domorig_save(struct daemon_domorig *o)
{
	if (o->n == 0)
		return util_unlink_durable(o->path);
	char *buf = daemon_domorig_format(o->e, o->n, o->boot_id);
	if (!buf)
		return -ENOMEM;
	int r = util_write_atomic(o->path, buf, strlen(buf), 0600);
	free(buf);
	return r;
}

int daemon_domorig_open(const char *path, const char *boot_id, struct daemon_domorig **out,
			char *note, size_t notelen)
{
	*out = NULL;
	if (note && notelen)
		note[0] = '\0';
	struct daemon_domorig *o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	if (snprintf(o->path, sizeof(o->path), "%s", path) >= (int)sizeof(o->path) - 8) {
		free(o);
		return -ENAMETOOLONG;
	}
	if (boot_id && strlen(boot_id) < DOMORIG_BOOT_ID_MAX && !strpbrk(boot_id, " \n"))
		snprintf(o->boot_id, sizeof(o->boot_id), "%s", boot_id);
	char *buf = NULL, why[256] = "";
	size_t len = 0;
	int r = util_read_all(path, DOMORIG_MAX_FILE_BYTES, &buf, &len);
	if (r == -ENOENT) {
		*out = o;
		return 0;
	}
	if (r == 0 && strlen(buf) != len) {
		snprintf(why, sizeof(why), "a NUL byte in it");
		r = -EINVAL;
	} else if (r < 0) {
		snprintf(why, sizeof(why), "%s", strerror(-r));
		r = r == -ENOMEM ? r : -EINVAL;
	} else {
		r = daemon_domorig_parse(buf, o->boot_id[0] ? o->boot_id : NULL, &o->e, &o->n, why,
					 sizeof(why));
		o->cap = o->n;
	}
	free(buf);
	if (r == -ENOMEM) {
		free(o);
		return r;
	}
	if (r == -ESTALE) {
		snprintf(note, notelen, "%s ignored and removed: %s", path, why);
		(void)!util_unlink_durable(path);
	} else if (r < 0) {
		char bad[PATH_MAX + 8];
		snprintf(bad, sizeof(bad), "%s.bad", path);
		int mv = rename(path, bad) < 0 ? -errno : 0;
		snprintf(note, notelen, "%s is corrupt (%s): ignored; %s%s", path, why,
			 mv ? "could not set it aside: " : "set aside as ", mv ? strerror(-mv) : bad);
	} else {
		snprintf(note, notelen, "%zu domain original(s) left by an earlier blimpd in %s",
			 o->n, path);
	}
	*out = o;
	return 0;
}

void daemon_domorig_free(struct daemon_domorig *o)
{
	if (!o)
		return;
	free(o->e);
	free(o);
}

size_t daemon_domorig_count(const struct daemon_domorig *o)
{
	return o ? o->n : 0;
}

const struct daemon_domorig_entry *daemon_domorig_find(const struct daemon_domorig *o,
						       const char *uuid)
{
	for (size_t i = 0; o && i < o->n; i++)
		if (strcasecmp(o->e[i].uuid, uuid) == 0)
			return &o->e[i];
	return NULL;
}

int daemon_domorig_put(struct daemon_domorig *o, const struct daemon_domorig_entry *e)
{
	if (!o)
		return 0;
	if (!domorig_uuid_ok(e->uuid) || e->id < 0 || e->period_orig_s > DOMORIG_MAX_PERIOD_S ||
	    e->period_set_s > DOMORIG_MAX_PERIOD_S || e->adopt_bytes > UINT64_MAX / 2)
		return -EINVAL;
	struct daemon_domorig_entry *x = (struct daemon_domorig_entry *)daemon_domorig_find(o, e->uuid);
	struct daemon_domorig_entry old;
	bool had = x != NULL;
	if (x) {
		if (x->id == e->id && x->adopt_bytes == e->adopt_bytes &&
		    x->period_orig_s == e->period_orig_s && x->period_set_s == e->period_set_s)
			return 0;
		old = *x;
	} else {
		if (o->n == DOMORIG_MAX_ENTRIES)
			return -ENOSPC;
		if (o->n == o->cap) {
			size_t cap = o->cap ? o->cap * 2 : 8;
			struct daemon_domorig_entry *ne = realloc(o->e, cap * sizeof(*ne));
			if (!ne)
				return -ENOMEM;
			o->e = ne;
			o->cap = cap;
		}
		x = &o->e[o->n++];
	}
	*x = *e;
	int r = domorig_save(o);
	if (r < 0) {
		if (had)
			*x = old;
		else
			o->n--;
	}
	return r;
}

int daemon_domorig_drop(struct daemon_domorig *o, const char *uuid)
{
	for (size_t i = 0; o && i < o->n; i++) {
		if (strcasecmp(o->e[i].uuid, uuid) != 0)
			continue;
		o->e[i] = o->e[--o->n];
		return domorig_save(o);
	}
	return 0;
}

size_t daemon_domorig_prune(struct daemon_domorig *o, const char *const *uuids, size_t n)
{
	size_t dropped = 0;
	for (size_t i = 0; o && i < o->n;) {
		bool keep = false;
		for (size_t k = 0; k < n && !keep; k++)
			keep = strcasecmp(o->e[i].uuid, uuids[k]) == 0;
		if (keep) {
			i++;
			continue;
		}
		o->e[i] = o->e[--o->n];
		dropped++;
	}
	if (dropped)
		(void)!domorig_save(o);
	return dropped;
}
