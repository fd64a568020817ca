/* libFuzzer target: collect_swaps_parse */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/swaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct collect_swaps *s = malloc(sizeof(*s));
	if (!s)
		return 0;
	if (collect_swaps_parse(buf, size, s) == 0) {
		if (s->n > COLLECT_SWAPS_MAX || s->n > s->n_total)
			abort();
		for (size_t i = 0; i < s->n; i++)
			if (strlen(s->e[i].path) >= sizeof(s->e[i].path))
				abort();
	}
	free(s);
	return 0;
}
