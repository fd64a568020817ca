/*
 * blimpd under systemd (Type=notify): READY=1 once the control socket serves,
 * STATUS= lines while it runs, WATCHDOG=1 from the main loop when the unit sets
 * WatchdogSec, STOPPING=1 when it begins to exit. Every call is a no-op when blimpd
 * was not started by systemd (no $NOTIFY_SOCKET), so a blimpd run by hand or by the
 * tests behaves the same.
 */
#pragma once
#include <stdint.h>

struct blimpd;

/* The daemon serves: READY=1 and a first STATUS= line (now_ms: the loop clock). */
void daemon_notify_ready(const struct blimpd *d, uint64_t now_ms);
/* Called from every main-loop turn (now_ms: the loop clock): WATCHDOG=1 at half the
 * watchdog interval, a fresh STATUS= line at most every few seconds. */
void daemon_notify_loop(const struct blimpd *d, uint64_t now_ms);
/* The daemon begins its orderly exit (restoring the host can take a while). */
void daemon_notify_stopping(const char *why);
/* SIGHUP: RELOADING=1 (with MONOTONIC_USEC, as sd_notify(3) asks) before the settings
 * are read again, READY=1 and a STATUS= line saying how it went after. */
void daemon_notify_reloading(void);
void daemon_notify_reloaded(const char *status);
