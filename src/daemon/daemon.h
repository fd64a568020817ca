/*
 * blimpd's state, owned by the main thread: the configuration, the libvirt
 * connection, the VM table (one entry per libvirt domain, with its agent client,
 * latest snapshot and plan), the policy state and what was last applied.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "collect/access.h"
#include "collect/pidcache.h"
#include "daemon/config.h"
#include "daemon/mlock.h"
#include "daemon/metrics.h"
#include "daemon/wsalarm.h"
#include "model/model.h"
#include "policy/policy.h"
#include "util/version.h"
#include "virt/agent.h"
#include "virt/conn.h"
#include "virt/domcaps.h"

#define BLIMPD_VERSION BLIMP_VERSION
/* After libvirt's connection drops, a reconnect is tried this often. */
#define DAEMON_RECONNECT_MS 5000
/* A collection tick starting this much after its due time counts as late. */
#define DAEMON_TICK_LATE_MS 50

struct act_cgroup;
struct act_ksm;
struct act_originals;
struct act_swap;
struct daemon_domorig;
struct history;
struct blimpd;
struct daemon_vm;

/* The actuators blimpd owns (execute.c), made on first use, restored on exit. */
struct daemon_actuators {
	struct act_ksm *ksm;
	struct act_cgroup *cgroup;
	bool cgroup_failed; /* no memory cgroup: host swap limits off */
	struct act_swap *swap;
	bool swap_tried;
};

/* The tick's side that touches the host (execute.c: daemon_act_host), a table so
 * the tick runs in tests without one (tests/unit/test_daemon_tick.c). */
struct daemon_act_ops {
	/* Gather: fill ap's cgroup figures in force (policy_applied: limit, usage,
	 * rescues, leftover; cgroup_off when there is no cgroup to limit). */
	void (*observe)(struct blimpd *d, struct daemon_vm *v, struct policy_applied *ap);
	/* Execute one action; the next gather shows what it did. */
	int (*balloon)(struct blimpd *d, struct daemon_vm *v, uint64_t target_bytes,
		       const char *reason);
	void (*cgroup)(struct blimpd *d, struct daemon_vm *v, const struct policy_action *a);
	void (*ksm)(struct blimpd *d, const struct host_plan *hp);
};
extern const struct daemon_act_ops daemon_act_host;

struct daemon_vm {
	char name[MODEL_NAME_MAX];
	char uuid[MODEL_UUID_LEN];
	bool seen;       /* present at the last sync with libvirt */
	bool active;
	bool managed;    /* started by blimp (metadata managed=1) */
	bool persistent;
	uint64_t memsz_bytes;
	uint64_t current_bytes; /* libvirt's current memory (balloon target or actual) */
	struct vm_settings settings;
	pid_t pid;
	struct virt_agent *agent;
	int dom_id; /* libvirt's domain id of this run, -1 when shut off */

	/* What the domain's live XML offers blimp (domains.c), read when blimp adopts a
	 * run of it (found running, started, restarted): caps_known false = unreadable,
	 * every capability then counts as missing. */
	bool caps_known;
	struct virt_domcaps caps;
	unsigned period_orig_s; /* the domain's own stats period, when blimp changed it */
	unsigned period_set_s;  /* the period blimp set live; 0 = not changed */
	uint64_t adopt_bytes;   /* not started by blimp: balloon target blimp found (0 = none) */

	/* Manual balloon target from `balloon NAME SIZE`: pins the VM's target until
	 * `balloon NAME --auto` (target 0 in the protocol: "auto"). 0 = policy decides. */
	uint64_t manual_target_bytes;
	uint64_t applied_target_bytes; /* last balloon target blimpd set (0 = none yet) */
	/* What is in force for it and the policy's hold (policy_actions), gathered
	 * before each pass. */
	struct policy_applied applied;

	struct vm_snapshot snap; /* latest collection */
	/* QEMU's /proc figures: the guest-RAM split measured with smaps now and then,
	 * carried between by /proc/PID/status (collect/pidcache.h); reset with the pid */
	struct collect_pid_cache pidcache;
	pid_t pidcache_pid;
	struct collect_access access; /* host-side access sampling (DAMON or referenced bits) */
	uint64_t rss_bytes;  /* QEMU's whole RSS, this tick */
	uint64_t swap_bytes; /* QEMU's whole swap, this tick */
	bool have_plan;
	struct vm_plan plan;
};

struct blimpd {
	struct blimpd_config cfg;
	struct virt_conn conn;
	bool conn_ok;
	int conn_event_id;
	uint64_t conn_retry_ms;  /* next reconnect attempt (loop clock) */
	uint64_t conn_lost_ms;   /* when the connection dropped (loop clock) */
	int64_t conn_lost_unix_s; /* the same, wall clock */

	struct daemon_vm *vms;
	size_t n_vms, cap_vms;

	struct policy_state *pstate;
	struct daemon_actuators act;
	const struct daemon_act_ops *ops; /* NULL: daemon_act_host */
	/* STATE/host-originals: host settings' originals across a kill -9 (NULL in
	 * dry-run); handed to the actuators, finished in daemon_restore_host. */
	struct act_originals *originals;
	/* STATE/domain-originals: adoption targets and stats periods (daemon/domorig.h);
	 * NULL in dry-run. */
	struct daemon_domorig *domorig;
	struct host_snapshot host;
	bool have_host_plan;
	struct host_plan host_plan;
	struct daemon_wsalarm wsalarm; /* working sets exceed the budget (wsalarm.h) */
	uint64_t last_collect_ms;
	uint64_t last_balance_ms;
	uint64_t collect_cpu_us;         /* main thread's CPU time of the last collection */
	uint64_t collect_cpu_process_us; /* all threads (libvirt's too) during it */
	/* Since start, for per-collection averages (bench/observe). */
	uint64_t collect_count;
	uint64_t collect_cpu_total_us;         /* sum of collect_cpu_us */
	uint64_t collect_cpu_process_total_us; /* sum of collect_cpu_process_us */

	/* Hostile or broken input met since start (status "counters"): each was answered
	 * with an error or a clamp. */
	uint64_t ctl_bad_requests;    /* unparseable or invalid requests */
	uint64_t ctl_refused;         /* clients refused (uid) */
	uint64_t ctl_dropped;         /* clients dropped for not reading their replies */
	uint64_t guest_stats_clamped; /* VM ticks whose guest stats were out of range */

	/* The live history (history.h); NULL when history_s is 0. */
	struct history *history;
	/* Least privilege (main.c): the host-wide lock and blimpd's locked memory. */
	int lock_fd;
	struct daemon_mlock mlock;
	/* For the Prometheus endpoint (metrics_fill.c) and status. */
	uint64_t balloon_inflated_bytes, balloon_deflated_bytes; /* targets set, summed */
	uint64_t policy_passes;
	struct metrics_hist collect_hist; /* wall time of each collection */
	uint64_t tick_due_ms;      /* when the next collection tick should start */
	uint64_t ticks;            /* collection ticks run */
	uint64_t ticks_late;       /* of which started DAEMON_TICK_LATE_MS or more late */
	uint64_t tick_late_max_ms; /* largest lateness since start */
	uint64_t ticks_late_period; /* started more than one collect period late */

	bool quit;
	bool keep_vms_on_exit;
	uint64_t started_ms;

	/* Where the settings came from, for SIGHUP (reload.c): the file as at start and
	 * the command-line flags' key/value pairs, re-applied so flags keep winning. */
	const char *config_path;
	bool config_required;
	struct daemon_flag_setting {
		const char *key;
		char *value; /* malloc'ed; relative paths made absolute at start */
	} *flag_settings;
	size_t n_flag_settings;
	uint64_t config_reloads; /* settings changed since start (SIGHUP or config_set) */
	uint64_t config_refusals; /* changes refused */
};

/* Settings while blimpd runs (reload.c, docs/settings.md). */
/* Replace the settings in force by next, checked as a whole (config_check_change: a
 * bad value or a changed restart key refuses it all), the budget recomputed from
 * host_mem/headroom; source ("sighup", "config_set") goes into the log and the
 * config_reloaded event. 0, or -EINVAL with err filled and nothing changed. */
int daemon_config_commit(struct blimpd *d, struct blimpd_config *next, const char *source,
			 char *err, size_t errlen) __attribute__((warn_unused_result));
/* SIGHUP: defaults, the file and drop-ins, the start's flags again; then commit. A
 * refusal is logged and sent as the config_refused event. 0 or -errno. */
int daemon_config_reload(struct blimpd *d);

/* VM table (vms.c). */
struct daemon_vm *daemon_vm_find(struct blimpd *d, const char *name);
/* Re-read the domain list from libvirt: adds new domains, updates the rest, drops
 * those gone (freeing their agents). 0 or -errno. */
int daemon_vms_sync(struct blimpd *d) __attribute__((warn_unused_result));
/* Handle queued libvirt events (lifecycle, connection closed). */
void daemon_vms_handle_events(struct blimpd *d);
/* STATE/vms/NAME (and files within). */
int daemon_vm_dir(const struct blimpd *d, const char *name, const char *file, char *out,
		  size_t outlen) __attribute__((warn_unused_result));
/* Remove STATE/vms/NAME and what blimp put there. */
void daemon_vm_remove_files(const struct blimpd *d, const char *name);
void daemon_vms_free(struct blimpd *d);

struct json_object;
/* What blimp needs of a domain (domains.c). A run of a domain found, started or
 * restarted: read its XML's capabilities, set its stats period when it is missing or
 * too long, record a foreign domain's balloon target. */
void daemon_vm_adopt(struct blimpd *d, struct daemon_vm *v);
/* The run ended (stopped, gone): nothing of it to restore any more. */
void daemon_vm_unadopt(struct blimpd *d, struct daemon_vm *v);
/* The model's no_deflate_on_oom for this VM: true unless its XML says autodeflate on. */
bool daemon_vm_no_deflate_on_oom(const struct daemon_vm *v);
/* MCTLMAX the policy uses for it (its own maxmemctl, else by deflate-on-OOM). */
uint64_t daemon_vm_mctlmax(const struct blimpd *d, const struct daemon_vm *v);
/* The vm object's "domain" member (docs/protocol.md). */
struct json_object *daemon_vm_domain_json(const struct blimpd *d, const struct daemon_vm *v);
/* Orderly exit: stats periods blimp set go back to the domains' own; foreign domains'
 * balloon targets go back toward their adoption targets (on_exit=restore). */
void daemon_domains_restore(struct blimpd *d);

/* Collection, policy, acting (tick.c). */
void daemon_tick(void *opaque);
/* One pass: the running VMs' snapshots and what is in force (d->ops->observe) ->
 * policy_run -> policy_actions -> d->ops executes them. */
void daemon_balance(struct blimpd *d, uint64_t now_ms);
/* Collection (gather.c): host figures; every VM's balloon stats and /proc figures. */
int daemon_gather_host(struct host_snapshot *h) __attribute__((warn_unused_result));
void daemon_gather_vms(struct blimpd *d);
/* Stop a VM's host-side access sampler (a kdamond blimp started). */
void daemon_vm_stop_sampling(struct daemon_vm *v);
/* Fresh balloon actual and /proc figures for one VM (on-demand `stats`). */
void daemon_vm_refresh(struct blimpd *d, struct daemon_vm *v);
/* Status "counters": hostile input met and the host-swap limit's safety net. */
struct json_object *daemon_counters_json(const struct blimpd *d);
/* A VM's balloon actual and target as `stats` and `top` show them. */
void daemon_vm_balloon(const struct daemon_vm *v, uint64_t *actual, uint64_t *target);
/* SHRDSVD: memory KSM saves host-wide (pages_sharing x page size); 0 without KSM. */
uint64_t daemon_shrdsvd_bytes(const struct host_snapshot *h);
/* Fill *o with the vm object of the protocol (stats, top). */
struct json_object;
struct json_object *daemon_vm_json(const struct blimpd *d, const struct daemon_vm *v);
struct json_object *daemon_host_json(const struct blimpd *d);
/* A VM went away: undo its cgroup limit. */
void daemon_release_vm(struct blimpd *d, const char *name);
/* The host-swap limit's safety net since start (zeros before the first limit). */
void daemon_swap_safety(const struct blimpd *d, uint64_t *rescues, uint64_t *refused,
			uint64_t *oom_kills);
/* Host swap file, once, when the settings ask for one (execute.c). */
void daemon_swap_once(struct blimpd *d);
/* The balloon figures `stats` shows: actual (what the guest holds) and target. */
void daemon_vm_balloon(const struct daemon_vm *v, uint64_t *actual, uint64_t *target);

/* Prometheus endpoint (metrics_fill.c): start when metrics_listen is set; after each
 * collection, render what `stats` and `status` would say and hand it to the server. */
int daemon_metrics_start(struct blimpd *d, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void daemon_metrics_update(struct blimpd *d);
void daemon_metrics_stop(void);
/* Fill a snapshot of d (vms: room for d->n_vms). Exposed for tests and benchmarks. */
void daemon_metrics_fill(const struct blimpd *d, struct metrics_vm *vms,
			 struct metrics_snapshot *s);

/* Put back host settings blimp changed (KSM, cgroup limits, swap). */
void daemon_restore_host(struct blimpd *d);
/* Apply a balloon target now (manual or policy); logs with reason. 0 or -errno. */
int daemon_apply_balloon(struct blimpd *d, struct daemon_vm *v, uint64_t target_bytes,
			 const char *reason, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Live history (history_live.c): allocate it (0, or -ENOMEM with the size in the
 * log), add this tick's frame, answer a `history` request. */
int daemon_history_open(struct blimpd *d) __attribute__((warn_unused_result));
void daemon_history_record(struct blimpd *d, uint64_t now_ms);
struct daemon_request;
struct ctl_client;
void daemon_history_handle(struct blimpd *d, struct ctl_client *c, struct daemon_request *req);
/* The config and config_set requests (config_ctl.c, docs/protocol.md). */
void daemon_config_handle(struct blimpd *d, struct ctl_client *c, struct daemon_request *req);
/* status "history": {seconds, vms, bytes, frames, oldest_s} or {"seconds": 0} when off. */
struct json_object *daemon_history_json(const struct blimpd *d);

/* Control socket (ctl.c). */
int daemon_ctl_open(struct blimpd *d, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void daemon_ctl_close(void);

/* Command handlers (handlers.c; start in start.c): called by ctl.c for each request. */
struct daemon_request;
struct ctl_client;
/* Either answers at once via daemon_ctl_reply_* and returns, or keeps a reference
 * (daemon_ctl_client_hold) and answers later. */
void daemon_handle(struct blimpd *d, struct ctl_client *c, struct daemon_request *req);
void daemon_ctl_reply_ok(struct ctl_client *c, struct json_object *id, struct json_object *result);
void daemon_ctl_reply_err(struct ctl_client *c, struct json_object *id, int err,
			  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Keep a client (and its ordering) for an asynchronous answer; release after replying. */
void daemon_ctl_client_hold(struct ctl_client *c);
void daemon_ctl_client_release(struct ctl_client *c);
