/* libFuzzer target: collect_psi_parse */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/psi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct collect_psi p;
	if (collect_psi_parse(buf, size, &p) == 0 &&
	    (!p.some_found || p.some.avg10_permyriad > 10000 || p.some.avg60_permyriad > 10000 ||
	     p.some.avg300_permyriad > 10000 || p.full.avg10_permyriad > 10000))
		abort();
	return 0;
}
