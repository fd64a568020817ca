/* Small helpers shared by the static guest tools (header-only: each tool is one
 * static binary built from one .c file plus this header). */
#pragma once
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TOOL_MIB (1024ULL * 1024ULL)

/* Parse a decimal unsigned integer in [0, max]; rejects empty, sign, garbage. */
static inline int tool_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE || v > max)
		return -ERANGE;
	if (*end != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

static inline uint64_t tool_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000ULL + (uint64_t)ts.tv_nsec / 1000000ULL;
}

/* splitmix64: a tiny, good-enough deterministic generator (public domain
 * algorithm by Sebastiano Vigna). Never returns the same value twice for
 * consecutive states, so it makes pages that KSM cannot merge. */
static inline uint64_t tool_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Resident set size of this process in MiB, from /proc/self/statm; 0 if unknown. */
static inline uint64_t tool_resident_mib(void)
{
	char buf[128];
	unsigned long long size_pages = 0, resident_pages = 0;
	ssize_t n;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &size_pages, &resident_pages) != 2)
		return 0;
	return resident_pages * (uint64_t)sysconf(_SC_PAGESIZE) / TOOL_MIB;
}

/* Write a whole line to fd (retrying short writes); errors are ignored by design:
 * a workload keeps running when its log reader goes away. */
static inline void tool_write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}
