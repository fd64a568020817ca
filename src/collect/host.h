/* One call for the host's part of a snapshot: meminfo, PSI, KSM, zswap (blimpd's
 * collection tick, daemon_gather_host). */
#pragma once
#include "model/model.h"
#include "collect/ksm.h"
#include "collect/meminfo.h"
#include "collect/psi.h"
#include "collect/zswap.h"

struct collect_host_paths {
	const char *meminfo;	  /* "/proc/meminfo" (required) */
	const char *psi;	  /* "/proc/pressure/memory" (optional: no PSI = 0) */
	const char *ksm_dir;	  /* "/sys/kernel/mm/ksm" (optional) */
	const char *zswap_params; /* "/sys/module/zswap/parameters" (optional) */
};
/* The real host's paths. */
void collect_host_paths_default(struct collect_host_paths *p);

/* The optional sources, as bits of collect_host.bad. */
enum collect_host_source {
	COLLECT_HOST_PSI = 0,
	COLLECT_HOST_KSM,
	COLLECT_HOST_ZSWAP,
};

/* Everything read, for callers that want more than the snapshot holds. */
struct collect_host {
	uint32_t bad; /* 1 << source for each optional source that was there but malformed */
	struct collect_meminfo meminfo;
	bool psi_found;
	struct collect_psi psi;
	bool ksm_found;
	struct collect_ksm ksm;
	bool zswap_found;
	struct collect_zswap zswap;
};

/* Read all sources. Only meminfo is required (its error is returned); an optional
 * source missing or malformed leaves its *_found false (malformed: its bit in bad), so
 * a kernel's odd PSI or zswap file never costs the host's memory figures. */
int collect_host_read(const struct collect_host_paths *p, struct collect_host *out)
    __attribute__((warn_unused_result));
/* Fill the model's host snapshot from what was read. */
void collect_host_to_snapshot(const struct collect_host *h, struct host_snapshot *out);
