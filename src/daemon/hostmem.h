/*
 * Minimal /proc readers blimpd uses until src/collect's readers are wired in: host
 * meminfo/PSI/KSM and a QEMU process's RSS and swap. Take a root path ("" = host) so
 * tests can point them at fixture trees.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/model.h"

int daemon_host_read(const char *root, struct host_snapshot *h)
	__attribute__((warn_unused_result));

struct daemon_proc_mem {
	uint64_t rss_bytes;
	uint64_t swap_bytes;
	uint64_t ksm_merging_bytes;
	bool guest_ram_valid;
	uint64_t guest_ram_rss_bytes;
};
int daemon_proc_mem_read(const char *root, pid_t pid, struct daemon_proc_mem *m)
	__attribute__((warn_unused_result));
