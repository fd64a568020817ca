/*
 * DESIGN: cgroup v1 and v2 name the same figures differently; one struct with a
 * `found` mask holds either. Limits are normalised: v2's "max" and v1's
 * PAGE_COUNTER_MAX both become COLLECT_CGROUP_UNLIMITED. Paths from
 * /proc/PID/cgroup are checked (absolute, no "..") before being joined to root.
 */
#include "collect/cgroup.h"
#include "collect/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool has_word(const char *buf, size_t len, const char *word)
{
	size_t n = strlen(word);
	const char *p = buf, *end = buf + len;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == ','))
			p++;
		const char *s = p;
		while (p < end && *p != ' ' && *p != '\n' && *p != '\t' && *p != ',')
			p++;
		if ((size_t)(p - s) == n && memcmp(s, word, n) == 0)
			return true;
	}
	return false;
}

int collect_cgroup_version(const char *root)
{
	if (!root)
		return -EINVAL;
	char path[512], buf[512];
	size_t len;
	snprintf(path, sizeof(path), "%s/cgroup.controllers", root);
	if (collect_file_read(path, buf, sizeof(buf), &len) == 0 && has_word(buf, len, "memory"))
		return 2;
	struct stat st;
	snprintf(path, sizeof(path), "%s/memory/memory.usage_in_bytes", root);
	if (stat(path, &st) == 0)
		return 1;
	return -ENOENT;
}

static bool path_ok(const char *p, size_t n)
{
	if (n == 0 || p[0] != '/' || memchr(p, '\0', n))
		return false;
	/* no "." or ".." components */
	for (size_t i = 0; i < n;) {
		while (i < n && p[i] == '/')
			i++;
		size_t s = i;
		while (i < n && p[i] != '/')
			i++;
		size_t cl = i - s;
		if ((cl == 1 && p[s] == '.') || (cl == 2 && p[s] == '.' && p[s + 1] == '.'))
			return false;
	}
	return true;
}

int collect_cgroup_proc_parse(const char *buf, size_t len, int version, char *path, size_t cap)
{
	if (!buf || !path || cap == 0 || (version != 1 && version != 2))
		return -EINVAL;
	struct collect_lines it;
	const char *line;
	size_t ll;
	collect_lines_init(&it, buf, len);
	while (collect_lines_next(&it, &line, &ll)) {
		if (ll == 0)
			continue;
		const char *end = line + ll;
		const char *c1 = memchr(line, ':', ll);
		if (!c1)
			return -EINVAL;
		const char *c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
		if (!c2)
			return -EINVAL;
		const char *ctl = c1 + 1, *p = c2 + 1;
		size_t ctln = (size_t)(c2 - ctl);
		bool match = version == 2 ? (c1 - line == 1 && line[0] == '0' && ctln == 0)
					  : has_word(ctl, ctln, "memory");
		if (!match)
			continue;
		size_t pn = (size_t)(end - p);
		if (!path_ok(p, pn))
			return -EINVAL;
		if (pn >= cap)
			return -ENAMETOOLONG;
		memcpy(path, p, pn);
		path[pn] = '\0';
		return 0;
	}
	return -ENOENT;
}

int collect_cgroup_pid_dir(const char *root, int version, const char *proc_cgroup_file, char *dir,
			   size_t cap)
{
	if (!root || !proc_cgroup_file || !dir)
		return -EINVAL;
	char buf[4096], rel[1024];
	size_t len;
	int r = collect_file_read(proc_cgroup_file, buf, sizeof(buf), &len);
	if (r < 0)
		return r;
	if ((r = collect_cgroup_proc_parse(buf, len, version, rel, sizeof(rel))) < 0)
		return r;
	const char *usage = version == 1 ? "memory.usage_in_bytes" : "memory.current";
	/* Walk up: /a/b/c, /a/b, /a, "" (the hierarchy root). */
	for (;;) {
		char base[1200], probe[1300];
		size_t rl = strlen(rel);
		if (rl == 1)
			rel[0] = '\0', rl = 0; /* "/" */
		int n = snprintf(base, sizeof(base), "%s%s%s", root, version == 1 ? "/memory" : "",
				 rel);
		if (n < 0 || (size_t)n >= sizeof(base))
			return -ENAMETOOLONG;
		snprintf(probe, sizeof(probe), "%s/%s", base, usage);
		if (access(probe, R_OK) == 0 || (version == 2 && rl == 0)) {
			if ((size_t)n >= cap)
				return -ENAMETOOLONG;
			memcpy(dir, base, (size_t)n + 1);
			return 0;
		}
		if (rl == 0)
			return -ENOENT;
		char *slash = strrchr(rel, '/');
		*slash = '\0';
	}
}

int collect_cgroup_value_parse(const char *buf, size_t len, uint64_t *out)
{
	if (!buf || !out)
		return -EINVAL;
	const char *p = collect_skip_blanks(buf, buf + len);
	if ((size_t)(buf + len - p) >= 3 && memcmp(p, "max", 3) == 0 &&
	    collect_rest_is(p + 3, buf + len, NULL)) {
		*out = COLLECT_CGROUP_UNLIMITED;
		return 0;
	}
	return collect_u64_whole(buf, len, out);
}

struct stat_key {
	const char *name;
	enum collect_cgroup_field f;
};
static const struct stat_key v1_keys[] = {
    {"total_rss", COLLECT_CG_ANON},
    {"total_cache", COLLECT_CG_FILE},
    {"total_swap", COLLECT_CG_SWAP},
    {"total_pgmajfault", COLLECT_CG_PGMAJFAULT},
};
static const struct stat_key v2_keys[] = {
    {"anon", COLLECT_CG_ANON},
    {"file", COLLECT_CG_FILE},
    {"zswap", COLLECT_CG_ZSWAP},
    {"zswapped", COLLECT_CG_ZSWAPPED},
    {"pgmajfault", COLLECT_CG_PGMAJFAULT},
};

int collect_cgroup_stat_parse(const char *buf, size_t len, int version, struct collect_cgroup *out)
{
	if (!buf || !out || (version != 1 && version != 2))
		return -EINVAL;
	const struct stat_key *keys = version == 1 ? v1_keys : v2_keys;
	size_t nkeys = version == 1 ? sizeof(v1_keys) / sizeof(v1_keys[0])
				    : sizeof(v2_keys) / sizeof(v2_keys[0]);
	struct collect_lines it;
	const char *line;
	size_t ll;
	collect_lines_init(&it, buf, len);
	while (collect_lines_next(&it, &line, &ll)) {
		for (size_t k = 0; k < nkeys; k++) {
			const char *v = collect_field(line, ll, keys[k].name, ' ');
			if (!v)
				continue;
			uint64_t val;
			int r = collect_u64_whole(v, (size_t)(line + ll - v), &val);
			if (r < 0)
				return r;
			out->v[keys[k].f] = val;
			out->found |= 1U << keys[k].f;
			break;
		}
	}
	return 0;
}

static int read_value(int dfd, const char *name, int version, enum collect_cgroup_field f,
		      struct collect_cgroup *c)
{
	char buf[64];
	size_t len;
	uint64_t v;
	int r = collect_file_readat(dfd, name, buf, sizeof(buf), &len);
	if (r == -EFBIG)
		return -EINVAL;
	if (r < 0)
		return r;
	if ((r = collect_cgroup_value_parse(buf, len, &v)) < 0)
		return r;
	if (version == 1 && f != COLLECT_CG_USAGE && v >= COLLECT_CGROUP_V1_UNLIMITED_MIN)
		v = COLLECT_CGROUP_UNLIMITED;
	c->v[f] = v;
	c->found |= 1U << f;
	return 0;
}

int collect_cgroup_read(const char *dir, int version, struct collect_cgroup *out)
{
	if (!dir || !out || (version != 1 && version != 2))
		return -EINVAL;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	struct collect_cgroup c = {.version = version};
	static const struct {
		const char *v1, *v2;
		enum collect_cgroup_field f;
	} files[] = {
	    {"memory.usage_in_bytes", "memory.current", COLLECT_CG_USAGE},
	    {"memory.limit_in_bytes", "memory.max", COLLECT_CG_LIMIT},
	    {NULL, "memory.high", COLLECT_CG_HIGH},
	    {NULL, "memory.swap.current", COLLECT_CG_SWAP},
	    {NULL, "memory.swap.max", COLLECT_CG_SWAP_MAX},
	    {"memory.memsw.limit_in_bytes", NULL, COLLECT_CG_MEMSW_LIMIT},
	};
	int r = 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const char *name = version == 1 ? files[i].v1 : files[i].v2;
		if (!name)
			continue;
		r = read_value(dfd, name, version, files[i].f, &c);
		if (r == -ENOENT && files[i].f != COLLECT_CG_USAGE)
			r = 0; /* optional: swap accounting off, old kernel */
		if (r < 0)
			goto out;
	}
	char buf[16384];
	size_t len;
	r = collect_file_readat(dfd, "memory.stat", buf, sizeof(buf), &len);
	if (r == 0) {
		/* v2 memory.swap.current is authoritative; stat has no swap there. */
		r = collect_cgroup_stat_parse(buf, len, version, &c);
	} else if (r == -ENOENT) {
		r = 0;
	}
	if (r < 0)
		goto out;
	*out = c;
out:
	close(dfd);
	return r;
}

int collect_cgroup_swap_cap(const char *root, const char *dir, uint64_t *cap)
{
	if (!root || !dir || !cap)
		return -EINVAL;
	size_t rl = strlen(root), dl = strlen(dir);
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (dl < rl || memcmp(dir, root, rl) != 0 || (dir[rl] != '\0' && dir[rl] != '/'))
		return -EINVAL;
	char path[4096];
	if (dl + sizeof("/memory.swap.max") > sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, dl + 1);
	uint64_t min = COLLECT_CGROUP_UNLIMITED;
	/* dir, then each parent, stopping at root (whose swap is never capped) */
	while (dl > rl) {
		char buf[64];
		size_t len;
		uint64_t v;
		memcpy(path + dl, "/memory.swap.max", sizeof("/memory.swap.max"));
		int r = collect_file_read(path, buf, sizeof(buf), &len);
		if (r == 0) {
			if ((r = collect_cgroup_value_parse(buf, len, &v)) < 0)
				return r;
			if (v < min)
				min = v;
		} else if (r != -ENOENT) {
			return r == -EFBIG ? -EINVAL : r;
		}
		path[dl] = '\0';
		char *slash = strrchr(path, '/');
		if (!slash)
			break;
		dl = (size_t)(slash - path);
		*slash = '\0';
	}
	*cap = min;
	return 0;
}
