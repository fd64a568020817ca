/* libFuzzer target: collect_damon_region_parse + collect_damon_regions_add */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/damon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	static const char *names[] = {"start", "end", "nr_accesses", "age"};
	struct collect_damon_region r = {0};
	struct collect_damon_regions acc = {0};
	/* Split the input on 0xff into up to four files. */
	size_t i = 0, f = 0;
	while (i <= size && f < 4) {
		const uint8_t *e = memchr(data + i, 0xff, size - i);
		size_t len = e ? (size_t)(e - data) - i : size - i;
		(void)collect_damon_region_parse(names[f++], buf + i, len, &r);
		i += len + 1;
	}
	if (collect_damon_regions_add(&acc, &r, 4096, 1ULL << 40) == 0 &&
	    acc.active_bytes > acc.total_bytes)
		abort();
	return 0;
}
