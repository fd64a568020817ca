/* Per-QEMU-process figures: /proc/PID/ksm_stat and the guest-RAM split from
 * /proc/PID/smaps; and the esxtop figures derived from them. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/smaps.h"
#include "model/model.h"

struct collect_ksm_stat {
	bool found;
	uint64_t rmap_items;
	uint64_t merging_pages;
	uint64_t zero_pages;	      /* 6.x; 0 if absent */
	int64_t process_profit_bytes; /* may be negative (rmap items cost memory) */
	bool merge_any;
	bool mergeable;
};

/* /proc/PID/ksm_stat: "ksm_rmap_items N" lines (name, one space, value; the flag
 * lines use "name: yes|no"). Needs ksm_merging_pages or ksm_rmap_items. */
int collect_ksm_stat_parse(const char *buf, size_t len, struct collect_ksm_stat *out)
    __attribute__((warn_unused_result));
int collect_ksm_stat_read(const char *path, struct collect_ksm_stat *out)
    __attribute__((warn_unused_result));

struct collect_proc_pid {
	uint64_t rss_bytes;  /* whole process */
	uint64_t swap_bytes; /* whole process */
	bool guest_ram_found;
	enum collect_guest_ram_match guest_ram_match;
	uint64_t guest_ram_size_bytes;
	uint64_t guest_ram_rss_bytes;
	uint64_t guest_ram_swap_bytes;
	uint64_t guest_ram_ksm_bytes; /* per-mapping KSM (6.x smaps), else 0 */
	bool guest_ram_ksm_known;
	uint64_t other_rss_bytes; /* rss - guest_ram_rss */
	/* of other_rss, what other processes map too less this one's share (Rss - Pss):
	 * QEMU's binary, its libraries, a PVH-booted vmlinux, shared by every VM */
	uint64_t other_shared_bytes;
	bool ksm_stat_found;
	uint64_t ksm_merging_bytes;
	uint64_t ksm_zero_bytes;
};

/* Read pid_dir/smaps (required) and pid_dir/ksm_stat (optional, 6.1+) for a QEMU
 * whose guest has memsz_bytes (0 if unknown). pid_dir is e.g. "/proc/1234".
 * page_size converts KSM page counts (0 = this host's). */
int collect_proc_pid_read(const char *pid_dir, uint64_t memsz_bytes, uint64_t page_size,
			  struct collect_proc_pid *out) __attribute__((warn_unused_result));
/* Pure combination of parsed parts (used by _read and by tests). ksm may be NULL. */
void collect_proc_pid_combine(const struct collect_smaps *sm, const struct collect_ksm_stat *ksm,
			      uint64_t page_size, struct collect_proc_pid *out);

/* The esxtop figures (DESIGN.md):
 *   CONSUMED = guest RAM resident - KSM-merged pages in it   (floored at 0)
 *   OVHD     = RSS - guest RAM resident - other_shared (the Pss of the rest: pages
 *              shared by several QEMUs count once over the host, split among them)
 *   SWCUR    = guest RAM swapped by the host
 *   SHRD     = KSM-merged pages, ZERO = KSM zero pages
 * KSM-merged in guest RAM is smaps' per-mapping KSM where the kernel prints it,
 * else the process's ksm_merging_pages (nearly all of QEMU's merges are guest RAM).
 * With no guest RAM found, CONSUMED is the whole RSS less merges and OVHD is 0, so
 * the total never goes missing. */
struct collect_vm_figures {
	uint64_t consumed_bytes;
	uint64_t ovhd_bytes;
	uint64_t swapped_bytes;
	uint64_t shared_bytes;
	uint64_t zero_bytes;
};
void collect_vm_host_figures(const struct collect_proc_pid *pp, struct collect_vm_figures *out);
/* Same, written into a model snapshot's host-view fields. */
void collect_vm_host_figures_to_snapshot(const struct collect_proc_pid *pp, struct vm_snapshot *vm);
