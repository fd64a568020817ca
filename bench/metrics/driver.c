/*
 * bench/metrics driver: the CPU cost of /metrics for a synthetic fleet of N VMs, with
 * blimpd's own code (metrics_render, metrics_http):
 *   render  metrics_render of the fleet ITERS times, process CPU per render;
 *   serve   the real HTTP server (its own thread) publishing that text on 127.0.0.1:PORT;
 *           prints "ready", then a client scrapes it from outside; on a line from stdin
 *           prints the process CPU used meanwhile (the main thread sleeps in read(2),
 *           so that is the server thread's) and the number of scrapes served.
 * Usage: driver N_VMS ITERS PORT
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/metrics.h"

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: driver N_VMS ITERS PORT\n");
		return 2;
	}
	int n = atoi(argv[1]), iters = atoi(argv[2]);
	if (n < 0 || n > 100000 || iters < 1) {
		fprintf(stderr, "driver: bad N_VMS or ITERS\n");
		return 2;
	}
	struct metrics_vm *vms = calloc((size_t)n + 1, sizeof(*vms));
	if (!vms)
		return 1;
	/* realistic magnitudes: names and UUIDs of libvirt's lengths, figures of GiB VMs */
	for (int i = 0; i < n; i++) {
		struct metrics_vm *v = &vms[i];
		snprintf(v->name, sizeof(v->name), "tenant-%04d-web", i);
		snprintf(v->uuid, sizeof(v->uuid), "5f0c3a1e-8d2b-4c7a-9e61-%012d", i);
		v->running = v->mctl = true;
		uint64_t g = 1ULL << 30, x = (uint64_t)i * 7919 * 4096;
		v->memsz = 4 * g;
		v->consumed = 3 * g + x;
		v->ovhd = 90 * (1ULL << 20) + x / 7;
		v->rss = v->consumed + v->ovhd;
		v->mctlsz = g / 2 + x;
		v->mctltgt = g / 2;
		v->mctlmax = 3 * g;
		v->shrd = v->zero = x;
		v->swcur = v->swtgt = v->zip = x / 3;
		v->actv = v->actvs = v->actvf = g + x;
		v->actv_host = (int64_t)(g + x);
		v->balloon_actual = v->balloon_target = 3 * g + x;
		v->shares = 40960;
		v->reservation = g;
		v->limit = v->maxmemctl = 4 * g;
		v->entitlement = 3 * g - x;
		v->stats_age_ms = 812;
		v->guest_total = v->guest_free = v->guest_available = v->guest_caches = 2 * g + x;
		v->guest_swap_in = v->guest_swap_out = 123456789 + x;
		v->guest_major_faults = v->guest_minor_faults = 987654321 + x;
	}
	struct metrics_snapshot s = {.vms = vms, .n_vms = (size_t)n, .libvirt_connected = true};
	s.host.state_known = true;
	s.host.mem_total = s.host.budget = 256ULL << 30;
	for (int i = 0; i < 1000; i++)
		metrics_hist_observe(&s.collect, 0.001 * i);
	struct metrics_text t = {0};
	if (metrics_render(&s, &t) < 0) /* warm: the buffer grows once */
		return 1;
	uint64_t c0 = cpu_ns();
	for (int i = 0; i < iters; i++)
		if (metrics_render(&s, &t) < 0)
			return 1;
	uint64_t render_ns = (cpu_ns() - c0) / (uint64_t)iters;
	size_t bytes = t.len;

	char listen[64], err[256];
	snprintf(listen, sizeof(listen), "127.0.0.1:%s", argv[3]);
	if (metrics_http_start(listen, err, sizeof(err)) < 0) {
		fprintf(stderr, "driver: %s\n", err);
		return 1;
	}
	metrics_http_publish(&t);
	printf("ready n_vms=%d bytes=%zu render_ns=%" PRIu64 "\n", n, bytes, render_ns);
	fflush(stdout);
	struct metrics_counters c = {0};
	metrics_http_counters(&c);
	uint64_t s0 = c.scrapes;
	c0 = cpu_ns();
	char line[64];
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	uint64_t serve_ns = cpu_ns() - c0;
	metrics_http_counters(&c);
	printf("served scrapes=%" PRIu64 " serve_cpu_ns=%" PRIu64 "\n", c.scrapes - s0, serve_ns);
	metrics_http_stop();
	metrics_text_free(&t);
	free(vms);
	return 0;
}
