/*
 * DESIGN: the policies benchmark runs the demo's scenario, so it asks the demo's own
 * pure plan functions (src/cli/demo_plan.c, linked from build/libcli.a) for the
 * guests' boot command, the command that starts a phase, the budget and MCTLMAX,
 * instead of copying them into shell. bench/policies/run.sh compiles this next to its
 * work dir.
 *
 *   plan guest-cmd
 *   plan phase-cmd DURATION_S WS_MIB
 *   plan budget N MEM_MIB WS_MIB OVHD_MIB      (prints MiB)
 *   plan maxmemctl MEM_MIB                     (prints MiB)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/demo_core.h"

static int plan_arg_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

static int plan_args(int argc, char **argv, int want, uint64_t *v)
{
	if (argc != want + 2)
		return -EINVAL;
	for (int i = 0; i < want; i++)
		if (plan_arg_u64(argv[i + 2], &v[i]) < 0)
			return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t v[4];
	char buf[2048];
	if (argc == 2 && strcmp(argv[1], "guest-cmd") == 0) {
		int n = demo_plan_guest_cmd(buf, sizeof(buf));
		if (n < 0 || (size_t)n >= sizeof(buf))
			return 1;
		puts(buf);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "phase-cmd") == 0 && plan_args(argc, argv, 2, v) == 0) {
		int n = demo_plan_phase_cmd(v[0], v[1], buf, sizeof(buf));
		if (n < 0 || (size_t)n >= sizeof(buf))
			return 1;
		puts(buf);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "budget") == 0 && plan_args(argc, argv, 4, v) == 0) {
		uint64_t b = demo_plan_budget(v[0], v[1] * DEMO_MIB, v[2], v[3] * DEMO_MIB);
		printf("%" PRIu64 "\n", (uint64_t)(b / DEMO_MIB));
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "maxmemctl") == 0 && plan_args(argc, argv, 1, v) == 0) {
		printf("%" PRIu64 "\n",
		       (uint64_t)(demo_plan_maxmemctl(v[0] * DEMO_MIB) / DEMO_MIB));
		return 0;
	}
	fprintf(stderr, "usage: plan guest-cmd | phase-cmd DURATION_S WS_MIB | budget N MEM_MIB "
			"WS_MIB OVHD_MIB | maxmemctl MEM_MIB\n");
	return 2;
}
