/* `blimp sim ...`: the simulator's command line. argv[0] is the command name. Prints
 * the summary and a last `RESULT key=value ...` line on stdout. Returns the exit
 * status: 0 ok, 1 run failed (incl. a --check violation), 2 usage error. */
#pragma once

int sim_main(int argc, char **argv);
