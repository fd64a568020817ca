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

static uint64_t trace_lerp(const struct sim_point *a, uint64_t a_ms, uint64_t b_ws, uint64_t b_ms,
			   uint64_t t_ms)
{
	if (b_ms <= a_ms || t_ms <= a_ms)
		return a->ws_bytes;
	if (t_ms >= b_ms)
		return b_ws;
	/* 64-bit when it cannot overflow (always, for real traces), 128-bit otherwise:
	 * exact integer maths either way. */
	uint64_t span = b_ms - a_ms, off = t_ms - a_ms;
	uint64_t d = b_ws >= a->ws_bytes ? b_ws - a->ws_bytes : a->ws_bytes - b_ws;
	uint64_t q;
	if (d == 0)
		return b_ws;
	if (off <= UINT64_MAX / d)
		q = d * off / span;
	else
		q = (uint64_t)((unsigned __int128)d * off / span);
	return b_ws >= a->ws_bytes ? a->ws_bytes + q : a->ws_bytes - q;
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
