/* libFuzzer target: collect_cgroup_proc_parse, collect_cgroup_stat_parse,
 * collect_cgroup_value_parse */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	if (size < 1)
		return 0;
	int version = 1 + (data[0] & 1);
	char path[256];
	if (collect_cgroup_proc_parse(buf + 1, size - 1, version, path, sizeof(path)) == 0) {
		if (path[0] != (char)0x2f || strstr(path, "/../") || strlen(path) >= sizeof(path))
			abort();
	}
	struct collect_cgroup c = {0};
	(void)collect_cgroup_stat_parse(buf + 1, size - 1, version, &c);
	uint64_t v;
	(void)collect_cgroup_value_parse(buf + 1, size - 1, &v);
	return 0;
}
