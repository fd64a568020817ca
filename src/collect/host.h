/* One call for the host's part of a snapshot: meminfo, PSI, KSM, zswap. */
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
	const char *zswap_debug;  /* "/sys/kernel/debug/zswap" (optional) */
};
/* The real host's paths. */
void collect_host_paths_default(struct collect_host_paths *p);

/* Everything read, for callers that want more than the snapshot holds. */
struct collect_host {
	struct collect_meminfo meminfo;
	bool psi_found;
	struct collect_psi psi;
	bool ksm_found;
	struct collect_ksm ksm;
	bool zswap_found;
	struct collect_zswap zswap;
};

/* Read all sources. Only meminfo is required (its error is returned); a missing
 * optional source leaves its *_found false, a malformed one is an error. */
int collect_host_read(const struct collect_host_paths *p, struct collect_host *out)
    __attribute__((warn_unused_result));
/* Fill the model's host snapshot from what was read. */
void collect_host_to_snapshot(const struct collect_host *h, struct host_snapshot *out);
