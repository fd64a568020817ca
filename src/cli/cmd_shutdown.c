/* blimp shutdown: ask blimpd to exit (stopping its VMs unless --keep-vms). */
#include <stdio.h>

#include "cli/parse.h"

static const char cli_shutdown_usage[] =
    "Usage: blimp shutdown [--keep-vms]\n"
    "Ask blimpd to exit. It stops the VMs it manages first unless --keep-vms is given\n"
    "(a restarted blimpd finds kept VMs again).\n"
    "  --keep-vms  leave the VMs running\n"
    "  -s, --socket PATH   blimpd's control socket\n";

int cli_shutdown_parse(int argc, char **argv, struct cli_shutdown_opts *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {
	    {"keep-vms", no_argument, NULL, 'k'}, CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	*o = (struct cli_shutdown_opts){0};
	CLI_GETOPT_RESET();
	int c;
	while ((c = getopt_long(argc, argv, ":" CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			o->keep_vms = true;
			break;
			CLI_COMMON_CASES(o);
		}
	}
	return cli_parse_positionals(optind, argc, argv, NULL, 0, 0, err, errlen);
}

int cli_shutdown_run(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_shutdown_opts o;
	char err[256];
	int rc, r = cli_shutdown_parse(argc, argv, &o, err, sizeof(err));
	if (cli_parse_done("shutdown", r, err, cli_shutdown_usage, &rc))
		return rc;
	struct cli_ctx c = cli_ctx_with(ctx, o.socket);
	json_object *args = json_object_new_object();
	json_object_object_add(args, "keep_vms", json_object_new_boolean(o.keep_vms));
	struct cli_reply reply;
	/* Stopping every VM first can take a while. */
	rc = cli_request(&c, "shutdown", args, CLI_START_TIMEOUT_MS, &reply);
	json_object_put(args);
	if (rc != CLI_EXIT_OK)
		return rc;
	printf("blimpd is shutting down%s\n", o.keep_vms ? " (VMs kept running)" : "");
	cli_reply_free(&reply);
	return CLI_EXIT_OK;
}
