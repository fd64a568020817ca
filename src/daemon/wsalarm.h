/*
 * The "working sets exceed the budget" alarm's on/off with hysteresis (the policy
 * computes the shortfall each plan: host_plan.working_set_shortfall_bytes). blimpd logs
 * one line when it starts and one when it ends; status and top show it meanwhile.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* It ends after the shortfall has been 0 for this long: a working set at the edge of
 * the budget would otherwise log a start and an end every few seconds. */
#define DAEMON_WSALARM_CLEAR_MS 10000ULL

struct daemon_wsalarm {
	bool active;
	uint64_t since_ms;	 /* when it started */
	uint64_t clear_since_ms; /* shortfall 0 since (0: not clearing) */
	uint64_t peak_bytes;	 /* largest shortfall while active */
};

enum daemon_wsalarm_event { DAEMON_WSALARM_NONE, DAEMON_WSALARM_START, DAEMON_WSALARM_END };

/* One plan's shortfall at now_ms. Pure. */
enum daemon_wsalarm_event daemon_wsalarm_step(struct daemon_wsalarm *a, uint64_t shortfall_bytes,
					      uint64_t now_ms);
