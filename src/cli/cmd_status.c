/* blimp status: the host as blimpd sees it. */
#include <stdio.h>

#include "cli/format.h"
#include "cli/parse.h"

static const char cli_status_usage[] =
    "Usage: blimp status [--json]\n"
    "Show the host: memory state, budget, free, minfree, overcommit, accelerator (and why),\n"
    "libvirt URI, KSM, swap, pressure, policy, the number of VMs and counters of hostile\n"
    "input and of the host swap limit's safety net.\n"
    "  --json      print the daemon's result object as JSON (bytes)\n"
    "  -s, --socket PATH   blimpd's control socket\n";

int cli_status_parse(int argc, char **argv, struct cli_status_opts *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'}, CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	*o = (struct cli_status_opts){0};
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
	return cli_parse_positionals(optind, argc, argv, NULL, 0, 0, err, errlen);
}

int cli_status_run(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_status_opts o;
	char err[256];
	int rc, r = cli_status_parse(argc, argv, &o, err, sizeof(err));
	if (cli_parse_done("status", r, err, cli_status_usage, &rc))
		return rc;
	struct cli_ctx c = cli_ctx_with(ctx, o.socket);
	struct cli_reply reply;
	rc = cli_request(&c, "status", NULL, CLI_TIMEOUT_MS, &reply);
	if (rc != CLI_EXIT_OK)
		return rc;
	cli_print_result(reply.result, o.json, JSON_C_TO_STRING_PRETTY, cli_format_status);
	cli_reply_free(&reply);
	return CLI_EXIT_OK;
}
