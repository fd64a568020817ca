/* memhog: allocate SIZE_MIB of anonymous memory, write every page with data that is
 * non-zero and different on every page (so neither zero-page detection nor KSM can
 * reclaim it), optionally hold it, then free it and exit.
 *
 * Output: "memhog: touched N MiB" once every page is written. */
#include <signal.h>
#include <sys/mman.h>

#include "toolutil.h"

static volatile sig_atomic_t memhog_stop;

static void memhog_on_signal(int sig)
{
	(void)sig;
	memhog_stop = 1;
}

static void memhog_usage(FILE *f)
{
	fprintf(f, "usage: memhog SIZE_MIB [--hold SECONDS|--hold forever]\n"
		   "  Allocate SIZE_MIB MiB, write every page with unique non-zero data,\n"
		   "  print 'memhog: touched N MiB', hold for SECONDS (default 0) or until\n"
		   "  SIGTERM/SIGINT with 'forever', then free and exit 0.\n");
}

int main(int argc, char **argv)
{
	uint64_t size_mib = 0, hold_s = 0, page = (uint64_t)sysconf(_SC_PAGESIZE);
	int forever = 0;
	struct sigaction sa;
	unsigned char *mem;
	uint64_t salt = (uint64_t)getpid() << 32 ^ tool_now_ms();

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		memhog_usage(stdout);
		return 0;
	}
	if (argc != 2 && argc != 4) {
		memhog_usage(stderr);
		return 2;
	}
	/* 1 TiB cap: anything larger is a typo, not a workload. */
	if (tool_parse_u64(argv[1], 1ULL << 20, &size_mib) < 0 || size_mib == 0) {
		fprintf(stderr, "memhog: bad SIZE_MIB '%s'\n", argv[1]);
		return 2;
	}
	if (argc == 4) {
		if (strcmp(argv[2], "--hold") != 0) {
			memhog_usage(stderr);
			return 2;
		}
		if (!strcmp(argv[3], "forever"))
			forever = 1;
		else if (tool_parse_u64(argv[3], 100ULL * 365 * 86400, &hold_s) < 0) {
			fprintf(stderr, "memhog: bad --hold '%s'\n", argv[3]);
			return 2;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = memhog_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	mem = mmap(NULL, size_mib * TOOL_MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (mem == MAP_FAILED) {
		fprintf(stderr, "memhog: cannot map %llu MiB: %s\n", (unsigned long long)size_mib,
			strerror(errno));
		return 1;
	}
	/* Two unique words per page (start and middle) make every page distinct;
	 * tool_mix64 never yields 0 for these inputs in practice, and |1 makes sure. */
	for (uint64_t off = 0; off < size_mib * TOOL_MIB && !memhog_stop; off += page) {
		uint64_t *w = (uint64_t *)(mem + off);

		w[0] = tool_mix64(salt + off) | 1;
		w[page / 16] = tool_mix64(salt ^ off) | 1;
	}
	if (memhog_stop) {
		munmap(mem, size_mib * TOOL_MIB);
		fprintf(stderr, "memhog: interrupted while touching\n");
		return 1;
	}
	printf("memhog: touched %llu MiB\n", (unsigned long long)size_mib);
	fflush(stdout);

	if (forever) {
		while (!memhog_stop)
			pause();
	} else {
		uint64_t end = tool_now_ms() + hold_s * 1000;

		for (;;) {
			uint64_t now = tool_now_ms(), left;
			struct timespec ts;

			if (memhog_stop || now >= end)
				break;
			left = end - now;
			ts.tv_sec = (time_t)(left / 1000);
			ts.tv_nsec = (long)(left % 1000) * 1000000L;
			nanosleep(&ts, NULL);
		}
	}
	munmap(mem, size_mib * TOOL_MIB);
	return 0;
}
