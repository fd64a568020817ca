/*
 * sd_notify from libsystemd: the protocol is simple, but libsystemd's client is what
 * systemd supports (abstract sockets, credentials), so blimp does not reimplement it.
 */
#include "daemon/notify.h"

#include <stdbool.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "daemon/daemon.h"
#include "util/size.h"

/* How often STATUS= is refreshed: systemctl status shows it; no need for more. */
#define NOTIFY_STATUS_MS 5000

static uint64_t notify_watchdog_us; /* 0: no watchdog asked for */
static uint64_t notify_last_ping_ms, notify_last_status_ms;

static void notify_status(const struct blimpd *d)
{
	size_t running = 0;
	for (size_t i = 0; i < d->n_vms; i++)
		running += d->vms[i].active;
	char budget[32];
	size_format(d->cfg.policy.budget_bytes, budget, sizeof(budget));
	sd_notifyf(0, "STATUS=%zu VMs running, budget %s, host state %s%s%s", running, budget,
		   d->have_host_plan ? model_host_state_name(d->host_plan.state) : "unknown",
		   d->conn_ok ? "" : ", libvirt connection lost",
		   d->cfg.dry_run ? ", dry-run" : "");
}

void daemon_notify_ready(const struct blimpd *d, uint64_t now_ms)
{
	uint64_t us = 0;
	/* > 0: the unit has WatchdogSec and this process is the one to ping */
	notify_watchdog_us = sd_watchdog_enabled(0, &us) > 0 ? us : 0;
	sd_notify(0, "READY=1");
	notify_status(d);
	notify_last_ping_ms = notify_last_status_ms = now_ms;
}

void daemon_notify_loop(const struct blimpd *d, uint64_t now_ms)
{
	if (now_ms < notify_last_ping_ms) /* another clock (tests): start afresh */
		notify_last_ping_ms = notify_last_status_ms = now_ms;
	if (notify_watchdog_us && now_ms - notify_last_ping_ms >= notify_watchdog_us / 2000) {
		sd_notify(0, "WATCHDOG=1");
		notify_last_ping_ms = now_ms;
	}
	if (now_ms - notify_last_status_ms >= NOTIFY_STATUS_MS) {
		notify_status(d);
		notify_last_status_ms = now_ms;
	}
}

void daemon_notify_stopping(const char *why)
{
	sd_notifyf(0, "STOPPING=1\nSTATUS=exiting: %s", why);
}

void daemon_notify_reloading(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
}

void daemon_notify_reloaded(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}
