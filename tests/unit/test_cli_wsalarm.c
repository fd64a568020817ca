/* The "working sets exceed the budget" alarm in `blimp status` and `blimp top`: shown
 * with how much is missing when blimpd reports a shortfall, absent otherwise, and
 * harmless with mistyped values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/format.h"

static char *capture_status(json_object *r, bool top)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	if (top)
		cli_format_top(r, NULL, f);
	else
		cli_format_status(r, f);
	fclose(f);
	return buf;
}

static void test_alarm_lines(void **state)
{
	(void)state;
	json_object *r = json_tokener_parse(
	    "{\"host\":{\"budget\":1073741824,\"working_set_bytes\":1352663040,"
	    "\"working_set_shortfall_bytes\":278921216,\"working_set_alarm\":true}}");
	assert_non_null(r);
	char *s = capture_status(r, false);
	assert_non_null(strstr(s, "ALARM       working sets exceed the budget: 266.0M missing "
				  "(1.3G of working sets + OVHD, budget 1.0G"));
	free(s);
	s = capture_status(r, true);
	assert_non_null(strstr(s, "ALARM working sets exceed the budget: 266.0M missing"));
	free(s);
	json_object_put(r);

	const char *quiet[] = {
	    "{\"host\":{\"budget\":1073741824,\"working_set_shortfall_bytes\":0}}",
	    "{\"host\":{\"budget\":1073741824}}",
	    "{\"host\":{\"working_set_shortfall_bytes\":\"lots\"}}",
	    "{\"host\":[]}",
	};
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		r = json_tokener_parse(quiet[i]);
		assert_non_null(r);
		s = capture_status(r, false);
		assert_null(strstr(s, "ALARM"));
		free(s);
		s = capture_status(r, true);
		assert_null(strstr(s, "ALARM"));
		free(s);
		json_object_put(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alarm_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
