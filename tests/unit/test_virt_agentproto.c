#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "virt/agentproto.h"

static int parse_str(const char *s, struct virt_agent_frame *f, size_t *used)
{
	return virt_agent_parse(s, strlen(s), f, used);
}

static void test_frames(void **state)
{
	(void)state;
	struct virt_agent_frame f;
	size_t used;
	assert_int_equal(parse_str("READY 6.1.0-28-amd64\nPONG 1\n", &f, &used), 1);
	assert_int_equal(f.kind, VIRT_AGENT_READY);
	assert_string_equal(f.text, "6.1.0-28-amd64");
	assert_int_equal(used, 21);
	assert_int_equal(parse_str("PONG 18446744073709551615\n", &f, &used), 1);
	assert_int_equal(f.kind, VIRT_AGENT_PONG);
	assert_true(f.id == UINT64_MAX);
	assert_int_equal(parse_str("ERROR 0 command too long\n", &f, &used), 1);
	assert_int_equal(f.kind, VIRT_AGENT_ERROR);
	assert_int_equal(f.id, 0);
	assert_string_equal(f.text, "command too long");
	const char *res = "RESULT 7 3 5\nhello" "PONG 2\n";
	assert_int_equal(parse_str(res, &f, &used), 1);
	assert_int_equal(f.kind, VIRT_AGENT_RESULT);
	assert_int_equal(f.id, 7);
	assert_int_equal(f.status, 3);
	assert_int_equal(f.payload_len, 5);
	assert_memory_equal(f.payload, "hello", 5);
	assert_int_equal(used, 18);
	/* a payload may hold newlines and NULs */
	const char bin[] = "RESULT 1 0 3\na\0\n";
	assert_int_equal(virt_agent_parse(bin, sizeof(bin) - 1, &f, &used), 1);
	assert_int_equal(f.payload_len, 3);
}

static void test_partial(void **state)
{
	(void)state;
	struct virt_agent_frame f;
	size_t used = 99;
	const char *full = "RESULT 7 0 10\n0123456789";
	for (size_t n = 0; n < strlen(full); n++) {
		assert_int_equal(virt_agent_parse(full, n, &f, &used), 0);
		assert_int_equal(used, 0);
	}
	assert_int_equal(virt_agent_parse(full, strlen(full), &f, &used), 1);
	assert_int_equal(virt_agent_parse("PON", 3, &f, &used), 0);
}

static void test_garbage(void **state)
{
	(void)state;
	struct virt_agent_frame f;
	size_t used;
	static const char *bad[] = {
		"HELLO\n", "PONG\n", "PONG x\n", "PONG 1 2\n", "RESULT 1 256 0\n",
		"RESULT 1 0\n", "RESULT -1 0 0\n", "RESULT 1 0 99999999999\n",
		"PONG 99999999999999999999999\n", "RESULT 1 0 1x\n", "\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_str(bad[i], &f, &used), -EPROTO);
		assert_int_equal(used, strlen(bad[i]));
	}
	/* an over-long header line is skipped up to its newline */
	char *longl = malloc(1000);
	memset(longl, 'x', 999);
	longl[500] = '\n';
	assert_int_equal(virt_agent_parse(longl, 999, &f, &used), -EPROTO);
	assert_int_equal(used, 501);
	/* without any newline: everything is skipped */
	longl[500] = 'x';
	assert_int_equal(virt_agent_parse(longl, 999, &f, &used), -EPROTO);
	assert_int_equal(used, 999);
	free(longl);
	/* resync: garbage then a good frame */
	const char *s = "junk junk\nPONG 5\n";
	assert_int_equal(parse_str(s, &f, &used), -EPROTO);
	assert_int_equal(parse_str(s + used, &f, &used), 1);
	assert_int_equal(f.id, 5);
}

static void test_format(void **state)
{
	(void)state;
	char buf[64];
	assert_int_equal(virt_agent_format_exec(3, 60000, 12, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "EXEC 3 60000 12\n");
	assert_int_equal(virt_agent_format_exec(3, 0, VIRT_AGENT_CMD_MAX + 1, buf, sizeof(buf)),
			 -E2BIG);
	assert_int_equal(virt_agent_format_exec(3, 0, 1, buf, 5), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
