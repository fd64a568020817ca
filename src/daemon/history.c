/*
 * DESIGN: the live history ring. One block, allocated once: the header, vms_max VM
 * slots (a name and the seq range its samples are valid for) and frames x (frame
 * header + vms_max compact samples). A tick writes the next frame, wiping the oldest
 * one's samples; a VM keeps its slot while it has one, so a VM that leaves and comes
 * back keeps its earlier rows with a gap between. When a new VM finds no free slot it
 * takes the one whose VM was seen longest ago; that VM's rows vanish at once (the
 * slot's first_seq moves past them), which is the price of a fixed bound, and a
 * counter says so. Frames are ordered by sequence, and "since" is measured on the
 * monotonic clock (held if it ever goes back), so a wall-clock jump changes only the
 * timestamps printed, never which rows or in what order.
 */
#include "daemon/history.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct history_slot {
	char name[MODEL_NAME_MAX];
	bool used;
	uint64_t first_seq; /* its samples before this belong to an earlier owner */
	uint64_t last_seq;  /* its latest sample */
};

struct history {
	uint32_t n_frames, vms_max;
	uint64_t next_seq; /* frame being written is next_seq - 1 */
	uint64_t last_mono_ms;
	bool begun;
	struct history_counters ctr;
	size_t bytes;
	struct history_slot *slots;	   /* [vms_max] */
	struct history_frame *frames;	   /* [n_frames] */
	struct history_vm_sample *samples; /* [n_frames][vms_max] */
};

/* Sizes the block holds, each rounded up to keep the next part aligned. */
#define HISTORY_ALIGN(x) (((x) + 15u) & ~(size_t)15u)

size_t history_bound_bytes(uint32_t frames, uint32_t vms_max)
{
	return HISTORY_ALIGN(sizeof(struct history)) +
	       HISTORY_ALIGN((size_t)vms_max * sizeof(struct history_slot)) +
	       HISTORY_ALIGN((size_t)frames * sizeof(struct history_frame)) +
	       HISTORY_ALIGN((size_t)frames * vms_max * sizeof(struct history_vm_sample));
}

uint32_t history_frames_for(uint32_t seconds, uint32_t period_ms)
{
	if (!seconds || !period_ms)
		return 0;
	uint64_t f = ((uint64_t)seconds * 1000 + period_ms - 1) / period_ms + 1;
	return f > UINT32_MAX ? UINT32_MAX : (uint32_t)f;
}

struct history *history_new(uint32_t frames, uint32_t vms_max)
{
	if (frames < 2 || vms_max < 1 || (uint64_t)frames * vms_max > SIZE_MAX / 64)
		return NULL;
	size_t total = history_bound_bytes(frames, vms_max);
	char *block = calloc(1, total);
	if (!block)
		return NULL;
	struct history *h = (struct history *)block;
	char *p = block + HISTORY_ALIGN(sizeof(*h));
	h->slots = (struct history_slot *)p;
	p += HISTORY_ALIGN((size_t)vms_max * sizeof(*h->slots));
	h->frames = (struct history_frame *)p;
	p += HISTORY_ALIGN((size_t)frames * sizeof(*h->frames));
	h->samples = (struct history_vm_sample *)p;
	h->n_frames = frames;
	h->vms_max = vms_max;
	h->bytes = total;
	return h;
}

void history_free(struct history *h)
{
	free(h);
}

size_t history_bytes(const struct history *h)
{
	return h ? h->bytes : 0;
}

uint32_t history_slots(const struct history *h)
{
	return h->vms_max;
}

void history_counters(const struct history *h, struct history_counters *out)
{
	*out = h->ctr;
}

uint64_t history_next_seq(const struct history *h)
{
	return h->next_seq;
}

uint64_t history_oldest_seq(const struct history *h)
{
	return h->next_seq > h->n_frames ? h->next_seq - h->n_frames : 0;
}

static struct history_vm_sample *frame_samples(const struct history *h, uint64_t seq)
{
	return &h->samples[(size_t)(seq % h->n_frames) * h->vms_max];
}

void history_begin(struct history *h, int64_t wall_ms, uint64_t mono_ms,
		   const struct history_host_sample *host)
{
	if (h->begun && mono_ms < h->last_mono_ms) {
		mono_ms = h->last_mono_ms;
		h->ctr.clock_clamped++;
	}
	h->last_mono_ms = mono_ms;
	uint64_t seq = h->next_seq++;
	struct history_frame *f = &h->frames[seq % h->n_frames];
	*f = (struct history_frame){.seq = seq, .wall_ms = wall_ms, .mono_ms = mono_ms};
	if (host)
		f->host = *host;
	memset(frame_samples(h, seq), 0, (size_t)h->vms_max * sizeof(struct history_vm_sample));
	h->begun = true;
	h->ctr.frames++;
}

/* The slot for name in the frame being written: its own, a free one, or the one seen
 * longest ago among those without a sample in this frame. */
static int slot_for(struct history *h, const char *name, uint64_t cur)
{
	int free_i = -1, old_i = -1;
	for (uint32_t i = 0; i < h->vms_max; i++) {
		struct history_slot *s = &h->slots[i];
		if (!s->used) {
			if (free_i < 0)
				free_i = (int)i;
			continue;
		}
		if (strcmp(s->name, name) == 0)
			return (int)i;
		if (s->last_seq < cur && (old_i < 0 || s->last_seq < h->slots[old_i].last_seq))
			old_i = (int)i;
	}
	int i = free_i >= 0 ? free_i : old_i;
	if (i < 0)
		return -ENOSPC;
	struct history_slot *s = &h->slots[i];
	if (s->used && s->last_seq >= history_oldest_seq(h))
		h->ctr.slots_recycled++; /* its VM still had rows: they go now */
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->used = true;
	s->first_seq = cur;
	s->last_seq = cur;
	return i;
}

int history_add_vm(struct history *h, const char *name, const struct history_vm_sample *s)
{
	if (!h->begun || !name || !name[0] || strlen(name) >= MODEL_NAME_MAX || !s)
		return -EINVAL;
	uint64_t cur = h->next_seq - 1;
	int i = slot_for(h, name, cur);
	if (i < 0) {
		h->ctr.vms_dropped++;
		return i;
	}
	struct history_vm_sample *dst = &frame_samples(h, cur)[i];
	*dst = *s;
	if (!dst->memsz_kib)
		dst->memsz_kib = 1; /* 0 marks "absent"; a running VM has some memory */
	h->slots[i].last_seq = cur;
	return 0;
}

static bool seq_held(const struct history *h, uint64_t seq)
{
	return seq >= history_oldest_seq(h) && seq < h->next_seq;
}

uint64_t history_seek(const struct history *h, uint64_t from_seq, uint64_t since_mono_ms)
{
	uint64_t lo = history_oldest_seq(h), hi = h->next_seq;
	if (from_seq > lo)
		lo = from_seq;
	/* frames' mono_ms never decrease with seq: binary search */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (h->frames[mid % h->n_frames].mono_ms < since_mono_ms)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int history_frame(const struct history *h, uint64_t seq, struct history_frame *out)
{
	if (!seq_held(h, seq))
		return -ENOENT;
	*out = h->frames[seq % h->n_frames];
	return 0;
}

const char *history_vm(const struct history *h, uint64_t seq, uint32_t slot,
		       struct history_vm_sample *out)
{
	if (slot >= h->vms_max || !seq_held(h, seq))
		return NULL;
	const struct history_slot *s = &h->slots[slot];
	const struct history_vm_sample *v = &frame_samples(h, seq)[slot];
	if (!s->used || seq < s->first_seq || !v->memsz_kib)
		return NULL;
	*out = *v;
	return s->name;
}
