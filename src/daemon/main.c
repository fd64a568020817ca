/*
 * blimpd: the host memory scheduler. Parses flags onto the settings table
 * (config.h), connects to libvirt, opens the control socket and runs the main loop
 * (virt/loop.h) until SIGTERM/SIGINT or a `shutdown` request.
 *
 * Exit statuses: 0 orderly exit, 1 runtime failure (libvirt, socket), 2 a
 * configuration blimpd cannot honour, 3 another blimpd runs on this host (one line
 * on stderr says which).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "act/knob.h"
#include "act/originals.h"
#include "daemon/daemon.h"
#include "daemon/history.h"
#include "daemon/domorig.h"
#include "daemon/notify.h"
#include "util/event.h"
#include "daemon/lock.h"
#include "daemon/mlock.h"
#include "daemon/qemu_access.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/size.h"
#include "virt/dom.h"
#include "virt/loop.h"

#define DEFAULT_CONFIG "/etc/blimp/blimpd.conf"

enum {
	OPT_CONFIG = 1000,
	OPT_CONNECT,
	OPT_STATE_DIR,
	OPT_SOCKET,
	OPT_GUEST_DIR,
	OPT_HOST_MEM,
	OPT_POLICY,
	OPT_IDLE_TAX,
	OPT_BALANCE_MS,
	OPT_DRY_RUN,
	OPT_KEEP_VMS,
	OPT_ON_EXIT,
	OPT_METRICS_LISTEN,
	OPT_LOG_LEVEL,
	OPT_LOCK_FILE,
	OPT_HELP,
	OPT_VERSION,
	OPT_SETTINGS_MD,
	OPT_PRINT_CONFIG,
};

/* Flags that set a key of the settings table: {flag, key, value for switches}. */
static const struct {
	int opt;
	const char *key;
	const char *fixed;
} flag_keys[] = {
	{OPT_CONNECT, "connect_uri", NULL},	  {OPT_STATE_DIR, "state_dir", NULL},
	{OPT_SOCKET, "socket_path", NULL},	  {OPT_GUEST_DIR, "guest_dir", NULL},
	{OPT_HOST_MEM, "host_mem", NULL},	  {OPT_POLICY, "policy", NULL},
	{OPT_IDLE_TAX, "idle_tax", NULL},	  {OPT_BALANCE_MS, "balance_period_ms", NULL},
	{OPT_DRY_RUN, "dry_run", "true"},	  {OPT_KEEP_VMS, "keep_vms", "true"},
	{OPT_LOG_LEVEL, "log_level", NULL},	  {OPT_ON_EXIT, "on_exit", NULL},
	{OPT_LOCK_FILE, "lock_file", NULL},
	{OPT_METRICS_LISTEN, "metrics_listen", NULL},
};

static const struct option long_opts[] = {
	{"config", required_argument, NULL, OPT_CONFIG},
	{"connect", required_argument, NULL, OPT_CONNECT},
	{"state-dir", required_argument, NULL, OPT_STATE_DIR},
	{"socket", required_argument, NULL, OPT_SOCKET},
	{"guest-dir", required_argument, NULL, OPT_GUEST_DIR},
	{"host-mem", required_argument, NULL, OPT_HOST_MEM},
	{"policy", required_argument, NULL, OPT_POLICY},
	{"idle-tax", required_argument, NULL, OPT_IDLE_TAX},
	{"balance-ms", required_argument, NULL, OPT_BALANCE_MS},
	{"dry-run", no_argument, NULL, OPT_DRY_RUN},
	{"keep-vms", no_argument, NULL, OPT_KEEP_VMS},
	{"on-exit", required_argument, NULL, OPT_ON_EXIT},
	{"metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN},
	{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	{"lock-file", required_argument, NULL, OPT_LOCK_FILE},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{"settings-markdown", no_argument, NULL, OPT_SETTINGS_MD},
	{"print-config", no_argument, NULL, OPT_PRINT_CONFIG},
	{NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
	fputs("usage: blimpd [OPTIONS]\n"
	      "blimp's host memory scheduler: balloons, KSM, host swap for libvirt/QEMU guests.\n"
	      "Runs in the foreground; stop it with SIGTERM/SIGINT or `blimp shutdown`.\n"
	      "\n"
	      "  --config FILE        settings file (default $BLIMPD_CONFIG, else\n"
	      "                       " DEFAULT_CONFIG "; optional; \"\" = none;\n"
	      "                       drop-ins FILE.d/*.conf); flags below override it\n"
	      "  --connect URI        libvirt URI, e.g. qemu:///system (default: embedded\n"
	      "                       libvirt under STATE/libvirt, no libvirtd needed)\n"
	      "  --state-dir DIR      blimpd's state: embedded libvirt, per-VM files\n"
	      "                       (default /var/lib/blimp)\n"
	      "  --socket PATH        control socket (default /run/blimp/blimpd.sock)\n"
	      "  --guest-dir DIR      built-in guest: vmlinux, initrd.img, data.img\n"
	      "  --host-mem SIZE      memory budget for the VMs (CONSUMED + OVHD), e.g. 8G;\n"
	      "                       default host RAM less the headroom setting\n"
	      "  --policy NAME        blimp (ESX-style), static, proxmox or mom\n"
	      "  --idle-tax RATIO     idle memory tax tau, 0 .. 0.99 (default 0.75)\n"
	      "  --balance-ms MS      how often the policy makes a plan (default 1000)\n"
	      "  --dry-run            log what would change, change nothing\n"
	      "  --keep-vms           leave VMs running when blimpd exits\n"
	      "  --on-exit restore|keep  domains blimp did not start: give back the balloon\n"
	      "                       target blimp found (as far as the host has memory\n"
	      "                       available; default) or leave blimp's last targets\n"
	      "  --metrics-listen ADDR:PORT  serve Prometheus metrics on GET /metrics,\n"
	      "                       e.g. 127.0.0.1:25467 (default off; docs/metrics.md)\n"
	      "  --log-level LEVEL    error, warn, info or debug (default info)\n"
	      "  --lock-file PATH     one blimpd per host: refuse to start while another\n"
	      "                       blimpd holds PATH (default /run/blimp/blimpd.lock)\n"
	      "  --print-config       print every setting with its value and exit\n"
	      "  --settings-markdown  print the settings table as Markdown and exit\n"
	      "  --version            print the version and exit\n"
	      "  --help               this text\n"
	      "\n"
	      "Every setting (docs/settings.md) can also be given in the settings file.\n"
	      "SIGHUP re-reads the settings file (flags still win) and applies its runtime\n"
	      "keys, or refuses it whole and keeps the settings in force; `blimp config`\n"
	      "shows them and `blimp config set KEY=VALUE` changes a runtime key.\n",
	      f);
}

/* STATE/host-originals (act/originals.h): what a blimpd killed with SIGKILL changed
 * on the host, so this one restores the true originals on exit. */
static int open_host_originals(struct blimpd *d)
{
	char path[PATH_MAX], boot_id[64] = "", note[1024];
	if (snprintf(path, sizeof(path), "%s/host-originals", d->cfg.state_dir) >=
	    (int)sizeof(path)) {
		log_warn("act", "state directory path too long: host originals not recorded");
		return 0;
	}
	bool have_boot =
	    act_read_file("/proc/sys/kernel/random/boot_id", boot_id, sizeof(boot_id)) == 0;
	int r = act_originals_open(path, have_boot ? boot_id : NULL, &d->originals, note,
				   sizeof(note));
	if (r < 0 && r != -ENOMEM) {
		log_warn("act", "host originals %s: %s (not recorded this run)", path, strerror(-r));
		return 0;
	}
	if (r < 0)
		return r;
	if (act_originals_refused(d->originals))
		log_err("act", "%s", note);
	else if (note[0])
		log_info("act", "%s", note);
	return 0;
}

/* STATE/domain-originals (daemon/domorig.h): the adoption targets and stats periods
 * a blimpd killed with SIGKILL recorded. */
static int open_domain_originals(struct blimpd *d)
{
	char path[PATH_MAX], boot_id[64] = "", note[PATH_MAX + 512];
	if (snprintf(path, sizeof(path), "%s/domain-originals", d->cfg.state_dir) >=
	    (int)sizeof(path)) {
		log_warn("vm", "state directory path too long: domain originals not recorded");
		return 0;
	}
	bool have_boot =
	    act_read_file("/proc/sys/kernel/random/boot_id", boot_id, sizeof(boot_id)) == 0;
	int r = daemon_domorig_open(path, have_boot ? boot_id : NULL, &d->domorig, note,
				    sizeof(note));
	if (r < 0)
		return r;
	if (strstr(note, "corrupt"))
		log_err("vm", "%s", note);
	else if (note[0] && daemon_domorig_count(d->domorig))
		log_info("vm", "%s", note);
	return 0;
}

/* Forget recorded originals of domains that are no longer running. */
static void prune_domain_originals(struct blimpd *d)
{
	const char *uuids[d->n_vms + 1];
	size_t n = 0;
	for (size_t i = 0; i < d->n_vms; i++)
		if (d->vms[i].active)
			uuids[n++] = d->vms[i].uuid;
	size_t k = daemon_domorig_prune(d->domorig, uuids, n);
	if (k)
		log_info("vm", "%zu recorded domain original(s) dropped: those domains are not "
			 "running any more", k);
}

/* Embedded: QEMU (qemu_user) must search STATE and STATE/libvirt/lib/qemu (libvirt
 * keeps each domain's master key and monitor socket there, and makes its own
 * directories 0700). Directories under the state dir are blimpd's, so they get search
 * permission for others (not read); a parent above it that blocks is the operator's
 * to fix. */
static int qemu_reach_state(struct blimpd *d)
{
	char want[PATH_MAX], blocker[PATH_MAX];
	const char *sd = d->cfg.state_dir;
	size_t sdl = strlen(sd);
	if (snprintf(want, sizeof(want), "%s/libvirt/lib/qemu", sd) >= (int)sizeof(want))
		return 0;
	int r = 0;
	for (int tries = 0; tries < 8; tries++) {
		r = daemon_qemu_reach(d->conn.qemu_uid, d->conn.qemu_gid, want, blocker,
				      sizeof(blocker));
		struct stat st;
		if (r != -EACCES || strncmp(blocker, sd, sdl) != 0 ||
		    (blocker[sdl] != '\0' && blocker[sdl] != '/') || stat(blocker, &st) < 0)
			break;
		if (chmod(blocker, (st.st_mode & 07777) | 0011) < 0) {
			log_warn("daemon", "chmod %s: %s", blocker, strerror(errno));
			break;
		}
	}
	if (r == -EACCES) {
		fprintf(stderr,
			"blimpd: QEMU runs as %s (qemu_user) and cannot search %s on the way to "
			"%s: give it search permission (chmod o+x %s) or choose another "
			"state_dir\n",
			d->conn.qemu_user, blocker, want, blocker);
		return -EACCES;
	}
	if (r < 0)
		log_warn("daemon", "cannot check that %s can reach %s: %s", d->conn.qemu_user,
			 want, strerror(-r));
	struct stat kvm;
	if (stat("/dev/kvm", &kvm) == 0 && (kvm.st_mode & 0006) != 0006 &&
	    !(kvm.st_gid == d->conn.qemu_gid && (kvm.st_mode & 0060) == 0060))
		log_warn("daemon",
			 "/dev/kvm is not read-write for %s: libvirt re-probes QEMU at every "
			 "domain start (slow under TCG); give it to group kvm, mode 0660, as "
			 "Debian's udev rule does",
			 d->conn.qemu_user);
	return 0;
}

/* A flag's key and value, for SIGHUP to apply again after the file (flags win). */
static int remember_flag(struct blimpd *d, const char *key, const char *value)
{
	struct daemon_flag_setting *n =
	    realloc(d->flag_settings, (d->n_flag_settings + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	d->flag_settings = n;
	char *v = strdup(value);
	if (!v)
		return -ENOMEM;
	n[d->n_flag_settings++] = (struct daemon_flag_setting){.key = key, .value = v};
	return 0;
}

static void signal_cb(int fd, short revents, void *opaque)
{
	struct blimpd *d = opaque;
	(void)revents;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_info("daemon", "signal %s: exiting", strsignal((int)si.ssi_signo));
			d->keep_vms_on_exit = d->cfg.keep_vms;
			d->quit = true;
		} else if (si.ssi_signo == SIGHUP) {
			log_info("daemon", "SIGHUP: reloading settings from %s", d->config_path);
			(void)daemon_config_reload(d); /* a refusal is logged and kept out */
		}
	}
}

static void conn_event_cb(int fd, short revents, void *opaque)
{
	(void)fd;
	(void)revents;
	daemon_vms_handle_events(opaque);
}

/* Stop the VMs blimp started (others' domains are left alone). */
static void stop_managed_vms(struct blimpd *d)
{
	for (size_t i = 0; i < d->n_vms; i++) {
		struct daemon_vm *v = &d->vms[i];
		if (!v->managed || !v->active)
			continue;
		char err[256];
		virt_agent_free(v->agent);
		v->agent = NULL;
		if (virt_dom_destroy(&d->conn, v->uuid, true, err, sizeof(err)) < 0)
			log_warn("vm", "%s: %s", v->name, err);
		else
			log_info("vm", "%s: stopped", v->name);
		daemon_vm_remove_files(d, v->name);
	}
}

int main(int argc, char **argv)
{
	static struct blimpd daemon;
	struct blimpd *d = &daemon;
	char err[1024];
	/* BLIMPD_CONFIG moves the default (empty: no file), so a checkout's tests and
	 * benches never pick up the settings of a blimpd installed on the same host. */
	const char *config_path = getenv("BLIMPD_CONFIG") ? getenv("BLIMPD_CONFIG") : DEFAULT_CONFIG;
	bool config_required = false, print_config = false;
	int opt;

	config_default(&d->cfg);
	/* pass 1: the settings file and the flags that only print */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_CONFIG:
			config_path = optarg;
			config_required = true;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("blimpd %s\n", BLIMPD_VERSION);
			return 0;
		case OPT_SETTINGS_MD:
			config_print_markdown(stdout);
			return 0;
		case OPT_PRINT_CONFIG:
			print_config = true;
			break;
		case '?':
			fprintf(stderr, "blimpd: unknown or incomplete option '%s' (see --help)\n",
				argv[optind - 1]);
			return 2;
		default:
			break;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "blimpd: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	event_init(); /* journal or stderr, before the first event */
	d->config_path = config_path;
	d->config_required = config_required;
	if (config_load(&d->cfg, config_path, config_required, err, sizeof(err)) < 0) {
		fprintf(stderr, "blimpd: %s\n", err);
		event_emit(EVENT_ERR, "config_refused", "file", config_path,
			   "error", err, NULL);
		return 2;
	}
	/* pass 2: flags override the file */
	optind = 0;
	while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		for (size_t i = 0; i < sizeof(flag_keys) / sizeof(flag_keys[0]); i++) {
			if (flag_keys[i].opt != opt)
				continue;
			const char *val = flag_keys[i].fixed ? flag_keys[i].fixed : optarg;
			/* relative paths on the command line are relative to the cwd */
			char abs[PATH_MAX + 1024];
			if ((opt == OPT_STATE_DIR || opt == OPT_SOCKET || opt == OPT_GUEST_DIR ||
			     opt == OPT_LOCK_FILE) &&
			    val[0] && val[0] != '/') {
				char cwd[PATH_MAX];
				if (getcwd(cwd, sizeof(cwd))) {
					snprintf(abs, sizeof(abs), "%s/%s", cwd, val);
					val = abs;
				}
			}
			if (config_set(&d->cfg, flag_keys[i].key, val, err, sizeof(err)) < 0) {
				fprintf(stderr, "blimpd: --%s: %s\n", long_opts[opt - OPT_CONFIG].name,
					err);
				return 2;
			}
			if (remember_flag(d, flag_keys[i].key, val) < 0) {
				fprintf(stderr, "blimpd: out of memory\n");
				return 1;
			}
		}
	}
	if (config_validate(&d->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "blimpd: %s\n", err);
		event_emit(EVENT_ERR, "config_refused", "error", err, NULL);
		return 2;
	}
	if (print_config) {
		config_print(&d->cfg, stdout);
		return 0;
	}
	log_set_level(d->cfg.log_level);

	/* the budget: --host-mem, else host RAM less the headroom */
	struct host_snapshot host;
	if (daemon_gather_host(&host) < 0) {
		fprintf(stderr, "blimpd: cannot read /proc/meminfo\n");
		return 1;
	}
	d->host = host;
	if (d->cfg.host_mem_bytes) {
		d->cfg.policy.budget_bytes = d->cfg.host_mem_bytes;
	} else if (host.mem_total_bytes > d->cfg.headroom_bytes) {
		d->cfg.policy.budget_bytes = host.mem_total_bytes - d->cfg.headroom_bytes;
	} else {
		fprintf(stderr, "blimpd: headroom is not below the host's RAM: set host_mem\n");
		return 2;
	}
	if (policy_settings_validate(&d->cfg.policy, err, sizeof(err)) < 0) {
		fprintf(stderr, "blimpd: %s\n", err);
		return 2;
	}
	int r = util_mkdir_p(d->cfg.state_dir, 0755, 0711);
	if (r < 0) {
		fprintf(stderr, "blimpd: cannot create state directory %s: %s\n", d->cfg.state_dir,
			strerror(-r));
		return 2;
	}
	/* before anything of the host is read as "original": one blimpd per host */
	r = daemon_lock_take(d->cfg.lock_file, d->cfg.state_dir, &d->lock_fd, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "blimpd: %s\n", err);
		return r == -EWOULDBLOCK ? 3 : 1;
	}
	if (!d->cfg.dry_run && (open_host_originals(d) < 0 || open_domain_originals(d) < 0)) {
		fprintf(stderr, "blimpd: out of memory\n");
		return 1;
	}

	/* signals: through a signalfd on the loop; blocked before libvirt's thread
	 * starts so it inherits the mask */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP); /* reload the settings (reload.c) */
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		fprintf(stderr, "blimpd: signalfd: %s\n", strerror(errno));
		return 1;
	}

	d->pstate = policy_state_new();
	if (!d->pstate) {
		fprintf(stderr, "blimpd: out of memory\n");
		return 1;
	}
	if (daemon_history_open(d) < 0)
		return 1;
	d->started_ms = virt_loop_now_ms();
	r = virt_conn_open(&d->conn, d->cfg.connect_uri, d->cfg.state_dir, d->cfg.qemu_user, "", err,
			   sizeof(err));
	if (r < 0) {
		fprintf(stderr, "blimpd: %s\n", err);
		return 1;
	}
	d->conn_ok = true;
	if (d->conn.embedded && qemu_reach_state(d) < 0) {
		virt_conn_close(&d->conn);
		return 2;
	}
	char a[32];
	log_info("daemon", "blimpd %s: libvirt %s, %s (%s), policy %s, budget %s%s",
		 BLIMPD_VERSION, d->conn.uri, virt_accel_name(d->conn.accel), d->conn.accel_reason,
		 policy_kind_name(d->cfg.policy.kind),
		 size_format(d->cfg.policy.budget_bytes, a, sizeof(a)),
		 d->cfg.dry_run ? ", dry-run" : "");

	if (daemon_vms_sync(d) < 0)
		log_warn("vm", "initial domain list failed: %s", virt_last_error());
	else
		prune_domain_originals(d);
	/* VMs found running carry on from where they are: no target jump */
	for (size_t i = 0; i < d->n_vms; i++)
		d->vms[i].applied_target_bytes = d->vms[i].active ? d->vms[i].current_bytes : 0;

	/* after the big allocations (VM table, libvirt's connection) */
	daemon_mlock_apply(d->cfg.mlock, &d->mlock);
	char ml[128];
	log_info("daemon", "memory lock: %s", daemon_mlock_describe(&d->mlock, ml, sizeof(ml)));

	r = daemon_ctl_open(d, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "blimpd: %s\n", err);
		virt_conn_close(&d->conn);
		return r == -EADDRINUSE ? 1 : 2;
	}
	log_info("daemon", "listening on %s", d->cfg.socket_path);
	r = daemon_metrics_start(d, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "blimpd: %s\n", err);
		daemon_ctl_close();
		virt_conn_close(&d->conn);
		return 1;
	}
	if (d->cfg.metrics_listen[0])
		log_info("daemon", "metrics on http://%s/metrics", d->cfg.metrics_listen);
	daemon_notify_ready(d, virt_loop_now_ms());

	int id1 = virt_loop_add_fd(sfd, POLLIN, signal_cb, d);
	int id2 = virt_loop_add_fd(d->conn.event_fd, POLLIN, conn_event_cb, d);
	int id3 = virt_loop_add_timer(d->cfg.collect_period_ms, daemon_tick, d);
	int id4 = virt_loop_add_timer(0, daemon_tick, d); /* first collection at once */
	if (id1 < 0 || id2 < 0 || id3 < 0 || id4 < 0) {
		fprintf(stderr, "blimpd: out of memory\n");
		return 1;
	}

	int rc = 0;
	while (!d->quit) {
		r = virt_loop_run_once(1000);
		if (r < 0) {
			log_err("daemon", "event loop: %s", strerror(-r));
			rc = 1;
			break;
		}
		daemon_notify_loop(d, virt_loop_now_ms());
	}

	log_info("daemon", "exiting: %s", d->keep_vms_on_exit ? "VMs keep running"
							      : "stopping VMs blimp started");
	daemon_notify_stopping(d->keep_vms_on_exit ? "restoring the host, VMs keep running"
						   : "restoring the host, stopping VMs blimp started");
	daemon_domains_restore(d);
	daemon_restore_host(d);
	if (!d->keep_vms_on_exit)
		stop_managed_vms(d);
	daemon_vms_free(d); /* agents answer pending execs (ECANCELED) while clients live */
	daemon_metrics_stop();
	daemon_ctl_close();
	virt_conn_close(&d->conn);
	policy_state_free(d->pstate);
	history_free(d->history);
	daemon_domorig_free(d->domorig);
	close(sfd);
	for (size_t i = 0; i < d->n_flag_settings; i++)
		free(d->flag_settings[i].value);
	free(d->flag_settings);
	return rc;
}
