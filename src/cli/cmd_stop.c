/* blimp stop: shut a VM down (ACPI-less guests are destroyed after 10 s). Its help and
 * printer; cmd_simple.c runs it. */
#include <stdio.h>

#include "cli/cmds.h"

const char cli_stop_usage[] =
    "Usage: blimp stop NAME [--force]\n"
    "Stop a VM. Without --force blimpd asks the guest first and destroys it after 10 s.\n"
    "  -f, --force  destroy the VM at once\n"
    "  -s, --socket PATH   blimpd's control socket\n";

void cli_stop_print(const struct cli_simple_opts *o, json_object *result)
{
	(void)result;
	printf("stopped %s\n", o->name);
}
