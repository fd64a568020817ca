/*
 * DESIGN: MCL_ONFAULT by default: MCL_CURRENT|MCL_FUTURE alone populates every
 * mapping at once, including each libvirt thread's 8 MiB stack and malloc's arenas,
 * which would multiply blimpd's resident size for pages it never uses. With ONFAULT
 * what is resident now is locked, and every page touched later is locked as it
 * faults in, so nothing blimpd has used can be paged out.
 */
#include "daemon/mlock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "util/log.h"

#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

void daemon_mlock_apply(enum config_mlock mode, struct daemon_mlock *out)
{
	*out = (struct daemon_mlock){.mode = mode};
	if (mode == CONFIG_MLOCK_OFF)
		return;
	int flags = MCL_CURRENT | MCL_FUTURE;
	if (mode == CONFIG_MLOCK_ONFAULT && mlockall(flags | MCL_ONFAULT) == 0) {
		out->locked = true;
		out->onfault = true;
		return;
	}
	if (mode == CONFIG_MLOCK_ONFAULT && errno != EINVAL)
		goto fail;
	if (mlockall(flags) == 0) {
		out->locked = true;
		return;
	}
fail:
	out->err = -errno;
	struct rlimit rl = {0, 0};
	getrlimit(RLIMIT_MEMLOCK, &rl);
	char lim[32] = "unlimited";
	if (rl.rlim_cur != RLIM_INFINITY)
		snprintf(lim, sizeof(lim), "%llu bytes", (unsigned long long)rl.rlim_cur);
	log_warn("daemon",
		 "mlockall: %s (RLIMIT_MEMLOCK %s): blimpd's memory can be paged out; run "
		 "as root or with CAP_IPC_LOCK, raise LimitMEMLOCK, or set mlock = off",
		 strerror(-out->err), lim);
}

const char *daemon_mlock_describe(const struct daemon_mlock *m, char *buf, size_t len)
{
	if (m->mode == CONFIG_MLOCK_OFF)
		snprintf(buf, len, "off");
	else if (!m->locked)
		snprintf(buf, len, "failed: %s", strerror(-m->err));
	else
		snprintf(buf, len, "%s", m->onfault ? "onfault" : "all");
	return buf;
}
