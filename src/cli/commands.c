/* The subcommand table: main dispatches through it and `blimp --help` lists it. */
#include <string.h>

#include "cli/cmds.h"
#include "cli/demo_cmd.h"
#include "cli/history.h"

const struct cli_command cli_commands[] = {
    {"status", "show the host: memory state, budget, accelerator, KSM, swap", cli_status_run,
     false},
    {"ls", "list VMs (--json)", cli_ls_run, false},
    {"top", "live esxtop-style memory screen (-b: CSV batch mode)", cli_top_run, false},
    {"history", "the live history's rows: [--since 10m] [--vm NAME]... [--csv]", cli_history_run,
     false},
    {"plot", "draw the live history with gnuplot: [--since 10m] -o FILE.png", cli_plot_cmd_run,
     false},
    {"start", "start a VM: NAME --mem SIZE [options] [-- GUEST COMMAND...]", cli_start_run, false},
    {"stop", "stop a VM (--force destroys it at once)", cli_stop_run, false},
    {"exec", "run a command in a guest: NAME -- CMD...", cli_exec_run, false},
    {"stats", "every memory figure of a VM (--json)", cli_stats_run, false},
    {"balloon", "set the memory a guest keeps: NAME SIZE|auto", cli_balloon_run, false},
    {"set", "change a VM's shares, reservation, limit, maxmemctl", cli_set_run, false},
    {"config", "blimpd's settings in force; set KEY=VALUE... changes runtime keys",
     cli_config_run, false},
    {"shutdown", "stop blimpd (--keep-vms leaves VMs running)", cli_shutdown_run, false},
    {"sim", "simulate a fleet on the policy library, no VMs needed", cli_sim_run, false},
    {"demo", "run the built-in demo: 4 VMs take turns, a timeline and a plot", cli_demo_run, false},
    {NULL, NULL, NULL, false},
};

const struct cli_command *cli_command_find(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}
