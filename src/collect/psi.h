/* Pressure stall information (/proc/pressure/memory, or a cgroup's memory.pressure). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct collect_psi_line {
	uint32_t avg10_permyriad; /* share of wall time stalled, 0..10000 */
	uint32_t avg60_permyriad;
	uint32_t avg300_permyriad;
	uint64_t total_us; /* cumulative stall time */
};

struct collect_psi {
	bool some_found;
	bool full_found; /* absent on old kernels' cpu file; memory always has it */
	struct collect_psi_line some;
	struct collect_psi_line full;
};

/* Parse "some avg10=0.12 avg60=... avg300=... total=N" lines. avgN are percents
 * with two decimals ("12.34" -> 1234 permyriad); more decimals are truncated,
 * values above 100% are clamped to 10000. -EINVAL if no "some" line or a line is
 * malformed, -ERANGE if total overflows. */
int collect_psi_parse(const char *buf, size_t len, struct collect_psi *out)
    __attribute__((warn_unused_result));
int collect_psi_read(const char *path, struct collect_psi *out) __attribute__((warn_unused_result));
