/*
 * DESIGN: the demo's conversation with its guests, all through blimpd (exec over the
 * guest agent, start, top, status): boot them with their schedule, wait until each has
 * read its data disk, tell them when the phases start, and read back their kernel logs
 * and wsloop's throughput at the end.
 */
#include "cli/demo_core.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmds.h"
#include "cli/format.h"

/* Run argv in a guest; 0 with the guest's status (and output, malloc'ed, if wanted),
 * or an exit status from the request. */
int demo_exec(struct demo *d, const char *name, const char *const *argv, int timeout_ms,
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

int demo_start_vms(struct demo *d)
{
	for (unsigned i = 0; i < d->o.vms && !demo_stop; i++) {
		char script[1024];
		int n = demo_plan_guest_cmd(script, sizeof(script));
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
int demo_wait_filled(struct demo *d)
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

bool demo_is_tcg(struct demo *d)
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
uint64_t demo_measure_ovhd(struct demo *d)
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

int demo_start_phase(struct demo *d, unsigned i, uint64_t duration_s)
{
	char cmd[160];
	demo_plan_phase_cmd(duration_s, d->o.ws_mib, cmd, sizeof(cmd));
	const char *const argv[] = {"sh", "-c", cmd, NULL};
	int st = -1;
	int rc = demo_exec(d, d->names[i], argv, 10000, &st, NULL);
	if (rc == CLI_EXIT_OK && st != 0)
		rc = CLI_EXIT_DAEMON;
	return rc;
}

void demo_collect_guests(struct demo *d, struct demo_vm_result *res)
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
