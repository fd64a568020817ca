/* libFuzzer target: collect_memstats_from_libvirt + _to_snapshot on arbitrary tag/value arrays */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/memstats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	virDomainMemoryStatStruct st[32];
	int n = 0;
	if (size < 8)
		return 0;
	uint64_t memsz;
	memcpy(&memsz, data, 8);
	data += 8;
	size -= 8;
	while (size >= 12 && n < 32) {
		int32_t tag;
		uint64_t val;
		memcpy(&tag, data, 4);
		memcpy(&val, data + 4, 8);
		st[n].tag = tag % 16;
		st[n].val = val;
		n++;
		data += 12;
		size -= 12;
	}
	(void)buf;
	struct collect_memstats m;
	if (collect_memstats_from_libvirt(st, n, 1700000000, &m) != 0)
		abort();
	struct vm_snapshot vm = {0};
	collect_memstats_to_snapshot(&m, memsz, &vm);
	if (memsz && (vm.balloon_actual_bytes > memsz || vm.guest_total_bytes > memsz ||
		      vm.guest_available_bytes > memsz || vm.guest_free_bytes > memsz ||
		      vm.guest_caches_bytes > memsz))
		abort();
	if (vm.guest_total_bytes && (vm.guest_available_bytes > vm.guest_total_bytes ||
				     vm.guest_free_bytes > vm.guest_total_bytes))
		abort();
	return 0;
}
