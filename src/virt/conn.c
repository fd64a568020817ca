/*
 * DESIGN: libvirt calls our callbacks on its event thread; they only copy the event
 * into a bounded queue and poke an eventfd. The main thread drains the queue and
 * updates the VM table, so the VM table has one owner. An event that does not fit is
 * counted, and the main thread resynchronises by listing the domains.
 */
#include "virt/conn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "util/fs.h"
#include "util/log.h"
#include "virt/dom.h"

static pthread_t conn_event_thread;
static bool conn_event_started;

static void *conn_event_main(void *arg)
{
	(void)arg;
	for (;;) {
		if (virEventRunDefaultImpl() < 0)
			usleep(100000);
	}
	return NULL;
}

/* libvirt reports errors to stderr by default; we log them where we use them. */
static void conn_error_silent(void *opaque, virErrorPtr e)
{
	(void)opaque;
	(void)e;
}

int virt_conn_global_init(void)
{
	if (conn_event_started)
		return 0;
	if (virInitialize() < 0)
		return -EIO;
	virSetErrorFunc(NULL, conn_error_silent);
	if (virEventRegisterDefaultImpl() < 0)
		return -EIO;
	int r = pthread_create(&conn_event_thread, NULL, conn_event_main, NULL);
	if (r != 0)
		return -r;
	pthread_detach(conn_event_thread);
	conn_event_started = true;
	return 0;
}

const char *virt_last_error(void)
{
	virErrorPtr e = virGetLastError();
	return (e && e->message) ? e->message : "unknown libvirt error";
}

int virt_conn_write_embed_config(const char *state_dir, const char *user, const char *group)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], tmp[PATH_MAX + 32];
	if (snprintf(dir, sizeof(dir), "%s/libvirt/etc/qemu", state_dir) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	int r = util_mkdir_p(dir, 0700, 0700);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/libvirt/etc/qemu.conf", state_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f,
		"# Written by blimpd at every start: the embedded QEMU driver's settings.\n"
		"# No virtlogd (no systemd here): QEMU's stdio goes to plain files.\n"
		"stdio_handler = \"file\"\n"
		"# QEMU runs unprivileged (blimpd's qemu_user): under TCG a guest escape must\n"
		"# not be host root. libvirt's DAC driver chowns the disks, kernel and initrd\n"
		"# it hands QEMU and gives them back (remember_owner) when the VM stops.\n"
		"user = \"%s\"\n"
		"group = \"%s\"\n"
		"dynamic_ownership = 1\n"
		"remember_owner = 1\n"
		"# No MAC driver (SELinux/AppArmor profiles for embedded paths): libvirt\n"
		"# stacks its DAC driver under \"none\" whenever it runs as root.\n"
		"security_driver = \"none\"\n"
		"seccomp_sandbox = 1\n"
		"# QEMU in a mount namespace of its own with a private /dev holding only\n"
		"# the devices it was given; the rest of the tree (STATE/vms) is shared.\n"
		"namespaces = [ \"mount\" ]\n",
		user, group);
	if (fclose(f) != 0) {
		r = -errno;
		unlink(tmp);
		return r;
	}
	if (rename(tmp, path) < 0)
		return -errno;
	return 0;
}

/* qemu_user's uid and primary group, for qemu.conf and the files blimpd makes. */
static int conn_qemu_user(struct virt_conn *c, const char *user, char *group, size_t grouplen,
			  char *err, size_t errlen)
{
	if (!user || !user[0] || strchr(user, '"') || strchr(user, '\\')) {
		snprintf(err, errlen, "qemu_user must name a user");
		return -EINVAL;
	}
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen,
			 "qemu_user '%s' does not exist: create it (e.g. useradd --system "
			 "--no-create-home --shell /usr/sbin/nologin %s; Debian's libvirt "
			 "packages create libvirt-qemu) or set qemu_user",
			 user, user);
		return -ENOENT;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "qemu_user '%s' is root: QEMU must run unprivileged", user);
		return -EINVAL;
	}
	struct group *gr = getgrgid(pw->pw_gid);
	if (!gr) {
		snprintf(err, errlen, "qemu_user '%s': its primary group %u has no name", user,
			 (unsigned)pw->pw_gid);
		return -ENOENT;
	}
	snprintf(c->qemu_user, sizeof(c->qemu_user), "%s", user);
	snprintf(group, grouplen, "%s", gr->gr_name);
	c->qemu_uid = pw->pw_uid;
	c->qemu_gid = pw->pw_gid;
	return 0;
}

static void conn_push(struct virt_conn *c, const struct virt_event *ev)
{
	pthread_mutex_lock(&c->lock);
	if (c->n_queued < VIRT_EVENT_QUEUE)
		c->queue[c->n_queued++] = *ev;
	else
		c->dropped++;
	pthread_mutex_unlock(&c->lock);
	uint64_t one = 1;
	ssize_t w = write(c->event_fd, &one, sizeof(one));
	(void)w;
}

static int conn_lifecycle_cb(virConnectPtr conn, virDomainPtr dom, int event, int detail,
			     void *opaque)
{
	(void)conn;
	struct virt_conn *c = opaque;
	struct virt_event ev = {.detail = detail};
	switch (event) {
	case VIR_DOMAIN_EVENT_STARTED:
		ev.kind = VIRT_EVENT_STARTED;
		break;
	case VIR_DOMAIN_EVENT_STOPPED:
		ev.kind = detail == VIR_DOMAIN_EVENT_STOPPED_CRASHED ? VIRT_EVENT_CRASHED
								     : VIRT_EVENT_STOPPED;
		break;
	case VIR_DOMAIN_EVENT_CRASHED:
		ev.kind = VIRT_EVENT_CRASHED;
		break;
	default:
		ev.kind = VIRT_EVENT_OTHER;
		break;
	}
	const char *name = virDomainGetName(dom);
	virt_name_copy(ev.name, sizeof(ev.name), name);
	if (virDomainGetUUIDString(dom, ev.uuid) < 0)
		ev.uuid[0] = '\0';
	conn_push(c, &ev);
	return 0;
}

static void conn_close_cb(virConnectPtr conn, int reason, void *opaque)
{
	(void)conn;
	struct virt_conn *c = opaque;
	struct virt_event ev = {.kind = VIRT_EVENT_CLOSED, .detail = reason};
	conn_push(c, &ev);
}

static void conn_register(struct virt_conn *c);

int virt_conn_open(struct virt_conn *c, const char *uri, const char *state_dir,
		   const char *qemu_user, const char *accel_root, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->event_fd = -1;
	c->lifecycle_id = -1;
	pthread_mutex_init(&c->lock, NULL);
	int r = virt_conn_global_init();
	if (r < 0) {
		snprintf(err, errlen, "libvirt initialisation failed: %s", virt_last_error());
		return r;
	}
	c->accel = virt_accel_detect(accel_root, c->accel_reason, sizeof(c->accel_reason));

	if (!uri || !uri[0]) {
		char group[64];
		r = conn_qemu_user(c, qemu_user, group, sizeof(group), err, errlen);
		if (r < 0)
			return r;
		r = virt_conn_write_embed_config(state_dir, c->qemu_user, group);
		if (r < 0) {
			snprintf(err, errlen, "cannot write %s/libvirt/etc/qemu.conf: %s",
				 state_dir, strerror(-r));
			return r;
		}
		snprintf(c->uri, sizeof(c->uri), "qemu:///embed?root=%s/libvirt", state_dir);
		snprintf(c->run_dir, sizeof(c->run_dir), "%s/libvirt/run/qemu", state_dir);
		c->embedded = true;
	} else {
		snprintf(c->uri, sizeof(c->uri), "%s", uri);
		/* qemu:///system keeps its pid files here; others are found by uuid */
		snprintf(c->run_dir, sizeof(c->run_dir), "%s",
			 strncmp(uri, "qemu:///system", 14) == 0 ? "/run/libvirt/qemu" : "");
	}

	c->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->event_fd < 0) {
		r = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(-r));
		return r;
	}
	c->conn = virConnectOpen(c->uri);
	if (!c->conn) {
		snprintf(err, errlen, "cannot connect to %s: %s", c->uri, virt_last_error());
		virt_conn_close(c);
		return -EIO;
	}
	conn_register(c);
	return 0;
}

static void conn_register(struct virt_conn *c)
{
	if (virConnectRegisterCloseCallback(c->conn, conn_close_cb, c, NULL) < 0)
		log_debug("virt", "no close callback on %s: %s", c->uri, virt_last_error());
	if (!c->embedded && virConnectSetKeepAlive(c->conn, 5, 3) < 0)
		log_debug("virt", "no keepalive on %s: %s", c->uri, virt_last_error());
	c->lifecycle_id = virConnectDomainEventRegisterAny(
		c->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
		VIR_DOMAIN_EVENT_CALLBACK(conn_lifecycle_cb), c, NULL);
	if (c->lifecycle_id < 0)
		log_warn("virt", "no lifecycle events from %s: %s (domains are polled)", c->uri,
			 virt_last_error());
}

/* Callbacks off, connection closed (reopen and close). */
static void conn_drop(struct virt_conn *c)
{
	if (c->conn) {
		if (c->lifecycle_id >= 0)
			virConnectDomainEventDeregisterAny(c->conn, c->lifecycle_id);
		virConnectUnregisterCloseCallback(c->conn, conn_close_cb);
		virConnectClose(c->conn);
		c->conn = NULL;
	}
	c->lifecycle_id = -1;
}

int virt_conn_reopen(struct virt_conn *c)
{
	conn_drop(c);
	c->conn = virConnectOpen(c->uri);
	if (!c->conn)
		return -EIO;
	conn_register(c);
	return 0;
}

void virt_conn_close(struct virt_conn *c)
{
	conn_drop(c);
	if (c->event_fd >= 0)
		close(c->event_fd);
	c->event_fd = -1;
}

size_t virt_conn_take_events(struct virt_conn *c, struct virt_event *out, size_t max)
{
	uint64_t v;
	ssize_t rd = read(c->event_fd, &v, sizeof(v));
	(void)rd;
	pthread_mutex_lock(&c->lock);
	size_t n = c->n_queued < max ? c->n_queued : max;
	memcpy(out, c->queue, n * sizeof(*out));
	memmove(c->queue, c->queue + n, (c->n_queued - n) * sizeof(*out));
	c->n_queued -= n;
	if (c->dropped && c->n_queued == 0) {
		/* tell the caller to resync: a synthetic OTHER with no name */
		log_warn("virt", "%zu libvirt events dropped: resyncing", c->dropped);
		c->dropped = 0;
		if (n < max)
			out[n++] = (struct virt_event){.kind = VIRT_EVENT_OTHER};
	}
	pthread_mutex_unlock(&c->lock);
	return n;
}
