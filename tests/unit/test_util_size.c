#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/size.h"
#include "model/model.h"

static void test_size_ok(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		uint64_t out;
	} cases[] = {
		{"0", 0},		{"4096", 4096},		  {"1K", 1024},
		{"512M", 512ULL << 20}, {"512MiB", 512ULL << 20}, {"1.5G", 3ULL << 29},
		{"2g", 2ULL << 30},	{"1T", 1ULL << 40},	  {"100B", 100},
		{"64MB", 64ULL << 20},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 1;
		assert_int_equal(size_parse(cases[i].in, &v), 0);
		assert_int_equal(v, cases[i].out);
	}
}

static void test_size_bad(void **state)
{
	(void)state;
	static const char *bad[] = {"", "M", "-1", "-1G", "12X", "1.5", "1e400", "1GG",
				    "10 M", "abc", "0x10", "1Gx", "nan", "inf"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v = 7;
		assert_int_not_equal(size_parse(bad[i], &v), 0);
		assert_int_equal(v, 7);
	}
	uint64_t v;
	assert_int_not_equal(size_parse(NULL, &v), 0);
	assert_int_not_equal(size_parse("99999999999T", &v), 0);
}

/* Compared sizes print in one unit and never alike when they differ (the operator saw
 * "would total 1.5G, above the budget of 1.5G"). */
static void test_size_format_pair(void **state)
{
	(void)state;
	static const struct {
		uint64_t a, b;
		const char *as, *bs;
	} cases[] = {
	    {1024ULL << 20, 768ULL << 20, "1024.0M", "768.0M"},
	    {3ULL << 29, 5ULL << 28, "1.5G", "1.2G"},
	    {2ULL << 30, 100, "2048.0M", "0.0M"},
	    {(1536ULL << 20) + (512 << 10), 1536ULL << 20, "1536.5M", "1536.0M"},
	    {(1536ULL << 20) + 1, 1536ULL << 20, "1610612737B", "1610612736B"},
	    {512ULL << 20, 512ULL << 20, "512.0M", "512.0M"},
	    {100, 50, "100B", "50B"},
	    {0, 0, "0B", "0B"},
	    {400ULL << 20, 3489660928ULL / 10, "400.0M", "332.8M"},
	    {(400ULL << 20) + 4096, 400ULL << 20, "409604.0K", "409600.0K"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char a[32], b[32];
		size_format_pair(cases[i].a, cases[i].b, a, b, sizeof(a));
		assert_string_equal(a, cases[i].as);
		assert_string_equal(b, cases[i].bs);
		size_format_pair(cases[i].b, cases[i].a, b, a, sizeof(a));
		assert_string_equal(a, cases[i].as);
		assert_string_equal(b, cases[i].bs);
	}
	char buf[32];
	assert_string_equal(size_format(1536ULL << 20, buf, sizeof(buf)), "1.5G");
	assert_string_equal(size_format(100, buf, sizeof(buf)), "100");
	char a[32], b[32];
	size_format_pair(UINT64_MAX, UINT64_MAX - 1, a, b, sizeof(a));
	assert_string_equal(a, "18446744073709551615B");
	assert_string_equal(b, "18446744073709551614B");
}

static void test_model_defaults(void **state)
{
	(void)state;
	struct vm_settings s = {0};
	assert_int_equal(model_vm_shares(&s, 512 * MODEL_MIB), 5120);
	assert_int_equal(model_vm_limit(&s, 512 * MODEL_MIB), 512 * MODEL_MIB);
	assert_int_equal(model_vm_maxmemctl(&s, 10000), 6500);
	s.limit_bytes = 1024 * MODEL_MIB;
	assert_int_equal(model_vm_limit(&s, 512 * MODEL_MIB), 512 * MODEL_MIB);
	assert_string_equal(model_host_state_name(HOST_STATE_SOFT), "soft");
	assert_string_equal(model_plan_reason_name((enum plan_reason)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_size_ok),
	    cmocka_unit_test(test_size_bad),
	    cmocka_unit_test(test_size_format_pair),
	    cmocka_unit_test(test_model_defaults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
