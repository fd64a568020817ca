/* Working-set traces: piecewise-linear, optionally periodic, read with a cursor. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

int sim_trace_add(struct sim_trace *tr, uint64_t t_ms, uint64_t ws_bytes)
{
	if (tr->n && t_ms <= tr->pts[tr->n - 1].t_ms)
		return -EINVAL;
	if (tr->period_ms && t_ms >= tr->period_ms)
		return -EINVAL;
	if (tr->n >= SIM_TRACE_MAX_POINTS)
		return -E2BIG;
	if (tr->n == tr->cap) {
		size_t nc = tr->cap ? tr->cap * 2 : 8;
		struct sim_point *p = realloc(tr->pts, nc * sizeof(*p));
		if (!p)
			return -ENOMEM;
		tr->pts = p;
		tr->cap = nc;
	}
	tr->pts[tr->n].t_ms = t_ms;
	tr->pts[tr->n].ws_bytes = ws_bytes;
	tr->n++;
	return 0;
}

/* a_ws + (b_ws - a_ws) * off / span in exact integer maths; off >= span gives b_ws. */
static uint64_t trace_lerp_off(uint64_t a_ws, uint64_t b_ws, uint64_t off, uint64_t span)
{
	if (off >= span)
		return b_ws;
	/* 64-bit when it cannot overflow (always, for real traces), 128-bit otherwise:
	 * exact integer maths either way. */
	uint64_t d = b_ws >= a_ws ? b_ws - a_ws : a_ws - b_ws;
	uint64_t q;
	if (d == 0)
		return b_ws;
	if (off <= UINT64_MAX / d)
		q = d * off / span;
	else
		q = (uint64_t)((unsigned __int128)d * off / span);
	return b_ws >= a_ws ? a_ws + q : a_ws - q;
}

static uint64_t trace_lerp(const struct sim_point *a, uint64_t a_ms, uint64_t b_ws, uint64_t b_ms,
			   uint64_t t_ms)
{
	if (b_ms <= a_ms || t_ms <= a_ms)
		return a->ws_bytes;
	return trace_lerp_off(a->ws_bytes, b_ws, t_ms - a_ms, b_ms - a_ms);
}

uint64_t sim_trace_at(const struct sim_trace *tr, uint64_t t_ms, size_t *cursor)
{
	if (tr->n == 0)
		return 0;
	uint64_t tt = tr->period_ms ? t_ms % tr->period_ms : t_ms;
	size_t c = *cursor < tr->n ? *cursor : 0;
	if (tt < tr->pts[c].t_ms)
		c = 0; /* wrapped (or a caller went back in time) */
	while (c + 1 < tr->n && tr->pts[c + 1].t_ms <= tt)
		c++;
	*cursor = c;
	const struct sim_point *a = &tr->pts[c];
	if (tt < a->t_ms) { /* before the first point */
		if (!tr->period_ms)
			return a->ws_bytes;
		/* wrap: from the last point (at t - period) to the first */
		const struct sim_point *l = &tr->pts[tr->n - 1];
		struct sim_point from = {0, l->ws_bytes};
		return trace_lerp(&from, l->t_ms, a->ws_bytes, a->t_ms + tr->period_ms,
				  tt + tr->period_ms);
	}
	if (c + 1 < tr->n)
		return trace_lerp(a, a->t_ms, tr->pts[c + 1].ws_bytes, tr->pts[c + 1].t_ms, tt);
	if (!tr->period_ms)
		return a->ws_bytes;
	return trace_lerp(a, a->t_ms, tr->pts[0].ws_bytes, tr->pts[0].t_ms + tr->period_ms, tt);
}

static uint64_t trace_add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* The same case analysis as sim_trace_at, the interpolation kept instead of evaluated:
 * every case there is trace_lerp(a, a_ms, b_ws, b_ms, t') with t' = t - base (or
 * t - base + period), which depends on t' only through t' - a_ms, and (points inside
 * the period) with a_ms < b_ms and a_ms <= t'. */
void sim_trace_seg_find(const struct sim_trace *tr, uint64_t t_ms, size_t *cursor,
			struct sim_trace_seg *seg)
{
	seg->span_ms = 1;
	if (tr->n == 0) {
		seg->lo_ms = seg->a_ms = 0;
		seg->hi_ms = UINT64_MAX;
		seg->a_ws = seg->b_ws = 0;
		return;
	}
	uint64_t p = tr->period_ms;
	if (p && tr->pts[tr->n - 1].t_ms >= p) {
		/* points beyond the period (set after they were added): one ms at a time */
		seg->lo_ms = seg->a_ms = t_ms;
		seg->hi_ms = trace_add_sat(t_ms, 1);
		seg->a_ws = seg->b_ws = sim_trace_at(tr, t_ms, cursor);
		return;
	}
	uint64_t tt = p ? t_ms % p : t_ms;
	uint64_t base = t_ms - tt;
	size_t c = *cursor < tr->n ? *cursor : 0;
	if (tt < tr->pts[c].t_ms)
		c = 0;
	while (c + 1 < tr->n && tr->pts[c + 1].t_ms <= tt)
		c++;
	*cursor = c;
	const struct sim_point *a = &tr->pts[c];
	if (tt < a->t_ms) { /* before the first point */
		seg->lo_ms = base;
		seg->hi_ms = trace_add_sat(base, a->t_ms);
		if (!p) {
			seg->a_ms = base;
			seg->a_ws = seg->b_ws = a->ws_bytes;
			return;
		}
		const struct sim_point *l = &tr->pts[tr->n - 1];
		/* from the last point at l.t - period (mod 2^64: before 0 in the first period) */
		seg->a_ms = base - p + l->t_ms;
		seg->span_ms = a->t_ms + p - l->t_ms;
		seg->a_ws = l->ws_bytes;
		seg->b_ws = a->ws_bytes;
		goto cap;
	}
	seg->lo_ms = seg->a_ms = base + a->t_ms;
	seg->a_ws = a->ws_bytes;
	if (c + 1 < tr->n) {
		seg->hi_ms = trace_add_sat(base, tr->pts[c + 1].t_ms);
		seg->span_ms = tr->pts[c + 1].t_ms - a->t_ms;
		seg->b_ws = tr->pts[c + 1].ws_bytes;
	} else if (!p) {
		seg->hi_ms = UINT64_MAX;
		seg->b_ws = a->ws_bytes;
	} else {
		seg->hi_ms = trace_add_sat(base, p);
		seg->span_ms = tr->pts[0].t_ms + p - a->t_ms;
		seg->b_ws = tr->pts[0].ws_bytes;
	}
cap:
	/* sim_trace_at wraps at the period whatever the points say */
	if (p && seg->hi_ms > trace_add_sat(base, p))
		seg->hi_ms = trace_add_sat(base, p);
}

uint64_t sim_trace_seg_at(const struct sim_trace_seg *seg, uint64_t t_ms)
{
	uint64_t off = t_ms - seg->a_ms;
	if (off == 0)
		return seg->a_ws;
	return trace_lerp_off(seg->a_ws, seg->b_ws, off, seg->span_ms);
}

int sim_trace_copy(struct sim_trace *dst, const struct sim_trace *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->period_ms = src->period_ms;
	if (!src->n)
		return 0;
	dst->pts = malloc(src->n * sizeof(*dst->pts));
	if (!dst->pts)
		return -ENOMEM;
	memcpy(dst->pts, src->pts, src->n * sizeof(*dst->pts));
	dst->n = dst->cap = src->n;
	return 0;
}

void sim_trace_free(struct sim_trace *tr)
{
	free(tr->pts);
	memset(tr, 0, sizeof(*tr));
}
