/*
 * DESIGN: the demo's record. Each second's `top` result becomes one timeline.csv row
 * per VM (host columns repeated on every row, so one file feeds every gnuplot panel)
 * and is folded into running figures for the summary. Values the daemon left out are
 * written as empty fields and do not move the summary.
 */
#include "cli/demo_core.h"

#include <inttypes.h>
#include <string.h>

#include "cli/format.h"
#include "cli/plot.h"

int demo_state_level(const char *state)
{
	return cli_plot_state_level(state);
}

void demo_stats_init(struct demo_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->min_free_bytes = UINT64_MAX;
	s->min_available_bytes = UINT64_MAX;
	s->settled_ms = UINT64_MAX;
}

void demo_timeline_header(FILE *out)
{
	fputs("t_s,vm,consumed,ovhd,mctlsz,mctltgt,actv,state,free,budget,memsz,swcur,"
	      "available\n",
	      out);
}

static void demo_put_u64(FILE *out, json_object *o, const char *key, uint64_t *sum)
{
	uint64_t v;
	if (cli_json_u64(o, key, &v)) {
		fprintf(out, ",%" PRIu64, v);
		if (sum)
			*sum += v;
	} else {
		fputs(",", out);
	}
}

int demo_timeline_rows(json_object *top, uint64_t t_ms, FILE *out, struct demo_stats *s)
{
	json_object *host = NULL, *vms = NULL;
	if (!top || !json_object_is_type(top, json_type_object))
		return 0;
	if (!json_object_object_get_ex(top, "host", &host) ||
	    !json_object_is_type(host, json_type_object))
		host = NULL;
	if (!json_object_object_get_ex(top, "vms", &vms) ||
	    !json_object_is_type(vms, json_type_array))
		vms = NULL;
	const char *state = host ? cli_json_str(host, "state") : NULL;
	int level = demo_state_level(state);
	uint64_t free_b = 0, budget = 0, avail = 0;
	bool has_free = host && cli_json_u64(host, "free", &free_b);
	bool has_budget = host && cli_json_u64(host, "budget", &budget);
	bool has_avail = host && cli_json_u64(host, "mem_available", &avail);

	uint64_t held = 0, mctlsz = 0, memsz = 0, swcur = 0;
	int rows = 0;
	size_t n = vms ? json_object_array_length(vms) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *vm = json_object_array_get_idx(vms, i);
		if (!vm || !json_object_is_type(vm, json_type_object))
			continue;
		char name[DEMO_NAME_MAX * 2];
		/* Names are validated by blimpd; sanitize anyway: no comma may split a row. */
		cli_sanitize(cli_json_str(vm, "name"), name, sizeof(name));
		for (char *p = name; *p; p++)
			if (*p == ',' || *p == '"')
				*p = '?';
		fprintf(out, "%" PRIu64 ".%" PRIu64 ",%s", t_ms / 1000, t_ms % 1000 / 100, name);
		demo_put_u64(out, vm, "consumed", &held);
		demo_put_u64(out, vm, "ovhd", &held);
		demo_put_u64(out, vm, "mctlsz", &mctlsz);
		demo_put_u64(out, vm, "mctltgt", NULL);
		demo_put_u64(out, vm, "actv", NULL);
		fprintf(out, ",%d", level);
		if (has_free)
			fprintf(out, ",%" PRIu64, free_b);
		else
			fputs(",", out);
		if (has_budget)
			fprintf(out, ",%" PRIu64, budget);
		else
			fputs(",", out);
		demo_put_u64(out, vm, "memsz", &memsz);
		demo_put_u64(out, vm, "swcur", &swcur);
		if (has_avail)
			fprintf(out, ",%" PRIu64 "\n", avail);
		else
			fputs(",\n", out);
		rows++;
	}
	s->samples++;
	if (rows > 0) {
		if (memsz > s->memsz_sum_bytes)
			s->memsz_sum_bytes = memsz;
		if (held > s->peak_held_bytes)
			s->peak_held_bytes = held;
		if (s->settled_ms == UINT64_MAX && has_budget && held <= budget)
			s->settled_ms = t_ms;
		if (s->settled_ms != UINT64_MAX && held > s->peak_held_settled_bytes)
			s->peak_held_settled_bytes = held;
		if (mctlsz > s->peak_mctlsz_bytes)
			s->peak_mctlsz_bytes = mctlsz;
		if (swcur > s->peak_swcur_bytes)
			s->peak_swcur_bytes = swcur;
		if (has_budget && held > budget)
			s->over_budget_samples++;
	}
	if (has_budget)
		s->budget_bytes = budget;
	if (has_free && free_b < s->min_free_bytes)
		s->min_free_bytes = free_b;
	if (has_avail && avail < s->min_available_bytes)
		s->min_available_bytes = avail;
	if (level >= 0 && (s->worst_state[0] == '\0' || level < demo_state_level(s->worst_state)))
		snprintf(s->worst_state, sizeof(s->worst_state), "%s", cli_plot_state_name(level));
	return rows;
}
