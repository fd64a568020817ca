/* libFuzzer target: collect_ksm_parse (first byte picks the file name) */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/ksm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	if (size < 1)
		return 0;
	struct collect_ksm k = {0};
	const char *name = collect_ksm_name((enum collect_ksm_field)(data[0] % COLLECT_KSM__COUNT));
	(void)collect_ksm_parse(name, buf + 1, size - 1, &k);
	return 0;
}
