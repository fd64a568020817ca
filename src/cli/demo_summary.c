/*
 * DESIGN: the demo's verdict, from figures gathered elsewhere: guest OOM kills read
 * from each guest's kernel log, wsloop throughput from its log, and the timeline's
 * running figures (demo_stats). Pure text in, text out.
 */
#include "cli/demo_core.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/size.h"

unsigned demo_oom_count(const char *dmesg)
{
	unsigned n = 0;
	if (!dmesg)
		return 0;
	/* The kernel prints "Out of memory: Killed process N (comm) ..." once per kill
	 * (also "Memory cgroup out of memory: Killed process"). */
	for (const char *p = dmesg; (p = strstr(p, "Killed process ")); p += 15)
		n++;
	return n;
}

static int demo_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

uint64_t demo_wsloop_median(const char *log)
{
	uint64_t v[512];
	size_t n = 0;
	if (!log)
		return 0;
	for (const char *p = log;
	     n < sizeof(v) / sizeof(v[0]) && (p = strstr(p, "pages_per_s="));) {
		p += 12;
		char *end;
		unsigned long long x = strtoull(p, &end, 10);
		if (end != p && (*end == ' ' || *end == '\n' || *end == '\0'))
			v[n++] = x;
		p = end;
	}
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(v[0]), demo_cmp_u64);
	return v[n / 2];
}

static const char *demo_sz(uint64_t b, char *buf, size_t len)
{
	return b == UINT64_MAX ? "-" : size_format(b, buf, len);
}

void demo_summary_write(FILE *out, const struct demo_stats *s, const struct demo_vm_result *vm,
			unsigned n, uint64_t host_oom_kills, const char *policy, uint64_t seconds)
{
	char a[32], b[32], c[32];
	fprintf(out, "blimp demo: %u VMs, policy %s, %" PRIu64 " s, %" PRIu64 " samples\n", n,
		policy, seconds, s->samples);
	if (s->budget_bytes)
		fprintf(out, "overcommit (sum MEMSZ / budget)            %.2fx  (%s / %s)\n",
			(double)s->memsz_sum_bytes / (double)s->budget_bytes,
			demo_sz(s->memsz_sum_bytes, a, sizeof(a)),
			demo_sz(s->budget_bytes, b, sizeof(b)));
	if (s->peak_held_settled_bytes)
		fprintf(out,
			"overcommit (sum MEMSZ / peak CONSUMED+OVHD) %.2fx  (peak held %s once "
			"within budget, from t=%" PRIu64 " s; %s before)\n",
			(double)s->memsz_sum_bytes / (double)s->peak_held_settled_bytes,
			demo_sz(s->peak_held_settled_bytes, c, sizeof(c)), s->settled_ms / 1000,
			demo_sz(s->peak_held_bytes, b, sizeof(b)));
	else if (s->peak_held_bytes)
		fprintf(out,
			"overcommit (sum MEMSZ / peak CONSUMED+OVHD) -      (never within budget; "
			"peak held %s)\n",
			demo_sz(s->peak_held_bytes, b, sizeof(b)));
	fprintf(out, "reclaimed by the balloon at peak            %s\n",
		demo_sz(s->peak_mctlsz_bytes, a, sizeof(a)));
	fprintf(out, "host swap (SWCUR) at peak                   %s\n",
		demo_sz(s->peak_swcur_bytes, a, sizeof(a)));
	fprintf(out, "host free memory minimum (budget less VMs)  %s\n",
		demo_sz(s->min_free_bytes, a, sizeof(a)));
	fprintf(out, "host MemAvailable minimum                   %s\n",
		demo_sz(s->min_available_bytes, a, sizeof(a)));
	fprintf(out, "samples over budget                         %" PRIu64 " of %" PRIu64 "\n",
		s->over_budget_samples, s->samples);
	fprintf(out, "lowest memory state                         %s\n",
		s->worst_state[0] ? s->worst_state : "-");
	unsigned kills = 0;
	bool unknown = false;
	for (unsigned i = 0; i < n; i++) {
		if (vm[i].oom_kills < 0)
			unknown = true;
		else
			kills += (unsigned)vm[i].oom_kills;
	}
	fprintf(out, "guest OOM kills                             %u%s\n", kills,
		unknown ? " (some kernel logs unreadable)" : "");
	fprintf(out, "host OOM kills                              %" PRIu64 "\n", host_oom_kills);
	for (unsigned i = 0; i < n; i++) {
		fprintf(out, "  %-12s oom kills ", vm[i].name);
		if (vm[i].oom_kills < 0)
			fputs("?", out);
		else
			fprintf(out, "%d", vm[i].oom_kills);
		if (vm[i].pages_per_s)
			fprintf(out, ", wsloop %" PRIu64 " pages/s (median in its phase)",
				vm[i].pages_per_s);
		fputs("\n", out);
	}
}
