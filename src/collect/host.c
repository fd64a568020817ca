/*
 * DESIGN: the host side of a collection. Each source has its own reader; this file
 * only decides which are required (meminfo) and which a kernel may lack (PSI needs
 * CONFIG_PSI, KSM and zswap may be compiled out or hidden in a container).
 */
#include "collect/host.h"

#include <errno.h>
#include <string.h>

void collect_host_paths_default(struct collect_host_paths *p)
{
	p->meminfo = "/proc/meminfo";
	p->psi = "/proc/pressure/memory";
	p->ksm_dir = "/sys/kernel/mm/ksm";
	p->zswap_params = "/sys/module/zswap/parameters";
}

static bool absent(int r)
{
	/* EOPNOTSUPP: /proc/pressure exists but PSI is disabled (psi=0). */
	return r == -ENOENT || r == -EOPNOTSUPP || r == -EACCES || r == -EPERM || r == -ENOTDIR;
}

/* An optional source's read: found, or absent, or malformed (its bit in *bad). */
static bool optional(int r, enum collect_host_source src, uint32_t *bad)
{
	if (r < 0 && !absent(r))
		*bad |= 1u << src;
	return r == 0;
}

int collect_host_read(const struct collect_host_paths *p, struct collect_host *out)
{
	if (!p || !p->meminfo || !out)
		return -EINVAL;
	struct collect_host h;
	memset(&h, 0, sizeof(h));
	int r = collect_meminfo_read(p->meminfo, &h.meminfo);
	if (r < 0)
		return r;
	if (p->psi)
		h.psi_found = optional(collect_psi_read(p->psi, &h.psi), COLLECT_HOST_PSI, &h.bad);
	if (p->ksm_dir)
		h.ksm_found =
		    optional(collect_ksm_read(p->ksm_dir, &h.ksm), COLLECT_HOST_KSM, &h.bad);
	if (p->zswap_params)
		h.zswap_found = optional(collect_zswap_read(p->zswap_params, &h.zswap),
					 COLLECT_HOST_ZSWAP, &h.bad);
	*out = h;
	return 0;
}

void collect_host_to_snapshot(const struct collect_host *h, struct host_snapshot *out)
{
	const struct collect_meminfo *m = &h->meminfo;
	memset(out, 0, sizeof(*out));
	out->mem_total_bytes = m->bytes[COLLECT_MI_MEM_TOTAL];
	/* Kernels before 3.14 lack MemAvailable: free + cached is the old estimate. */
	if (collect_meminfo_has(m, COLLECT_MI_MEM_AVAILABLE))
		out->mem_available_bytes = m->bytes[COLLECT_MI_MEM_AVAILABLE];
	else
		out->mem_available_bytes =
		    m->bytes[COLLECT_MI_MEM_FREE] + m->bytes[COLLECT_MI_CACHED];
	if (out->mem_available_bytes > out->mem_total_bytes)
		out->mem_available_bytes = out->mem_total_bytes;
	out->swap_total_bytes = m->bytes[COLLECT_MI_SWAP_TOTAL];
	out->swap_free_bytes = m->bytes[COLLECT_MI_SWAP_FREE];
	if (h->psi_found) {
		out->psi_some_avg10_permyriad = h->psi.some.avg10_permyriad;
		out->psi_full_avg10_permyriad = h->psi.full.avg10_permyriad;
	}
	out->ksm_present = h->ksm_found;
	if (h->ksm_found) {
		out->ksm_pages_sharing = h->ksm.v[COLLECT_KSM_PAGES_SHARING];
		out->ksm_pages_shared = h->ksm.v[COLLECT_KSM_PAGES_SHARED];
	}
	out->zswap_enabled = h->zswap_found && h->zswap.enabled;
	out->zswap_pool_bytes = m->bytes[COLLECT_MI_ZSWAP];
	out->zswapped_bytes = m->bytes[COLLECT_MI_ZSWAPPED];
}
