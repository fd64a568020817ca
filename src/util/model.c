#include "model/model.h"

static const char *const host_state_names[HOST_STATE__COUNT] = {"high", "clear", "soft", "hard",
								 "low"};
static const char *const plan_reason_names[PLAN_REASON__COUNT] = {
	"none",	 "entitlement", "reservation", "guest-floor", "maxmemctl",
	"limit", "stale",       "backoff",     "probe",       "baseline",	 "grant",
    "growing", "level"};

_Static_assert(sizeof(host_state_names) / sizeof(host_state_names[0]) == HOST_STATE__COUNT,
	       "host state names in step with the enum");
_Static_assert(sizeof(plan_reason_names) / sizeof(plan_reason_names[0]) == PLAN_REASON__COUNT,
	       "plan reason names in step with the enum");

const char *model_host_state_name(enum host_state s)
{
	return (unsigned)s < HOST_STATE__COUNT ? host_state_names[s] : "?";
}

const char *model_plan_reason_name(enum plan_reason r)
{
	return (unsigned)r < PLAN_REASON__COUNT ? plan_reason_names[r] : "?";
}

uint64_t model_vm_shares(const struct vm_settings *s, uint64_t memsz_bytes)
{
	if (s->shares)
		return s->shares;
	uint64_t sh = 10 * (memsz_bytes / MODEL_MIB);
	return sh ? sh : 1;
}

uint64_t model_vm_limit(const struct vm_settings *s, uint64_t memsz_bytes)
{
	if (s->limit_bytes && s->limit_bytes < memsz_bytes)
		return s->limit_bytes;
	return memsz_bytes;
}

uint64_t model_vm_maxmemctl(const struct vm_settings *s, uint64_t memsz_bytes)
{
	if (s->maxmemctl_bytes)
		return s->maxmemctl_bytes < memsz_bytes ? s->maxmemctl_bytes : memsz_bytes;
	return memsz_bytes / 10000 * 6500 + (memsz_bytes % 10000) * 6500 / 10000;
}
