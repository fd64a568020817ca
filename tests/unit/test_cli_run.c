/* Subcommands end to end against a scripted blimpd on a real unix socket: what they
 * send, what they print and the exit status they return. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli/cmds.h"
#include "cli/history.h"

#define MIB (1024ULL * 1024)

/* What the fake daemon answers to each command (the "result" or an error). */
struct script {
	const char *cmd;
	const char *answer; /* a JSON result, or "!CODE message" for an error */
};

static struct {
	char dir[40];
	char path[64];
	int lfd;
	pthread_t thread;
	const struct script *script;
	char requests[8192]; /* every request line seen, in order */
	pthread_mutex_t lock;
	int n_requests;
	int restart_after; /* > 0: after this many requests, go away like a restarting */
	int down_ms;	   /* blimpd (socket closed and removed) for down_ms, then return */
} fake;

static void fake_listen(void)
{
	fake.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memcpy(sa.sun_path, fake.path, strlen(fake.path) + 1);
	assert_int_equal(bind(fake.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fake.lfd, 4), 0);
}

static void fake_serve(int fd)
{
	FILE *f = fdopen(fd, "r+");
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		pthread_mutex_lock(&fake.lock);
		strncat(fake.requests, line, sizeof(fake.requests) - strlen(fake.requests) - 1);
		pthread_mutex_unlock(&fake.lock);
		json_object *req = json_tokener_parse(line);
		json_object *cmd = json_object_object_get(req, "cmd");
		const char *name = json_object_get_string(cmd);
		const char *answer = "!EPROTO unknown command";
		for (const struct script *s = fake.script; s->cmd; s++)
			if (name && strcmp(s->cmd, name) == 0)
				answer = s->answer;
		long id = json_object_get_int64(json_object_object_get(req, "id"));
		if (answer[0] == '!') {
			const char *sp = strchr(answer, ' ');
			fprintf(f,
				"{\"v\":1,\"id\":%ld,\"ok\":false,\"error\":{\"code\":\"%.*s\","
				"\"message\":\"%s\"}}\n",
				id, (int)(sp - answer - 1), answer + 1, sp + 1);
		} else {
			fprintf(f, "{\"v\":1,\"id\":%ld,\"ok\":true,\"result\":%s}\n", id, answer);
		}
		fflush(f);
		json_object_put(req);
		if (++fake.n_requests == fake.restart_after)
			break;
	}
	free(line);
	fclose(f);
}

static void *fake_main(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(fake.lfd, NULL, NULL);
		if (fd < 0)
			return NULL; /* listening socket shut down */
		fake_serve(fd);
		if (fake.restart_after > 0 && fake.n_requests == fake.restart_after) {
			close(fake.lfd);
			unlink(fake.path);
			struct timespec ts = {fake.down_ms / 1000, fake.down_ms % 1000 * 1000000L};
			nanosleep(&ts, NULL);
			fake_listen();
		}
	}
}

static void fake_start(const struct script *script)
{
	memset(fake.requests, 0, sizeof(fake.requests));
	fake.script = script;
	fake.n_requests = 0;
	snprintf(fake.dir, sizeof(fake.dir), "/tmp/blimp-cli-run.XXXXXX");
	assert_non_null(mkdtemp(fake.dir));
	snprintf(fake.path, sizeof(fake.path), "%s/s.sock", fake.dir);
	fake_listen();
	pthread_mutex_init(&fake.lock, NULL);
	assert_int_equal(pthread_create(&fake.thread, NULL, fake_main, NULL), 0);
}

static void fake_stop(void)
{
	shutdown(fake.lfd, SHUT_RDWR);
	pthread_join(fake.thread, NULL);
	close(fake.lfd);
	unlink(fake.path);
	rmdir(fake.dir);
}

/* Run a subcommand with stdout and stderr captured. */
static char out_buf[65536], err_buf[4096];

static void read_all(int fd, char *buf, size_t len)
{
	lseek(fd, 0, SEEK_SET);
	ssize_t n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* Send stdout and stderr to temp files until capture_end reads them into the buffers. */
static struct {
	int saved_out, saved_err, fo, fe;
} cap;

static void capture_begin(void)
{
	fflush(stdout);
	fflush(stderr);
	cap.saved_out = dup(1);
	cap.saved_err = dup(2);
	char tpl1[] = "/tmp/blimp-cli-out.XXXXXX", tpl2[] = "/tmp/blimp-cli-err.XXXXXX";
	cap.fo = mkstemp(tpl1);
	cap.fe = mkstemp(tpl2);
	unlink(tpl1);
	unlink(tpl2);
	dup2(cap.fo, 1);
	dup2(cap.fe, 2);
}

static void capture_end(void)
{
	fflush(stdout);
	fflush(stderr);
	dup2(cap.saved_out, 1);
	dup2(cap.saved_err, 2);
	close(cap.saved_out);
	close(cap.saved_err);
	read_all(cap.fo, out_buf, sizeof(out_buf));
	read_all(cap.fe, err_buf, sizeof(err_buf));
}

static int run_argv(int (*run)(const struct cli_ctx *, int, char **), int argc, char **argv)
{
	struct cli_ctx ctx = {.socket_path = fake.path};
	capture_begin();
	int rc = run(&ctx, argc, argv);
	capture_end();
	return rc;
}
#define RUN(fn, ...)                                                                               \
	run_argv(fn, (int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)),                      \
		 (char *[]){__VA_ARGS__, NULL})

static const char *vm1 = "{\"name\":\"vm1\",\"memsz\":536870912,\"mctlmax\":348966092,"
			 "\"consumed\":314572800,\"mctl\":true,\"reason\":\"entitlement\"}";

static void test_exec_status_and_output(void **state)
{
	(void)state;
	static const struct script s[] = {
	    {"exec", "{\"status\":3,\"output\":\"out\\nno newline at end\"}"}, {NULL, NULL}};
	fake_start(s);
	int rc = RUN(cli_exec_run, "exec", "vm1", "--timeout", "5", "--", "sh", "-c", "exit 3");
	assert_int_equal(rc, 3);
	assert_string_equal(out_buf, "out\nno newline at end");
	assert_string_equal(err_buf, "");
	assert_non_null(strstr(fake.requests, "\"argv\":[\"sh\",\"-c\",\"exit 3\"]"));
	assert_non_null(strstr(fake.requests, "\"timeout_ms\":5000"));
	fake_stop();
}

static void test_balloon_range_message(void **state)
{
	(void)state;
	char stats[512];
	snprintf(stats, sizeof(stats), "%s", vm1);
	const struct script s[] = {
	    {"balloon", "!ERANGE target out of range"}, {"stats", stats}, {NULL, NULL}};
	fake_start(s);
	int rc = RUN(cli_balloon_run, "balloon", "vm1", "112M");
	assert_int_equal(rc, CLI_EXIT_DAEMON);
	assert_non_null(strstr(err_buf, "blimp: balloon: balloon would take 400.0M, more than "
					"MCTLMAX 332.8M"));
	assert_non_null(strstr(fake.requests, "\"target\":117440512"));
	fake_stop();

	/* other errors pass through with their code; success prints the new target */
	static const struct script s2[] = {{"balloon", "!ENOENT no VM named 'vm9'"}, {NULL, NULL}};
	fake_start(s2);
	assert_int_equal(RUN(cli_balloon_run, "balloon", "vm9", "100M"), CLI_EXIT_DAEMON);
	assert_string_equal(err_buf, "blimp: balloon: no VM named 'vm9' (ENOENT)\n");
	fake_stop();
	static const struct script s3[] = {
	    {"balloon", "{\"target\":209715200,\"mctltgt\":327155712}"}, {NULL, NULL}};
	fake_start(s3);
	assert_int_equal(RUN(cli_balloon_run, "balloon", "vm1", "200M"), CLI_EXIT_OK);
	assert_string_equal(out_buf, "vm1 keeps 200.0M (MCTLTGT 312.0M)\n");
	fake_stop();
}

static void test_stats_json_passthrough(void **state)
{
	(void)state;
	const struct script s[] = {{"stats", vm1}, {NULL, NULL}};
	fake_start(s);
	assert_int_equal(RUN(cli_stats_run, "stats", "vm1", "--json"), CLI_EXIT_OK);
	json_object *o = json_tokener_parse(out_buf);
	assert_non_null(o);
	assert_int_equal(json_object_get_int64(json_object_object_get(o, "memsz")), 512 * MIB);
	json_object_put(o);
	assert_int_equal(RUN(cli_stats_run, "stats", "vm1"), CLI_EXIT_OK);
	assert_non_null(strstr(out_buf, "MEMSZ               512.0M"));
	assert_non_null(strstr(out_buf, "MCTLMAX             332.8M"));
	fake_stop();
}

static void test_usage_and_unreachable(void **state)
{
	(void)state;
	static const struct script s[] = {{NULL, NULL}};
	fake_start(s);
	/* usage errors never reach the daemon */
	assert_int_equal(
	    RUN(cli_start_run, "start", "vm1", "--mem", "256M", "--reservation", "512M"),
	    CLI_EXIT_USAGE);
	assert_non_null(strstr(err_buf, "blimp: start: --reservation 512.0M is more than --mem"));
	assert_int_equal(RUN(cli_set_run, "set", "vm1", "colour=blue"), CLI_EXIT_USAGE);
	assert_int_equal(
	    RUN(cli_start_run, "start", "vm1", "--mem", "256M", "--kernel", "/nonexistent/vmlinux"),
	    CLI_EXIT_USAGE);
	assert_non_null(strstr(err_buf, "/nonexistent/vmlinux"));
	assert_string_equal(fake.requests, "");
	/* --help prints usage and succeeds */
	assert_int_equal(RUN(cli_top_run, "top", "--help"), CLI_EXIT_OK);
	assert_non_null(strstr(out_buf, "Usage: blimp top"));
	/* a subcommand's own --socket wins; a dead one is exit 3 */
	assert_int_equal(RUN(cli_status_run, "status", "-s", "/nonexistent/x.sock"),
			 CLI_EXIT_UNREACHABLE);
	assert_non_null(
	    strstr(err_buf, "blimp: status: cannot reach blimpd at /nonexistent/x.sock"));
	fake_stop();
}

/* A blimpd for which every request succeeds. */
static const struct script all_ok[] = {
    {"start", "{\"name\":\"vm1\",\"uuid\":\"u-1\"}"},
    {"set", "{\"shares\":2000,\"reservation\":134217728,\"limit\":0,\"maxmemctl\":0}"},
    {"stop", "{}"},
    {"shutdown", "{}"},
    {"ls", "{\"vms\":[]}"},
    {"status", "{\"host\":{\"state\":\"high\"}}"},
    {NULL, NULL}};

static void test_start_set_stop_requests(void **state)
{
	(void)state;
	fake_start(all_ok);
	assert_int_equal(RUN(cli_start_run, "start", "vm1", "--mem", "256M", "--", "memhog", "100"),
			 CLI_EXIT_OK);
	assert_string_equal(out_buf, "started vm1 (uuid u-1)\n");
	assert_non_null(strstr(fake.requests, "\"mem\":268435456"));
	assert_non_null(strstr(fake.requests, "\"cmd\":[\"memhog\",\"100\"]"));
	assert_int_equal(RUN(cli_set_run, "set", "vm1", "shares=2000", "reservation=128M"),
			 CLI_EXIT_OK);
	assert_string_equal(out_buf,
			    "vm1: shares 2000, reservation 128.0M, limit 0, maxmemctl 0\n");
	assert_non_null(strstr(fake.requests, "\"shares\":2000,\"reservation\":134217728}"));
	assert_int_equal(RUN(cli_stop_run, "stop", "--force", "vm1"), CLI_EXIT_OK);
	assert_non_null(strstr(fake.requests, "\"cmd\":\"stop\",\"args\":{\"name\":\"vm1\","
					      "\"force\":true}"));
	assert_int_equal(RUN(cli_shutdown_run, "shutdown", "--keep-vms"), CLI_EXIT_OK);
	assert_non_null(strstr(fake.requests, "\"keep_vms\":true"));
	fake_stop();
}

/* The one-request commands through cli_simple_run: args sent, what each prints. */
static void test_simple_outputs(void **state)
{
	(void)state;
	fake_start(all_ok);
	assert_int_equal(RUN(cli_ls_run, "ls", "--json"), CLI_EXIT_OK);
	assert_string_equal(out_buf, "{\"vms\":[]}\n"); /* plain, one line */
	assert_int_equal(RUN(cli_status_run, "status", "--json"), CLI_EXIT_OK);
	assert_non_null(strstr(out_buf, "\"state\":\"high\"")); /* pretty */
	assert_non_null(strchr(out_buf, '\n'));
	assert_true(strchr(out_buf, '\n') < out_buf + strlen(out_buf) - 1);
	assert_int_equal(RUN(cli_stop_run, "stop", "-f", "vm2"), CLI_EXIT_OK);
	assert_string_equal(out_buf, "stopped vm2\n");
	assert_int_equal(RUN(cli_shutdown_run, "shutdown"), CLI_EXIT_OK);
	assert_string_equal(out_buf, "blimpd is shutting down\n");
	assert_int_equal(RUN(cli_shutdown_run, "shutdown", "--keep-vms"), CLI_EXIT_OK);
	assert_string_equal(out_buf, "blimpd is shutting down (VMs kept running)\n");
	/* ls and status send no args of their own; shutdown sends its flag even when off */
	assert_non_null(strstr(fake.requests, "\"cmd\":\"ls\",\"args\":{}"));
	assert_non_null(strstr(fake.requests, "\"cmd\":\"stop\",\"args\":{\"name\":\"vm2\","
					      "\"force\":true}"));
	assert_non_null(strstr(fake.requests, "\"args\":{\"keep_vms\":false}"));
	/* a daemon error is the command's, exit 1, nothing on stdout (no "stats" here) */
	assert_int_equal(RUN(cli_stats_run, "stats", "vm9"), CLI_EXIT_DAEMON);
	assert_string_equal(out_buf, "");
	assert_string_equal(err_buf, "blimp: stats: unknown command (EPROTO)\n");
	/* --help: the command's usage on stdout, nothing sent */
	size_t sent = strlen(fake.requests);
	assert_int_equal(RUN(cli_stop_run, "stop", "--help"), CLI_EXIT_OK);
	assert_true(strncmp(out_buf, "Usage: blimp stop NAME [--force]\n", 33) == 0);
	assert_int_equal(strlen(fake.requests), sent);
	fake_stop();
}

static int count_lines(const char *s, const char *needle);

/* blimp history pages: it asks again from "after" while "more", stops when "after" does
 * not move (a blimpd repeating itself must not loop the CLI), header once. */
static void test_history_pages(void **state)
{
	(void)state;
	const struct script s[] = {
	    {"history", "{\"frames\":[{\"seq\":4,\"t_ms\":1000,\"mono_ms\":7000,"
			"\"host\":{\"free\":1,\"state\":\"high\"},\"vms\":[{\"name\":\"vm1\","
			"\"memsz\":2,\"consumed\":1}]}],\"more\":true,\"after\":5}"},
	    {NULL, NULL}};
	fake_start(s);
	assert_int_equal(RUN(cli_history_run, "history", "--csv", "--since", "2m", "--vm", "vm1"),
			 CLI_EXIT_OK);
	assert_int_equal(count_lines(out_buf, "t_s,vm,"), 1);
	assert_int_equal(count_lines(out_buf, ",vm1,1,"), 2); /* a row from each page */
	assert_int_equal(count_lines(fake.requests, "\"cmd\":\"history\""), 2);
	assert_non_null(strstr(fake.requests, "\"since\":120"));
	assert_non_null(strstr(fake.requests, "\"after\":5"));
	assert_non_null(strstr(fake.requests, "\"vms\":[\"vm1\"]"));
	fake_stop();

	const struct script off[] = {{"history", "!ENOENT the live history is off"}, {NULL, NULL}};
	fake_start(off);
	assert_int_equal(RUN(cli_history_run, "history"), CLI_EXIT_DAEMON);
	assert_string_equal(out_buf, ""); /* no header without an answer */
	assert_non_null(strstr(err_buf, "blimp: history: the live history is off (ENOENT)"));
	assert_int_equal(RUN(cli_plot_cmd_run, "plot", "-o", "/nonexistent/x.png"), CLI_EXIT_DAEMON);
	fake_stop();
}

/* A request builder that ran out of memory: reported, nothing sent. */
static void test_request_take_null(void **state)
{
	(void)state;
	static const struct script s[] = {{NULL, NULL}};
	fake_start(s);
	struct cli_ctx ctx = {.socket_path = fake.path};
	struct cli_reply reply;
	capture_begin();
	int rc = cli_request_take(&ctx, "set", NULL, 1000, &reply);
	capture_end();
	assert_int_equal(rc, CLI_EXIT_DAEMON);
	assert_string_equal(err_buf, "blimp: set: out of memory\n");
	assert_null(reply.result);
	assert_string_equal(fake.requests, "");
	fake_stop();
}

/* A `top` result with host columns and vm1. */
static const char *top_result(void)
{
	static char top[1024];
	snprintf(top, sizeof(top), "{\"host\":{\"state\":\"high\",\"budget\":1000},\"vms\":[%s]}",
		 vm1);
	return top;
}

static void test_top_batch(void **state)
{
	(void)state;
	const struct script s[] = {{"top", top_result()}, {NULL, NULL}};
	fake_start(s);
	assert_int_equal(RUN(cli_top_run, "top", "-b", "-n", "3", "-d", "0.1"), CLI_EXIT_OK);
	int lines = 0;
	for (char *p = out_buf; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 4); /* header + 3 iterations x 1 VM */
	assert_non_null(strstr(out_buf, ",high,1000,"));
	assert_non_null(strstr(out_buf, ",vm1,536870912,314572800,"));
	/* three requests on one connection */
	assert_non_null(strstr(fake.requests, "\"id\":3"));
	fake_stop();

	static const struct script none[] = {{NULL, NULL}};
	fake_start(none);
	assert_int_equal(RUN(cli_top_run, "top", "-b"), CLI_EXIT_DAEMON);
	assert_non_null(strstr(err_buf, "blimp: top: unknown command (EPROTO)"));
	fake_stop();
}

static int count_lines(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* blimpd restarting under `top -b`: a notice on stderr per refresh it is away, rows
 * again when it is back, exit 0. Every refresh failing is exit 3. */
static void test_top_batch_restart(void **state)
{
	(void)state;
	const struct script s[] = {{"top", top_result()}, {NULL, NULL}};
	fake.restart_after = 2;
	fake.down_ms = 450;
	fake_start(s);
	assert_int_equal(RUN(cli_top_run, "top", "-b", "-n", "10", "-d", "0.2"), CLI_EXIT_OK);
	fake.restart_after = 0;
	int rows = count_lines(out_buf, ",vm1,"), notices = count_lines(err_buf, "\n");
	int away = count_lines(err_buf, "blimp: top: blimpd not reachable: cannot reach blimpd at");
	assert_true(rows >= 3);		     /* 2 before, at least 1 after */
	assert_true(away >= 1);		     /* the socket was gone for 450 ms */
	assert_int_equal(rows + away, 10);   /* every refresh is a row or a notice */
	assert_int_equal(notices, away + 1); /* + "reachable again" */
	assert_non_null(strstr(err_buf, "; retrying in 0.2 s\n"));
	assert_non_null(strstr(err_buf, "blimp: top: blimpd reachable again\n"));
	fake_stop();

	/* Nobody there at all: each refresh says so, the last without "retrying". */
	assert_int_equal(
	    RUN(cli_top_run, "top", "-b", "-n", "3", "-d", "0.1", "-s", "/nonexistent/x.sock"),
	    CLI_EXIT_UNREACHABLE);
	assert_int_equal(count_lines(err_buf, "blimpd not reachable"), 3);
	assert_int_equal(count_lines(err_buf, "retrying"), 2);
	assert_int_equal(count_lines(out_buf, "\n"), 1); /* the CSV header only */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exec_status_and_output),
	    cmocka_unit_test(test_balloon_range_message),
	    cmocka_unit_test(test_stats_json_passthrough),
	    cmocka_unit_test(test_usage_and_unreachable),
	    cmocka_unit_test(test_start_set_stop_requests),
	    cmocka_unit_test(test_top_batch),
	    cmocka_unit_test(test_top_batch_restart),
	    cmocka_unit_test(test_simple_outputs),
	    cmocka_unit_test(test_request_take_null),
	    cmocka_unit_test(test_history_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
