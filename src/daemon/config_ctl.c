/*
 * The config and config_set requests (docs/protocol.md): the settings in force, and
 * runtime keys changed all together or not at all (reload.c commits them).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "daemon/daemon.h"
#include "daemon/proto.h"

#define CONFIG_CTL_ERRLEN 1024
/* More pairs than keys can only be a hostile or broken client. */
#define CONFIG_CTL_MAX_PAIRS 256

static json_object *config_ctl_settings(const struct blimpd *d)
{
	json_object *arr = json_object_new_array();
	struct config_key_view v;
	for (size_t i = 0; i < config_key_count(); i++) {
		config_key_view(&d->cfg, i, &v);
		json_object *o = json_object_new_object();
		json_object_object_add(o, "key", json_object_new_string(v.name));
		json_object_object_add(o, "value", json_object_new_string(v.value));
		json_object_object_add(o, "default", json_object_new_string(v.def));
		json_object_object_add(o, "type", json_object_new_string(v.type));
		json_object_object_add(o, "range", json_object_new_string(v.range));
		json_object_object_add(o, "when",
				       json_object_new_string(v.runtime ? "runtime" : "restart"));
		json_object_object_add(o, "help", json_object_new_string(v.help));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *config_ctl_result(const struct blimpd *d)
{
	json_object *res = json_object_new_object();
	json_object_object_add(res, "file", json_object_new_string(d->config_path));
	json_object_object_add(res, "budget", json_object_new_uint64(d->cfg.policy.budget_bytes));
	json_object_object_add(res, "changes", json_object_new_uint64(d->config_reloads));
	json_object_object_add(res, "refused", json_object_new_uint64(d->config_refusals));
	json_object_object_add(res, "settings", config_ctl_settings(d));
	return res;
}

/* args.values: {"KEY": "VALUE", ...}, all strings, applied to a copy of the settings
 * in force; restart keys are refused by name before anything else. */
static int config_ctl_set(struct blimpd *d, json_object *args, json_object **changed, char *err,
			  size_t errlen)
{
	static const char *const allowed[] = {"values", NULL};
	int r = daemon_args_only(args, allowed, err, errlen);
	if (r < 0)
		return r;
	json_object *vals = NULL;
	if (!json_object_object_get_ex(args, "values", &vals) ||
	    !json_object_is_type(vals, json_type_object) || json_object_object_length(vals) == 0) {
		snprintf(err, errlen, "'values' must be a non-empty object of KEY: \"VALUE\"");
		return -EINVAL;
	}
	if (json_object_object_length(vals) > CONFIG_CTL_MAX_PAIRS) {
		snprintf(err, errlen, "at most %d keys at once", CONFIG_CTL_MAX_PAIRS);
		return -E2BIG;
	}
	struct blimpd_config next = d->cfg;
	json_object_object_foreach(vals, key, val)
	{
		int rt = config_key_runtime(key);
		if (rt == 0) {
			snprintf(err, errlen,
				 "key '%.64s' is read at start only (restart): change the file or "
				 "flag and restart blimpd; nothing was changed",
				 key);
			return -EPERM;
		}
		if (!json_object_is_type(val, json_type_string)) {
			snprintf(err, errlen, "key '%.64s': the value must be a JSON string", key);
			return -EINVAL;
		}
		char kerr[512];
		r = config_set(&next, key, json_object_get_string(val), kerr, sizeof(kerr));
		if (r < 0) {
			snprintf(err, errlen, "%s; nothing was changed", kerr);
			return -EINVAL;
		}
	}
	struct blimpd_config before = d->cfg;
	r = daemon_config_commit(d, &next, "config_set", err, errlen);
	if (r < 0)
		return r;
	json_object *arr = json_object_new_array();
	struct config_key_view a, b;
	for (size_t i = 0; i < config_key_count(); i++) {
		config_key_view(&before, i, &a);
		config_key_view(&d->cfg, i, &b);
		if (strcmp(a.value, b.value) == 0)
			continue;
		json_object *o = json_object_new_object();
		json_object_object_add(o, "key", json_object_new_string(b.name));
		json_object_object_add(o, "from", json_object_new_string(a.value));
		json_object_object_add(o, "to", json_object_new_string(b.value));
		json_object_array_add(arr, o);
	}
	*changed = arr;
	return 0;
}

void daemon_config_handle(struct blimpd *d, struct ctl_client *c, struct daemon_request *req)
{
	char err[CONFIG_CTL_ERRLEN] = "";
	if (req->cmd == DAEMON_CMD_CONFIG) {
		static const char *const none[] = {NULL};
		int r = daemon_args_only(req->args, none, err, sizeof(err));
		if (r < 0) {
			daemon_ctl_reply_err(c, req->id, r, "%s", err);
			return;
		}
		json_object *res = config_ctl_result(d);
		daemon_ctl_reply_ok(c, req->id, res);
		json_object_put(res);
		return;
	}
	json_object *changed = NULL;
	int r = config_ctl_set(d, req->args, &changed, err, sizeof(err));
	if (r < 0) {
		d->config_refusals++;
		daemon_ctl_reply_err(c, req->id, r, "%s", err);
		return;
	}
	json_object *res = config_ctl_result(d);
	json_object_object_add(res, "changed", changed);
	daemon_ctl_reply_ok(c, req->id, res);
	json_object_put(res);
}
