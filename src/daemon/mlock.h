/*
 * blimpd's memory locked in RAM (config key mlock): a memory manager that is paged
 * out when the host is short of memory cannot act when it matters most.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "daemon/config.h"

struct daemon_mlock {
	enum config_mlock mode; /* what was asked */
	bool locked;            /* mlockall succeeded */
	bool onfault;           /* with MCL_ONFAULT (mode onfault and the kernel has it) */
	int err;                /* mlockall's -errno when it failed, else 0 */
};

/* mlockall per mode; a failure (EPERM without CAP_IPC_LOCK, ENOMEM over
 * RLIMIT_MEMLOCK) is recorded in out and logged as a warning, never fatal. With
 * onfault on a kernel without MCL_ONFAULT (EINVAL), falls back to all. */
void daemon_mlock_apply(enum config_mlock mode, struct daemon_mlock *out);

/* Status text: "off", "onfault", "all", or "failed: REASON" (into buf). */
const char *daemon_mlock_describe(const struct daemon_mlock *m, char *buf, size_t len);
