/* wsloop: a working-set workload. Allocates W MiB, then sweeps it forever, doing a
 * read-modify-write of one word per page, and reports its throughput every interval:
 *
 *   wsloop t_ms=<ms since start> pages_per_s=<n> resident_mib=<RSS from statm>
 *
 * When the host balloons or swaps the guest below its working set, the sweep takes
 * major faults and pages_per_s drops: the number a policy should keep high. Lines go
 * to stdout (flushed) and, with --log FILE, are also appended to FILE. */
#include <signal.h>
#include <sys/mman.h>

#include "toolutil.h"

static volatile sig_atomic_t wsloop_stop;

static void wsloop_on_signal(int sig)
{
	(void)sig;
	wsloop_stop = 1;
}

static void wsloop_usage(FILE *f)
{
	fprintf(f, "usage: wsloop W_MIB [--interval-ms MS] [--duration S] [--log FILE]\n"
		   "  Allocate W_MIB MiB and touch every page in a loop (read-modify-write),\n"
		   "  printing every interval (default 1000 ms):\n"
		   "    wsloop t_ms=<since start> pages_per_s=<n> resident_mib=<n>\n"
		   "  Runs for S seconds (default: until SIGTERM/SIGINT). --log also appends\n"
		   "  each line to FILE.\n");
}

int main(int argc, char **argv)
{
	uint64_t w_mib = 0, interval_ms = 1000, duration_s = 0, page;
	uint64_t npages, i = 0, done = 0, start, last, deadline = 0;
	const char *log_path = NULL;
	int log_fd = -1;
	struct sigaction sa;
	unsigned char *mem;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		wsloop_usage(stdout);
		return 0;
	}
	if (argc < 2 || tool_parse_u64(argv[1], 1ULL << 20, &w_mib) < 0 || w_mib == 0) {
		wsloop_usage(stderr);
		return 2;
	}
	for (int a = 2; a < argc; a += 2) {
		int bad = a + 1 >= argc;

		if (!bad && !strcmp(argv[a], "--interval-ms"))
			bad = tool_parse_u64(argv[a + 1], 3600000, &interval_ms) < 0 ||
			      interval_ms == 0;
		else if (!bad && !strcmp(argv[a], "--duration"))
			bad = tool_parse_u64(argv[a + 1], 100ULL * 365 * 86400, &duration_s) < 0;
		else if (!bad && !strcmp(argv[a], "--log"))
			log_path = argv[a + 1];
		else
			bad = 1;
		if (bad) {
			fprintf(stderr, "wsloop: bad argument '%s'\n", argv[a]);
			wsloop_usage(stderr);
			return 2;
		}
	}
	if (log_path) {
		log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (log_fd < 0) {
			fprintf(stderr, "wsloop: cannot open %s: %s\n", log_path, strerror(errno));
			return 1;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wsloop_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	page = (uint64_t)sysconf(_SC_PAGESIZE);
	npages = w_mib * TOOL_MIB / page;
	mem = mmap(NULL, w_mib * TOOL_MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		   0);
	if (mem == MAP_FAILED) {
		fprintf(stderr, "wsloop: cannot map %llu MiB: %s\n", (unsigned long long)w_mib,
			strerror(errno));
		if (log_fd >= 0)
			close(log_fd);
		return 1;
	}
	/* Distinct non-zero content per page, so KSM cannot merge the working set. */
	for (uint64_t p = 0; p < npages; p++)
		*(uint64_t *)(mem + p * page) = tool_mix64(p + (uint64_t)getpid()) | 1;

	start = last = tool_now_ms();
	if (duration_s)
		deadline = start + duration_s * 1000;
	while (!wsloop_stop) {
		uint64_t *w = (uint64_t *)(mem + i * page);

		*w = *w * 6364136223846793005ULL + 1442695040888963407ULL;
		done++;
		if (++i == npages)
			i = 0;
		/* Read the clock every 64 pages: cheap even under TCG, fine-grained enough. */
		if ((done & 63) == 0) {
			uint64_t now = tool_now_ms();

			if (now - last >= interval_ms) {
				char line[160];
				int n = snprintf(
				    line, sizeof(line),
				    "wsloop t_ms=%llu pages_per_s=%llu resident_mib=%llu\n",
				    (unsigned long long)(now - start),
				    (unsigned long long)(done * 1000 / (now - last)),
				    (unsigned long long)tool_resident_mib());

				tool_write_all(STDOUT_FILENO, line, (size_t)n);
				if (log_fd >= 0)
					tool_write_all(log_fd, line, (size_t)n);
				done = 0;
				last = now;
			}
			if (deadline && now >= deadline)
				break;
		}
	}
	munmap(mem, w_mib * TOOL_MIB);
	if (log_fd >= 0)
		close(log_fd);
	return 0;
}
