/* blimp stats: every figure of one VM. Its help and printer; cmd_simple.c runs it. */
#include "cli/cmds.h"
#include "cli/format.h"

const char cli_stats_usage[] =
    "Usage: blimp stats NAME [--json]\n"
    "Show every memory figure of a VM in esxtop's vocabulary (human sizes).\n"
    "  --json      print the daemon's vm object (lower-case vocabulary keys, bytes)\n"
    "  -s, --socket PATH   blimpd's control socket\n";

void cli_stats_print(const struct cli_simple_opts *o, json_object *result)
{
	/* The result is the vm object; accept {"vm":{...}} as well. */
	json_object *vm = cli_json_unwrap(result, "vm");
	cli_print_result(vm, o->flag, JSON_C_TO_STRING_PRETTY, cli_format_stats);
}
