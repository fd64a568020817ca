/* Helpers every subcommand parser shares: getopt error wording, positional NAME,
 * and reporting a parser's outcome. */
#include "cli/parse.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int cli_getopt_error(int c, char **argv, char *err, size_t errlen)
{
	/* getopt_long leaves the offending argument at argv[optind - 1] for long options;
	 * short ones (possibly bundled, "-xf") are named by optopt. */
	const char *arg = optind > 0 ? argv[optind - 1] : NULL;
	char name[64];
	bool is_long = arg && strncmp(arg, "--", 2) == 0;
	if (is_long) {
		size_t n = strcspn(arg, "=");
		snprintf(name, sizeof(name), "%.*s", (int)(n < 40 ? n : 40), arg);
	} else {
		snprintf(name, sizeof(name), "-%c", optopt > 0x20 && optopt < 0x7f ? optopt : '?');
	}
	for (char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	if (c == ':')
		snprintf(err, errlen, "option '%s' needs a value", name);
	else if (is_long && optopt != 0)
		snprintf(err, errlen, "option '%s' takes no value", name);
	else
		snprintf(err, errlen, "unknown option '%s'", name);
	return -EINVAL;
}

int cli_parse_name(const char *cmd_arg, char *err, size_t errlen)
{
	if (!cmd_arg) {
		snprintf(err, errlen, "missing VM name");
		return -EINVAL;
	}
	if (!cli_name_valid(cmd_arg)) {
		char shown[80];
		snprintf(shown, sizeof(shown), "%s", cmd_arg);
		for (char *p = shown; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
				*p = '?';
		snprintf(err, errlen,
			 "invalid VM name '%s%s' (1-63 of A-Z a-z 0-9 _ . -, starting with a "
			 "letter or digit)",
			 shown, strlen(cmd_arg) >= sizeof(shown) ? "..." : "");
		return -EINVAL;
	}
	return 0;
}

int cli_parse_positionals(int first, int end, char **argv, const char **out, int nmin, int nmax,
			  char *err, size_t errlen)
{
	int n = end - first;
	if (n < nmin) {
		snprintf(err, errlen, "missing argument");
		return -EINVAL;
	}
	if (n > nmax) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[first + nmax]);
		return -EINVAL;
	}
	for (int i = 0; i < nmax; i++)
		out[i] = i < n ? argv[first + i] : NULL;
	return 0;
}

bool cli_parse_done(const char *cmd, int r, const char *err, const char *usage, int *exit_code)
{
	if (r == CLI_PARSE_HELP) {
		fputs(usage, stdout);
		*exit_code = CLI_EXIT_OK;
		return true;
	}
	if (r < 0) {
		cli_error(cmd, "%s (see 'blimp %s --help')", err, cmd);
		*exit_code = CLI_EXIT_USAGE;
		return true;
	}
	return false;
}

struct cli_ctx cli_ctx_with(const struct cli_ctx *ctx, const char *socket_flag)
{
	struct cli_ctx c = *ctx;
	if (socket_flag && *socket_flag)
		c.socket_path = socket_flag;
	return c;
}
