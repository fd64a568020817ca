/*
 * KSM actuator: run, pages_to_scan and sleep_millisecs under SYSFS/kernel/mm/ksm.
 * Writes only what differs from what it last applied, remembers the original values
 * on first change and puts them back in act_ksm_restore. QEMU marks guest RAM
 * MADV_MERGEABLE itself (mem-merge=on by default), so no madvise is needed.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct act_ksm;

/* sysfs_root: "/sys" on a host, a fixture directory in tests. NULL on -ENOMEM
 * or a root path too long. */
struct act_ksm *act_ksm_new(const char *sysfs_root, bool dry_run);
void act_ksm_free(struct act_ksm *k);

/* Record originals on disk and take those an earlier blimpd left (act/originals.h).
 * Call before the first apply; NULL = none. */
struct act_originals;
void act_ksm_use_originals(struct act_ksm *k, struct act_originals *originals);

/* Is KSM there at all (SYSFS/kernel/mm/ksm/run exists)? */
bool act_ksm_present(const struct act_ksm *k);

/* Apply a plan's KSM settings. msg gets what was done (or would be, dry-run);
 * empty when nothing changed. 0 or -errno (msg says why). pages_to_scan and
 * sleep_ms are written only while run is true (KSM off leaves the rates alone);
 * pages_to_scan 0 means run = false. */
int act_ksm_apply(struct act_ksm *k, bool run, uint32_t pages_to_scan, uint32_t sleep_ms, char *msg,
		  size_t msglen) __attribute__((warn_unused_result));

/* Put back every value blimp changed. 0 or the first -errno (all are tried). */
int act_ksm_restore(struct act_ksm *k, char *msg, size_t msglen)
    __attribute__((warn_unused_result));
