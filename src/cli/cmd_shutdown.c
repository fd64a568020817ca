/* blimp shutdown: ask blimpd to exit (stopping its VMs unless --keep-vms). Its help and
 * printer; cmd_simple.c runs it. */
#include <stdio.h>

#include "cli/cmds.h"

const char cli_shutdown_usage[] =
    "Usage: blimp shutdown [--keep-vms]\n"
    "Ask blimpd to exit. It stops the VMs it manages first unless --keep-vms is given\n"
    "(a restarted blimpd finds kept VMs again).\n"
    "  --keep-vms  leave the VMs running\n"
    "  -s, --socket PATH   blimpd's control socket\n";

void cli_shutdown_print(const struct cli_simple_opts *o, json_object *result)
{
	(void)result;
	printf("blimpd is shutting down%s\n", o->flag ? " (VMs kept running)" : "");
}
