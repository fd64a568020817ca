/*
 * The memory timeline as a picture (`blimp demo`, `blimp plot`): a gnuplot script over
 * a timeline CSV, one panel per VM (CONSUMED, MCTLSZ, MCTLTGT, ACTV, SWCUR in MiB) and a
 * host panel (free against the budget, the ESX state on the right axis), and running
 * gnuplot on it.
 *
 * The CSV's first columns are the demo's timeline.csv:
 *   t_s,vm,consumed,ovhd,mctlsz,mctltgt,actv,state,free,budget,memsz,swcur
 * (state as a level: low 0, hard 1, soft 2, clear 3, high 4; -1 unknown); more may follow.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cli_plot {
	const char *csv;	  /* the CSV, as gnuplot opens it (relative to its directory) */
	const char *out;	  /* the picture */
	const char *terminal;	  /* "pngcairo" (default) or "svg" */
	const char *title;	  /* the page's title */
	const char *const *names; /* the VMs, one panel each, in order */
	unsigned n;
	/* vm column of rows that carry the host's figures; NULL: the first VM's rows */
	const char *host_rows;
	uint64_t phase_s;      /* VM i's phase [i, i+1) x phase_s shaded; 0: none */
	uint64_t x_max_s;      /* x axis 0..x_max_s; 0: as the data go */
	uint64_t budget_bytes; /* the host panel's scale; 0: as the data go */
	const char *xlabel;    /* default "seconds" */
};

/* The ESX state as the plots' level (low 0, hard 1, soft 2, clear 3, high 4; -1 for
 * NULL or anything else), and back (NULL outside 0..4). */
int cli_plot_state_level(const char *state);
const char *cli_plot_state_name(int level);
/* Panels the script draws: one per VM and the host's. */
unsigned cli_plot_panels(const struct cli_plot *p);
/* The script (pure). Strings are quoted for gnuplot, so any path or title is safe. */
void cli_plot_script(FILE *out, const struct cli_plot *p);
/* Run `gnuplot SCRIPT` in dir. 0, -ENOENT when gnuplot is missing (why says how to get
 * it), or -EIO. */
int cli_plot_run(const char *dir, const char *script, char *why, size_t whylen);
