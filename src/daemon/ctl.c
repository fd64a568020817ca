/*
 * DESIGN: the control socket on blimpd's main loop. Each client has an input buffer
 * capped at 1 MiB + newline (a longer line gets E2BIG and the connection is closed)
 * and an output buffer capped at CTL_OUT_MAX (a client that does not read its answers
 * is dropped, so it can never block the loop or grow blimpd without bound). Requests
 * are handled one at a time per client, in order: while an asynchronous one (exec) is
 * outstanding the client is "held" and its further lines wait. A client that
 * disconnects while held is freed when the answer comes; `refs` pins a client while a
 * callback that may kill it is still using it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/proto.h"
#include "util/fs.h"
#include "util/event.h"
#include "util/log.h"
#include "virt/loop.h"

#define CTL_IN_MAX (DAEMON_PROTO_LINE_MAX + 1)
#define CTL_OUT_MAX (64u << 20)
#define CTL_CLIENTS_MAX 64

struct ctl_client {
	struct blimpd *d;
	int fd;
	int loop_id;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_cap;
	int holds;      /* outstanding asynchronous requests (0 or 1) */
	int refs;       /* callers on the stack using this client */
	bool closing;   /* close once the output is flushed */
	bool dead;      /* fd closed; freed when holds drops to 0 */
	unsigned uid;
};

static int ctl_fd = -1;
static int ctl_loop_id;
static char ctl_path[108];
static struct ctl_client *ctl_clients[CTL_CLIENTS_MAX];
static struct log_ratelimit ctl_rl = {.interval_ms = 1000, .burst = 10};
/* The command being handled, for the refusal event of a synchronous answer. */
static const char *ctl_cur_cmd;

static void ctl_client_cb(int fd, short revents, void *opaque);

static void ctl_client_free(struct ctl_client *c)
{
	for (int i = 0; i < CTL_CLIENTS_MAX; i++)
		if (ctl_clients[i] == c)
			ctl_clients[i] = NULL;
	free(c->in);
	free(c->out);
	free(c);
}

/* Free a dead client nobody uses any more. Returns true if it was freed. */
static bool ctl_client_reap(struct ctl_client *c)
{
	if (c->dead && c->holds == 0 && c->refs == 0) {
		ctl_client_free(c);
		return true;
	}
	return false;
}

static void ctl_client_kill(struct ctl_client *c)
{
	if (c->dead)
		return;
	virt_loop_remove_fd(c->loop_id);
	close(c->fd);
	c->fd = -1;
	c->dead = true;
	ctl_client_reap(c);
}

static void ctl_watch(struct ctl_client *c)
{
	if (c->dead)
		return;
	short ev = 0;
	if (!c->closing && c->holds == 0)
		ev |= POLLIN;
	if (c->out_len)
		ev |= POLLOUT;
	virt_loop_update_fd(c->loop_id, ev);
}

static void ctl_flush(struct ctl_client *c)
{
	while (!c->dead && c->out_len) {
		ssize_t w = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			ctl_client_kill(c);
			return;
		}
		memmove(c->out, c->out + w, c->out_len - (size_t)w);
		c->out_len -= (size_t)w;
	}
	if (c->dead)
		return;
	if (c->closing && c->out_len == 0) {
		ctl_client_kill(c);
		return;
	}
	ctl_watch(c);
}

static void ctl_send_line(struct ctl_client *c, char *line)
{
	if (!line) {
		log_err("ctl", "out of memory formatting a reply: dropping client");
		ctl_client_kill(c);
		return;
	}
	size_t n = strlen(line);
	if (c->dead) {
		free(line);
		return;
	}
	if (c->out_len + n > CTL_OUT_MAX) {
		c->d->ctl_dropped++;
		char q[24];
		snprintf(q, sizeof(q), "%zu", c->out_len);
		event_emit(EVENT_WARNING, "client_dropped", "reason", "does not read its replies",
			   "queued_bytes", q, NULL);
		free(line);
		ctl_client_kill(c);
		return;
	}
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		while (cap < c->out_len + n)
			cap *= 2;
		char *nb = realloc(c->out, cap);
		if (!nb) {
			free(line);
			ctl_client_kill(c);
			return;
		}
		c->out = nb;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, line, n);
	c->out_len += n;
	free(line);
	ctl_flush(c);
}

void daemon_ctl_reply_ok(struct ctl_client *c, json_object *id, json_object *result)
{
	ctl_send_line(c, daemon_reply_ok(id, result));
}

void daemon_ctl_reply_err(struct ctl_client *c, json_object *id, int err, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* every refusal is an event; a client can cause many: rate-limited (the status
	 * counters keep counting) */
	if (log_ratelimit_ok(&ctl_rl, virt_loop_now_ms()))
		event_emit(EVENT_NOTICE, "request_refused", "cmd", ctl_cur_cmd ? ctl_cur_cmd : "-",
			   "code", daemon_errno_name(err), "error", msg, NULL);
	ctl_send_line(c, daemon_reply_err(id, err, msg));
}

static void ctl_process(struct ctl_client *c);

void daemon_ctl_client_hold(struct ctl_client *c)
{
	c->holds++;
	ctl_watch(c);
}

void daemon_ctl_client_release(struct ctl_client *c)
{
	if (c->holds > 0)
		c->holds--;
	if (c->dead) {
		ctl_client_reap(c);
		return;
	}
	ctl_watch(c);
	/* lines that arrived while the client was held */
	if (c->holds == 0) {
		c->refs++;
		ctl_process(c);
		c->refs--;
		ctl_client_reap(c);
	}
}

/* Handle every complete line in the input buffer, stopping while held. */
static void ctl_process(struct ctl_client *c)
{
	size_t off = 0;
	while (!c->dead && !c->closing && c->holds == 0) {
		char *nl = memchr(c->in + off, '\n', c->in_len - off);
		if (!nl)
			break;
		size_t len = (size_t)(nl - (c->in + off));
		if (len > DAEMON_PROTO_LINE_MAX) {
			daemon_ctl_reply_err(c, NULL, -E2BIG, "request line over 1 MiB");
			c->closing = true;
			break;
		}
		char *line = c->in + off;
		off += len + 1;
		if (len == 0 || (len == 1 && line[0] == '\r'))
			continue;
		struct daemon_request req;
		json_object *id = NULL;
		char err[256];
		int r = daemon_request_parse(line, len, &req, &id, err, sizeof(err));
		if (r < 0) {
			c->d->ctl_bad_requests++;
			daemon_ctl_reply_err(c, id, r, "%s", err);
			json_object_put(id);
			continue;
		}
		log_debug("ctl", "request %s", daemon_cmd_name(req.cmd));
		/* the handler may hold the client or kill it: keep it alive meanwhile */
		c->refs++;
		ctl_cur_cmd = daemon_cmd_name(req.cmd);
		daemon_handle(c->d, c, &req);
		ctl_cur_cmd = NULL;
		daemon_request_free(&req);
		c->refs--;
		if (c->dead)
			return; /* the caller's reference reaps it */
	}
	if (c->dead)
		return;
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	if (!c->closing && c->holds == 0 && c->in_len >= CTL_IN_MAX) {
		daemon_ctl_reply_err(c, NULL, -E2BIG, "request line over 1 MiB");
		c->closing = true;
		c->in_len = 0;
	}
	if (!c->dead) {
		if (c->closing)
			ctl_flush(c);
		else
			ctl_watch(c);
	}
}

static void ctl_read(struct ctl_client *c)
{
	for (;;) {
		if (c->in_len >= CTL_IN_MAX)
			break;
		size_t room = CTL_IN_MAX - c->in_len;
		if (room > 65536)
			room = 65536;
		ssize_t n = recv(c->fd, c->in + c->in_len, room, MSG_DONTWAIT);
		if (n == 0) {
			/* half-close: answer what was asked, then close */
			c->closing = true;
			break;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			ctl_client_kill(c);
			return;
		}
		c->in_len += (size_t)n;
		if (memchr(c->in + c->in_len - (size_t)n, '\n', (size_t)n))
			break;
	}
	bool eof = c->closing;
	c->closing = false;
	ctl_process(c);
	if (c->dead)
		return;
	if (eof) {
		c->closing = true;
		if (c->holds == 0)
			ctl_flush(c);
		else
			ctl_watch(c);
	}
}

static void ctl_client_cb(int fd, short revents, void *opaque)
{
	struct ctl_client *c = opaque;
	(void)fd;
	c->refs++;
	if (revents & (POLLERR | POLLNVAL)) {
		ctl_client_kill(c);
	} else {
		if (revents & POLLIN)
			ctl_read(c);
		else if ((revents & POLLHUP) && !(revents & POLLOUT) && c->holds == 0 &&
			 c->out_len == 0)
			ctl_client_kill(c);
		if (!c->dead && (revents & POLLOUT))
			ctl_flush(c);
	}
	c->refs--;
	ctl_client_reap(c);
}

/* An error line to a client not taken on (best effort), and close it. */
static void ctl_refuse(int cfd, int err, const char *why)
{
	char *line = daemon_reply_err(NULL, err, why);
	if (line) {
		ssize_t w = send(cfd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)w;
		free(line);
	}
	close(cfd);
}

static void ctl_accept_cb(int fd, short revents, void *opaque)
{
	struct blimpd *d = opaque;
	(void)revents;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
		    (cred.uid != 0 && cred.uid != getuid())) {
			d->ctl_refused++;
			if (log_ratelimit_ok(&ctl_rl, virt_loop_now_ms())) {
				char uid[16], own[16];
				snprintf(uid, sizeof(uid), "%u", (unsigned)cred.uid);
				snprintf(own, sizeof(own), "%u", (unsigned)getuid());
				event_emit(EVENT_WARNING, "client_refused", "uid", uid, "allowed_uid",
					   own, NULL);
			}
			ctl_refuse(cfd, -EACCES, "permission denied");
			continue;
		}
		int slot = -1;
		for (int i = 0; i < CTL_CLIENTS_MAX; i++)
			if (!ctl_clients[i]) {
				slot = i;
				break;
			}
		struct ctl_client *c = slot >= 0 ? calloc(1, sizeof(*c)) : NULL;
		if (c)
			c->in = malloc(CTL_IN_MAX);
		if (!c || !c->in) {
			if (c)
				free(c);
			ctl_refuse(cfd, -EBUSY, "too many clients");
			continue;
		}
		c->d = d;
		c->fd = cfd;
		c->uid = cred.uid;
		int id = virt_loop_add_fd(cfd, POLLIN, ctl_client_cb, c);
		if (id < 0) {
			free(c->in);
			free(c);
			close(cfd);
			continue;
		}
		c->loop_id = id;
		ctl_clients[slot] = c;
	}
}

static int ctl_mkparent(const char *path)
{
	char dir[sizeof(ctl_path)];
	size_t n = strlen(path);
	if (n >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, n + 1);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	/* the socket's own directory 0700 when missing (existing ones are left as
	 * they are) */
	return util_mkdir_p(dir, 0755, 0700);
}

int daemon_ctl_open(struct blimpd *d, char *err, size_t errlen)
{
	const char *path = d->cfg.socket_path;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long (max %zu bytes): %s",
			 sizeof(sa.sun_path) - 1, path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	int r = ctl_mkparent(path);
	if (r < 0) {
		snprintf(err, errlen, "cannot create the directory of %s: %s", path, strerror(-r));
		return r;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-r));
		return r;
	}
	/* a socket file nobody answers on is stale; one that answers is another blimpd */
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			close(fd);
			snprintf(err, errlen, "%s exists and is not a socket", path);
			return -EEXIST;
		}
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			close(fd);
			snprintf(err, errlen, "another blimpd is listening on %s", path);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	mode_t old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || chmod(path, 0600) < 0 || listen(fd, 64) < 0) {
		r = -errno;
		close(fd);
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(-r));
		return r;
	}
	int id = virt_loop_add_fd(fd, POLLIN, ctl_accept_cb, d);
	if (id < 0) {
		close(fd);
		unlink(path);
		snprintf(err, errlen, "out of memory");
		return id;
	}
	ctl_fd = fd;
	ctl_loop_id = id;
	memcpy(ctl_path, sa.sun_path, sizeof(ctl_path));
	return 0;
}

void daemon_ctl_close(void)
{
	/* give queued replies (e.g. to `shutdown`) a last chance, without blocking */
	for (int i = 0; i < CTL_CLIENTS_MAX; i++) {
		struct ctl_client *c = ctl_clients[i];
		if (!c)
			continue;
		if (!c->dead) {
			ctl_flush(c);
			if (!c->dead)
				ctl_client_kill(c);
		}
		if (ctl_clients[i]) {
			c = ctl_clients[i];
			c->holds = 0;
			c->refs = 0;
			ctl_client_free(c);
		}
	}
	if (ctl_fd >= 0) {
		virt_loop_remove_fd(ctl_loop_id);
		close(ctl_fd);
		unlink(ctl_path);
		ctl_fd = -1;
	}
}
