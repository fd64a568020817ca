/*
 * DESIGN: smaps is the expensive file (the kernel walks every page table to print
 * it), so our side must be cheap: the file is streamed through one 64 KiB buffer,
 * and of each mapping's ~25 lines only Size, Rss, Pss, Referenced, Swap and KSM
 * are parsed; the rest are rejected on their first byte or two.
 *
 * Guest RAM is QEMU's pc.ram RAMBlock: one large read-write mapping, anonymous
 * (the default), memfd (memory-backend-memfd), /dev/shm or hugetlbfs. We keep the
 * largest such mappings as candidates and, at the end, pick the one whose size is
 * within COLLECT_SMAPS_TOLERANCE_BYTES of MEMSZ; failing that a run of adjacent
 * candidates adding up to MEMSZ (a RAMBlock split by madvise/mprotect); failing
 * that the largest candidate of at least MEMSZ/2. Executable mappings (the TCG
 * translation buffer) are never candidates.
 */
#include "collect/smaps.h"
#include "collect/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void collect_smaps_begin(struct collect_smaps *s, uint64_t memsz_bytes)
{
	memset(s, 0, offsetof(struct collect_smaps, cand));
	s->memsz_bytes = memsz_bytes;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int parse_hex(const char **pp, const char *end, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	int d, n = 0;
	while (p < end && (d = hexval(*p)) >= 0) {
		if (++n > 16)
			return -ERANGE;
		v = (v << 4) | (uint64_t)d;
		p++;
	}
	if (n == 0)
		return -EINVAL;
	*pp = p;
	*out = v;
	return 0;
}

static bool starts(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);
	return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

static bool ram_like_path(const char *p, const char *end)
{
	if (p == end)
		return true; /* anonymous */
	if (starts(p, end, "/memfd:tcg") || starts(p, end, "/memfd:jit"))
		return false;
	return starts(p, end, "/memfd:") || starts(p, end, "/dev/shm/") ||
	       starts(p, end, "/dev/hugepages") || starts(p, end, "/anon_hugepage") ||
	       starts(p, end, "[anon:");
}

static void keep_candidate(struct collect_smaps *s, const struct collect_smaps_map *m)
{
	if (s->n_cand < COLLECT_SMAPS_CAND_MAX) {
		s->cand[s->n_cand++] = *m;
		return;
	}
	size_t small = 0;
	for (size_t i = 1; i < s->n_cand; i++)
		if (s->cand[i].size_bytes < s->cand[small].size_bytes)
			small = i;
	if (s->cand[small].size_bytes < m->size_bytes)
		s->cand[small] = *m;
}

/* Rss - Pss of one mapping: 0 without a Pss line (the map then counts in full). */
static uint64_t map_shared_excess(const struct collect_smaps_map *m)
{
	return m->has_pss && m->rss_bytes > m->pss_bytes ? m->rss_bytes - m->pss_bytes : 0;
}

static void finish_map(struct collect_smaps *s)
{
	if (!s->in_map)
		return;
	struct collect_smaps_map *m = &s->cur;
	s->rss_bytes = collect_add_sat(s->rss_bytes, m->rss_bytes);
	s->swap_bytes = collect_add_sat(s->swap_bytes, m->swap_bytes);
	s->shared_excess_bytes = collect_add_sat(s->shared_excess_bytes, map_shared_excess(m));
	if (m->candidate && m->size_bytes >= (1ULL << 20))
		keep_candidate(s, m);
	s->in_map = false;
}

/* "start-end perms offset dev inode   [path]" */
static int parse_header(struct collect_smaps *s, const char *p, const char *end)
{
	struct collect_smaps_map m = {0};
	int r;
	if ((r = parse_hex(&p, end, &m.start)) < 0)
		return r;
	if (p >= end || *p++ != '-')
		return -EINVAL;
	if ((r = parse_hex(&p, end, &m.end)) < 0)
		return r;
	if (m.end < m.start || end - p < 6 || *p != ' ')
		return -EINVAL;
	const char *perms = p + 1;
	for (int i = 0; i < 4; i++)
		if (!strchr("rwxpPs-", perms[i]) || perms[i] == '\0')
			return -EINVAL;
	p = perms + 4;
	if (p >= end || *p != ' ')
		return -EINVAL;
	p++;
	uint64_t offset, major, minor, inode;
	if ((r = parse_hex(&p, end, &offset)) < 0)
		return r;
	if (p >= end || *p++ != ' ')
		return -EINVAL;
	if ((r = parse_hex(&p, end, &major)) < 0)
		return r;
	if (p >= end || *p++ != ':')
		return -EINVAL;
	if ((r = parse_hex(&p, end, &minor)) < 0)
		return r;
	if (p >= end || *p != ' ')
		return -EINVAL;
	if ((r = collect_u64_parse(&p, end, &inode)) < 0)
		return r;
	if (p < end && *p != ' ' && *p != '\t')
		return -EINVAL;
	const char *path = collect_skip_blanks(p, end);
	m.size_bytes = m.end - m.start;
	m.candidate =
	    perms[0] == 'r' && perms[1] == 'w' && perms[2] != 'x' && ram_like_path(path, end);
	finish_map(s);
	s->cur = m;
	s->in_map = true;
	s->n_maps++;
	return 0;
}

int collect_smaps_line(struct collect_smaps *s, const char *line, size_t len)
{
	if (len == 0)
		return 0;
	const char *end = line + len, *v;
	char c = line[0];
	if (hexval(c) >= 0)
		return parse_header(s, line, end);
	/* Field lines: only five matter; the first byte rejects most others. */
	uint64_t *dst;
	if (c == 'S') {
		if ((v = collect_field(line, len, "Size", ':')))
			dst = &s->cur.size_bytes;
		else if ((v = collect_field(line, len, "Swap", ':')))
			dst = &s->cur.swap_bytes;
		else
			return 0;
	} else if (c == 'R' && (v = collect_field(line, len, "Rss", ':'))) {
		dst = &s->cur.rss_bytes;
	} else if (c == 'P' && (v = collect_field(line, len, "Pss", ':'))) {
		dst = &s->cur.pss_bytes;
		s->cur.has_pss = true;
	} else if (c == 'R' && (v = collect_field(line, len, "Referenced", ':'))) {
		dst = &s->cur.referenced_bytes;
	} else if (c == 'K' && (v = collect_field(line, len, "KSM", ':'))) {
		dst = &s->cur.ksm_bytes;
		s->ksm_field_seen = true;
	} else {
		return 0;
	}
	if (!s->in_map)
		return -EINVAL;
	uint64_t val;
	int r = collect_kb_value(v, end, &val);
	if (r < 0)
		return r;
	if (dst == &s->cur.size_bytes) {
		/* The header's range is authoritative; Size only confirms it. */
		return 0;
	}
	*dst = val;
	return 0;
}

static int cmp_start(const void *a, const void *b)
{
	const struct collect_smaps_map *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

static void choose(struct collect_smaps *s, size_t first, size_t n,
		   enum collect_guest_ram_match how)
{
	s->guest_ram_match = how;
	s->guest_ram_maps = (uint32_t)n;
	s->guest_ram_start = s->cand[first].start;
	s->guest_ram_end = s->cand[first + n - 1].end;
	for (size_t i = first; i < first + n; i++) {
		const struct collect_smaps_map *m = &s->cand[i];
		s->guest_ram_size_bytes = collect_add_sat(s->guest_ram_size_bytes, m->size_bytes);
		s->guest_ram_rss_bytes = collect_add_sat(s->guest_ram_rss_bytes, m->rss_bytes);
		s->guest_ram_swap_bytes = collect_add_sat(s->guest_ram_swap_bytes, m->swap_bytes);
		s->guest_ram_ksm_bytes = collect_add_sat(s->guest_ram_ksm_bytes, m->ksm_bytes);
		s->guest_ram_referenced_bytes =
		    collect_add_sat(s->guest_ram_referenced_bytes, m->referenced_bytes);
		s->guest_ram_shared_excess_bytes =
		    collect_add_sat(s->guest_ram_shared_excess_bytes, map_shared_excess(m));
	}
}

void collect_smaps_end(struct collect_smaps *s)
{
	finish_map(s);
	if (s->n_cand == 0)
		return;
	qsort(s->cand, s->n_cand, sizeof(s->cand[0]), cmp_start);
	const uint64_t memsz = s->memsz_bytes, tol = COLLECT_SMAPS_TOLERANCE_BYTES;
	size_t best = SIZE_MAX, best_n = 0;
	uint64_t best_diff = UINT64_MAX;
	if (memsz) {
		/* 1. one mapping; 2. a run of adjacent ones. Closest to MEMSZ wins. */
		for (size_t i = 0; i < s->n_cand; i++) {
			uint64_t sum = 0;
			for (size_t j = i; j < s->n_cand; j++) {
				if (j > i && s->cand[j].start != s->cand[j - 1].end)
					break;
				sum = collect_add_sat(sum, s->cand[j].size_bytes);
				uint64_t d = absdiff(sum, memsz);
				size_t n = j - i + 1;
				if (d <= tol && (d < best_diff || (d == best_diff && n < best_n))) {
					best = i;
					best_n = n;
					best_diff = d;
				}
				if (sum > memsz + tol)
					break;
			}
		}
		if (best != SIZE_MAX) {
			choose(s, best, best_n,
			       best_n == 1 ? COLLECT_GUEST_RAM_EXACT : COLLECT_GUEST_RAM_RUN);
			return;
		}
	}
	/* 3. the largest candidate, if it is big enough to be RAM. */
	uint64_t floor_bytes = memsz ? memsz / 2 : 64ULL << 20;
	for (size_t i = 0; i < s->n_cand; i++) {
		if (s->cand[i].size_bytes < floor_bytes)
			continue;
		if (memsz && s->cand[i].size_bytes > memsz + tol)
			continue;
		if (best == SIZE_MAX || s->cand[i].size_bytes > s->cand[best].size_bytes)
			best = i;
	}
	if (best != SIZE_MAX)
		choose(s, best, 1, COLLECT_GUEST_RAM_LARGEST);
}

int collect_smaps_parse(const char *buf, size_t len, uint64_t memsz_bytes,
			struct collect_smaps *out)
{
	if (!buf || !out)
		return -EINVAL;
	collect_smaps_begin(out, memsz_bytes);
	struct collect_lines it;
	const char *line;
	size_t ll;
	collect_lines_init(&it, buf, len);
	while (collect_lines_next(&it, &line, &ll)) {
		int r = collect_smaps_line(out, line, ll);
		if (r < 0)
			return r;
	}
	collect_smaps_end(out);
	return 0;
}

int collect_smaps_read(const char *path, uint64_t memsz_bytes, struct collect_smaps *out)
{
	if (!path || !out)
		return -EINVAL;
	enum { CAP = 64 * 1024 };
	char *buf = malloc(CAP);
	if (!buf)
		return -ENOMEM;
	int r = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out_free;
	}
	collect_smaps_begin(out, memsz_bytes);
	size_t have = 0;
	bool skipping = false; /* inside an over-long line: drop until '\n' */
	for (;;) {
		ssize_t n = read(fd, buf + have, CAP - have);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out_close;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		char *p = buf, *end = buf + have, *nl;
		while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
			if (!skipping && (r = collect_smaps_line(out, p, (size_t)(nl - p))) < 0)
				goto out_close;
			skipping = false;
			p = nl + 1;
		}
		if (p == buf && have == CAP) {
			/* One line fills the buffer: use its start, skip the rest. */
			if (!skipping && (r = collect_smaps_line(out, buf, 256)) < 0)
				goto out_close;
			skipping = true;
			have = 0;
			continue;
		}
		have = (size_t)(end - p);
		memmove(buf, p, have);
	}
	if (have && !skipping && (r = collect_smaps_line(out, buf, have)) < 0)
		goto out_close;
	collect_smaps_end(out);
out_close:
	close(fd);
out_free:
	free(buf);
	return r;
}
