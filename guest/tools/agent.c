/* blimp-agent: serves host commands over the guest's virtio console.
 *
 * DESIGN: one process, one request at a time (docs/guest-agent.md). The port is put
 * in raw mode, "READY <release>" is sent, then header lines are parsed by
 * agent_proto.c. EXEC runs `/bin/sh -c CMD` in its own process group with stdin from
 * /dev/null and stdout+stderr on a pipe; the agent polls the pipe and a pidfd of the
 * shell (falling back to 20 ms polling without pidfd). When the shell exits the pipe
 * is drained without waiting for EOF; if background children still hold it open, a
 * detached "drainer" process keeps reading it into /tmp/blimp-agent-bg.log so they
 * never die of SIGPIPE. On EOF or an I/O error on the port the agent reopens it after
 * a second and announces READY again. Only main exits; helpers return 0 or -errno.
 *
 * Transport: a virtio serial port (libvirt <channel>, found by name in sysfs) is
 * preferred over the hvc0 console, because QEMU silently drops console output when
 * the host socket is full (hw/char/virtio-console.c: no throttling for consoles),
 * which loses bytes of large replies; serial ports are flow-controlled. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "agent_proto.h"

#define AGENT_BG_LOG "/tmp/blimp-agent-bg.log"
#define AGENT_BG_LOG_MAX_BYTES (4u << 20) /* a chatty background job must not fill tmpfs */
#define AGENT_STATUS_TIMEOUT 124	  /* as timeout(1) */
#define AGENT_POLL_FALLBACK_MS 20	  /* child-exit polling when pidfd is missing */

struct agent_in {
	int fd;
	size_t off, end;
	char buf[16384];
};

struct agent_out {
	char *data;
	size_t len, cap;
	uint64_t dropped;
};

static uint64_t agent_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000ULL + (uint64_t)ts.tv_nsec / 1000000ULL;
}

static int agent_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int agent_printf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int agent_printf(int fd, const char *fmt, ...)
{
	char line[AGENT_LINE_MAX + 64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	return agent_write_all(fd, line, (size_t)n);
}

/* Returns bytes added (>0), 0 on EOF, -errno on error. */
static int agent_in_fill(struct agent_in *in)
{
	ssize_t n;

	if (in->off > 0) {
		memmove(in->buf, in->buf + in->off, in->end - in->off);
		in->end -= in->off;
		in->off = 0;
	}
	if (in->end == sizeof(in->buf))
		return -ENOBUFS;
	do
		n = read(in->fd, in->buf + in->end, sizeof(in->buf) - in->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	in->end += (size_t)n;
	return (int)n;
}

/* Read one line (without '\n') into line[cap]. A line longer than
 * AGENT_LINE_MAX is consumed up to its '\n' and reported as -E2BIG. */
static int agent_in_line(struct agent_in *in, char *line, size_t cap, size_t *len)
{
	int too_long = 0;

	for (;;) {
		char *nl = memchr(in->buf + in->off, '\n', in->end - in->off);
		size_t have = in->end - in->off;
		int rc;

		if (nl) {
			size_t n = (size_t)(nl - (in->buf + in->off));

			if (too_long || n + 1 > AGENT_LINE_MAX || n >= cap) {
				in->off += n + 1;
				return -E2BIG;
			}
			memcpy(line, in->buf + in->off, n);
			line[n] = '\0';
			*len = n;
			in->off += n + 1;
			return 0;
		}
		if (have >= AGENT_LINE_MAX) { /* no '\n' in sight: drop what we have */
			too_long = 1;
			in->off = in->end;
		}
		rc = agent_in_fill(in);
		if (rc == 0)
			return -EPIPE;
		if (rc < 0)
			return rc;
	}
}

/* Read exactly n bytes into dst, or discard them when dst is NULL. */
static int agent_in_bytes(struct agent_in *in, char *dst, uint64_t n)
{
	while (n > 0) {
		size_t have = in->end - in->off, take;
		int rc;

		if (have == 0) {
			rc = agent_in_fill(in);
			if (rc == 0)
				return -EPIPE;
			if (rc < 0)
				return rc;
			continue;
		}
		take = have < n ? have : (size_t)n;
		if (dst) {
			memcpy(dst, in->buf + in->off, take);
			dst += take;
		}
		in->off += take;
		n -= take;
	}
	return 0;
}

static void agent_out_add(struct agent_out *out, const char *data, size_t n)
{
	size_t room = AGENT_OUTPUT_MAX_BYTES - out->len, take = n < room ? n : room;

	if (take > 0 && out->len + take > out->cap) {
		size_t cap = out->cap ? out->cap : 65536;
		char *p;

		while (cap < out->len + take)
			cap *= 2;
		if (cap > AGENT_OUTPUT_MAX_BYTES)
			cap = AGENT_OUTPUT_MAX_BYTES;
		p = realloc(out->data, cap);
		if (!p) {
			take = out->cap - out->len;
		} else {
			out->data = p;
			out->cap = cap;
		}
	}
	if (take > 0) {
		memcpy(out->data + out->len, data, take);
		out->len += take;
	}
	out->dropped += n - take;
}

/* Read what is available from the pipe. Returns 1 at EOF, 0 when it would block. */
static int agent_pipe_read(int fd, struct agent_out *out)
{
	char chunk[65536];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n > 0) {
			agent_out_add(out, chunk, (size_t)n);
			continue;
		}
		if (n == 0)
			return 1;
		if (errno == EINTR)
			continue;
		return errno == EAGAIN ? 0 : 1;
	}
}

/* Background jobs of a finished command still hold the pipe: keep it read by a
 * detached grandchild (reparented to init) that appends to AGENT_BG_LOG. */
static void agent_hand_off_pipe(int pipe_fd, int port_fd)
{
	pid_t mid = fork();

	if (mid == 0) {
		if (fork() == 0) {
			char chunk[4096];
			uint64_t written = 0;
			int log_fd;
			ssize_t n;

			close(port_fd);
			log_fd =
			    open(AGENT_BG_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			fcntl(pipe_fd, F_SETFL, fcntl(pipe_fd, F_GETFL) & ~O_NONBLOCK);
			while ((n = read(pipe_fd, chunk, sizeof(chunk))) != 0) {
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0)
					break;
				if (log_fd >= 0 && written < AGENT_BG_LOG_MAX_BYTES &&
				    agent_write_all(log_fd, chunk, (size_t)n) == 0)
					written += (uint64_t)n;
			}
			_exit(0);
		}
		_exit(0);
	}
	if (mid > 0)
		while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
			;
}

static int agent_exec(const char *cmd, uint64_t timeout_ms, int port_fd, struct agent_out *out,
		      int *status)
{
	int pfd[2], pidfd = -1, pipe_open = 1, wstatus = 0, timed_out = 0, null_fd;
	uint64_t deadline = timeout_ms ? agent_now_ms() + timeout_ms : 0;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		null_fd = open("/dev/null", O_RDONLY);
		if (null_fd >= 0)
			dup2(null_fd, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		dprintf(2, "blimp-agent: exec /bin/sh: %s\n", strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid); /* also in the parent: no race with kill(-pid) below */
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, fcntl(pfd[0], F_GETFL) | O_NONBLOCK);
#ifdef SYS_pidfd_open
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif

	for (;;) {
		struct pollfd pf[2];
		int nfds = 0, wait_ms = -1, rc;
		pid_t w;

		if (deadline) {
			uint64_t now = agent_now_ms();

			if (now >= deadline) {
				kill(-pid, SIGKILL);
				timed_out = 1;
				while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
					;
				break;
			}
			wait_ms = deadline - now > 60000 ? 60000 : (int)(deadline - now);
		}
		if (pidfd < 0 && (wait_ms < 0 || wait_ms > AGENT_POLL_FALLBACK_MS))
			wait_ms = AGENT_POLL_FALLBACK_MS;
		if (pipe_open)
			pf[nfds++] = (struct pollfd){.fd = pfd[0], .events = POLLIN};
		if (pidfd >= 0)
			pf[nfds++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
		rc = poll(pf, (nfds_t)nfds, wait_ms);
		if (rc < 0 && errno != EINTR) {
			rc = -errno;
			kill(-pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			if (pidfd >= 0)
				close(pidfd);
			close(pfd[0]);
			return rc;
		}
		if (pipe_open && agent_pipe_read(pfd[0], out) == 1)
			pipe_open = 0;
		w = waitpid(pid, &wstatus, WNOHANG);
		if (w == pid)
			break;
	}
	if (pidfd >= 0)
		close(pidfd);
	if (pipe_open && agent_pipe_read(pfd[0], out) == 0)
		agent_hand_off_pipe(pfd[0], port_fd);
	close(pfd[0]);

	if (timed_out)
		*status = AGENT_STATUS_TIMEOUT;
	else if (WIFEXITED(wstatus))
		*status = WEXITSTATUS(wstatus);
	else if (WIFSIGNALED(wstatus))
		*status = 128 + WTERMSIG(wstatus);
	else
		*status = 255;
	return 0;
}

static int agent_reply_result(int fd, uint64_t id, int status, struct agent_out *out)
{
	char note[96];
	size_t note_len = 0;
	int rc;

	if (out->dropped)
		note_len =
		    (size_t)snprintf(note, sizeof(note), "[blimp-agent: %llu bytes dropped]\n",
				     (unsigned long long)out->dropped);
	rc = agent_printf(fd, "RESULT %llu %d %zu\n", (unsigned long long)id, status,
			  out->len + note_len);
	if (rc == 0 && out->len)
		rc = agent_write_all(fd, out->data, out->len);
	if (rc == 0 && note_len)
		rc = agent_write_all(fd, note, note_len);
	return rc;
}

static int agent_handle_exec(struct agent_in *in, int out_fd, const struct agent_req *req)
{
	struct agent_out out = {0};
	char *cmd;
	int status = 0, rc;

	cmd = malloc(req->len + 1);
	if (!cmd) {
		rc = agent_in_bytes(in, NULL, req->len);
		return rc ? rc
			  : agent_printf(out_fd, "ERROR %llu out of memory\n",
					 (unsigned long long)req->id);
	}
	rc = agent_in_bytes(in, cmd, req->len);
	if (rc < 0)
		goto out;
	cmd[req->len] = '\0';
	if (memchr(cmd, '\0', req->len)) {
		rc = agent_printf(out_fd, "ERROR %llu NUL byte in command\n",
				  (unsigned long long)req->id);
		goto out;
	}
	rc = agent_exec(cmd, req->timeout_ms, out_fd, &out, &status);
	if (rc < 0) {
		rc = agent_printf(out_fd, "ERROR %llu cannot run command: %s\n",
				  (unsigned long long)req->id, strerror(-rc));
		goto out;
	}
	rc = agent_reply_result(out_fd, req->id, status, &out);
out:
	free(out.data);
	free(cmd);
	return rc;
}

/* Serve requests until the port fails. Returns -EPIPE on EOF, -errno on error. */
static int agent_serve(int in_fd, int out_fd)
{
	static struct agent_in in;
	char line[AGENT_LINE_MAX + 1];

	in.fd = in_fd;
	in.off = in.end = 0;
	for (;;) {
		struct agent_req req;
		const char *err = "";
		size_t len = 0;
		int rc = agent_in_line(&in, line, sizeof(line), &len);

		if (rc == -E2BIG) {
			rc = agent_printf(out_fd, "ERROR 0 header line too long\n");
			if (rc < 0)
				return rc;
			continue;
		}
		if (rc < 0)
			return rc;
		rc = agent_proto_parse(line, len, &req, &err);
		if (rc == -E2BIG) {
			/* Well-framed but too long: skip its payload, stay in sync. */
			rc = agent_in_bytes(&in, NULL, req.len);
			if (rc == 0)
				rc = agent_printf(out_fd, "ERROR %llu %s\n",
						  (unsigned long long)req.id, err);
		} else if (rc < 0) {
			rc = agent_printf(out_fd, "ERROR %llu %s\n", (unsigned long long)req.id,
					  err);
		} else if (req.kind == AGENT_REQ_PING) {
			rc = agent_printf(out_fd, "PONG %llu\n", (unsigned long long)req.id);
		} else {
			rc = agent_handle_exec(&in, out_fd, &req);
		}
		if (rc < 0)
			return rc;
	}
}

/* Find the virtio serial port called name (a libvirt <channel> target name) in
 * sysfs; there is no udev here to make /dev/virtio-ports/NAME. */
static int agent_find_port(const char *name, char *path, size_t len)
{
	DIR *d = opendir("/sys/class/virtio-ports");
	struct dirent *e;
	int rc = -ENOENT;

	if (!d)
		return -errno;
	while (rc != 0 && (e = readdir(d)) != NULL) {
		char attr[512], buf[256];
		ssize_t n;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(attr, sizeof(attr), "/sys/class/virtio-ports/%s/name", e->d_name);
		fd = open(attr, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (!strcmp(buf, name) && (size_t)snprintf(path, len, "/dev/%s", e->d_name) < len)
			rc = 0;
	}
	closedir(d);
	return rc;
}

static void agent_usage(FILE *f)
{
	fprintf(f, "usage: blimp-agent [--announce FILE] [--port NAME] [DEVICE]\n"
		   "       blimp-agent --stdio\n"
		   "  Serve the blimp guest-agent protocol (docs/guest-agent.md) on the virtio\n"
		   "  serial port NAME if the VM has one, else on DEVICE (default /dev/hvc0,\n"
		   "  put in raw mode), reopening it after EOF. --stdio serves stdin/stdout\n"
		   "  once (for tests). --announce writes 'blimp-guest: ready' to FILE once\n"
		   "  the port is open.\n");
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/hvc0", *announce = NULL, *port = NULL;
	struct utsname uts;
	int stdio = 0, last_open_err = 0;

	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
			agent_usage(stdout);
			return 0;
		} else if (!strcmp(argv[a], "--stdio")) {
			stdio = 1;
		} else if (!strcmp(argv[a], "--announce") && a + 1 < argc) {
			announce = argv[++a];
		} else if (!strcmp(argv[a], "--port") && a + 1 < argc) {
			port = argv[++a];
		} else if (argv[a][0] != '-') {
			dev = argv[a];
		} else {
			agent_usage(stderr);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	setenv("PATH", "/sbin:/bin:/usr/sbin:/usr/bin", 0);
	if (uname(&uts) < 0)
		snprintf(uts.release, sizeof(uts.release), "unknown");

	if (stdio) {
		if (agent_printf(1, "READY %s\n", uts.release) < 0)
			return 1;
		return agent_serve(0, 1) == -EPIPE ? 0 : 1;
	}
	for (;;) {
		struct termios tio;
		char port_path[300];
		const char *path = dev;
		int fd, rc;

		if (port && agent_find_port(port, port_path, sizeof(port_path)) == 0)
			path = port_path;
		fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);

		if (fd < 0) {
			/* Say it once: a guest booted without virtio_console would flood. */
			int err = errno;

			if (err != last_open_err)
				fprintf(stderr, "blimp-agent: open %s: %s\n", path, strerror(err));
			last_open_err = err;
			sleep(1);
			continue;
		}
		last_open_err = 0;
		if (tcgetattr(fd, &tio) == 0) {
			cfmakeraw(&tio);
			tio.c_cc[VMIN] = 1;
			tio.c_cc[VTIME] = 0;
			if (tcsetattr(fd, TCSANOW, &tio) < 0)
				fprintf(stderr, "blimp-agent: raw mode on %s: %s\n", path,
					strerror(errno));
		}
		/* Announce before READY: on a serial port the write blocks until a host
		 * connects. Once per agent process (a respawn announces again). */
		if (announce) {
			int afd = open(announce, O_WRONLY | O_NOCTTY | O_CLOEXEC);

			if (afd >= 0) {
				dprintf(afd, "blimp-guest: agent on %s\nblimp-guest: ready\n",
					path);
				close(afd);
			}
			announce = NULL;
		}
		rc = agent_printf(fd, "READY %s\n", uts.release);
		if (rc == 0)
			rc = agent_serve(fd, fd);
		/* EOF is routine on a serial port (the host disconnected): stay quiet. */
		if (rc != -EPIPE)
			fprintf(stderr, "blimp-agent: %s: %s, reopening\n", path, strerror(-rc));
		close(fd);
		sleep(1);
	}
}
