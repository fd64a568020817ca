/*
 * blimpd's live history on the CLI side (`blimp history`, `blimp plot`): parsing the
 * options, fetching every page of a `history` request over one connection, and turning
 * its frames into rows: CSV for scripts and gnuplot, or an aligned table for people.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "cli/cli.h"

#define CLI_HISTORY_VMS_MAX 256 /* --vm names, and VMs one plot draws */
#define CLI_HISTORY_ROWS_PAGE 5000
/* The vm column of host rows: '@' is never in a VM name. */
#define CLI_HISTORY_HOST "@host"

struct cli_history_opts {
	const char *socket;
	uint64_t since_s; /* 0: all blimpd holds */
	const char *vms[CLI_HISTORY_VMS_MAX];
	unsigned n_vms;
	bool csv;
	const char *out; /* plot: the picture (-o) */
	const char *dir; /* plot: keep the CSV and the script here */
};
/* `blimp history` and `blimp plot` (plot: true): 0, CLI_PARSE_HELP or -EINVAL/-ERANGE. */
int cli_history_parse(int argc, char **argv, bool plot, struct cli_history_opts *o, char *err,
		      size_t errlen) __attribute__((warn_unused_result));
/* "90", "90s", "10m", "2h", "1d" into seconds (at least 1, at most 30 days). */
int cli_parse_duration(const char *what, const char *s, uint64_t *out_s, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Rows written so far and what a plot needs of them. */
struct cli_history_rows {
	bool csv;
	bool have_t0;
	uint64_t t0_mono_ms; /* t_s 0 */
	int64_t t0_wall_ms, last_wall_ms;
	uint64_t frames, rows;
	uint64_t budget_bytes;		     /* the latest host row's */
	char names[CLI_HISTORY_VMS_MAX][64]; /* VMs met, in order of first row */
	unsigned n_names;
	uint64_t names_over; /* VMs met beyond CLI_HISTORY_VMS_MAX (rows kept, no panel) */
};
void cli_history_rows_init(struct cli_history_rows *r, bool csv);
/* The header (CSV: t_s,vm,consumed,ovhd,mctlsz,mctltgt,actv,state,free,budget,memsz,
 * swcur,available,minfree,swap_used,state_name,unix_ms). */
void cli_history_header(const struct cli_history_rows *r, FILE *out);
/* One page's frames as rows: per frame a host row (vm @host), then one per VM. Malformed
 * frames are skipped. Returns the rows written. */
uint64_t cli_history_page(json_object *result, FILE *out, struct cli_history_rows *r);

/* Fetch every page (since, vms of o) into out: the header once blimpd answered, then
 * cli_history_page's rows. CLI_EXIT_OK, or an
 * exit status with the error printed as "blimp: CMD: ...". */
int cli_history_fetch(const struct cli_ctx *ctx, const char *cmd, const struct cli_history_opts *o,
		      FILE *out, struct cli_history_rows *r);

int cli_history_run(const struct cli_ctx *ctx, int argc, char **argv);
int cli_plot_cmd_run(const struct cli_ctx *ctx, int argc, char **argv);
