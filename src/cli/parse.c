/* Helpers every subcommand parser shares: getopt error wording, the option loop of
 * commands with at most one flag, positional NAME, the memory settings start and set
 * both take, and reporting a parser's outcome. */
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

/* getopt_long's value for a flag without a short form: outside char's range. */
#define CLI_FLAG_LONG_ONLY 256

int cli_parse_flag_opts(int end, char **argv, const char *flag_long, char flag_short, bool *flag,
			const char **socket, char *err, size_t errlen)
{
	const struct option longopts[] = {
	    {flag_long, no_argument, NULL, flag_short ? flag_short : CLI_FLAG_LONG_ONLY},
	    CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	char shortopts[8];
	snprintf(shortopts, sizeof(shortopts), ":%.1s" CLI_COMMON_SHORTOPTS, &flag_short);
	struct {
		const char *socket;
	} common = {NULL};
	if (flag)
		*flag = false;
	CLI_GETOPT_RESET();
	int c;
	while ((c = getopt_long(end, argv, shortopts, flag_long ? longopts : longopts + 1, NULL)) !=
	       -1) {
		switch (c) {
			CLI_COMMON_CASES(&common);
		default: /* the flag, long or short (only there if flag_long is) */
			*flag = true;
			break;
		}
	}
	*socket = common.socket;
	return 0;
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

int cli_parse_name_at(int end, char **argv, const char **name, char *err, size_t errlen)
{
	*name = optind < end ? argv[optind] : NULL;
	return cli_parse_name(*name, err, errlen);
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

const char *const cli_setting_keys[CLI_SETTING_COUNT] = {"shares", "reservation", "limit",
							 "maxmemctl"};

int cli_settings_parse(struct cli_vm_settings *s, enum cli_setting k, const char *prefix,
		       const char *val, bool once, char *err, size_t errlen)
{
	bool *has[CLI_SETTING_COUNT] = {&s->has_shares, &s->has_reservation, &s->has_limit,
					&s->has_maxmemctl};
	uint64_t *dst[CLI_SETTING_COUNT] = {&s->shares, &s->reservation_bytes, &s->limit_bytes,
					    &s->maxmemctl_bytes};
	if (once && *has[k]) {
		snprintf(err, errlen, "%s given twice", cli_setting_keys[k]);
		return -EINVAL;
	}
	*has[k] = true;
	char what[32];
	snprintf(what, sizeof(what), "%s%s", prefix, cli_setting_keys[k]);
	if (k == CLI_SETTING_SHARES)
		return cli_parse_uint(what, val, 0, CLI_SHARES_MAX, dst[k], err, errlen);
	return cli_parse_size(what, val, dst[k], err, errlen);
}

void cli_settings_to_json(const struct cli_vm_settings *s, json_object *args)
{
	bool has[CLI_SETTING_COUNT] = {s->has_shares, s->has_reservation, s->has_limit,
				       s->has_maxmemctl};
	uint64_t val[CLI_SETTING_COUNT] = {s->shares, s->reservation_bytes, s->limit_bytes,
					   s->maxmemctl_bytes};
	for (int k = 0; k < CLI_SETTING_COUNT; k++)
		if (has[k])
			json_object_object_add(args, cli_setting_keys[k],
					       json_object_new_uint64(val[k]));
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
