/* /proc/PID/smaps of a QEMU process: total RSS and swap, and the guest-RAM
 * mapping's share of them (for CONSUMED and OVHD). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COLLECT_SMAPS_CAND_MAX 64
/* A mapping this close to MEMSZ is the guest RAM (QEMU pads and aligns). */
#define COLLECT_SMAPS_TOLERANCE_BYTES (16ULL << 20)

struct collect_smaps_map {
	uint64_t start, end;
	uint64_t size_bytes, rss_bytes, swap_bytes, ksm_bytes;
	uint64_t pss_bytes; /* "Pss:": resident pages, each divided by the processes sharing it */
	bool has_pss;
	uint64_t referenced_bytes; /* "Referenced:": pages accessed since the last clear_refs */
	bool candidate;		   /* private/shared rw, anonymous or memfd/shm/hugetlbfs */
};

enum collect_guest_ram_match {
	COLLECT_GUEST_RAM_NONE = 0, /* not found: everything counts as "other" */
	COLLECT_GUEST_RAM_EXACT,    /* one mapping within tolerance of MEMSZ */
	COLLECT_GUEST_RAM_RUN,	    /* adjacent mappings whose sizes add up to MEMSZ */
	COLLECT_GUEST_RAM_LARGEST,  /* no match: the largest candidate >= MEMSZ/2 */
};

struct collect_smaps {
	uint64_t memsz_bytes; /* input: the VM's configured memory (0 = unknown) */
	uint64_t n_maps;
	uint64_t rss_bytes; /* sums over every mapping */
	uint64_t swap_bytes;
	/* sum over every mapping of Rss - Pss (floored at 0 per mapping): resident pages
	 * other processes map too, less this process's share of them (0 if no Pss lines) */
	uint64_t shared_excess_bytes;
	bool ksm_field_seen; /* the kernel prints per-mapping "KSM:" (6.x) */

	enum collect_guest_ram_match guest_ram_match;
	uint32_t guest_ram_maps;
	uint64_t guest_ram_start, guest_ram_end;
	uint64_t guest_ram_size_bytes;
	uint64_t guest_ram_rss_bytes;
	uint64_t guest_ram_swap_bytes;
	uint64_t guest_ram_ksm_bytes;
	uint64_t guest_ram_referenced_bytes; /* for host-side access sampling (access.h) */
	uint64_t guest_ram_shared_excess_bytes; /* Rss - Pss over the guest RAM mappings */

	/* parser state */
	bool in_map;
	struct collect_smaps_map cur;
	size_t n_cand;
	struct collect_smaps_map cand[COLLECT_SMAPS_CAND_MAX];
};

/* Incremental use: begin, feed each line (without its '\n'), end. */
void collect_smaps_begin(struct collect_smaps *s, uint64_t memsz_bytes);
int collect_smaps_line(struct collect_smaps *s, const char *line, size_t len)
    __attribute__((warn_unused_result));
void collect_smaps_end(struct collect_smaps *s);

/* Whole-buffer parse. -EINVAL on a malformed mapping header or field value or a
 * field before any header, -ERANGE on overflow. Empty text is valid (no maps). */
int collect_smaps_parse(const char *buf, size_t len, uint64_t memsz_bytes,
			struct collect_smaps *out) __attribute__((warn_unused_result));
/* Stream `path` (normally /proc/PID/smaps) through a 64 KiB buffer. */
int collect_smaps_read(const char *path, uint64_t memsz_bytes, struct collect_smaps *out)
    __attribute__((warn_unused_result));
