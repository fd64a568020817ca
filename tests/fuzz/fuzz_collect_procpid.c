/* libFuzzer target: collect_ksm_stat_parse,
 * collect_proc_status_parse, the cache estimate and the derived figures */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/pidcache.h"
#include "collect/procpid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct collect_proc_status st;
	if (collect_proc_status_parse(buf, size, &st) == 0) {
		struct collect_proc_pid full = {.guest_ram_found = true,
						.guest_ram_size_bytes = 1ULL << 29,
						.other_rss_bytes = 1ULL << 27};
		struct collect_proc_pid est;
		collect_pid_cache_estimate(&full, &st, NULL, 4096, &est);
		if (est.guest_ram_rss_bytes > full.guest_ram_size_bytes ||
		    est.other_rss_bytes > est.rss_bytes)
			abort();
	}
	struct collect_ksm_stat k;
	if (collect_ksm_stat_parse(buf, size, &k) == 0) {
		struct collect_proc_pid pp = {.rss_bytes = 1ULL << 30,
					      .guest_ram_found = true,
					      .guest_ram_rss_bytes = 1ULL << 29,
					      .other_rss_bytes = 1ULL << 29,
					      .ksm_stat_found = true};
		pp.ksm_merging_bytes = k.merging_pages * 4096;
		struct collect_vm_figures f;
		collect_vm_host_figures(&pp, &f);
		if (f.consumed_bytes > pp.guest_ram_rss_bytes)
			abort();
	}
	return 0;
}
