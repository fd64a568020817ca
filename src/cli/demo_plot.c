/*
 * DESIGN: the demo's picture: the shared timeline plot (cli/plot.h) over the demo's
 * timeline.csv, with each VM's working-set phase shaded, written as timeline.gp next to
 * the CSV (so a user can tweak and rerun it) and drawn into timeline.png.
 */
#include "cli/demo_core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/plot.h"

static void demo_plot_spec(struct cli_plot *p, const char **names_v, char names[][DEMO_NAME_MAX],
			   unsigned n, uint64_t phase_s, uint64_t seconds, uint64_t budget_bytes)
{
	for (unsigned i = 0; i < n; i++)
		names_v[i] = names[i];
	*p = (struct cli_plot){
	    .csv = "timeline.csv",
	    .out = "timeline.png",
	    .title = "blimp demo: memory follows the active VM (shaded: its working-set phase)",
	    .names = names_v,
	    .n = n,
	    .phase_s = phase_s,
	    .x_max_s = seconds,
	    .budget_bytes = budget_bytes,
	};
}

void demo_plot_script(FILE *out, char names[][DEMO_NAME_MAX], unsigned n, uint64_t phase_s,
		      uint64_t seconds, uint64_t budget_bytes)
{
	const char **v = calloc(n + 1, sizeof(*v));
	if (!v)
		return;
	struct cli_plot p;
	demo_plot_spec(&p, v, names, n, phase_s, seconds, budget_bytes);
	cli_plot_script(out, &p);
	free(v);
}

int demo_plot(const char *dir, char names[][DEMO_NAME_MAX], unsigned n, uint64_t phase_s,
	      uint64_t seconds, uint64_t budget_bytes, char *why, size_t whylen)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/timeline.gp", dir) >= sizeof(path)) {
		snprintf(why, whylen, "output path too long");
		return -ENAMETOOLONG;
	}
	FILE *f = fopen(path, "w");
	if (!f) {
		int r = -errno;
		snprintf(why, whylen, "cannot write %s: %s", path, strerror(errno));
		return r;
	}
	demo_plot_script(f, names, n, phase_s, seconds, budget_bytes);
	if (fclose(f) != 0) {
		snprintf(why, whylen, "cannot write %s", path);
		return -EIO;
	}
	return cli_plot_run(dir, "timeline.gp", why, whylen);
}
