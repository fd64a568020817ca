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
		cmocka_unit_test(test_model_defaults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
