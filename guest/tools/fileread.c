/* fileread: a page-cache workload (in the spirit of dbench's read side). Reads every
 * regular file under DIR, over and over, and reports throughput each interval:
 *
 *   fileread t_ms=<ms since start> mib_per_s=<n.n>
 *
 * With enough guest memory the files stay cached and the rate is high; when the
 * balloon squeezes the page cache the reads go to the (virtual) disk and it drops.
 * The file list is built once at start (sorted by nftw's walk order). */
#include <ftw.h>
#include <signal.h>

#include "toolutil.h"

#define FILEREAD_MAX_FILES 100000
#define FILEREAD_BUF_BYTES (256 * 1024)

static volatile sig_atomic_t fileread_stop;
static char **fileread_files;
static size_t fileread_nfiles;

static void fileread_on_signal(int sig)
{
	(void)sig;
	fileread_stop = 1;
}

static int fileread_collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	if (fileread_nfiles >= FILEREAD_MAX_FILES)
		return 1;
	fileread_files[fileread_nfiles] = strdup(path);
	if (!fileread_files[fileread_nfiles])
		return -1;
	fileread_nfiles++;
	return 0;
}

static void fileread_usage(FILE *f)
{
	fprintf(f, "usage: fileread DIR [--interval-ms MS] [--duration S]\n"
		   "  Read every file under DIR in a loop, printing every interval\n"
		   "  (default 1000 ms): fileread t_ms=<since start> mib_per_s=<n.n>\n"
		   "  Runs for S seconds (default: until SIGTERM/SIGINT).\n");
}

int main(int argc, char **argv)
{
	uint64_t interval_ms = 1000, duration_s = 0, bytes = 0, start, last, deadline = 0;
	struct sigaction sa;
	static char buf[FILEREAD_BUF_BYTES];
	int rc = 0;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fileread_usage(stdout);
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-') {
		fileread_usage(stderr);
		return 2;
	}
	for (int a = 2; a < argc; a += 2) {
		int bad = a + 1 >= argc;

		if (!bad && !strcmp(argv[a], "--interval-ms"))
			bad = tool_parse_u64(argv[a + 1], 3600000, &interval_ms) < 0 ||
			      interval_ms == 0;
		else if (!bad && !strcmp(argv[a], "--duration"))
			bad = tool_parse_u64(argv[a + 1], 100ULL * 365 * 86400, &duration_s) < 0;
		else
			bad = 1;
		if (bad) {
			fprintf(stderr, "fileread: bad argument '%s'\n", argv[a]);
			fileread_usage(stderr);
			return 2;
		}
	}
	fileread_files = calloc(FILEREAD_MAX_FILES, sizeof(*fileread_files));
	if (!fileread_files) {
		fprintf(stderr, "fileread: out of memory\n");
		return 1;
	}
	if (nftw(argv[1], fileread_collect, 32, FTW_PHYS) < 0) {
		fprintf(stderr, "fileread: cannot walk %s: %s\n", argv[1], strerror(errno));
		rc = 1;
		goto out;
	}
	if (fileread_nfiles == 0) {
		fprintf(stderr, "fileread: no files under %s\n", argv[1]);
		rc = 1;
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fileread_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	start = last = tool_now_ms();
	if (duration_s)
		deadline = start + duration_s * 1000;
	for (size_t f = 0, failed = 0; failed < fileread_nfiles; f = (f + 1) % fileread_nfiles) {
		int fd = open(fileread_files[f], O_RDONLY | O_CLOEXEC);
		ssize_t n = 1;

		while (fd >= 0 && !fileread_stop && n > 0) {
			uint64_t now;

			n = read(fd, buf, sizeof(buf));
			if (n > 0)
				bytes += (uint64_t)n;
			now = tool_now_ms();
			if (now - last >= interval_ms) {
				char line[128];
				uint64_t tenths = bytes * 10000 / (now - last) / TOOL_MIB;
				int len = snprintf(line, sizeof(line),
						   "fileread t_ms=%llu mib_per_s=%llu.%llu\n",
						   (unsigned long long)(now - start),
						   (unsigned long long)(tenths / 10),
						   (unsigned long long)(tenths % 10));

				tool_write_all(STDOUT_FILENO, line, (size_t)len);
				bytes = 0;
				last = now;
			}
			if (deadline && now >= deadline)
				fileread_stop = 1;
		}
		if (fd >= 0) {
			close(fd);
			failed = 0;
		} else if (++failed == fileread_nfiles) {
			fprintf(stderr, "fileread: cannot open any file under %s\n", argv[1]);
			rc = 1;
		}
		if (fileread_stop)
			break;
	}
out:
	for (size_t f = 0; f < fileread_nfiles; f++)
		free(fileread_files[f]);
	free(fileread_files);
	return rc;
}
