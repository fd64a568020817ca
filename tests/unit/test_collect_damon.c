/* DAMON: tried_regions parsing on a fixture tree, the start/sample/stop sequence
 * on a fake sysfs tree, and the read-only probe of this host's DAMON. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "collect/damon.h"

#define FIX "tests/fixtures/collect/damon/"
#define MIB (1024ULL * 1024ULL)
#define BASE 0x7f0000000000ULL

static void test_regions(void **state)
{
	(void)state;
	struct collect_damon_regions r;
	/* Everything: 600+64 MiB in 6 regions, active = 64+100+112+88. */
	assert_int_equal(collect_damon_regions_read(FIX "tried_regions", 0, UINT64_MAX, &r), 0);
	assert_int_equal(r.n, 6);
	assert_int_equal(r.total_bytes, 664 * MIB);
	assert_int_equal(r.active_bytes, (64 + 100 + 112 + 88) * MIB);
	assert_int_equal(r.max_nr_accesses, 12);
	/* Clipped to a 512 MiB guest-RAM mapping: 100 + 112 active. */
	assert_int_equal(
	    collect_damon_regions_read(FIX "tried_regions", BASE, BASE + 512 * MIB, &r), 0);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.total_bytes, 512 * MIB);
	assert_int_equal(r.active_bytes, 212 * MIB);
	/* A window cutting a region in the middle counts only the overlap. */
	assert_int_equal(
	    collect_damon_regions_read(FIX "tried_regions", BASE + 50 * MIB, BASE + 150 * MIB, &r),
	    0);
	assert_int_equal(r.total_bytes, 100 * MIB);
	assert_int_equal(r.active_bytes, 50 * MIB);
	assert_int_equal(collect_damon_regions_read(FIX "empty_regions", 0, UINT64_MAX, &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(collect_damon_regions_read(FIX "bad_regions", 0, UINT64_MAX, &r), -EINVAL);
	assert_int_equal(collect_damon_regions_read(FIX "inverted_regions", 0, UINT64_MAX, &r),
			 -EINVAL);
	assert_int_equal(collect_damon_regions_read(FIX "nope", 0, UINT64_MAX, &r), -ENOENT);

	struct collect_damon_region reg = {0};
	assert_int_equal(collect_damon_region_parse("nr_accesses", "99999999999\n", 12, &reg), 0);
	assert_int_equal(reg.nr_accesses, UINT32_MAX);
	assert_int_equal(collect_damon_region_parse("start", "-1\n", 3, &reg), -EINVAL);
	assert_int_equal(collect_damon_region_parse("end", "18446744073709551616", 20, &reg),
			 -ERANGE);
	struct collect_damon_regions acc = {0};
	assert_int_equal(collect_damon_regions_add(&acc, &reg, 0, UINT64_MAX), -EINVAL);
}

/* A fake admin tree: the directories the kernel would create, with files. */
static char root[64];
static const char *files[] = {
    "kdamonds/nr_kdamonds",
    "kdamonds/0/state",
    "kdamonds/0/pid",
    "kdamonds/0/contexts/nr_contexts",
    "kdamonds/0/contexts/0/operations",
    "kdamonds/0/contexts/0/monitoring_attrs/intervals/sample_us",
    "kdamonds/0/contexts/0/monitoring_attrs/intervals/aggr_us",
    "kdamonds/0/contexts/0/monitoring_attrs/intervals/update_us",
    "kdamonds/0/contexts/0/monitoring_attrs/nr_regions/min",
    "kdamonds/0/contexts/0/monitoring_attrs/nr_regions/max",
    "kdamonds/0/contexts/0/targets/nr_targets",
    "kdamonds/0/contexts/0/targets/0/pid_target",
    "kdamonds/0/contexts/0/schemes/nr_schemes",
    "kdamonds/0/contexts/0/schemes/0/action",
    "kdamonds/0/contexts/0/schemes/0/access_pattern/sz/min",
    "kdamonds/0/contexts/0/schemes/0/access_pattern/sz/max",
    "kdamonds/0/contexts/0/schemes/0/access_pattern/nr_accesses/min",
    "kdamonds/0/contexts/0/schemes/0/access_pattern/nr_accesses/max",
    "kdamonds/0/contexts/0/schemes/0/access_pattern/age/min",
    "kdamonds/0/contexts/0/schemes/0/access_pattern/age/max",
    "kdamonds/0/contexts/0/schemes/0/tried_regions/0/start",
    "kdamonds/0/contexts/0/schemes/0/tried_regions/0/end",
    "kdamonds/0/contexts/0/schemes/0/tried_regions/0/nr_accesses",
};

static void put(const char *rel, const char *val)
{
	char path[256], cmd[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(val, f);
	fclose(f);
}

static void get(const char *rel, char *buf, size_t cap)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static int setup_tree(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/blimp-damon-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		put(files[i], "0\n");
	put("kdamonds/0/state", "off\n");
	put("kdamonds/0/contexts/0/schemes/0/tried_regions/0/start", "4096\n");
	put("kdamonds/0/contexts/0/schemes/0/tried_regions/0/end", "1052672\n");
	put("kdamonds/0/contexts/0/schemes/0/tried_regions/0/nr_accesses", "3\n");
	return 0;
}

static int teardown_tree(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_fake_sysfs(void **state)
{
	(void)state;
	struct collect_damon d;
	char buf[64];
	assert_int_equal(collect_damon_start(root, 4242, NULL, &d), 0);
	assert_true(d.running);
	get("kdamonds/nr_kdamonds", buf, sizeof(buf));
	assert_string_equal(buf, "1");
	get("kdamonds/0/contexts/0/operations", buf, sizeof(buf));
	assert_string_equal(buf, "vaddr");
	get("kdamonds/0/contexts/0/targets/0/pid_target", buf, sizeof(buf));
	assert_string_equal(buf, "4242");
	get("kdamonds/0/contexts/0/schemes/0/action", buf, sizeof(buf));
	assert_string_equal(buf, "stat");
	get("kdamonds/0/contexts/0/monitoring_attrs/intervals/aggr_us", buf, sizeof(buf));
	assert_string_equal(buf, "1000000");
	get("kdamonds/0/state", buf, sizeof(buf));
	assert_string_equal(buf, "on");

	/* Now someone else's? Ours is there: a second start is refused. */
	struct collect_damon d2;
	assert_int_equal(collect_damon_start(root, 1, NULL, &d2), -EBUSY);

	struct collect_damon_regions r;
	assert_int_equal(collect_damon_sample(&d, 0, UINT64_MAX, &r), 0);
	get("kdamonds/0/state", buf, sizeof(buf));
	assert_string_equal(buf, "update_schemes_tried_regions");
	assert_int_equal(r.n, 1);
	assert_int_equal(r.active_bytes, 1048576);

	assert_int_equal(collect_damon_stop(&d), 0);
	assert_false(d.running);
	get("kdamonds/nr_kdamonds", buf, sizeof(buf));
	assert_string_equal(buf, "0");
	get("kdamonds/0/state", buf, sizeof(buf));
	assert_string_equal(buf, "off");
	assert_int_equal(collect_damon_sample(&d, 0, UINT64_MAX, &r), -EINVAL);
	assert_int_equal(collect_damon_stop(&d), 0); /* idempotent */

	/* A failing step undoes nr_kdamonds. */
	char path[256];
	snprintf(path, sizeof(path), "%s/kdamonds/0/contexts/0/schemes/0/action", root);
	unlink(path);
	assert_int_equal(collect_damon_start(root, 4242, NULL, &d), -ENOENT);
	get("kdamonds/nr_kdamonds", buf, sizeof(buf));
	assert_string_equal(buf, "0");
	put("kdamonds/0/contexts/0/schemes/0/action", "stat\n");

	struct collect_damon_attrs bad = {.sample_us = 0};
	assert_int_equal(collect_damon_start(root, 4242, &bad, &d), -EINVAL);
	assert_int_equal(collect_damon_start(root, 0, NULL, &d), -EINVAL);
	assert_int_equal(collect_damon_start("/nonexistent", 1, NULL, &d), -ENOENT);
}

static void test_probe_host(void **state)
{
	(void)state;
	/* Read-only look at this host's DAMON: report, never assume. */
	char why[512];
	int r = collect_damon_probe(COLLECT_DAMON_ROOT, why, sizeof(why));
	print_message("DAMON on this host: %d (%s)\n", r, why);
	assert_true(r == 0 || r == -EBUSY || r == -ENOENT || r == -EACCES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_regions),
	    cmocka_unit_test_setup_teardown(test_fake_sysfs, setup_tree, teardown_tree),
	    cmocka_unit_test(test_probe_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
