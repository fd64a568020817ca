/*
 * Fleet files: CSV, a header line naming the columns, one VM (or `count` identical
 * VMs) per line. docs/simulator.md documents every column.
 *
 * DESIGN: the file is hostile input like any other. Each line is copied, split on
 * commas, and every field is parsed strictly (sizes with util/size, times as decimal
 * seconds with at most millisecond precision, percentages with two decimals); a bad
 * field stops the load with "line N: column: reason". Empty fields take defaults.
 * Names are checked like VM names ([A-Za-z0-9_.-]{1,63}) and must be unique.
 */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/sim.h"
#include "util/size.h"

#define FLEET_FILE_MAX_BYTES (256ULL * 1024 * 1024)
#define FLEET_MEMSZ_MAX_BYTES (16ULL * 1024 * MODEL_GIB)
#define FLEET_TIME_MAX_MS (365ULL * 24 * 3600 * 1000)
#define FLEET_SHARES_MAX 1000000000ULL
/* Working-set points over the whole fleet, copies included (16 bytes each): a small
 * file must not ask for more memory than the host has (ws x count). */
#define FLEET_POINTS_MAX (8ULL * 1024 * 1024)

enum fleet_col {
	COL_NAME,
	COL_MEMSZ,
	COL_SHARES,
	COL_RESERVATION,
	COL_LIMIT,
	COL_MAXMEMCTL,
	COL_BALLOON,
	COL_DEFLATE_ON_OOM,
	COL_BALLOON_RATE,
	COL_START,
	COL_BOOT,
	COL_GUEST_SWAP,
	COL_IDLE_ANON,
	COL_CACHE_CAP,
	COL_CACHE_RATE,
	COL_SHAREABLE,
	COL_OVHD,
	COL_WS,
	COL_PERIOD,
	COL_COUNT,
	COL_CACHE_INIT,
	COL_GUEST_KERNEL,
	COL_SHAREABLE_FIXED,
	COL_UNREPORTED,
	COL__COUNT
};

static const char *const col_names[COL__COUNT] = {
    "name",	 "memsz",	   "shares",	   "reservation",   "limit",	"maxmemctl",
    "balloon",	 "deflate_on_oom", "balloon_rate", "start_s",	    "boot_s",	"guest_swap",
    "idle_anon", "cache_cap",	   "cache_rate",   "shareable_pct", "ovhd",	"ws",
    "period_s",	 "count",	   "cache_init",   "guest_kernel",  "shareable",	"unreported"};
_Static_assert(sizeof(col_names) / sizeof(col_names[0]) == COL__COUNT, "columns in step");

struct fleet_ctx {
	char *err;
	size_t errlen;
	size_t line;
	uint64_t points; /* working-set points so far, copies included */
};

__attribute__((format(printf, 2, 3))) static int fleet_err(struct fleet_ctx *c, const char *fmt,
							   ...)
{
	if (c->err && c->errlen) {
		int off = snprintf(c->err, c->errlen, "line %zu: ", c->line);
		if (off >= 0 && (size_t)off < c->errlen) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(c->err + off, c->errlen - (size_t)off, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

static char *fleet_trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t l = strlen(s);
	while (l && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r'))
		s[--l] = '\0';
	return s;
}

/* Decimal with at most `frac` fractional digits, scaled by 10^frac. */
static int fleet_fixed(const char *s, unsigned frac, uint64_t max_scaled, uint64_t *out)
{
	uint64_t v = 0;
	unsigned fd = 0;
	bool dot = false, digit = false;
	for (const char *p = s; *p; p++) {
		if (*p == '.' && !dot) {
			dot = true;
			continue;
		}
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		if (dot && ++fd > frac)
			return -EINVAL;
		digit = true;
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (!digit)
		return -EINVAL;
	for (; fd < frac; fd++) {
		if (v > UINT64_MAX / 10)
			return -ERANGE;
		v *= 10;
	}
	if (v > max_scaled)
		return -ERANGE;
	*out = v;
	return 0;
}

static int fleet_size(struct fleet_ctx *c, const char *col, const char *s, uint64_t max,
		      uint64_t *out)
{
	uint64_t v;
	if (size_parse(s, &v) || v > max)
		return fleet_err(c, "%s: bad size '%.40s' (0..%llu bytes, suffix K/M/G/T)", col, s,
				 (unsigned long long)max);
	*out = v;
	return 0;
}

static int fleet_seconds(struct fleet_ctx *c, const char *col, const char *s, uint64_t *out_ms)
{
	if (fleet_fixed(s, 3, FLEET_TIME_MAX_MS, out_ms))
		return fleet_err(c, "%s: bad time '%.40s' (seconds, up to 3 decimals, <= 1 year)",
				 col, s);
	return 0;
}

static int fleet_name_ok(const char *s)
{
	size_t l = strlen(s);
	if (l == 0 || l > MODEL_NAME_MAX - 1)
		return 0;
	for (size_t i = 0; i < l; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (!isalnum(ch) && ch != '_' && ch != '.' && ch != '-')
			return 0;
	}
	return 1;
}

/* "t:size t:size ..." (separators: space or ';'); size may be "N%" of MEMSZ. */
static int fleet_ws(struct fleet_ctx *c, char *s, uint64_t memsz, struct sim_trace *tr)
{
	char *save = NULL;
	for (char *tok = strtok_r(s, " ;", &save); tok; tok = strtok_r(NULL, " ;", &save)) {
		char *colon = strchr(tok, ':');
		if (!colon)
			return fleet_err(c, "ws: point '%.40s' is not t_s:size", tok);
		*colon = '\0';
		uint64_t t_ms = 0, ws = 0;
		if (fleet_seconds(c, "ws", tok, &t_ms))
			return -EINVAL;
		const char *v = colon + 1;
		size_t vl = strlen(v);
		if (vl && v[vl - 1] == '%') {
			char tmp[32];
			uint64_t pm;
			if (vl >= sizeof(tmp))
				return fleet_err(c, "ws: bad percentage '%.40s'", v);
			memcpy(tmp, v, vl - 1);
			tmp[vl - 1] = '\0';
			if (fleet_fixed(tmp, 2, 10000, &pm))
				return fleet_err(c, "ws: bad percentage '%.40s' (0..100)", v);
			ws = (uint64_t)((unsigned __int128)memsz * pm / 10000);
		} else if (fleet_size(c, "ws", v, memsz, &ws)) {
			return fleet_err(c, "ws: size '%.40s' not within 0..memsz", v);
		}
		int r = sim_trace_add(tr, t_ms, ws);
		if (r == -ENOMEM)
			return r;
		if (r == -E2BIG)
			return fleet_err(c, "ws: more than %d points", SIM_TRACE_MAX_POINTS);
		if (r)
			return fleet_err(c, "ws: times must increase and stay below period_s");
	}
	return 0;
}

static int fleet_header(struct fleet_ctx *c, char *line, int *map, size_t *ncols)
{
	bool seen[COL__COUNT] = {0};
	size_t n = 0;
	/* strtok_r would merge empty fields: split by hand. */
	char *p = line;
	for (;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		char *f = fleet_trim(p);
		int k = -1;
		for (int j = 0; j < COL__COUNT; j++)
			if (strcmp(f, col_names[j]) == 0)
				k = j;
		if (k < 0)
			return fleet_err(c, "unknown column '%.40s'", f);
		if (seen[k])
			return fleet_err(c, "column '%s' twice", col_names[k]);
		if (n >= COL__COUNT)
			return fleet_err(c, "too many columns");
		seen[k] = true;
		map[n++] = k;
		if (!comma)
			break;
		p = comma + 1;
	}
	if (!seen[COL_NAME] || !seen[COL_MEMSZ])
		return fleet_err(c, "header must name at least 'name' and 'memsz'");
	*ncols = n;
	return 0;
}

static int fleet_bool(struct fleet_ctx *c, const char *col, const char *s, bool *out)
{
	if (!strcmp(s, "1") || !strcmp(s, "yes") || !strcmp(s, "true"))
		*out = true;
	else if (!strcmp(s, "0") || !strcmp(s, "no") || !strcmp(s, "false"))
		*out = false;
	else
		return fleet_err(c, "%s: '%.40s' is not 0/1/yes/no/true/false", col, s);
	return 0;
}

static int fleet_row(struct fleet_ctx *c, char *line, const int *map, size_t ncols,
		     struct sim_fleet *f)
{
	char *fields[COL__COUNT] = {0};
	char *p = line;
	size_t n = 0;
	for (;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (n >= ncols)
			return fleet_err(c, "more fields than the header's %zu columns", ncols);
		fields[map[n++]] = fleet_trim(p);
		if (!comma)
			break;
		p = comma + 1;
	}
	if (n != ncols)
		return fleet_err(c, "%zu fields, header has %zu columns", n, ncols);

	const char *name = fields[COL_NAME];
	if (!fleet_name_ok(name))
		return fleet_err(c, "name: '%.40s' is not [A-Za-z0-9_.-]{1,63}", name);
	uint64_t memsz = 0;
	if (!*fields[COL_MEMSZ])
		return fleet_err(c, "memsz: required");
	if (fleet_size(c, "memsz", fields[COL_MEMSZ], FLEET_MEMSZ_MAX_BYTES, &memsz))
		return -EINVAL;
	if (memsz < 16 * MODEL_MIB)
		return fleet_err(c, "memsz: below 16 MiB");

	struct sim_vm_spec v;
	sim_vm_spec_default(&v, memsz);
	memcpy(v.name, name, strlen(name) + 1);
	uint64_t count = 1, pct;
	int r = 0;
#define FIELD(k) (fields[k] && *fields[k])
	if (FIELD(COL_SHARES) &&
	    (fleet_fixed(fields[COL_SHARES], 0, FLEET_SHARES_MAX, &v.settings.shares)))
		return fleet_err(c, "shares: bad '%.40s' (0..%llu, 0 = default)",
				 fields[COL_SHARES], FLEET_SHARES_MAX);
	if (FIELD(COL_RESERVATION) && fleet_size(c, "reservation", fields[COL_RESERVATION], memsz,
						 &v.settings.reservation_bytes))
		return -EINVAL;
	if (FIELD(COL_LIMIT) &&
	    fleet_size(c, "limit", fields[COL_LIMIT], memsz, &v.settings.limit_bytes))
		return -EINVAL;
	if (FIELD(COL_MAXMEMCTL) &&
	    fleet_size(c, "maxmemctl", fields[COL_MAXMEMCTL], memsz, &v.settings.maxmemctl_bytes))
		return -EINVAL;
	if (FIELD(COL_BALLOON) && fleet_bool(c, "balloon", fields[COL_BALLOON], &v.balloon))
		return -EINVAL;
	if (FIELD(COL_DEFLATE_ON_OOM) &&
	    fleet_bool(c, "deflate_on_oom", fields[COL_DEFLATE_ON_OOM], &v.deflate_on_oom))
		return -EINVAL;
	if (FIELD(COL_BALLOON_RATE)) {
		if (fleet_size(c, "balloon_rate", fields[COL_BALLOON_RATE], 1024 * MODEL_GIB,
			       &v.balloon_bytes_per_s))
			return -EINVAL;
		if (v.balloon_bytes_per_s == 0)
			return fleet_err(c, "balloon_rate: must be > 0");
	}
	if (FIELD(COL_START) && fleet_seconds(c, "start_s", fields[COL_START], &v.start_ms))
		return -EINVAL;
	if (FIELD(COL_BOOT) && fleet_seconds(c, "boot_s", fields[COL_BOOT], &v.boot_ms))
		return -EINVAL;
	if (FIELD(COL_GUEST_SWAP) && fleet_size(c, "guest_swap", fields[COL_GUEST_SWAP],
						FLEET_MEMSZ_MAX_BYTES, &v.guest_swap_bytes))
		return -EINVAL;
	if (FIELD(COL_IDLE_ANON) &&
	    fleet_size(c, "idle_anon", fields[COL_IDLE_ANON], memsz, &v.idle_anon_bytes))
		return -EINVAL;
	if (FIELD(COL_CACHE_CAP) &&
	    fleet_size(c, "cache_cap", fields[COL_CACHE_CAP], memsz, &v.cache_cap_bytes))
		return -EINVAL;
	if (FIELD(COL_CACHE_RATE) && fleet_size(c, "cache_rate", fields[COL_CACHE_RATE],
						1024 * MODEL_GIB, &v.cache_bytes_per_s))
		return -EINVAL;
	if (FIELD(COL_CACHE_INIT) &&
	    fleet_size(c, "cache_init", fields[COL_CACHE_INIT], memsz, &v.cache_init_bytes))
		return -EINVAL;
	if (FIELD(COL_UNREPORTED) &&
	    fleet_size(c, "unreported", fields[COL_UNREPORTED], memsz, &v.unreported_bytes))
		return -EINVAL;
	if (FIELD(COL_GUEST_KERNEL) &&
	    fleet_size(c, "guest_kernel", fields[COL_GUEST_KERNEL], memsz, &v.kernel_bytes))
		return -EINVAL;
	if (FIELD(COL_SHAREABLE_FIXED) &&
	    fleet_size(c, "shareable", fields[COL_SHAREABLE_FIXED], memsz, &v.shareable_bytes))
		return -EINVAL;
	if (FIELD(COL_SHAREABLE)) {
		if (fleet_fixed(fields[COL_SHAREABLE], 2, 10000, &pct))
			return fleet_err(c, "shareable_pct: bad '%.40s' (0..100, 2 decimals)",
					 fields[COL_SHAREABLE]);
		v.shareable_permyriad = (uint32_t)pct;
	}
	if (FIELD(COL_OVHD) &&
	    fleet_size(c, "ovhd", fields[COL_OVHD], FLEET_MEMSZ_MAX_BYTES, &v.ovhd_bytes))
		return -EINVAL;
	if (FIELD(COL_PERIOD) && fleet_seconds(c, "period_s", fields[COL_PERIOD], &v.ws.period_ms))
		return -EINVAL;
	if (FIELD(COL_COUNT) &&
	    (fleet_fixed(fields[COL_COUNT], 0, SIM_FLEET_MAX_VMS, &count) || count == 0))
		return fleet_err(c, "count: bad '%.40s' (1..%d)", fields[COL_COUNT],
				 SIM_FLEET_MAX_VMS);
	if (v.idle_anon_bytes >= memsz)
		return fleet_err(c, "idle_anon: must be below memsz");
	if (v.kernel_bytes > v.idle_anon_bytes)
		return fleet_err(c, "guest_kernel: must not exceed idle_anon");
	if (v.cache_init_bytes > v.cache_cap_bytes)
		return fleet_err(c, "cache_init: must not exceed cache_cap");
	if ((unsigned __int128)v.idle_anon_bytes + v.cache_init_bytes + v.unreported_bytes > memsz)
		return fleet_err(c, "unreported: idle_anon + cache_init + unreported exceed memsz");
	if (FIELD(COL_WS)) {
		r = fleet_ws(c, fields[COL_WS], memsz, &v.ws);
		if (r)
			goto fail;
	}
#undef FIELD
	if (f->n + count > SIM_FLEET_MAX_VMS) {
		r = fleet_err(c, "more than %d VMs", SIM_FLEET_MAX_VMS);
		goto fail;
	}
	if ((unsigned __int128)count * v.ws.n + c->points > FLEET_POINTS_MAX) {
		r = fleet_err(c, "ws: more than %llu points in the fleet (points x count)",
			      FLEET_POINTS_MAX);
		goto fail;
	}
	c->points += count * v.ws.n;
	for (uint64_t k = 0; k < count; k++) {
		struct sim_vm_spec copy = v;
		if (count > 1) {
			char suffix[24];
			int sl = snprintf(suffix, sizeof(suffix), "-%llu", (unsigned long long)k);
			size_t nl = strlen(name);
			if (nl + (size_t)sl > MODEL_NAME_MAX - 1) {
				r = fleet_err(c, "name: too long for count %llu",
					      (unsigned long long)count);
				goto fail;
			}
			memcpy(copy.name + nl, suffix, (size_t)sl + 1);
		}
		r = sim_trace_copy(&copy.ws, &v.ws);
		if (!r)
			r = sim_fleet_add(f, &copy);
		if (r) {
			sim_trace_free(&copy.ws);
			goto fail;
		}
	}
	r = 0;
fail:
	sim_trace_free(&v.ws);
	return r;
}

static int fleet_name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int fleet_unique(struct fleet_ctx *c, const struct sim_fleet *f)
{
	if (f->n < 2)
		return 0;
	const char **names = malloc(f->n * sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < f->n; i++)
		names[i] = f->vms[i].name;
	qsort(names, f->n, sizeof(*names), fleet_name_cmp);
	int r = 0;
	for (size_t i = 1; i < f->n && !r; i++) {
		if (strcmp(names[i - 1], names[i]) == 0) {
			c->line = 0;
			if (c->err && c->errlen)
				snprintf(c->err, c->errlen, "name '%s' used twice", names[i]);
			r = -EINVAL;
		}
	}
	free(names);
	return r;
}

int sim_fleet_parse(const char *buf, size_t len, struct sim_fleet *f, char *err, size_t errlen)
{
	struct fleet_ctx c = {.err = err, .errlen = errlen};
	int map[COL__COUNT];
	size_t ncols = 0;
	bool have_header = false;
	char *line = NULL;
	size_t cap = 0;
	int r = 0;
	if (err && errlen)
		err[0] = '\0';
	if (!buf && len)
		return -EINVAL;
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		c.line++;
		if (memchr(buf + pos, '\0', ll)) {
			r = fleet_err(&c, "NUL byte");
			goto out;
		}
		if (ll + 1 > cap) {
			char *p = realloc(line, ll + 1);
			if (!p) {
				r = -ENOMEM;
				goto out;
			}
			line = p;
			cap = ll + 1;
		}
		memcpy(line, buf + pos, ll);
		line[ll] = '\0';
		pos += ll + (nl ? 1 : 0);
		char *t = fleet_trim(line);
		if (*t == '\0' || *t == '#')
			continue;
		if (!have_header) {
			r = fleet_header(&c, t, map, &ncols);
			have_header = true;
		} else {
			r = fleet_row(&c, t, map, ncols, f);
		}
		if (r)
			goto out;
	}
	if (!have_header || f->n == 0) {
		c.line++;
		r = fleet_err(&c, "no VMs (a header line and at least one VM line)");
		goto out;
	}
	r = fleet_unique(&c, f);
out:
	free(line);
	if (r)
		sim_fleet_free(f);
	return r;
}

int sim_fleet_load(const char *path, struct sim_fleet *f, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int r = 0;
	for (;;) {
		if (len == cap) {
			if (cap >= FLEET_FILE_MAX_BYTES) {
				snprintf(err, errlen, "%s: larger than %llu MiB", path,
					 FLEET_FILE_MAX_BYTES / MODEL_MIB);
				r = -EFBIG;
				goto out;
			}
			size_t nc = cap ? cap * 2 : 65536;
			char *p = realloc(buf, nc);
			if (!p) {
				r = -ENOMEM;
				goto out;
			}
			buf = p;
			cap = nc;
		}
		ssize_t got = read(fd, buf + len, cap - len);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	char inner[256];
	r = sim_fleet_parse(buf, len, f, inner, sizeof(inner));
	if (r)
		snprintf(err, errlen, "%s: %s", path, inner);
out:
	free(buf);
	close(fd);
	return r;
}
