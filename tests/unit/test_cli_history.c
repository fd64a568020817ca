/* blimp history / plot without a daemon: option parsing, a `history` page to CSV and
 * table rows (hostile and malformed frames included), and the shared plot script. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/history.h"
#include "cli/plot.h"

#define ARGV(...) ((char *[]){__VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)))
#define PARSE(plot, o, ...)                                                                        \
	cli_history_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), plot, (o), err, sizeof(err))

static char err[256];

static void test_duration(void **state)
{
	(void)state;
	uint64_t s;
	assert_int_equal(cli_parse_duration("--since", "90", &s, err, sizeof(err)), 0);
	assert_int_equal(s, 90);
	assert_int_equal(cli_parse_duration("--since", "90s", &s, err, sizeof(err)), 0);
	assert_int_equal(s, 90);
	assert_int_equal(cli_parse_duration("--since", "10m", &s, err, sizeof(err)), 0);
	assert_int_equal(s, 600);
	assert_int_equal(cli_parse_duration("--since", "2h", &s, err, sizeof(err)), 0);
	assert_int_equal(s, 7200);
	assert_int_equal(cli_parse_duration("--since", "1d", &s, err, sizeof(err)), 0);
	assert_int_equal(s, 86400);
	static const char *bad[] = {"", "m", "-1m", "1.5m", "10 m", "10mm", "0x10", "1w", "10M"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cli_parse_duration("--since", bad[i], &s, err, sizeof(err)),
				 -EINVAL);
	assert_int_equal(cli_parse_duration("--since", "0", &s, err, sizeof(err)), -ERANGE);
	assert_int_equal(cli_parse_duration("--since", "31d", &s, err, sizeof(err)), -ERANGE);
	assert_int_equal(cli_parse_duration("--since", NULL, &s, err, sizeof(err)), -EINVAL);
}

static void test_parse(void **state)
{
	(void)state;
	struct cli_history_opts o;
	assert_int_equal(PARSE(false, &o, "history"), 0);
	assert_int_equal(o.since_s, 0);
	assert_false(o.csv);
	assert_int_equal(
	    PARSE(false, &o, "history", "--since", "2m", "--vm", "a", "--vm", "b", "--csv"), 0);
	assert_int_equal(o.since_s, 120);
	assert_int_equal(o.n_vms, 2);
	assert_string_equal(o.vms[1], "b");
	assert_true(o.csv);
	assert_int_equal(PARSE(false, &o, "history", "--vm", "a b"), -EINVAL);
	assert_int_equal(PARSE(false, &o, "history", "-o", "x.png"), -EINVAL); /* plot's */
	assert_int_equal(PARSE(false, &o, "history", "extra"), -EINVAL);
	assert_int_equal(PARSE(false, &o, "history", "-h"), CLI_PARSE_HELP);

	assert_int_equal(PARSE(true, &o, "plot", "-o", "x.png"), 0);
	assert_int_equal(o.since_s, 600); /* plot's default window */
	assert_string_equal(o.out, "x.png");
	assert_int_equal(
	    PARSE(true, &o, "plot", "--since", "2m", "--output", "y.svg", "--dir", "d"), 0);
	assert_string_equal(o.dir, "d");
	assert_int_equal(PARSE(true, &o, "plot"), -EINVAL); /* -o is required */
	assert_non_null(strstr(err, "missing -o"));
	assert_int_equal(PARSE(true, &o, "plot", "-o", ""), -EINVAL);
	assert_int_equal(PARSE(true, &o, "plot", "-o", "x.png", "--csv"), -EINVAL);
}

/* A page as blimpd sends it, with a frame of junk and a hostile name among them. */
static const char page_json[] =
    "{\"frames\":["
    "{\"seq\":7,\"t_ms\":1796591146026,\"mono_ms\":5000,"
    "\"host\":{\"free\":1000,\"minfree\":10,\"budget\":4096,\"available\":900,"
    "\"swap_used\":0,\"state\":\"soft\"},"
    "\"vms\":[{\"name\":\"vm1\",\"memsz\":2048,\"consumed\":1024,\"ovhd\":5,\"mctlsz\":100,"
    "\"mctltgt\":200,\"actv\":50,\"swcur\":3},"
    "{\"name\":\"bad,name\\n\",\"memsz\":1},{\"name\":7}]},"
    "{\"seq\":8,\"t_ms\":1796591147026,\"mono_ms\":6500,"
    "\"host\":{\"free\":999,\"state\":\"nonsense\"},\"vms\":[]},"
    "{\"seq\":9},"
    "\"junk\""
    "],\"more\":false,\"after\":9}";

static void test_page_csv(void **state)
{
	(void)state;
	json_object *page = json_tokener_parse(page_json);
	assert_non_null(page);
	struct cli_history_rows r;
	cli_history_rows_init(&r, true);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cli_history_header(&r, f);
	assert_int_equal(cli_history_page(page, f, &r), 3);
	fclose(f);
	assert_string_equal(
	    buf, "t_s,vm,consumed,ovhd,mctlsz,mctltgt,actv,state,free,budget,memsz,swcur,available,"
		 "minfree,swap_used,state_name,unix_ms\n"
		 "0.000,@host,,,,,,2,1000,4096,,,900,10,0,soft,1796591146026\n"
		 "0.000,vm1,1024,5,100,200,50,2,1000,4096,2048,3,900,10,0,soft,1796591146026\n"
		 "1.500,@host,,,,,,-1,999,,,,,,,unknown,1796591147026\n");
	assert_int_equal(r.frames, 2);
	assert_int_equal(r.n_names, 1);
	assert_string_equal(r.names[0], "vm1");
	assert_int_equal(r.budget_bytes, 4096);
	free(buf);

	/* the table: one line per row, no control characters from blimpd */
	cli_history_rows_init(&r, false);
	buf = NULL;
	f = open_memstream(&buf, &len);
	cli_history_header(&r, f);
	assert_int_equal(cli_history_page(page, f, &r), 3);
	fclose(f);
	int lines = 0;
	for (char *p = buf; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 4);
	assert_non_null(strstr(buf, "vm1"));
	assert_non_null(strstr(buf, "soft"));
	assert_null(strstr(buf, "bad"));
	free(buf);
	json_object_put(page);

	/* not a page at all */
	assert_int_equal(cli_history_page(NULL, stdout, &r), 0);
	json_object *o = json_tokener_parse("{\"frames\":3}");
	assert_int_equal(cli_history_page(o, stdout, &r), 0);
	json_object_put(o);
}

static void test_plot_script(void **state)
{
	(void)state;
	const char *names[] = {"vm1", "vm2", "vm3"};
	struct cli_plot p = {.csv = "history.csv",
			     .out = "/tmp/it's here.png",
			     .title = "a 'quoted' title",
			     .names = names,
			     .n = 3,
			     .host_rows = CLI_HISTORY_HOST,
			     .budget_bytes = 1024ULL << 20};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cli_plot_script(f, &p);
	fclose(f);
	assert_int_equal(cli_plot_panels(&p), 4);
	assert_non_null(strstr(buf, "set multiplot layout 4,1"));
	assert_non_null(strstr(buf, "set terminal pngcairo size 1100,860"));
	assert_non_null(strstr(buf, "set output '/tmp/it''s here.png'"));
	assert_non_null(strstr(buf, "title 'a ''quoted'' title'"));
	assert_non_null(strstr(buf, "with table if (strcol(2) eq '@host')"));
	assert_non_null(strstr(buf, "with table if (strcol(2) eq 'vm3')"));
	assert_non_null(strstr(buf, "set title 'host (budget 1024 MiB)'"));
	assert_null(strstr(buf, "set object 1")); /* no phases */
	assert_null(strstr(buf, "set xrange"));	  /* the data's own range */
	int vm_panels = 0;
	for (const char *s = buf; (s = strstr(s, "title 'CONSUMED'")); s++)
		vm_panels++;
	assert_int_equal(vm_panels, 3);
	free(buf);

	/* a control character in a path cannot end the gnuplot command */
	p.out = "x\nsystem('rm -rf /')";
	p.terminal = "svg";
	buf = NULL;
	f = open_memstream(&buf, &len);
	cli_plot_script(f, &p);
	fclose(f);
	assert_non_null(strstr(buf, "set output 'x?system(''rm -rf /'')'"));
	assert_non_null(strstr(buf, "set terminal svg"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_duration),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_page_csv),
	    cmocka_unit_test(test_plot_script),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
