/* daemon_guest_stage: a guest file under a directory QEMU's user cannot search is
 * staged under the state dir (and reused until the source changes); a reachable one
 * is handed over as it is. Needs root (the reach check drops to another uid). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/guest_stage.h"

#define NOBODY 65534

static char root[64];

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void get(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/blimp-stage.XXXXXX");
	assert_non_null(mkdtemp(root));
	chmod(root, 0755);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_stage(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	char hidden[128], open_dir[128], src[160], src2[160], pub[160], st[128], out[512],
	    out2[512], err[512], buf[64];
	snprintf(hidden, sizeof(hidden), "%s/hidden", root);
	snprintf(open_dir, sizeof(open_dir), "%s/open", root);
	snprintf(st, sizeof(st), "%s/state", root);
	assert_int_equal(mkdir(hidden, 0700), 0);
	assert_int_equal(mkdir(open_dir, 0755), 0);
	assert_int_equal(mkdir(st, 0711), 0);
	snprintf(src, sizeof(src), "%s/vmlinux", hidden);
	snprintf(pub, sizeof(pub), "%s/vmlinux", open_dir);
	put(src, "kernel one");
	put(pub, "kernel pub");
	chmod(src, 0644);
	chmod(pub, 0644);

	/* reachable: handed over as it is */
	assert_int_equal(
	    daemon_guest_stage(st, NOBODY, NOBODY, pub, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, pub);

	/* behind a 0700 directory: staged under STATE/staged, same bytes */
	assert_int_equal(
	    daemon_guest_stage(st, NOBODY, NOBODY, src, out, sizeof(out), err, sizeof(err)), 0);
	assert_non_null(strstr(out, "/state/staged/"));
	assert_non_null(strstr(out, "-vmlinux"));
	get(out, buf, sizeof(buf));
	assert_string_equal(buf, "kernel one");
	struct stat a, b;
	assert_int_equal(stat(out, &a), 0);

	/* unchanged source: the same staged file (same inode) */
	assert_int_equal(
	    daemon_guest_stage(st, NOBODY, NOBODY, src, out2, sizeof(out2), err, sizeof(err)), 0);
	assert_string_equal(out2, out);
	assert_int_equal(stat(out2, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);

	/* a new build replaces the source (new inode, as make guest renames): restaged */
	snprintf(src2, sizeof(src2), "%s/vmlinux.new", hidden);
	put(src2, "kernel two, longer");
	assert_int_equal(rename(src2, src), 0);
	assert_int_equal(
	    daemon_guest_stage(st, NOBODY, NOBODY, src, out2, sizeof(out2), err, sizeof(err)), 0);
	get(out2, buf, sizeof(buf));
	assert_string_equal(buf, "kernel two, longer");

	/* a source that is gone: a clear error */
	char missing[200];
	snprintf(missing, sizeof(missing), "%s/initrd.img", hidden);
	assert_true(daemon_guest_stage(st, NOBODY, NOBODY, missing, out, sizeof(out), err,
				       sizeof(err)) < 0);
	assert_non_null(strstr(err, "initrd.img"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_stage, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
