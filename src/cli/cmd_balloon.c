/*
 * blimp balloon NAME SIZE: SIZE is what the guest keeps (like `virsh setmem`), so the
 * balloon target MCTLTGT = MEMSZ - SIZE. blimpd refuses MCTLTGT > MCTLMAX with ERANGE;
 * the CLI then reads the VM's figures to say by how much.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/format.h"
#include "cli/parse.h"
#include "util/size.h"

static const char cli_balloon_usage[] =
    "Usage: blimp balloon NAME SIZE\n"
    "Set the memory the guest keeps to SIZE (K/M/G/T), like `virsh setmem`: the balloon\n"
    "target MCTLTGT becomes MEMSZ - SIZE. blimpd refuses a target above MCTLMAX.\n"
    "  -s, --socket PATH   blimpd's control socket\n";

int cli_balloon_parse(int argc, char **argv, struct cli_balloon_opts *o, char *err, size_t errlen)
{
	*o = (struct cli_balloon_opts){0};
	int r = cli_parse_flag_opts(argc, argv, NULL, 0, NULL, &o->socket, err, errlen);
	if (r != 0)
		return r;
	const char *pos[2];
	r = cli_parse_positionals(optind, argc, argv, pos, 2, 2, err, errlen);
	if (r < 0) {
		if (optind + 1 == argc)
			snprintf(err, errlen, "missing SIZE (the memory the guest keeps)");
		return r;
	}
	o->name = pos[0];
	r = cli_parse_name(o->name, err, errlen);
	if (r < 0)
		return r;
	if (strcmp(pos[1], "auto") == 0) {
		o->automatic = true;
		return 0;
	}
	return cli_parse_size("SIZE", pos[1], &o->keep_bytes, err, errlen);
}

/* After ERANGE: word the refusal with the VM's MEMSZ and MCTLMAX if we can read them. */
static void cli_balloon_explain(const struct cli_ctx *c, const struct cli_balloon_opts *o,
				const struct cli_reply *refusal)
{
	json_object *args = json_object_new_object();
	json_object_object_add(args, "name", json_object_new_string(o->name));
	struct cli_reply reply;
	int rc = cli_request_quiet(c, "stats", args, CLI_TIMEOUT_MS, &reply);
	json_object_put(args);
	uint64_t memsz, mctlmax;
	json_object *vm = rc == CLI_EXIT_OK ? cli_json_unwrap(reply.result, "vm") : NULL;
	if (vm && cli_json_u64(vm, "memsz", &memsz) && cli_json_u64(vm, "mctlmax", &mctlmax)) {
		char msg[256];
		cli_format_balloon_range(memsz, mctlmax, o->keep_bytes, msg, sizeof(msg));
		cli_error("balloon", "%s", msg);
	} else {
		cli_error("balloon", "%s (%s)", refusal->message, refusal->code);
	}
	cli_reply_free(&reply);
}

int cli_balloon_run(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_balloon_opts o;
	char err[256];
	int rc, r = cli_balloon_parse(argc, argv, &o, err, sizeof(err));
	if (cli_parse_done("balloon", r, err, cli_balloon_usage, &rc))
		return rc;
	struct cli_ctx c = cli_ctx_with(ctx, o.socket);
	json_object *args = json_object_new_object();
	json_object_object_add(args, "name", json_object_new_string(o.name));
	if (o.automatic)
		json_object_object_add(args, "auto", json_object_new_boolean(true));
	else
		json_object_object_add(args, "target", json_object_new_uint64(o.keep_bytes));
	struct cli_reply reply;
	rc = cli_request_quiet(&c, "balloon", args, CLI_TIMEOUT_MS, &reply);
	json_object_put(args);
	if (rc == CLI_EXIT_DAEMON) {
		if (strcmp(reply.code, "ERANGE") == 0)
			cli_balloon_explain(&c, &o, &reply);
		else
			cli_error("balloon", "%s (%s)", reply.message, reply.code);
		cli_reply_free(&reply);
		return rc;
	}
	if (rc != CLI_EXIT_OK)
		return rc;
	char a[32], b[32];
	if (o.automatic) {
		printf("%s: balloon back under the policy\n", o.name);
		cli_reply_free(&reply);
		return CLI_EXIT_OK;
	}
	printf("%s keeps %s (MCTLTGT %s)\n", o.name,
	       cli_fmt_size(reply.result, "target", a, sizeof(a)),
	       cli_fmt_size(reply.result, "mctltgt", b, sizeof(b)));
	cli_reply_free(&reply);
	return CLI_EXIT_OK;
}
