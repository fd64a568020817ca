/* The CLI's protocol client against a scripted server thread on a real unix socket:
 * well-formed answers, stale ids, dribbled bytes, silence, hang-ups, garbage and
 * answers over the 16 MiB cap. Also the pure request/response codecs. */
#include <errno.h>
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
#include <unistd.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "cli/client.h"

enum srv_mode {
	SRV_OK,	     /* answer each request with {"echo": cmd} */
	SRV_STALE,   /* first an answer with another id, then the right one */
	SRV_DRIBBLE, /* the answer one byte at a time */
	SRV_SILENT,  /* read the request, never answer */
	SRV_HANGUP,  /* read the request, close */
	SRV_GARBAGE, /* answer "hello" */
	SRV_HUGE,    /* 17 MiB without a newline */
	SRV_ERROR,   /* a daemon error ERANGE */
};

struct srv {
	char dir[40];
	char path[64];
	int lfd;
	enum srv_mode mode;
	int requests; /* how many to serve on the connection */
	pthread_t thread;
	char last_request[4096];
};

static ssize_t srv_read_line(int fd, char *buf, size_t len)
{
	size_t n = 0;
	while (n + 1 < len) {
		ssize_t r = read(fd, buf + n, 1);
		if (r <= 0)
			return -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return (ssize_t)n;
}

static void srv_send(int fd, const char *s)
{
	size_t n = strlen(s);
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	int fd = accept(s->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	for (int i = 0; i < s->requests; i++) {
		char line[4096];
		if (srv_read_line(fd, line, sizeof(line)) < 0)
			break;
		snprintf(s->last_request, sizeof(s->last_request), "%s", line);
		json_object *req = json_tokener_parse(line);
		json_object *id = NULL, *cmd = NULL;
		json_object_object_get_ex(req, "id", &id);
		json_object_object_get_ex(req, "cmd", &cmd);
		char out[512];
		snprintf(out, sizeof(out),
			 "{\"v\":1,\"id\":%s,\"ok\":true,\"result\":{\"echo\":\"%s\"}}\n",
			 json_object_to_json_string(id), json_object_get_string(cmd));
		switch (s->mode) {
		case SRV_OK:
			srv_send(fd, out);
			break;
		case SRV_STALE:
			srv_send(
			    fd,
			    "{\"v\":1,\"id\":999,\"ok\":true,\"result\":{\"echo\":\"stale\"}}\n");
			srv_send(fd, out);
			break;
		case SRV_DRIBBLE:
			for (char *p = out; *p; p++) {
				send(fd, p, 1, MSG_NOSIGNAL);
				usleep(200);
			}
			break;
		case SRV_SILENT: {
			char c;
			while (read(fd, &c, 1) > 0) /* until the client gives up */
				;
			break;
		}
		case SRV_HANGUP:
			break;
		case SRV_GARBAGE:
			srv_send(fd, "hello\n");
			break;
		case SRV_HUGE: {
			size_t chunk = 1 << 20;
			char *junk = malloc(chunk);
			memset(junk, ' ', chunk);
			for (int k = 0; k < 17; k++)
				if (send(fd, junk, chunk, MSG_NOSIGNAL) < 0)
					break;
			free(junk);
			break;
		}
		case SRV_ERROR:
			srv_send(fd,
				 "{\"v\":1,\"id\":null,\"ok\":false,\"error\":{\"code\":\"ERANGE\","
				 "\"message\":\"balloon above MCTLMAX\"}}\n");
			break;
		}
		json_object_put(req);
		if (s->mode == SRV_HANGUP)
			break;
	}
	close(fd);
	return NULL;
}

static void srv_start(struct srv *s, enum srv_mode mode, int requests)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/blimp-cli-test.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/s.sock", s->dir);
	s->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s->lfd >= 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	assert_true(strlen(s->path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
	s->mode = mode;
	s->requests = requests;
	assert_int_equal(pthread_create(&s->thread, NULL, srv_main, s), 0);
}

static void srv_stop(struct srv *s)
{
	pthread_join(s->thread, NULL);
	close(s->lfd);
	unlink(s->path);
	rmdir(s->dir);
}

static void test_request_format(void **state)
{
	(void)state;
	json_object *args = json_object_new_object();
	json_object_object_add(args, "name", json_object_new_string("vm\"1\n"));
	char *line = cli_request_format(7, "stats", args);
	json_object_put(args);
	assert_non_null(line);
	size_t n = strlen(line);
	assert_true(n > 0 && line[n - 1] == '\n');
	assert_null(memchr(line, '\n', n - 1)); /* one line, whatever the args hold */
	json_object *o = json_tokener_parse(line);
	assert_non_null(o);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "v")), 1);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "id")), 7);
	assert_string_equal(json_object_get_string(json_object_object_get(o, "cmd")), "stats");
	json_object *a = json_object_object_get(o, "args");
	assert_string_equal(json_object_get_string(json_object_object_get(a, "name")), "vm\"1\n");
	json_object_put(o);
	free(line);

	line = cli_request_format(1, "status", NULL);
	assert_non_null(strstr(line, "\"args\":{}"));
	free(line);
}

static void test_reply_parse(void **state)
{
	(void)state;
	struct cli_reply r;
	const char *ok = "{\"v\":1,\"id\":3,\"ok\":true,\"result\":{\"a\":1}}";
	assert_int_equal(cli_reply_parse(ok, strlen(ok), &r), 0);
	assert_true(r.ok);
	assert_non_null(r.result);
	assert_int_equal(json_object_get_int(json_object_object_get(r.result, "a")), 1);
	cli_reply_free(&r);

	const char *e = "{\"v\":1,\"id\":3,\"ok\":false,\"error\":{\"code\":\"ENOENT\","
			"\"message\":\"no VM named 'x'\"}}\r";
	assert_int_equal(cli_reply_parse(e, strlen(e), &r), 0);
	assert_false(r.ok);
	assert_string_equal(r.code, "ENOENT");
	assert_string_equal(r.message, "no VM named 'x'");
	cli_reply_free(&r);

	/* an error without details still reads as an error */
	const char *e2 = "{\"ok\":false,\"error\":{\"code\":7}}";
	assert_int_equal(cli_reply_parse(e2, strlen(e2), &r), 0);
	assert_false(r.ok);
	assert_string_equal(r.code, "EIO");
	assert_non_null(r.message);
	cli_reply_free(&r);
	/* an overlong code is cut, not overflowed */
	char longcode[200];
	snprintf(longcode, sizeof(longcode), "{\"ok\":false,\"error\":{\"code\":\"%0100d\"}}", 0);
	assert_int_equal(cli_reply_parse(longcode, strlen(longcode), &r), 0);
	assert_int_equal(strlen(r.code), sizeof(r.code) - 1);
	cli_reply_free(&r);

	static const char *bad[] = {"",
				    "{",
				    "[]",
				    "42",
				    "null",
				    "{\"ok\":1}",
				    "{\"result\":{}}",
				    "{\"ok\":true} {\"ok\":true}",
				    "{\"ok\":true}x",
				    "hello"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&r, 0x5a, sizeof(r));
		assert_int_equal(cli_reply_parse(bad[i], strlen(bad[i]), &r), -EPROTO);
	}
	/* an embedded NUL ends nothing early: the bytes after it make it malformed */
	const char nul[] = "{\"ok\":true}\0garbage";
	assert_int_equal(cli_reply_parse(nul, sizeof(nul) - 1, &r), -EPROTO);
}

static void test_call_ok_and_reuse(void **state)
{
	(void)state;
	struct srv s;
	srv_start(&s, SRV_OK, 2);
	struct cli_conn c;
	assert_int_equal(cli_conn_open(&c, s.path, 1000), 0);
	struct cli_reply r;
	json_object *args = json_object_new_object();
	json_object_object_add(args, "name", json_object_new_string("vm1"));
	assert_int_equal(cli_conn_call(&c, "stats", args, 2000, &r), 0);
	json_object_put(args);
	assert_true(r.ok);
	assert_string_equal(json_object_get_string(json_object_object_get(r.result, "echo")),
			    "stats");
	cli_reply_free(&r);
	assert_non_null(strstr(s.last_request, "\"name\":\"vm1\""));
	/* a second request on the same connection gets the next id */
	assert_int_equal(cli_conn_call(&c, "top", NULL, 2000, &r), 0);
	assert_string_equal(json_object_get_string(json_object_object_get(r.result, "echo")),
			    "top");
	cli_reply_free(&r);
	assert_non_null(strstr(s.last_request, "\"id\":2"));
	cli_conn_close(&c);
	srv_stop(&s);
}

static int call_mode(enum srv_mode mode, int timeout_ms, struct cli_reply *r)
{
	struct srv s;
	srv_start(&s, mode, 1);
	struct cli_conn c;
	assert_int_equal(cli_conn_open(&c, s.path, 1000), 0);
	int ret = cli_conn_call(&c, "status", NULL, timeout_ms, r);
	cli_conn_close(&c);
	srv_stop(&s);
	return ret;
}

static void test_call_stale_dribble_error(void **state)
{
	(void)state;
	struct cli_reply r;
	assert_int_equal(call_mode(SRV_STALE, 2000, &r), 0);
	assert_string_equal(json_object_get_string(json_object_object_get(r.result, "echo")),
			    "status");
	cli_reply_free(&r);
	assert_int_equal(call_mode(SRV_DRIBBLE, 5000, &r), 0);
	assert_true(r.ok);
	cli_reply_free(&r);
	assert_int_equal(call_mode(SRV_ERROR, 2000, &r), 0);
	assert_false(r.ok);
	assert_string_equal(r.code, "ERANGE");
	cli_reply_free(&r);
}

static void test_call_failures(void **state)
{
	(void)state;
	struct cli_reply r;
	assert_int_equal(call_mode(SRV_SILENT, 200, &r), -ETIMEDOUT);
	assert_int_equal(call_mode(SRV_HANGUP, 2000, &r), -ECONNRESET);
	assert_int_equal(call_mode(SRV_GARBAGE, 2000, &r), -EPROTO);
	assert_int_equal(call_mode(SRV_HUGE, 10000, &r), -E2BIG);
}

static void test_connect_failures(void **state)
{
	(void)state;
	struct cli_conn c;
	assert_int_equal(cli_conn_open(&c, "/nonexistent/blimpd.sock", 500), -ENOENT);
	char longpath[200];
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(cli_conn_open(&c, longpath, 500), -ENAMETOOLONG);
	assert_int_equal(cli_conn_open(&c, "", 500), -EINVAL);

	/* a socket file nobody listens on */
	char dir[] = "/tmp/blimp-cli-test.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof(path), "%s/dead.sock", dir);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(cli_conn_open(&c, path, 500), -ECONNREFUSED);
	unlink(path);
	rmdir(dir);
}

static void test_cli_request_exit_codes(void **state)
{
	(void)state;
	struct srv s;
	struct cli_reply r;
	srv_start(&s, SRV_OK, 1);
	struct cli_ctx ctx = {.socket_path = s.path};
	assert_int_equal(cli_request(&ctx, "ls", NULL, 2000, &r), CLI_EXIT_OK);
	assert_true(r.ok);
	cli_reply_free(&r);
	srv_stop(&s);

	srv_start(&s, SRV_ERROR, 1);
	ctx.socket_path = s.path;
	assert_int_equal(cli_request(&ctx, "balloon", NULL, 2000, &r), CLI_EXIT_DAEMON);
	assert_string_equal(r.code, "ERANGE");
	assert_null(r.root);
	srv_stop(&s);

	srv_start(&s, SRV_ERROR, 1);
	ctx.socket_path = s.path;
	assert_int_equal(cli_request_quiet(&ctx, "balloon", NULL, 2000, &r), CLI_EXIT_DAEMON);
	assert_string_equal(r.message, "balloon above MCTLMAX");
	cli_reply_free(&r);
	srv_stop(&s);

	srv_start(&s, SRV_GARBAGE, 1);
	ctx.socket_path = s.path;
	assert_int_equal(cli_request(&ctx, "ls", NULL, 2000, &r), CLI_EXIT_UNREACHABLE);
	srv_stop(&s);

	ctx.socket_path = "/nonexistent/blimpd.sock";
	assert_int_equal(cli_request(&ctx, "ls", NULL, 2000, &r), CLI_EXIT_UNREACHABLE);
}

static void test_socket_path(void **state)
{
	(void)state;
	unsetenv("BLIMP_SOCKET");
	assert_string_equal(cli_socket_path(NULL), CLI_DEFAULT_SOCKET);
	setenv("BLIMP_SOCKET", "/tmp/env.sock", 1);
	assert_string_equal(cli_socket_path(NULL), "/tmp/env.sock");
	assert_string_equal(cli_socket_path("/tmp/flag.sock"), "/tmp/flag.sock");
	setenv("BLIMP_SOCKET", "", 1);
	assert_string_equal(cli_socket_path(""), CLI_DEFAULT_SOCKET);
	unsetenv("BLIMP_SOCKET");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_format),
	    cmocka_unit_test(test_reply_parse),
	    cmocka_unit_test(test_call_ok_and_reuse),
	    cmocka_unit_test(test_call_stale_dribble_error),
	    cmocka_unit_test(test_call_failures),
	    cmocka_unit_test(test_connect_failures),
	    cmocka_unit_test(test_cli_request_exit_codes),
	    cmocka_unit_test(test_socket_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
