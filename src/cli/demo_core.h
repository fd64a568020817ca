/*
 * `blimp demo` internals. The demo starts its own blimpd, boots N built-in guests whose
 * working-set workloads take turns, records the scheduler's view every second and
 * plots it. The pieces:
 *   demo_plan.c      pure: the guests' schedule (shell command), the default budget
 *   demo_timeline.c  pure: timeline.csv rows and the running summary from `top` results
 *   demo_summary.c   pure: guest OOM kills in a kernel log, the summary text
 *   demo_daemon.c    fork/exec of blimpd next to the blimp binary, orderly stop
 *   demo_plot.c      the gnuplot script and running gnuplot
 *   demo_guests.c    the guests, through blimpd: start, fill, go, kernel logs
 *   demo_record.c    once a second: `top` into timeline.csv and onto the screen
 *   cmd_demo.c       options and the run itself
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <limits.h>
#include <signal.h>
#include <sys/types.h>
#include <time.h>

#include <json-c/json.h>

#include "cli/cli.h"

#define DEMO_MIB (1024ULL * 1024ULL)
#define DEMO_VMS_MAX 16
#define DEMO_NAME_MAX 16

struct demo_opts {
	const char *out_dir;   /* default "demo" */
	uint64_t seconds;      /* scheduler run, default 120 */
	uint64_t budget_bytes; /* 0: chosen from a measured OVHD (demo_plan_budget) */
	uint64_t vms;	       /* default 4 */
	uint64_t mem_bytes;    /* MEMSZ per VM, default 512M */
	uint64_t ws_mib;       /* the active VM's working set, default 300 */
	const char *policy;    /* default "blimp" */
	const char *guest_dir; /* NULL: <blimp's dir>/guest if it holds vmlinux */
	bool no_top;
	const char *socket; /* accepted like every command, unused: the demo runs its own */
};

/* Parse `blimp demo` options (pure). 0, CLI_PARSE_HELP, or -EINVAL/-ERANGE with err. */
int cli_demo_parse(int argc, char **argv, struct demo_opts *o, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* ---- plan (pure) ---- */

/* Memory the balloon may take from each demo VM: 80% of MEMSZ (ESX's default is 65%;
 * the demo's idle guests hold only their kernel, so it lets them give back more). */
uint64_t demo_plan_maxmemctl(uint64_t mem_bytes);

/* A budget that all VMs overcommit but that fits one active VM's working set plus the
 * idle ones ballooned to their floor, each with its QEMU overhead (ovhd_bytes, as
 * measured), plus the 6% minFree the scheduler keeps free. Rounded up to 64 MiB. */
uint64_t demo_plan_budget(uint64_t vms, uint64_t mem_bytes, uint64_t ws_mib, uint64_t ovhd_bytes);

/* The guests' boot command: read the data disk once into page cache, then say so in
 * /tmp/demo-filled. snprintf semantics. */
int demo_plan_guest_cmd(char *buf, size_t len);
/* The shell command that starts a phase: `wsloop WS` for duration_s (at least 1) in the
 * background, logging to /tmp/wsloop.log. snprintf semantics. */
int demo_plan_phase_cmd(uint64_t duration_s, uint64_t ws_mib, char *buf, size_t len);
/* Which VM index is active at t_s seconds after the start (n when none). */
unsigned demo_plan_active(uint64_t t_s, unsigned n, uint64_t phase_s);

/* ---- timeline (pure) ---- */

struct demo_stats {
	uint64_t samples;
	uint64_t settled_ms;		  /* first sample within budget (UINT64_MAX: none
					   * yet): the start-up the "settled" peak leaves out */
	uint64_t memsz_sum_bytes;	  /* largest sum of MEMSZ seen */
	uint64_t budget_bytes;		  /* last sample's budget */
	uint64_t peak_held_bytes;	  /* max over samples of sum CONSUMED + OVHD */
	uint64_t peak_held_settled_bytes; /* the same from settled_ms on */
	uint64_t peak_mctlsz_bytes;	  /* max over samples of sum MCTLSZ */
	uint64_t min_free_bytes;	  /* min of the host's free (budget less VMs) */
	uint64_t min_available_bytes;	  /* min of the host's MemAvailable */
	uint64_t peak_swcur_bytes;	  /* max over samples of sum SWCUR */
	uint64_t over_budget_samples;	  /* samples where CONSUMED + OVHD exceeded the budget */
	char worst_state[16];		  /* lowest ESX state seen */
};
void demo_stats_init(struct demo_stats *s);

/* timeline.csv header: t_s,vm,consumed,ovhd,mctlsz,mctltgt,actv,state,free,budget,
 * memsz,swcur,available (bytes). */
void demo_timeline_header(FILE *out);
/* Append one row per VM of a `top` result at t_ms since the start (t_s printed with
 * one decimal) and fold the sample into s. Returns the number of rows written. */
int demo_timeline_rows(json_object *top, uint64_t t_ms, FILE *out, struct demo_stats *s);
/* ESX state as a number for plotting: high 4, clear 3, soft 2, hard 1, low 0; -1 unknown. */
int demo_state_level(const char *state);

/* ---- summary (pure) ---- */

/* Guest OOM kills in a kernel log ("Out of memory: Killed process", "oom-kill:"
 * counted once per kill). */
unsigned demo_oom_count(const char *dmesg);

struct demo_vm_result {
	char name[DEMO_NAME_MAX];
	int oom_kills;	      /* -1: the kernel log could not be read */
	uint64_t pages_per_s; /* median wsloop throughput in its phase, 0 if unknown */
};
/* Median of the pages_per_s= values in wsloop's log; 0 if none. */
uint64_t demo_wsloop_median(const char *log);
void demo_summary_write(FILE *out, const struct demo_stats *s, const struct demo_vm_result *vm,
			unsigned n, uint64_t host_oom_kills, const char *policy, uint64_t seconds);

/* ---- blimpd (I/O) ---- */

struct demo_daemon {
	pid_t pid;
	char exe[4096];
	char log_path[4096];
};
/* Start blimpd (next to /proc/self/exe) with --state-dir DIR/state --socket SOCK
 * --config DIR/blimpd.conf (host swap file on) and the given policy and budget
 * (0: blimpd's default); wait until it answers `status` (or `*stop` is set). 0 or
 * -errno with why. */
int demo_daemon_start(struct demo_daemon *d, const char *dir, const char *socket,
		      const char *guest_dir, const char *policy, uint64_t budget_bytes,
		      uint64_t swap_bytes, volatile sig_atomic_t *stop, char *why, size_t whylen)
    __attribute__((warn_unused_result));
/* Ask it to exit (keep_vms: leave the VMs running), wait up to wait_s, then SIGTERM and
 * SIGKILL. Always reaps the child. 0 if it exited by itself with status 0. */
int demo_daemon_stop(struct demo_daemon *d, const char *socket, bool keep_vms, int wait_s);
/* The directory of the running blimp binary (for blimpd and the built-in guest). */
int demo_exe_dir(char *buf, size_t len) __attribute__((warn_unused_result));

/* ---- plot (I/O) ---- */

/* Write DIR/timeline.gp for the VMs (names in order) and the phases, then run gnuplot
 * on it to make DIR/timeline.png. 0, -ENOENT when gnuplot is missing, or -EIO. */
int demo_plot(const char *dir, char names[][DEMO_NAME_MAX], unsigned n, uint64_t phase_s,
	      uint64_t seconds, uint64_t budget_bytes, char *why, size_t whylen)
    __attribute__((warn_unused_result));
/* The gnuplot script itself (pure, for tests). */
void demo_plot_script(FILE *out, char names[][DEMO_NAME_MAX], unsigned n, uint64_t phase_s,
		      uint64_t seconds, uint64_t budget_bytes);

/* ---- the run (cmd_demo.c, demo_guests.c, demo_record.c) ---- */

/* Set by SIGINT/SIGTERM/SIGHUP: every wait of the demo returns early. */
extern volatile sig_atomic_t demo_stop;

/* Under TCG, QEMU's translation cache grows as a guest runs new code: right after the
 * boot and the page-cache fill the built-in guest's OVHD is 95-160 MiB and it settles
 * near 160 MiB (measured, 512 MiB guests, QEMU 7.2). The budget counts the settled value. */
#define DEMO_TCG_OVHD_BYTES (160 * DEMO_MIB)

struct demo {
	struct demo_opts o;
	char dir[PATH_MAX];
	char socket[PATH_MAX];
	char guest_dir[PATH_MAX + 32];
	struct cli_ctx ctx;
	struct demo_daemon daemon;
	char names[DEMO_VMS_MAX][DEMO_NAME_MAX];
	unsigned started;
	uint64_t budget_bytes;
	uint64_t phase_s;
	bool screen;
	unsigned phase_errors; /* phases that could not be started */
};

uint64_t demo_now_ms(clockid_t clk);
/* Sleep ms, or less if asked to stop. */
void demo_nap(uint64_t ms);
/* "demo: ..." on stdout, flushed. */
void demo_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Guests (demo_guests.c). Each returns a CLI exit status. */
int demo_exec(struct demo *d, const char *name, const char *const *argv, int timeout_ms,
	      int *status, char **output);
int demo_start_vms(struct demo *d);
int demo_wait_filled(struct demo *d);
bool demo_is_tcg(struct demo *d);
uint64_t demo_measure_ovhd(struct demo *d);
/* Start VM i's phase: wsloop for duration_s, through the agent. */
int demo_start_phase(struct demo *d, unsigned i, uint64_t duration_s);
void demo_collect_guests(struct demo *d, struct demo_vm_result *res);

/* The scheduler run (demo_record.c): until --seconds passed or demo_stop. */
int demo_record(struct demo *d, uint64_t t0_real_ms, struct demo_stats *stats);
