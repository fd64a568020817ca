/* The working-set alarm's hysteresis (wsalarm.h). */
#include "daemon/wsalarm.h"

enum daemon_wsalarm_event daemon_wsalarm_step(struct daemon_wsalarm *a, uint64_t shortfall_bytes,
					      uint64_t now_ms)
{
	if (shortfall_bytes) {
		a->clear_since_ms = 0;
		if (shortfall_bytes > a->peak_bytes)
			a->peak_bytes = shortfall_bytes;
		if (a->active)
			return DAEMON_WSALARM_NONE;
		a->active = true;
		a->since_ms = now_ms;
		a->peak_bytes = shortfall_bytes;
		return DAEMON_WSALARM_START;
	}
	if (!a->active)
		return DAEMON_WSALARM_NONE;
	if (!a->clear_since_ms) {
		a->clear_since_ms = now_ms ? now_ms : 1;
		return DAEMON_WSALARM_NONE;
	}
	if (now_ms < a->clear_since_ms || now_ms - a->clear_since_ms < DAEMON_WSALARM_CLEAR_MS)
		return DAEMON_WSALARM_NONE;
	a->active = false;
	a->clear_since_ms = 0;
	return DAEMON_WSALARM_END;
}
