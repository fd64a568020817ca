/*
 * blimp top: the esxtop-style memory screen, refreshed every --delay seconds over
 * one kept connection (reopened if blimpd goes away; the screen says so meanwhile).
 * Interactive mode draws with plain ANSI (alternate screen, clear + home), reads q
 * from a non-canonical stdin and restores the terminal on q, Ctrl-C or SIGTERM.
 * Batch mode (-b) prints CSV: one header, then a row per VM per iteration, flushed
 * as each iteration is written, until -n iterations or SIGINT/SIGTERM/SIGHUP, or
 * until the reader goes away (EPIPE: a quiet exit 0, like `esxtop -b | head`). An
 * iteration that cannot reach blimpd (restarting, say) writes a notice on stderr instead
 * of rows, and the next one reconnects; only a run in which every iteration failed
 * exits non-zero, so a logging `blimp top -b` outlives blimpd's restarts.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/format.h"
#include "cli/parse.h"

static const char cli_top_usage[] =
    "Usage: blimp top [-b] [-n ITERATIONS] [-d SECONDS]\n"
    "A live memory screen like esxtop's: host state, budget, free, minfree, KSM, swap,\n"
    "overcommit, then per VM: NAME MEMSZ CONSUMED OVHD MCTL? MCTLSZ MCTLTGT MCTLMAX\n"
    "SWCUR SWTGT SHRD ZERO ACTV ACTVS ACTVF REASON. Press q or Ctrl-C to quit.\n"
    "  -b, --batch           print CSV (bytes) instead: a header, then one row per VM\n"
    "                        per iteration, with a timestamp and the host's columns,\n"
    "                        flushed every iteration; runs until -n, Ctrl-C or SIGTERM\n"
    "  -n, --iterations N    stop after N refreshes (default and 0: until q / Ctrl-C /\n"
    "                        SIGTERM; use -n 1 for one sample)\n"
    "  -d, --delay SECONDS   time between refreshes (default 1, at least 0.1)\n"
    "  -s, --socket PATH     blimpd's control socket\n";

int cli_top_parse(int argc, char **argv, struct cli_top_opts *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {
	    {"batch", no_argument, NULL, 'b'},
	    {"iterations", required_argument, NULL, 'n'},
	    {"delay", required_argument, NULL, 'd'},
	    CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	*o = (struct cli_top_opts){.delay_ms = 1000};
	CLI_GETOPT_RESET();
	int c, r = 0;
	while ((c = getopt_long(argc, argv, ":bn:d:" CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->batch = true;
			break;
		case 'n':
			r = cli_parse_uint("-n", optarg, 0, 1000000000, &o->iterations, err,
					   errlen);
			break;
		case 'd':
			r = cli_parse_seconds("-d", optarg, 100, 86400000, &o->delay_ms, err,
					      errlen);
			break;
			CLI_COMMON_CASES(o);
		}
		if (r < 0)
			return r;
	}
	return cli_parse_positionals(optind, argc, argv, NULL, 0, 0, err, errlen);
}

static volatile sig_atomic_t cli_top_stop;

static void cli_top_on_signal(int sig)
{
	(void)sig;
	cli_top_stop = 1;
}

static uint64_t cli_top_now_ms(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Sleep until deadline (monotonic ms) or a signal; in interactive mode also return
 * early on q. Returns true if the user asked to quit. */
static bool cli_top_wait(uint64_t deadline_ms, bool read_keys)
{
	while (!cli_top_stop) {
		uint64_t now = cli_top_now_ms(CLOCK_MONOTONIC);
		if (now >= deadline_ms)
			return false;
		struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
		int n = poll(&p, read_keys ? 1 : 0, (int)(deadline_ms - now));
		if (n > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)) && !(p.revents & POLLIN))
			read_keys = false; /* stdin closed: only signals stop us */
		if (n > 0 && (p.revents & POLLIN)) {
			char keys[64];
			ssize_t k = read(STDIN_FILENO, keys, sizeof(keys));
			if (k <= 0)
				read_keys = false;
			for (ssize_t i = 0; i < k; i++)
				if (keys[i] == 'q' || keys[i] == 'Q' || keys[i] == 3 /* ^C */)
					return true;
		}
	}
	return true;
}

/* Ask for one `top` result over *conn, reconnecting if needed. A kept connection
 * that fails (blimpd restarted since the last refresh) is reopened at once, once, so a
 * restart between two refreshes costs no refresh. Returns 0 with reply, or an exit
 * status with a one-line reason in why. */
static int cli_top_fetch(const struct cli_ctx *c, struct cli_conn *conn, bool *open,
			 struct cli_reply *reply, char *why, size_t whylen)
{
	char buf[160];
	int r;
	for (int attempt = 0;; attempt++) {
		bool kept = *open;
		if (!*open) {
			r = cli_conn_open(conn, c->socket_path, CLI_CLIENT_CONNECT_TIMEOUT_MS);
			if (r < 0) {
				snprintf(why, whylen, "cannot reach blimpd at %s: %s",
					 c->socket_path,
					 cli_transport_strerror(r, buf, sizeof(buf)));
				return CLI_EXIT_UNREACHABLE;
			}
			*open = true;
		}
		r = cli_conn_call(conn, "top", NULL, CLI_TIMEOUT_MS, reply);
		if (r >= 0)
			break;
		cli_conn_close(conn);
		*open = false;
		if (!kept || attempt > 0 || r == -ETIMEDOUT) {
			snprintf(why, whylen, "%s", cli_transport_strerror(r, buf, sizeof(buf)));
			return CLI_EXIT_UNREACHABLE;
		}
	}
	if (!reply->ok) {
		snprintf(why, whylen, "%s (%s)", reply->message, reply->code);
		cli_reply_free(reply);
		return CLI_EXIT_DAEMON;
	}
	return CLI_EXIT_OK;
}

/* Batch: CSV rows on stdout; an unreachable blimpd is a notice on stderr per failed
 * iteration (the CSV stays parseable) and a retry at the next one. An error blimpd
 * answers ends the run: it is reachable, and asking again would get the same. Exit 0
 * if any iteration printed rows, else the last failure's status. */
static int cli_top_batch(const struct cli_ctx *c, const struct cli_top_opts *o)
{
	struct cli_conn conn;
	bool open = false, any_ok = false, down = false;
	int rc = CLI_EXIT_OK;
	char why[512];
	cli_format_csv_header(stdout);
	if (fflush(stdout) == EOF)
		return CLI_EXIT_OK; /* nobody reads */
	for (uint64_t i = 0; (o->iterations == 0 || i < o->iterations) && !cli_top_stop; i++) {
		uint64_t next = cli_top_now_ms(CLOCK_MONOTONIC) + o->delay_ms;
		bool last = o->iterations != 0 && i + 1 >= o->iterations;
		struct cli_reply reply;
		rc = cli_top_fetch(c, &conn, &open, &reply, why, sizeof(why));
		if (rc == CLI_EXIT_UNREACHABLE) {
			if (last)
				cli_error("top", "blimpd not reachable: %s", why);
			else
				cli_error("top", "blimpd not reachable: %s; retrying in %.1f s",
					  why, (double)o->delay_ms / 1000);
			down = true;
		} else if (rc != CLI_EXIT_OK) {
			cli_error("top", "%s", why);
			break;
		} else {
			if (down)
				cli_error("top", "blimpd reachable again");
			down = false;
			any_ok = true;
			cli_format_csv_rows(reply.result, cli_top_now_ms(CLOCK_REALTIME), stdout);
			cli_reply_free(&reply);
			if (fflush(stdout) == EOF || ferror(stdout)) {
				/* the reader is gone (EPIPE): nothing more to say to anyone */
				rc = CLI_EXIT_OK;
				break;
			}
		}
		if (!last)
			cli_top_wait(next, false);
	}
	if (open)
		cli_conn_close(&conn);
	return any_ok && rc == CLI_EXIT_UNREACHABLE ? CLI_EXIT_OK : rc;
}

static int cli_top_screen(const struct cli_ctx *c, const struct cli_top_opts *o)
{
	bool tty_in = isatty(STDIN_FILENO);
	struct termios saved;
	if (tty_in && tcgetattr(STDIN_FILENO, &saved) == 0) {
		struct termios raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	} else {
		tty_in = false;
	}
	/* alternate screen, hide cursor */
	fputs("\033[?1049h\033[?25l", stdout);
	struct cli_conn conn;
	bool open = false;
	char why[512];
	int rc = CLI_EXIT_OK;
	for (uint64_t i = 0; !cli_top_stop && (o->iterations == 0 || i < o->iterations); i++) {
		uint64_t next = cli_top_now_ms(CLOCK_MONOTONIC) + o->delay_ms;
		char clock[16];
		time_t t = time(NULL);
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
		char *screen = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&screen, &len);
		if (!m)
			break;
		struct cli_reply reply;
		int fr = cli_top_fetch(c, &conn, &open, &reply, why, sizeof(why));
		if (fr == CLI_EXIT_OK) {
			cli_format_top(reply.result, clock, m);
			cli_reply_free(&reply);
		} else if (i == 0) {
			/* Nothing to show yet: fail like every other command. */
			fclose(m);
			free(screen);
			rc = fr;
			break;
		} else {
			fprintf(m, "blimp top %s\n\n%s\nretrying every %.1f s; q quits\n", clock,
				why, (double)o->delay_ms / 1000);
		}
		fclose(m);
		/* home, draw (cut to the window so nothing wraps or scrolls), clear the rest */
		struct winsize ws = {0};
		size_t cols = SIZE_MAX, rows = SIZE_MAX;
		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
			cols = ws.ws_col;
			rows = ws.ws_row;
		}
		fputs("\033[H", stdout);
		size_t drawn = 0;
		for (char *line = screen, *nl; line && *line && drawn + 1 < rows; line = nl + 1) {
			nl = strchr(line, '\n');
			size_t n = nl ? (size_t)(nl - line) : strlen(line);
			fwrite(line, 1, n < cols ? n : cols, stdout);
			fputs("\033[K\n", stdout);
			drawn++;
			if (!nl)
				break;
		}
		fputs("\033[J", stdout);
		fflush(stdout);
		free(screen);
		if (o->iterations && i + 1 >= o->iterations)
			break;
		if (cli_top_wait(next, tty_in))
			break;
	}
	if (open)
		cli_conn_close(&conn);
	fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	if (tty_in)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (rc != CLI_EXIT_OK)
		cli_error("top", "%s", why);
	return rc;
}

int cli_top_run(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_top_opts o;
	char err[256];
	int rc, r = cli_top_parse(argc, argv, &o, err, sizeof(err));
	if (cli_parse_done("top", r, err, cli_top_usage, &rc))
		return rc;
	struct cli_ctx c = cli_ctx_with(ctx, o.socket);
	struct sigaction sa = {.sa_handler = cli_top_on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	cli_top_stop = 0;
	if (o.batch)
		signal(SIGPIPE, SIG_IGN); /* a closed pipe is fflush's EPIPE: stop quietly */
	return o.batch ? cli_top_batch(&c, &o) : cli_top_screen(&c, &o);
}
