/* virt_name_copy: libvirt names of any length fit blimp's MODEL_NAME_MAX, cut at a
 * UTF-8 character boundary (a cut name must still be valid JSON text). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "virt/dom.h"

static void test_copy(void **state)
{
	(void)state;
	char out[MODEL_NAME_MAX];
	virt_name_copy(out, sizeof(out), "vm1");
	assert_string_equal(out, "vm1");
	virt_name_copy(out, sizeof(out), NULL);
	assert_string_equal(out, "");
	char long_name[300];
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	virt_name_copy(out, sizeof(out), long_name);
	assert_int_equal(strlen(out), MODEL_NAME_MAX - 1);
	/* 62 ASCII bytes then a 3-byte character: it does not fit, it is left out whole */
	char u[200];
	memset(u, 'a', 62);
	strcpy(u + 62, "\xe2\x82\xac tail");
	virt_name_copy(out, sizeof(out), u);
	assert_int_equal(strlen(out), 62);
	/* quotes, spaces and emoji, 4-byte sequences cut anywhere */
	for (size_t pre = 55; pre < 64; pre++) {
		memset(u, 'b', pre);
		strcpy(u + pre, "\xf0\x9f\x8e\x88 \"q\"");
		virt_name_copy(out, sizeof(out), u);
		size_t n = strlen(out);
		assert_true(n < MODEL_NAME_MAX);
		/* ends on a whole character: the last lead byte has all its continuation bytes */
		size_t i = n;
		while (i > 0 && ((unsigned char)out[i - 1] & 0xC0) == 0x80)
			i--;
		if (i > 0 && ((unsigned char)out[i - 1] & 0xF8) == 0xF0)
			assert_int_equal(n - i, 3);
	}
	char tiny[1];
	virt_name_copy(tiny, sizeof(tiny), "abc");
	assert_string_equal(tiny, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_copy)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
