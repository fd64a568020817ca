/* util_mkdir_p: parents and leaf with their modes, existing directories kept,
 * errors for files in the way and over-long paths. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"

static mode_t mode_of(const char *p)
{
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	return st.st_mode & 07777;
}

static void test_mkdir_p(void **state)
{
	(void)state;
	char root[] = "/tmp/blimp-fs-XXXXXX", p[256], q[256];
	assert_non_null(mkdtemp(root));
	mode_t old = umask(0);
	snprintf(p, sizeof(p), "%s/a/b/c", root);
	assert_int_equal(util_mkdir_p(p, 0755, 0700), 0);
	assert_int_equal(mode_of(p), 0700);
	snprintf(q, sizeof(q), "%s/a/b", root);
	assert_int_equal(mode_of(q), 0755);
	/* again: nothing changes, no error */
	assert_int_equal(chmod(q, 0711), 0);
	assert_int_equal(util_mkdir_p(p, 0755, 0700), 0);
	assert_int_equal(mode_of(q), 0711);
	/* a file in the way */
	snprintf(q, sizeof(q), "%s/f", root);
	FILE *f = fopen(q, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/f/x", root);
	assert_int_equal(util_mkdir_p(p, 0755, 0700), -ENOTDIR);
	umask(old);
	char *big = malloc(PATH_MAX + 10);
	memset(big, 'a', PATH_MAX + 9);
	big[0] = '/';
	big[PATH_MAX + 9] = '\0';
	assert_int_equal(util_mkdir_p(big, 0755, 0700), -ENAMETOOLONG);
	free(big);
	assert_int_equal(util_mkdir_p("", 0755, 0700), -EINVAL);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_mkdir_p)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
