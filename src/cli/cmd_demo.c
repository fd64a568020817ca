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

static volatile int demo_stop;

static void demo_on_signal(int sig)
{
	(void)sig;
	demo_stop = 1;
}

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
};

static uint64_t demo_now_ms(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Sleep ms, or less if asked to stop. */
static void demo_nap(uint64_t ms)
{
	uint64_t end = demo_now_ms(CLOCK_MONOTONIC) + ms;
	while (!demo_stop) {
		uint64_t now = demo_now_ms(CLOCK_MONOTONIC);
		if (now >= end)
			return;
		uint64_t left = end - now > 200 ? 200 : end - now;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)left * 1000000L};
		nanosleep(&ts, NULL);
	}
}

static void demo_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void demo_say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("demo: ", stdout);
	vprintf(fmt, ap);
	fputs("\n", stdout);
	fflush(stdout);
	va_end(ap);
}

/* Run argv in a guest; 0 with the guest's status (and output, malloc'ed, if wanted),
 * or an exit status from the request. */
static int demo_exec(struct demo *d, const char *name, const char *const *argv, int timeout_ms,
		     int *status, char **output)
{
	json_object *args = json_object_new_object();
	json_object *av = json_object_new_array();
	if (!args || !av) {
		json_object_put(args);
		json_object_put(av);
		return CLI_EXIT_DAEMON;
	}
	for (const char *const *p = argv; *p; p++)
		json_object_array_add(av, json_object_new_string(*p));
	json_object_object_add(args, "name", json_object_new_string(name));
	json_object_object_add(args, "argv", av);
	json_object_object_add(args, "timeout_ms", json_object_new_int(timeout_ms));
	struct cli_reply rep;
	int rc = cli_request_quiet(&d->ctx, "exec", args, timeout_ms + 15000, &rep);
	json_object_put(args);
	if (rc != CLI_EXIT_OK) {
		if (rc == CLI_EXIT_DAEMON)
			cli_reply_free(&rep);
		return rc;
	}
	*status = cli_exec_exit_status(rep.result);
	if (output) {
		const char *s = cli_json_str(rep.result, "output");
		*output = strdup(s ? s : "");
	}
	cli_reply_free(&rep);
	return CLI_EXIT_OK;
}

static int demo_start_vms(struct demo *d)
{
	for (unsigned i = 0; i < d->o.vms && !demo_stop; i++) {
		char script[1024];
		int n = demo_plan_guest_cmd(i, (unsigned)d->o.vms, d->phase_s, d->o.ws_mib, script,
					    sizeof(script));
		if (n < 0 || (size_t)n >= sizeof(script))
			return CLI_EXIT_USAGE;
		snprintf(d->names[i], DEMO_NAME_MAX, "vm%u", i + 1);
		json_object *args = json_object_new_object();
		json_object *cmd = json_object_new_array();
		if (!args || !cmd) {
			json_object_put(args);
			json_object_put(cmd);
			return CLI_EXIT_DAEMON;
		}
		json_object_array_add(cmd, json_object_new_string("sh"));
		json_object_array_add(cmd, json_object_new_string("-c"));
		json_object_array_add(cmd, json_object_new_string(script));
		json_object_object_add(args, "name", json_object_new_string(d->names[i]));
		json_object_object_add(args, "mem", json_object_new_uint64(d->o.mem_bytes));
		json_object_object_add(args, "maxmemctl",
				       json_object_new_uint64(demo_plan_maxmemctl(d->o.mem_bytes)));
		/* A guest swap disk: a guest squeezed past its floor swaps rather than
		 * OOM-killing (deflate-on-OOM is the other safety net). */
		json_object_object_add(args, "guest_swap", json_object_new_uint64(256 * DEMO_MIB));
		json_object_object_add(args, "cmd", cmd);
		struct cli_reply rep;
		demo_say("starting %s (MEMSZ %" PRIu64 " MiB)", d->names[i],
			 (uint64_t)(d->o.mem_bytes / DEMO_MIB));
		int rc = cli_request(&d->ctx, "start", args, CLI_START_TIMEOUT_MS, &rep);
		json_object_put(args);
		if (rc != CLI_EXIT_OK)
			return rc;
		cli_reply_free(&rep);
		d->started = i + 1;
	}
	return CLI_EXIT_OK;
}

/* Wait until every guest's agent answers and its page cache is filled. */
static int demo_wait_filled(struct demo *d)
{
	static const char *const test_filled[] = {"test", "-e", "/tmp/demo-filled", NULL};
	uint64_t end = demo_now_ms(CLOCK_MONOTONIC) + 300000;
	for (unsigned i = 0; i < d->started && !demo_stop; i++) {
		for (;;) {
			int st = -1;
			int rc = demo_exec(d, d->names[i], test_filled, 10000, &st, NULL);
			if (rc == CLI_EXIT_OK && st == 0)
				break;
			if (rc == CLI_EXIT_UNREACHABLE) {
				cli_error("demo", "blimpd stopped answering (see %s)",
					  d->daemon.log_path);
				return rc;
			}
			if (demo_now_ms(CLOCK_MONOTONIC) > end) {
				cli_error("demo", "%s did not fill its page cache in 300 s",
					  d->names[i]);
				return CLI_EXIT_DAEMON;
			}
			demo_nap(1000);
			if (demo_stop)
				return CLI_EXIT_OK;
		}
		demo_say("%s booted, page cache filled", d->names[i]);
	}
	return CLI_EXIT_OK;
}

/* Under TCG, QEMU's translation cache grows as a guest runs new code: right after the
 * boot and the page-cache fill the built-in guest's OVHD is 95-160 MiB and it settles
 * near 160 MiB (measured, 512 MiB guests, QEMU 7.2). Budget for the settled value. */
#define DEMO_TCG_OVHD_BYTES (160 * DEMO_MIB)
/* Ctrl-C: the shell's convention, 128 + SIGINT. */
#define DEMO_EXIT_INTERRUPTED 130

static bool demo_is_tcg(struct demo *d)
{
	struct cli_reply rep;
	if (cli_request_quiet(&d->ctx, "status", NULL, CLI_TIMEOUT_MS, &rep) != CLI_EXIT_OK)
		return false;
	const char *accel = cli_json_str(rep.result, "accel");
	bool tcg = accel && strcmp(accel, "tcg") == 0;
	cli_reply_free(&rep);
	return tcg;
}

/* Largest OVHD among the VMs now (0 if unknown). */
static uint64_t demo_measure_ovhd(struct demo *d)
{
	struct cli_reply rep;
	uint64_t max = 0;
	if (cli_request_quiet(&d->ctx, "top", NULL, CLI_TIMEOUT_MS, &rep) != CLI_EXIT_OK)
		return 0;
	json_object *vms;
	if (rep.result && json_object_object_get_ex(rep.result, "vms", &vms) &&
	    json_object_is_type(vms, json_type_array))
		for (size_t i = 0; i < json_object_array_length(vms); i++) {
			uint64_t v;
			if (cli_json_u64(json_object_array_get_idx(vms, i), "ovhd", &v) && v > max)
				max = v;
		}
	cli_reply_free(&rep);
	return max;
}

static int demo_go(struct demo *d, time_t t0)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "echo %lld >/tmp/demo-go.t && mv /tmp/demo-go.t /tmp/demo-go",
		 (long long)t0);
	const char *const argv[] = {"sh", "-c", cmd, NULL};
	for (unsigned i = 0; i < d->started; i++) {
		int st = -1;
		int rc = demo_exec(d, d->names[i], argv, 10000, &st, NULL);
		if (rc != CLI_EXIT_OK || st != 0) {
			cli_error("demo", "could not start %s's schedule", d->names[i]);
			return rc != CLI_EXIT_OK ? rc : CLI_EXIT_DAEMON;
		}
	}
	return CLI_EXIT_OK;
}

static void demo_draw(struct demo *d, json_object *top, uint64_t t_s)
{
	unsigned a = demo_plan_active(t_s, (unsigned)d->o.vms, d->phase_s);
	char *screen = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&screen, &len);
	if (!m)
		return;
	fprintf(m,
		"blimp demo  t=%" PRIu64 "/%" PRIu64 " s  active: %s  policy %s  (Ctrl-C stops)\n",
		t_s, d->o.seconds, a < d->o.vms ? d->names[a] : "-", d->o.policy);
	time_t now = time(NULL);
	struct tm tm;
	char clock[16];
	localtime_r(&now, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	if (top)
		cli_format_top(top, clock, m);
	else
		fputs("(no answer from blimpd this second)\n", m);
	fclose(m);
	fputs("\033[H", stdout);
	for (char *line = screen, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		fwrite(line, 1, n, stdout);
		fputs("\033[K\n", stdout);
		if (!nl)
			break;
	}
	fputs("\033[J", stdout);
	fflush(stdout);
	free(screen);
}

static void demo_progress(struct demo *d, json_object *top, uint64_t t_s)
{
	json_object *host = top ? cli_json_unwrap(top, "host") : NULL;
	char f[32];
	unsigned a = demo_plan_active(t_s, (unsigned)d->o.vms, d->phase_s);
	printf("demo: t=%3" PRIu64 " s active %-5s state %-5s free %-8s", t_s,
	       a < d->o.vms ? d->names[a] : "-",
	       host && cli_json_str(host, "state") ? cli_json_str(host, "state") : "-",
	       host ? cli_fmt_size(host, "free", f, sizeof(f)) : "-");
	json_object *vms;
	if (top && json_object_object_get_ex(top, "vms", &vms) &&
	    json_object_is_type(vms, json_type_array))
		for (size_t i = 0; i < json_object_array_length(vms); i++) {
			json_object *vm = json_object_array_get_idx(vms, i);
			char c[32], b[32], n[32];
			printf(" | %s %s/%s", cli_sanitize(cli_json_str(vm, "name"), n, sizeof(n)),
			       cli_fmt_size(vm, "consumed", c, sizeof(c)),
			       cli_fmt_size(vm, "mctlsz", b, sizeof(b)));
		}
	printf("\n");
	fflush(stdout);
}

/* The scheduler run: one `top` per second into the CSV (and the screen). */
static int demo_record(struct demo *d, uint64_t t0_real_ms, struct demo_stats *stats)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/timeline.csv", d->dir);
	FILE *csv = fopen(path, "w");
	if (!csv) {
		cli_error("demo", "cannot write %s: %s", path, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	demo_timeline_header(csv);
	if (d->screen)
		fputs("\033[?1049h\033[?25l", stdout);
	struct cli_conn conn;
	bool open = false;
	uint64_t start_mono = demo_now_ms(CLOCK_MONOTONIC);
	uint64_t misses = 0;
	for (uint64_t i = 0; !demo_stop; i++) {
		uint64_t next = start_mono + (i + 1) * 1000;
		if (!open && cli_conn_open(&conn, d->socket, 2000) == 0)
			open = true;
		struct cli_reply rep = {0};
		bool got = false;
		if (open) {
			if (cli_conn_call(&conn, "top", NULL, 5000, &rep) == 0) {
				got = rep.ok;
				if (!rep.ok)
					cli_reply_free(&rep);
			} else {
				cli_conn_close(&conn);
				open = false;
			}
		}
		uint64_t now_real = demo_now_ms(CLOCK_REALTIME);
		uint64_t t_ms = now_real > t0_real_ms ? now_real - t0_real_ms : 0;
		if (got) {
			demo_timeline_rows(rep.result, t_ms, csv, stats);
			fflush(csv);
			misses = 0;
		} else if (++misses >= 30) {
			if (d->screen)
				fputs("\033[?25h\033[?1049l", stdout);
			cli_error("demo", "blimpd has not answered for 30 s (see %s)",
				  d->daemon.log_path);
			fclose(csv);
			return CLI_EXIT_UNREACHABLE;
		}
		if (d->screen)
			demo_draw(d, got ? rep.result : NULL, t_ms / 1000);
		else if (i % 10 == 0)
			demo_progress(d, got ? rep.result : NULL, t_ms / 1000);
		if (got)
			cli_reply_free(&rep);
		if (t_ms >= d->o.seconds * 1000)
			break;
		uint64_t now = demo_now_ms(CLOCK_MONOTONIC);
		if (next > now)
			demo_nap(next - now);
	}
	if (open)
		cli_conn_close(&conn);
	if (d->screen)
		fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	fclose(csv);
	return CLI_EXIT_OK;
}

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

static void demo_collect_guests(struct demo *d, struct demo_vm_result *res)
{
	static const char *const dmesg[] = {"dmesg", NULL};
	static const char *const wslog[] = {"cat", "/tmp/wsloop.log", NULL};
	for (unsigned i = 0; i < d->started; i++) {
		snprintf(res[i].name, sizeof(res[i].name), "%s", d->names[i]);
		res[i].oom_kills = -1;
		int st = -1;
		char *out = NULL;
		if (demo_exec(d, d->names[i], dmesg, 20000, &st, &out) == CLI_EXIT_OK && st == 0)
			res[i].oom_kills = (int)demo_oom_count(out);
		free(out);
		out = NULL;
		if (demo_exec(d, d->names[i], wslog, 10000, &st, &out) == CLI_EXIT_OK && st == 0)
			res[i].pages_per_s = demo_wsloop_median(out);
		free(out);
	}
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
	/* The guests start full of page cache, over any budget; the "settled" peak leaves
	 * out the first half phase (at most 30 s) in which the scheduler reclaims it. */
	stats.settle_ms = (d.phase_s / 2 < 30 ? d.phase_s / 2 : 30) * 1000;
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
	/* Phases start on a whole second a moment from now, the same for every guest. */
	time_t t0 = time(NULL) + 2;
	rc = demo_go(&d, t0);
	if (rc == CLI_EXIT_OK) {
		demo_say("scheduler running for %" PRIu64 " s, %" PRIu64 " s per phase",
			 d.o.seconds, d.phase_s);
		while (!demo_stop && time(NULL) < t0)
			demo_nap(50);
		rc = demo_record(&d, (uint64_t)t0 * 1000, &stats);
	}
	bool interrupted = demo_stop;
	demo_finish(&d, &stats, oom_before, stats.samples > 0);
	return rc == CLI_EXIT_OK && interrupted ? DEMO_EXIT_INTERRUPTED : rc;
}
