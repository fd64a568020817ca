/* blimp demo's pure parts: options, the guests' schedule and the budget, timeline rows
 * and the running summary (with missing and hostile values), OOM and wsloop log
 * parsing, the gnuplot script (run through gnuplot when it is installed). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "cli/demo_core.h"

#define MIB (1024ULL * 1024)

static int parse(struct demo_opts *o, char *err, size_t len, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	va_start(ap, len);
	argv[argc++] = "demo";
	for (char *a; (a = va_arg(ap, char *));)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	return cli_demo_parse(argc, argv, o, err, len);
}

static void test_parse_defaults(void **state)
{
	(void)state;
	struct demo_opts o;
	char err[256] = "";
	assert_int_equal(parse(&o, err, sizeof(err), NULL), 0);
	assert_string_equal(o.out_dir, "demo");
	assert_int_equal(o.seconds, 120);
	assert_int_equal(o.vms, 4);
	assert_int_equal(o.mem_bytes, 512 * MIB);
	assert_int_equal(o.budget_bytes, 0);
	assert_int_equal(o.ws_mib, 300);
	assert_string_equal(o.policy, "blimp");
	assert_false(o.no_top);
}

static void test_parse_options(void **state)
{
	(void)state;
	struct demo_opts o;
	char err[256] = "";
	assert_int_equal(parse(&o, err, sizeof(err), "--out", "/tmp/x", "--seconds", "60",
			       "--budget", "1.25G", "--vms", "3", "--mem", "256M", "--ws", "100",
			       "--policy", "mom", "--no-top", NULL),
			 0);
	assert_string_equal(o.out_dir, "/tmp/x");
	assert_int_equal(o.seconds, 60);
	assert_int_equal(o.budget_bytes, 1280 * MIB);
	assert_int_equal(o.vms, 3);
	assert_int_equal(o.mem_bytes, 256 * MIB);
	assert_int_equal(o.ws_mib, 100);
	assert_string_equal(o.policy, "mom");
	assert_true(o.no_top);
	assert_int_equal(parse(&o, err, sizeof(err), "--help", NULL), CLI_PARSE_HELP);
}

static void test_parse_errors(void **state)
{
	(void)state;
	struct demo_opts o;
	char err[256];
	const char *bad[][3] = {
	    {"--policy", "esx", "not blimp"}, {"--vms", "0", "out of range"},
	    {"--vms", "17", "out of range"},  {"--seconds", "2", "out of range"},
	    {"--mem", "64M", "outside"},      {"--mem", "lots", "invalid size"},
	    {"--budget", "1M", "below 64M"},  {"--ws", "512", "does not fit"},
	    {"--out", "", "empty"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_true(parse(&o, err, sizeof(err), bad[i][0], bad[i][1], NULL) < 0);
		assert_non_null(strstr(err, bad[i][2]));
	}
	assert_true(parse(&o, err, sizeof(err), "extra", NULL) < 0);
	assert_true(parse(&o, err, sizeof(err), "--bogus", NULL) < 0);
}

static void test_budget(void **state)
{
	(void)state;
	/* 4 x 512M with TCG's ~161M overhead (measured): active 112M floor + 300M ws
	 * + ovhd, three idle at 102.4M (80% ballooned) -> floor 112M + ovhd; +6%. */
	uint64_t b = demo_plan_budget(4, 512 * MIB, 300, 161 * MIB);
	assert_int_equal(b % (64 * MIB), 0);
	uint64_t held = (412 + 161) * MIB + 3 * (112 + 161) * MIB;
	assert_true(b >= held + held * 6 / 100 - 64 * MIB);
	assert_true(b >= held);
	/* overcommitted: below what all four hold when full */
	assert_true(b < 4 * (512 + 161) * MIB);
	/* the working set is capped at MEMSZ */
	assert_true(demo_plan_budget(1, 256 * MIB, 1000, 0) <= 320 * MIB);
	assert_int_equal(demo_plan_budget(0, 512 * MIB, 300, 0), 0);
	/* more overhead, more budget */
	assert_true(demo_plan_budget(4, 512 * MIB, 300, 300 * MIB) > b);
	assert_int_equal(demo_plan_maxmemctl(500 * MIB), 400 * MIB);
}

/* Run `sh -n -c CMD`: the command is valid shell. */
static void assert_shell_syntax(const char *cmd)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-n", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_guest_cmd(void **state)
{
	(void)state;
	char buf[1024];
	/* the daemon takes at most 900 bytes of guest command (VIRT_GUEST_CMD_MAX) */
	int n = demo_plan_guest_cmd(buf, sizeof(buf));
	assert_true(n > 0 && n < 850);
	assert_non_null(strstr(buf, "cat /data/files/*/* >/dev/null"));
	assert_non_null(strstr(buf, "/tmp/demo-filled"));
	assert_shell_syntax(buf);
	n = demo_plan_phase_cmd(27, 300, buf, sizeof(buf));
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	assert_string_equal(buf, "wsloop 300 --duration 27 --log /tmp/wsloop.log >/dev/null 2>&1 "
				 "</dev/null &");
	assert_shell_syntax(buf);
	/* never --duration 0 (wsloop's "forever") */
	demo_plan_phase_cmd(0, 300, buf, sizeof(buf));
	assert_non_null(strstr(buf, "--duration 1 "));
	/* a short buffer is reported like snprintf */
	assert_true(demo_plan_phase_cmd(30, 300, buf, 10) > 10);
	assert_true(demo_plan_guest_cmd(buf, 10) > 10);
}

static void test_active(void **state)
{
	(void)state;
	assert_int_equal(demo_plan_active(0, 4, 30), 0);
	assert_int_equal(demo_plan_active(29, 4, 30), 0);
	assert_int_equal(demo_plan_active(30, 4, 30), 1);
	assert_int_equal(demo_plan_active(119, 4, 30), 3);
	assert_int_equal(demo_plan_active(120, 4, 30), 4);
	assert_int_equal(demo_plan_active(5, 4, 0), 4);
}

static char *rows_of(const char *json, uint64_t t_ms, struct demo_stats *s, int *nrows)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	json_object *o = json ? json_tokener_parse(json) : NULL;
	*nrows = demo_timeline_rows(o, t_ms, f, s);
	json_object_put(o);
	fclose(f);
	return buf;
}

static void test_timeline_rows(void **state)
{
	(void)state;
	struct demo_stats s;
	demo_stats_init(&s);
	int n;
	char *out = rows_of(
	    "{\"host\":{\"state\":\"soft\",\"free\":100,\"budget\":2000,\"mem_available\":9000},"
	    "\"vms\":[{\"name\":\"vm1\",\"consumed\":500,\"ovhd\":100,\"mctlsz\":10,"
	    "\"mctltgt\":20,\"actv\":30,\"memsz\":1000,\"swcur\":5},"
	    "{\"name\":\"vm2\",\"consumed\":700,\"ovhd\":100,\"mctlsz\":40,\"memsz\":1000}]}",
	    1234, &s, &n);
	assert_int_equal(n, 2);
	assert_string_equal(out, "1.2,vm1,500,100,10,20,30,2,100,2000,1000,5,9000\n"
				 "1.2,vm2,700,100,40,,,2,100,2000,1000,,9000\n");
	free(out);
	assert_int_equal(s.samples, 1);
	assert_int_equal(s.memsz_sum_bytes, 2000);
	assert_int_equal(s.peak_held_bytes, 1400);
	/* 1400 held <= 2000 budget: settled at once */
	assert_int_equal(s.settled_ms, 1234);
	assert_int_equal(s.peak_held_settled_bytes, 1400);
	assert_int_equal(s.peak_mctlsz_bytes, 50);
	assert_int_equal(s.peak_swcur_bytes, 5);
	assert_int_equal(s.min_free_bytes, 100);
	assert_int_equal(s.min_available_bytes, 9000);
	assert_int_equal(s.over_budget_samples, 0);
	assert_string_equal(s.worst_state, "soft");

	/* later: over budget, lower state; peaks keep the maximum, minima the minimum */
	out = rows_of("{\"host\":{\"state\":\"low\",\"free\":0,\"budget\":1000},"
		      "\"vms\":[{\"name\":\"vm1\",\"consumed\":900,\"ovhd\":200,\"memsz\":1000}]}",
		      20000, &s, &n);
	assert_int_equal(n, 1);
	assert_string_equal(out, "20.0,vm1,900,200,,,,0,0,1000,1000,,\n");
	free(out);
	assert_int_equal(s.peak_held_bytes, 1400);
	assert_int_equal(s.peak_held_settled_bytes, 1400);
	assert_int_equal(s.settled_ms, 1234);
	assert_int_equal(s.over_budget_samples, 1);
	assert_int_equal(s.memsz_sum_bytes, 2000); /* the largest fleet seen */
	assert_int_equal(s.min_free_bytes, 0);
	assert_string_equal(s.worst_state, "low");
	assert_int_equal(s.budget_bytes, 1000);
}

static void test_timeline_hostile(void **state)
{
	(void)state;
	struct demo_stats s;
	demo_stats_init(&s);
	int n;
	/* no result, wrong types, a name that would split a CSV row or drive a terminal */
	char *out = rows_of(NULL, 0, &s, &n);
	assert_int_equal(n, 0);
	free(out);
	out = rows_of("[1,2]", 0, &s, &n);
	assert_int_equal(n, 0);
	free(out);
	out = rows_of("{\"host\":\"x\",\"vms\":{}}", 0, &s, &n);
	assert_int_equal(n, 0);
	free(out);
	out = rows_of("{\"host\":{\"state\":\"weird\",\"free\":-5,\"budget\":\"big\"},"
		      "\"vms\":[7,{\"name\":\"a,b\\\"\\u001b[2J\",\"consumed\":-1,"
		      "\"ovhd\":true,\"mctlsz\":\"9\"}]}",
		      500, &s, &n);
	assert_int_equal(n, 1);
	assert_string_equal(out, "0.5,a?b??[2J,,,,,,-1,,,,,\n");
	free(out);
	assert_int_equal(s.min_free_bytes, UINT64_MAX);
	assert_int_equal(s.worst_state[0], '\0');
	assert_int_equal(demo_state_level(NULL), -1);
	assert_int_equal(demo_state_level("high"), 4);
	assert_int_equal(demo_state_level("hard"), 1);
}

static void test_oom_and_wsloop(void **state)
{
	(void)state;
	assert_int_equal(demo_oom_count(NULL), 0);
	assert_int_equal(demo_oom_count("[ 1.0] virtio_balloon ok\n"), 0);
	const char *log = "[ 5.1] wsloop invoked oom-killer: gfp_mask=0x100cca\n"
			  "[ 5.2] oom-kill:constraint=CONSTRAINT_NONE,task=wsloop,pid=99\n"
			  "[ 5.2] Out of memory: Killed process 99 (wsloop) total-vm:1kB\n"
			  "[ 9.0] Out of memory: Killed process 120 (sh) total-vm:1kB\n";
	assert_int_equal(demo_oom_count(log), 2);
	assert_int_equal(demo_wsloop_median(NULL), 0);
	assert_int_equal(demo_wsloop_median("garbage\n"), 0);
	assert_int_equal(demo_wsloop_median("wsloop t_ms=1000 pages_per_s=100 resident_mib=1\n"
					    "wsloop t_ms=2000 pages_per_s=900 resident_mib=300\n"
					    "wsloop t_ms=3000 pages_per_s=500 resident_mib=300\n"
					    "wsloop t_ms=4000 pages_per_s=12x resident_mib=300\n"),
			 500);
}

static void test_summary(void **state)
{
	(void)state;
	struct demo_stats s;
	demo_stats_init(&s);
	s.samples = 120;
	s.memsz_sum_bytes = 2048 * MIB;
	s.budget_bytes = 1536 * MIB;
	s.peak_held_bytes = 2600 * MIB;
	s.peak_held_settled_bytes = 1024 * MIB;
	s.settled_ms = 37000;
	s.peak_mctlsz_bytes = 900 * MIB;
	s.min_free_bytes = 10 * MIB;
	snprintf(s.worst_state, sizeof(s.worst_state), "hard");
	struct demo_vm_result vm[2] = {{"vm1", 0, 12345}, {"vm2", -1, 0}};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	demo_summary_write(f, &s, vm, 2, 0, "blimp", 120);
	fclose(f);
	assert_non_null(strstr(buf, "overcommit (sum MEMSZ / budget)            1.33x"));
	assert_non_null(
	    strstr(buf, "2.00x  (peak held 1.0G once within budget, from t=37 s; 2.5G before)"));
	assert_non_null(strstr(buf, "reclaimed by the balloon at peak            900.0M"));
	assert_non_null(strstr(buf, "host free memory minimum (budget less VMs)  10.0M"));
	assert_non_null(strstr(buf, "host MemAvailable minimum                   -"));
	assert_non_null(strstr(buf, "guest OOM kills                             0 (some kernel"));
	assert_non_null(strstr(buf, "vm1          oom kills 0, wsloop 12345 pages/s"));
	assert_non_null(strstr(buf, "vm2          oom kills ?\n"));
	free(buf);

	/* never within budget: no settled ratio, said so */
	s.peak_held_settled_bytes = 0;
	s.settled_ms = UINT64_MAX;
	buf = NULL;
	f = open_memstream(&buf, &len);
	demo_summary_write(f, &s, vm, 2, 1, "static", 60);
	fclose(f);
	assert_non_null(strstr(buf, "-      (never within budget; peak held 2.5G)"));
	assert_non_null(strstr(buf, "host OOM kills                              1"));
	free(buf);
}

static void test_plot(void **state)
{
	(void)state;
	char names[2][DEMO_NAME_MAX] = {"vm1", "vm2"};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	demo_plot_script(f, names, 2, 30, 60, 1536 * MIB);
	fclose(f);
	assert_non_null(strstr(buf, "with table if (strcol(2) eq 'vm2')"));
	assert_non_null(strstr(buf, "set multiplot layout 3,1"));
	assert_non_null(strstr(buf, "rect from 30, graph 0 to 60, graph 1"));
	assert_non_null(strstr(buf, "budget 1536 MiB"));
	free(buf);

	/* With gnuplot installed, the script must draw a PNG from a timeline. */
	if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
		print_message("gnuplot not installed: PNG not checked\n");
		return;
	}
	char dir[] = "/tmp/test_cli_demo.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/timeline.csv", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	demo_timeline_header(f);
	for (int t = 0; t < 60; t++)
		for (int v = 0; v < 2; v++)
			fprintf(f, "%d.0,vm%d,%llu,%llu,%llu,%llu,%llu,%d,%llu,%llu,%llu,0,%llu\n",
				t, v + 1, (400 - (unsigned long long)t * 3) * MIB, 160 * MIB,
				(unsigned long long)t * 3 * MIB, (unsigned long long)t * 3 * MIB,
				50 * MIB, t < 20 ? 0 : 2, (unsigned long long)t * MIB, 1536 * MIB,
				512 * MIB, 20000 * MIB);
	fclose(f);
	char why[256] = "";
	int r = demo_plot(dir, names, 2, 30, 60, 1536 * MIB, why, sizeof(why));
	if (r != 0)
		print_message("demo_plot: %s\n", why);
	assert_int_equal(r, 0);
	snprintf(path, sizeof(path), "%s/timeline.png", dir);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 10000);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* blimpd is looked up next to the running binary; none next to the test binary. */
static void test_daemon_missing(void **state)
{
	(void)state;
	char dir[4096];
	assert_int_equal(demo_exe_dir(dir, sizeof(dir)), 0);
	assert_non_null(strstr(dir, "tests"));
	char probe[4200];
	snprintf(probe, sizeof(probe), "%s/blimpd", dir);
	if (access(probe, X_OK) == 0)
		skip();
	struct demo_daemon d = {0};
	char why[512] = "";
	int r = demo_daemon_start(&d, "/tmp", "/tmp/none.sock", NULL, "blimp", 0, 0, NULL, why,
				  sizeof(why));
	assert_int_equal(r, -ENOENT);
	assert_non_null(strstr(why, "blimpd"));
	assert_non_null(strstr(why, "build it with make"));
	assert_int_equal(d.pid, 0);
	/* stopping a daemon that never started is a no-op */
	assert_int_equal(demo_daemon_stop(&d, "/tmp/none.sock", false, 1), 0);
	char small[4];
	assert_true(demo_exe_dir(small, sizeof(small)) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_defaults), cmocka_unit_test(test_parse_options),
	    cmocka_unit_test(test_parse_errors),   cmocka_unit_test(test_budget),
	    cmocka_unit_test(test_guest_cmd),	   cmocka_unit_test(test_active),
	    cmocka_unit_test(test_timeline_rows),  cmocka_unit_test(test_timeline_hostile),
	    cmocka_unit_test(test_oom_and_wsloop), cmocka_unit_test(test_summary),
	    cmocka_unit_test(test_plot),	   cmocka_unit_test(test_daemon_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
