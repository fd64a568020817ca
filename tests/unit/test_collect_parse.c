/* The shared parsing helpers: numbers, anchored fields, lines, whole-file reads. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "collect/parse.h"

static void test_numbers(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int r;
		uint64_t v;
		size_t used;
	} u[] = {
	    {"0", 0, 0, 1},
	    {"  42 kB", 0, 42, 4},
	    {"\t7x", 0, 7, 2},
	    {"18446744073709551615", 0, UINT64_MAX, 20},
	    {"18446744073709551616", -ERANGE, 0, 0},
	    {"99999999999999999999999", -ERANGE, 0, 0},
	    {"", -EINVAL, 0, 0},
	    {"-1", -EINVAL, 0, 0},
	    {"+1", -EINVAL, 0, 0},
	    {"0x10", 0, 0, 1},
	    {" ", -EINVAL, 0, 0},
	};
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		const char *p = u[i].s;
		uint64_t v = 12345;
		int r = collect_u64_parse(&p, u[i].s + strlen(u[i].s), &v);
		if (r != u[i].r)
			fail_msg("'%s': r %d want %d", u[i].s, r, u[i].r);
		if (r == 0 && (v != u[i].v || (size_t)(p - u[i].s) != u[i].used))
			fail_msg("'%s': v %llu used %zu", u[i].s, (unsigned long long)v,
				 (size_t)(p - u[i].s));
		if (r == -EINVAL && v != 12345)
			fail_msg("'%s': out written on error", u[i].s);
	}
	/* The end pointer is respected: "123" with length 2 is 12. */
	const char *p = "123";
	uint64_t v;
	assert_int_equal(collect_u64_parse(&p, p + 2, &v), 0);
	assert_int_equal(v, 12);

	int64_t s;
	const char *a = "-9223372036854775808", *b = "9223372036854775808", *c = "-5", *d = "- 5";
	assert_int_equal(collect_i64_parse(&a, a + strlen(a), &s), 0);
	assert_true(s == INT64_MIN);
	assert_int_equal(collect_i64_parse(&b, b + strlen(b), &s), -ERANGE);
	assert_int_equal(collect_i64_parse(&c, c + strlen(c), &s), 0);
	assert_int_equal(s, -5);
	assert_int_equal(collect_i64_parse(&d, d + strlen(d), &s), -EINVAL);

	assert_int_equal(collect_u64_whole("12\n", 3, &v), 0);
	assert_int_equal(collect_u64_whole("12 13\n", 6, &v), -EINVAL);
	assert_int_equal(collect_u64_whole("12\0", 3, &v), -EINVAL);
	assert_true(collect_rest_is(" kB \r\n", " kB \r\n" + 6, "kB"));
	assert_false(collect_rest_is(" kBx", " kBx" + 4, "kB"));
	assert_false(collect_rest_is(" MB", " MB" + 3, "kB"));

	uint64_t out;
	assert_true(collect_mul_sat(UINT64_MAX / 1024 + 1, 1024, &out));
	assert_true(out == UINT64_MAX);
	assert_false(collect_mul_sat(UINT64_MAX / 1024, 1024, &out));
	assert_true(collect_add_sat(UINT64_MAX, 1) == UINT64_MAX);
	assert_int_equal(collect_sub_floor(1, 2), 0);
}

static void test_fields_and_lines(void **state)
{
	(void)state;
	const char t[] = "MemFree: 1\nHugeMemFree: 2\nMemFreeX: 3\n\nlast";
	struct collect_lines it;
	const char *line;
	size_t ll;
	int n = 0, hits = 0;
	collect_lines_init(&it, t, strlen(t));
	while (collect_lines_next(&it, &line, &ll)) {
		n++;
		if (collect_field(line, ll, "MemFree", ':'))
			hits++;
	}
	assert_int_equal(n, 5); /* the empty line and the unterminated last one count */
	assert_int_equal(hits, 1);
	assert_null(collect_field("MemFree", 7, "MemFree", ':')); /* no separator */
	collect_lines_init(&it, "", 0);
	assert_false(collect_lines_next(&it, &line, &ll));
}

static void test_kb_fields(void **state)
{
	(void)state;
	const char *const names[] = {"VmRSS", NULL, "Swap"};
	uint64_t b[3] = {0}, found = 7;
	const char ok[] = "Name:\tq\nVmRSSX:\tjunk\nVmRSS:\t  12 kB\nnocolon\n Swap: 1 kB\n"
			  "Swap:\t3 kB\nHugeSwap: x\n";
	assert_int_equal(collect_kb_fields_parse(ok, strlen(ok), names, 3, b, &found), 0);
	assert_int_equal(found, 5); /* " Swap" is not "Swap"; the NULL slot never matches */
	assert_int_equal(b[0], 12 * 1024);
	assert_int_equal(b[2], 3 * 1024);
	const char *bad[] = {"VmRSS: 12 MB\n", "VmRSS: kB\n", "VmRSS: -1 kB\n", "VmRSS: 12 kB x\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    collect_kb_fields_parse(bad[i], strlen(bad[i]), names, 3, b, &found), -EINVAL);
	const char big[] = "Swap: 18014398509481984 kB\n"; /* 2^54 KiB: 2^64 bytes */
	assert_int_equal(collect_kb_fields_parse(big, strlen(big), names, 3, b, &found), -ERANGE);
	assert_int_equal(collect_kb_fields_parse(ok, strlen(ok), names, 65, b, &found), -EINVAL);
}

static void test_file_read(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/blimp-test-parse-XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	char buf[11];
	size_t len;
	/* Exactly fits (10 bytes + NUL). */
	assert_int_equal(collect_file_read(tmpl, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 10);
	assert_string_equal(buf, "0123456789");
	assert_int_equal(collect_fd_read(fd, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 10);
	/* One byte short: -EFBIG, never a silent truncation. */
	assert_int_equal(collect_file_read(tmpl, buf, 10, &len), -EFBIG);
	assert_int_equal(collect_fd_read(fd, buf, 10, &len), -EFBIG);
	close(fd);
	unlink(tmpl);
	assert_int_equal(collect_file_read(tmpl, buf, sizeof(buf), &len), -ENOENT);
	assert_int_equal(collect_file_read("/", buf, sizeof(buf), &len), -EISDIR);
	assert_int_equal(collect_file_read(tmpl, buf, 1, &len), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_fields_and_lines),
	    cmocka_unit_test(test_file_read),
	    cmocka_unit_test(test_kb_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
