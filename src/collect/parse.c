#include "collect/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static int read_all(int fd, char *buf, size_t cap, size_t *len, bool positional)
{
	size_t n = 0;
	if (cap < 2)
		return -EINVAL;
	for (;;) {
		ssize_t r = positional ? pread(fd, buf + n, cap - 1 - n, (off_t)n)
				       : read(fd, buf + n, cap - 1 - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap - 1) {
			/* Full: only fine if this was exactly the end. */
			char extra;
			ssize_t more =
			    positional ? pread(fd, &extra, 1, (off_t)n) : read(fd, &extra, 1);
			if (more > 0)
				return -EFBIG;
			break;
		}
	}
	buf[n] = '\0';
	*len = n;
	return 0;
}

int collect_fd_read(int fd, char *buf, size_t cap, size_t *len)
{
	if (fd < 0 || !buf || !len)
		return -EINVAL;
	return read_all(fd, buf, cap, len, true);
}

int collect_file_readat(int dirfd, const char *name, char *buf, size_t cap, size_t *len)
{
	if (!name || !buf || !len)
		return -EINVAL;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = read_all(fd, buf, cap, len, false);
	close(fd);
	return r;
}

int collect_file_read(const char *path, char *buf, size_t cap, size_t *len)
{
	return collect_file_readat(AT_FDCWD, path, buf, cap, len);
}

bool collect_lines_next(struct collect_lines *it, const char **line, size_t *len)
{
	if (it->p >= it->end)
		return false;
	const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
	const char *stop = nl ? nl : it->end;
	*line = it->p;
	*len = (size_t)(stop - it->p);
	it->p = nl ? nl + 1 : it->end;
	return true;
}

const char *collect_field(const char *line, size_t len, const char *name, char sep)
{
	size_t n = strlen(name);
	if (len < n + 1 || memcmp(line, name, n) != 0 || line[n] != sep)
		return NULL;
	return line + n + 1;
}

const char *collect_skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

int collect_u64_parse(const char **pp, const char *end, uint64_t *out)
{
	const char *p = collect_skip_blanks(*pp, end);
	uint64_t v = 0;
	bool any = false, overflow = false;
	while (p < end && *p >= '0' && *p <= '9') {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			overflow = true;
		else
			v = v * 10 + d;
		any = true;
		p++;
	}
	if (!any)
		return -EINVAL;
	*pp = p;
	if (overflow)
		return -ERANGE;
	*out = v;
	return 0;
}

int collect_i64_parse(const char **pp, const char *end, int64_t *out)
{
	const char *p = collect_skip_blanks(*pp, end);
	bool neg = false;
	if (p < end && (*p == '-' || *p == '+')) {
		neg = *p == '-';
		p++;
	}
	if (p >= end || *p < '0' || *p > '9')
		return -EINVAL;
	uint64_t v;
	int r = collect_u64_parse(&p, end, &v);
	if (r < 0)
		return r;
	if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
		return -ERANGE;
	*pp = p;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

bool collect_rest_is(const char *p, const char *end, const char *unit)
{
	p = collect_skip_blanks(p, end);
	if (unit) {
		size_t n = strlen(unit);
		if ((size_t)(end - p) >= n && memcmp(p, unit, n) == 0)
			p += n;
	}
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p == end;
}

int collect_u64_whole(const char *buf, size_t len, uint64_t *out)
{
	const char *p = buf, *end = buf + len;
	uint64_t v;
	int r = collect_u64_parse(&p, end, &v);
	if (r < 0)
		return r;
	if (!collect_rest_is(p, end, NULL))
		return -EINVAL;
	*out = v;
	return 0;
}

int collect_kb_value(const char *p, const char *end, uint64_t *bytes)
{
	uint64_t kb;
	int r = collect_u64_parse(&p, end, &kb);
	if (r < 0)
		return r;
	if (!collect_rest_is(p, end, "kB"))
		return -EINVAL;
	return collect_mul_sat(kb, COLLECT_KIB, bytes) ? -ERANGE : 0;
}

int collect_kb_fields_parse(const char *buf, size_t len, const char *const *names, size_t n,
			    uint64_t *bytes, uint64_t *found)
{
	if (!buf || !names || !bytes || !found || n > 64)
		return -EINVAL;
	*found = 0;
	struct collect_lines it;
	const char *line;
	size_t ll;
	collect_lines_init(&it, buf, len);
	while (collect_lines_next(&it, &line, &ll)) {
		const char *colon = memchr(line, ':', ll);
		if (!colon)
			continue;
		size_t nl = (size_t)(colon - line), f;
		for (f = 0; f < n; f++)
			if (names[f] && strlen(names[f]) == nl && memcmp(names[f], line, nl) == 0)
				break;
		if (f == n)
			continue;
		int r = collect_kb_value(colon + 1, line + ll, &bytes[f]);
		if (r < 0)
			return r;
		*found |= 1ULL << f;
	}
	return 0;
}

int collect_dir_files_read(const char *dir, const char *const *names, size_t n,
			   int (*parse)(const char *name, const char *buf, size_t len, void *ctx),
			   void *ctx)
{
	if (!dir || !names || !parse)
		return -EINVAL;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	int r = 0;
	for (size_t f = 0; f < n; f++) {
		char buf[128];
		size_t len;
		r = collect_file_readat(dfd, names[f], buf, sizeof(buf), &len);
		if (r == -ENOENT) {
			r = 0;
			continue;
		}
		if (r == -EFBIG)
			r = -EINVAL;
		if (r < 0 || (r = parse(names[f], buf, len, ctx)) < 0)
			break;
	}
	close(dfd);
	return r;
}
