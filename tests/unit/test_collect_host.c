/* Host readers: meminfo, psi, ksm, zswap, and the host snapshot made of them, on real copies of
 * this host's files and on malformed ones. Run from the repository root. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "collect/host.h"
#include "collect/ksm.h"
#include "collect/meminfo.h"
#include "collect/psi.h"
#include "collect/zswap.h"

#define FIX "tests/fixtures/collect/"
#define KB 1024ULL

static void test_meminfo_real(void **state)
{
	(void)state;
	struct collect_meminfo m;
	assert_int_equal(collect_meminfo_read(FIX "host/meminfo", &m), 0);
	assert_int_equal(m.bytes[COLLECT_MI_MEM_TOTAL], 24684084 * KB);
	assert_int_equal(m.bytes[COLLECT_MI_MEM_FREE], 22544084 * KB);
	assert_int_equal(m.bytes[COLLECT_MI_MEM_AVAILABLE], 23760016 * KB);
	assert_int_equal(m.bytes[COLLECT_MI_CACHED], 1382948 * KB);
	assert_int_equal(m.bytes[COLLECT_MI_ANON_PAGES], 366908 * KB);
	assert_int_equal(m.bytes[COLLECT_MI_SHMEM], 8872 * KB);
	assert_true(collect_meminfo_has(&m, COLLECT_MI_SWAP_TOTAL));
	assert_int_equal(m.bytes[COLLECT_MI_SWAP_TOTAL], 0);
	/* "Cached" must not have been taken from "SwapCached", nor "Active" from
	 * "Active(anon)": all of them are found, each with its own value. */
	assert_true(collect_meminfo_has(&m, COLLECT_MI_SWAP_CACHED));
	assert_true(collect_meminfo_has(&m, COLLECT_MI_ACTIVE_ANON));
	assert_true(m.bytes[COLLECT_MI_ACTIVE] >= m.bytes[COLLECT_MI_ACTIVE_ANON]);
	assert_string_equal(collect_meminfo_name(COLLECT_MI_MEM_AVAILABLE), "MemAvailable");
	assert_string_equal(collect_meminfo_name(COLLECT_MI__COUNT), "?");
}

static void test_meminfo_guest_subset(void **state)
{
	(void)state;
	struct collect_meminfo m;
	assert_int_equal(collect_meminfo_read(FIX "guest/meminfo", &m), 0);
	assert_int_equal(m.bytes[COLLECT_MI_MEM_TOTAL], 490364 * KB);
	assert_int_equal(m.bytes[COLLECT_MI_MEM_AVAILABLE], 380112 * KB);
	assert_false(collect_meminfo_has(&m, COLLECT_MI_DIRTY));
	assert_false(collect_meminfo_has(&m, COLLECT_MI_ZSWAP));
	assert_int_equal(m.bytes[COLLECT_MI_DIRTY], 0);
	/* One line is enough. */
	const char one[] = "MemAvailable: 12 kB";
	assert_int_equal(collect_meminfo_parse(one, strlen(one), &m), 0);
	assert_int_equal(m.found, 1ULL << COLLECT_MI_MEM_AVAILABLE);
	assert_int_equal(m.bytes[COLLECT_MI_MEM_AVAILABLE], 12 * KB);
}

static void test_meminfo_bad(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		int err;
	} cases[] = {
	    {"meminfo_empty", -EINVAL},	   {"meminfo_nonnumber", -EINVAL},
	    {"meminfo_overflow", -ERANGE}, {"meminfo_kb_overflow", -ERANGE},
	    {"meminfo_negative", -EINVAL}, {"meminfo_trailing", -EINVAL},
	    {"meminfo_nul", -EINVAL},	   {"meminfo_unanchored", -EINVAL},
	    {"meminfo_longline", -EFBIG},  {"does_not_exist", -ENOENT},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[256];
		struct collect_meminfo m = {.found = 77};
		snprintf(path, sizeof(path), FIX "bad/%s", cases[i].file);
		int r = collect_meminfo_read(path, &m);
		if (r != cases[i].err)
			fail_msg("%s: got %d want %d", cases[i].file, r, cases[i].err);
		assert_int_equal(m.found, 77); /* untouched on error */
	}
	/* Truncated mid-line: what was complete is kept, the cut field is not. */
	struct collect_meminfo m;
	assert_int_equal(collect_meminfo_read(FIX "bad/meminfo_truncated", &m), 0);
	assert_true(collect_meminfo_has(&m, COLLECT_MI_MEM_FREE));
	assert_false(collect_meminfo_has(&m, COLLECT_MI_MEM_AVAILABLE));
	assert_int_equal(collect_meminfo_read(FIX "bad/meminfo_truncated_num", &m), 0);
	assert_int_equal(m.bytes[COLLECT_MI_MEM_TOTAL], 2449 * KB);
	/* Largest value that fits, and one past it. */
	const char max[] = "MemTotal: 18014398509481983 kB\n";
	assert_int_equal(collect_meminfo_parse(max, strlen(max), &m), 0);
	assert_int_equal(m.bytes[COLLECT_MI_MEM_TOTAL], 18014398509481983ULL * KB);
	assert_int_equal(collect_meminfo_parse(NULL, 0, &m), -EINVAL);
}

static void test_psi(void **state)
{
	(void)state;
	struct collect_psi p;
	assert_int_equal(collect_psi_read(FIX "host/pressure_memory", &p), 0);
	assert_true(p.some_found && p.full_found);
	assert_int_equal(collect_psi_read(FIX "host/pressure_memory_busy", &p), 0);
	assert_int_equal(p.some.avg10_permyriad, 150);
	assert_int_equal(p.some.avg60_permyriad, 75);
	assert_int_equal(p.some.avg300_permyriad, 25);
	assert_int_equal(p.some.total_us, 123456);
	assert_int_equal(p.full.avg10_permyriad, 50);
	assert_int_equal(p.full.avg300_permyriad, 1);
	assert_int_equal(p.full.total_us, 45678);
	/* Clamp above 100%, truncate extra decimals, one decimal, no full line. */
	const char odd[] = "some avg10=250.00 avg60=12.345 avg300=7.5 total=1\n";
	assert_int_equal(collect_psi_parse(odd, strlen(odd), &p), 0);
	assert_int_equal(p.some.avg10_permyriad, 10000);
	assert_int_equal(p.some.avg60_permyriad, 1234);
	assert_int_equal(p.some.avg300_permyriad, 750);
	assert_false(p.full_found);
	const char huge[] = "some avg10=99999999999999999999999.00 avg60=0 avg300=0 total=1\n";
	assert_int_equal(collect_psi_parse(huge, strlen(huge), &p), 0);
	assert_int_equal(p.some.avg10_permyriad, 10000);
	assert_int_equal(collect_psi_read(FIX "bad/psi_garbage", &p), -EINVAL);
	assert_int_equal(collect_psi_read(FIX "bad/psi_overflow", &p), -ERANGE);
	assert_int_equal(collect_psi_read(FIX "bad/psi_missing_total", &p), -EINVAL);
	assert_int_equal(collect_psi_read(FIX "bad/meminfo_empty", &p), -EINVAL);
	assert_int_equal(collect_psi_read(FIX "nope", &p), -ENOENT);
	const char full_only[] = "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
	assert_int_equal(collect_psi_parse(full_only, strlen(full_only), &p), -EINVAL);
	const char junk[] = "some avg10=1.00 avg60=0.00 avg300=0.00 total=0\nbogus\n";
	assert_int_equal(collect_psi_parse(junk, strlen(junk), &p), -EINVAL);
	const char trailing[] = "some avg10=1.00x avg60=0.00 avg300=0.00 total=0\n";
	assert_int_equal(collect_psi_parse(trailing, strlen(trailing), &p), -EINVAL);
}

static void test_ksm(void **state)
{
	(void)state;
	struct collect_ksm k;
	assert_int_equal(collect_ksm_read(FIX "ksm", &k), 0);
	assert_true(collect_ksm_has(&k, COLLECT_KSM_RUN));
	assert_int_equal(k.v[COLLECT_KSM_RUN], 0);
	assert_int_equal(k.v[COLLECT_KSM_PAGES_TO_SCAN], 100);
	assert_int_equal(k.v[COLLECT_KSM_SLEEP_MILLISECS], 20);
	assert_true(collect_ksm_has(&k, COLLECT_KSM_GENERAL_PROFIT));
	assert_int_equal(collect_ksm_read(FIX "ksm_busy", &k), 0);
	assert_int_equal(k.v[COLLECT_KSM_RUN], 1);
	assert_int_equal(k.v[COLLECT_KSM_PAGES_SHARED], 1000);
	assert_int_equal(k.v[COLLECT_KSM_PAGES_SHARING], 25000);
	assert_int_equal(k.v[COLLECT_KSM_ZERO_PAGES], 12);
	assert_int_equal(k.v[COLLECT_KSM_FULL_SCANS], 7);
	assert_int_equal(k.general_profit_bytes, 97980416);
	assert_string_equal(collect_ksm_name(COLLECT_KSM_PAGES_SHARING), "pages_sharing");
	/* Pure parse per file; negative profit; garbage. */
	memset(&k, 0, sizeof(k));
	assert_int_equal(collect_ksm_parse("general_profit", "-8192\n", 6, &k), 0);
	assert_int_equal(k.general_profit_bytes, -8192);
	assert_int_equal(k.v[COLLECT_KSM_GENERAL_PROFIT], 0);
	assert_int_equal(collect_ksm_parse("pages_sharing", "12x\n", 4, &k), -EINVAL);
	assert_int_equal(collect_ksm_parse("pages_sharing", "-1\n", 3, &k), -EINVAL);
	assert_int_equal(collect_ksm_parse("pages_sharing", "", 0, &k), -EINVAL);
	assert_int_equal(collect_ksm_parse("pages_sharing", "18446744073709551616", 20, &k),
			 -ERANGE);
	assert_int_equal(collect_ksm_parse("unknown_file", "zz", 2, &k), 0);
	assert_int_equal(collect_ksm_read(FIX "nope", &k), -ENOENT);
	assert_int_equal(collect_ksm_read(FIX "zswap", &k), -ENOENT); /* a dir without run */
}

static void test_zswap(void **state)
{
	(void)state;
	struct collect_zswap z;
	assert_int_equal(collect_zswap_read(FIX "zswap/parameters", &z), 0);
	assert_false(z.enabled);
	assert_string_equal(z.compressor, "lzo");
	assert_int_equal(z.max_pool_percent, 20);
	assert_int_equal(z.accept_threshold_percent, 90);
	assert_true(collect_zswap_has(&z, COLLECT_ZSWAP_ACCEPT_THRESHOLD_PERCENT));
	memset(&z, 0, sizeof(z));
	assert_int_equal(collect_zswap_parse("enabled", "Y\n", 2, &z), 0);
	assert_true(z.enabled);
	assert_int_equal(collect_zswap_parse("enabled", "maybe\n", 6, &z), -EINVAL);
	assert_int_equal(collect_zswap_parse("compressor", "", 0, &z), -EINVAL);
	assert_int_equal(collect_zswap_parse("compressor", "a b\n", 4, &z), -EINVAL);
	char longname[64];
	memset(longname, 'z', sizeof(longname));
	assert_int_equal(collect_zswap_parse("compressor", longname, sizeof(longname), &z),
			 -EINVAL);
	assert_int_equal(collect_zswap_parse("max_pool_percent", "250\n", 4, &z), 0);
	assert_int_equal(z.max_pool_percent, 100);
	assert_int_equal(collect_zswap_read(FIX "nope", &z), -ENOENT);
}

/* ZIP on cgroup v1: the host's zswapped bytes shared out by each VM's swap. */
static void test_zswap_share(void **state)
{
	(void)state;
	const uint64_t M = 1024 * 1024;
	/* 100 MiB in zswap, 400 MiB swap in use, the VM has 100 MiB of it: 25 MiB */
	assert_int_equal(collect_zswap_share(100 * M, 400 * M, 100 * M), 25 * M);
	/* one VM holds all the swap: all of zswap */
	assert_int_equal(collect_zswap_share(100 * M, 400 * M, 400 * M), 100 * M);
	/* nothing swapped, no zswap, no swap in use: 0 */
	assert_int_equal(collect_zswap_share(100 * M, 400 * M, 0), 0);
	assert_int_equal(collect_zswap_share(0, 400 * M, 100 * M), 0);
	assert_int_equal(collect_zswap_share(100 * M, 0, 100 * M), 0);
	/* the VM read after the host: more swap than the host had in use is clamped */
	assert_int_equal(collect_zswap_share(100 * M, 400 * M, 800 * M), 100 * M);
	/* zswapped above swap used (racy reads): never more than the VM's swap */
	assert_int_equal(collect_zswap_share(900 * M, 400 * M, 100 * M), 100 * M);
	/* huge figures do not overflow */
	assert_int_equal(collect_zswap_share(UINT64_MAX / 2, UINT64_MAX, UINT64_MAX / 4),
			 UINT64_MAX / 8);
}

/* The snapshot blimpd's tick takes (daemon_gather_host): meminfo's figures as they
 * are, zswap's from meminfo, MemAvailable's old estimate on kernels without it. */
static void test_host_snapshot(void **state)
{
	(void)state;
	struct collect_host h;
	memset(&h, 0, sizeof(h));
	const char mi[] = "MemTotal: 1000 kB\nMemFree: 300 kB\nMemAvailable: 700 kB\n"
			  "SwapTotal: 400 kB\nSwapFree: 100 kB\nZswap: 20 kB\nZswapped: 90 kB\n";
	assert_int_equal(collect_meminfo_parse(mi, strlen(mi), &h.meminfo), 0);
	h.ksm_found = true;
	h.ksm.v[COLLECT_KSM_PAGES_SHARING] = 7;
	h.ksm.v[COLLECT_KSM_PAGES_SHARED] = 3;
	h.zswap_found = true;
	h.zswap.enabled = true;
	struct host_snapshot s;
	collect_host_to_snapshot(&h, &s);
	assert_int_equal(s.mem_total_bytes, 1000 * KB);
	assert_int_equal(s.mem_available_bytes, 700 * KB);
	assert_int_equal(s.swap_total_bytes, 400 * KB);
	assert_int_equal(s.swap_free_bytes, 100 * KB);
	assert_int_equal(s.zswap_pool_bytes, 20 * KB);
	assert_int_equal(s.zswapped_bytes, 90 * KB);
	assert_true(s.ksm_present && s.zswap_enabled);
	assert_int_equal(s.ksm_pages_sharing, 7);
	assert_int_equal(s.ksm_pages_shared, 3);
	h.zswap_found = false; /* enabled means nothing without the parameters */
	const char old[] = "MemTotal: 1000 kB\nMemFree: 300 kB\nCached: 200 kB\n";
	assert_int_equal(collect_meminfo_parse(old, strlen(old), &h.meminfo), 0);
	collect_host_to_snapshot(&h, &s);
	assert_int_equal(s.mem_available_bytes, 500 * KB);
	assert_false(s.zswap_enabled);
	const char odd[] = "MemTotal: 1000 kB\nMemFree: 900 kB\nCached: 900 kB\n";
	assert_int_equal(collect_meminfo_parse(odd, strlen(odd), &h.meminfo), 0);
	collect_host_to_snapshot(&h, &s);
	assert_int_equal(s.mem_available_bytes, 1000 * KB); /* never above MemTotal */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_meminfo_real), cmocka_unit_test(test_meminfo_guest_subset),
	    cmocka_unit_test(test_meminfo_bad),	 cmocka_unit_test(test_psi),
	    cmocka_unit_test(test_ksm),		 cmocka_unit_test(test_zswap),
	    cmocka_unit_test(test_zswap_share),	 cmocka_unit_test(test_host_snapshot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
