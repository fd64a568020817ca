/*
 * DESIGN: the demo's picture. A gnuplot script (kept next to the CSV as timeline.gp,
 * so a user can tweak and rerun it) splits the CSV into one table per VM (`with table
 * if`: lines through rows filtered with NaN would break at every other VM's row), then
 * draws one panel per VM, CONSUMED, MCTLSZ, MCTLTGT, ACTV and SWCUR in MiB with the VM's active
 * phase shaded, and a host panel with the free memory against the budget and the ESX state on the
 * right axis. gnuplot runs with the output dir as its working directory, so the script names files
 * relatively.
 */
#include "cli/demo_core.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void demo_plot_script(FILE *out, char names[][DEMO_NAME_MAX], unsigned n, uint64_t phase_s,
		      uint64_t seconds, uint64_t budget_bytes)
{
	unsigned height = 200 * (n + 1) + 60;
	fprintf(out,
		"# blimp demo timeline: gnuplot timeline.gp (in the demo's output dir)\n"
		"set terminal pngcairo size 1100,%u font 'sans,10'\n"
		"set output 'timeline.png'\n"
		"M = 1048576.0\n"
		"# one table per VM: t consumed ovhd mctlsz mctltgt actv state free budget swcur\n"
		"set datafile separator ','\n",
		height);
	for (unsigned i = 0; i < n; i++)
		fprintf(out,
			"set table $vm%u\n"
			"plot 'timeline.csv' using 1:3:4:5:6:7:8:9:10:12 with table if "
			"(strcol(2) eq '%s')\n"
			"unset table\n",
			i, names[i]);
	fprintf(out,
		"set datafile separator whitespace\n"
		"set xrange [0:%" PRIu64 "]\n"
		"set yrange [0:*]\n"
		"set lmargin 10\nset rmargin 14\n"
		"set grid ytics lc rgb '#dddddd'\n"
		"set key outside right top vertical font 'sans,9'\n"
		"set ylabel 'MiB'\n"
		"set multiplot layout %u,1 title 'blimp demo: memory follows the active VM "
		"(shaded: its working-set phase)'\n",
		seconds, n + 1);
	for (unsigned i = 0; i < n; i++) {
		fprintf(out, "set title '%s' offset 0,-0.8\n", names[i]);
		if (phase_s)
			fprintf(out,
				"set object 1 rect from %" PRIu64 ", graph 0 to %" PRIu64
				", graph 1 fc rgb '#e4ecff' fs solid 1.0 noborder behind\n",
				phase_s * i, phase_s * (i + 1));
		fprintf(out, "set format x ''\nunset xlabel\n");
		fprintf(
		    out,
		    "plot $vm%u using 1:($2/M) with lines lw 2 lc rgb '#1f5fbf' title "
		    "'CONSUMED', \\\n"
		    "     $vm%u using 1:($4/M) with lines lw 2 lc rgb '#d62728' title 'MCTLSZ', "
		    "\\\n"
		    "     $vm%u using 1:($5/M) with lines dt 2 lc rgb '#d62728' title 'MCTLTGT', "
		    "\\\n"
		    "     $vm%u using 1:($6/M) with lines lw 2 lc rgb '#2ca02c' title 'ACTV', "
		    "\\\n"
		    "     $vm%u using 1:($10/M) with lines lw 1 lc rgb '#9467bd' title 'SWCUR'\n",
		    i, i, i, i, i);
		fputs("unset object 1\n", out);
	}
	/* Host panel: every VM's table carries the host columns; use the first. */
	fprintf(out,
		"set title 'host (budget %.0f MiB)' offset 0,-0.8\n"
		"set format x '%%g'\nset xlabel 'seconds'\n"
		"set y2range [-0.5:4.5]\n"
		"set y2tics ('low' 0, 'hard' 1, 'soft' 2, 'clear' 3, 'high' 4)\n"
		"set y2label 'state'\n"
		"set yrange [0:%.0f]\n"
		"set key inside left top horizontal opaque box font 'sans,9'\n",
		(double)budget_bytes / (double)DEMO_MIB,
		(double)budget_bytes / (double)DEMO_MIB * 1.35 + 1);
	if (n)
		fputs("plot $vm0 using 1:($8/M) with lines lw 2 lc rgb '#1f5fbf' title 'free', "
		      "\\\n"
		      "     $vm0 using 1:($9/M) with lines dt 2 lc rgb '#555555' title 'budget', "
		      "\\\n"
		      "     $vm0 using 1:7 axes x1y2 with steps lw 2 lc rgb '#ff7f0e' title "
		      "'state'\n",
		      out);
	fputs("unset multiplot\n", out);
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
	pid_t pid = fork();
	if (pid < 0) {
		int r = -errno;
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return r;
	}
	if (pid == 0) {
		if (chdir(dir) < 0)
			_exit(126);
		execlp("gnuplot", "gnuplot", "timeline.gp", (char *)NULL);
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
			 "gnuplot not found (apt-get install gnuplot-nox); the "
			 "script is %s",
			 path);
		return -ENOENT;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(why, whylen, "gnuplot failed on %s", path);
		return -EIO;
	}
	return 0;
}
