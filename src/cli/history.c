/*
 * DESIGN: the live history's rows. blimpd answers `history` a page at a time (whole
 * frames up to a row limit, docs/protocol.md); each frame becomes a host row and one
 * row per VM. t_s counts from the first frame on blimpd's monotonic clock, so a
 * wall-clock jump on the host bends no line; unix_ms keeps the wall clock for people.
 * The CSV's first twelve columns are the demo's timeline.csv, so cli/plot.h draws
 * either. Names come from blimpd but are checked again: no comma or quote may split a
 * row, no control character may reach a terminal.
 */
#include "cli/history.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "cli/client.h"
#include "cli/format.h"
#include "cli/parse.h"
#include "cli/plot.h"

int cli_parse_duration(const char *what, const char *s, uint64_t *out_s, char *err, size_t errlen)
{
	size_t digits = s ? strspn(s, "0123456789") : 0;
	uint64_t unit = 0;
	if (s && digits > 0 && digits <= 9) {
		const char *u = s + digits;
		if (!strcmp(u, "") || !strcmp(u, "s"))
			unit = 1;
		else if (!strcmp(u, "m"))
			unit = 60;
		else if (!strcmp(u, "h"))
			unit = 3600;
		else if (!strcmp(u, "d"))
			unit = 86400;
	}
	if (!unit) {
		snprintf(err, errlen, "%s: '%s' is not a duration (e.g. 90, 90s, 10m, 2h)", what,
			 s ? s : "");
		return -EINVAL;
	}
	uint64_t v = strtoull(s, NULL, 10) * unit;
	if (v < 1 || v > 30 * 86400ULL) {
		snprintf(err, errlen, "%s: %s is out of range [1s, 30d]", what, s);
		return -ERANGE;
	}
	*out_s = v;
	return 0;
}

int cli_history_parse(int argc, char **argv, bool plot, struct cli_history_opts *o, char *err,
		      size_t errlen)
{
	static const struct option longopts[] = {
	    {"since", required_argument, NULL, 'S'},
	    {"vm", required_argument, NULL, 'v'},
	    {"csv", no_argument, NULL, 'c'},
	    {"output", required_argument, NULL, 'o'},
	    {"dir", required_argument, NULL, 'D'},
	    CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	*o = (struct cli_history_opts){.since_s = plot ? 600 : 0};
	CLI_GETOPT_RESET();
	int c, r = 0;
	while ((c = getopt_long(argc, argv, ":o:" CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'S':
			r = cli_parse_duration("--since", optarg, &o->since_s, err, errlen);
			break;
		case 'v':
			if (!cli_name_valid(optarg)) {
				snprintf(err, errlen, "--vm: '%s' is not a VM name", optarg);
				return -EINVAL;
			}
			if (o->n_vms >= CLI_HISTORY_VMS_MAX) {
				snprintf(err, errlen, "--vm: at most %d names",
					 CLI_HISTORY_VMS_MAX);
				return -EINVAL;
			}
			o->vms[o->n_vms++] = optarg;
			break;
		case 'c':
			if (plot)
				return cli_getopt_error('?', argv, err, errlen);
			o->csv = true;
			break;
		case 'o':
		case 'D':
			if (!plot)
				return cli_getopt_error('?', argv, err, errlen);
			if (!optarg[0]) {
				snprintf(err, errlen, "%s: empty path", c == 'o' ? "-o" : "--dir");
				return -EINVAL;
			}
			*(c == 'o' ? &o->out : &o->dir) = optarg;
			break;
			CLI_COMMON_CASES(o);
		}
		if (r < 0)
			return r;
	}
	if (plot && !o->out) {
		snprintf(err, errlen, "missing -o FILE.png (or FILE.svg)");
		return -EINVAL;
	}
	return cli_parse_positionals(optind, argc, argv, NULL, 0, 0, err, errlen);
}

void cli_history_rows_init(struct cli_history_rows *r, bool csv)
{
	memset(r, 0, sizeof(*r));
	r->csv = csv;
}

void cli_history_header(const struct cli_history_rows *r, FILE *out)
{
	if (r->csv)
		fputs("t_s,vm,consumed,ovhd,mctlsz,mctltgt,actv,state,free,budget,memsz,swcur,"
		      "available,minfree,swap_used,state_name,unix_ms\n",
		      out);
	else
		fprintf(out, "%-12s %-20s %5s %9s %9s %9s %9s %9s %9s %9s %9s\n", "TIME(UTC)", "VM",
			"STATE", "FREE", "MEMSZ", "CONSUMED", "OVHD", "MCTLSZ", "MCTLTGT", "ACTV",
			"SWCUR");
}

/* One number field (CSV) or column (text); absent: empty / "-". */
static void put(FILE *out, bool csv, json_object *o, const char *key)
{
	uint64_t v;
	char b[32];
	if (csv) {
		if (o && cli_json_u64(o, key, &v))
			fprintf(out, ",%" PRIu64, v);
		else
			fputc(',', out);
	} else {
		fprintf(out, " %9s", o ? cli_fmt_size(o, key, b, sizeof(b)) : "");
	}
}

static void note_name(struct cli_history_rows *r, const char *name)
{
	for (unsigned i = 0; i < r->n_names; i++)
		if (!strcmp(r->names[i], name))
			return;
	if (r->n_names >= CLI_HISTORY_VMS_MAX) {
		r->names_over++;
		return;
	}
	snprintf(r->names[r->n_names++], sizeof(r->names[0]), "%s", name);
}

/* One row: vm NULL is the host's. */
static void row(FILE *out, struct cli_history_rows *r, double t_s, int64_t wall_ms,
		json_object *host, json_object *vm, const char *name)
{
	const char *state = cli_json_str(host, "state");
	if (r->csv) {
		fprintf(out, "%.3f,%s", t_s, name);
		static const char *const vm_keys[] = {"consumed", "ovhd", "mctlsz", "mctltgt",
						      "actv"};
		for (size_t i = 0; i < 5; i++)
			put(out, true, vm, vm_keys[i]);
		fprintf(out, ",%d", cli_plot_state_level(state));
		put(out, true, host, "free");
		put(out, true, host, "budget");
		put(out, true, vm, "memsz");
		put(out, true, vm, "swcur");
		put(out, true, host, "available");
		put(out, true, host, "minfree");
		put(out, true, host, "swap_used");
		fprintf(out, ",%s,%" PRId64 "\n",
			cli_plot_state_level(state) >= 0 ? state : "unknown", wall_ms);
		return;
	}
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	char clock[16] = "-";
	if (gmtime_r(&t, &tm))
		strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	fprintf(out, "%-8s.%03d %-20s %5s", clock, (int)(wall_ms % 1000 + 1000) % 1000, name,
		cli_plot_state_level(state) >= 0 ? state : "-");
	put(out, false, host, "free");
	if (!vm) {
		fputc('\n', out);
		return;
	}
	static const char *const keys[] = {"memsz",   "consumed", "ovhd", "mctlsz",
					   "mctltgt", "actv",	  "swcur"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		put(out, false, vm, keys[i]);
	fputc('\n', out);
}

uint64_t cli_history_page(json_object *result, FILE *out, struct cli_history_rows *r)
{
	json_object *frames;
	uint64_t n = 0;
	if (!result || !json_object_object_get_ex(result, "frames", &frames) ||
	    !json_object_is_type(frames, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(frames); i++) {
		json_object *f = json_object_array_get_idx(frames, i), *host, *vms, *t;
		uint64_t mono;
		if (!f || !json_object_is_type(f, json_type_object) ||
		    !cli_json_u64(f, "mono_ms", &mono) ||
		    !json_object_object_get_ex(f, "t_ms", &t) ||
		    !json_object_is_type(t, json_type_int))
			continue;
		host = cli_json_unwrap(f, "host");
		if (host == f)
			host = NULL;
		int64_t wall = json_object_get_int64(t);
		if (!r->have_t0) {
			r->have_t0 = true;
			r->t0_mono_ms = mono;
			r->t0_wall_ms = wall;
		}
		r->last_wall_ms = wall;
		double t_s = mono >= r->t0_mono_ms ? (double)(mono - r->t0_mono_ms) / 1000 : 0;
		uint64_t budget;
		if (host && cli_json_u64(host, "budget", &budget))
			r->budget_bytes = budget;
		row(out, r, t_s, wall, host, NULL, CLI_HISTORY_HOST);
		n++;
		if (!json_object_object_get_ex(f, "vms", &vms) ||
		    !json_object_is_type(vms, json_type_array))
			vms = NULL;
		for (size_t j = 0; vms && j < json_object_array_length(vms); j++) {
			json_object *vm = json_object_array_get_idx(vms, j);
			const char *name = vm ? cli_json_str(vm, "name") : NULL;
			if (!name || !cli_name_valid(name))
				continue; /* blimpd validates names; a bad one is not ours to print
					   */
			note_name(r, name);
			row(out, r, t_s, wall, host, vm, name);
			n++;
		}
		r->frames++;
	}
	r->rows += n;
	return n;
}

int cli_history_fetch(const struct cli_ctx *ctx, const char *cmd, const struct cli_history_opts *o,
		      FILE *out, struct cli_history_rows *r)
{
	struct cli_conn conn;
	char why[256];
	int t = cli_conn_open(&conn, ctx->socket_path, CLI_CLIENT_CONNECT_TIMEOUT_MS);
	if (t < 0) {
		cli_error(cmd, "cannot reach blimpd at %s: %s", ctx->socket_path,
			  cli_transport_strerror(t, why, sizeof(why)));
		return CLI_EXIT_UNREACHABLE;
	}
	int rc = CLI_EXIT_OK;
	uint64_t after = 0;
	for (bool first = true;; first = false) {
		json_object *args = json_object_new_object();
		if (first && o->since_s)
			json_object_object_add(args, "since", json_object_new_uint64(o->since_s));
		if (!first)
			json_object_object_add(args, "after", json_object_new_uint64(after));
		json_object_object_add(args, "limit",
				       json_object_new_uint64(CLI_HISTORY_ROWS_PAGE));
		if (o->n_vms) {
			json_object *a = json_object_new_array();
			for (unsigned i = 0; i < o->n_vms; i++)
				json_object_array_add(a, json_object_new_string(o->vms[i]));
			json_object_object_add(args, "vms", a);
		}
		struct cli_reply rep;
		t = cli_conn_call(&conn, "history", args, CLI_TIMEOUT_MS, &rep);
		json_object_put(args);
		if (t < 0) {
			cli_error(cmd, "%s", cli_transport_strerror(t, why, sizeof(why)));
			rc = CLI_EXIT_UNREACHABLE;
			break;
		}
		if (!rep.ok) {
			cli_error(cmd, "%s (%s)", rep.message, rep.code);
			cli_reply_free(&rep);
			rc = CLI_EXIT_DAEMON;
			break;
		}
		bool more = false;
		uint64_t next = 0;
		if (first)
			cli_history_header(r, out);
		cli_history_page(rep.result, out, r);
		bool ok_more = cli_json_bool(rep.result, "more", &more) && more &&
			       cli_json_u64(rep.result, "after", &next) && (first || next > after);
		cli_reply_free(&rep);
		if (!ok_more)
			break;
		after = next;
	}
	cli_conn_close(&conn);
	return rc;
}
