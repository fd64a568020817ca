/*
 * Host memory states (ESX's ladder) on the managed budget.
 *
 * DESIGN: free = budget - sum(CONSUMED + OVHD); thresholds are ESX's multiples of
 * vSphere's sliding minFree: clear below 100%, soft below 64%, hard below 32%, low
 * below 16%. Hysteresis by band, not by sample count: a worse state is entered on the
 * first sample below its threshold (pressure must be answered at once); a better state
 * only once free has cleared the next threshold up, a whole band above the one that
 * was crossed (soft is left for clear at 100%, not at 64%; clear for high at ESX's
 * 400%). Noise narrower than a band therefore causes at most one transition, never a
 * flap, and no timer or counter is needed beyond the current state.
 */
#include "policy/internal.h"

uint64_t policy_minfree_bytes(uint64_t budget_bytes)
{
	static const struct {
		uint64_t span_bytes;
		uint32_t permyriad;
	} tiers[] = {
	    {4 * MODEL_GIB, 600},
	    {8 * MODEL_GIB, 400},
	    {16 * MODEL_GIB, 200},
	    {UINT64_MAX, 100},
	};
	uint64_t left = budget_bytes, total = 0;
	for (size_t i = 0; i < sizeof(tiers) / sizeof(tiers[0]) && left; i++) {
		uint64_t part = policy_min_u64(left, tiers[i].span_bytes);
		total += policy_permyriad_of(part, tiers[i].permyriad);
		left -= part;
	}
	return total;
}

/* Lower boundary of each state, in permyriad of minFree (LOW has none). */
static const uint32_t state_floor_permyriad[HOST_STATE__COUNT] = {10000, 6400, 3200, 1600, 0};
/* Free memory needed to return to each state from a worse one: the threshold of the
 * state above it (for high, ESX's 400%). */
static const uint32_t state_return_permyriad[HOST_STATE__COUNT] = {40000, 10000, 6400, 3200, 0};

enum host_state policy_host_state_raw(uint64_t free_bytes, uint64_t minfree_bytes)
{
	unsigned __int128 f = (unsigned __int128)free_bytes * MODEL_PERMYRIAD;
	for (unsigned s = HOST_STATE_HIGH; s < HOST_STATE_LOW; s++) {
		if (f >= (unsigned __int128)minfree_bytes * state_floor_permyriad[s])
			return (enum host_state)s;
	}
	return HOST_STATE_LOW;
}

enum host_state policy_host_state_next(enum host_state prev, uint64_t free_bytes,
				       uint64_t minfree_bytes)
{
	enum host_state raw = policy_host_state_raw(free_bytes, minfree_bytes);
	if ((unsigned)prev >= HOST_STATE__COUNT || raw >= prev)
		return raw; /* worse (or same): at once */
	unsigned __int128 f = (unsigned __int128)free_bytes * MODEL_PERMYRIAD;
	for (unsigned s = HOST_STATE_HIGH; s < (unsigned)prev; s++) {
		if (f >= (unsigned __int128)minfree_bytes * state_return_permyriad[s])
			return (enum host_state)s;
	}
	return prev;
}
