/* What foreign domains get back at blimpd's exit (daemon/giveback.h), and the
 * domain-originals store that carries adoption targets and stats periods across a
 * SIGKILL (daemon/domorig.h): parse, format, refusal of corrupt files, stale boots. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/domorig.h"
#include "daemon/giveback.h"
#include "model/model.h"

#define MIB MODEL_MIB
#define GIB MODEL_GIB

static void test_all_fits(void **state)
{
	(void)state;
	struct daemon_giveback g[] = {
	    {.now_bytes = 1 * GIB, .want_bytes = 4 * GIB},
	    {.now_bytes = 3 * GIB, .want_bytes = 4 * GIB},
	    {.now_bytes = 2 * GIB, .want_bytes = 2 * GIB},	     /* nothing owed */
	    {.now_bytes = 3 * GIB, .want_bytes = 2 * GIB},	     /* above: nothing */
	    {.now_bytes = 100 * MIB + 4096, .want_bytes = 200 * MIB}, /* not MiB-aligned */
	};
	uint64_t need = 3 * GIB + 1 * GIB + 100 * MIB - 4096;
	assert_int_equal(daemon_giveback_plan(g, 5, need), 10000);
	assert_int_equal(g[0].give_bytes, 3 * GIB);
	assert_int_equal(g[1].give_bytes, 1 * GIB);
	assert_int_equal(g[2].give_bytes, 0);
	assert_int_equal(g[3].give_bytes, 0);
	assert_int_equal(g[4].give_bytes, 100 * MIB - 4096); /* exact when all fits */
	/* no domains, nothing available */
	assert_int_equal(daemon_giveback_plan(NULL, 0, 0), 10000);
}

static void test_most_squeezed_first(void **state)
{
	(void)state;
	/* A at 25% of 4G, B at 75% of 4G; 1G to give: A first, B gets nothing */
	struct daemon_giveback g[] = {
	    {.now_bytes = 1 * GIB, .want_bytes = 4 * GIB},
	    {.now_bytes = 3 * GIB, .want_bytes = 4 * GIB},
	};
	uint32_t l = daemon_giveback_plan(g, 2, 1 * GIB);
	assert_true(l >= 4990 && l <= 5010); /* A raised to ~50% (MiB rounding: a step over) */
	assert_true(g[0].give_bytes <= 1 * GIB && g[0].give_bytes > 1 * GIB - 8 * MIB);
	assert_int_equal(g[1].give_bytes, 0);
	/* 3G to give: both end at the same level, ~87.5% */
	g[0].give_bytes = g[1].give_bytes = 0;
	l = daemon_giveback_plan(g, 2, 3 * GIB);
	assert_true(l >= 8740 && l <= 8760);
	assert_true(g[0].give_bytes + g[1].give_bytes <= 3 * GIB);
	assert_true(g[0].give_bytes + g[1].give_bytes > 3 * GIB - 8 * MIB);
	uint64_t a = g[0].now_bytes + g[0].give_bytes, b = g[1].now_bytes + g[1].give_bytes;
	assert_true(a > b - 8 * MIB && a < b + 8 * MIB); /* same size targets, same level */
	/* nothing available: nothing given (the level stays at the most squeezed's) */
	assert_true(daemon_giveback_plan(g, 2, 0) <= 2510);
	assert_int_equal(g[0].give_bytes, 0);
	assert_int_equal(g[1].give_bytes, 0);
}

static void test_never_over(void **state)
{
	(void)state;
	/* many domains, odd sizes: the sum never exceeds what is available, nobody goes
	 * past its adoption target, partial gives are whole MiB */
	struct daemon_giveback g[37];
	uint64_t seed = 12345;
	for (int round = 0; round < 200; round++) {
		uint64_t need = 0;
		for (int i = 0; i < 37; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			uint64_t want = (seed >> 20) % (64 * GIB) + MIB;
			uint64_t now = (seed >> 7) % (want + GIB);
			g[i] = (struct daemon_giveback){.now_bytes = now, .want_bytes = want};
			need += want > now ? want - now : 0;
		}
		uint64_t avail = need / 200 * (uint64_t)round;
		uint32_t l = daemon_giveback_plan(g, 37, avail);
		uint64_t sum = 0;
		for (int i = 0; i < 37; i++) {
			sum += g[i].give_bytes;
			assert_true(g[i].now_bytes + g[i].give_bytes <= g[i].want_bytes ||
				    g[i].give_bytes == 0);
			if (l < 10000)
				assert_int_equal(g[i].give_bytes % MIB, 0);
		}
		assert_true(sum <= avail);
		assert_true(l <= 10000);
	}
}

static void test_margin(void **state)
{
	(void)state;
	/* 5% of RAM above minFree's sliding scale; minFree on small hosts (6% of 4G) */
	assert_int_equal(daemon_giveback_margin(64 * GIB), 64 * GIB / 20);
	assert_true(daemon_giveback_margin(2 * GIB) >= 2 * GIB * 6 / 100 - MIB);
	assert_int_equal(daemon_giveback_margin(0), 0);
}

#define U1 "51889d6c-3ded-4447-bb34-e3a84a4748bf"
#define U2 "0a1b2c3d-0000-4000-8000-00000000abcd"

static void test_domorig_parse(void **state)
{
	(void)state;
	struct daemon_domorig_entry *e;
	size_t n;
	char why[256];
	const char *ok = "blimp-domain-originals 1\nboot_id abc\n"
			 "dom " U1 " 3 267386880 10 1\n"
			 "dom " U2 " 12 0 0 1\n";
	assert_int_equal(daemon_domorig_parse(ok, "abc", &e, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(e[0].uuid, U1);
	assert_int_equal(e[0].id, 3);
	assert_int_equal(e[0].adopt_bytes, 267386880);
	assert_int_equal(e[0].period_orig_s, 10);
	assert_int_equal(e[0].period_set_s, 1);
	assert_int_equal(e[1].adopt_bytes, 0);
	/* the format reads back the same */
	char *text = daemon_domorig_format(e, n, "abc");
	assert_string_equal(text, ok);
	free(text);
	free(e);
	assert_int_equal(daemon_domorig_parse(ok, "other-boot", &e, &n, why, sizeof(why)), -ESTALE);
	assert_int_equal(daemon_domorig_parse(ok, NULL, &e, &n, why, sizeof(why)), 0);
	free(e);

	static const char *const bad[] = {
	    "",
	    "blimp-domain-originals 2\nboot_id -\n",
	    "blimp-domain-originals 1\n",
	    "blimp-domain-originals 1\nboot_id -", /* no newline */
	    "blimp-domain-originals 1\nboot_id\n",
	    "blimp-domain-originals 1\nboot_id a b\n",
	    "blimp-domain-originals 1\nboot_id -\ndom " U1 " 3 1 10\n",
	    "blimp-domain-originals 1\nboot_id -\ndom " U1 " 3 1 10 1 extra\n",
	    "blimp-domain-originals 1\nboot_id -\ndom " U1 "  3 1 10 1\n",
	    "blimp-domain-originals 1\nboot_id -\ndom " U1 " 3 1 10 1 \n",
	    "blimp-domain-originals 1\nboot_id -\ndom " U1 " -3 1 10 1\n",
	    "blimp-domain-originals 1\nboot_id -\ndom " U1 " 3 1 86401 1\n",
	    "blimp-domain-originals 1\nboot_id -\ndom " U1 " 3 99999999999999999999 1 1\n",
	    "blimp-domain-originals 1\nboot_id -\ndom " U1 " 3 0x10 1 1\n",
	    "blimp-domain-originals 1\nboot_id -\ndom not-a-uuid 3 1 1 1\n",
	    "blimp-domain-originals 1\nboot_id -\ndom " U1 "0 3 1 1 1\n",
	    "blimp-domain-originals 1\nboot_id -\nknob " U1 " 3 1 1 1\n",
	    "blimp-domain-originals 1\nboot_id -\ndom " U1 " 3 1 1 1\ndom " U1 " 4 1 1 1\n",
	    "blimp-domain-originals 1\nboot_id -\ndom " U1 " 3 1 1 1\n\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = (void *)1;
		if (daemon_domorig_parse(bad[i], NULL, &e, &n, why, sizeof(why)) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_null(e);
	}
}

static char *tmpdir(void)
{
	static char d[64];
	snprintf(d, sizeof(d), "/tmp/blimp-domorig-XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static void test_domorig_store(void **state)
{
	(void)state;
	char path[128], note[512], bad[160];
	const char *d = tmpdir();
	snprintf(path, sizeof(path), "%s/domain-originals", d);
	struct daemon_domorig *o;
	assert_int_equal(daemon_domorig_open(path, "boot1", &o, note, sizeof(note)), 0);
	assert_int_equal(daemon_domorig_count(o), 0);
	struct daemon_domorig_entry e = {.uuid = U1, .id = 3, .adopt_bytes = 4 * GIB};
	assert_int_equal(daemon_domorig_put(o, &e), 0);
	e.period_orig_s = 10;
	e.period_set_s = 1;
	assert_int_equal(daemon_domorig_put(o, &e), 0); /* replaced, not added */
	struct daemon_domorig_entry e2 = {.uuid = U2, .id = 9, .period_orig_s = 0, .period_set_s = 1};
	assert_int_equal(daemon_domorig_put(o, &e2), 0);
	struct daemon_domorig_entry badu = {.uuid = "x", .id = 1};
	assert_int_equal(daemon_domorig_put(o, &badu), -EINVAL);
	assert_int_equal(daemon_domorig_count(o), 2);
	/* "SIGKILL": the next blimpd finds both */
	daemon_domorig_free(o);
	assert_int_equal(daemon_domorig_open(path, "boot1", &o, note, sizeof(note)), 0);
	assert_non_null(strstr(note, "2 domain original(s)"));
	const struct daemon_domorig_entry *f = daemon_domorig_find(o, U1);
	assert_non_null(f);
	assert_int_equal(f->id, 3);
	assert_int_equal(f->adopt_bytes, 4 * GIB);
	assert_int_equal(f->period_orig_s, 10);
	assert_int_equal(f->period_set_s, 1);
	/* prune: U2 no longer runs */
	const char *keep[] = {U1};
	assert_int_equal(daemon_domorig_prune(o, keep, 1), 1);
	assert_null(daemon_domorig_find(o, U2));
	assert_int_equal(daemon_domorig_drop(o, U1), 0);
	assert_int_equal(access(path, F_OK), -1); /* empty: the file is gone */
	/* put again then reopen from another boot: removed */
	assert_int_equal(daemon_domorig_put(o, &e), 0);
	daemon_domorig_free(o);
	assert_int_equal(daemon_domorig_open(path, "boot2", &o, note, sizeof(note)), 0);
	assert_int_equal(daemon_domorig_count(o), 0);
	assert_non_null(strstr(note, "another boot"));
	assert_int_equal(access(path, F_OK), -1);
	/* a corrupt file: refused, set aside, nothing used */
	assert_int_equal(daemon_domorig_put(o, &e), 0);
	daemon_domorig_free(o);
	FILE *fp = fopen(path, "a");
	assert_non_null(fp);
	fputs("dom garbage\n", fp);
	fclose(fp);
	assert_int_equal(daemon_domorig_open(path, "boot2", &o, note, sizeof(note)), 0);
	assert_int_equal(daemon_domorig_count(o), 0);
	assert_non_null(strstr(note, "corrupt"));
	snprintf(bad, sizeof(bad), "%s.bad", path);
	assert_int_equal(access(bad, F_OK), 0);
	/* a NUL byte */
	fp = fopen(path, "w");
	assert_non_null(fp);
	fwrite("blimp-domain-originals 1\n\0boot_id -\n", 1, 36, fp);
	fclose(fp);
	daemon_domorig_free(o);
	assert_int_equal(daemon_domorig_open(path, NULL, &o, note, sizeof(note)), 0);
	assert_int_equal(daemon_domorig_count(o), 0);
	assert_non_null(strstr(note, "NUL"));
	daemon_domorig_free(o);
	/* a NULL store (dry-run) accepts everything and does nothing */
	assert_int_equal(daemon_domorig_put(NULL, &e), 0);
	assert_null(daemon_domorig_find(NULL, U1));
	assert_int_equal(daemon_domorig_drop(NULL, U1), 0);
	unlink(bad);
	unlink(path);
	rmdir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_all_fits),	 cmocka_unit_test(test_most_squeezed_first),
	    cmocka_unit_test(test_never_over),	 cmocka_unit_test(test_margin),
	    cmocka_unit_test(test_domorig_parse), cmocka_unit_test(test_domorig_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
