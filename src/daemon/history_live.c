/*
 * DESIGN: the live history in blimpd. Every tick, after the policy ran, one frame:
 * the host's free/minFree/budget/MemAvailable/swap and state, and for each running VM
 * what `top` shows (CONSUMED, OVHD, MCTLSZ, MCTLTGT, ACTV, SWCUR, MEMSZ), in KiB. The
 * `history` request (docs/protocol.md) pages through it: whole frames until `limit`
 * rows (one per VM plus one for the host per frame), then `more` and the `after` seq
 * to continue from, so an hour of 64 VMs never becomes one 40 MB line.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "daemon/daemon.h"
#include "daemon/history.h"
#include "daemon/proto.h"
#include "util/log.h"
#include "util/size.h"
#include "virt/domxml.h"
#include "virt/loop.h"

#define HISTORY_ROWS_DEFAULT 5000u
#define HISTORY_ROWS_MAX 20000u /* about 4 MB of JSON: well under both sides' limits */
#define HISTORY_NAMES_MAX 256u

int daemon_history_open(struct blimpd *d)
{
	uint32_t frames = history_frames_for(d->cfg.history_s, d->cfg.collect_period_ms);
	if (!frames) {
		log_info("history", "live history off (history_s = 0)");
		return 0;
	}
	char b[32];
	size_t bytes = history_bound_bytes(frames, d->cfg.history_vms);
	d->history = history_new(frames, d->cfg.history_vms);
	if (!d->history) {
		log_err("history", "cannot allocate the live history (%s)",
			size_format(bytes, b, sizeof(b)));
		return -ENOMEM;
	}
	log_info("history", "live history: %u s of %u VMs at %u ms, %s", d->cfg.history_s,
		 d->cfg.history_vms, d->cfg.collect_period_ms, size_format(bytes, b, sizeof(b)));
	return 0;
}

static uint32_t kib(uint64_t bytes)
{
	uint64_t k = bytes / 1024;
	return k > UINT32_MAX ? UINT32_MAX : (uint32_t)k;
}

void daemon_history_record(struct blimpd *d, uint64_t now_ms)
{
	if (!d->history)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	const struct host_plan *p = &d->host_plan;
	const struct host_snapshot *h = &d->host;
	struct history_host_sample host = {
	    .free_kib = kib(p->free_bytes),
	    .minfree_kib = kib(p->minfree_bytes),
	    .budget_kib = kib(d->cfg.policy.budget_bytes),
	    .available_kib = kib(h->mem_available_bytes),
	    .swap_used_kib = kib(h->swap_total_bytes > h->swap_free_bytes
				     ? h->swap_total_bytes - h->swap_free_bytes
				     : 0),
	    .state = d->have_host_plan ? (uint8_t)(p->state + 1) : 0,
	};
	history_begin(d->history, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, now_ms, &host);
	for (size_t i = 0; i < d->n_vms; i++) {
		const struct daemon_vm *v = &d->vms[i];
		if (!v->active || !v->snap.running)
			continue;
		uint64_t actual, target, memsz = v->memsz_bytes;
		daemon_vm_balloon(v, &actual, &target);
		struct history_vm_sample s = {
		    .memsz_kib = kib(memsz),
		    .consumed_kib = kib(v->snap.consumed_bytes),
		    .ovhd_kib = kib(v->snap.ovhd_bytes),
		    .mctlsz_kib = kib(memsz > actual ? memsz - actual : 0),
		    .mctltgt_kib = kib(memsz > target ? memsz - target : 0),
		    .actv_kib = kib(v->plan.actv_bytes),
		    .swcur_kib = kib(v->snap.swapped_bytes),
		};
		if (history_add_vm(d->history, v->name, &s) == -ENOSPC)
			log_debug("history", "%s: no slot this tick (history_vms %u)", v->name,
				  d->cfg.history_vms);
	}
}

json_object *daemon_history_json(const struct blimpd *d)
{
	json_object *o = json_object_new_object();
	struct history *h = d->history;
	json_object_object_add(o, "seconds", json_object_new_uint64(h ? d->cfg.history_s : 0));
	if (!h)
		return o;
	uint64_t oldest = history_oldest_seq(h), next = history_next_seq(h);
	struct history_frame f;
	uint64_t span_s = 0;
	if (next > oldest && history_frame(h, oldest, &f) == 0)
		span_s = (virt_loop_now_ms() - f.mono_ms) / 1000;
	json_object_object_add(o, "vms", json_object_new_uint64(history_slots(h)));
	json_object_object_add(o, "bytes", json_object_new_uint64(history_bytes(h)));
	json_object_object_add(o, "frames", json_object_new_uint64(next - oldest));
	json_object_object_add(o, "oldest_s", json_object_new_uint64(span_s));
	return o;
}

static json_object *host_json(const struct history_host_sample *h)
{
	json_object *o = json_object_new_object();
#define K(key, x) json_object_object_add(o, key, json_object_new_uint64((uint64_t)(x)*1024))
	K("free", h->free_kib);
	K("minfree", h->minfree_kib);
	K("budget", h->budget_kib);
	K("available", h->available_kib);
	K("swap_used", h->swap_used_kib);
	json_object_object_add(
	    o, "state",
	    json_object_new_string(h->state && h->state <= HOST_STATE__COUNT
				       ? model_host_state_name((enum host_state)(h->state - 1))
				       : "unknown"));
	return o;
}

static json_object *vm_json(const char *name, const struct history_vm_sample *s)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	K("memsz", s->memsz_kib);
	K("consumed", s->consumed_kib);
	K("ovhd", s->ovhd_kib);
	K("mctlsz", s->mctlsz_kib);
	K("mctltgt", s->mctltgt_kib);
	K("actv", s->actv_kib);
	K("swcur", s->swcur_kib);
#undef K
	return o;
}

static bool name_wanted(json_object *names, const char *name)
{
	if (!names)
		return true;
	for (size_t i = 0; i < json_object_array_length(names); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(names, i)), name) == 0)
			return true;
	return false;
}

/* Validate the request's arguments into *since_ms, *after, *limit, *names. */
static int history_args(json_object *args, uint64_t *since_s, bool *has_since, uint64_t *after,
			uint64_t *limit, json_object **names, char *err, size_t errlen)
{
	static const char *const allowed[] = {"since", "after", "limit", "vms", NULL};
	int r;
	if ((r = daemon_args_only(args, allowed, err, errlen)) < 0)
		return r;
	r = daemon_arg_u64(args, "since", false, since_s, err, errlen);
	if (r < 0 && r != -ENOENT)
		return r;
	*has_since = r == 0;
	if ((r = daemon_arg_u64(args, "after", false, after, err, errlen)) < 0 && r != -ENOENT)
		return r;
	if ((r = daemon_arg_u64(args, "limit", false, limit, err, errlen)) < 0 && r != -ENOENT)
		return r;
	if (*limit < 1 || *limit > HISTORY_ROWS_MAX) {
		snprintf(err, errlen, "limit must be 1..%u rows", HISTORY_ROWS_MAX);
		return -EINVAL;
	}
	if ((r = daemon_arg_strv(args, "vms", names, err, errlen)) < 0 && r != -ENOENT)
		return r;
	if (r == -ENOENT)
		*names = NULL;
	if (*names) {
		size_t n = json_object_array_length(*names);
		if (n > HISTORY_NAMES_MAX) {
			snprintf(err, errlen, "at most %u VM names", HISTORY_NAMES_MAX);
			return -EINVAL;
		}
		for (size_t i = 0; i < n; i++)
			if (!virt_name_valid(
				json_object_get_string(json_object_array_get_idx(*names, i)))) {
				snprintf(err, errlen, "vms[%zu] is not a valid VM name", i);
				return -EINVAL;
			}
	}
	return 0;
}

void daemon_history_handle(struct blimpd *d, struct ctl_client *c, struct daemon_request *req)
{
	char err[256] = "";
	uint64_t since_s = 0, after = 0, limit = HISTORY_ROWS_DEFAULT;
	bool has_since = false;
	json_object *names = NULL;
	int r =
	    history_args(req->args, &since_s, &has_since, &after, &limit, &names, err, sizeof(err));
	if (r < 0) {
		daemon_ctl_reply_err(c, req->id, r, "%s", err);
		return;
	}
	struct history *h = d->history;
	if (!h) {
		daemon_ctl_reply_err(c, req->id, -ENOENT,
				     "the live history is off (history_s = 0)");
		return;
	}
	uint64_t now = virt_loop_now_ms(), since_mono = 0;
	/* with after (a later page), since is already applied */
	if (has_since && !json_object_object_get_ex(req->args, "after", NULL))
		since_mono = since_s > now / 1000 ? 0 : now - since_s * 1000;
	uint64_t seq = history_seek(h, after, since_mono), end = history_next_seq(h);
	json_object *frames = json_object_new_array();
	uint64_t rows = 0;
	for (; seq < end; seq++) {
		struct history_frame f;
		if (history_frame(h, seq, &f) < 0)
			continue;
		json_object *vms = json_object_new_array();
		uint64_t n = 1; /* the host's row */
		for (uint32_t slot = 0; slot < history_slots(h); slot++) {
			struct history_vm_sample s;
			const char *name = history_vm(h, seq, slot, &s);
			if (name && name_wanted(names, name)) {
				json_object_array_add(vms, vm_json(name, &s));
				n++;
			}
		}
		if (rows > 0 && rows + n > limit) {
			json_object_put(vms);
			break;
		}
		json_object *fo = json_object_new_object();
		json_object_object_add(fo, "seq", json_object_new_uint64(f.seq));
		json_object_object_add(fo, "t_ms", json_object_new_int64(f.wall_ms));
		json_object_object_add(fo, "mono_ms", json_object_new_uint64(f.mono_ms));
		json_object_object_add(fo, "host", host_json(&f.host));
		json_object_object_add(fo, "vms", vms);
		json_object_array_add(frames, fo);
		rows += n;
	}
	struct history_counters hc;
	history_counters(h, &hc);
	json_object *res = json_object_new_object();
	json_object_object_add(res, "period_ms", json_object_new_uint64(d->cfg.collect_period_ms));
	json_object_object_add(res, "history_s", json_object_new_uint64(d->cfg.history_s));
	json_object_object_add(res, "slots", json_object_new_uint64(history_slots(h)));
	json_object_object_add(res, "bytes", json_object_new_uint64(history_bytes(h)));
	json_object_object_add(res, "now_mono_ms", json_object_new_uint64(now));
	json_object_object_add(res, "frames", frames);
	json_object_object_add(res, "more", json_object_new_boolean(seq < end));
	json_object_object_add(res, "after", json_object_new_uint64(seq));
	json_object *co = json_object_new_object();
	json_object_object_add(co, "slots_recycled", json_object_new_uint64(hc.slots_recycled));
	json_object_object_add(co, "vms_dropped", json_object_new_uint64(hc.vms_dropped));
	json_object_object_add(co, "clock_clamped", json_object_new_uint64(hc.clock_clamped));
	json_object_object_add(res, "counters", co);
	daemon_ctl_reply_ok(c, req->id, res);
	json_object_put(res);
}
