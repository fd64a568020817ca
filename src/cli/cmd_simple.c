/*
 * The commands that are one request and one printed answer (status, ls, stats, stop,
 * shutdown): a row each in one table, one parser and one runner; each cmd_<name>.c
 * holds only its --help text and its printer. Options: -s/--socket, -h/--help and at
 * most one boolean flag; positionals: nothing or one VM NAME. The request's args are
 * {"name": NAME} and/or {flag_arg: flag}, in that order, or none at all.
 */
#include <string.h>

#include "cli/parse.h"

static const struct cli_simple_cmd cli_simple_cmds[] = {
    /* name, usage, flag (long, short, sent as), takes NAME, timeout, printer */
    {"status", cli_status_usage, "json", 0, NULL, false, CLI_TIMEOUT_MS, cli_status_print},
    {"ls", cli_ls_usage, "json", 0, NULL, false, CLI_TIMEOUT_MS, cli_ls_print},
    {"stats", cli_stats_usage, "json", 0, NULL, true, CLI_TIMEOUT_MS, cli_stats_print},
    {"stop", cli_stop_usage, "force", 'f', "force", true, CLI_STOP_TIMEOUT_MS, cli_stop_print},
    /* stopping every VM first can take a while */
    {"shutdown", cli_shutdown_usage, "keep-vms", 0, "keep_vms", false, CLI_START_TIMEOUT_MS,
     cli_shutdown_print},
};

const struct cli_simple_cmd *cli_simple_find(const char *name)
{
	for (size_t i = 0; i < sizeof(cli_simple_cmds) / sizeof(cli_simple_cmds[0]); i++)
		if (strcmp(cli_simple_cmds[i].name, name) == 0)
			return &cli_simple_cmds[i];
	return NULL;
}

int cli_simple_parse(const struct cli_simple_cmd *cmd, int argc, char **argv,
		     struct cli_simple_opts *o, char *err, size_t errlen)
{
	*o = (struct cli_simple_opts){0};
	int r = cli_parse_flag_opts(argc, argv, cmd->flag, cmd->flag_short, &o->flag, &o->socket,
				    err, errlen);
	if (r != 0)
		return r;
	int n = cmd->takes_name ? 1 : 0;
	r = cli_parse_positionals(optind, argc, argv, &o->name, n, n, err, errlen);
	if (r < 0 || !cmd->takes_name)
		return r;
	return cli_parse_name(o->name, err, errlen);
}

static json_object *cli_simple_args(const struct cli_simple_cmd *cmd,
				    const struct cli_simple_opts *o)
{
	json_object *a = json_object_new_object();
	if (!a)
		return NULL;
	if (cmd->takes_name)
		json_object_object_add(a, "name", json_object_new_string(o->name));
	if (cmd->flag_arg)
		json_object_object_add(a, cmd->flag_arg, json_object_new_boolean(o->flag));
	return a;
}

int cli_simple_run(const struct cli_simple_cmd *cmd, const struct cli_ctx *ctx, int argc,
		   char **argv)
{
	struct cli_simple_opts o;
	char err[256];
	int rc, r = cli_simple_parse(cmd, argc, argv, &o, err, sizeof(err));
	if (cli_parse_done(cmd->name, r, err, cmd->usage, &rc))
		return rc;
	struct cli_ctx c = cli_ctx_with(ctx, o.socket);
	struct cli_reply reply;
	if (cmd->takes_name || cmd->flag_arg)
		rc = cli_request_take(&c, cmd->name, cli_simple_args(cmd, &o), cmd->timeout_ms,
				      &reply);
	else
		rc = cli_request(&c, cmd->name, NULL, cmd->timeout_ms, &reply);
	if (rc != CLI_EXIT_OK)
		return rc;
	cmd->print(&o, reply.result);
	cli_reply_free(&reply);
	return CLI_EXIT_OK;
}

/* cli_<name>_run, which main's command table (commands.c) points at, for each row. */
#define CLI_SIMPLE_RUN(cmd)                                                                        \
	int cli_##cmd##_run(const struct cli_ctx *ctx, int argc, char **argv)                      \
	{                                                                                          \
		return cli_simple_run(cli_simple_find(#cmd), ctx, argc, argv);                     \
	}
CLI_SIMPLE_RUN(status)
CLI_SIMPLE_RUN(ls)
CLI_SIMPLE_RUN(stats)
CLI_SIMPLE_RUN(stop)
CLI_SIMPLE_RUN(shutdown)
