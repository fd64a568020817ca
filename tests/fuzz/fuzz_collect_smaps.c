/* libFuzzer target: collect_smaps_parse (first 2 bytes: MEMSZ in MiB) */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/smaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	if (size < 2)
		return 0;
	struct collect_smaps *s = malloc(sizeof(*s));
	if (!s)
		return 0;
	uint64_t memsz = (uint64_t)(data[0] | data[1] << 8) << 20;
	if (collect_smaps_parse(buf + 2, size - 2, memsz, s) == 0) {
		if (s->guest_ram_rss_bytes > s->rss_bytes ||
		    s->guest_ram_swap_bytes > s->swap_bytes)
			abort();
		if ((s->guest_ram_match == COLLECT_GUEST_RAM_NONE) != (s->guest_ram_maps == 0))
			abort();
	}
	free(s);
	return 0;
}
