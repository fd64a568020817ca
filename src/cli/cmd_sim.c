/* blimp sim ...: the trace-driven simulator (src/sim), run in this process; it needs
 * no daemon. Its own parser handles every option, --help included. */
#include "cli/cmds.h"
#include "sim/sim_main.h"

int cli_sim_run(const struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	char name[] = "blimp sim"; /* how sim_main names itself in usage and errors */
	argv[0] = name;
	return sim_main(argc, argv);
}
