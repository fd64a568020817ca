/* blimp exec: run a command in the guest through blimp's guest agent; print its
 * output and exit with its status. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/format.h"
#include "cli/parse.h"

static const char cli_exec_usage[] =
    "Usage: blimp exec NAME [--timeout SECONDS] -- CMD [ARG...]\n"
    "Run CMD in the guest, print its output (stdout and stderr, as the guest agent\n"
    "captured them) and exit with its exit status.\n"
    "  -t, --timeout SECONDS  give up on the guest command after this long (default 60)\n"
    "  -s, --socket PATH      blimpd's control socket\n";

int cli_exec_parse(int argc, char **argv, struct cli_exec_opts *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {
	    {"timeout", required_argument, NULL, 't'}, CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	*o = (struct cli_exec_opts){.timeout_ms = CLI_EXEC_TIMEOUT_DEFAULT_MS};
	int end = cli_find_dashdash(argc, argv);
	CLI_GETOPT_RESET();
	int c, r = 0;
	while ((c = getopt_long(end, argv, ":t:" CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			r = cli_parse_seconds("--timeout", optarg, 1, CLI_EXEC_TIMEOUT_MAX_MS,
					      &o->timeout_ms, err, errlen);
			if (r < 0)
				return r;
			break;
			CLI_COMMON_CASES(o);
		}
	}
	r = cli_parse_name_at(end, argv, &o->name, err, errlen);
	if (r < 0)
		return r;
	if (end < argc) {
		if (optind + 1 < end) {
			snprintf(err, errlen, "unexpected argument '%s' before '--'",
				 argv[optind + 1]);
			return -EINVAL;
		}
		o->cmd = argv + end + 1;
		o->ncmd = argc - end - 1;
	} else {
		/* "blimp exec vm1 true" works too; "--" is needed once CMD has options. */
		o->cmd = argv + optind + 1;
		o->ncmd = end - optind - 1;
	}
	if (o->ncmd <= 0) {
		snprintf(err, errlen, "missing guest command (blimp exec NAME -- CMD...)");
		return -EINVAL;
	}
	return 0;
}

int cli_exec_exit_status(json_object *result)
{
	json_object *st;
	if (!result || !json_object_object_get_ex(result, "status", &st) ||
	    !json_object_is_type(st, json_type_int))
		return -1;
	int64_t v = json_object_get_int64(st);
	return v < 0 || v > 255 ? 255 : (int)v;
}

int cli_exec_run(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_exec_opts o;
	char err[256];
	int rc, r = cli_exec_parse(argc, argv, &o, err, sizeof(err));
	if (cli_parse_done("exec", r, err, cli_exec_usage, &rc))
		return rc;
	struct cli_ctx c = cli_ctx_with(ctx, o.socket);
	json_object *args = json_object_new_object();
	json_object *av = json_object_new_array();
	for (int i = 0; i < o.ncmd; i++)
		json_object_array_add(av, json_object_new_string(o.cmd[i]));
	json_object_object_add(args, "name", json_object_new_string(o.name));
	json_object_object_add(args, "argv", av);
	json_object_object_add(args, "timeout_ms", json_object_new_uint64(o.timeout_ms));
	struct cli_reply reply;
	rc = cli_request(&c, "exec", args, (int)(o.timeout_ms + CLI_EXEC_SLACK_MS), &reply);
	json_object_put(args);
	if (rc != CLI_EXIT_OK)
		return rc;
	rc = cli_exec_exit_status(reply.result);
	if (rc < 0) {
		cli_error("exec", "blimpd's answer has no exit status");
		cli_reply_free(&reply);
		return CLI_EXIT_DAEMON;
	}
	json_object *out;
	if (json_object_object_get_ex(reply.result, "output", &out) &&
	    json_object_is_type(out, json_type_string)) {
		fwrite(json_object_get_string(out), 1, (size_t)json_object_get_string_len(out),
		       stdout);
		fflush(stdout);
	}
	cli_reply_free(&reply);
	return rc;
}
