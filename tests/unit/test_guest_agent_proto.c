/* Unit tests for the guest agent's header parser (guest/tools/agent_proto.c). The
 * agent is a static guest binary outside src/, so its pure parser is compiled in
 * directly; there is no libguest.a. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../guest/tools/agent_proto.c"

static int parse(const char *line, struct agent_req *req)
{
	const char *err = NULL;
	int rc = agent_proto_parse(line, strlen(line), req, &err);

	assert_non_null(err);
	return rc;
}

static void test_ping(void **state)
{
	struct agent_req req;

	(void)state;
	assert_int_equal(parse("PING 0", &req), 0);
	assert_int_equal(req.kind, AGENT_REQ_PING);
	assert_int_equal(req.id, 0);
	assert_int_equal(parse("PING 18446744073709551", &req), 0);
	assert_int_equal(req.id, 18446744073709551ULL);
	assert_int_equal(parse("PING 42\r", &req), 0);
	assert_int_equal(req.id, 42);
}

static void test_exec(void **state)
{
	struct agent_req req;

	(void)state;
	assert_int_equal(parse("EXEC 7 1500 12", &req), 0);
	assert_int_equal(req.kind, AGENT_REQ_EXEC);
	assert_int_equal(req.id, 7);
	assert_int_equal(req.timeout_ms, 1500);
	assert_int_equal(req.len, 12);
	assert_int_equal(parse("EXEC 1 0 0", &req), 0);
	assert_int_equal(req.len, 0);
	assert_int_equal(parse("EXEC 1 0 65536", &req), 0);
	assert_int_equal(req.len, AGENT_CMD_MAX_BYTES);
}

static void test_exec_too_long_keeps_framing(void **state)
{
	struct agent_req req;

	(void)state;
	/* Valid frame, payload over 64 KiB: -E2BIG with id and len so it can be skipped. */
	assert_int_equal(parse("EXEC 9 0 65537", &req), -E2BIG);
	assert_int_equal(req.id, 9);
	assert_int_equal(req.len, 65537);
	assert_int_equal(parse("EXEC 9 0 4294967295", &req), -E2BIG);
	/* Beyond 32 bits the length is not believed: malformed, resync on next line. */
	assert_int_equal(parse("EXEC 9 0 4294967296", &req), -EINVAL);
	assert_int_equal(req.id, 9);
	assert_int_equal(req.len, 0);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"PING",
		"PING ",
		"PING x",
		"PING -1",
		"PING +1",
		"PING 1 2",
		"PING  1",
		"PING 1 ",
		"PING 12345678901234567890", /* 20 digits: could overflow */
		"ping 1",
		"PONG 1",
		"EXEC",
		"EXEC 1",
		"EXEC 1 2",
		"EXEC 1 2 ",
		"EXEC 1 2 3 4",
		"EXEC 1  2 3",
		"EXEC 1 2 -3",
		"EXEC 1 2 3x",
		"EXEC a 2 3",
		"RESULT 1 0 0",
		"\r",
	};
	struct agent_req req;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req.kind = AGENT_REQ_PING;
		if (parse(bad[i], &req) != -EINVAL)
			fail_msg("accepted malformed header '%s'", bad[i]);
		assert_int_equal(req.kind, 0);
	}
}

static void test_error_id(void **state)
{
	struct agent_req req;

	(void)state;
	/* A bad EXEC still reports its id so the host can match the ERROR. */
	assert_int_equal(parse("EXEC 77 x 3", &req), -EINVAL);
	assert_int_equal(req.id, 77);
	assert_int_equal(parse("PING 5 junk", &req), -EINVAL);
	assert_int_equal(req.id, 0);
}

static void test_embedded_nul_and_null(void **state)
{
	struct agent_req req;
	const char *err = NULL;
	static const char line[] = {'P', 'I', 'N', 'G', ' ', '1', '\0', '2'};

	(void)state;
	assert_int_equal(agent_proto_parse(line, sizeof(line), &req, &err), -EINVAL);
	assert_string_equal(err, "NUL byte in header");
	assert_int_equal(agent_proto_parse(NULL, 0, &req, &err), -EINVAL);
}

static void test_every_prefix_of_valid_exec(void **state)
{
	/* Truncations of a valid header must never parse as something else. */
	static const char full[] = "EXEC 123 4567 89";
	struct agent_req req;
	const char *err;

	(void)state;
	for (size_t n = 0; n < sizeof(full) - 1; n++) {
		int rc = agent_proto_parse(full, n, &req, &err);

		/* "EXEC 123 4567 8" is itself valid; every shorter prefix is not. */
		if (n == sizeof(full) - 2) {
			assert_int_equal(rc, 0);
			assert_int_equal(req.len, 8);
		} else {
			assert_int_equal(rc, -EINVAL);
		}
	}
	assert_int_equal(agent_proto_parse(full, sizeof(full) - 1, &req, &err), 0);
	assert_int_equal(req.len, 89);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ping),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_exec_too_long_keeps_framing),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_error_id),
		cmocka_unit_test(test_embedded_nul_and_null),
		cmocka_unit_test(test_every_prefix_of_valid_exec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
