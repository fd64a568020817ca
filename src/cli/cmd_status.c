/* blimp status: the host as blimpd sees it. Its help and printer; cmd_simple.c runs it. */
#include "cli/cmds.h"
#include "cli/format.h"

const char cli_status_usage[] =
    "Usage: blimp status [--json]\n"
    "Show the host: memory state, budget, free, minfree, overcommit, accelerator (and why),\n"
    "libvirt URI, KSM, swap, pressure, policy, the number of VMs and counters of hostile\n"
    "input and of the host swap limit's safety net.\n"
    "  --json      print the daemon's result object as JSON (bytes)\n"
    "  -s, --socket PATH   blimpd's control socket\n";

void cli_status_print(const struct cli_simple_opts *o, json_object *result)
{
	cli_print_result(result, o->flag, JSON_C_TO_STRING_PRETTY, cli_format_status);
}
