#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../fixtures/act/fixture.h"
#include "act/ksm.h"

#define KSM "kernel/mm/ksm/"

static int setup(void **state)
{
	char *root = fx_tmpdir();
	if (!root)
		return -1;
	if (fx_write(root, KSM "run", "0\n") || fx_write(root, KSM "pages_to_scan", "100\n") ||
	    fx_write(root, KSM "sleep_millisecs", "20\n"))
		return -1;
	*state = root;
	return 0;
}

static int teardown(void **state)
{
	fx_rmtree(*state);
	return 0;
}

static void test_apply_and_restore(void **state)
{
	const char *root = *state;
	char msg[512];
	struct act_ksm *k = act_ksm_new(root, false);
	assert_non_null(k);
	assert_true(act_ksm_present(k));

	assert_int_equal(act_ksm_apply(k, true, 1000, 50, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(root, KSM "run"), "1");
	assert_string_equal(fx_read(root, KSM "pages_to_scan"), "1000");
	assert_string_equal(fx_read(root, KSM "sleep_millisecs"), "50");
	assert_non_null(strstr(msg, "ksm.run 0->1"));
	assert_non_null(strstr(msg, "ksm.pages_to_scan 100->1000"));

	/* Same plan again: nothing is written (an outside change stays visible). */
	assert_int_equal(fx_write(root, KSM "pages_to_scan", "7\n"), 0);
	assert_int_equal(act_ksm_apply(k, true, 1000, 50, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	assert_string_equal(fx_read(root, KSM "pages_to_scan"), "7");

	/* A new rate is written; the original (100) is still what comes back. */
	assert_int_equal(act_ksm_apply(k, true, 2000, 50, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(root, KSM "pages_to_scan"), "2000");
	assert_non_null(strstr(msg, "7->2000"));

	/* Off: run=0, rates left alone. */
	assert_int_equal(act_ksm_apply(k, false, 5, 5, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(root, KSM "run"), "0");
	assert_string_equal(fx_read(root, KSM "pages_to_scan"), "2000");

	assert_int_equal(act_ksm_restore(k, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(root, KSM "run"), "0");
	assert_string_equal(fx_read(root, KSM "pages_to_scan"), "100");
	assert_string_equal(fx_read(root, KSM "sleep_millisecs"), "20");
	/* Restoring twice is harmless and does nothing. */
	assert_int_equal(fx_write(root, KSM "pages_to_scan", "9\n"), 0);
	assert_int_equal(act_ksm_restore(k, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(root, KSM "pages_to_scan"), "9");
	act_ksm_free(k);
}

static void test_untouched_not_restored(void **state)
{
	const char *root = *state;
	char msg[512];
	struct act_ksm *k = act_ksm_new(root, false);
	assert_non_null(k);
	/* Values equal to what is there: no write, so nothing to restore later. */
	assert_int_equal(act_ksm_apply(k, true, 100, 20, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(root, KSM "run"), "1");
	assert_int_equal(fx_write(root, KSM "sleep_millisecs", "33\n"), 0);
	assert_int_equal(act_ksm_restore(k, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(root, KSM "run"), "0");
	assert_string_equal(fx_read(root, KSM "sleep_millisecs"), "33");
	assert_null(strstr(msg, "sleep"));
	act_ksm_free(k);
}

static void test_zero_scan_means_off(void **state)
{
	const char *root = *state;
	char msg[256];
	assert_int_equal(fx_write(root, KSM "run", "1\n"), 0);
	struct act_ksm *k = act_ksm_new(root, false);
	assert_non_null(k);
	assert_int_equal(act_ksm_apply(k, true, 0, 20, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(root, KSM "run"), "0");
	assert_int_equal(act_ksm_restore(k, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(root, KSM "run"), "1");
	act_ksm_free(k);
}

static void test_dry_run(void **state)
{
	const char *root = *state;
	char msg[512];
	struct act_ksm *k = act_ksm_new(root, true);
	assert_non_null(k);
	assert_int_equal(act_ksm_apply(k, true, 1000, 50, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "would set ksm.run 0->1"));
	assert_non_null(strstr(msg, "would set ksm.pages_to_scan 100->1000"));
	assert_string_equal(fx_read(root, KSM "run"), "0");
	assert_string_equal(fx_read(root, KSM "pages_to_scan"), "100");
	/* Once said, not repeated. */
	assert_int_equal(act_ksm_apply(k, true, 1000, 50, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	assert_int_equal(act_ksm_restore(k, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(root, KSM "run"), "0");
	act_ksm_free(k);
}

static void test_missing_and_hostile(void **state)
{
	const char *root = *state;
	char msg[512];
	char other[4200];
	snprintf(other, sizeof(other), "%s/nothing", root);
	struct act_ksm *k = act_ksm_new(other, false);
	assert_non_null(k);
	assert_false(act_ksm_present(k));
	assert_int_equal(act_ksm_apply(k, true, 10, 10, msg, sizeof(msg)), -ENOENT);
	assert_non_null(strstr(msg, "cannot read"));
	act_ksm_free(k);

	/* A huge or NUL-laden file is refused, not trusted. */
	char big[300];
	memset(big, '9', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(fx_write(root, KSM "pages_to_scan", big), 0);
	k = act_ksm_new(root, false);
	assert_non_null(k);
	assert_int_equal(act_ksm_apply(k, true, 10, 10, msg, sizeof(msg)), -EFBIG);
	assert_string_equal(fx_read(root, KSM "run"), "0");
	act_ksm_free(k);

	/* A root too long for PATH_MAX is refused at creation. */
	char *longroot = malloc(5000);
	assert_non_null(longroot);
	memset(longroot, 'a', 4999);
	longroot[4999] = '\0';
	assert_null(act_ksm_new(longroot, false));
	free(longroot);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_apply_and_restore, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_untouched_not_restored, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_zero_scan_means_off, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_and_hostile, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
