/* memcheck: data integrity under ballooning, host swap and KSM. Fills SIZE_MIB with a
 * pattern derived from each word's index, then re-verifies the whole area until S
 * seconds have passed (at least one full pass).
 *
 *   memcheck ok passes=N                                         (exit 0)
 *   memcheck CORRUPT offset=0x.. expected=0x.. got=0x.. pass=N   (exit 1)
 *
 * --same makes every page identical (words depend on the offset within the page
 * only), so KSM can merge them all: integrity of merged pages is checked too. */
#include <inttypes.h>
#include <signal.h>
#include <sys/mman.h>

#include "toolutil.h"

static volatile sig_atomic_t memcheck_stop;

static void memcheck_on_signal(int sig)
{
	(void)sig;
	memcheck_stop = 1;
}

static void memcheck_usage(FILE *f)
{
	fprintf(f, "usage: memcheck SIZE_MIB --seconds S [--same]\n"
		   "  Fill SIZE_MIB MiB with a known pattern and verify it repeatedly for S\n"
		   "  seconds. Prints 'memcheck ok passes=N' (exit 0) or\n"
		   "  'memcheck CORRUPT offset=.. expected=.. got=.. pass=N' (exit 1).\n"
		   "  --same: identical pages (KSM-mergeable) instead of unique ones.\n");
}

static inline uint64_t memcheck_expect(uint64_t word, uint64_t words_per_page, int same)
{
	return tool_mix64(same ? word % words_per_page : word) | 1;
}

int main(int argc, char **argv)
{
	uint64_t size_mib = 0, seconds = 0, words, wpp, passes = 0, start;
	int same = 0, have_seconds = 0;
	uint64_t *mem;
	struct sigaction sa;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		memcheck_usage(stdout);
		return 0;
	}
	if (argc < 2 || tool_parse_u64(argv[1], 1ULL << 20, &size_mib) < 0 || size_mib == 0) {
		memcheck_usage(stderr);
		return 2;
	}
	for (int a = 2; a < argc; a++) {
		if (!strcmp(argv[a], "--same")) {
			same = 1;
		} else if (!strcmp(argv[a], "--seconds") && a + 1 < argc &&
			   tool_parse_u64(argv[a + 1], 100ULL * 365 * 86400, &seconds) == 0) {
			have_seconds = 1;
			a++;
		} else {
			fprintf(stderr, "memcheck: bad argument '%s'\n", argv[a]);
			memcheck_usage(stderr);
			return 2;
		}
	}
	if (!have_seconds) {
		memcheck_usage(stderr);
		return 2;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = memcheck_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	words = size_mib * TOOL_MIB / sizeof(uint64_t);
	wpp = (uint64_t)sysconf(_SC_PAGESIZE) / sizeof(uint64_t);
	mem = mmap(NULL, size_mib * TOOL_MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (mem == MAP_FAILED) {
		fprintf(stderr, "memcheck: cannot map %llu MiB: %s\n", (unsigned long long)size_mib,
			strerror(errno));
		return 1;
	}
	for (uint64_t w = 0; w < words; w++)
		mem[w] = memcheck_expect(w, wpp, same);

	start = tool_now_ms();
	do {
		for (uint64_t w = 0; w < words; w++) {
			uint64_t want = memcheck_expect(w, wpp, same);

			if (mem[w] != want) {
				printf("memcheck CORRUPT offset=0x%" PRIx64
				       " expected=0x%016" PRIx64 " got=0x%016" PRIx64
				       " pass=%" PRIu64 "\n",
				       w * sizeof(uint64_t), want, mem[w], passes + 1);
				fflush(stdout);
				munmap(mem, size_mib * TOOL_MIB);
				return 1;
			}
		}
		passes++;
	} while (!memcheck_stop && tool_now_ms() - start < seconds * 1000);

	printf("memcheck ok passes=%" PRIu64 "\n", passes);
	munmap(mem, size_mib * TOOL_MIB);
	return 0;
}
