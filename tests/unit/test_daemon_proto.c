#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/proto.h"

static int parse(const char *line, struct daemon_request *req, json_object **id, char *err)
{
	return daemon_request_parse(line, strlen(line), req, id, err, 256);
}

static void test_ok(void **state)
{
	(void)state;
	struct daemon_request req;
	json_object *id;
	char err[256];
	assert_int_equal(parse("{\"v\":1,\"id\":7,\"cmd\":\"stats\",\"args\":{\"name\":\"vm1\"}}",
			       &req, &id, err),
			 0);
	assert_null(id);
	assert_int_equal(req.cmd, DAEMON_CMD_STATS);
	assert_int_equal(json_object_get_int(req.id), 7);
	const char *name;
	assert_int_equal(daemon_arg_string(req.args, "name", true, &name, err, sizeof(err)), 0);
	assert_string_equal(name, "vm1");
	daemon_request_free(&req);
	/* args absent: an empty object; id may be a string; trailing whitespace ok */
	assert_int_equal(parse("{\"v\":1,\"id\":\"x\",\"cmd\":\"status\"}  \r", &req, &id, err), 0);
	assert_non_null(req.args);
	assert_string_equal(json_object_get_string(req.id), "x");
	daemon_request_free(&req);
	for (int c = 0; c < DAEMON_CMD__COUNT; c++) {
		char line[128];
		snprintf(line, sizeof(line), "{\"v\":1,\"cmd\":\"%s\"}", daemon_cmd_name(c));
		assert_int_equal(parse(line, &req, &id, err), 0);
		assert_int_equal(req.cmd, c);
		assert_null(req.id);
		daemon_request_free(&req);
	}
}

static void test_malformed(void **state)
{
	(void)state;
	static const char *bad[] = {
		"",
		"{",
		"{\"v\":1,\"cmd\":",
		"[1,2]",
		"42",
		"\"status\"",
		"null",
		"{\"v\":1}",
		"{\"cmd\":\"status\"}",
		"{\"v\":2,\"cmd\":\"status\"}",
		"{\"v\":\"1\",\"cmd\":\"status\"}",
		"{\"v\":1.0,\"cmd\":\"status\"}",
		"{\"v\":1,\"cmd\":\"fly\"}",
		"{\"v\":1,\"cmd\":42}",
		"{\"v\":1,\"cmd\":\"status\",\"args\":[]}",
		"{\"v\":1,\"cmd\":\"status\",\"args\":\"x\"}",
		"{\"v\":1,\"cmd\":\"status\"} {\"v\":1}",
		"{\"v\":1,\"cmd\":\"status\"}garbage",
		"{\"v\":1,\"cmd\":\"stat\\u0000us\"}",
		"{\"v\":1,\"cmd\":\"\\u00e9\\n\\t\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct daemon_request req;
		json_object *id = NULL;
		char err[256] = "";
		int r = parse(bad[i], &req, &id, err);
		if (r != -EPROTO)
			fail_msg("case %zu '%s' gave %d", i, bad[i], r);
		assert_true(strlen(err) > 0);
		assert_null(req.root);
		json_object_put(id);
	}
	/* the id of a bad request is kept for the error reply */
	struct daemon_request req;
	json_object *id = NULL;
	char err[256];
	assert_int_equal(parse("{\"v\":9,\"id\":5,\"cmd\":\"status\"}", &req, &id, err), -EPROTO);
	assert_non_null(id);
	assert_int_equal(json_object_get_int(id), 5);
	json_object_put(id);
	/* an unknown command's name is sanitised in the message */
	assert_int_equal(parse("{\"v\":1,\"cmd\":\"a\\u001bb\"}", &req, &id, err), -EPROTO);
	assert_null(strchr(err, 0x1b));
	/* NUL inside the line */
	const char nul[] = "{\"v\":1,\0\"cmd\":\"status\"}";
	assert_int_equal(daemon_request_parse(nul, sizeof(nul) - 1, &req, &id, err, sizeof(err)),
			 -EPROTO);
	/* over 1 MiB */
	size_t big = DAEMON_PROTO_LINE_MAX + 10;
	char *line = malloc(big);
	memset(line, ' ', big);
	assert_int_equal(daemon_request_parse(line, big, &req, &id, err, sizeof(err)), -E2BIG);
	free(line);
}

static void test_args(void **state)
{
	(void)state;
	char err[256];
	json_object *a = json_tokener_parse(
		"{\"name\":42,\"mem\":-5,\"big\":18446744073709551615,\"f\":1.5,\"s\":\"512M\","
		"\"b\":1,\"t\":true,\"argv\":[\"a\",1],\"argv2\":[\"a\",\"b\"],\"n\":null}");
	assert_non_null(a);
	const char *s;
	uint64_t u;
	bool b;
	json_object *v;
	assert_int_equal(daemon_arg_string(a, "name", true, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "name"));
	assert_int_equal(daemon_arg_string(a, "absent", false, &s, err, sizeof(err)), -ENOENT);
	assert_int_equal(daemon_arg_string(a, "absent", true, &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(daemon_arg_string(a, "n", false, &s, err, sizeof(err)), -ENOENT);
	assert_int_equal(daemon_arg_u64(a, "mem", true, &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(daemon_arg_u64(a, "f", true, &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(daemon_arg_u64(a, "s", true, &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(daemon_arg_u64(a, "big", true, &u, err, sizeof(err)), 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(daemon_arg_bool(a, "b", &b, err, sizeof(err)), -EINVAL);
	assert_int_equal(daemon_arg_bool(a, "t", &b, err, sizeof(err)), 0);
	assert_true(b);
	assert_int_equal(daemon_arg_strv(a, "argv", &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(daemon_arg_strv(a, "argv2", &v, err, sizeof(err)), 0);
	assert_int_equal(json_object_array_length(v), 2);
	assert_int_equal(daemon_arg_strv(a, "s", &v, err, sizeof(err)), -EINVAL);
	static const char *const allowed[] = {"name", "mem", NULL};
	json_object *ok = json_tokener_parse("{\"name\":\"x\",\"mem\":1}");
	assert_int_equal(daemon_args_only(ok, allowed, err, sizeof(err)), 0);
	assert_int_equal(daemon_args_only(a, allowed, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown argument"));
	json_object_put(ok);
	json_object_put(a);
}

static void test_replies(void **state)
{
	(void)state;
	json_object *id = json_object_new_int(7);
	json_object *res = json_object_new_object();
	json_object_object_add(res, "x", json_object_new_int(1));
	char *line = daemon_reply_ok(id, res);
	assert_string_equal(line, "{\"v\":1,\"id\":7,\"ok\":true,\"result\":{\"x\":1}}\n");
	free(line);
	line = daemon_reply_err(NULL, -ENOENT, "no VM named 'a/b'");
	assert_string_equal(line, "{\"v\":1,\"id\":null,\"ok\":false,\"error\":{\"code\":\"ENOENT\","
				  "\"message\":\"no VM named 'a/b'\"}}\n");
	free(line);
	/* exactly one newline, at the end, whatever the message holds */
	line = daemon_reply_err(id, -EPROTO, "a\nb\"c");
	assert_int_equal(strchr(line, '\n') - line, (long)strlen(line) - 1);
	free(line);
	assert_string_equal(daemon_errno_name(-ERANGE), "ERANGE");
	assert_string_equal(daemon_errno_name(-EPROTO), "EPROTO");
	assert_string_equal(daemon_errno_name(-ETIMEDOUT), "ETIMEDOUT");
	assert_string_equal(daemon_errno_name(-ENOTDIR), "EIO");
	json_object_put(id);
	json_object_put(res);
}

static void test_utf8(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
		{"abc", 3, "abc"},
		{"\xc3\xa9", 2, "\xc3\xa9"},
		{"\xff", 1, "\xef\xbf\xbd"},
		{"a\0b", 3, "a\xef\xbf\xbd" "b"},
		{"\xc3", 1, "\xef\xbf\xbd"},
		{"\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd"},             /* overlong */
		{"\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
		{"\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *o = daemon_json_string_utf8(cases[i].in, cases[i].len);
		assert_string_equal(json_object_get_string(o), cases[i].out);
		json_object_put(o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),     cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_args),   cmocka_unit_test(test_replies),
		cmocka_unit_test(test_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
