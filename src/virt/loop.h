/*
 * blimpd's own event loop: poll(2) over registered fds plus periodic timers, run by the
 * main thread. It is not libvirt's loop: the embedded QEMU driver needs libvirt's
 * default event loop running in a thread of its own (API calls such as
 * virDomainCreateXML wait for QEMU monitor replies that this loop delivers), so a
 * handler that calls libvirt must not run on that thread. conn.c runs libvirt's loop
 * in a background thread and forwards its events here through an eventfd; everything
 * else (control socket, guest agents, collection ticks, signals) runs here.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

typedef void (*virt_loop_fd_cb)(int fd, short revents, void *opaque);
typedef void (*virt_loop_timer_cb)(void *opaque);

/* Register fd for poll events (POLLIN/POLLOUT). Returns an id > 0 or -errno. */
int virt_loop_add_fd(int fd, short events, virt_loop_fd_cb cb, void *opaque)
	__attribute__((warn_unused_result));
void virt_loop_update_fd(int id, short events);
void virt_loop_remove_fd(int id);

/* A timer firing every period_ms (first after period_ms; 0 = on the next iteration,
 * once). Returns an id > 0 or -errno. */
int virt_loop_add_timer(uint32_t period_ms, virt_loop_timer_cb cb, void *opaque)
	__attribute__((warn_unused_result));
void virt_loop_remove_timer(int id);

/* One poll + dispatch, waiting at most max_wait_ms (-1: until something happens).
 * 0 or -errno (EINTR is not an error). */
int virt_loop_run_once(int max_wait_ms) __attribute__((warn_unused_result));

/* Monotonic milliseconds. */
uint64_t virt_loop_now_ms(void);
