/* mkdata (host-side, used by guest/build.sh): writes the data disk's content tree.
 *
 *   mkdata DIR TOTAL_MIB SEED
 *
 * creates DIR/files/dNN/fNNNNN.bin, sizes drawn from [64 KiB, 4 MiB) until TOTAL_MIB
 * is reached, content from splitmix64 seeded by SEED: deterministic (same arguments,
 * same bytes), not zero, and incompressible, so a guest reading it builds real page
 * cache and host-side compression or KSM cannot cheat. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "toolutil.h"

#define MKDATA_MIN_FILE_BYTES (64u << 10)
#define MKDATA_MAX_FILE_BYTES (4u << 20)
#define MKDATA_FILES_PER_DIR 64

static int mkdata_write_file(const char *path, uint64_t bytes, uint64_t *state)
{
	static uint64_t buf[8192];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), rc = 0;

	if (fd < 0)
		return -errno;
	while (bytes > 0) {
		size_t n = bytes < sizeof(buf) ? (size_t)bytes : sizeof(buf);

		for (size_t i = 0; i < (n + 7) / 8; i++)
			buf[i] = tool_mix64((*state)++);
		if (write(fd, buf, n) != (ssize_t)n) {
			rc = errno ? -errno : -EIO;
			break;
		}
		bytes -= n;
	}
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

int main(int argc, char **argv)
{
	uint64_t total_mib, seed, left, state, sizes;
	char path[4096];
	unsigned file = 0;

	if (argc == 2 && !strcmp(argv[1], "--help")) {
		printf("usage: mkdata DIR TOTAL_MIB SEED\n");
		return 0;
	}
	if (argc != 4 || tool_parse_u64(argv[2], 1u << 20, &total_mib) < 0 ||
	    tool_parse_u64(argv[3], UINT64_MAX, &seed) < 0) {
		fprintf(stderr, "usage: mkdata DIR TOTAL_MIB SEED\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/files", argv[1]);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "mkdata: mkdir %s: %s\n", path, strerror(errno));
		return 1;
	}
	left = total_mib * TOOL_MIB;
	state = tool_mix64(seed);
	sizes = tool_mix64(~seed);
	while (left > 0) {
		uint64_t bytes =
		    MKDATA_MIN_FILE_BYTES +
		    tool_mix64(sizes++) % (MKDATA_MAX_FILE_BYTES - MKDATA_MIN_FILE_BYTES);
		int rc;

		if (bytes > left)
			bytes = left;
		if (file % MKDATA_FILES_PER_DIR == 0) {
			snprintf(path, sizeof(path), "%s/files/d%02u", argv[1],
				 file / MKDATA_FILES_PER_DIR);
			if (mkdir(path, 0755) < 0 && errno != EEXIST) {
				fprintf(stderr, "mkdata: mkdir %s: %s\n", path, strerror(errno));
				return 1;
			}
		}
		snprintf(path, sizeof(path), "%s/files/d%02u/f%05u.bin", argv[1],
			 file / MKDATA_FILES_PER_DIR, file);
		rc = mkdata_write_file(path, bytes, &state);
		if (rc < 0) {
			fprintf(stderr, "mkdata: %s: %s\n", path, strerror(-rc));
			return 1;
		}
		left -= bytes;
		file++;
	}
	printf("mkdata: %u files, %llu MiB under %s/files\n", file, (unsigned long long)total_mib,
	       argv[1]);
	return 0;
}
