/* blimp stats: every figure of one VM. */
#include <stdio.h>

#include "cli/format.h"
#include "cli/parse.h"

static const char cli_stats_usage[] =
    "Usage: blimp stats NAME [--json]\n"
    "Show every memory figure of a VM in esxtop's vocabulary (human sizes).\n"
    "  --json      print the daemon's vm object (lower-case vocabulary keys, bytes)\n"
    "  -s, --socket PATH   blimpd's control socket\n";

int cli_stats_parse(int argc, char **argv, struct cli_stats_opts *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'}, CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	*o = (struct cli_stats_opts){0};
	CLI_GETOPT_RESET();
	int c;
	while ((c = getopt_long(argc, argv, ":" CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
			CLI_COMMON_CASES(o);
		}
	}
	const char *pos[1];
	int r = cli_parse_positionals(optind, argc, argv, pos, 1, 1, err, errlen);
	if (r < 0)
		return r;
	o->name = pos[0];
	return cli_parse_name(o->name, err, errlen);
}

int cli_stats_run(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_stats_opts o;
	char err[256];
	int rc, r = cli_stats_parse(argc, argv, &o, err, sizeof(err));
	if (cli_parse_done("stats", r, err, cli_stats_usage, &rc))
		return rc;
	struct cli_ctx c = cli_ctx_with(ctx, o.socket);
	json_object *args = json_object_new_object();
	json_object_object_add(args, "name", json_object_new_string(o.name));
	struct cli_reply reply;
	rc = cli_request(&c, "stats", args, CLI_TIMEOUT_MS, &reply);
	json_object_put(args);
	if (rc != CLI_EXIT_OK)
		return rc;
	/* The result is the vm object; accept {"vm":{...}} as well. */
	json_object *vm = cli_json_unwrap(reply.result, "vm");
	cli_print_result(vm, o.json, JSON_C_TO_STRING_PRETTY, cli_format_stats);
	cli_reply_free(&reply);
	return CLI_EXIT_OK;
}
