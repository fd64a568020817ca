/*
 * The live history (docs/history.md): the last history_s seconds of every tick's
 * host and per-VM figures in one ring allocated up front, so its memory is known
 * before the first sample: history_bound_bytes(frames, vms_max). Pure: no clock, no
 * daemon; the tick hands it the figures and both clocks.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

/* Figures in KiB (uint32: up to 4 TiB each). A VM sample with memsz_kib 0 is absent. */
struct history_vm_sample {
	uint32_t memsz_kib;
	uint32_t consumed_kib;
	uint32_t ovhd_kib;
	uint32_t mctlsz_kib;
	uint32_t mctltgt_kib;
	uint32_t actv_kib;
	uint32_t swcur_kib;
};

struct history_host_sample {
	uint32_t free_kib;
	uint32_t minfree_kib;
	uint32_t budget_kib;
	uint32_t available_kib;
	uint32_t swap_used_kib;
	uint8_t state; /* enum host_state + 1; 0 = unknown (no plan yet) */
};

/* One tick: its sequence number (the protocol's cursor), wall clock (for people) and
 * monotonic clock (for "since": a wall-clock jump must not hide or reorder rows). */
struct history_frame {
	uint64_t seq;
	int64_t wall_ms;
	uint64_t mono_ms;
	struct history_host_sample host;
};

struct history_counters {
	uint64_t frames;	 /* written since start */
	uint64_t slots_recycled; /* a VM took the slot of the one seen longest ago */
	uint64_t vms_dropped;	 /* samples lost: more VMs in one tick than slots */
	uint64_t clock_clamped;	 /* monotonic time that went backwards, held */
};

struct history;

/* frames (>= 2) ticks of vms_max (>= 1) VMs each. NULL on ENOMEM or bad sizes. */
struct history *history_new(uint32_t frames, uint32_t vms_max);
void history_free(struct history *h);
/* What history_new allocates for these sizes (the documented bound), and what it did
 * allocate (the module's own accounting; equal for the same sizes). */
size_t history_bound_bytes(uint32_t frames, uint32_t vms_max);
size_t history_bytes(const struct history *h);
/* Frames needed for seconds of history at one frame per period_ms (0 if seconds is 0). */
uint32_t history_frames_for(uint32_t seconds, uint32_t period_ms);

/* Start a tick's frame, overwriting the oldest once the ring is full. */
void history_begin(struct history *h, int64_t wall_ms, uint64_t mono_ms,
		   const struct history_host_sample *host);
/* Add a VM's sample to the current frame. A name without a slot takes a free one, or
 * the slot of the VM seen longest ago (its older samples are then forgotten). 0, or
 * -ENOSPC when every slot already holds a VM of this frame (counted), -EINVAL for a
 * bad name or no frame begun. */
int history_add_vm(struct history *h, const char *name, const struct history_vm_sample *s);

void history_counters(const struct history *h, struct history_counters *out);
uint32_t history_slots(const struct history *h);
/* Sequence numbers held: [oldest, next) (empty when equal). */
uint64_t history_oldest_seq(const struct history *h);
uint64_t history_next_seq(const struct history *h);
/* The first seq at or after from_seq whose mono_ms >= since_mono_ms (next_seq if none). */
uint64_t history_seek(const struct history *h, uint64_t from_seq, uint64_t since_mono_ms);
/* Frame seq: 0, or -ENOENT when it fell off or is not written yet. */
int history_frame(const struct history *h, uint64_t seq, struct history_frame *out);
/* Slot's sample in frame seq: its VM's name, or NULL when it has none there. */
const char *history_vm(const struct history *h, uint64_t seq, uint32_t slot,
		       struct history_vm_sample *out);
