/*
 * DESIGN: the timeline picture (plot.h). The script splits the CSV into one table per
 * VM (`with table if`: lines through rows filtered with NaN would break at every other
 * VM's row) and one for the host, then draws one panel per VM, CONSUMED, MCTLSZ,
 * MCTLTGT, ACTV and SWCUR in MiB (a VM's phase shaded when there are phases), and a
 * host panel with free memory against the budget and the ESX state on the right axis.
 * The script is kept beside the CSV, so a user can tweak it and run gnuplot again.
 */
#include "cli/plot.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PLOT_MIB 1048576.0
#define PLOT_PANEL_PX 200

/* A gnuplot single-quoted string: only ' is special, written ''. Control characters
 * would end the command: '?'. */
static void plot_quote(FILE *out, const char *s)
{
	fputc('\'', out);
	for (; s && *s; s++) {
		if (*s == '\'')
			fputs("''", out);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fputc('?', out);
		else
			fputc(*s, out);
	}
	fputc('\'', out);
}

static const char *const plot_states[] = {"low", "hard", "soft", "clear", "high"};

int cli_plot_state_level(const char *state)
{
	for (int i = 0; state && i < 5; i++)
		if (strcmp(state, plot_states[i]) == 0)
			return i;
	return -1;
}

const char *cli_plot_state_name(int level)
{
	return level >= 0 && level < 5 ? plot_states[level] : NULL;
}

unsigned cli_plot_panels(const struct cli_plot *p)
{
	return p->n + 1;
}

static void plot_vm_panel(FILE *out, const struct cli_plot *p, unsigned i)
{
	fputs("set title ", out);
	plot_quote(out, p->names[i]);
	fputs(" offset 0,-0.8\n", out);
	if (p->phase_s)
		fprintf(out,
			"set object 1 rect from %" PRIu64 ", graph 0 to %" PRIu64
			", graph 1 fc rgb '#e4ecff' fs solid 1.0 noborder behind\n",
			p->phase_s * i, p->phase_s * (i + 1));
	fputs("set format x ''\nunset xlabel\n", out);
	fprintf(out,
		"plot $vm%u using 1:($2/M) with lines lw 2 lc rgb '#1f5fbf' title 'CONSUMED', \\\n"
		"     $vm%u using 1:($4/M) with lines lw 2 lc rgb '#d62728' title 'MCTLSZ', \\\n"
		"     $vm%u using 1:($5/M) with lines dt 2 lc rgb '#d62728' title 'MCTLTGT', \\\n"
		"     $vm%u using 1:($6/M) with lines lw 2 lc rgb '#2ca02c' title 'ACTV', \\\n"
		"     $vm%u using 1:($10/M) with lines lw 1 lc rgb '#9467bd' title 'SWCUR'\n",
		i, i, i, i, i);
	if (p->phase_s)
		fputs("unset object 1\n", out);
}

void cli_plot_script(FILE *out, const struct cli_plot *p)
{
	unsigned panels = cli_plot_panels(p);
	const char *term = p->terminal ? p->terminal : "pngcairo";
	fprintf(out,
		"# blimp timeline: gnuplot SCRIPT, in this directory\n"
		"set terminal %s size 1100,%u font 'sans,10'\n"
		"set output ",
		term, PLOT_PANEL_PX * panels + 60);
	plot_quote(out, p->out);
	fprintf(out,
		"\nM = %.1f\n"
		"# one table per VM: t consumed ovhd mctlsz mctltgt actv state free budget swcur\n"
		"set datafile separator ','\n",
		PLOT_MIB);
	for (unsigned i = 0; i < p->n; i++) {
		fprintf(out, "set table $vm%u\nplot ", i);
		plot_quote(out, p->csv);
		fputs(" using 1:3:4:5:6:7:8:9:10:12 with table if (strcol(2) eq ", out);
		plot_quote(out, p->names[i]);
		fputs(")\nunset table\n", out);
	}
	const char *host = p->host_rows ? p->host_rows : p->n ? p->names[0] : NULL;
	if (host) {
		/* the host's table: t state free budget */
		fputs("set table $host\nplot ", out);
		plot_quote(out, p->csv);
		fputs(" using 1:8:9:10 with table if (strcol(2) eq ", out);
		plot_quote(out, host);
		fputs(")\nunset table\n", out);
	}
	fputs("set datafile separator whitespace\n", out);
	if (p->x_max_s)
		fprintf(out, "set xrange [0:%" PRIu64 "]\n", p->x_max_s);
	fputs("set yrange [0:*]\n"
	      "set lmargin 10\nset rmargin 14\n"
	      "set grid ytics lc rgb '#dddddd'\n"
	      "set key outside right top vertical font 'sans,9'\n"
	      "set ylabel 'MiB'\n",
	      out);
	fprintf(out, "set multiplot layout %u,1 title ", panels);
	plot_quote(out, p->title ? p->title : "blimp timeline");
	fputs("\n", out);
	for (unsigned i = 0; i < p->n; i++)
		plot_vm_panel(out, p, i);
	fputs("set title ", out);
	char title[64];
	if (p->budget_bytes)
		snprintf(title, sizeof(title), "host (budget %.0f MiB)",
			 (double)p->budget_bytes / PLOT_MIB);
	else
		snprintf(title, sizeof(title), "host");
	plot_quote(out, title);
	fputs(" offset 0,-0.8\nset format x '%g'\nset xlabel ", out);
	plot_quote(out, p->xlabel ? p->xlabel : "seconds");
	fputs("\nset y2range [-0.5:4.5]\n"
	      "set y2tics ('low' 0, 'hard' 1, 'soft' 2, 'clear' 3, 'high' 4)\n"
	      "set y2label 'state'\n",
	      out);
	if (p->budget_bytes)
		fprintf(out, "set yrange [0:%.0f]\n",
			(double)p->budget_bytes / PLOT_MIB * 1.35 + 1);
	fputs("set key inside left top horizontal opaque box font 'sans,9'\n", out);
	if (host)
		fputs(
		    "plot $host using 1:($3/M) with lines lw 2 lc rgb '#1f5fbf' title 'free', \\\n"
		    "     $host using 1:($4/M) with lines dt 2 lc rgb '#555555' title 'budget', "
		    "\\\n"
		    "     $host using 1:2 axes x1y2 with steps lw 2 lc rgb '#ff7f0e' title "
		    "'state'\n",
		    out);
	fputs("unset multiplot\n", out);
}

int cli_plot_run(const char *dir, const char *script, char *why, size_t whylen)
{
	pid_t pid = fork();
	if (pid < 0) {
		int r = -errno;
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return r;
	}
	if (pid == 0) {
		if (chdir(dir) < 0)
			_exit(126);
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, whylen, "waitpid: %s", strerror(errno));
			return -EIO;
		}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		snprintf(why, whylen,
			 "gnuplot not found (apt-get install gnuplot-nox); the script is %s/%s",
			 dir, script);
		return -ENOENT;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(why, whylen, "gnuplot failed on %s/%s", dir, script);
		return -EIO;
	}
	return 0;
}
