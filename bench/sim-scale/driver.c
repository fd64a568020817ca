/* Stand-alone `blimp sim` for benchmarks and tests: the same sim_main the CLI calls. */
#include "sim/sim_main.h"

int main(int argc, char **argv)
{
	return sim_main(argc, argv);
}
