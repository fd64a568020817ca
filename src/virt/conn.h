/*
 * The libvirt connection: embedded QEMU driver (qemu:///embed?root=STATE/libvirt, no
 * libvirtd needed) by default, or any URI given with --connect. libvirt's default
 * event loop runs in a background thread (see loop.h for why); lifecycle events and
 * the close callback are queued under a mutex and signalled through an eventfd that
 * the main loop watches.
 */
#pragma once
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <libvirt/libvirt.h>

#include "model/model.h"
#include "virt/accel.h"

enum virt_event_kind {
	VIRT_EVENT_STARTED = 0,
	VIRT_EVENT_STOPPED, /* shut down, destroyed, failed */
	VIRT_EVENT_CRASHED,
	VIRT_EVENT_OTHER,   /* suspended, resumed, defined, ... */
	VIRT_EVENT_CLOSED,  /* the connection itself went away */
};

struct virt_event {
	enum virt_event_kind kind;
	char name[MODEL_NAME_MAX];
	char uuid[MODEL_UUID_LEN];
	int detail; /* libvirt's event detail */
};

#define VIRT_EVENT_QUEUE 256

struct virt_conn {
	virConnectPtr conn;
	char uri[PATH_MAX + 64];
	bool embedded;
	char run_dir[PATH_MAX]; /* where libvirt's QEMU driver keeps NAME.pid */
	/* Embedded: the unprivileged user QEMU runs as and its primary group; what blimpd
	 * makes for QEMU (per-VM directories) is given to that group. */
	char qemu_user[64];
	uid_t qemu_uid;
	gid_t qemu_gid;
	enum virt_accel accel;
	char accel_reason[256];
	int event_fd;
	int lifecycle_id;

	pthread_mutex_t lock;
	struct virt_event queue[VIRT_EVENT_QUEUE];
	size_t n_queued;
	size_t dropped;
};

/* Start libvirt's event thread (once per process). 0 or -errno. */
int virt_conn_global_init(void) __attribute__((warn_unused_result));

/* Write STATE/libvirt/etc/qemu.conf for the embedded driver: QEMU as user:group
 * (libvirt's DAC driver chowns its disks, kernel and initrd, and gives them back),
 * QEMU's seccomp sandbox on, stdio to files (no virtlogd). 0 or -errno. */
int virt_conn_write_embed_config(const char *state_dir, const char *user, const char *group)
	__attribute__((warn_unused_result));

/* Open uri ("" = embedded under state_dir, QEMU as qemu_user, which must exist),
 * register the close callback and lifecycle events, keepalive on remote URIs, detect
 * the accelerator (accel_root: "" for the host). 0 or -errno with err filled. */
int virt_conn_open(struct virt_conn *c, const char *uri, const char *state_dir,
		   const char *qemu_user, const char *accel_root, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void virt_conn_close(struct virt_conn *c);
/* After VIRT_EVENT_CLOSED: open the same URI again (events keep their eventfd).
 * 0 or -EIO. */
int virt_conn_reopen(struct virt_conn *c) __attribute__((warn_unused_result));

/* Move queued events into out (at most max); returns how many. Also clears the
 * eventfd. */
size_t virt_conn_take_events(struct virt_conn *c, struct virt_event *out, size_t max);

/* The last libvirt error message (thread-local), or "unknown libvirt error". */
const char *virt_last_error(void);
