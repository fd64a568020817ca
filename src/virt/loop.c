/*
 * DESIGN: small arrays, removal marks a slot dead and the slot is reused later, so a
 * callback may add or remove fds and timers (its own included) while the loop
 * iterates. The fd set is rebuilt for every poll: blimpd watches tens of fds, not
 * thousands.
 */
#include "virt/loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>

struct loop_fd {
	int id; /* 0: free slot */
	int fd;
	short events;
	virt_loop_fd_cb cb;
	void *opaque;
};

struct loop_timer {
	int id;
	uint32_t period_ms;
	uint64_t due_ms;
	bool once;
	virt_loop_timer_cb cb;
	void *opaque;
};

static struct loop_fd *loop_fds;
static size_t loop_nfds;
static struct loop_timer *loop_timers;
static size_t loop_ntimers;
static int loop_next_id = 1;

uint64_t virt_loop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int virt_loop_add_fd(int fd, short events, virt_loop_fd_cb cb, void *opaque)
{
	size_t i;
	for (i = 0; i < loop_nfds; i++)
		if (loop_fds[i].id == 0)
			break;
	if (i == loop_nfds) {
		struct loop_fd *n = realloc(loop_fds, (loop_nfds + 8) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		loop_fds = n;
		for (size_t j = loop_nfds; j < loop_nfds + 8; j++)
			loop_fds[j].id = 0;
		loop_nfds += 8;
	}
	loop_fds[i] = (struct loop_fd){loop_next_id++, fd, events, cb, opaque};
	return loop_fds[i].id;
}

void virt_loop_update_fd(int id, short events)
{
	for (size_t i = 0; i < loop_nfds; i++)
		if (loop_fds[i].id == id)
			loop_fds[i].events = events;
}

void virt_loop_remove_fd(int id)
{
	for (size_t i = 0; i < loop_nfds; i++)
		if (loop_fds[i].id == id)
			loop_fds[i].id = 0;
}

int virt_loop_add_timer(uint32_t period_ms, virt_loop_timer_cb cb, void *opaque)
{
	size_t i;
	for (i = 0; i < loop_ntimers; i++)
		if (loop_timers[i].id == 0)
			break;
	if (i == loop_ntimers) {
		struct loop_timer *n = realloc(loop_timers, (loop_ntimers + 8) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		loop_timers = n;
		for (size_t j = loop_ntimers; j < loop_ntimers + 8; j++)
			loop_timers[j].id = 0;
		loop_ntimers += 8;
	}
	loop_timers[i] = (struct loop_timer){loop_next_id++, period_ms,
					     virt_loop_now_ms() + period_ms, period_ms == 0, cb,
					     opaque};
	return loop_timers[i].id;
}

void virt_loop_remove_timer(int id)
{
	for (size_t i = 0; i < loop_ntimers; i++)
		if (loop_timers[i].id == id)
			loop_timers[i].id = 0;
}

int virt_loop_run_once(int max_wait_ms)
{
	uint64_t now = virt_loop_now_ms();
	int timeout = max_wait_ms;
	for (size_t i = 0; i < loop_ntimers; i++) {
		if (!loop_timers[i].id)
			continue;
		int64_t d = (int64_t)loop_timers[i].due_ms - (int64_t)now;
		if (d < 0)
			d = 0;
		if (timeout < 0 || d < timeout)
			timeout = (int)d;
	}

	size_t n = 0;
	struct pollfd *pfd = calloc(loop_nfds ? loop_nfds : 1, sizeof(*pfd));
	int *ids = calloc(loop_nfds ? loop_nfds : 1, sizeof(*ids));
	if (!pfd || !ids) {
		free(pfd);
		free(ids);
		return -ENOMEM;
	}
	for (size_t i = 0; i < loop_nfds; i++) {
		if (!loop_fds[i].id)
			continue;
		pfd[n] = (struct pollfd){.fd = loop_fds[i].fd, .events = loop_fds[i].events};
		ids[n++] = loop_fds[i].id;
	}
	int r = poll(pfd, n, timeout);
	if (r < 0) {
		int e = errno;
		free(pfd);
		free(ids);
		return e == EINTR ? 0 : -e;
	}
	for (size_t k = 0; k < n && r > 0; k++) {
		if (!pfd[k].revents)
			continue;
		/* find the registration again: an earlier callback may have removed it */
		for (size_t i = 0; i < loop_nfds; i++) {
			if (loop_fds[i].id == ids[k]) {
				loop_fds[i].cb(loop_fds[i].fd, pfd[k].revents, loop_fds[i].opaque);
				break;
			}
		}
	}
	free(pfd);
	free(ids);

	now = virt_loop_now_ms();
	for (size_t i = 0; i < loop_ntimers; i++) {
		struct loop_timer *t = &loop_timers[i];
		if (!t->id || t->due_ms > now)
			continue;
		int id = t->id;
		virt_loop_timer_cb cb = t->cb;
		void *op = t->opaque;
		if (t->once) {
			t->id = 0;
		} else {
			/* no catch-up bursts after a long stall */
			t->due_ms += t->period_ms;
			if (t->due_ms <= now)
				t->due_ms = now + t->period_ms;
		}
		(void)id;
		cb(op);
	}
	return 0;
}
