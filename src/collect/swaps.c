/*
 * DESIGN: /proc/swaps is a header then one whitespace-separated line per area.
 * The kernel escapes blanks and backslashes in paths as \ooo octal; we undo that.
 * Totals are summed with saturation so a hostile fixture cannot wrap them.
 */
#include "collect/swaps.h"
#include "collect/parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Next whitespace-separated token in [*pp, end). */
static int token(const char **pp, const char *end, const char **tok, size_t *n)
{
	const char *p = collect_skip_blanks(*pp, end);
	const char *s = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	if (p == s)
		return -EINVAL;
	*tok = s;
	*n = (size_t)(p - s);
	*pp = p;
	return 0;
}

static void unescape(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			out[o++] =
			    (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
}

static int parse_entry(const char *p, const char *end, struct collect_swap_entry *e)
{
	const char *t;
	size_t n;
	int r;
	if ((r = token(&p, end, &t, &n)) < 0)
		return r;
	unescape(t, n, e->path, sizeof(e->path));
	if ((r = token(&p, end, &t, &n)) < 0)
		return r;
	if (n >= sizeof(e->type))
		n = sizeof(e->type) - 1;
	memcpy(e->type, t, n);
	e->type[n] = '\0';
	uint64_t size_kb, used_kb;
	int64_t prio;
	if ((r = collect_u64_parse(&p, end, &size_kb)) < 0)
		return r;
	if (p < end && *p != ' ' && *p != '\t')
		return -EINVAL;
	if ((r = collect_u64_parse(&p, end, &used_kb)) < 0)
		return r;
	if (p < end && *p != ' ' && *p != '\t')
		return -EINVAL;
	if ((r = collect_i64_parse(&p, end, &prio)) < 0)
		return r;
	if (!collect_rest_is(p, end, NULL))
		return -EINVAL;
	if (prio < INT32_MIN || prio > INT32_MAX)
		return -ERANGE;
	if (collect_mul_sat(size_kb, COLLECT_KIB, &e->size_bytes) ||
	    collect_mul_sat(used_kb, COLLECT_KIB, &e->used_bytes))
		return -ERANGE;
	e->prio = (int32_t)prio;
	return 0;
}

int collect_swaps_parse(const char *buf, size_t len, struct collect_swaps *out)
{
	if (!buf || !out)
		return -EINVAL;
	struct collect_swaps *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	struct collect_lines it;
	const char *line;
	size_t ll;
	int r = -EINVAL;
	collect_lines_init(&it, buf, len);
	if (!collect_lines_next(&it, &line, &ll))
		goto out;
	if (!collect_field(line, ll, "Filename", '\t') && !collect_field(line, ll, "Filename", ' '))
		goto out;
	while (collect_lines_next(&it, &line, &ll)) {
		if (collect_rest_is(line, line + ll, NULL))
			continue;
		struct collect_swap_entry e = {0};
		if ((r = parse_entry(line, line + ll, &e)) < 0)
			goto out;
		if (s->n < COLLECT_SWAPS_MAX)
			s->e[s->n++] = e;
		s->n_total++;
		s->total_bytes = collect_add_sat(s->total_bytes, e.size_bytes);
		s->used_bytes = collect_add_sat(s->used_bytes, e.used_bytes);
	}
	*out = *s;
	r = 0;
out:
	free(s);
	return r;
}

int collect_swaps_read(const char *path, struct collect_swaps *out)
{
	char buf[16384];
	size_t len;
	int r = collect_file_read(path, buf, sizeof(buf), &len);
	if (r < 0)
		return r;
	return collect_swaps_parse(buf, len, out);
}
