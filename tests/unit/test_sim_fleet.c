/* Fleet files, traces, generators and the PRNG: good input, malformed input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sim/rng.h"
#include "sim/sim.h"

#define MIB MODEL_MIB
#define GIB MODEL_GIB

static const struct sim_vm_spec *find(const struct sim_fleet *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->vms[i].name, name) == 0)
			return &f->vms[i];
	return NULL;
}

static void test_fixture(void **state)
{
	(void)state;
	struct sim_fleet f;
	char err[256];
	sim_fleet_init(&f);
	int r = sim_fleet_load("tests/fixtures/sim/fleet.csv", &f, err, sizeof(err));
	if (r)
		fail_msg("load: %s", err);
	assert_int_equal(f.n, 7); /* web x3, db, batch x2, legacy */
	const struct sim_vm_spec *w = find(&f, "web-2");
	assert_non_null(w);
	assert_int_equal(w->memsz_bytes, 2 * GIB);
	assert_int_equal(w->idle_anon_bytes, 96 * MIB);
	assert_int_equal(w->shareable_permyriad, 1500);
	assert_int_equal(w->ws.n, 3);
	assert_int_equal(w->ws.period_ms, 86400000);
	size_t cur = 0;
	assert_int_equal(sim_trace_at(&w->ws, 0, &cur), 400 * MIB);
	assert_int_equal(sim_trace_at(&w->ws, 14400000, &cur), 800 * MIB); /* halfway up */
	assert_int_equal(sim_trace_at(&w->ws, 28800000, &cur), 1200 * MIB);
	/* Wraps: from 400M at 64800 s to 400M at 86400 + 0 s. */
	assert_int_equal(sim_trace_at(&w->ws, 86400000 + 1000, &cur),
			 400 * MIB + 800 * MIB / 28800);
	const struct sim_vm_spec *d = find(&f, "db");
	assert_non_null(d);
	assert_int_equal(d->settings.shares, 40960);
	assert_int_equal(d->settings.reservation_bytes, 4 * GIB);
	assert_int_equal(d->start_ms, 60000);
	assert_int_equal(d->guest_swap_bytes, 2 * GIB);
	const struct sim_vm_spec *b = find(&f, "batch-1");
	assert_non_null(b);
	assert_int_equal(b->settings.limit_bytes, 3 * GIB);
	assert_int_equal(b->settings.maxmemctl_bytes, 2 * GIB);
	cur = 0;
	assert_int_equal(sim_trace_at(&b->ws, 5000000, &cur), 4 * GIB * 8000 / 10000);
	assert_int_equal(sim_trace_at(&b->ws, 14400000 + 5000000, &cur), 4 * GIB * 8000 / 10000);
	const struct sim_vm_spec *l = find(&f, "legacy");
	assert_non_null(l);
	assert_false(l->balloon);
	assert_true(d->deflate_on_oom);
	assert_int_equal(l->balloon_bytes_per_s, 128 * MIB); /* default */
	assert_int_equal(sim_fleet_memsz_bytes(&f), 3 * 2 * GIB + 8 * GIB + 2 * 4 * GIB + GIB);
	sim_fleet_free(&f);
}

static void test_malformed(void **state)
{
	(void)state;
	static const struct {
		const char *csv;
		const char *msg; /* expected substring of the error */
	} bad[] = {
	    {"", "no VMs"},
	    {"# only a comment\n", "no VMs"},
	    {"name,memsz\n", "no VMs"},
	    {"memsz\n1G\n", "at least 'name' and 'memsz'"},
	    {"name,memsz,color\na,1G,red\n", "unknown column 'color'"},
	    {"name,memsz,memsz\na,1G,1G\n", "twice"},
	    {"name,memsz\na\n", "1 fields"},
	    {"name,memsz\na,1G,3\n", "more fields"},
	    {"name,memsz\n,1G\n", "name"},
	    {"name,memsz\nbad name,1G\n", "name"},
	    {"name,memsz\na/b,1G\n", "name"},
	    {"name,memsz\na,\n", "memsz: required"},
	    {"name,memsz\na,-1G\n", "memsz"},
	    {"name,memsz\na,1X\n", "memsz"},
	    {"name,memsz\na,1M\n", "below 16 MiB"},
	    {"name,memsz\na,99999999T\n", "memsz"},
	    {"name,memsz\na,1G\na,2G\n", "used twice"},
	    {"name,memsz,reservation\na,1G,2G\n", "reservation"},
	    {"name,memsz,shares\na,1G,-5\n", "shares"},
	    {"name,memsz,shares\na,1G,1e9\n", "shares"},
	    {"name,memsz,shares\na,1G,99999999999999999999999\n", "shares"},
	    {"name,memsz,balloon\na,1G,maybe\n", "balloon"},
	    {"name,memsz,balloon_rate\na,1G,0\n", "balloon_rate"},
	    {"name,memsz,boot_s\na,1G,1.2345\n", "boot_s"},
	    {"name,memsz,boot_s\na,1G,1e3\n", "boot_s"},
	    {"name,memsz,start_s\na,1G,99999999999\n", "start_s"},
	    {"name,memsz,shareable_pct\na,1G,101\n", "shareable_pct"},
	    {"name,memsz,idle_anon\na,1G,1G\n", "idle_anon"},
	    {"name,memsz,unreported\na,1G,2G\n", "unreported"},
	    {"name,memsz,unreported\na,1G,-1M\n", "unreported"},
	    {"name,memsz,idle_anon,cache_cap,cache_init,unreported\na,1G,400M,400M,400M,300M\n",
	     "exceed memsz"},
	    {"name,memsz,ws\na,1G,0:2G\n", "ws"},
	    {"name,memsz,ws\na,1G,10:1M 5:2M\n", "increase"},
	    {"name,memsz,ws\na,1G,10:1M 10:2M\n", "increase"},
	    {"name,memsz,ws\na,1G,abc\n", "t_s:size"},
	    {"name,memsz,ws\na,1G,1:150%\n", "percentage"},
	    {"name,memsz,ws,period_s\na,1G,0:1M 100:2M,100\n", "period"},
	    {"name,memsz,count\na,1G,0\n", "count"},
	    {"name,memsz,count\na,1G,2000000\n", "count"},
	    {"name,memsz,count\n"
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,1G,100\n",
	     "too long"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sim_fleet f;
		char err[256] = "";
		sim_fleet_init(&f);
		int r = sim_fleet_parse(bad[i].csv, strlen(bad[i].csv), &f, err, sizeof(err));
		if (r != -EINVAL || !strstr(err, bad[i].msg))
			fail_msg("case %zu (%s): r=%d err='%s', wanted '%s'", i, bad[i].csv, r, err,
				 bad[i].msg);
		assert_int_equal(f.n, 0); /* nothing half-loaded */
		assert_null(f.vms);
	}
	/* A NUL byte inside the buffer. */
	static const char nul[] = "name,memsz\na\0b,1G\n";
	struct sim_fleet f;
	char err[256];
	sim_fleet_init(&f);
	assert_int_equal(sim_fleet_parse(nul, sizeof(nul) - 1, &f, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 2"));
	/* A missing file. */
	assert_int_equal(sim_fleet_load("tests/fixtures/sim/nonexistent.csv", &f, err, sizeof(err)),
			 -ENOENT);
}

static void test_fields_and_defaults(void **state)
{
	(void)state;
	const char *csv = "# c\n\n ws , name ,memsz, count \n"
			  "0:10% 60:50%,a,1G,2\r\n"
			  ",b,512M,\n";
	struct sim_fleet f;
	char err[256];
	sim_fleet_init(&f);
	int r = sim_fleet_parse(csv, strlen(csv), &f, err, sizeof(err));
	if (r)
		fail_msg("%s", err);
	assert_int_equal(f.n, 3);
	assert_string_equal(f.vms[0].name, "a-0");
	assert_string_equal(f.vms[1].name, "a-1");
	assert_string_equal(f.vms[2].name, "b");
	assert_int_equal(f.vms[1].ws.n, 2);
	assert_int_equal(f.vms[1].ws.pts[1].ws_bytes, GIB / 2);
	size_t cur = 0;
	assert_int_equal(sim_trace_at(&f.vms[1].ws, 30000, &cur),
			 GIB / 10 + (GIB / 2 - GIB / 10) / 2);
	assert_int_equal(sim_trace_at(&f.vms[1].ws, 1000000, &cur), GIB / 2); /* holds */
	assert_int_equal(f.vms[2].ws.n, 0);
	assert_int_equal(sim_trace_at(&f.vms[2].ws, 5, &cur), 0);
	assert_true(f.vms[2].balloon);
	assert_int_equal(f.vms[2].boot_ms, 30000);
	assert_int_equal(f.vms[2].unreported_bytes, 0); /* the default: none */
	sim_fleet_free(&f);
	/* unreported: parsed as a size, exactly */
	const char *u = "name,memsz,idle_anon,unreported\nu,512M,64M,72M\n";
	sim_fleet_init(&f);
	if (sim_fleet_parse(u, strlen(u), &f, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(f.vms[0].unreported_bytes, 72 * MIB);
	sim_fleet_free(&f);
}

static void test_repeat(void **state)
{
	(void)state;
	struct sim_fleet a, b;
	sim_fleet_init(&a);
	sim_fleet_init(&b);
	assert_int_equal(sim_gen("diurnal", 3, 7, &a), 0);
	assert_int_equal(sim_fleet_repeat(&b, &a, 7), 0);
	assert_int_equal(b.n, 7);
	assert_string_equal(b.vms[6].name, "diurnal0-2");
	assert_int_equal(b.vms[6].memsz_bytes, a.vms[0].memsz_bytes);
	assert_int_equal(b.vms[6].ws.n, a.vms[0].ws.n);
	assert_ptr_not_equal(b.vms[6].ws.pts, a.vms[0].ws.pts);
	sim_fleet_free(&a);
	sim_fleet_free(&b);
}

static void test_generators(void **state)
{
	(void)state;
	for (size_t g = 0; sim_gen_names[g]; g++) {
		struct sim_fleet a, b;
		sim_fleet_init(&a);
		sim_fleet_init(&b);
		assert_int_equal(sim_gen(sim_gen_names[g], 20, 42, &a), 0);
		assert_int_equal(sim_gen(sim_gen_names[g], 30, 42, &b), 0);
		assert_int_equal(a.n, 20);
		for (size_t i = 0; i < a.n; i++) {
			const struct sim_vm_spec *x = &a.vms[i], *y = &b.vms[i];
			/* Prefix-stable: VM i does not depend on the fleet size. */
			assert_string_equal(x->name, y->name);
			assert_int_equal(x->memsz_bytes, y->memsz_bytes);
			assert_int_equal(x->ws.n, y->ws.n);
			assert_memory_equal(x->ws.pts, y->ws.pts, x->ws.n * sizeof(*x->ws.pts));
			assert_true(x->ws.n > 0);
			for (size_t k = 0; k < x->ws.n; k++) {
				assert_true(x->ws.pts[k].ws_bytes <= x->memsz_bytes);
				if (k)
					assert_true(x->ws.pts[k].t_ms > x->ws.pts[k - 1].t_ms);
				if (x->ws.period_ms)
					assert_true(x->ws.pts[k].t_ms < x->ws.period_ms);
			}
			assert_true(x->idle_anon_bytes < x->memsz_bytes);
		}
		sim_fleet_free(&a);
		sim_fleet_free(&b);
	}
	struct sim_fleet f;
	sim_fleet_init(&f);
	assert_int_equal(sim_gen("nosuch", 3, 1, &f), -EINVAL);
	/* Clones are identical but for their start time. */
	assert_int_equal(sim_gen("clones", 3, 5, &f), 0);
	assert_memory_equal(f.vms[0].ws.pts, f.vms[2].ws.pts,
			    f.vms[0].ws.n * sizeof(struct sim_point));
	sim_fleet_free(&f);
	/* The demo: 4 x 512 MiB, each active (360 MiB) in its own quarter. */
	assert_int_equal(sim_gen("demo", 4, 1, &f), 0);
	for (size_t i = 0; i < 4; i++) {
		size_t cur = 0;
		assert_int_equal(f.vms[i].memsz_bytes, 512 * MIB);
		uint64_t mid = i * 300000 + 150000;
		assert_int_equal(sim_trace_at(&f.vms[i].ws, mid, &cur), 360 * MIB);
		cur = 0;
		assert_int_equal(sim_trace_at(&f.vms[i].ws, mid + 600000, &cur), 32 * MIB);
	}
	sim_fleet_free(&f);
}

static void test_rng(void **state)
{
	(void)state;
	struct sim_rng a, b, c;
	sim_rng_seed(&a, 1, 0);
	sim_rng_seed(&b, 1, 0);
	sim_rng_seed(&c, 1, 1);
	int same_c = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t x = sim_rng_next(&a), y = sim_rng_next(&b), z = sim_rng_next(&c);
		assert_int_equal(x, y);
		same_c += x == z;
	}
	assert_true(same_c < 2);
	/* Known value: splitmix64 from 0 (published test vector). */
	uint64_t x = 0;
	assert_int_equal(sim_rng_splitmix(&x), 0xe220a8397b1dcdafULL);
	unsigned hist[10] = {0};
	for (int i = 0; i < 100000; i++) {
		uint64_t v = sim_rng_below(&a, 10);
		assert_true(v < 10);
		hist[v]++;
	}
	for (int i = 0; i < 10; i++)
		assert_true(hist[i] > 9000 && hist[i] < 11000);
	for (int i = 0; i < 1000; i++) {
		uint64_t v = sim_rng_range(&a, 5, 7);
		assert_true(v >= 5 && v <= 7);
		double u = sim_rng_unit(&a);
		assert_true(u >= 0 && u < 1);
	}
	assert_int_equal(sim_rng_below(&a, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixture),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_fields_and_defaults),
	    cmocka_unit_test(test_repeat),
	    cmocka_unit_test(test_generators),
	    cmocka_unit_test(test_rng),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
