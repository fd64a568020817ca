/* Experiment (not part of blimp): process_madvise(MADV_COLLAPSE) over every 2 MiB range
 * of the largest anonymous mapping of PID (a QEMU: its guest RAM), to test whether the
 * bursting guests of bench/policies run slower because their memory lost its host huge
 * pages. Usage: collapse PID. Needs root (CAP_SYS_NICE, ptrace read access) and Linux
 * >= 6.1. It collapses sparse ranges too (MADV_COLLAPSE ignores max_ptes_none), so it
 * can grow a ballooned VM's RSS: an experiment, not a tool. See docs/results.md. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: collapse PID\n");
		return 2;
	}
	int pid = atoi(argv[1]);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 1;
	unsigned long best_s = 0, best_e = 0, s, e;
	char line[512];
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && e - s > best_e - best_s &&
		    !strchr(line, '/'))
			best_s = s, best_e = e;
	}
	fclose(f);
	int pfd = syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0) {
		perror("pidfd_open");
		return 1;
	}
	unsigned long step = 2UL << 20, ok = 0, bad = 0;
	int lasterr = 0;
	for (unsigned long a = (best_s + step - 1) & ~(step - 1); a + step <= best_e; a += step) {
		struct iovec iov = {(void *)a, step};
		long r = syscall(SYS_process_madvise, pfd, &iov, 1, 25 /* MADV_COLLAPSE */, 0);
		if (r < 0) {
			bad++;
			lasterr = errno;
		} else
			ok++;
	}
	printf("range %lx-%lx (%lu MiB): collapsed %lu, failed %lu (last errno %s)\n", best_s,
	       best_e, (best_e - best_s) >> 20, ok, bad, strerror(lasterr));
	return 0;
}
