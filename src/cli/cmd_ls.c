/* blimp ls: the VMs blimpd knows. Its help and printer; cmd_simple.c runs it. */
#include "cli/cmds.h"
#include "cli/format.h"

const char cli_ls_usage[] = "Usage: blimp ls [--json]\n"
			    "List the VMs: NAME STATE MEMSZ CONSUMED MCTLSZ MANAGED UUID.\n"
			    "  --json      print the daemon's result ({\"vms\":[...]}, bytes)\n"
			    "  -s, --socket PATH   blimpd's control socket\n";

void cli_ls_print(const struct cli_simple_opts *o, json_object *result)
{
	cli_print_result(result, o->flag, JSON_C_TO_STRING_PLAIN, cli_format_ls);
}
