/*
 * libFuzzer target: the simulator's fleet file parser (sim_fleet_parse) on any bytes.
 * Invariants (trap on violation):
 *  - 0 with at least one VM, or -EINVAL/-ENOMEM with a message and an empty fleet;
 *  - every parsed VM: a valid unique name, 16 MiB <= MEMSZ <= 16 TiB, reservation,
 *    limit, maxmemctl and every working-set point within MEMSZ, idle_anon below MEMSZ,
 *    idle_anon + cache_init + unreported within MEMSZ,
 *    trace times strictly increasing (and below the period when there is one),
 *    shareable <= 100%, a balloon rate above 0;
 *  - sim_trace_at stays within the trace's values.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond)                                                                             \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fleet invariant broken: %s (line %d)\n", #cond,           \
				__LINE__);                                                         \
			__builtin_trap();                                                          \
		}                                                                                  \
	} while (0)

static bool fz_name_ok(const char *s)
{
	size_t l = strnlen(s, MODEL_NAME_MAX);
	if (l == 0 || l >= MODEL_NAME_MAX)
		return false;
	for (size_t i = 0; i < l; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

static void fz_check_vm(const struct sim_vm_spec *v)
{
	uint64_t m = v->memsz_bytes;
	FZ_CHECK(fz_name_ok(v->name));
	FZ_CHECK(m >= 16 * MODEL_MIB && m <= 16 * 1024 * MODEL_GIB);
	FZ_CHECK(v->settings.reservation_bytes <= m);
	FZ_CHECK(v->settings.limit_bytes <= m);
	FZ_CHECK(v->settings.maxmemctl_bytes <= m);
	FZ_CHECK(v->idle_anon_bytes < m);
	FZ_CHECK((unsigned __int128)v->idle_anon_bytes + v->cache_init_bytes + v->unreported_bytes <= m);
	FZ_CHECK(v->cache_cap_bytes <= m);
	FZ_CHECK(v->shareable_permyriad <= 10000);
	FZ_CHECK(v->balloon_bytes_per_s > 0);
	const struct sim_trace *tr = &v->ws;
	FZ_CHECK(tr->n <= SIM_TRACE_MAX_POINTS && tr->n <= tr->cap);
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t i = 0; i < tr->n; i++) {
		FZ_CHECK(tr->pts[i].ws_bytes <= m);
		if (i)
			FZ_CHECK(tr->pts[i].t_ms > tr->pts[i - 1].t_ms);
		if (tr->period_ms)
			FZ_CHECK(tr->pts[i].t_ms < tr->period_ms);
		lo = tr->pts[i].ws_bytes < lo ? tr->pts[i].ws_bytes : lo;
		hi = tr->pts[i].ws_bytes > hi ? tr->pts[i].ws_bytes : hi;
	}
	if (tr->n) {
		size_t cur = 0;
		uint64_t t = 0;
		for (int k = 0; k < 16; k++) {
			uint64_t w = sim_trace_at(tr, t, &cur);
			FZ_CHECK(w >= lo && w <= hi);
			t += tr->pts[tr->n - 1].t_ms / 7 + 1 + (uint64_t)k * 977;
		}
	}
}

static int fz_name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_fleet f;
	char err[256] = "";
	sim_fleet_init(&f);
	int r = sim_fleet_parse((const char *)data, size, &f, err, sizeof(err));
	if (r != 0) {
		FZ_CHECK(r == -EINVAL || r == -ENOMEM);
		FZ_CHECK(err[0] != '\0' || r == -ENOMEM);
		FZ_CHECK(f.n == 0 && f.vms == NULL);
		return 0;
	}
	FZ_CHECK(f.n > 0 && f.n <= SIM_FLEET_MAX_VMS);
	const char **names = malloc(f.n * sizeof(*names));
	if (!names)
		abort();
	for (size_t i = 0; i < f.n; i++) {
		fz_check_vm(&f.vms[i]);
		names[i] = f.vms[i].name;
	}
	qsort(names, f.n, sizeof(*names), fz_name_cmp);
	for (size_t i = 1; i < f.n; i++)
		FZ_CHECK(strcmp(names[i - 1], names[i]) != 0);
	free(names);
	sim_fleet_free(&f);
	return 0;
}
