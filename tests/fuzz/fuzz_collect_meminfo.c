/* libFuzzer target: collect_meminfo_parse */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/meminfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct collect_meminfo m;
	if (collect_meminfo_parse(buf, size, &m) == 0 && m.found == 0)
		abort(); /* success means at least one field */
	return 0;
}
