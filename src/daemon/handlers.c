/*
 * DESIGN: one function per command. Each validates every argument before touching
 * anything (so an error leaves nothing half-applied), then does the work through
 * virt/, then answers. exec is the only asynchronous command: it holds the client
 * until the guest agent's answer (or a timeout) arrives. start, the longest, is in
 * start.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "daemon/daemon.h"
#include "daemon/handlers.h"
#include "daemon/proto.h"
#include "util/log.h"
#include "util/size.h"
#include "virt/agent.h"
#include "virt/agentproto.h"
#include "virt/dom.h"
#include "virt/domxml.h"
#include "virt/loop.h"
#include "virt/meta.h"

#define ERRLEN DAEMON_HANDLER_ERRLEN
#define EXEC_TIMEOUT_DEFAULT_MS 60000
#define EXEC_TIMEOUT_MAX_MS (24u * 3600u * 1000u)

/* The settings as the policy applies them (maxmemctl: daemon_vm_mctlmax). */
static json_object *settings_json(const struct blimpd *d, const struct daemon_vm *v)
{
	const struct vm_settings *s = &v->settings;
	uint64_t memsz = v->memsz_bytes;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "shares", json_object_new_uint64(model_vm_shares(s, memsz)));
	json_object_object_add(o, "reservation", json_object_new_uint64(s->reservation_bytes));
	json_object_object_add(o, "limit", json_object_new_uint64(model_vm_limit(s, memsz)));
	json_object_object_add(o, "maxmemctl", json_object_new_uint64(daemon_vm_mctlmax(d, v)));
	return o;
}

/* Sum of reservations of the other VMs (name excluded). */
static uint64_t reservations_except(struct blimpd *d, const char *name)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < d->n_vms; i++)
		if (d->vms[i].active && (!name || strcmp(d->vms[i].name, name) != 0))
			sum += d->vms[i].settings.reservation_bytes;
	return sum;
}

int daemon_settings_check(struct blimpd *d, const char *name, const struct vm_settings *s,
			  uint64_t memsz, char *err, size_t errlen)
{
	int r = virt_meta_validate(s, memsz, err, errlen);
	if (r < 0)
		return r;
	uint64_t budget = d->cfg.policy.budget_bytes;
	uint64_t others = reservations_except(d, name);
	if (budget && s->reservation_bytes > 0 && others + s->reservation_bytes > budget) {
		uint64_t total = others + s->reservation_bytes;
		char a[32], b[32], over[32];
		size_format_pair(total, budget, a, b, sizeof(a));
		snprintf(err, errlen, "reservations would total %s, %s over the budget of %s", a,
			 size_format(total - budget, over, sizeof(over)), b);
		return -ERANGE;
	}
	return 0;
}

int daemon_settings_read(json_object *args, struct vm_settings *s, char *err, size_t errlen)
{
	int r;
	if ((r = daemon_arg_u64(args, "shares", false, &s->shares, err, errlen)) < 0 &&
	    r != -ENOENT)
		return r;
	if ((r = daemon_arg_u64(args, "reservation", false, &s->reservation_bytes, err, errlen)) <
		0 &&
	    r != -ENOENT)
		return r;
	if ((r = daemon_arg_u64(args, "limit", false, &s->limit_bytes, err, errlen)) < 0 &&
	    r != -ENOENT)
		return r;
	if ((r = daemon_arg_u64(args, "maxmemctl", false, &s->maxmemctl_bytes, err, errlen)) < 0 &&
	    r != -ENOENT)
		return r;
	return 0;
}

int daemon_strv_shell_join(json_object *arr, char *out, size_t outlen)
{
	size_t n = json_object_array_length(arr);
	const char **argv = calloc(n, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		argv[i] = json_object_get_string(json_object_array_get_idx(arr, i));
	int r = virt_shell_join(argv, n, out, outlen);
	free(argv);
	return r < 0 ? -E2BIG : 0;
}

static int get_vm(struct blimpd *d, json_object *args, struct daemon_vm **out, char *err,
		  size_t errlen)
{
	const char *name;
	int r = daemon_arg_string(args, "name", true, &name, err, errlen);
	if (r < 0)
		return r;
	struct daemon_vm *v = virt_name_valid(name) ? daemon_vm_find(d, name) : NULL;
	/* a domain whose name blimp cannot take (too long, odd characters) by its UUID */
	for (size_t i = 0; !v && strlen(name) == MODEL_UUID_LEN - 1 && i < d->n_vms; i++)
		if (strcasecmp(d->vms[i].uuid, name) == 0)
			v = &d->vms[i];
	if (!v) {
		char safe[80];
		snprintf(safe, sizeof(safe), "%s", name);
		for (char *p = safe; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		snprintf(err, errlen, "no VM named '%s'", safe);
		return -ENOENT;
	}
	*out = v;
	return 0;
}

static void h_status(struct blimpd *d, struct ctl_client *c, struct daemon_request *req)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "version", json_object_new_string(BLIMPD_VERSION));
	json_object_object_add(o, "policy",
			       json_object_new_string(policy_kind_name(d->cfg.policy.kind)));
	json_object_object_add(o, "dry_run", json_object_new_boolean(d->cfg.dry_run));
	json_object_object_add(o, "libvirt_uri", json_object_new_string(d->conn.uri));
	json_object_object_add(o, "libvirt_connected", json_object_new_boolean(d->conn_ok));
	json_object *lv = json_object_new_object();
	json_object_object_add(lv, "uri", json_object_new_string(d->conn.uri));
	json_object_object_add(lv, "connected", json_object_new_boolean(d->conn_ok));
	if (!d->conn_ok) {
		uint64_t now = virt_loop_now_ms();
		json_object_object_add(lv, "disconnected_since",
				       json_object_new_int64(d->conn_lost_unix_s));
		json_object_object_add(lv, "disconnected_ms",
				       json_object_new_uint64(now - d->conn_lost_ms));
		json_object_object_add(lv, "retry_every_ms",
				       json_object_new_uint64(DAEMON_RECONNECT_MS));
		json_object_object_add(
		    lv, "next_retry_ms",
		    json_object_new_uint64(d->conn_retry_ms > now ? d->conn_retry_ms - now : 0));
	}
	json_object_object_add(o, "libvirt", lv);
	json_object_object_add(o, "accel", json_object_new_string(virt_accel_name(d->conn.accel)));
	json_object_object_add(o, "accel_reason", json_object_new_string(d->conn.accel_reason));
	json_object_object_add(o, "n_vms", json_object_new_uint64(d->n_vms));
	json_object_object_add(o, "state_dir", json_object_new_string(d->cfg.state_dir));
	char ml[128];
	json_object_object_add(
	    o, "mlock", json_object_new_string(daemon_mlock_describe(&d->mlock, ml, sizeof(ml))));
	json_object_object_add(o, "lock_file", json_object_new_string(d->cfg.lock_file));
	json_object_object_add(o, "qemu_user",
			       json_object_new_string(d->conn.embedded ? d->conn.qemu_user : ""));
	json_object_object_add(o, "collect_cpu_us", json_object_new_uint64(d->collect_cpu_us));
	json_object_object_add(o, "collect_cpu_process_us",
			       json_object_new_uint64(d->collect_cpu_process_us));
	json_object_object_add(o, "collect_count", json_object_new_uint64(d->collect_count));
	json_object_object_add(o, "collect_cpu_total_us",
			       json_object_new_uint64(d->collect_cpu_total_us));
	json_object_object_add(o, "collect_cpu_process_total_us",
			       json_object_new_uint64(d->collect_cpu_process_total_us));
	/* collection ticks and how late they started (DAEMON_TICK_LATE_MS or more: late) */
	json_object_object_add(o, "ticks", json_object_new_uint64(d->ticks));
	json_object_object_add(o, "ticks_late", json_object_new_uint64(d->ticks_late));
	json_object_object_add(o, "tick_late_max_ms", json_object_new_uint64(d->tick_late_max_ms));
	json_object_object_add(o, "host", daemon_host_json(d));
	json_object_object_add(o, "counters", daemon_counters_json(d));
	json_object_object_add(o, "history", daemon_history_json(d));
	daemon_ctl_reply_ok(c, req->id, o);
	json_object_put(o);
}

static void h_ls(struct blimpd *d, struct ctl_client *c, struct daemon_request *req)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < d->n_vms; i++) {
		const struct daemon_vm *v = &d->vms[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(v->name));
		json_object_object_add(o, "uuid", json_object_new_string(v->uuid));
		json_object_object_add(o, "state",
				       json_object_new_string(v->active ? "running" : "shut off"));
		json_object_object_add(o, "memsz", json_object_new_uint64(v->memsz_bytes));
		json_object_object_add(o, "consumed",
				       json_object_new_uint64(v->snap.consumed_bytes));
		uint64_t act =
		    v->snap.balloon_actual_bytes ? v->snap.balloon_actual_bytes : v->current_bytes;
		json_object_object_add(
		    o, "mctlsz",
		    json_object_new_uint64(v->memsz_bytes > act ? v->memsz_bytes - act : 0));
		json_object_object_add(o, "managed", json_object_new_boolean(v->managed));
		json_object_array_add(arr, o);
	}
	json_object *res = json_object_new_object();
	json_object_object_add(res, "vms", arr);
	daemon_ctl_reply_ok(c, req->id, res);
	json_object_put(res);
}

static void h_stop(struct blimpd *d, struct ctl_client *c, struct daemon_request *req)
{
	static const char *const allowed[] = {"name", "force", NULL};
	char err[ERRLEN] = "";
	struct daemon_vm *v;
	bool force = false;
	int r;
	if ((r = daemon_args_only(req->args, allowed, err, sizeof(err))) < 0 ||
	    (r = get_vm(d, req->args, &v, err, sizeof(err))) < 0 ||
	    ((r = daemon_arg_bool(req->args, "force", &force, err, sizeof(err))) < 0 &&
	     r != -ENOENT))
		goto fail;
	char name[MODEL_NAME_MAX], uuid[MODEL_UUID_LEN];
	snprintf(name, sizeof(name), "%s", v->name);
	snprintf(uuid, sizeof(uuid), "%s", v->uuid);
	bool managed = v->managed;
	/* blimp's guests have nothing to save: a hard stop. Persistent domains blimp
	 * did not start stay defined. */
	r = virt_dom_destroy(&d->conn, uuid, managed, err, sizeof(err));
	if (r < 0 && r != -EINVAL)
		goto fail;
	log_info("vm", "%s: stopped", name);
	virt_agent_free(v->agent);
	v->agent = NULL;
	if (managed)
		daemon_vm_remove_files(d, name);
	if (daemon_vms_sync(d) < 0)
		log_warn("vm", "%s: stopped but the VM list could not be refreshed", name);
	daemon_ctl_reply_ok(c, req->id, NULL);
	return;
fail:
	daemon_ctl_reply_err(c, req->id, r, "%s", err);
}

struct exec_ctx {
	struct ctl_client *c;
	json_object *id;
	char name[MODEL_NAME_MAX];
};

static void exec_done(void *opaque, int err, int status, const char *out, size_t len,
		      const char *msg)
{
	struct exec_ctx *x = opaque;
	if (err == 0) {
		json_object *res = json_object_new_object();
		json_object_object_add(res, "status", json_object_new_int(status));
		json_object_object_add(res, "output", daemon_json_string_utf8(out, len));
		daemon_ctl_reply_ok(x->c, x->id, res);
		json_object_put(res);
	} else {
		int code = err == -ECANCELED ? -ENOENT : err;
		daemon_ctl_reply_err(x->c, x->id, code, "%s: %s", x->name,
				     msg ? msg : strerror(-err));
	}
	json_object_put(x->id);
	daemon_ctl_client_release(x->c);
	free(x);
}

static void h_exec(struct blimpd *d, struct ctl_client *c, struct daemon_request *req)
{
	static const char *const allowed[] = {"name", "argv", "command", "timeout_ms", NULL};
	char err[ERRLEN] = "";
	struct daemon_vm *v;
	json_object *argvj = NULL;
	const char *command = NULL;
	uint64_t timeout = EXEC_TIMEOUT_DEFAULT_MS;
	char *cmd = NULL;
	int r;
	if ((r = daemon_args_only(req->args, allowed, err, sizeof(err))) < 0 ||
	    (r = get_vm(d, req->args, &v, err, sizeof(err))) < 0)
		goto fail;
	if ((r = daemon_arg_strv(req->args, "argv", &argvj, err, sizeof(err))) < 0 && r != -ENOENT)
		goto fail;
	if ((r = daemon_arg_string(req->args, "command", false, &command, err, sizeof(err))) < 0 &&
	    r != -ENOENT)
		goto fail;
	if ((r = daemon_arg_u64(req->args, "timeout_ms", false, &timeout, err, sizeof(err))) < 0 &&
	    r != -ENOENT)
		goto fail;
	if (timeout > EXEC_TIMEOUT_MAX_MS) {
		snprintf(err, sizeof(err), "timeout_ms above 24 hours");
		r = -ERANGE;
		goto fail;
	}
	if ((!argvj || json_object_array_length(argvj) == 0) == !command) {
		snprintf(err, sizeof(err), "give either \"argv\" (non-empty) or \"command\"");
		r = -EINVAL;
		goto fail;
	}
	if (!v->active) {
		snprintf(err, sizeof(err), "VM '%s' is not running", v->name);
		r = -EINVAL;
		goto fail;
	}
	if (!v->agent) {
		snprintf(err, sizeof(err),
			 "VM '%s' has no blimp guest agent (not started by blimp)", v->name);
		r = -EINVAL;
		goto fail;
	}
	if (argvj) {
		cmd = malloc(VIRT_AGENT_CMD_MAX + 1);
		r = cmd ? daemon_strv_shell_join(argvj, cmd, VIRT_AGENT_CMD_MAX + 1) : -ENOMEM;
		if (r < 0) {
			snprintf(err, sizeof(err),
				 r == -ENOMEM ? "out of memory" : "command over 64 KiB");
			goto fail;
		}
	} else {
		cmd = strdup(command);
		if (!cmd) {
			r = -ENOMEM;
			goto fail;
		}
	}
	struct exec_ctx *x = calloc(1, sizeof(*x));
	if (!x) {
		r = -ENOMEM;
		goto fail;
	}
	x->c = c;
	x->id = req->id ? json_object_get(req->id) : NULL;
	snprintf(x->name, sizeof(x->name), "%s", v->name);
	daemon_ctl_client_hold(c);
	r = virt_agent_exec(v->agent, cmd, (uint32_t)timeout, exec_done, x);
	if (r < 0) {
		daemon_ctl_client_release(c);
		json_object_put(x->id);
		free(x);
		snprintf(err, sizeof(err),
			 r == -EBUSY ? "too many commands queued for '%s'"
				     : "command for '%s' refused",
			 v->name);
		goto fail;
	}
	free(cmd);
	return;
fail:
	free(cmd);
	daemon_ctl_reply_err(c, req->id, r, "%s", err[0] ? err : strerror(-r));
}

static void h_stats(struct blimpd *d, struct ctl_client *c, struct daemon_request *req)
{
	static const char *const allowed[] = {"name", NULL};
	char err[ERRLEN] = "";
	struct daemon_vm *v;
	int r;
	if ((r = daemon_args_only(req->args, allowed, err, sizeof(err))) < 0 ||
	    (r = get_vm(d, req->args, &v, err, sizeof(err))) < 0) {
		daemon_ctl_reply_err(c, req->id, r, "%s", err);
		return;
	}
	daemon_vm_refresh(d, v);
	json_object *o = daemon_vm_json(d, v);
	daemon_ctl_reply_ok(c, req->id, o);
	json_object_put(o);
}

static void h_balloon(struct blimpd *d, struct ctl_client *c, struct daemon_request *req)
{
	static const char *const allowed[] = {"name", "target", "auto", NULL};
	char err[ERRLEN] = "";
	struct daemon_vm *v;
	uint64_t target = 0;
	bool autom = false;
	int r;
	if ((r = daemon_args_only(req->args, allowed, err, sizeof(err))) < 0 ||
	    (r = get_vm(d, req->args, &v, err, sizeof(err))) < 0)
		goto fail;
	if ((r = daemon_arg_bool(req->args, "auto", &autom, err, sizeof(err))) < 0 && r != -ENOENT)
		goto fail;
	r = daemon_arg_u64(req->args, "target", !autom, &target, err, sizeof(err));
	if (r < 0 && !(autom && r == -ENOENT))
		goto fail;
	if (autom && r == 0) {
		snprintf(err, sizeof(err), "give either \"target\" or \"auto\": true");
		r = -EINVAL;
		goto fail;
	}
	if (!v->active) {
		snprintf(err, sizeof(err), "VM '%s' is not running", v->name);
		r = -EINVAL;
		goto fail;
	}
	json_object *res = json_object_new_object();
	if (autom) {
		v->manual_target_bytes = 0;
		log_info("act", "%s: balloon back under the policy", v->name);
		json_object_object_add(res, "auto", json_object_new_boolean(1));
		daemon_ctl_reply_ok(c, req->id, res);
		json_object_put(res);
		return;
	}
	json_object_put(res);
	uint64_t memsz = v->memsz_bytes;
	uint64_t mctlmax = daemon_vm_mctlmax(d, v);
	char a[32], b[32], mx[32], lo[32];
	if (target > memsz) {
		size_format_pair(target, memsz, a, b, sizeof(a));
		snprintf(err, sizeof(err), "target %s above the VM's memory size %s", a, b);
		r = -ERANGE;
		goto fail;
	}
	if (memsz - target > mctlmax) {
		size_format_pair(memsz - target, mctlmax, b, mx, sizeof(b));
		size_format_pair(target, memsz - mctlmax, a, lo, sizeof(a));
		snprintf(err, sizeof(err),
			 "target %s would balloon %s, above MCTLMAX %s (lowest target %s)", a, b,
			 mx, lo);
		r = -ERANGE;
		goto fail;
	}
	if (target < v->settings.reservation_bytes) {
		size_format_pair(target, v->settings.reservation_bytes, a, b, sizeof(a));
		snprintf(err, sizeof(err), "target %s below the VM's reservation %s", a, b);
		r = -ERANGE;
		goto fail;
	}
	target = target / 1024 * 1024;
	r = daemon_apply_balloon(d, v, target, "manual", err, sizeof(err));
	if (r < 0)
		goto fail;
	v->manual_target_bytes = target;
	res = json_object_new_object();
	json_object_object_add(res, "target", json_object_new_uint64(target));
	json_object_object_add(res, "mctltgt", json_object_new_uint64(memsz - target));
	daemon_ctl_reply_ok(c, req->id, res);
	json_object_put(res);
	return;
fail:
	daemon_ctl_reply_err(c, req->id, r, "%s", err);
}

static void h_set(struct blimpd *d, struct ctl_client *c, struct daemon_request *req)
{
	static const char *const allowed[] = {"name",  "shares",    "reservation",
					      "limit", "maxmemctl", NULL};
	char err[ERRLEN] = "";
	struct daemon_vm *v;
	int r;
	if ((r = daemon_args_only(req->args, allowed, err, sizeof(err))) < 0 ||
	    (r = get_vm(d, req->args, &v, err, sizeof(err))) < 0)
		goto fail;
	struct vm_settings s = v->settings;
	if ((r = daemon_settings_read(req->args, &s, err, sizeof(err))) < 0)
		goto fail;
	if ((r = daemon_settings_check(d, v->name, &s, v->memsz_bytes, err, sizeof(err))) < 0)
		goto fail;
	r = virt_dom_set_meta(&d->conn, v->uuid, &s, v->managed, err, sizeof(err));
	if (r < 0)
		goto fail;
	v->settings = s;
	log_info("vm",
		 "%s: settings shares=%" PRIu64 " reservation=%" PRIu64 " limit=%" PRIu64
		 " maxmemctl=%" PRIu64,
		 v->name, s.shares, s.reservation_bytes, s.limit_bytes, s.maxmemctl_bytes);
	json_object *res = settings_json(d, v);
	daemon_ctl_reply_ok(c, req->id, res);
	json_object_put(res);
	return;
fail:
	daemon_ctl_reply_err(c, req->id, r, "%s", err);
}

static void h_top(struct blimpd *d, struct ctl_client *c, struct daemon_request *req)
{
	json_object *res = json_object_new_object();
	json_object_object_add(res, "host", daemon_host_json(d));
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < d->n_vms; i++)
		json_object_array_add(arr, daemon_vm_json(d, &d->vms[i]));
	json_object_object_add(res, "vms", arr);
	daemon_ctl_reply_ok(c, req->id, res);
	json_object_put(res);
}

static void h_shutdown(struct blimpd *d, struct ctl_client *c, struct daemon_request *req)
{
	static const char *const allowed[] = {"keep_vms", NULL};
	char err[ERRLEN] = "";
	bool keep = d->cfg.keep_vms;
	int r;
	if ((r = daemon_args_only(req->args, allowed, err, sizeof(err))) < 0 ||
	    ((r = daemon_arg_bool(req->args, "keep_vms", &keep, err, sizeof(err))) < 0 &&
	     r != -ENOENT)) {
		daemon_ctl_reply_err(c, req->id, r, "%s", err);
		return;
	}
	log_info("daemon", "shutdown requested (%s)", keep ? "keeping VMs" : "stopping VMs");
	d->keep_vms_on_exit = keep;
	d->quit = true;
	daemon_ctl_reply_ok(c, req->id, NULL);
}

void daemon_handle(struct blimpd *d, struct ctl_client *c, struct daemon_request *req)
{
	switch (req->cmd) {
	case DAEMON_CMD_STATUS:
		h_status(d, c, req);
		break;
	case DAEMON_CMD_LS:
		h_ls(d, c, req);
		break;
	case DAEMON_CMD_START:
		daemon_start_handle(d, c, req);
		break;
	case DAEMON_CMD_STOP:
		h_stop(d, c, req);
		break;
	case DAEMON_CMD_EXEC:
		h_exec(d, c, req);
		break;
	case DAEMON_CMD_STATS:
		h_stats(d, c, req);
		break;
	case DAEMON_CMD_BALLOON:
		h_balloon(d, c, req);
		break;
	case DAEMON_CMD_SET:
		h_set(d, c, req);
		break;
	case DAEMON_CMD_TOP:
		h_top(d, c, req);
		break;
	case DAEMON_CMD_SHUTDOWN:
		h_shutdown(d, c, req);
		break;
	case DAEMON_CMD_HISTORY:
		daemon_history_handle(d, c, req);
		break;
	case DAEMON_CMD_CONFIG:
	case DAEMON_CMD_CONFIG_SET:
		daemon_config_handle(d, c, req);
		break;
	default:
		daemon_ctl_reply_err(c, req->id, -EPROTO, "unknown command");
		break;
	}
}
