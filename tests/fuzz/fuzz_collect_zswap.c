/* libFuzzer target: collect_zswap_parse (first byte picks the file name) */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/zswap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	static const char *names[] = {"enabled", "compressor", "max_pool_percent",
				      "accept_threshold_percent"};
	if (size < 1)
		return 0;
	struct collect_zswap z = {0};
	if (collect_zswap_parse(names[data[0] % 4], buf + 1, size - 1, &z) == 0 &&
	    (z.max_pool_percent > 100 ||
	     strnlen(z.compressor, sizeof(z.compressor)) >= sizeof(z.compressor)))
		abort();
	return 0;
}
