/*
 * Entitlements: min-funding revocation with the idle memory tax (Waldspurger,
 * "Memory Resource Management in VMware ESX Server", OSDI 2002, sections 5.1-5.2).
 *
 * DESIGN: the paper revokes a page at a time from the VM with the lowest
 *   rho = S / (P * (f + k * (1 - f))),  k = 1 / (1 - tau).
 * With A active bytes (f = A / P for P >= A, else 1), the denominator is the "taxed
 * cost" c(P) = min(P, A) + k * max(0, P - A), so repeated revocation ends at the fixed
 * point where every VM strictly inside its bounds has the same rho = 1 / y, that is
 * c(P) = S * y. c is increasing, so P(y) = clamp(c^-1(S * y), min, max) is monotone
 * in y and the fixed point is found by bisection on y (bytes per share, 16 fractional
 * bits) in exact integer arithmetic: deterministic on every platform. The bytes
 * left by integer rounding go to the VMs that would grow next, in index order.
 */
#include <errno.h>

#include "policy/internal.h"

typedef unsigned __int128 u128;

#define ENTITLE_SHARES_MAX (1ULL << 24)
#define ENTITLE_Y_FRAC_BITS 16
#define ENTITLE_Y_MAX ((u128)1 << 100)

static uint64_t entitle_shares(const struct policy_entitle_vm *v)
{
	if (v->shares == 0)
		return 1;
	return v->shares > ENTITLE_SHARES_MAX ? ENTITLE_SHARES_MAX : v->shares;
}

static uint64_t entitle_min(const struct policy_entitle_vm *v)
{
	return v->min_bytes < v->max_bytes ? v->min_bytes : v->max_bytes;
}

/* P(y) for one VM. */
static uint64_t entitle_alloc_at(const struct policy_entitle_vm *v, uint32_t tau, u128 y)
{
	u128 x = ((u128)entitle_shares(v) * y) >> ENTITLE_Y_FRAC_BITS; /* c(P) = S * y */
	u128 a = v->active_bytes;
	u128 p = x <= a ? x : a + (x - a) * (MODEL_PERMYRIAD - tau) / MODEL_PERMYRIAD;
	uint64_t lo = entitle_min(v), hi = v->max_bytes;
	if (p < lo)
		return lo;
	if (p > hi)
		return hi;
	return (uint64_t)p;
}

static u128 entitle_sum_at(const struct policy_entitle_vm *vms, size_t n, uint32_t tau, u128 y)
{
	u128 sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += entitle_alloc_at(&vms[i], tau, y);
	return sum;
}

int policy_entitle(uint64_t budget_bytes, uint32_t idle_tax_permyriad,
		   const struct policy_entitle_vm *vms, size_t n, uint64_t *out_bytes)
{
	if (idle_tax_permyriad > 9900 || (n > 0 && (!vms || !out_bytes)))
		return -EINVAL;
	u128 sum_min = 0, sum_max = 0;
	for (size_t i = 0; i < n; i++) {
		sum_min += entitle_min(&vms[i]);
		sum_max += vms[i].max_bytes;
	}
	if (sum_max <= budget_bytes) { /* memory not wanted: everyone gets its max */
		for (size_t i = 0; i < n; i++)
			out_bytes[i] = vms[i].max_bytes;
		return 0;
	}
	if (sum_min >= budget_bytes) {
		for (size_t i = 0; i < n; i++)
			out_bytes[i] = entitle_min(&vms[i]);
		return sum_min > budget_bytes ? -ENOSPC : 0;
	}
	/* sum(P(0)) = sum_min < budget < sum_max = sum(P(Y_MAX)). */
	u128 lo = 0, hi = ENTITLE_Y_MAX;
	while (hi - lo > 1) {
		u128 mid = lo + (hi - lo) / 2;
		if (entitle_sum_at(vms, n, idle_tax_permyriad, mid) <= budget_bytes)
			lo = mid;
		else
			hi = mid;
	}
	u128 used = 0;
	for (size_t i = 0; i < n; i++) {
		out_bytes[i] = entitle_alloc_at(&vms[i], idle_tax_permyriad, lo);
		used += out_bytes[i];
	}
	uint64_t rest = (uint64_t)(budget_bytes - used);
	for (size_t i = 0; i < n && rest; i++) {
		uint64_t next = entitle_alloc_at(&vms[i], idle_tax_permyriad, hi);
		uint64_t inc = policy_min_u64(next - out_bytes[i], rest);
		out_bytes[i] += inc;
		rest -= inc;
	}
	return 0;
}
