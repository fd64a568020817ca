/*
 * DESIGN: a small state machine per VM. DISCONNECTED -> (connect) CONNECTED, pinging
 * every second until READY/PONG -> READY: the head of the FIFO is written, its RESULT
 * completes it, the next is written. A 250 ms timer drives reconnects, pings and
 * deadlines. Reads are bounded (header 256 bytes, payload 1 MiB + trailer; at most
 * AGENT_READ_BUDGET bytes per agent tick, so a flooding guest cannot stall the loop) and writes
 * go through an output buffer watched for POLLOUT, so a stuck guest never blocks the
 * loop. A READY while a command is in flight means the guest rebooted: that command
 * fails with -EIO.
 */
#include "virt/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"
#include "virt/agentproto.h"
#include "virt/loop.h"

#define AGENT_QUEUE_MAX 32
#define AGENT_TICK_MS 250
#define AGENT_PING_MS 1000
#define AGENT_GRACE_MS 3000 /* the agent reports its own timeout; allow for latency */
#define AGENT_IN_MAX (VIRT_AGENT_PAYLOAD_MAX + 2 * VIRT_AGENT_LINE_MAX)
/* Bytes read from one agent per agent tick (AGENT_TICK_MS): enough for the largest
 * frame (a RESULT of 1 MiB), so a well-behaved agent never waits for more than a
 * tick. A guest that sends more is flooding: its socket is not polled for input
 * again until the next tick, and virtio-serial's flow control blocks the guest's
 * writer meanwhile, so a flood costs blimpd (and QEMU) at most this much per tick. */
#define AGENT_READ_BUDGET AGENT_IN_MAX

/* Process-wide: what guests sent that was not a frame, or too much at once. */
static struct virt_agent_counters agent_counters;

void virt_agent_counters_get(struct virt_agent_counters *out)
{
	*out = agent_counters;
}

struct agent_req {
	struct agent_req *next;
	uint64_t id;
	char *cmd;
	size_t cmd_len;
	uint32_t timeout_ms;
	uint64_t deadline_ms;
	bool sent;
	virt_agent_done_cb cb;
	void *opaque;
};

struct virt_agent {
	char path[PATH_MAX];
	char name[64];
	int fd;
	int fd_id;
	int timer_id;
	bool connecting;
	bool ready;
	bool paused;       /* read budget spent: no POLLIN until the next agent tick */
	size_t tick_bytes; /* read since the last agent tick */
	char kernel[VIRT_AGENT_LINE_MAX];
	uint64_t next_id;
	uint64_t last_ping_ms;
	uint64_t ping_id;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_cap;
	struct agent_req *head, *tail;
	size_t n_req;
	int last_err_logged;
};

static void agent_fd_cb(int fd, short revents, void *opaque);

static void req_done(struct agent_req *r, int err, int status, const char *out, size_t len,
		     const char *msg)
{
	r->cb(r->opaque, err, status, out, len, msg);
	free(r->cmd);
	free(r);
}

static struct agent_req *agent_pop(struct virt_agent *a)
{
	struct agent_req *r = a->head;
	if (r) {
		a->head = r->next;
		if (!a->head)
			a->tail = NULL;
		a->n_req--;
	}
	return r;
}

static void agent_disconnect(struct virt_agent *a, const char *why)
{
	if (a->fd >= 0) {
		log_debug("agent", "%s: disconnected (%s)", a->name, why);
		virt_loop_remove_fd(a->fd_id);
		close(a->fd);
	}
	a->fd = -1;
	a->fd_id = 0;
	a->connecting = false;
	a->ready = false;
	a->paused = false;
	a->in_len = 0;
	a->out_len = 0;
	/* a command written on the old connection will never be answered */
	if (a->head && a->head->sent) {
		struct agent_req *r = agent_pop(a);
		req_done(r, -EIO, 0, NULL, 0, "guest agent connection lost during the command");
	}
}

static void agent_watch(struct virt_agent *a)
{
	if (a->fd >= 0)
		virt_loop_update_fd(a->fd_id, (short)((a->paused ? 0 : POLLIN) |
						      (a->out_len || a->connecting ? POLLOUT : 0)));
}

static int agent_queue_out(struct virt_agent *a, const char *data, size_t len)
{
	if (a->out_len + len > a->out_cap) {
		size_t cap = a->out_cap ? a->out_cap : 4096;
		while (cap < a->out_len + len)
			cap *= 2;
		char *n = realloc(a->out, cap);
		if (!n)
			return -ENOMEM;
		a->out = n;
		a->out_cap = cap;
	}
	memcpy(a->out + a->out_len, data, len);
	a->out_len += len;
	agent_watch(a);
	return 0;
}

static void agent_flush(struct virt_agent *a)
{
	while (a->out_len) {
		ssize_t w = send(a->fd, a->out, a->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			agent_disconnect(a, strerror(errno));
			return;
		}
		memmove(a->out, a->out + w, a->out_len - (size_t)w);
		a->out_len -= (size_t)w;
	}
	agent_watch(a);
}

static void agent_send_head(struct virt_agent *a)
{
	struct agent_req *r = a->head;
	if (!a->ready || !r || r->sent)
		return;
	char hdr[128];
	if (virt_agent_format_exec(r->id, r->timeout_ms, r->cmd_len, hdr, sizeof(hdr)) < 0 ||
	    agent_queue_out(a, hdr, strlen(hdr)) < 0 ||
	    agent_queue_out(a, r->cmd, r->cmd_len) < 0) {
		agent_pop(a);
		req_done(r, -ENOMEM, 0, NULL, 0, "out of memory");
		return;
	}
	r->sent = true;
	/* the in-flight deadline counts from sending: the agent's own timeout + grace */
	if (r->timeout_ms)
		r->deadline_ms = virt_loop_now_ms() + r->timeout_ms + AGENT_GRACE_MS;
	agent_flush(a);
}

static void agent_ping(struct virt_agent *a)
{
	char line[64];
	a->ping_id = ++a->next_id;
	snprintf(line, sizeof(line), "PING %llu\n", (unsigned long long)a->ping_id);
	a->last_ping_ms = virt_loop_now_ms();
	if (agent_queue_out(a, line, strlen(line)) == 0)
		agent_flush(a);
}

static void agent_connect(struct virt_agent *a)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(a->path) >= sizeof(sa.sun_path))
		return;
	strcpy(sa.sun_path, a->path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		int e = errno;
		if (e != a->last_err_logged)
			log_debug("agent", "%s: connect %s: %s", a->name, a->path, strerror(e));
		a->last_err_logged = e;
		close(fd);
		return;
	}
	a->last_err_logged = 0;
	int id = virt_loop_add_fd(fd, POLLIN | POLLOUT, agent_fd_cb, a);
	if (id < 0) {
		close(fd);
		return;
	}
	a->fd = fd;
	a->fd_id = id;
	a->connecting = false;
	a->ready = false;
	a->paused = false;
	a->in_len = 0;
	a->out_len = 0;
	log_debug("agent", "%s: connected to %s", a->name, a->path);
	agent_ping(a);
}

static void agent_frame(struct virt_agent *a, const struct virt_agent_frame *f)
{
	struct agent_req *r = a->head;
	switch (f->kind) {
	case VIRT_AGENT_READY:
		if (r && r->sent) {
			agent_pop(a);
			req_done(r, -EIO, 0, NULL, 0, "guest agent restarted during the command");
		}
		snprintf(a->kernel, sizeof(a->kernel), "%s", f->text);
		if (!a->ready)
			log_debug("agent", "%s: agent ready (kernel %s)", a->name, a->kernel);
		a->ready = true;
		break;
	case VIRT_AGENT_PONG:
		if (!a->ready)
			log_debug("agent", "%s: agent answered ping", a->name);
		a->ready = true;
		break;
	case VIRT_AGENT_RESULT:
		if (r && r->sent && r->id == f->id) {
			agent_pop(a);
			req_done(r, 0, f->status, f->payload, f->payload_len, NULL);
		}
		break;
	case VIRT_AGENT_ERROR:
		if (r && r->sent && (r->id == f->id || f->id == 0)) {
			agent_pop(a);
			req_done(r, -EIO, 0, NULL, 0, f->text);
		}
		break;
	}
	agent_send_head(a);
}

static void agent_read(struct virt_agent *a)
{
	while (a->tick_bytes < AGENT_READ_BUDGET) {
		size_t budget = AGENT_READ_BUDGET - a->tick_bytes;
		if (a->in_len >= AGENT_IN_MAX) {
			agent_counters.oversize_frames++;
			agent_disconnect(a, "oversized frame from the guest");
			return;
		}
		size_t room = AGENT_IN_MAX - a->in_len;
		if (room > 65536)
			room = 65536;
		if (room > budget)
			room = budget;
		ssize_t n = recv(a->fd, a->in + a->in_len, room, MSG_DONTWAIT);
		if (n == 0) {
			agent_disconnect(a, "end of file");
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			agent_disconnect(a, strerror(errno));
			return;
		}
		a->tick_bytes += (size_t)n;
		a->in_len += (size_t)n;
		size_t off = 0;
		for (;;) {
			struct virt_agent_frame f;
			size_t used;
			int r = virt_agent_parse(a->in + off, a->in_len - off, &f, &used);
			if (r == 0)
				break;
			if (r < 0) {
				/* counted, not logged: a flooding guest would flood the log */
				agent_counters.garbage_bytes += used;
				off += used;
				continue;
			}
			/* frame callbacks may disconnect (and so reset in_len) */
			off += used;
			int fd = a->fd;
			agent_frame(a, &f);
			if (a->fd != fd)
				return;
		}
		memmove(a->in, a->in + off, a->in_len - off);
		a->in_len -= off;
	}
	agent_counters.reads_deferred++;
	a->paused = true;
	agent_watch(a);
}

static void agent_fd_cb(int fd, short revents, void *opaque)
{
	struct virt_agent *a = opaque;
	(void)fd;
	if (revents & (POLLERR | POLLNVAL)) {
		agent_disconnect(a, "socket error");
		return;
	}
	if (revents & POLLIN) {
		agent_read(a);
		if (a->fd < 0)
			return;
	} else if (revents & POLLHUP) {
		agent_disconnect(a, "hang-up");
		return;
	}
	if (revents & POLLOUT)
		agent_flush(a);
}

static void agent_tick(void *opaque)
{
	struct virt_agent *a = opaque;
	uint64_t now = virt_loop_now_ms();
	/* deadlines: queued (never sent) or in flight */
	struct agent_req **pp = &a->head, *prev = NULL;
	while (*pp) {
		struct agent_req *r = *pp;
		if (r->deadline_ms && now >= r->deadline_ms) {
			*pp = r->next;
			if (a->tail == r)
				a->tail = prev;
			a->n_req--;
			req_done(r, -ETIMEDOUT, 0, NULL, 0,
				 r->sent ? "no result from the guest agent in time"
					 : "the guest agent did not answer in time");
			continue;
		}
		prev = r;
		pp = &r->next;
	}
	a->tick_bytes = 0;
	if (a->paused) {
		a->paused = false;
		agent_watch(a);
	}
	if (a->fd < 0)
		agent_connect(a);
	else if (!a->ready && now - a->last_ping_ms >= AGENT_PING_MS)
		agent_ping(a);
	agent_send_head(a);
}

struct virt_agent *virt_agent_new(const char *sock_path, const char *vm_name)
{
	struct virt_agent *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->in = malloc(AGENT_IN_MAX);
	if (!a->in) {
		free(a);
		return NULL;
	}
	snprintf(a->path, sizeof(a->path), "%s", sock_path);
	snprintf(a->name, sizeof(a->name), "%s", vm_name);
	a->fd = -1;
	a->timer_id = virt_loop_add_timer(AGENT_TICK_MS, agent_tick, a);
	if (a->timer_id < 0) {
		free(a->in);
		free(a);
		return NULL;
	}
	agent_connect(a);
	return a;
}

void virt_agent_free(struct virt_agent *a)
{
	if (!a)
		return;
	virt_loop_remove_timer(a->timer_id);
	if (a->fd >= 0) {
		virt_loop_remove_fd(a->fd_id);
		close(a->fd);
		a->fd = -1;
	}
	struct agent_req *r;
	while ((r = agent_pop(a)))
		req_done(r, -ECANCELED, 0, NULL, 0, "the VM went away");
	free(a->in);
	free(a->out);
	free(a);
}

int virt_agent_exec(struct virt_agent *a, const char *cmd, uint32_t timeout_ms,
		    virt_agent_done_cb cb, void *opaque)
{
	size_t len = strlen(cmd);
	if (len > VIRT_AGENT_CMD_MAX)
		return -E2BIG;
	if (a->n_req >= AGENT_QUEUE_MAX)
		return -EBUSY;
	struct agent_req *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cmd = strdup(cmd);
	if (!r->cmd) {
		free(r);
		return -ENOMEM;
	}
	r->cmd_len = len;
	r->id = ++a->next_id;
	r->timeout_ms = timeout_ms;
	/* until it is sent, the wait for the agent itself counts against the timeout */
	r->deadline_ms = timeout_ms ? virt_loop_now_ms() + timeout_ms : 0;
	r->cb = cb;
	r->opaque = opaque;
	if (a->tail)
		a->tail->next = r;
	else
		a->head = r;
	a->tail = r;
	a->n_req++;
	agent_send_head(a);
	return 0;
}

bool virt_agent_ready(const struct virt_agent *a)
{
	return a->ready;
}

const char *virt_agent_kernel(const struct virt_agent *a)
{
	return a->kernel;
}
