/*
 * DESIGN: the demo's own blimpd. It is the blimpd installed next to this blimp
 * (/proc/self/exe's directory), run as a child with a private state dir and socket
 * under the demo's output dir, so it never touches a system blimpd. The child gets its
 * own process group (a terminal Ctrl-C reaches only the demo, which then shuts the
 * daemon down in order) and SIGTERM should the demo die (PR_SET_PDEATHSIG), so it never
 * outlives us. Host settings go in a small config file (the swap file has no flag).
 */
#include "cli/demo_core.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/client.h"

int demo_exe_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	return 0;
}

static void demo_sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L};
	nanosleep(&ts, NULL);
}

/* One quiet request on a fresh connection; 0 if blimpd answered ok. */
static int demo_call(const char *socket, const char *cmd, json_object *args, int timeout_ms)
{
	struct cli_conn c;
	int r = cli_conn_open(&c, socket, 2000);
	if (r < 0)
		return r;
	struct cli_reply rep;
	r = cli_conn_call(&c, cmd, args, timeout_ms, &rep);
	cli_conn_close(&c);
	if (r < 0)
		return r;
	r = rep.ok ? 0 : -EIO;
	cli_reply_free(&rep);
	return r;
}

static int demo_write_config(const char *path, uint64_t swap_bytes)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f,
		"# written by blimp demo\n[blimpd]\n"
		"# host swap file (under the state dir), so VMs the balloon cannot shrink\n"
		"# in time can be pushed to host swap\n"
		"swapfile_size = %" PRIu64 "\n",
		swap_bytes);
	return fclose(f) == 0 ? 0 : -EIO;
}

/* The last line of the daemon's log, for an error message. */
static void demo_log_tail(const char *path, char *why, size_t whylen)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[512], last[512] = "";
	while (fgets(line, sizeof(line), f))
		if (line[0] != '\n')
			memcpy(last, line, sizeof(last));
	fclose(f);
	last[strcspn(last, "\n")] = '\0';
	size_t used = strlen(why);
	if (last[0] && used < whylen)
		snprintf(why + used, whylen - used, ": %s", last);
}

int demo_daemon_start(struct demo_daemon *d, const char *dir, const char *socket,
		      const char *guest_dir, const char *policy, uint64_t budget_bytes,
		      uint64_t swap_bytes, volatile sig_atomic_t *stop, char *why, size_t whylen)
{
	char exe_dir[4096], state[4096], conf[4096], mem[32];
	int r = demo_exe_dir(exe_dir, sizeof(exe_dir));
	if (r < 0) {
		snprintf(why, whylen, "cannot find blimp's directory: %s", strerror(-r));
		return r;
	}
	if ((size_t)snprintf(d->exe, sizeof(d->exe), "%s/blimpd", exe_dir) >= sizeof(d->exe) ||
	    (size_t)snprintf(state, sizeof(state), "%s/state", dir) >= sizeof(state) ||
	    (size_t)snprintf(conf, sizeof(conf), "%s/blimpd.conf", dir) >= sizeof(conf) ||
	    (size_t)snprintf(d->log_path, sizeof(d->log_path), "%s/blimpd.log", dir) >=
		sizeof(d->log_path)) {
		snprintf(why, whylen, "output directory path too long");
		return -ENAMETOOLONG;
	}
	if (access(d->exe, X_OK) < 0) {
		r = -errno;
		snprintf(why, whylen, "%s: %s (build it with make)", d->exe, strerror(errno));
		return r;
	}
	r = demo_write_config(conf, swap_bytes);
	if (r < 0) {
		snprintf(why, whylen, "cannot write %s: %s", conf, strerror(-r));
		return r;
	}
	snprintf(mem, sizeof(mem), "%" PRIu64, budget_bytes);
	char *argv[20];
	int a = 0;
	argv[a++] = d->exe;
	argv[a++] = "--config";
	argv[a++] = conf;
	argv[a++] = "--state-dir";
	argv[a++] = state;
	argv[a++] = "--socket";
	argv[a++] = (char *)socket;
	argv[a++] = "--policy";
	argv[a++] = (char *)policy;
	if (guest_dir) {
		argv[a++] = "--guest-dir";
		argv[a++] = (char *)guest_dir;
	}
	if (budget_bytes) {
		argv[a++] = "--host-mem";
		argv[a++] = mem;
	}
	argv[a] = NULL;

	int logfd = open(d->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot open %s: %s", d->log_path, strerror(errno));
		return r;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		r = -errno;
		close(logfd);
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return r;
	}
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, STDIN_FILENO);
		dup2(logfd, STDOUT_FILENO);
		dup2(logfd, STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(logfd);
	d->pid = pid;
	/* Embedded libvirt comes up in about a second; 60 s covers a loaded host. */
	for (int i = 0; i < 600; i++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			d->pid = 0;
			snprintf(why, whylen, "blimpd exited (status %d) before answering",
				 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			demo_log_tail(d->log_path, why, whylen);
			return -ECHILD;
		}
		if (demo_call(socket, "status", NULL, 5000) == 0)
			return 0;
		if (stop && *stop)
			break;
		demo_sleep_ms(100);
	}
	snprintf(why, whylen, "blimpd did not answer on %s", socket);
	demo_log_tail(d->log_path, why, whylen);
	int ignored = demo_daemon_stop(d, socket, false, 30);
	(void)ignored;
	return -ETIMEDOUT;
}

/* Wait up to ms for the child; true once reaped. */
static bool demo_reap(struct demo_daemon *d, long ms, int *status)
{
	for (long t = 0; t <= ms; t += 100) {
		pid_t w = waitpid(d->pid, status, WNOHANG);
		if (w == d->pid || (w < 0 && errno == ECHILD))
			return true;
		demo_sleep_ms(100);
	}
	return false;
}

int demo_daemon_stop(struct demo_daemon *d, const char *socket, bool keep_vms, int wait_s)
{
	if (d->pid <= 0)
		return 0;
	json_object *args = json_object_new_object();
	if (args)
		json_object_object_add(args, "keep_vms", json_object_new_boolean(keep_vms));
	int asked = demo_call(socket, "shutdown", args, 30000);
	json_object_put(args);
	int st = 0;
	bool gone = demo_reap(d, asked == 0 ? (long)wait_s * 1000 : 0, &st);
	if (!gone) {
		/* SIGTERM: blimpd still stops its VMs and restores the host. */
		kill(d->pid, SIGTERM);
		gone = demo_reap(d, (long)wait_s * 1000, &st);
	}
	if (!gone) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, &st, 0);
		d->pid = 0;
		return -ETIMEDOUT;
	}
	d->pid = 0;
	return asked == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}
