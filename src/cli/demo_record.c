/*
 * DESIGN: the demo's clock and record. Once a second one `top` over a kept connection
 * (reopened if blimpd goes away) becomes timeline.csv rows and either the top screen
 * (the `blimp top` formatter under a line with the time and the active VM, drawn in
 * place on the terminal's alternate screen) or, without a terminal, a progress line
 * every 10 s. Every wait checks demo_stop, so Ctrl-C ends the run within 200 ms.
 */
#include "cli/demo_core.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/format.h"

uint64_t demo_now_ms(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Sleep ms, or less if asked to stop. */
void demo_nap(uint64_t ms)
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

void demo_say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("demo: ", stdout);
	vprintf(fmt, ap);
	fputs("\n", stdout);
	fflush(stdout);
	va_end(ap);
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
int demo_record(struct demo *d, uint64_t t0_real_ms, struct demo_stats *stats)
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
	unsigned next_phase = 0;
	for (uint64_t i = 0; !demo_stop; i++) {
		uint64_t next = start_mono + (i + 1) * 1000;
		uint64_t t_now = demo_now_ms(CLOCK_REALTIME);
		uint64_t t_s = t_now > t0_real_ms ? (t_now - t0_real_ms) / 1000 : 0;
		unsigned a = demo_plan_active(t_s, d->started, d->phase_s);
		if (a < d->started && a >= next_phase) {
			uint64_t end_s = (uint64_t)(a + 1) * d->phase_s;
			if (demo_start_phase(d, a, end_s > t_s ? end_s - t_s : 1) != CLI_EXIT_OK)
				d->phase_errors++;
			next_phase = a + 1;
		}
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
