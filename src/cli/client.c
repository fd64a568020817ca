/*
 * DESIGN: blocking I/O driven by poll() with a deadline computed once per call, so a
 * daemon that accepts but never answers (or dribbles bytes) still times out. The
 * socket is non-blocking only while connecting. Partial lines are kept in c->buf and a
 * line longer than CLI_CLIENT_LINE_MAX fails the call instead of growing forever.
 */
#include "cli/client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int64_t cli_client_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until deadline. 0, -ETIMEDOUT or -errno. */
static int cli_client_wait(int fd, short events, int64_t deadline_ms)
{
	for (;;) {
		int64_t left = deadline_ms - cli_client_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = fd, .events = events};
		int n = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n > 0)
			return 0;
	}
}

int cli_conn_open(struct cli_conn *c, const char *path, int timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->next_id = 1;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (!path || !*path)
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);

	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	int r = 0;
	int64_t deadline = cli_client_now_ms() + timeout_ms;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EINPROGRESS && errno != EAGAIN) {
			r = -errno;
			goto fail;
		}
		/* Unix sockets report EAGAIN when the listen backlog is full; retry. */
		for (;;) {
			r = cli_client_wait(fd, POLLOUT, deadline);
			if (r < 0)
				goto fail;
			int err = 0;
			socklen_t len = sizeof(err);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
				r = -errno;
				goto fail;
			}
			if (err == 0)
				break;
			if (err != EAGAIN) {
				r = -err;
				goto fail;
			}
			if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
				break;
			if (errno == EISCONN)
				break;
			if (errno != EAGAIN && errno != EINPROGRESS) {
				r = -errno;
				goto fail;
			}
			struct timespec pause = {.tv_nsec = 20 * 1000000};
			nanosleep(&pause, NULL);
		}
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		r = -errno;
		goto fail;
	}
	c->fd = fd;
	return 0;
fail:
	close(fd);
	return r;
}

void cli_conn_close(struct cli_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

char *cli_request_format(long id, const char *cmd, json_object *args)
{
	json_object *req = json_object_new_object();
	if (!req)
		return NULL;
	json_object_object_add(req, "v", json_object_new_int(1));
	json_object_object_add(req, "id", json_object_new_int64(id));
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	json_object_object_add(req, "args",
			       args ? json_object_get(args) : json_object_new_object());
	const char *s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	char *line = NULL;
	if (s && asprintf(&line, "%s\n", s) < 0)
		line = NULL;
	json_object_put(req);
	return line;
}

void cli_reply_free(struct cli_reply *r)
{
	if (r->root)
		json_object_put(r->root);
	memset(r, 0, sizeof(*r));
}

int cli_reply_parse(const char *line, size_t len, struct cli_reply *r)
{
	if (len > CLI_CLIENT_LINE_MAX || len > INT32_MAX)
		return -EPROTO;
	json_tokener *tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_object *root = json_tokener_parse_ex(tok, line, (int)len);
	size_t used = json_tokener_get_parse_end(tok);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (!root || jerr != json_tokener_success)
		goto bad;
	for (; used < len; used++)
		if (line[used] != ' ' && line[used] != '\t' && line[used] != '\r')
			goto bad;
	if (!json_object_is_type(root, json_type_object))
		goto bad;
	json_object *ok;
	if (!json_object_object_get_ex(root, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean))
		goto bad;
	struct cli_reply out = {.root = root, .ok = json_object_get_boolean(ok)};
	if (out.ok) {
		json_object_object_get_ex(root, "result", &out.result);
	} else {
		json_object *err, *code, *msg;
		snprintf(out.code, sizeof(out.code), "EIO");
		out.message = "daemon reported an error without a message";
		if (json_object_object_get_ex(root, "error", &err) &&
		    json_object_is_type(err, json_type_object)) {
			if (json_object_object_get_ex(err, "code", &code) &&
			    json_object_is_type(code, json_type_string))
				snprintf(out.code, sizeof(out.code), "%s",
					 json_object_get_string(code));
			if (json_object_object_get_ex(err, "message", &msg) &&
			    json_object_is_type(msg, json_type_string))
				out.message = json_object_get_string(msg);
		}
	}
	*r = out;
	return 0;
bad:
	if (root)
		json_object_put(root);
	return -EPROTO;
}

static int cli_client_send_all(int fd, const char *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		int r = cli_client_wait(fd, POLLOUT, deadline);
		if (r < 0)
			return r;
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return errno == EPIPE ? -ECONNRESET : -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read until c->buf holds a full line; returns its length (without '\n') or -errno. */
static ssize_t cli_client_read_line(struct cli_conn *c, int64_t deadline)
{
	size_t scanned = 0;
	for (;;) {
		char *nl =
		    c->len > scanned ? memchr(c->buf + scanned, '\n', c->len - scanned) : NULL;
		if (nl)
			return nl - c->buf;
		scanned = c->len;
		if (c->len > CLI_CLIENT_LINE_MAX)
			return -E2BIG;
		if (c->cap - c->len < 65536) {
			size_t ncap = c->cap ? c->cap * 2 : 65536;
			if (ncap > CLI_CLIENT_LINE_MAX + 65536)
				ncap = CLI_CLIENT_LINE_MAX + 65536;
			char *nb = realloc(c->buf, ncap);
			if (!nb)
				return -ENOMEM;
			c->buf = nb;
			c->cap = ncap;
		}
		int r = cli_client_wait(c->fd, POLLIN, deadline);
		if (r < 0)
			return r;
		ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ECONNRESET;
		c->len += (size_t)n;
	}
}

int cli_conn_call(struct cli_conn *c, const char *cmd, json_object *args, int timeout_ms,
		  struct cli_reply *r)
{
	if (c->fd < 0)
		return -ENOTCONN;
	int64_t deadline = cli_client_now_ms() + timeout_ms;
	long id = c->next_id++;
	char *line = cli_request_format(id, cmd, args);
	if (!line)
		return -ENOMEM;
	int ret = cli_client_send_all(c->fd, line, strlen(line), deadline);
	free(line);
	if (ret < 0)
		return ret;
	for (;;) {
		ssize_t n = cli_client_read_line(c, deadline);
		if (n < 0)
			return (int)n;
		ret = cli_reply_parse(c->buf, (size_t)n, r);
		size_t rest = c->len - (size_t)n - 1;
		memmove(c->buf, c->buf + n + 1, rest);
		c->len = rest;
		if (ret < 0)
			return ret;
		/* Responses come in order; one with another id is a stale answer. */
		json_object *jid;
		if (json_object_object_get_ex(r->root, "id", &jid) &&
		    json_object_is_type(jid, json_type_int) && json_object_get_int64(jid) != id) {
			cli_reply_free(r);
			continue;
		}
		return 0;
	}
}
