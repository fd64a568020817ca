/*
 * DESIGN: DAMON's sysfs interface is a tree the kernel builds as counts are
 * written (nr_kdamonds creates kdamonds/0, nr_contexts creates contexts/0, ...).
 * blimp builds one kdamond with one vaddr context targeting the QEMU pid and one
 * "stat" scheme (an action that changes nothing, only counts). Writing
 * "update_schemes_tried_regions" to the kdamond's state makes the kernel list the
 * regions the scheme saw, each with nr_accesses (how many of the aggregation
 * interval's samples found it accessed).
 *
 * Estimate: active bytes = bytes of regions with nr_accesses > 0, clipped to the
 * guest-RAM mapping. DAMON adapts region boundaries (it splits and merges regions
 * of similar access), so this is an estimate at region granularity: it errs
 * towards "active" when a region mixes hot and cold pages, like ESX's sampling
 * errs by its sample size. With aggr 1 s it means "touched within the last
 * second"; the policy's slow and fast averages turn it into ACTVS/ACTVF.
 *
 * Safety: DAMON allows changing nr_kdamonds only while none runs, and a write
 * recreates every kdamond directory; so blimp uses DAMON only when nobody else
 * does (nr_kdamonds == 0) and removes everything on stop.
 */
#include "collect/damon.h"
#include "collect/parse.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const region_files[] = {"start", "end", "nr_accesses", "age"};

int collect_damon_region_parse(const char *name, const char *buf, size_t len,
			       struct collect_damon_region *r)
{
	if (!name || !buf || !r)
		return -EINVAL;
	for (unsigned i = 0; i < 4; i++) {
		if (strcmp(name, region_files[i]) != 0)
			continue;
		uint64_t v;
		int e = collect_u64_whole(buf, len, &v);
		if (e < 0)
			return e;
		if (i >= 2 && v > UINT32_MAX)
			v = UINT32_MAX; /* counts: clamp */
		if (i == 0)
			r->start = v;
		else if (i == 1)
			r->end = v;
		else if (i == 2)
			r->nr_accesses = (uint32_t)v;
		else
			r->age = (uint32_t)v;
		r->found |= 1U << i;
		return 0;
	}
	return 0;
}

int collect_damon_regions_add(struct collect_damon_regions *out,
			      const struct collect_damon_region *r, uint64_t lo, uint64_t hi)
{
	if ((r->found & 7) != 7 || r->end <= r->start)
		return -EINVAL;
	uint64_t s = r->start > lo ? r->start : lo;
	uint64_t e = r->end < hi ? r->end : hi;
	if (e <= s)
		return 0; /* outside the window */
	out->n++;
	out->total_bytes = collect_add_sat(out->total_bytes, e - s);
	if (r->nr_accesses > 0)
		out->active_bytes = collect_add_sat(out->active_bytes, e - s);
	if (r->nr_accesses > out->max_nr_accesses)
		out->max_nr_accesses = r->nr_accesses;
	return 0;
}

int collect_damon_region_readat(int dirfd, const char *sub, struct collect_damon_region *r)
{
	int fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int e = 0;
	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; i < 4; i++) {
		char buf[64];
		size_t len;
		e = collect_file_readat(fd, region_files[i], buf, sizeof(buf), &len);
		if (e == -ENOENT && i == 3) {
			e = 0; /* age: older kernels */
			continue;
		}
		if (e == -EFBIG)
			e = -EINVAL;
		if (e < 0 || (e = collect_damon_region_parse(region_files[i], buf, len, r)) < 0)
			break;
	}
	close(fd);
	return e;
}

int collect_damon_regions_read(const char *dir, uint64_t lo, uint64_t hi,
			       struct collect_damon_regions *out)
{
	return collect_damon_regions_read_recent(dir, lo, hi, 0, out);
}

int collect_damon_regions_read_recent(const char *dir, uint64_t lo, uint64_t hi,
				      uint64_t recent_aggrs, struct collect_damon_regions *out)
{
	if (!dir || !out)
		return -EINVAL;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	struct collect_damon_regions acc = {0};
	int e = 0;
	/* Regions are numbered 0..N-1; walk until the first missing one. */
	for (unsigned i = 0;; i++) {
		char sub[16];
		struct collect_damon_region r;
		snprintf(sub, sizeof(sub), "%u", i);
		e = collect_damon_region_readat(dfd, sub, &r);
		if (e == -ENOENT) {
			e = 0;
			break;
		}
		if (e < 0)
			break;
		if (r.nr_accesses == 0 && (r.found & 8) && r.age < recent_aggrs)
			r.nr_accesses = 1; /* idle now, but touched within the window */
		if ((e = collect_damon_regions_add(&acc, &r, lo, hi)) < 0)
			break;
	}
	close(dfd);
	if (e == 0)
		*out = acc;
	return e;
}

/* --- the live interface --------------------------------------------------- */

static int write_at(const char *root, const char *rel, const char *val)
{
	char path[512];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) >= sizeof(path))
		return -ENAMETOOLONG;
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t n = strlen(val);
	ssize_t w = write(fd, val, n);
	int e = w < 0 ? -errno : (size_t)w != n ? -EIO : 0;
	if (close(fd) < 0 && e == 0)
		e = -errno;
	return e;
}

static int read_at(const char *root, const char *rel, char *buf, size_t cap)
{
	char path[512];
	size_t len;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) >= sizeof(path))
		return -ENAMETOOLONG;
	int e = collect_file_read(path, buf, cap, &len);
	if (e < 0)
		return e;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return 0;
}

int collect_damon_probe(const char *admin_root, char *buf, size_t len)
{
	char v[64], state[32], pid[32], ops[32];
	uint64_t n;
	if (!admin_root)
		return -EINVAL;
	int e = read_at(admin_root, "kdamonds/nr_kdamonds", v, sizeof(v));
	if (e < 0) {
		snprintf(buf, len, "%s/kdamonds/nr_kdamonds: %s", admin_root, strerror(-e));
		return e;
	}
	if ((e = collect_u64_whole(v, strlen(v), &n)) < 0) {
		snprintf(buf, len, "nr_kdamonds unreadable: %s", v);
		return e;
	}
	if (n == 0) {
		snprintf(buf, len, "free");
		return 0;
	}
	if (read_at(admin_root, "kdamonds/0/state", state, sizeof(state)) < 0)
		snprintf(state, sizeof(state), "?");
	if (read_at(admin_root, "kdamonds/0/pid", pid, sizeof(pid)) < 0)
		snprintf(pid, sizeof(pid), "?");
	if (read_at(admin_root, "kdamonds/0/contexts/0/operations", ops, sizeof(ops)) < 0)
		snprintf(ops, sizeof(ops), "?");
	snprintf(buf, len,
		 "%llu kdamond(s) exist (kdamond 0 is %s, pid %s, ops %s) and are not ours; "
		 "DAMON sysfs cannot add one without rewriting nr_kdamonds, which the kernel "
		 "refuses while one runs and which would delete the others' setup",
		 (unsigned long long)n, state, pid, ops);
	return -EBUSY;
}

int collect_damon_start(const char *admin_root, pid_t pid, const struct collect_damon_attrs *attrs,
			struct collect_damon *d)
{
	if (!admin_root || !d || pid <= 0 || strlen(admin_root) >= sizeof(d->root))
		return -EINVAL;
	char why[256];
	int e = collect_damon_probe(admin_root, why, sizeof(why));
	if (e < 0)
		return e;
	struct collect_damon_attrs a = {10000, 1000000, 1000000, 10, 1000};
	if (attrs)
		a = *attrs;
	if (!a.sample_us || a.aggr_us < a.sample_us || !a.min_regions ||
	    a.max_regions < a.min_regions)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	snprintf(d->root, sizeof(d->root), "%s", admin_root);
	d->pid = pid;

	char num[5][32];
	snprintf(num[0], sizeof(num[0]), "%llu", (unsigned long long)a.sample_us);
	snprintf(num[1], sizeof(num[1]), "%llu", (unsigned long long)a.aggr_us);
	snprintf(num[2], sizeof(num[2]), "%llu", (unsigned long long)a.update_us);
	snprintf(num[3], sizeof(num[3]), "%u", a.min_regions);
	snprintf(num[4], sizeof(num[4]), "%u", a.max_regions);
	char pidbuf[32];
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
#define C "kdamonds/0/contexts/0/"
#define S C "schemes/0/"
	const struct {
		const char *rel, *val;
	} steps[] = {
	    {"kdamonds/nr_kdamonds", "1"},
	    {"kdamonds/0/contexts/nr_contexts", "1"},
	    {C "operations", "vaddr"},
	    {C "monitoring_attrs/intervals/sample_us", num[0]},
	    {C "monitoring_attrs/intervals/aggr_us", num[1]},
	    {C "monitoring_attrs/intervals/update_us", num[2]},
	    {C "monitoring_attrs/nr_regions/min", num[3]},
	    {C "monitoring_attrs/nr_regions/max", num[4]},
	    {C "targets/nr_targets", "1"},
	    {C "targets/0/pid_target", pidbuf},
	    {C "schemes/nr_schemes", "1"},
	    {S "action", "stat"},
	    {S "access_pattern/sz/min", "0"},
	    {S "access_pattern/sz/max", "18446744073709551615"},
	    {S "access_pattern/nr_accesses/min", "0"},
	    {S "access_pattern/nr_accesses/max", "4294967295"},
	    {S "access_pattern/age/min", "0"},
	    {S "access_pattern/age/max", "4294967295"},
	    {"kdamonds/0/state", "on"},
	};
#undef S
#undef C
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if ((e = write_at(admin_root, steps[i].rel, steps[i].val)) < 0) {
			if (i > 0)
				(void)write_at(admin_root, "kdamonds/nr_kdamonds", "0");
			return e;
		}
	}
	d->running = true;
	return 0;
}

int collect_damon_sample(struct collect_damon *d, uint64_t lo, uint64_t hi,
			 struct collect_damon_regions *out)
{
	if (!d || !d->running || !out)
		return -EINVAL;
	int e = write_at(d->root, "kdamonds/0/state", "update_schemes_tried_regions");
	if (e < 0)
		return e;
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/kdamonds/0/contexts/0/schemes/0/tried_regions", d->root);
	return collect_damon_regions_read(dir, lo, hi, out);
}

int collect_damon_stop(struct collect_damon *d)
{
	if (!d || !d->running)
		return 0;
	int e = write_at(d->root, "kdamonds/0/state", "off");
	int e2 = write_at(d->root, "kdamonds/nr_kdamonds", "0");
	d->running = false;
	return e < 0 ? e : e2;
}
