/* The live history ring: its memory bound (module accounting, malloc's and the
 * process's RSS), rows falling off in order, VMs leaving and coming back, slot
 * recycling and clock jumps. */
#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/history.h"

#if defined(__SANITIZE_ADDRESS__)
#define HISTORY_TEST_ASAN 1 /* ASan's allocator: mallinfo2 and RSS say nothing */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HISTORY_TEST_ASAN 1
#endif
#endif

/* The bound docs/history.md gives for 64 VMs, one hour at 1 s. */
#define DOC_BOUND_64_VMS_1H (16u << 20)

static struct history_vm_sample sample(uint32_t x)
{
	return (struct history_vm_sample){.memsz_kib = 1048576,
					  .consumed_kib = x,
					  .ovhd_kib = 1000,
					  .mctlsz_kib = x / 2,
					  .mctltgt_kib = x / 3,
					  .actv_kib = x / 4,
					  .swcur_kib = 7};
}

#ifndef HISTORY_TEST_ASAN
static size_t rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, res = 0;
	if (f) {
		if (fscanf(f, "%lu %lu", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}
#endif

static void feed(struct history *h, uint64_t t0_s, uint64_t seconds, unsigned vms)
{
	char name[32];
	for (uint64_t t = t0_s; t < t0_s + seconds; t++) {
		struct history_host_sample host = {.free_kib = (uint32_t)t, .state = 3};
		history_begin(h, (int64_t)(1700000000000 + t * 1000), t * 1000, &host);
		for (unsigned v = 0; v < vms; v++) {
			snprintf(name, sizeof(name), "vm%02u", v);
			struct history_vm_sample s = sample((uint32_t)(t * 100 + v));
			assert_int_equal(history_add_vm(h, name, &s), 0);
		}
	}
}

/* 64 VMs for 2 hours of 1 s samples into a one-hour ring: allocation stays within the
 * documented bound by the module's count, by malloc's and by the RSS it grows. */
static void test_bound_64_vms_2h(void **state)
{
	(void)state;
	uint32_t frames = history_frames_for(3600, 1000);
	assert_int_equal(frames, 3601);
	size_t bound = history_bound_bytes(frames, 64);
	assert_true(bound <= DOC_BOUND_64_VMS_1H);
#ifndef HISTORY_TEST_ASAN
	struct mallinfo2 m0 = mallinfo2();
	size_t rss0 = rss_bytes();
#endif
	struct history *h = history_new(frames, 64);
	assert_non_null(h);
	assert_int_equal(history_bytes(h), bound);
	feed(h, 0, 7200, 64);
	assert_int_equal(history_bytes(h), bound);
#ifndef HISTORY_TEST_ASAN
	struct mallinfo2 m1 = mallinfo2();
	size_t rss1 = rss_bytes();
	size_t heap = (m1.uordblks + m1.hblkhd) - (m0.uordblks + m0.hblkhd);
	printf("history: bound %zu B, module %zu B, malloc delta %zu B, RSS delta %zu B\n", bound,
	       history_bytes(h), heap, rss1 - rss0);
	/* malloc rounds the block's mmap up to a page; cmocka keeps a little of its own */
	assert_true(heap <= bound + 8192);
	/* RSS: every page of the ring is written after two hours; allow 1 MiB for stdio
	 * and the test's own pages. */
	assert_true(rss1 > rss0);
	assert_true(rss1 - rss0 <= bound + (1u << 20));
	assert_true(rss1 - rss0 >= bound / 2);
#endif
	struct history_counters c;
	history_counters(h, &c);
	assert_int_equal(c.frames, 7200);
	assert_int_equal(c.slots_recycled, 0);
	assert_int_equal(c.vms_dropped, 0);
	history_free(h);
}

/* The oldest rows fall off; what is left is in order, with every VM's figures. */
static void test_falls_off_in_order(void **state)
{
	(void)state;
	struct history *h = history_new(100, 4);
	assert_non_null(h);
	feed(h, 0, 250, 3);
	assert_int_equal(history_next_seq(h), 250);
	assert_int_equal(history_oldest_seq(h), 150);
	struct history_frame f;
	assert_int_equal(history_frame(h, 149, &f), -ENOENT);
	assert_int_equal(history_frame(h, 250, &f), -ENOENT);
	uint64_t last_mono = 0;
	for (uint64_t seq = 150; seq < 250; seq++) {
		assert_int_equal(history_frame(h, seq, &f), 0);
		assert_int_equal(f.seq, seq);
		assert_int_equal(f.mono_ms, seq * 1000);
		assert_true(f.mono_ms >= last_mono);
		last_mono = f.mono_ms;
		assert_int_equal(f.host.free_kib, seq);
		for (uint32_t slot = 0; slot < 3; slot++) {
			struct history_vm_sample s;
			const char *name = history_vm(h, seq, slot, &s);
			assert_non_null(name);
			char want[16];
			snprintf(want, sizeof(want), "vm%02u", slot);
			assert_string_equal(name, want);
			assert_int_equal(s.consumed_kib, seq * 100 + slot);
		}
		struct history_vm_sample s;
		assert_null(history_vm(h, seq, 3, &s)); /* never used */
	}
	/* since: the last 10 s */
	assert_int_equal(history_seek(h, 0, 240 * 1000), 240);
	assert_int_equal(history_seek(h, 245, 240 * 1000), 245);
	assert_int_equal(history_seek(h, 0, 0), 150);
	assert_int_equal(history_seek(h, 0, 10000 * 1000), 250);
	history_free(h);
}

/* A VM that leaves and comes back keeps its slot and its earlier rows, with a gap. */
static void test_leave_and_return(void **state)
{
	(void)state;
	struct history *h = history_new(50, 4);
	struct history_vm_sample s = sample(5);
	for (uint64_t t = 0; t < 30; t++) {
		history_begin(h, (int64_t)t * 1000, t * 1000, NULL);
		assert_int_equal(history_add_vm(h, "a", &s), 0);
		if (t < 10 || t >= 20)
			assert_int_equal(history_add_vm(h, "b", &s), 0);
	}
	struct history_vm_sample o;
	for (uint64_t t = 0; t < 30; t++) {
		const char *n = history_vm(h, t, 1, &o);
		if (t < 10 || t >= 20)
			assert_string_equal(n, "b");
		else
			assert_null(n);
	}
	history_free(h);
}

/* More VMs than slots: a new VM takes the slot of the one seen longest ago (whose rows
 * go), and a tick with more VMs than slots drops the extra ones; both counted. */
static void test_recycle(void **state)
{
	(void)state;
	struct history *h = history_new(50, 2);
	struct history_vm_sample s = sample(9);
	history_begin(h, 0, 0, NULL);
	assert_int_equal(history_add_vm(h, "old", &s), 0);
	assert_int_equal(history_add_vm(h, "keep", &s), 0);
	history_begin(h, 1000, 1000, NULL);
	assert_int_equal(history_add_vm(h, "keep", &s), 0);
	assert_int_equal(history_add_vm(h, "new", &s), 0); /* takes "old"'s slot */
	assert_int_equal(history_add_vm(h, "third", &s), -ENOSPC);
	struct history_counters c;
	history_counters(h, &c);
	assert_int_equal(c.slots_recycled, 1);
	assert_int_equal(c.vms_dropped, 1);
	struct history_vm_sample o;
	/* "old"'s row at seq 0 is gone, not shown under the new name */
	assert_null(history_vm(h, 0, 0, &o));
	assert_string_equal(history_vm(h, 0, 1, &o), "keep");
	assert_string_equal(history_vm(h, 1, 0, &o), "new");
	assert_int_equal(
	    history_add_vm(
		h, "bad/too-long-name-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", &s),
	    -EINVAL);
	history_free(h);
}

/* The wall clock jumps back an hour and forward a day: rows stay in tick order and
 * "since" (monotonic) still picks the right ones. A monotonic clock going back (it
 * must not, but a caller's bug must not reorder rows) is held and counted. */
static void test_time_jumps(void **state)
{
	(void)state;
	struct history *h = history_new(20, 1);
	struct history_vm_sample s = sample(1);
	int64_t wall[] = {10000000, 10001000, 10001000 - 3600000, 10001000 - 3599000,
			  10001000 + 86400000};
	for (uint64_t i = 0; i < 5; i++) {
		history_begin(h, wall[i], 5000 + i * 1000, NULL);
		assert_int_equal(history_add_vm(h, "a", &s), 0);
	}
	history_begin(h, 0, 100, NULL); /* monotonic back: held at 9000 */
	struct history_frame f;
	assert_int_equal(history_frame(h, 5, &f), 0);
	assert_int_equal(f.mono_ms, 9000);
	struct history_counters c;
	history_counters(h, &c);
	assert_int_equal(c.clock_clamped, 1);
	for (uint64_t i = 0; i < 5; i++) {
		assert_int_equal(history_frame(h, i, &f), 0);
		assert_int_equal(f.wall_ms, wall[i]);
	}
	assert_int_equal(history_seek(h, 0, 7000), 2); /* despite wall[2] < wall[0] */
	history_free(h);
}

static void test_bad_sizes(void **state)
{
	(void)state;
	assert_null(history_new(1, 4));
	assert_null(history_new(10, 0));
	assert_int_equal(history_frames_for(0, 1000), 0);
	assert_int_equal(history_frames_for(60, 250), 241);
	struct history *h = history_new(2, 1);
	struct history_vm_sample s = sample(1);
	assert_int_equal(history_add_vm(h, "a", &s), -EINVAL); /* no frame begun */
	history_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bound_64_vms_2h),  cmocka_unit_test(test_falls_off_in_order),
	    cmocka_unit_test(test_leave_and_return), cmocka_unit_test(test_recycle),
	    cmocka_unit_test(test_time_jumps),	     cmocka_unit_test(test_bad_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
