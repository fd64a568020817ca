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
 * in y (bytes per share, 16 fractional bits, exact integer maths) and the answer is
 * y* = the largest y with F(y) = sum P(y) <= budget; the bytes left by integer
 * rounding go to the VMs that would grow at y* + 1, in index order.
 *
 * Finding y*: F is piecewise linear (a staircase of integer floors on top), so a
 * safeguarded Newton iteration finds it in a handful of O(N) passes: each pass gives
 * F(y) and its slope (the shares of the VMs strictly inside their bounds, weighted 1
 * below A and 1 - tau above), the bracket [L, H] with F(L) <= budget < F(H) shrinks
 * every pass, and a Newton step that leaves the bracket or does not halve it within
 * two passes is replaced by a bisection step (so the worst case stays the old ~100
 * bisection rounds, the usual case is 3-6 passes, and 1-3 from a warm start: the
 * caller's y* of the previous run). The answer is exactly the bisection's: y* is the
 * unique y with F(y) <= budget < F(y + 1), whichever way it is found.
 * Per VM, for y < 2^40 (S * y fits 64 bits; budgets up to ~2^40 bytes per share) the
 * pass uses 64-bit maths only; larger y falls back to 128 bits with the same results.
 */
#include <errno.h>

#include "policy/internal.h"

typedef unsigned __int128 u128;

#define ENTITLE_SHARES_MAX POLICY_SHARES_MAX
#define ENTITLE_Y_FRAC_BITS 16
#define ENTITLE_Y_MAX ((u128)1 << 100)
/* y below this: S * y < 2^64 for every S <= ENTITLE_SHARES_MAX. */
#define ENTITLE_Y_FAST ((u128)1 << 40)
/* dF/dy = slope / ENTITLE_SLOPE_SCALE (slope in shares x permyriad). */
#define ENTITLE_SLOPE_SCALE ((u128)MODEL_PERMYRIAD << ENTITLE_Y_FRAC_BITS)
/* After this many passes only bisection steps (bounds the worst case near the old
 * solver's ~100 rounds; Newton needs 3-6 on every fleet tried). */
#define ENTITLE_NEWTON_PASSES_MAX 24U

static inline uint64_t entitle_shares(const struct policy_entitle_vm *v)
{
	return policy_shares_weight(v->shares);
}

static inline uint64_t entitle_min(const struct policy_entitle_vm *v)
{
	return v->min_bytes < v->max_bytes ? v->min_bytes : v->max_bytes;
}

/* c^-1(x) before clamping: x up to A, then (1 - tau) per byte above A. */
static inline u128 entitle_uncost(u128 x, uint64_t a, uint32_t keep)
{
	if (x <= a)
		return x;
	u128 d = x - a;
	if (d <= UINT64_MAX / MODEL_PERMYRIAD)
		return (u128)a + (uint64_t)d * keep / MODEL_PERMYRIAD; /* 64-bit divide */
	return a + d * keep / MODEL_PERMYRIAD;
}

/* P(y) for one VM; *slope gets its dF/dy weight (0 when clamped). */
static inline uint64_t entitle_alloc_at(const struct policy_entitle_vm *v, uint32_t keep, u128 y,
					u128 *slope)
{
	uint64_t s = entitle_shares(v);
	u128 x;
	if (y < ENTITLE_Y_FAST)
		x = (s * (uint64_t)y) >> ENTITLE_Y_FRAC_BITS;
	else
		x = ((u128)s * y) >> ENTITLE_Y_FRAC_BITS; /* c(P) = S * y */
	u128 p = entitle_uncost(x, v->active_bytes, keep);
	uint64_t lo = entitle_min(v), hi = v->max_bytes;
	if (p < lo)
		return lo;
	if (p >= hi)
		return hi;
	*slope += (u128)s * (x < v->active_bytes ? MODEL_PERMYRIAD : keep);
	return (uint64_t)p;
}

static u128 entitle_sum_at(const struct policy_entitle_vm *vms, size_t n, uint32_t keep, u128 y,
			   u128 *slope)
{
	u128 sum = 0;
	*slope = 0;
	for (size_t i = 0; i < n; i++)
		sum += entitle_alloc_at(&vms[i], keep, y, slope);
	return sum;
}

static unsigned entitle_bits(u128 v)
{
	unsigned b = 0;
	if (v >> 64) {
		b = 64;
		v >>= 64;
	}
	uint64_t w = (uint64_t)v;
	return w ? b + 64 - (unsigned)__builtin_clzll(w) : b;
}

/* Bisection point of (L, H): the middle, or the geometric middle while H / L > 4 (the
 * first bracket spans 2^100 and y* is usually near 2^32). */
static u128 entitle_split(u128 lo, u128 hi)
{
	u128 l = lo ? lo : 1;
	if (hi / l > 4)
		return l << ((entitle_bits(hi) - entitle_bits(l)) / 2);
	return lo + (hi - lo) / 2;
}

/* Next y to try inside (L, H): Newton's from (y, F(y), slope) when usable. */
static u128 entitle_next(u128 lo, u128 hi, u128 y, u128 f, u128 slope, uint64_t budget, bool bisect)
{
	if (bisect || slope == 0)
		return entitle_split(lo, hi);
	u128 next;
	if (f <= budget) { /* aim at the first y with F > budget */
		u128 gap = budget - f;
		next = y + gap * ENTITLE_SLOPE_SCALE / slope + 1;
	} else { /* aim at the last y with F <= budget */
		u128 gap = f - budget;
		if (gap > UINT64_MAX)
			return entitle_split(lo, hi); /* far off: no overflow, no trust */
		u128 step = (gap * ENTITLE_SLOPE_SCALE + slope - 1) / slope;
		next = step < y ? y - step : 0;
	}
	/* Newton past an end says y* is at that end: try next to it (the safeguard
	 * bisects if that keeps gaining little). */
	if (next <= lo)
		return lo + 1;
	if (next >= hi)
		return hi == ENTITLE_Y_MAX ? entitle_split(lo, hi) : hi - 1;
	return next;
}

/* Smallest x with c^-1(x) >= t. */
static u128 entitle_cost_of(u128 t, uint64_t a, uint32_t keep)
{
	if (t <= a)
		return t;
	return a + ((t - a) * MODEL_PERMYRIAD + keep - 1) / keep;
}

/* Smallest y with (S * y) >> 16 >= x. */
static u128 entitle_y_of(u128 x, uint64_t s)
{
	u128 num = x << ENTITLE_Y_FRAC_BITS;
	u128 y = (num + s - 1) / s;
	return y < ENTITLE_Y_MAX ? y : ENTITLE_Y_MAX;
}

/* F(y) <= budget: the last y' >= y with F(y') = F(y) (every P_i the same), found
 * per VM from the y at which its P would grow next. */
static u128 entitle_plateau_end(const struct policy_entitle_vm *vms, size_t n, uint32_t keep,
				u128 y)
{
	u128 next = ENTITLE_Y_MAX, unused = 0;
	for (size_t i = 0; i < n; i++) {
		const struct policy_entitle_vm *v = &vms[i];
		uint64_t p = entitle_alloc_at(v, keep, y, &unused);
		if (p >= v->max_bytes)
			continue;
		u128 x = entitle_cost_of((u128)p + 1, v->active_bytes, keep);
		u128 yi = entitle_y_of(x, entitle_shares(v));
		if (yi < next)
			next = yi;
	}
	return next > y ? next - 1 : y;
}

/* F(y) > budget: the first y' <= y with F(y') = F(y). */
static u128 entitle_plateau_start(const struct policy_entitle_vm *vms, size_t n, uint32_t keep,
				  u128 y)
{
	u128 start = 0, unused = 0;
	for (size_t i = 0; i < n; i++) {
		const struct policy_entitle_vm *v = &vms[i];
		uint64_t p = entitle_alloc_at(v, keep, y, &unused);
		if (p <= entitle_min(v))
			continue; /* has been at its minimum since y = 0 */
		u128 x = entitle_cost_of(p, v->active_bytes, keep);
		u128 yi = entitle_y_of(x, entitle_shares(v));
		if (yi > start)
			start = yi;
	}
	return start < y ? start : y;
}

int policy_entitle_solve(uint64_t budget_bytes, uint32_t idle_tax_permyriad,
			 const struct policy_entitle_vm *vms, size_t n, uint64_t *out_bytes,
			 unsigned __int128 *y_hint, unsigned *passes)
{
	if (passes)
		*passes = 0;
	if (idle_tax_permyriad > 9900 || (n > 0 && (!vms || !out_bytes)))
		return -EINVAL;
	uint32_t keep = MODEL_PERMYRIAD - idle_tax_permyriad;
	u128 sum_min = 0, sum_max = 0, sum_shares = 0;
	for (size_t i = 0; i < n; i++) {
		sum_min += entitle_min(&vms[i]);
		sum_max += vms[i].max_bytes;
		sum_shares += entitle_shares(&vms[i]);
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
	/* F(0) = sum_min <= budget < sum_max = F(Y_MAX). */
	u128 lo = 0, hi = ENTITLE_Y_MAX;
	u128 y = y_hint ? *y_hint : 0;
	if (y <= lo || y >= hi) /* cold: as if every VM were active and unclamped */
		y = ((u128)budget_bytes << ENTITLE_Y_FRAC_BITS) / sum_shares;
	if (y <= lo || y >= hi)
		y = lo + (hi - lo) / 2;
	/* Safeguard: the bracket must halve every two passes once both ends are real, and
	 * three passes in a row must not land on the same side. The first time either
	 * fails, passes start finding the ends of F's plateau around y (exact: per VM, the
	 * y where its P changes; costs divisions), the next time a bisection step is
	 * taken. */
	bool real_lo = false, real_hi = false, exact = false, last_below = false;
	unsigned streak = 0; /* passes in a row on the same side of the budget */
	u128 width_2 = hi - lo, width_1 = hi - lo;
	unsigned k = 0;
	while (hi - lo > 1) {
		u128 slope;
		u128 f = entitle_sum_at(vms, n, keep, y, &slope);
		k++;
		if (f == budget_bytes) { /* on the answer's plateau: y* is its end */
			lo = entitle_plateau_end(vms, n, keep, y);
			hi = lo + 1;
			break;
		}
		bool below = f < budget_bytes;
		streak = below == last_below ? streak + 1 : 1;
		last_below = below;
		if (below) {
			lo = exact ? entitle_plateau_end(vms, n, keep, y) : y;
			real_lo = true;
		} else {
			hi = exact ? entitle_plateau_start(vms, n, keep, y) : y;
			real_hi = true;
		}
		u128 width = hi - lo;
		bool stalled = (real_lo && real_hi && width > width_2 / 2) || streak >= 3;
		bool bisect = k > ENTITLE_NEWTON_PASSES_MAX || (stalled && exact);
		exact = exact || stalled;
		width_2 = width_1;
		width_1 = width;
		if (width > 1)
			y = entitle_next(lo, hi, below ? lo : hi, f, slope, budget_bytes, bisect);
	}
	if (y_hint)
		*y_hint = lo;
	u128 used = 0, unused_slope = 0;
	for (size_t i = 0; i < n; i++) {
		out_bytes[i] = entitle_alloc_at(&vms[i], keep, lo, &unused_slope);
		used += out_bytes[i];
	}
	uint64_t rest = (uint64_t)(budget_bytes - used);
	for (size_t i = 0; i < n && rest; i++) {
		uint64_t next = entitle_alloc_at(&vms[i], keep, hi, &unused_slope);
		uint64_t inc = policy_min_u64(next - out_bytes[i], rest);
		out_bytes[i] += inc;
		rest -= inc;
	}
	if (passes)
		*passes = k + 1;
	return 0;
}

int policy_entitle(uint64_t budget_bytes, uint32_t idle_tax_permyriad,
		   const struct policy_entitle_vm *vms, size_t n, uint64_t *out_bytes)
{
	return policy_entitle_solve(budget_bytes, idle_tax_permyriad, vms, n, out_bytes, NULL,
				    NULL);
}
