/*
 * The Prometheus endpoint (docs/metrics.md). The tick fills a metrics_snapshot from
 * the same daemon state `blimp stats` and `status` read (metrics_fill.c), renders it
 * into the text exposition format (metrics_render.c, a pure function) and publishes
 * the text to the HTTP server (metrics_http.c), which runs in libmicrohttpd's own
 * thread and only copies the last published bytes: a scrape never reads daemon state
 * and a client, slow or hostile, never holds the tick.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "model/model.h"

/* One VM's figures, as `blimp stats --json` reports them (bytes unless named). */
struct metrics_vm {
	char name[MODEL_NAME_MAX];
	char uuid[MODEL_UUID_LEN];
	bool running, managed, mctl;
	uint64_t memsz, consumed, ovhd, rss;
	uint64_t mctlsz, mctltgt, mctlmax;
	uint64_t shrd, zero, swcur, swtgt, zip;
	uint64_t actv, actvs, actvf;
	int64_t actv_host; /* -1: not measured yet */
	uint64_t balloon_actual, balloon_target;
	uint64_t shares, reservation, limit, maxmemctl, entitlement;
	int64_t stats_age_ms; /* -1: never */
	uint64_t guest_total, guest_free, guest_available, guest_caches;
	uint64_t guest_swap_in, guest_swap_out, guest_major_faults, guest_minor_faults;
};

struct metrics_host {
	bool state_known;
	enum host_state state;
	uint64_t mem_total, mem_available, budget, free, minfree;
	uint64_t working_set, working_set_shortfall; /* the plan's; shortfall 0 = they fit */
	bool working_set_alarm;
	uint64_t swap_total, swap_free;
	uint32_t psi_some_avg10_permyriad;
	bool ksm_run, zswap;
	uint64_t ksm_pages_to_scan, ksm_sleep_ms, ksm_pages_sharing, ksm_pages_shared;
	uint64_t shrdsvd; /* host-wide: what KSM saves (pages_sharing x page size) */
	uint64_t overcommit_permyriad; /* sum of running MEMSZ / budget */
};

/* Where refused or clamped input came from (blimp_input_refused_total{source}). */
enum metrics_refused {
	METRICS_REFUSED_CTL_BAD_REQUEST = 0, /* control socket: unparseable or invalid */
	METRICS_REFUSED_CTL_UID,	     /* control socket: client uid not allowed */
	METRICS_REFUSED_CTL_SLOW_READER,     /* control socket: dropped, not reading */
	METRICS_REFUSED_GUEST_STATS,	     /* guest stats out of range: clamped */
	METRICS_REFUSED_HTTP_CONNECTIONS,    /* HTTP: over the connection limits */
	METRICS_REFUSED_HTTP_METHOD,	     /* HTTP: not GET/HEAD (405) */
	METRICS_REFUSED_HTTP_NOT_FOUND,	     /* HTTP: not /metrics (404) */
	METRICS_REFUSED_HTTP_DROPPED,	     /* HTTP: closed unanswered: timed out, invalid,
					      * oversized or abandoned */
	METRICS_REFUSED__COUNT
};
const char *metrics_refused_name(enum metrics_refused r);

/* Collection time histogram, seconds. Bucket upper bounds are fixed (metrics.c). */
#define METRICS_HIST_BUCKETS 12
extern const double metrics_hist_bounds[METRICS_HIST_BUCKETS];
struct metrics_hist {
	uint64_t counts[METRICS_HIST_BUCKETS + 1]; /* per bucket (not cumulative); last +Inf */
	double sum_s;
	uint64_t count;
};
void metrics_hist_observe(struct metrics_hist *h, double seconds);

struct metrics_counters {
	uint64_t balloon_inflated, balloon_deflated; /* bytes moved by balloon targets set */
	uint64_t swap_rescues, swap_limit_refused, oom_kills;
	uint64_t refused[METRICS_REFUSED__COUNT];
	uint64_t policy_passes;
	uint64_t collections;
	uint64_t collect_cpu_us;
	uint64_t ticks_late;
	uint64_t tick_late_max_ms;
	uint64_t scrapes; /* HTTP answers of /metrics */
};

struct metrics_snapshot {
	double start_time_s; /* unix time blimpd started */
	bool libvirt_connected;
	struct metrics_host host;
	struct metrics_counters counters;
	struct metrics_hist collect;
	size_t n_vms;
	const struct metrics_vm *vms;
};

/* A growing text buffer. */
struct metrics_text {
	char *buf;
	size_t len, cap;
};
void metrics_text_free(struct metrics_text *t);

/* Render s in the text exposition format (version 0.0.4) into out (reset first).
 * Pure: reads only s. 0 or -ENOMEM. */
int metrics_render(const struct metrics_snapshot *s, struct metrics_text *out)
    __attribute__((warn_unused_result));
/* Append v as a label value, escaped per the format (\\, \", \n). 0 or -ENOMEM. */
int metrics_text_label_value(struct metrics_text *t, const char *v)
    __attribute__((warn_unused_result));

/* The HTTP server (metrics_http.c). Listen on "ADDR:PORT" (IPv4, or [IPv6]:PORT).
 * 0 or -errno (err says why). */
int metrics_http_start(const char *listen, char *err, size_t errlen)
    __attribute__((warn_unused_result));
void metrics_http_stop(void);
bool metrics_http_running(void);
/* Hand over the latest text: takes t's buffer (t is left empty, ready for reuse,
 * holding the previous buffer). */
void metrics_http_publish(struct metrics_text *t);
/* What the HTTP thread refused and served, for the next rendering. */
void metrics_http_counters(struct metrics_counters *c);
/* Parse "ADDR:PORT" into a socket address. 0 or -EINVAL. */
int metrics_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
    __attribute__((warn_unused_result));
