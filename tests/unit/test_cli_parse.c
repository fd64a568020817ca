/* The blimp CLI's argument parsers and validators: no daemon involved. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cli/cmds.h"

#define MIB (1024ULL * 1024)
#define ARGV(...) ((char *[]){__VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)))
/* Parse a literal argv with parser p into o; evaluates to the parser's result. */
#define PARSE(p, o, ...) p(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (o), err, sizeof(err))
/* The same for a one-request command (stop, ls...): its parser is its table entry's. */
#define PARSE_CMD(o, ...)                                                                          \
	cli_simple_parse(cli_simple_find(ARGV(__VA_ARGS__)[0]), ARGC(__VA_ARGS__),                 \
			 ARGV(__VA_ARGS__), (o), err, sizeof(err))

static char err[256];

static void test_name_valid(void **state)
{
	(void)state;
	assert_true(cli_name_valid("vm1"));
	assert_true(cli_name_valid("A"));
	assert_true(cli_name_valid("web-01.prod_x"));
	char max[64];
	memset(max, 'n', 63);
	max[63] = '\0';
	assert_true(cli_name_valid(max));
	static const char *bad[] = {"",	   "-vm", ".vm",  "_vm",	 "a<b>", "../../etc", "x'y",
				    "a b", "a/b", "vm\n", "caf\xc3\xa9", "a;b",	 "a\"b"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(cli_name_valid(bad[i]));
	char longname[65];
	memset(longname, 'n', 64);
	longname[64] = '\0';
	assert_false(cli_name_valid(longname));
	assert_false(cli_name_valid(NULL));
}

static void test_parse_numbers(void **state)
{
	(void)state;
	uint64_t v = 0;
	assert_int_equal(cli_parse_uint("n", "42", 1, 100, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 42);
	v = 7;
	assert_int_equal(cli_parse_uint("n", "0", 1, 100, &v, err, sizeof(err)), -ERANGE);
	assert_int_equal(cli_parse_uint("n", "101", 1, 100, &v, err, sizeof(err)), -ERANGE);
	assert_int_equal(cli_parse_uint("n", "-1", 0, 100, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(cli_parse_uint("n", "1x", 0, 100, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(cli_parse_uint("n", "", 0, 100, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(
	    cli_parse_uint("n", "99999999999999999999999", 0, UINT64_MAX, &v, err, sizeof(err)),
	    -EINVAL);
	assert_int_equal(v, 7);

	assert_int_equal(cli_parse_seconds("d", "1", 100, 10000, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 1000);
	assert_int_equal(cli_parse_seconds("d", "0.25", 100, 10000, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 250);
	assert_int_equal(cli_parse_seconds("d", "2.", 100, 10000, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 2000);
	assert_int_equal(cli_parse_seconds("d", ".5", 100, 10000, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 500);
	v = 9;
	static const char *bad[] = {"",	   ".",	 "1e3",	   "0x10", "inf",
				    "nan", "-1", "1.2345", "1s",   " 1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cli_parse_seconds("d", bad[i], 0, 10000, &v, err, sizeof(err)),
				 -EINVAL);
	assert_int_equal(cli_parse_seconds("d", "0.05", 100, 10000, &v, err, sizeof(err)), -ERANGE);
	assert_int_equal(cli_parse_seconds("d", "11", 100, 10000, &v, err, sizeof(err)), -ERANGE);
	assert_int_equal(v, 9);
}

static void test_start_ok(void **state)
{
	(void)state;
	struct cli_start_opts o;
	assert_int_equal(PARSE(cli_start_parse, &o, "start", "vm1", "--mem", "512M"), 0);
	assert_string_equal(o.name, "vm1");
	assert_int_equal(o.mem_bytes, 512 * MIB);
	assert_true(o.free_page_reporting);
	assert_true(o.balloon_driver);
	assert_false(o.settings.has_reservation);
	assert_int_equal(o.ncmd, 0);
	assert_null(o.socket);

	/* options before the name, every flag, a guest command with its own options */
	assert_int_equal(PARSE(cli_start_parse, &o, "start", "-m", "1G", "--cpus", "2", "--shares",
			       "2000", "--reservation", "128M", "--limit", "768M", "--maxmemctl",
			       "512M", "--guest-swap", "256M", "--no-free-page-reporting",
			       "--no-balloon-driver", "-s", "/tmp/x.sock", "web1", "--", "memhog",
			       "-v", "300"),
			 0);
	assert_string_equal(o.name, "web1");
	assert_int_equal(o.mem_bytes, 1024 * MIB);
	assert_int_equal(o.cpus, 2);
	assert_true(o.settings.has_shares);
	assert_int_equal(o.settings.shares, 2000);
	assert_int_equal(o.settings.reservation_bytes, 128 * MIB);
	assert_int_equal(o.settings.limit_bytes, 768 * MIB);
	assert_int_equal(o.settings.maxmemctl_bytes, 512 * MIB);
	assert_int_equal(o.guest_swap_bytes, 256 * MIB);
	assert_false(o.free_page_reporting);
	assert_false(o.balloon_driver);
	assert_string_equal(o.socket, "/tmp/x.sock");
	assert_int_equal(o.ncmd, 3);
	assert_string_equal(o.cmd[0], "memhog");
	assert_string_equal(o.cmd[1], "-v");
	assert_string_equal(o.cmd[2], "300");

	/* the request carries bytes and the command as an array */
	json_object *a = cli_start_args(&o);
	assert_non_null(a);
	json_object *v;
	assert_true(json_object_object_get_ex(a, "mem", &v));
	assert_int_equal(json_object_get_uint64(v), 1024 * MIB);
	assert_true(json_object_object_get_ex(a, "maxmemctl", &v));
	assert_int_equal(json_object_get_uint64(v), 512 * MIB);
	assert_true(json_object_object_get_ex(a, "balloon_driver", &v));
	assert_false(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(a, "cmd", &v));
	assert_int_equal(json_object_array_length(v), 3);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 1)), "-v");
	assert_false(json_object_object_get_ex(a, "kernel", &v));
	json_object_put(a);

	/* limit == reservation == mem is allowed; --kernel with --initrd */
	assert_int_equal(PARSE(cli_start_parse, &o, "start", "x", "--mem", "256M", "--reservation",
			       "256M", "--limit", "256M", "--kernel", "vmlinux", "--initrd",
			       "i.img"),
			 0);
	assert_string_equal(o.kernel, "vmlinux");
	a = cli_start_args(&o);
	assert_false(json_object_object_get_ex(a, "shares", &v));
	assert_false(json_object_object_get_ex(a, "cpus", &v));
	assert_true(json_object_object_get_ex(a, "initrd", &v));
	json_object_put(a);

	/* start's settings: the last value given wins (set refuses a second one) */
	assert_int_equal(PARSE(cli_start_parse, &o, "start", "vm1", "--mem", "1G", "--shares", "5",
			       "--shares", "7"),
			 0);
	assert_int_equal(o.settings.shares, 7);
	assert_false(o.settings.has_limit);
}

static void test_start_bad(void **state)
{
	(void)state;
	struct cli_start_opts o;
	/* sizes */
	assert_int_equal(PARSE(cli_start_parse, &o, "start", "vm1", "--mem", "12X"), -EINVAL);
	assert_non_null(strstr(err, "--mem"));
	assert_non_null(strstr(err, "12X"));
	assert_int_equal(PARSE(cli_start_parse, &o, "start", "vm1", "--mem", "-5M"), -EINVAL);
	assert_int_equal(PARSE(cli_start_parse, &o, "start", "vm1", "--mem", "0"), -EINVAL);
	assert_int_equal(
	    PARSE(cli_start_parse, &o, "start", "vm1", "--mem", "256M", "--limit", "lots"),
	    -EINVAL);
	/* relations */
	assert_int_equal(
	    PARSE(cli_start_parse, &o, "start", "vm1", "--mem", "256M", "--reservation", "512M"),
	    -ERANGE);
	assert_non_null(strstr(err, "--reservation 512.0M"));
	assert_int_equal(PARSE(cli_start_parse, &o, "start", "vm1", "--mem", "256M",
			       "--reservation", "200M", "--limit", "100M"),
			 -ERANGE);
	assert_non_null(strstr(err, "less than --reservation"));
	assert_int_equal(
	    PARSE(cli_start_parse, &o, "start", "vm1", "--mem", "256M", "--limit", "300M"),
	    -ERANGE);
	assert_int_equal(
	    PARSE(cli_start_parse, &o, "start", "vm1", "--mem", "256M", "--maxmemctl", "257M"),
	    -ERANGE);
	assert_non_null(strstr(err, "--maxmemctl"));
	/* counts */
	assert_int_equal(PARSE(cli_start_parse, &o, "start", "vm1", "--mem", "256M", "--cpus", "0"),
			 -ERANGE);
	assert_int_equal(
	    PARSE(cli_start_parse, &o, "start", "vm1", "--mem", "256M", "--cpus", "65"), -ERANGE);
	assert_int_equal(
	    PARSE(cli_start_parse, &o, "start", "vm1", "--mem", "256M", "--shares", "1000000001"),
	    -ERANGE);
	assert_string_equal(err, "--shares: 1000000001 is out of range [0, 1000000000]");
	assert_int_equal(
	    PARSE(cli_start_parse, &o, "start", "vm1", "--mem", "256M", "--maxmemctl", "1Q"),
	    -EINVAL);
	assert_true(strncmp(err, "--maxmemctl: invalid size '1Q'", 30) == 0);
	/* names */
	assert_int_equal(PARSE(cli_start_parse, &o, "start", "a<b>", "--mem", "256M"), -EINVAL);
	assert_non_null(strstr(err, "invalid VM name"));
	assert_int_equal(PARSE(cli_start_parse, &o, "start", "../../etc", "--mem", "256M"),
			 -EINVAL);
	assert_int_equal(PARSE(cli_start_parse, &o, "start", "x'y", "--mem", "256M"), -EINVAL);
	assert_int_equal(
	    PARSE(cli_start_parse, &o, "start",
		  "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
		  "nnnnnnnn",
		  "--mem", "256M"),
	    -EINVAL);
	/* missing pieces and extras */
	assert_int_equal(PARSE(cli_start_parse, &o, "start", "vm1"), -EINVAL);
	assert_non_null(strstr(err, "--mem"));
	assert_int_equal(PARSE(cli_start_parse, &o, "start", "--mem", "256M"), -EINVAL);
	assert_non_null(strstr(err, "missing"));
	assert_int_equal(PARSE(cli_start_parse, &o, "start", "vm1", "--mem"), -EINVAL);
	assert_non_null(strstr(err, "needs a value"));
	assert_int_equal(PARSE(cli_start_parse, &o, "start", "vm1", "vm2", "--mem", "256M"),
			 -EINVAL);
	assert_non_null(strstr(err, "vm2"));
	assert_int_equal(PARSE(cli_start_parse, &o, "start", "vm1", "--mem", "256M", "--"),
			 -EINVAL);
	assert_int_equal(
	    PARSE(cli_start_parse, &o, "start", "vm1", "--mem", "256M", "--colour", "blue"),
	    -EINVAL);
	assert_non_null(strstr(err, "--colour"));
	assert_int_equal(
	    PARSE(cli_start_parse, &o, "start", "vm1", "--mem", "256M", "--initrd", "i.img"),
	    -EINVAL);
	assert_int_equal(PARSE(cli_start_parse, &o, "start", "vm1", "--help"), CLI_PARSE_HELP);
}

static void test_exec(void **state)
{
	(void)state;
	struct cli_exec_opts o;
	assert_int_equal(PARSE(cli_exec_parse, &o, "exec", "vm1", "--", "sh", "-c", "exit 3"), 0);
	assert_string_equal(o.name, "vm1");
	assert_int_equal(o.timeout_ms, CLI_EXEC_TIMEOUT_DEFAULT_MS);
	assert_int_equal(o.ncmd, 3);
	assert_string_equal(o.cmd[1], "-c");
	assert_int_equal(PARSE(cli_exec_parse, &o, "exec", "--timeout", "2.5", "vm1", "--", "true"),
			 0);
	assert_int_equal(o.timeout_ms, 2500);
	assert_int_equal(o.ncmd, 1);
	assert_int_equal(PARSE(cli_exec_parse, &o, "exec", "vm1", "uname", "-r"), -EINVAL);
	assert_int_equal(PARSE(cli_exec_parse, &o, "exec", "vm1", "true"), 0);
	assert_int_equal(o.ncmd, 1);
	assert_string_equal(o.cmd[0], "true");
	assert_int_equal(PARSE(cli_exec_parse, &o, "exec", "vm1"), -EINVAL);
	assert_int_equal(PARSE(cli_exec_parse, &o, "exec", "vm1", "--"), -EINVAL);
	assert_int_equal(PARSE(cli_exec_parse, &o, "exec", "--", "true"), -EINVAL);
	assert_int_equal(PARSE(cli_exec_parse, &o, "exec", "vm1", "x", "--", "true"), -EINVAL);
	assert_int_equal(PARSE(cli_exec_parse, &o, "exec", "vm1", "-t", "0", "--", "true"),
			 -ERANGE);
	assert_int_equal(PARSE(cli_exec_parse, &o, "exec", "vm1", "-t", "soon", "--", "true"),
			 -EINVAL);
	assert_int_equal(PARSE(cli_exec_parse, &o, "exec", "bad name", "--", "true"), -EINVAL);

	json_object *r = json_tokener_parse("{\"status\":3,\"output\":\"x\"}");
	assert_int_equal(cli_exec_exit_status(r), 3);
	json_object_put(r);
	r = json_tokener_parse("{\"status\":-9}");
	assert_int_equal(cli_exec_exit_status(r), 255);
	json_object_put(r);
	r = json_tokener_parse("{\"status\":4000}");
	assert_int_equal(cli_exec_exit_status(r), 255);
	json_object_put(r);
	r = json_tokener_parse("{\"status\":\"0\"}");
	assert_int_equal(cli_exec_exit_status(r), -1);
	json_object_put(r);
	assert_int_equal(cli_exec_exit_status(NULL), -1);
}

static void test_set(void **state)
{
	(void)state;
	struct cli_set_opts o;
	assert_int_equal(PARSE(cli_set_parse, &o, "set", "vm1", "shares=2000", "reservation=128M",
			       "limit=1G", "maxmemctl=100M"),
			 0);
	const struct cli_vm_settings *s = &o.settings;
	assert_true(s->has_shares && s->has_reservation && s->has_limit && s->has_maxmemctl);
	assert_int_equal(s->shares, 2000);
	assert_int_equal(s->reservation_bytes, 128 * MIB);
	assert_int_equal(s->limit_bytes, 1024 * MIB);
	assert_int_equal(s->maxmemctl_bytes, 100 * MIB);
	json_object *a = cli_set_args(&o);
	json_object *v;
	assert_true(json_object_object_get_ex(a, "limit", &v));
	assert_int_equal(json_object_get_uint64(v), 1024 * MIB);
	json_object_put(a);

	assert_int_equal(PARSE(cli_set_parse, &o, "set", "vm1", "limit=0"), 0);
	a = cli_set_args(&o);
	assert_false(json_object_object_get_ex(a, "shares", &v));
	assert_true(json_object_object_get_ex(a, "limit", &v));
	json_object_put(a);

	assert_int_equal(PARSE(cli_set_parse, &o, "set", "vm1", "colour=blue"), -EINVAL);
	assert_non_null(strstr(err, "unknown key 'colour'"));
	assert_int_equal(PARSE(cli_set_parse, &o, "set", "vm1", "Shares=1"), -EINVAL);
	assert_int_equal(PARSE(cli_set_parse, &o, "set", "vm1", "sharesx=1"), -EINVAL);
	assert_int_equal(PARSE(cli_set_parse, &o, "set", "vm1", "share=1"), -EINVAL);
	assert_int_equal(PARSE(cli_set_parse, &o, "set", "vm1", "shares"), -EINVAL);
	assert_int_equal(PARSE(cli_set_parse, &o, "set", "vm1", "=5"), -EINVAL);
	assert_int_equal(PARSE(cli_set_parse, &o, "set", "vm1", "shares="), -EINVAL);
	assert_int_equal(PARSE(cli_set_parse, &o, "set", "vm1", "shares=1.5"), -EINVAL);
	assert_int_equal(PARSE(cli_set_parse, &o, "set", "vm1", "reservation=12X"), -EINVAL);
	assert_int_equal(PARSE(cli_set_parse, &o, "set", "vm1", "limit=-1M"), -EINVAL);
	assert_int_equal(PARSE(cli_set_parse, &o, "set", "vm1", "shares=1", "shares=2"), -EINVAL);
	assert_string_equal(err, "shares given twice");
	/* set names a bad value by its key, start by its option (one parser for both) */
	assert_int_equal(PARSE(cli_set_parse, &o, "set", "vm1", "shares=x"), -EINVAL);
	assert_string_equal(err, "shares: 'x' is not a whole number");
	assert_int_equal(PARSE(cli_set_parse, &o, "set", "vm1", "maxmemctl=1Q"), -EINVAL);
	assert_true(strncmp(err, "maxmemctl: invalid size '1Q'", 28) == 0);
	assert_int_equal(PARSE(cli_set_parse, &o, "set", "vm1", "shares=1000000001"), -ERANGE);
	assert_int_equal(PARSE(cli_set_parse, &o, "set", "vm1", "reservation=512M", "limit=256M"),
			 -ERANGE);
	assert_int_equal(PARSE(cli_set_parse, &o, "set", "vm1"), -EINVAL);
	assert_int_equal(PARSE(cli_set_parse, &o, "set"), -EINVAL);
	assert_int_equal(PARSE(cli_set_parse, &o, "set", "a/b", "shares=1"), -EINVAL);
	/* a control character in a key never reaches the message raw */
	assert_int_equal(PARSE(cli_set_parse, &o, "set", "vm1", "\033[2Jx=1"), -EINVAL);
	assert_null(strchr(err, '\033'));
}

static void test_balloon(void **state)
{
	(void)state;
	struct cli_balloon_opts o;
	assert_int_equal(PARSE(cli_balloon_parse, &o, "balloon", "vm1", "200M"), 0);
	assert_string_equal(o.name, "vm1");
	assert_int_equal(o.keep_bytes, 200 * MIB);
	assert_false(o.automatic);
	assert_int_equal(PARSE(cli_balloon_parse, &o, "balloon", "vm1", "auto"), 0);
	assert_true(o.automatic);
	assert_int_equal(PARSE(cli_balloon_parse, &o, "balloon", "vm1", "Auto"), -EINVAL);
	assert_int_equal(PARSE(cli_balloon_parse, &o, "balloon", "vm1", "lots"), -EINVAL);
	assert_non_null(strstr(err, "lots"));
	assert_int_equal(PARSE(cli_balloon_parse, &o, "balloon", "vm1"), -EINVAL);
	assert_non_null(strstr(err, "SIZE"));
	assert_int_equal(PARSE(cli_balloon_parse, &o, "balloon"), -EINVAL);
	assert_int_equal(PARSE(cli_balloon_parse, &o, "balloon", "vm1", "1G", "2G"), -EINVAL);
	assert_int_equal(PARSE(cli_balloon_parse, &o, "balloon", "v m", "1G"), -EINVAL);
}

static void test_simple_commands(void **state)
{
	(void)state;
	struct cli_simple_opts st; /* flag: --force */
	assert_int_equal(PARSE_CMD(&st, "stop", "vm1"), 0);
	assert_false(st.flag);
	assert_int_equal(PARSE_CMD(&st, "stop", "--force", "vm1"), 0);
	assert_true(st.flag);
	assert_int_equal(PARSE_CMD(&st, "stop"), -EINVAL);
	assert_int_equal(PARSE_CMD(&st, "stop", "vm1", "vm2"), -EINVAL);
	assert_int_equal(PARSE_CMD(&st, "stop", "--force=yes", "vm1"), -EINVAL);
	assert_non_null(strstr(err, "takes no value"));
	assert_int_equal(PARSE_CMD(&st, "stop", "vm1", "-f"), 0);
	assert_true(st.flag);
	assert_string_equal(st.name, "vm1");
	/* one command's flag is unknown to another */
	assert_int_equal(PARSE_CMD(&st, "stats", "vm1", "--force"), -EINVAL);
	assert_string_equal(err, "unknown option '--force'");

	struct cli_simple_opts ls; /* flag: --json */
	assert_int_equal(PARSE_CMD(&ls, "ls"), 0);
	assert_false(ls.flag);
	assert_int_equal(PARSE_CMD(&ls, "ls", "--json"), 0);
	assert_true(ls.flag);
	assert_null(ls.name);
	assert_int_equal(PARSE_CMD(&ls, "ls", "-j"), -EINVAL); /* long form only */
	assert_string_equal(err, "unknown option '-j'");
	assert_int_equal(PARSE_CMD(&ls, "ls", "vm1"), -EINVAL);
	assert_int_equal(PARSE_CMD(&ls, "ls", "-x"), -EINVAL);
	assert_non_null(strstr(err, "'-x'"));

	struct cli_simple_opts sa;
	assert_int_equal(PARSE_CMD(&sa, "stats", "vm1", "--json"), 0);
	assert_true(sa.flag);
	assert_string_equal(sa.name, "vm1");
	assert_int_equal(PARSE_CMD(&sa, "stats"), -EINVAL);
	assert_string_equal(err, "missing argument");
	assert_int_equal(PARSE_CMD(&sa, "stats", "../x"), -EINVAL);
	assert_non_null(strstr(err, "invalid VM name"));

	struct cli_simple_opts so;
	assert_int_equal(PARSE_CMD(&so, "status", "--socket=/x"), 0);
	assert_string_equal(so.socket, "/x");
	assert_int_equal(PARSE_CMD(&so, "status", "-h"), CLI_PARSE_HELP);
	assert_int_equal(PARSE_CMD(&so, "status", "-s"), -EINVAL);

	struct cli_simple_opts sd; /* flag: --keep-vms */
	assert_int_equal(PARSE_CMD(&sd, "shutdown"), 0);
	assert_false(sd.flag);
	assert_int_equal(PARSE_CMD(&sd, "shutdown", "--keep-vms"), 0);
	assert_true(sd.flag);
	assert_int_equal(PARSE_CMD(&sd, "shutdown", "now"), -EINVAL);
	assert_int_equal(PARSE_CMD(&sd, "shutdown", "-k"), -EINVAL);
}

static void test_top(void **state)
{
	(void)state;
	struct cli_top_opts o;
	assert_int_equal(PARSE(cli_top_parse, &o, "top"), 0);
	assert_false(o.batch);
	assert_int_equal(o.iterations, 0);
	assert_int_equal(o.delay_ms, 1000);
	assert_int_equal(PARSE(cli_top_parse, &o, "top", "-b"), 0);
	assert_int_equal(o.iterations, 0); /* batch runs until stopped, like esxtop -b */
	assert_int_equal(PARSE(cli_top_parse, &o, "top", "-b", "-n", "5", "-d", "0.5"), 0);
	assert_true(o.batch);
	assert_int_equal(o.iterations, 5);
	assert_int_equal(o.delay_ms, 500);
	assert_int_equal(PARSE(cli_top_parse, &o, "top", "-bn3"), 0);
	assert_int_equal(o.iterations, 3);
	assert_int_equal(PARSE(cli_top_parse, &o, "top", "-b", "-n", "0"), 0); /* until stopped */
	assert_int_equal(o.iterations, 0);
	assert_int_equal(PARSE(cli_top_parse, &o, "top", "-n", "-1"), -EINVAL);
	assert_int_equal(PARSE(cli_top_parse, &o, "top", "-d", "0.01"), -ERANGE);
	assert_int_equal(PARSE(cli_top_parse, &o, "top", "-d", "fast"), -EINVAL);
	assert_int_equal(PARSE(cli_top_parse, &o, "top", "-n"), -EINVAL);
	assert_int_equal(PARSE(cli_top_parse, &o, "top", "extra"), -EINVAL);
}

static void test_commands_table(void **state)
{
	(void)state;
	static const char *names[] = {"status", "ls",	   "top", "start",    "stop", "exec",
				      "stats",	"balloon", "set", "shutdown", "sim"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct cli_command *c = cli_command_find(names[i]);
		assert_non_null(c);
		assert_non_null(c->run);
		assert_non_null(c->summary);
	}
	assert_null(cli_command_find("frob"));
	assert_null(cli_command_find(""));
	/* the one-request commands' rows: each names itself and has help and a printer */
	static const char *simple[] = {"status", "ls", "stats", "stop", "shutdown"};
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		const struct cli_simple_cmd *c = cli_simple_find(simple[i]);
		assert_non_null(c);
		assert_string_equal(c->name, simple[i]);
		assert_non_null(strstr(c->usage, simple[i]));
		assert_non_null(c->print);
		assert_true(c->timeout_ms > 0);
	}
	assert_null(cli_simple_find("exec"));
	assert_null(cli_simple_find("stat"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_name_valid), cmocka_unit_test(test_parse_numbers),
	    cmocka_unit_test(test_start_ok),   cmocka_unit_test(test_start_bad),
	    cmocka_unit_test(test_exec),       cmocka_unit_test(test_set),
	    cmocka_unit_test(test_balloon),    cmocka_unit_test(test_simple_commands),
	    cmocka_unit_test(test_top),	       cmocka_unit_test(test_commands_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
