/* KSM by host state: scan rate from settings.ksm_pages_to_scan[state]; 0 = off. */
#include "policy/internal.h"

void policy_ksm_plan(const struct policy_settings *s, enum host_state hs, struct host_plan *hp)
{
	uint32_t pages = (unsigned)hs < HOST_STATE__COUNT ? s->ksm_pages_to_scan[hs] : 0;
	hp->ksm_run = pages != 0;
	hp->ksm_pages_to_scan = pages;
	hp->ksm_sleep_ms = s->ksm_sleep_ms;
}
