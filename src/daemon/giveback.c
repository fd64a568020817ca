/*
 * DESIGN: water-filling on the ratio target/adoption target. Raising the
 * worst-squeezed domains first, to a common level, is what an operator expects of
 * "give back what you can": nobody stays at 30% while another goes from 90% back to
 * 100%. The level is found by bisection on an integer permyriad (14 steps), so the
 * result is exact and the same on every host.
 */
#include "daemon/giveback.h"

#include "model/model.h"
#include "policy/policy.h"

uint64_t daemon_giveback_margin(uint64_t mem_total_bytes)
{
	uint64_t minfree = policy_minfree_bytes(mem_total_bytes);
	uint64_t five = mem_total_bytes / 20;
	return minfree > five ? minfree : five;
}

/* What domain g gets at level l (permyriad of its adoption target). */
static uint64_t giveback_at(const struct daemon_giveback *g, uint32_t l)
{
	if (g->want_bytes <= g->now_bytes)
		return 0;
	if (l >= 10000)
		return g->want_bytes - g->now_bytes;
	uint64_t level = g->want_bytes / 10000 * l + g->want_bytes % 10000 * l / 10000;
	if (level <= g->now_bytes)
		return 0;
	return (level - g->now_bytes) / MODEL_MIB * MODEL_MIB;
}

static uint64_t giveback_sum(const struct daemon_giveback *g, size_t n, uint32_t l)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t x = giveback_at(&g[i], l);
		sum = sum > UINT64_MAX - x ? UINT64_MAX : sum + x;
	}
	return sum;
}

uint32_t daemon_giveback_plan(struct daemon_giveback *g, size_t n, uint64_t avail_bytes)
{
	uint32_t lo = 0, hi = 10000;
	if (giveback_sum(g, n, hi) > avail_bytes) {
		/* the largest l with sum(l) <= avail; sum(0) is 0 */
		hi--;
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo + 1) / 2;
			if (giveback_sum(g, n, mid) <= avail_bytes)
				lo = mid;
			else
				hi = mid - 1;
		}
	} else {
		lo = 10000;
	}
	for (size_t i = 0; i < n; i++)
		g[i].give_bytes = giveback_at(&g[i], lo);
	return lo;
}
