/*
 * DESIGN: PSI lines are "some|full" then space-separated key=value pairs in a
 * fixed order (avg10 avg60 avg300 total). The keys are matched by name so an
 * added key is skipped; averages are kept as integer permyriad, not floats.
 */
#include "collect/psi.h"
#include "collect/parse.h"

#include <errno.h>
#include <string.h>

/* "12.34" percent -> permyriad, clamped at 100%. */
static int parse_avg(const char **pp, const char *end, uint32_t *out)
{
	uint64_t whole;
	int r = collect_u64_parse(pp, end, &whole);
	if (r == -ERANGE) {
		/* Absurdly large: clamp like any value above 100%. */
		const char *p = *pp;
		while (p < end && ((*p >= '0' && *p <= '9') || *p == '.'))
			p++;
		*pp = p;
		*out = 10000;
		return 0;
	}
	if (r < 0)
		return r;
	const char *p = *pp;
	uint32_t frac = 0;
	if (p < end && *p == '.') {
		p++;
		int digits = 0;
		while (p < end && *p >= '0' && *p <= '9') {
			if (digits < 2)
				frac = frac * 10 + (uint32_t)(*p - '0');
			digits++;
			p++;
		}
		if (digits == 0)
			return -EINVAL;
		if (digits == 1)
			frac *= 10;
	}
	*pp = p;
	*out = whole >= 100 ? 10000 : (uint32_t)whole * 100 + frac;
	if (*out > 10000)
		*out = 10000;
	return 0;
}

static int parse_line(const char *p, const char *end, struct collect_psi_line *out)
{
	struct collect_psi_line l = {0};
	unsigned seen = 0;
	for (;;) {
		p = collect_skip_blanks(p, end);
		if (p >= end || *p == '\r')
			break;
		const char *eq = memchr(p, '=', (size_t)(end - p));
		if (!eq)
			return -EINVAL;
		size_t kn = (size_t)(eq - p);
		const char *v = eq + 1;
		int r;
		if (kn == 5 && !memcmp(p, "avg10", 5)) {
			r = parse_avg(&v, end, &l.avg10_permyriad);
			seen |= 1;
		} else if (kn == 5 && !memcmp(p, "avg60", 5)) {
			r = parse_avg(&v, end, &l.avg60_permyriad);
			seen |= 2;
		} else if (kn == 6 && !memcmp(p, "avg300", 6)) {
			r = parse_avg(&v, end, &l.avg300_permyriad);
			seen |= 4;
		} else if (kn == 5 && !memcmp(p, "total", 5)) {
			r = collect_u64_parse(&v, end, &l.total_us);
			seen |= 8;
		} else {
			/* Unknown key: skip its value. */
			r = 0;
			while (v < end && *v != ' ' && *v != '\t')
				v++;
		}
		if (r < 0)
			return r;
		if (v < end && *v != ' ' && *v != '\t' && *v != '\r')
			return -EINVAL;
		p = v;
	}
	if (seen != 15)
		return -EINVAL;
	*out = l;
	return 0;
}

int collect_psi_parse(const char *buf, size_t len, struct collect_psi *out)
{
	if (!buf || !out)
		return -EINVAL;
	struct collect_psi psi = {0};
	struct collect_lines it;
	const char *line;
	size_t ll;
	collect_lines_init(&it, buf, len);
	while (collect_lines_next(&it, &line, &ll)) {
		const char *rest;
		int r;
		if ((rest = collect_field(line, ll, "some", ' '))) {
			r = parse_line(rest, line + ll, &psi.some);
			psi.some_found = true;
		} else if ((rest = collect_field(line, ll, "full", ' '))) {
			r = parse_line(rest, line + ll, &psi.full);
			psi.full_found = true;
		} else if (collect_rest_is(line, line + ll, NULL)) {
			r = 0;
		} else {
			r = -EINVAL;
		}
		if (r < 0)
			return r;
	}
	if (!psi.some_found)
		return -EINVAL;
	*out = psi;
	return 0;
}

int collect_psi_read(const char *path, struct collect_psi *out)
{
	char buf[512];
	size_t len;
	int r = collect_file_read(path, buf, sizeof(buf), &len);
	if (r < 0)
		return r;
	return collect_psi_parse(buf, len, out);
}
