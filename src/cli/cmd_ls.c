/* blimp ls: the VMs blimpd knows. */
#include <stdio.h>

#include "cli/format.h"
#include "cli/parse.h"

static const char cli_ls_usage[] =
    "Usage: blimp ls [--json]\n"
    "List the VMs: NAME STATE MEMSZ CONSUMED MCTLSZ MANAGED UUID.\n"
    "  --json      print the daemon's result ({\"vms\":[...]}, bytes)\n"
    "  -s, --socket PATH   blimpd's control socket\n";

int cli_ls_parse(int argc, char **argv, struct cli_ls_opts *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'}, CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	*o = (struct cli_ls_opts){0};
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

int cli_ls_run(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_ls_opts o;
	char err[256];
	int rc, r = cli_ls_parse(argc, argv, &o, err, sizeof(err));
	if (cli_parse_done("ls", r, err, cli_ls_usage, &rc))
		return rc;
	struct cli_ctx c = cli_ctx_with(ctx, o.socket);
	struct cli_reply reply;
	rc = cli_request(&c, "ls", NULL, CLI_TIMEOUT_MS, &reply);
	if (rc != CLI_EXIT_OK)
		return rc;
	cli_print_result(reply.result, o.json, JSON_C_TO_STRING_PLAIN, cli_format_ls);
	cli_reply_free(&reply);
	return CLI_EXIT_OK;
}
