/* daemon_lock: the holder's "PID STATE_DIR" line parsed strictly (hostile file
 * contents give a generic message, never a crash); a second taker of the same file
 * gets -EWOULDBLOCK naming the first; the lock goes with its fd. daemon_qemu_reach:
 * a directory closed to others is named as the blocker. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/lock.h"
#include "daemon/qemu_access.h"

static void test_parse(void **state)
{
	(void)state;
	pid_t pid;
	char dir[64];
	assert_int_equal(daemon_lock_parse("123 /var/lib/blimp\n", &pid, dir, sizeof(dir)), 0);
	assert_int_equal(pid, 123);
	assert_string_equal(dir, "/var/lib/blimp");
	assert_int_equal(daemon_lock_parse("7 /a b\n", &pid, dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/a b");
	const char *bad[] = {"", "x /a", "-1 /a", "0 /a", "99999999999 /a", "12", "12 ",
			     "12\t/a", "12 /a\x01", "12 \n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(daemon_lock_parse(bad[i], &pid, dir, sizeof(dir)), -EINVAL);
	char longdir[200];
	memset(longdir, 'a', sizeof(longdir));
	longdir[0] = '1';
	longdir[1] = ' ';
	longdir[sizeof(longdir) - 1] = '\0';
	assert_int_equal(daemon_lock_parse(longdir, &pid, dir, sizeof(dir)), -EINVAL);
}

static void test_take_twice(void **state)
{
	(void)state;
	char root[] = "/tmp/blimp-lock-XXXXXX", path[256], err[512];
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/sub/blimpd.lock", root);
	int fd1 = -1, fd2 = -1;
	assert_int_equal(daemon_lock_take(path, "/state/one", &fd1, err, sizeof(err)), 0);
	assert_true(fd1 >= 0);
	/* flock is per open file: a second open in this process conflicts like a process */
	assert_int_equal(daemon_lock_take(path, "/state/two", &fd2, err, sizeof(err)),
			 -EWOULDBLOCK);
	char want[128];
	snprintf(want, sizeof(want), "another blimpd (pid %d, state dir /state/one)",
		 (int)getpid());
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, path));
	close(fd1);
	assert_int_equal(daemon_lock_take(path, "/state/two", &fd2, err, sizeof(err)), 0);
	/* garbage in the file: still refused, with a generic message */
	int g = open(path, O_WRONLY | O_TRUNC);
	assert_true(g >= 0);
	assert_int_equal(write(g, "\x01garbage", 8), 8);
	close(g);
	int fd3 = -1;
	assert_int_equal(daemon_lock_take(path, "/x", &fd3, err, sizeof(err)), -EWOULDBLOCK);
	assert_non_null(strstr(err, "another blimpd is running"));
	close(fd2);
	assert_int_equal(daemon_lock_take("relative", "/x", &fd3, err, sizeof(err)), -EINVAL);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sub", root);
	rmdir(path);
	rmdir(root);
}

static void test_reach(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	char root[] = "/tmp/blimp-reach-XXXXXX", a[256], b[256], blocker[PATH_MAX];
	assert_non_null(mkdtemp(root));
	assert_int_equal(chmod(root, 0711), 0);
	snprintf(a, sizeof(a), "%s/a", root);
	snprintf(b, sizeof(b), "%s/a/b", root);
	assert_int_equal(mkdir(a, 0700), 0);
	assert_int_equal(mkdir(b, 0755), 0);
	assert_int_equal(daemon_qemu_reach(65534, 65534, b, blocker, sizeof(blocker)), -EACCES);
	assert_string_equal(blocker, a);
	assert_int_equal(chmod(a, 0711), 0);
	assert_int_equal(daemon_qemu_reach(65534, 65534, b, blocker, sizeof(blocker)), 0);
	assert_int_equal(chmod(b, 0700), 0);
	/* a file's own directory counts, the file itself does not */
	char f[300];
	snprintf(f, sizeof(f), "%s/file", b);
	assert_int_equal(daemon_qemu_reach(65534, 65534, f, blocker, sizeof(blocker)), -EACCES);
	assert_string_equal(blocker, b);
	rmdir(b);
	rmdir(a);
	rmdir(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_take_twice),
	    cmocka_unit_test(test_reach),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
