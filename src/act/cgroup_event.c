/*
 * The host-swap limit's safety net as events (docs/daemon.md, Events): whichever path
 * acted, the apply in the tick or the watcher thread, each kind of act is one line:
 * hostswap_rescue (a stuck cgroup's limit raised at once), hostswap_refused (a lower
 * v1 limit the kernel refused, held), hostswap_oom_kill (the kernel killed in a
 * cgroup blimp limited).
 */
#include <inttypes.h>
#include <stdio.h>

#include "act/cgroup.h"
#include "util/event.h"

void act_cgroup_safety_events(const char *vm, const char *source, const char *detail,
			      const struct act_cgroup_safety *s0,
			      const struct act_cgroup_safety *s1)
{
	char tot[24];
	if (s1->rescues != s0->rescues) {
		snprintf(tot, sizeof(tot), "%" PRIu64, s1->rescues);
		event_emit(EVENT_WARNING, "hostswap_rescue", "vm", vm, "source", source,
			   "rescues_total", tot, "detail", detail, NULL);
	}
	if (s1->refused != s0->refused) {
		snprintf(tot, sizeof(tot), "%" PRIu64, s1->refused);
		event_emit(EVENT_WARNING, "hostswap_refused", "vm", vm, "source", source,
			   "refused_total", tot, "detail", detail, NULL);
	}
	if (s1->oom_kills != s0->oom_kills) {
		snprintf(tot, sizeof(tot), "%" PRIu64, s1->oom_kills);
		event_emit(EVENT_ERR, "hostswap_oom_kill", "vm", vm, "source", source,
			   "oom_kills_total", tot, "detail", detail, NULL);
	}
}
