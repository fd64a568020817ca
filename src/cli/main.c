/* blimp: the command-line client of blimpd (docs/cli.md). Parses the global options,
 * then hands the rest of argv to the subcommand. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmds.h"
#include "util/version.h"

static void cli_main_usage(FILE *out)
{
	fprintf(out, "Usage: blimp [-s PATH] COMMAND [ARGS...]\n"
		     "Memory overcommit for KVM hosts: talk to blimpd.\n\nCommands:\n");
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (!c->hidden)
			fprintf(out, "  %-9s %s\n", c->name, c->summary);
	fprintf(out,
		"\nOptions:\n"
		"  -s, --socket PATH  blimpd's control socket (env BLIMP_SOCKET,\n"
		"                     default " CLI_DEFAULT_SOCKET ")\n"
		"  -h, --help         this help; 'blimp COMMAND --help' for a command's\n"
		"  -V, --version      print the version and exit\n"
		"\nExit status: 0 ok, 1 blimpd reported an error, 2 usage error, 3 blimpd not\n"
		"reachable; exec exits with the guest command's status.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *socket_flag = NULL;
	opterr = 0;
	int c;
	/* '+': stop at the command; its own options are its parser's business. */
	while ((c = getopt_long(argc, argv, "+:hVs:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			cli_main_usage(stdout);
			return CLI_EXIT_OK;
		case 'V':
			printf("blimp %s\n", BLIMP_VERSION);
			return CLI_EXIT_OK;
		case 's':
			socket_flag = optarg;
			break;
		default: {
			char err[128];
			int r = cli_getopt_error(c, argv, err, sizeof(err));
			(void)r;
			cli_error(NULL, "%s (see 'blimp --help')", err);
			return CLI_EXIT_USAGE;
		}
		}
	}
	if (optind >= argc) {
		cli_main_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	const char *name = argv[optind];
	if (strcmp(name, "help") == 0) {
		if (optind + 1 < argc && cli_command_find(argv[optind + 1])) {
			char *help_argv[] = {argv[optind + 1], "--help", NULL};
			struct cli_ctx ctx = {.socket_path = cli_socket_path(socket_flag)};
			return cli_command_find(argv[optind + 1])->run(&ctx, 2, help_argv);
		}
		cli_main_usage(stdout);
		return CLI_EXIT_OK;
	}
	const struct cli_command *cmd = cli_command_find(name);
	if (!cmd) {
		cli_error(NULL, "unknown command '%.40s' (see 'blimp --help')", name);
		return CLI_EXIT_USAGE;
	}
	struct cli_ctx ctx = {.socket_path = cli_socket_path(socket_flag)};
	return cmd->run(&ctx, argc - optind, argv + optind);
}
