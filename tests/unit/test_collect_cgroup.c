/* cgroup collector: version detection, /proc/PID/cgroup, v1 (real copy of this
 * host's files) and v2 (libvirt's layout) trees. */
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

#include "collect/cgroup.h"

#define FIX "tests/fixtures/collect/cgroup/"
#define V2SCOPE FIX "v2/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope"

static void test_version(void **state)
{
	(void)state;
	assert_int_equal(collect_cgroup_version(FIX "v1"), 1);
	assert_int_equal(collect_cgroup_version(FIX "v2"), 2);
	assert_int_equal(collect_cgroup_version(FIX "nope"), -ENOENT);
	assert_int_equal(collect_cgroup_version(FIX "v1/unified"), -ENOENT); /* no memory */
}

static void test_proc_parse(void **state)
{
	(void)state;
	char path[256];
	const char v1[] = "9:name=systemd:/\n4:cpu,memory:/machine/qemu-1-vm1.libvirt-qemu\n0::/\n";
	assert_int_equal(collect_cgroup_proc_parse(v1, strlen(v1), 1, path, sizeof(path)), 0);
	assert_string_equal(path, "/machine/qemu-1-vm1.libvirt-qemu");
	assert_int_equal(collect_cgroup_proc_parse(v1, strlen(v1), 2, path, sizeof(path)), 0);
	assert_string_equal(path, "/");
	const char nomem[] = "4:memoryx:/a\n3:xmemory:/b\n";
	assert_int_equal(collect_cgroup_proc_parse(nomem, strlen(nomem), 1, path, sizeof(path)),
			 -ENOENT);
	static const char *bad[] = {
	    "4:memory:/a/../../etc\n",
	    "4:memory:relative\n",
	    "4:memory:/a/./b\n",
	    "garbage\n",
	    "4:memory\n",
	    "4:memory:\n",
	    "4:memory:/..\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (collect_cgroup_proc_parse(bad[i], strlen(bad[i]), 1, path, sizeof(path)) !=
		    -EINVAL)
			fail_msg("accepted %s", bad[i]);
	const char nul[] = "4:memory:/a\0b\n";
	assert_int_equal(collect_cgroup_proc_parse(nul, sizeof(nul) - 1, 1, path, sizeof(path)),
			 -EINVAL);
	const char ok[] = "4:memory:/a..b/c\n"; /* ".." inside a name is fine */
	assert_int_equal(collect_cgroup_proc_parse(ok, strlen(ok), 1, path, sizeof(path)), 0);
	assert_int_equal(collect_cgroup_proc_parse(ok, strlen(ok), 1, path, 4), -ENAMETOOLONG);
	assert_int_equal(collect_cgroup_proc_parse(ok, strlen(ok), 3, path, sizeof(path)), -EINVAL);
}

static void test_v1(void **state)
{
	(void)state;
	char dir[512];
	assert_int_equal(
	    collect_cgroup_pid_dir(FIX "v1", 1, FIX "v1/proc_cgroup", dir, sizeof(dir)), 0);
	assert_string_equal(dir, FIX "v1/memory/process_api/025b5b34a1b4b93a863fcfb014d188ba");
	struct collect_cgroup c;
	assert_int_equal(collect_cgroup_read(dir, 1, &c), 0);
	assert_int_equal(c.version, 1);
	assert_int_equal(c.v[COLLECT_CG_USAGE], 13676544);
	assert_int_equal(c.v[COLLECT_CG_ANON], 2203648);
	assert_int_equal(c.v[COLLECT_CG_FILE], 9744384);
	assert_true(collect_cgroup_has(&c, COLLECT_CG_SWAP));
	assert_int_equal(c.v[COLLECT_CG_SWAP], 0);
	assert_int_equal(c.v[COLLECT_CG_PGMAJFAULT], 78);
	/* 9223372036854771712 = no limit */
	assert_int_equal(c.v[COLLECT_CG_LIMIT], COLLECT_CGROUP_UNLIMITED);
	assert_int_equal(c.v[COLLECT_CG_MEMSW_LIMIT], COLLECT_CGROUP_UNLIMITED);
	assert_false(collect_cgroup_has(&c, COLLECT_CG_HIGH));
	assert_false(collect_cgroup_has(&c, COLLECT_CG_ZSWAP));
	/* Reading it as v2 fails: no memory.current. */
	assert_int_equal(collect_cgroup_read(dir, 2, &c), -ENOENT);
}

static void test_v2(void **state)
{
	(void)state;
	char dir[512];
	/* The process sits in the threaded leaf .../libvirt/emulator; memory is
	 * accounted at the scope, found by walking up. */
	assert_int_equal(
	    collect_cgroup_pid_dir(FIX "v2", 2, FIX "v2/proc_cgroup", dir, sizeof(dir)), 0);
	assert_string_equal(dir, V2SCOPE);
	struct collect_cgroup c;
	assert_int_equal(collect_cgroup_read(dir, 2, &c), 0);
	assert_int_equal(c.v[COLLECT_CG_USAGE], 414310400);
	assert_int_equal(c.v[COLLECT_CG_ANON], 396361728);
	assert_int_equal(c.v[COLLECT_CG_FILE], 12718080);
	assert_int_equal(c.v[COLLECT_CG_SWAP], 134217728);
	assert_int_equal(c.v[COLLECT_CG_ZSWAP], 20971520);
	assert_int_equal(c.v[COLLECT_CG_ZSWAPPED], 62914560);
	assert_int_equal(c.v[COLLECT_CG_LIMIT], 536870912);
	assert_int_equal(c.v[COLLECT_CG_HIGH], COLLECT_CGROUP_UNLIMITED);
	assert_int_equal(c.v[COLLECT_CG_SWAP_MAX], COLLECT_CGROUP_UNLIMITED);
	assert_int_equal(c.v[COLLECT_CG_PGMAJFAULT], 312);
	assert_int_equal(collect_cgroup_pid_dir(FIX "v2", 2, FIX "nope", dir, sizeof(dir)),
			 -ENOENT);
	assert_int_equal(collect_cgroup_pid_dir(FIX "v2", 2, FIX "v2/proc_cgroup", dir, 10),
			 -ENAMETOOLONG);
}

static void test_values(void **state)
{
	(void)state;
	uint64_t v;
	assert_int_equal(collect_cgroup_value_parse("max\n", 4, &v), 0);
	assert_int_equal(v, COLLECT_CGROUP_UNLIMITED);
	assert_int_equal(collect_cgroup_value_parse("4096\n", 5, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(collect_cgroup_value_parse("maximum\n", 8, &v), -EINVAL);
	assert_int_equal(collect_cgroup_value_parse("-1\n", 3, &v), -EINVAL);
	assert_int_equal(collect_cgroup_value_parse("", 0, &v), -EINVAL);
	assert_int_equal(collect_cgroup_value_parse("18446744073709551616", 20, &v), -ERANGE);
	struct collect_cgroup c = {0};
	const char st[] = "anon 5\nanon_thp 7\nfile 9\nxzswap 3\nzswap 11\n";
	assert_int_equal(collect_cgroup_stat_parse(st, strlen(st), 2, &c), 0);
	assert_int_equal(c.v[COLLECT_CG_ANON], 5); /* anon_thp did not overwrite it */
	assert_int_equal(c.v[COLLECT_CG_FILE], 9);
	assert_int_equal(c.v[COLLECT_CG_ZSWAP], 11);
	const char bad[] = "anon five\n";
	assert_int_equal(collect_cgroup_stat_parse(bad, strlen(bad), 2, &c), -EINVAL);
	const char v1[] = "rss 1\ntotal_rss 2\ntotal_rss_huge 3\n";
	memset(&c, 0, sizeof(c));
	assert_int_equal(collect_cgroup_stat_parse(v1, strlen(v1), 1, &c), 0);
	assert_int_equal(c.v[COLLECT_CG_ANON], 2);
}

static void put(const char *dir, const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* memory.swap.max up the tree: the smallest wins, the root's is never read, a
 * missing file is no cap, garbage is an error. */
static void test_swap_cap(void **state)
{
	(void)state;
	char root[] = "/tmp/blimp-cgcap.XXXXXX", d1[600], d2[700], out[800];
	assert_non_null(mkdtemp(root));
	snprintf(d1, sizeof(d1), "%s/machine.slice", root);
	snprintf(d2, sizeof(d2), "%s/vm1.scope", d1);
	assert_int_equal(mkdir(d1, 0700), 0);
	assert_int_equal(mkdir(d2, 0700), 0);
	put(root, "memory.swap.max", "0\n"); /* the root's: never read (v2 has none) */
	uint64_t cap = 0;
	assert_int_equal(collect_cgroup_swap_cap(root, d2, &cap), 0);
	assert_true(cap == COLLECT_CGROUP_UNLIMITED); /* no files below the root */
	put(d2, "memory.swap.max", "max\n");
	put(d1, "memory.swap.max", "0\n");
	assert_int_equal(collect_cgroup_swap_cap(root, d2, &cap), 0);
	assert_int_equal(cap, 0); /* the slice stops its VMs */
	put(d1, "memory.swap.max", "1073741824\n");
	put(d2, "memory.swap.max", "268435456\n");
	assert_int_equal(collect_cgroup_swap_cap(root, d2, &cap), 0);
	assert_int_equal(cap, 268435456);
	assert_int_equal(collect_cgroup_swap_cap(root, d1, &cap), 0);
	assert_int_equal(cap, 1073741824);
	char slash[700];
	snprintf(slash, sizeof(slash), "%s/", root); /* a root given with a slash */
	assert_int_equal(collect_cgroup_swap_cap(slash, d2, &cap), 0);
	assert_int_equal(cap, 268435456);
	assert_int_equal(collect_cgroup_swap_cap(root, root, &cap), 0);
	assert_true(cap == COLLECT_CGROUP_UNLIMITED);
	put(d2, "memory.swap.max", "lots\n");
	assert_int_equal(collect_cgroup_swap_cap(root, d2, &cap), -EINVAL);
	assert_int_equal(collect_cgroup_swap_cap(root, "/elsewhere/vm1.scope", &cap), -EINVAL);
	snprintf(out, sizeof(out), "%sx/vm1.scope", root); /* a sibling sharing the prefix */
	assert_int_equal(collect_cgroup_swap_cap(root, out, &cap), -EINVAL);
	assert_int_equal(collect_cgroup_swap_cap(NULL, d2, &cap), -EINVAL);
	const char *rm[] = {"vm1.scope/memory.swap.max", "memory.swap.max", NULL};
	for (int i = 0; rm[i]; i++) {
		snprintf(out, sizeof(out), "%s/%s", d1, rm[i]);
		assert_int_equal(unlink(out), 0);
	}
	snprintf(out, sizeof(out), "%s/memory.swap.max", root);
	assert_int_equal(unlink(out), 0);
	assert_int_equal(rmdir(d2), 0);
	assert_int_equal(rmdir(d1), 0);
	assert_int_equal(rmdir(root), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_version), cmocka_unit_test(test_proc_parse),
	    cmocka_unit_test(test_v1),	    cmocka_unit_test(test_v2),
	    cmocka_unit_test(test_values),  cmocka_unit_test(test_swap_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
