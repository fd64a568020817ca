/*
 * blimp plot: the demo's timeline picture from blimpd's live history. The history's
 * CSV and the gnuplot script go to a directory (--dir, kept; else a temporary one,
 * removed), gnuplot draws -o (PNG, or SVG by the name), and one line says which panels
 * it drew, so a script can check the picture holds what it asked for.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/parse.h"
#include "cli/history.h"
#include "cli/plot.h"

static const char cli_plot_usage[] =
    "Usage: blimp plot [--since DURATION] [--vm NAME]... -o FILE.png [--dir DIR]\n"
    "Draw blimpd's live history with gnuplot: one panel per VM (CONSUMED, MCTLSZ,\n"
    "MCTLTGT, ACTV, SWCUR) and one for the host (free, budget, state).\n"
    "  --since DURATION   the last DURATION: 90, 90s, 10m, 2h (default 10m)\n"
    "  --vm NAME          only this VM (repeatable; default every VM in the window)\n"
    "  -o, --output FILE  the picture: PNG, or SVG when FILE ends in .svg\n"
    "  --dir DIR          keep the data (history.csv) and the script (plot.gp) in DIR\n"
    "  -s, --socket PATH  blimpd's control socket\n"
    "Needs gnuplot (Debian: gnuplot-nox).\n";

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);
	return n >= m && strcmp(s + n - m, tail) == 0;
}

static void hhmmss(int64_t wall_ms, char *buf, size_t len)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%H:%M:%S", &tm))
		snprintf(buf, len, "-");
}

/* The panels: the --vm names that have rows, in the order given, else every VM met. */
static unsigned plot_names(const struct cli_history_opts *o, const struct cli_history_rows *r,
			   const char **names)
{
	unsigned n = 0;
	if (!o->n_vms) {
		for (unsigned i = 0; i < r->n_names; i++)
			names[n++] = r->names[i];
		return n;
	}
	for (unsigned i = 0; i < o->n_vms; i++) {
		bool found = false;
		for (unsigned j = 0; j < r->n_names && !found; j++)
			if (!strcmp(o->vms[i], r->names[j])) {
				names[n++] = r->names[j];
				found = true;
			}
		if (!found)
			cli_error("plot", "%s: no samples in the window; no panel", o->vms[i]);
	}
	return n;
}

static int plot_draw(const struct cli_history_opts *o, const char *dir,
		     const struct cli_history_rows *r, const char *out_abs)
{
	const char *names[CLI_HISTORY_VMS_MAX];
	unsigned n = plot_names(o, r, names);
	char from[16], to[16], xlabel[64], title[128], path[PATH_MAX + 16], why[PATH_MAX + 128];
	hhmmss(r->t0_wall_ms, from, sizeof(from));
	hhmmss(r->last_wall_ms, to, sizeof(to));
	snprintf(xlabel, sizeof(xlabel), "seconds since %s UTC", from);
	snprintf(title, sizeof(title), "blimp live history, %s to %s UTC", from, to);
	struct cli_plot p = {.csv = "history.csv",
			     .out = out_abs,
			     .terminal = ends_with(out_abs, ".svg") ? "svg" : "pngcairo",
			     .title = title,
			     .names = names,
			     .n = n,
			     .host_rows = CLI_HISTORY_HOST,
			     .budget_bytes = r->budget_bytes,
			     .xlabel = xlabel};
	snprintf(path, sizeof(path), "%s/plot.gp", dir);
	FILE *f = fopen(path, "w");
	if (!f) {
		cli_error("plot", "cannot write %s: %s", path, strerror(errno));
		return CLI_EXIT_DAEMON;
	}
	cli_plot_script(f, &p);
	if (fclose(f) != 0) {
		cli_error("plot", "cannot write %s", path);
		return CLI_EXIT_DAEMON;
	}
	if (cli_plot_run(dir, "plot.gp", why, sizeof(why)) < 0) {
		cli_error("plot", "%s", why);
		return CLI_EXIT_DAEMON;
	}
	printf("wrote %s: %u panel%s (", o->out, cli_plot_panels(&p),
	       cli_plot_panels(&p) == 1 ? "" : "s");
	for (unsigned i = 0; i < n; i++)
		printf("%s, ", names[i]);
	printf("host); %" PRIu64 " samples, %s to %s UTC\n", r->frames, from, to);
	if (r->names_over)
		cli_error("plot", "more than %d VMs in the window: use --vm to choose",
			  CLI_HISTORY_VMS_MAX);
	return CLI_EXIT_OK;
}

int cli_plot_cmd_run(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_history_opts o;
	char err[256];
	int rc, r = cli_history_parse(argc, argv, true, &o, err, sizeof(err));
	if (cli_parse_done("plot", r, err, cli_plot_usage, &rc))
		return rc;
	struct cli_ctx c = cli_ctx_with(ctx, o.socket);
	char out_abs[PATH_MAX], dir[PATH_MAX], csv[PATH_MAX + 16];
	if (o.out[0] == '/') {
		snprintf(out_abs, sizeof(out_abs), "%s", o.out);
	} else {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)) || (size_t)snprintf(out_abs, sizeof(out_abs), "%s/%s",
								  cwd, o.out) >= sizeof(out_abs)) {
			cli_error("plot", "cannot make %s absolute", o.out);
			return CLI_EXIT_USAGE;
		}
	}
	if (o.dir) {
		if (mkdir(o.dir, 0755) < 0 && errno != EEXIST) {
			cli_error("plot", "cannot create %s: %s", o.dir, strerror(errno));
			return CLI_EXIT_USAGE;
		}
		snprintf(dir, sizeof(dir), "%s", o.dir);
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/blimp-plot.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			cli_error("plot", "cannot create a temporary directory: %s",
				  strerror(errno));
			return CLI_EXIT_DAEMON;
		}
	}
	snprintf(csv, sizeof(csv), "%s/history.csv", dir);
	FILE *f = fopen(csv, "w");
	if (!f) {
		cli_error("plot", "cannot write %s: %s", csv, strerror(errno));
		rc = CLI_EXIT_DAEMON;
		goto out;
	}
	struct cli_history_rows rows;
	cli_history_rows_init(&rows, true);
	rc = cli_history_fetch(&c, "plot", &o, f, &rows);
	if (fclose(f) != 0 && rc == CLI_EXIT_OK) {
		cli_error("plot", "cannot write %s", csv);
		rc = CLI_EXIT_DAEMON;
	}
	if (rc == CLI_EXIT_OK && rows.frames == 0) {
		cli_error("plot",
			  "no history in the window (blimpd just started, or history_s 0?)");
		rc = CLI_EXIT_DAEMON;
	}
	if (rc == CLI_EXIT_OK)
		rc = plot_draw(&o, dir, &rows, out_abs);
out:
	if (!o.dir) {
		char p[PATH_MAX + 16];
		snprintf(p, sizeof(p), "%s/plot.gp", dir);
		unlink(p);
		unlink(csv);
		rmdir(dir);
	}
	return rc;
}
