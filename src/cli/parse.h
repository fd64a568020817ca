/* Internal helpers for the subcommand parsers (see cmds.h). */
#pragma once
#include <getopt.h>

#include "cli/cli.h"
#include "cli/cmds.h"

/* Every subcommand takes these; its switch handles them with CLI_COMMON_CASES. */
#define CLI_COMMON_LONGOPTS                                                                        \
	{"socket", required_argument, NULL, 's'},                                                  \
	{                                                                                          \
		"help", no_argument, NULL, 'h'                                                     \
	}
#define CLI_COMMON_SHORTOPTS "hs:"
#define CLI_COMMON_CASES(o)                                                                        \
	case 'h':                                                                                  \
		return CLI_PARSE_HELP;                                                             \
	case 's':                                                                                  \
		(o)->socket = optarg;                                                              \
		break;                                                                             \
	case ':':                                                                                  \
	case '?':                                                                                  \
		return cli_getopt_error(c, argv, err, errlen)

/* Start getopt afresh for a new argv (tests parse many in one process). */
#define CLI_GETOPT_RESET()                                                                         \
	do {                                                                                       \
		optind = 0;                                                                        \
		opterr = 0;                                                                        \
	} while (0)

/* Check a VM name; -EINVAL with a message naming the bad value. */
int cli_parse_name(const char *name, char *err, size_t errlen);
/* argv[first..end) are the positionals: between nmin and nmax of them go to out[]
 * (missing ones NULL). */
int cli_parse_positionals(int first, int end, char **argv, const char **out, int nmin, int nmax,
			  char *err, size_t errlen);
/* ctx with the subcommand's own -s/--socket applied. */
struct cli_ctx cli_ctx_with(const struct cli_ctx *ctx, const char *socket_flag);
