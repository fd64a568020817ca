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

/* The options of a command that has, besides -s/--socket and -h/--help, at most one
 * option: a boolean flag (--json, --force...). getopt over argv[0..end), which it
 * reorders: the positionals start at optind. flag_long NULL: no flag (flag may be NULL
 * then); flag_short 0: the long form only. Returns 0, CLI_PARSE_HELP or -EINVAL (message in err).
 */
int cli_parse_flag_opts(int end, char **argv, const char *flag_long, char flag_short, bool *flag,
			const char **socket, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/* Check a VM name; -EINVAL with a message naming the bad value ("missing VM name" for
 * NULL). */
int cli_parse_name(const char *name, char *err, size_t errlen);
/* The VM name at argv[optind] if optind < end (else missing), checked, in *name. */
int cli_parse_name_at(int end, char **argv, const char **name, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/* argv[first..end) are the positionals: between nmin and nmax of them go to out[]
 * (missing ones NULL). */
int cli_parse_positionals(int first, int end, char **argv, const char **out, int nmin, int nmax,
			  char *err, size_t errlen);
/* The memory settings start and set take, in this order (as request keys). */
enum cli_setting {
	CLI_SETTING_SHARES,
	CLI_SETTING_RESERVATION,
	CLI_SETTING_LIMIT,
	CLI_SETTING_MAXMEMCTL,
	CLI_SETTING_COUNT,
};
extern const char *const cli_setting_keys[CLI_SETTING_COUNT];
/* Parse val into setting k and mark it given. Errors name the option prefix + key
 * ("--shares" for start, "shares" for set). once: a second value for k is an error
 * ("shares given twice"); otherwise the last one wins. */
int cli_settings_parse(struct cli_vm_settings *s, enum cli_setting k, const char *prefix,
		       const char *val, bool once, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/* Add the given settings to a request's args (shares, reservation, limit, maxmemctl). */
void cli_settings_to_json(const struct cli_vm_settings *s, json_object *args);

/* ctx with the subcommand's own -s/--socket applied. */
struct cli_ctx cli_ctx_with(const struct cli_ctx *ctx, const char *socket_flag);
