/* blimp stop: shut a VM down (ACPI-less guests are destroyed after 10 s). */
#include <stdio.h>

#include "cli/parse.h"

static const char cli_stop_usage[] =
    "Usage: blimp stop NAME [--force]\n"
    "Stop a VM. Without --force blimpd asks the guest first and destroys it after 10 s.\n"
    "  -f, --force  destroy the VM at once\n"
    "  -s, --socket PATH   blimpd's control socket\n";

int cli_stop_parse(int argc, char **argv, struct cli_stop_opts *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {
	    {"force", no_argument, NULL, 'f'}, CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	*o = (struct cli_stop_opts){0};
	CLI_GETOPT_RESET();
	int c;
	while ((c = getopt_long(argc, argv, ":f" CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->force = true;
			break;
			CLI_COMMON_CASES(o);
		}
	}
	const char *pos[1];
	int r = cli_parse_positionals(optind, argc, argv, pos, 1, 1, err, errlen);
	if (r < 0)
		return r;
	o->name = pos[0];
	return cli_parse_name(o->name, err, errlen);
}

int cli_stop_run(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_stop_opts o;
	char err[256];
	int rc, r = cli_stop_parse(argc, argv, &o, err, sizeof(err));
	if (cli_parse_done("stop", r, err, cli_stop_usage, &rc))
		return rc;
	struct cli_ctx c = cli_ctx_with(ctx, o.socket);
	json_object *args = json_object_new_object();
	json_object_object_add(args, "name", json_object_new_string(o.name));
	json_object_object_add(args, "force", json_object_new_boolean(o.force));
	struct cli_reply reply;
	rc = cli_request(&c, "stop", args, CLI_STOP_TIMEOUT_MS, &reply);
	json_object_put(args);
	if (rc != CLI_EXIT_OK)
		return rc;
	printf("stopped %s\n", o.name);
	cli_reply_free(&reply);
	return CLI_EXIT_OK;
}
