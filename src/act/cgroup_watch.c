/*
 * DESIGN: the watcher thread of act/cgroup. blimpd's main loop calls libvirt, and
 * libvirt calls QEMU's monitor; a QEMU stuck at its cgroup limit (v1 under_oom: its
 * faulting threads wait) answers late or not at all, so the loop can sit for seconds
 * and the rescue in act_cgroup_apply comes too late. Seen on this host (kernel 6.18,
 * t_hostswap_safe.sh before this thread existed): blimpd applied nothing for 3 s
 * while the VM's cgroup sat in under_oom, and QEMU died of SIGSEGV (only user page
 * faults wait under oom_kill_disable; charges from kernel context fail at once).
 * So a thread sleeps in poll(2) on the v1 OOM eventfd of every limited cgroup
 * (cgroup.event_control: the kernel signals it the moment the cgroup goes OOM) with
 * a timeout of watch_period_ms (v2, and a missed event), then runs
 * act_cgroup_watch_vm on each limited VM under the mutex. It only ever raises a
 * limit (and counts and logs it); lowering stays with the plan.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "act/cgroup_internal.h"
#include "util/log.h"

#define CGW_MAX_FDS 256 /* more limited VMs than this are polled, not evented */

void act_cgroup_watch_arm(struct act_cgroup_vm *vm)
{
	if (vm->oom_efd >= 0)
		return;
	char ctl[PATH_MAX + 32];
	if (snprintf(ctl, sizeof(ctl), "%s/cgroup.event_control", vm->dir) >= (int)sizeof(ctl))
		return;
	int cfd = open(vm->oom_guard.path, O_RDONLY | O_CLOEXEC);
	if (cfd < 0)
		return;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0) {
		close(cfd);
		return;
	}
	char v[32];
	snprintf(v, sizeof(v), "%d %d", efd, cfd);
	if (act_write_file(ctl, v) < 0) {
		close(efd);
		close(cfd);
		return;
	}
	vm->oom_efd = efd;
	vm->oom_cfd = cfd;
}

void act_cgroup_watch_disarm(struct act_cgroup_vm *vm)
{
	/* Closing the eventfd is what unregisters the event in the kernel. */
	if (vm->oom_efd >= 0)
		close(vm->oom_efd);
	if (vm->oom_cfd >= 0)
		close(vm->oom_cfd);
	vm->oom_efd = vm->oom_cfd = -1;
}

/* One look at every limited VM; caller holds a->mu. */
static void cgw_round(struct act_cgroup *a)
{
	for (size_t i = 0; i < a->n_vms; i++) {
		struct act_cgroup_vm *vm = a->vms[i];
		if (vm->oom_efd >= 0) {
			uint64_t events;
			(void)!read(vm->oom_efd, &events, sizeof(events)); /* non-blocking */
		}
		if (!vm->resolved || !vm->limit.written)
			continue;
		struct act_cgroup_safety before = a->safety;
		char msg[1024] = "";
		act_cgroup_watch_vm(a, vm, msg, sizeof(msg));
		/* Only what changed the counters: a read error would repeat every period
		 * (act_cgroup_apply reports those). */
		if (a->safety.rescues != before.rescues || a->safety.oom_kills != before.oom_kills)
			act_cgroup_safety_events(vm->name, "watcher", msg, &before, &a->safety);
	}
}

static void *cgw_main(void *arg)
{
	struct act_cgroup *a = arg;
	for (;;) {
		struct pollfd pfd[CGW_MAX_FDS];
		nfds_t n = 0;
		pfd[n++] = (struct pollfd){.fd = a->watch_stop_fd, .events = POLLIN};
		pthread_mutex_lock(&a->mu);
		for (size_t i = 0; i < a->n_vms && n < CGW_MAX_FDS; i++)
			if (a->vms[i]->oom_efd >= 0)
				pfd[n++] =
				    (struct pollfd){.fd = a->vms[i]->oom_efd, .events = POLLIN};
		pthread_mutex_unlock(&a->mu);
		/* An fd closed meanwhile (VM released) shows as POLLNVAL or a reused
		 * number wakes us once: harmless, the set is rebuilt every round. */
		if (poll(pfd, n, (int)a->watch_period_ms) < 0 && errno != EINTR)
			usleep(a->watch_period_ms * 1000U);
		if (pfd[0].revents & POLLIN)
			break;
		pthread_mutex_lock(&a->mu);
		cgw_round(a);
		pthread_mutex_unlock(&a->mu);
	}
	return NULL;
}

int act_cgroup_watch_start(struct act_cgroup *a)
{
	if (a->watch_on || a->watch_period_ms == 0)
		return 0;
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	a->watch_stop_fd = fd;
	/* Signals stay with the main thread. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int r = pthread_create(&a->watch_thread, NULL, cgw_main, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		close(fd);
		a->watch_stop_fd = -1;
		return -r;
	}
	a->watch_on = true;
	return 0;
}

void act_cgroup_watch_stop(struct act_cgroup *a)
{
	/* watch_on changes only on the caller's thread: no lock needed to read it. */
	if (!a->watch_on)
		return;
	uint64_t one = 1;
	(void)!write(a->watch_stop_fd, &one, sizeof(one));
	pthread_join(a->watch_thread, NULL);
	close(a->watch_stop_fd);
	a->watch_stop_fd = -1;
	a->watch_on = false;
}
