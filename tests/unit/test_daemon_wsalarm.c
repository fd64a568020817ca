/* The working-set alarm's hysteresis: one start, one end after 10 s without a
 * shortfall, the peak kept for the end's log line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon/wsalarm.h"

static void test_start_end(void **state)
{
	(void)state;
	struct daemon_wsalarm a = {0};
	assert_int_equal(daemon_wsalarm_step(&a, 0, 1000), DAEMON_WSALARM_NONE);
	assert_int_equal(daemon_wsalarm_step(&a, 100, 2000), DAEMON_WSALARM_START);
	assert_true(a.active);
	assert_int_equal(daemon_wsalarm_step(&a, 300, 3000), DAEMON_WSALARM_NONE);
	assert_int_equal(daemon_wsalarm_step(&a, 200, 4000), DAEMON_WSALARM_NONE);
	assert_int_equal(a.peak_bytes, 300);
	/* a dip to 0 shorter than 10 s does not end it */
	assert_int_equal(daemon_wsalarm_step(&a, 0, 5000), DAEMON_WSALARM_NONE);
	assert_int_equal(daemon_wsalarm_step(&a, 0, 14000), DAEMON_WSALARM_NONE);
	assert_int_equal(daemon_wsalarm_step(&a, 50, 15000), DAEMON_WSALARM_NONE);
	assert_true(a.active);
	assert_int_equal(daemon_wsalarm_step(&a, 0, 16000), DAEMON_WSALARM_NONE);
	assert_int_equal(daemon_wsalarm_step(&a, 0, 25999), DAEMON_WSALARM_NONE);
	assert_int_equal(daemon_wsalarm_step(&a, 0, 26000), DAEMON_WSALARM_END);
	assert_false(a.active);
	assert_int_equal(a.since_ms, 2000);
	assert_int_equal(a.peak_bytes, 300);
	assert_int_equal(daemon_wsalarm_step(&a, 0, 40000), DAEMON_WSALARM_NONE);
	/* a new episode starts with its own peak */
	assert_int_equal(daemon_wsalarm_step(&a, 10, 50000), DAEMON_WSALARM_START);
	assert_int_equal(a.peak_bytes, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_start_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
