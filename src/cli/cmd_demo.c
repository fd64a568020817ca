/*
 * DESIGN: blimp demo, the README's main job. It runs the whole system for a couple of
 * minutes and leaves a record a person can look at:
 *   1. start a private blimpd (demo_daemon.c) with the static policy, boot N built-in
 *      guests; each reads its data disk into page cache (demo_plan.c);
 *   2. measure the idle guests' QEMU overhead, choose a budget they overcommit
 *      (unless --budget), restart blimpd with --keep-vms under the policy to show;
 *   3. tell the guests to start their schedule (VM i runs a working set in phase i),
 *      then every second fetch `top`, draw the top screen, append timeline.csv;
 *   4. read each guest's kernel log for OOM kills and wsloop's throughput, shut
 *      everything down (VMs stopped, host settings restored), plot with gnuplot,
 *      print and write the summary.
 * Ctrl-C (or SIGTERM/SIGHUP) at any point skips to step 4 with what was recorded.
 */
#include "cli/demo_cmd.h"
#include "cli/demo_core.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli/format.h"
#include "cli/parse.h"
#include "util/size.h"

static const char cli_demo_usage[] =
    "Usage: blimp demo [--out DIR] [--seconds N] [--budget SIZE] [--vms N] [--mem SIZE]\n"
    "                  [--ws MIB] [--policy NAME] [--guest-dir DIR] [--no-top]\n"
    "Runs its own blimpd and N built-in guests whose working sets take turns, shows the\n"
    "top screen while the scheduler moves memory, then writes DIR/timeline.csv,\n"
    "DIR/timeline.png (gnuplot) and DIR/summary.txt. Ctrl-C stops early, cleanly\n"
    "(exit status 130).\n"
    "  -o, --out DIR        output directory (default ./demo)\n"
    "  -t, --seconds N      how long the scheduler runs, 8..86400 (default 120)\n"
    "  -b, --budget SIZE    memory budget for the VMs (default: chosen from the\n"
    "                       measured QEMU overhead so that ballooning is needed)\n"
    "  -n, --vms N          number of VMs, 1..16 (default 4)\n"
    "  -m, --mem SIZE       MEMSZ of each VM, 128M..4G (default 512M)\n"
    "  -w, --ws MIB         the active VM's working set (default 300)\n"
    "  -p, --policy NAME    blimp, static, proxmox or mom (default blimp)\n"
    "  -g, --guest-dir DIR  the built-in guest (default: guest/ next to blimp)\n"
    "      --no-top         print a progress line every 10 s instead of the screen\n";

int cli_demo_parse(int argc, char **argv, struct demo_opts *o, char *err, size_t errlen)
{
	enum { OPT_NO_TOP = 1000 };
	static const struct option longopts[] = {
	    {"out", required_argument, NULL, 'o'},
	    {"seconds", required_argument, NULL, 't'},
	    {"budget", required_argument, NULL, 'b'},
	    {"vms", required_argument, NULL, 'n'},
	    {"mem", required_argument, NULL, 'm'},
	    {"ws", required_argument, NULL, 'w'},
	    {"policy", required_argument, NULL, 'p'},
	    {"guest-dir", required_argument, NULL, 'g'},
	    {"no-top", no_argument, NULL, OPT_NO_TOP},
	    CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	*o = (struct demo_opts){.out_dir = "demo",
				.seconds = 120,
				.vms = 4,
				.mem_bytes = 512 * DEMO_MIB,
				.ws_mib = 300,
				.policy = "blimp"};
	CLI_GETOPT_RESET();
	int c, r = 0;
	while ((c = getopt_long(argc, argv, ":o:t:b:n:m:w:p:g:" CLI_COMMON_SHORTOPTS, longopts,
				NULL)) != -1) {
		switch (c) {
		case 'o':
			o->out_dir = optarg;
			if (!*optarg) {
				snprintf(err, errlen, "--out: empty directory name");
				return -EINVAL;
			}
			break;
		case 't':
			r = cli_parse_uint("--seconds", optarg, 8, 86400, &o->seconds, err, errlen);
			break;
		case 'b':
			r = cli_parse_size("--budget", optarg, &o->budget_bytes, err, errlen);
			if (r == 0 && o->budget_bytes < 64 * DEMO_MIB) {
				snprintf(err, errlen, "--budget: %s is below 64M", optarg);
				r = -ERANGE;
			}
			break;
		case 'n':
			r = cli_parse_uint("--vms", optarg, 1, DEMO_VMS_MAX, &o->vms, err, errlen);
			break;
		case 'm':
			r = cli_parse_size("--mem", optarg, &o->mem_bytes, err, errlen);
			if (r == 0 &&
			    (o->mem_bytes < 128 * DEMO_MIB || o->mem_bytes > 4096 * DEMO_MIB)) {
				snprintf(err, errlen, "--mem: %s is outside 128M..4G", optarg);
				r = -ERANGE;
			}
			break;
		case 'w':
			r = cli_parse_uint("--ws", optarg, 1, 65536, &o->ws_mib, err, errlen);
			break;
		case 'p':
			o->policy = optarg;
			if (strcmp(optarg, "blimp") && strcmp(optarg, "static") &&
			    strcmp(optarg, "proxmox") && strcmp(optarg, "mom")) {
				snprintf(err, errlen,
					 "--policy: '%s' is not blimp, static, proxmox or mom",
					 optarg);
				r = -EINVAL;
			}
			break;
		case 'g':
			o->guest_dir = optarg;
			break;
		case OPT_NO_TOP:
			o->no_top = true;
			break;
			CLI_COMMON_CASES(o);
		}
		if (r < 0)
			return r;
	}
	if (o->ws_mib * DEMO_MIB >= o->mem_bytes) {
		snprintf(err, errlen, "--ws: %" PRIu64 " MiB does not fit in --mem", o->ws_mib);
		return -ERANGE;
	}
	return cli_parse_positionals(optind, argc, argv, NULL, 0, 0, err, errlen);
}

/* ---- the run ---- */

volatile sig_atomic_t demo_stop;

static void demo_on_signal(int sig)
{
	(void)sig;
	demo_stop = 1;
}

/* Ctrl-C: the shell's convention, 128 + SIGINT. */
#define DEMO_EXIT_INTERRUPTED 130

static uint64_t demo_host_oom_kills(void)
{
	FILE *f = fopen("/proc/vmstat", "r");
	if (!f)
		return 0;
	char line[128];
	unsigned long long v = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "oom_kill %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int demo_prepare_dir(struct demo *d, char *why, size_t whylen)
{
	if (mkdir(d->o.out_dir, 0755) < 0 && errno != EEXIST) {
		snprintf(why, whylen, "cannot create %s: %s", d->o.out_dir, strerror(errno));
		return -errno;
	}
	if (!realpath(d->o.out_dir, d->dir)) {
		snprintf(why, whylen, "%s: %s", d->o.out_dir, strerror(errno));
		return -errno;
	}
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path);
	int n = snprintf(d->socket, sizeof(d->socket), "%s/blimpd.sock", d->dir);
	if (n < 0 || (size_t)n >= max) {
		snprintf(why, whylen,
			 "%.300s/blimpd.sock is too long for a unix socket; use a "
			 "shorter --out",
			 d->dir);
		return -ENAMETOOLONG;
	}
	unlink(d->socket);
	d->ctx.socket_path = d->socket;
	if (d->o.guest_dir) {
		if (!realpath(d->o.guest_dir, d->guest_dir)) {
			snprintf(why, whylen, "--guest-dir %s: %s", d->o.guest_dir,
				 strerror(errno));
			return -errno;
		}
	} else {
		char exe[PATH_MAX], probe[PATH_MAX + 32];
		if (demo_exe_dir(exe, sizeof(exe)) == 0) {
			snprintf(probe, sizeof(probe), "%s/guest/vmlinux", exe);
			if (access(probe, R_OK) == 0)
				snprintf(d->guest_dir, sizeof(d->guest_dir), "%s/guest", exe);
		}
	}
	return 0;
}

static void demo_finish(struct demo *d, const struct demo_stats *stats, uint64_t oom_before,
			bool recorded)
{
	struct demo_vm_result res[DEMO_VMS_MAX];
	memset(res, 0, sizeof(res));
	bool interrupted = demo_stop;
	demo_stop = 0; /* a Ctrl-C ends the run, not the clean-up */
	if (d->started) {
		demo_say("reading the guests' kernel logs");
		demo_collect_guests(d, res);
	}
	if (d->daemon.pid > 0) {
		demo_say("shutting down (VMs stopped, host settings restored)");
		if (demo_daemon_stop(&d->daemon, d->socket, false, 120) < 0)
			cli_error("demo", "blimpd did not stop cleanly (see %s)",
				  d->daemon.log_path);
	}
	uint64_t oom_after = demo_host_oom_kills();
	if (!recorded)
		return;
	char why[512];
	if (demo_plot(d->dir, d->names, d->started, d->phase_s, d->o.seconds, d->budget_bytes, why,
		      sizeof(why)) < 0)
		cli_error("demo", "no plot: %s", why);
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/summary.txt", d->dir);
	FILE *f = fopen(path, "w");
	uint64_t host_ooms = oom_after >= oom_before ? oom_after - oom_before : 0;
	if (f) {
		demo_summary_write(f, stats, res, d->started, host_ooms, d->o.policy, d->o.seconds);
		if (interrupted)
			fputs("(interrupted before the end)\n", f);
		fclose(f);
	}
	fputs("\n", stdout);
	demo_summary_write(stdout, stats, res, d->started, host_ooms, d->o.policy, d->o.seconds);
	if (interrupted)
		fputs("(interrupted before the end)\n", stdout);
	printf("\nwrote %s/timeline.csv, %s/timeline.png, %s/summary.txt\n", d->dir, d->dir,
	       d->dir);
}

int cli_demo_run(const struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	static struct demo d; /* large; one demo per process */
	memset(&d, 0, sizeof(d));
	char err[512];
	int rc, r = cli_demo_parse(argc, argv, &d.o, err, sizeof(err));
	if (cli_parse_done("demo", r, err, cli_demo_usage, &rc))
		return rc;
	struct demo_stats stats;
	demo_stats_init(&stats);
	if (demo_prepare_dir(&d, err, sizeof(err)) < 0) {
		cli_error("demo", "%s", err);
		return CLI_EXIT_USAGE;
	}
	d.phase_s = d.o.seconds / d.o.vms;
	d.screen = !d.o.no_top && isatty(STDOUT_FILENO);
	struct sigaction sa = {.sa_handler = demo_on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	demo_stop = 0;
	uint64_t oom_before = demo_host_oom_kills();
	const char *gdir = d.guest_dir[0] ? d.guest_dir : NULL;
	/* A host swap file as large as all VMs: room for whatever the balloon cannot take
	 * in time (the guests start out full of page cache). */
	uint64_t swap = d.o.vms * d.o.mem_bytes;

	demo_say("output in %s; blimpd log %s/blimpd.log", d.dir, d.dir);
	demo_say("starting blimpd (static policy while the guests boot and fill their caches)");
	r = demo_daemon_start(&d.daemon, d.dir, d.socket, gdir, "static", 0, swap, &demo_stop, err,
			      sizeof(err));
	if (r < 0) {
		cli_error("demo", "%s", err);
		return CLI_EXIT_DAEMON;
	}
	rc = demo_start_vms(&d);
	if (rc == CLI_EXIT_OK && !demo_stop)
		rc = demo_wait_filled(&d);
	if (rc != CLI_EXIT_OK || demo_stop) {
		bool interrupted = demo_stop;
		demo_finish(&d, &stats, oom_before, false);
		return rc == CLI_EXIT_OK && interrupted ? DEMO_EXIT_INTERRUPTED : rc;
	}
	uint64_t ovhd = demo_measure_ovhd(&d);
	if (demo_is_tcg(&d) && ovhd < DEMO_TCG_OVHD_BYTES)
		ovhd = DEMO_TCG_OVHD_BYTES;
	d.budget_bytes = d.o.budget_bytes
			     ? d.o.budget_bytes
			     : demo_plan_budget(d.o.vms, d.o.mem_bytes, d.o.ws_mib, ovhd);
	char b1[32], b2[32];
	demo_say("idle QEMU overhead %s per VM; budget %s for %" PRIu64 " x %s (%.2fx by MEMSZ)",
		 size_format(ovhd, b1, sizeof(b1)), size_format(d.budget_bytes, b2, sizeof(b2)),
		 d.o.vms, size_format(d.o.mem_bytes, err, sizeof(err)),
		 (double)(d.o.vms * d.o.mem_bytes) / (double)d.budget_bytes);
	demo_say("restarting blimpd with --policy %s --host-mem %s (VMs kept)", d.o.policy, b2);
	if (demo_daemon_stop(&d.daemon, d.socket, true, 60) < 0) {
		cli_error("demo", "blimpd did not stop (see %s)", d.daemon.log_path);
		demo_finish(&d, &stats, oom_before, false);
		return CLI_EXIT_DAEMON;
	}
	r = demo_daemon_start(&d.daemon, d.dir, d.socket, gdir, d.o.policy, d.budget_bytes, swap,
			      &demo_stop, err, sizeof(err));
	if (r < 0) {
		cli_error("demo", "%s", err);
		demo_finish(&d, &stats, oom_before, false);
		return CLI_EXIT_DAEMON;
	}
	demo_say("scheduler running for %" PRIu64 " s, %" PRIu64 " s per phase", d.o.seconds,
		 d.phase_s);
	rc = demo_record(&d, demo_now_ms(CLOCK_REALTIME), &stats);
	if (d.phase_errors)
		cli_error("demo", "%u phases could not be started in their guest", d.phase_errors);
	bool interrupted = demo_stop;
	demo_finish(&d, &stats, oom_before, stats.samples > 0);
	return rc == CLI_EXIT_OK && interrupted ? DEMO_EXIT_INTERRUPTED : rc;
}
