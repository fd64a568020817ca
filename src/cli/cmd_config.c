/*
 * blimp config [--json] and blimp config set KEY=VALUE...: the settings in force, and
 * runtime keys changed while blimpd runs (docs/settings.md). blimpd checks the pairs
 * together and applies all or none; the CLI only splits KEY=VALUE.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmds.h"
#include "cli/format.h"
#include "cli/parse.h"

static const char cli_config_usage[] =
    "Usage: blimp config [--json]\n"
    "       blimp config set KEY=VALUE...\n"
    "Show blimpd's settings in force: every key, its value, its default and when a change\n"
    "takes effect (runtime, or restart). `set` changes runtime keys of the running\n"
    "blimpd: the pairs are checked together and applied at once, or none is (a bad value\n"
    "or a restart key refuses them all). A change is not written to any file: it lasts\n"
    "until blimpd restarts or a SIGHUP (systemctl reload blimpd) re-reads the settings\n"
    "file. Keys and values: docs/settings.md, `blimpd --print-config`.\n"
    "  --json      print the daemon's answer (every key with value, default, type,\n"
    "              range, when and help)\n"
    "  -s, --socket PATH   blimpd's control socket\n";

int cli_config_parse(int argc, char **argv, struct cli_config_opts *o, char *err, size_t errlen)
{
	*o = (struct cli_config_opts){0};
	int r = cli_parse_flag_opts(argc, argv, "json", 0, &o->json, &o->socket, err, errlen);
	if (r != 0)
		return r;
	if (optind >= argc)
		return 0;
	if (strcmp(argv[optind], "set") != 0) {
		snprintf(err, errlen, "unknown argument '%.64s' (only 'set KEY=VALUE...')",
			 argv[optind]);
		return -EINVAL;
	}
	if (o->json) {
		snprintf(err, errlen, "--json goes with `blimp config`, not with set");
		return -EINVAL;
	}
	o->set = true;
	o->pairs = argv + optind + 1;
	o->n_pairs = argc - optind - 1;
	if (o->n_pairs == 0) {
		snprintf(err, errlen, "set: missing KEY=VALUE");
		return -EINVAL;
	}
	for (int i = 0; i < o->n_pairs; i++) {
		const char *eq = strchr(o->pairs[i], '=');
		if (!eq || eq == o->pairs[i]) {
			snprintf(err, errlen, "set: '%.64s' is not KEY=VALUE", o->pairs[i]);
			return -EINVAL;
		}
		for (int j = 0; j < i; j++) {
			size_t n = (size_t)(eq - o->pairs[i]);
			if (strncmp(o->pairs[j], o->pairs[i], n) == 0 && o->pairs[j][n] == '=') {
				snprintf(err, errlen, "set: key '%.*s' given twice", (int)(n > 64 ? 64 : n),
					 o->pairs[i]);
				return -EINVAL;
			}
		}
	}
	return 0;
}

json_object *cli_config_set_args(const struct cli_config_opts *o)
{
	json_object *args = json_object_new_object();
	json_object *vals = json_object_new_object();
	if (!args || !vals) {
		json_object_put(args);
		json_object_put(vals);
		return NULL;
	}
	for (int i = 0; i < o->n_pairs; i++) {
		const char *eq = strchr(o->pairs[i], '=');
		char key[128];
		size_t n = (size_t)(eq - o->pairs[i]);
		if (n >= sizeof(key))
			n = sizeof(key) - 1; /* blimpd says the key is unknown */
		memcpy(key, o->pairs[i], n);
		key[n] = '\0';
		json_object_object_add(vals, key, json_object_new_string(eq + 1));
	}
	json_object_object_add(args, "values", vals);
	return args;
}

static void cli_config_print(json_object *res)
{
	json_object *arr = NULL;
	if (!json_object_object_get_ex(res, "settings", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		cli_error("config", "blimpd's answer has no settings");
		return;
	}
	char k[80], v[256], d[256];
	printf("%-24s %-8s %-24s %s\n", "KEY", "WHEN", "VALUE", "DEFAULT");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		const char *key = cli_json_str(o, "key"), *val = cli_json_str(o, "value"),
			   *def = cli_json_str(o, "default"), *when = cli_json_str(o, "when");
		printf("%-24s %-8s %-24s %s\n", cli_sanitize(key ? key : "?", k, sizeof(k)),
		       when && strcmp(when, "runtime") == 0 ? "runtime" : "restart",
		       cli_sanitize(val ? val : "", v, sizeof(v)),
		       cli_sanitize(def ? def : "", d, sizeof(d)));
	}
}

static void cli_config_print_changed(json_object *res)
{
	json_object *arr = NULL;
	size_t n = json_object_object_get_ex(res, "changed", &arr) &&
			   json_object_is_type(arr, json_type_array)
		       ? json_object_array_length(arr)
		       : 0;
	if (n == 0) {
		printf("settings unchanged (already in force)\n");
		return;
	}
	char k[80], a[256], b[256];
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		const char *key = cli_json_str(o, "key"), *from = cli_json_str(o, "from"),
			   *to = cli_json_str(o, "to");
		printf("%s: %s -> %s\n", cli_sanitize(key ? key : "?", k, sizeof(k)),
		       cli_sanitize(from ? from : "", a, sizeof(a)),
		       cli_sanitize(to ? to : "", b, sizeof(b)));
	}
	printf("(until blimpd restarts or re-reads its settings file on SIGHUP)\n");
}

int cli_config_run(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_config_opts o;
	char err[256];
	int rc, r = cli_config_parse(argc, argv, &o, err, sizeof(err));
	if (cli_parse_done("config", r, err, cli_config_usage, &rc))
		return rc;
	struct cli_ctx c = cli_ctx_with(ctx, o.socket);
	struct cli_reply reply;
	if (o.set)
		rc = cli_request_take(&c, "config_set", cli_config_set_args(&o), CLI_TIMEOUT_MS,
				      &reply);
	else
		rc = cli_request(&c, "config", NULL, CLI_TIMEOUT_MS, &reply);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (o.set)
		cli_config_print_changed(reply.result);
	else if (o.json)
		printf("%s\n", json_object_to_json_string_ext(reply.result, JSON_C_TO_STRING_PRETTY));
	else
		cli_config_print(reply.result);
	cli_reply_free(&reply);
	return CLI_EXIT_OK;
}
