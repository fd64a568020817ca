/* blimp config's parser and request builder: KEY=VALUE pairs, --json, bad input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cli/cmds.h"


static int parse(int argc, char **argv, struct cli_config_opts *o, char *err)
{
	return cli_config_parse(argc, argv, o, err, 256);
}

static void test_show(void **state)
{
	(void)state;
	struct cli_config_opts o;
	char err[256];
	char *a[] = {"config", NULL};
	assert_int_equal(parse(1, a, &o, err), 0);
	assert_false(o.set);
	assert_false(o.json);
	char *b[] = {"config", "--json", "-s", "/tmp/x.sock", NULL};
	assert_int_equal(parse(4, b, &o, err), 0);
	assert_true(o.json);
	assert_string_equal(o.socket, "/tmp/x.sock");
	char *c[] = {"config", "get", NULL};
	assert_int_equal(parse(2, c, &o, err), -EINVAL);
	assert_non_null(strstr(err, "get"));
}

static void test_set(void **state)
{
	(void)state;
	struct cli_config_opts o;
	char err[256];
	char *a[] = {"config", "set", "idle_tax=0.5", "guest_margin=128M", "connect_uri=", NULL};
	assert_int_equal(parse(5, a, &o, err), 0);
	assert_true(o.set);
	assert_int_equal(o.n_pairs, 3);
	json_object *args = cli_config_set_args(&o);
	assert_non_null(args);
	assert_string_equal(json_object_to_json_string_ext(args, JSON_C_TO_STRING_PLAIN),
			    "{\"values\":{\"idle_tax\":\"0.5\",\"guest_margin\":\"128M\","
			    "\"connect_uri\":\"\"}}");
	json_object_put(args);
	/* a value may hold '=' */
	char *b[] = {"config", "set", "metrics_listen=a=b", NULL};
	assert_int_equal(parse(3, b, &o, err), 0);
	args = cli_config_set_args(&o);
	assert_string_equal(json_object_to_json_string_ext(args, JSON_C_TO_STRING_PLAIN),
			    "{\"values\":{\"metrics_listen\":\"a=b\"}}");
	json_object_put(args);

	char *c[] = {"config", "set", NULL};
	assert_int_equal(parse(2, c, &o, err), -EINVAL);
	assert_non_null(strstr(err, "missing KEY=VALUE"));
	char *d[] = {"config", "set", "idle_tax", NULL};
	assert_int_equal(parse(3, d, &o, err), -EINVAL);
	assert_non_null(strstr(err, "not KEY=VALUE"));
	char *e[] = {"config", "set", "=1", NULL};
	assert_int_equal(parse(3, e, &o, err), -EINVAL);
	char *f[] = {"config", "set", "idle_tax=1", "idle_tax=0.5", NULL};
	assert_int_equal(parse(4, f, &o, err), -EINVAL);
	assert_non_null(strstr(err, "twice"));
	char *g[] = {"config", "--json", "set", "a=1", NULL};
	assert_int_equal(parse(4, g, &o, err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_show),
	    cmocka_unit_test(test_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
