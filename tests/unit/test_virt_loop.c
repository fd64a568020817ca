#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>

#include "virt/loop.h"

static int fd_calls, timer_calls, once_calls;
static int fd_id;

static void on_fd(int fd, short revents, void *opaque)
{
	(void)opaque;
	char c;
	assert_true(revents & POLLIN);
	assert_int_equal(read(fd, &c, 1), 1);
	fd_calls++;
	/* a callback may remove its own registration */
	virt_loop_remove_fd(fd_id);
}

static void on_timer(void *opaque)
{
	(*(int *)opaque)++;
}

static void test_fd_and_removal(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	fd_id = virt_loop_add_fd(p[0], POLLIN, on_fd, NULL);
	assert_true(fd_id > 0);
	assert_int_equal(write(p[1], "ab", 2), 2);
	assert_int_equal(virt_loop_run_once(1000), 0);
	assert_int_equal(fd_calls, 1);
	/* removed: the second byte is never dispatched */
	assert_int_equal(virt_loop_run_once(50), 0);
	assert_int_equal(fd_calls, 1);
	close(p[0]);
	close(p[1]);
}

static void test_timers(void **state)
{
	(void)state;
	int id = virt_loop_add_timer(20, on_timer, &timer_calls);
	int id1 = virt_loop_add_timer(0, on_timer, &once_calls);
	assert_true(id > 0 && id1 > 0);
	uint64_t t0 = virt_loop_now_ms();
	while (virt_loop_now_ms() - t0 < 110)
		assert_int_equal(virt_loop_run_once(200), 0);
	/* 20 ms period over ~110 ms: about 5, never a burst */
	assert_in_range(timer_calls, 3, 6);
	assert_int_equal(once_calls, 1);
	virt_loop_remove_timer(id);
	int before = timer_calls;
	t0 = virt_loop_now_ms();
	while (virt_loop_now_ms() - t0 < 50)
		assert_int_equal(virt_loop_run_once(10), 0);
	assert_int_equal(timer_calls, before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_and_removal),
		cmocka_unit_test(test_timers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
