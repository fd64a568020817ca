/* blimp history: the live history's rows, as CSV (--csv) or a table. */
#include <stdio.h>

#include "cli/parse.h"
#include "cli/history.h"

static const char cli_history_usage[] =
    "Usage: blimp history [--since DURATION] [--vm NAME]... [--csv]\n"
    "What blimpd's live history holds (the last history_s seconds, one sample per\n"
    "collect period): per sample a host row (vm @host: state, free, budget...) and a\n"
    "row per running VM (MEMSZ, CONSUMED, OVHD, MCTLSZ, MCTLTGT, ACTV, SWCUR).\n"
    "  --since DURATION   only the last DURATION: 90, 90s, 10m, 2h (default: all)\n"
    "  --vm NAME          only this VM (repeatable; host rows are always there)\n"
    "  --csv              CSV in bytes for scripts and gnuplot (columns in docs/cli.md)\n"
    "  -s, --socket PATH  blimpd's control socket\n";

int cli_history_run(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_history_opts o;
	char err[256];
	int rc, r = cli_history_parse(argc, argv, false, &o, err, sizeof(err));
	if (cli_parse_done("history", r, err, cli_history_usage, &rc))
		return rc;
	struct cli_ctx c = cli_ctx_with(ctx, o.socket);
	struct cli_history_rows rows;
	cli_history_rows_init(&rows, o.csv);
	rc = cli_history_fetch(&c, "history", &o, stdout, &rows);
	fflush(stdout);
	return rc;
}
