/* sd_notify messages of blimpd (daemon/notify.h): sent to a datagram socket the test
 * binds as $NOTIFY_SOCKET, the way systemd receives them; nothing sent without it;
 * WATCHDOG=1 only when $WATCHDOG_USEC/$WATCHDOG_PID ask for it, at half the interval. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/notify.h"

static int sock = -1;
static char sock_path[108];

/* Every message waiting on the socket, joined with " | " (empty: none). */
static void drain(char *out, size_t len)
{
	out[0] = '\0';
	char buf[1024];
	ssize_t n;
	while ((n = recv(sock, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		size_t used = strlen(out);
		snprintf(out + used, len - used, "%s%s", used ? " | " : "", buf);
	}
}

static int setup(void **state)
{
	(void)state;
	snprintf(sock_path, sizeof(sock_path), "/tmp/blimp-notify-test.%d", (int)getpid());
	unlink(sock_path);
	sock = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	if (sock < 0 || bind(sock, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(sock);
	unlink(sock_path);
	return 0;
}

static struct blimpd *fake_daemon(void)
{
	static struct blimpd d;
	static struct daemon_vm vms[3];
	memset(&d, 0, sizeof(d));
	memset(vms, 0, sizeof(vms));
	vms[0].active = vms[2].active = true;
	d.vms = vms;
	d.n_vms = 3;
	d.conn_ok = true;
	d.cfg.policy.budget_bytes = 12ULL << 30;
	d.have_host_plan = true;
	d.host_plan.state = HOST_STATE_SOFT;
	return &d;
}

static void test_nothing_without_socket(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	struct blimpd *d = fake_daemon();
	daemon_notify_ready(d, 0);
	daemon_notify_loop(d, 100000);
	daemon_notify_stopping("x");
	char got[4096];
	drain(got, sizeof(got));
	assert_string_equal(got, "");
}

static void test_ready_status_watchdog_stopping(void **state)
{
	(void)state;
	char got[4096], pid[32];
	setenv("NOTIFY_SOCKET", sock_path, 1);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	setenv("WATCHDOG_USEC", "4000000", 1); /* 4 s: ping every 2 s */
	struct blimpd *d = fake_daemon();

	daemon_notify_ready(d, 0);
	drain(got, sizeof(got));
	assert_string_equal(got, "READY=1 | STATUS=2 VMs running, budget 12.0G, host state soft");

	daemon_notify_loop(d, 2000); /* watchdog due (2 s), status not yet (5 s) */
	drain(got, sizeof(got));
	assert_string_equal(got, "WATCHDOG=1");
	daemon_notify_loop(d, 3000);
	drain(got, sizeof(got));
	assert_string_equal(got, "");

	d->conn_ok = false;
	d->have_host_plan = false;
	d->cfg.dry_run = true;
	daemon_notify_loop(d, 5000);
	drain(got, sizeof(got));
	assert_string_equal(got, "WATCHDOG=1 | STATUS=2 VMs running, budget 12.0G, host state "
				 "unknown, libvirt connection lost, dry-run");

	daemon_notify_stopping("restoring the host");
	drain(got, sizeof(got));
	assert_string_equal(got, "STOPPING=1\nSTATUS=exiting: restoring the host");
	unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nothing_without_socket),
	    cmocka_unit_test(test_ready_status_watchdog_stopping),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
