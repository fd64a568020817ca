/* libvirt balloon stats: unit conversion and clamping of hostile guest values. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "collect/memstats.h"

#define KB 1024ULL
#define MIB (1024ULL * 1024ULL)

static void test_normal(void **state)
{
	(void)state;
	/* What QEMU 7.2 + a Debian guest report through libvirt (kB). */
	const virDomainMemoryStatStruct st[] = {
	    {VIR_DOMAIN_MEMORY_STAT_SWAP_IN, 0},
	    {VIR_DOMAIN_MEMORY_STAT_SWAP_OUT, 8},
	    {VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT, 120},
	    {VIR_DOMAIN_MEMORY_STAT_MINOR_FAULT, 56000},
	    {VIR_DOMAIN_MEMORY_STAT_UNUSED, 301220},
	    {VIR_DOMAIN_MEMORY_STAT_AVAILABLE, 490364},
	    {VIR_DOMAIN_MEMORY_STAT_USABLE, 380112},
	    {VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE, 1700000000},
	    {VIR_DOMAIN_MEMORY_STAT_DISK_CACHES, 92172},
	    {VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGALLOC, 0},
	    {VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON, 524288},
	    {VIR_DOMAIN_MEMORY_STAT_RSS, 263268},
	};
	struct collect_memstats m;
	assert_int_equal(collect_memstats_from_libvirt(st, 12, 1700000003, &m), 0);
	assert_int_equal(m.clamped, 0);
	assert_int_equal(m.actual_balloon_bytes, 512 * MIB);
	assert_int_equal(m.available_bytes, 490364 * KB);
	assert_int_equal(m.usable_bytes, 380112 * KB);
	assert_int_equal(m.unused_bytes, 301220 * KB);
	assert_int_equal(m.disk_caches_bytes, 92172 * KB);
	assert_int_equal(m.swap_out_bytes, 8 * KB);
	assert_int_equal(m.major_faults, 120);
	assert_int_equal(m.minor_faults, 56000);
	assert_int_equal(m.rss_bytes, 263268 * KB);
	assert_int_equal(m.age_s, 3);
	assert_true(collect_memstats_has(&m, COLLECT_MS_USABLE));

	struct vm_snapshot vm = {.memsz_bytes = 512 * MIB};
	assert_int_equal(collect_memstats_to_snapshot(&m, 0, &vm), 0);
	assert_true(vm.mctl);
	assert_int_equal(vm.balloon_actual_bytes, 512 * MIB);
	assert_int_equal(vm.guest_total_bytes, 490364 * KB);
	assert_int_equal(vm.guest_available_bytes, 380112 * KB);
	assert_int_equal(vm.guest_free_bytes, 301220 * KB);
	assert_int_equal(vm.guest_caches_bytes, 92172 * KB);
	assert_int_equal(vm.guest_swap_out_bytes, 8 * KB);
	assert_int_equal(vm.guest_major_faults, 120);
	assert_int_equal(vm.stats_age_ms, 3000);
}

static void test_balloon_only(void **state)
{
	(void)state;
	/* No stats period set: libvirt returns only the balloon size (and RSS). */
	const virDomainMemoryStatStruct st[] = {
	    {VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON, 262144},
	    {VIR_DOMAIN_MEMORY_STAT_RSS, 100000},
	};
	struct collect_memstats m;
	assert_int_equal(collect_memstats_from_libvirt(st, 2, 1000, &m), 0);
	struct vm_snapshot vm = {0};
	assert_int_equal(collect_memstats_to_snapshot(&m, 512 * MIB, &vm), 0);
	assert_false(vm.mctl);
	assert_int_equal(vm.stats_age_ms, MODEL_AGE_NEVER);
	assert_int_equal(vm.balloon_actual_bytes, 256 * MIB);
	assert_int_equal(vm.guest_total_bytes, 0);
	/* Nothing at all. */
	assert_int_equal(collect_memstats_from_libvirt(NULL, 0, 1000, &m), 0);
	assert_int_equal(m.found, 0);
	assert_int_equal(collect_memstats_to_snapshot(&m, 512 * MIB, &vm), 0);
	assert_int_equal(vm.balloon_actual_bytes, 512 * MIB);
	assert_false(vm.mctl);
	assert_int_equal(collect_memstats_from_libvirt(NULL, 3, 1000, &m), -EINVAL);
	assert_int_equal(collect_memstats_from_libvirt(st, -1, 1000, &m), -EINVAL);
}

static void test_hostile(void **state)
{
	(void)state;
	/* A guest lying in every way: -1 as huge, usable > total, caches > total,
	 * total > memsz, last_update in the future, unknown and repeated tags. */
	const virDomainMemoryStatStruct st[] = {
	    {VIR_DOMAIN_MEMORY_STAT_AVAILABLE, 4 * 1024 * 1024},     /* 4 GiB on a 512M VM */
	    {VIR_DOMAIN_MEMORY_STAT_USABLE, (unsigned long long)-1}, /* overflows kB->B */
	    {VIR_DOMAIN_MEMORY_STAT_UNUSED, 1024 * 1024},
	    {VIR_DOMAIN_MEMORY_STAT_DISK_CACHES, 2 * 1024 * 1024},
	    {VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON, 1024 * 1024},
	    {VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE, 5000},
	    {VIR_DOMAIN_MEMORY_STAT_SWAP_IN, (unsigned long long)-1},
	    {99, 7},
	    {-3, 7},
	    {VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT, 1},
	    {VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT, 2},
	};
	struct collect_memstats m;
	assert_int_equal(collect_memstats_from_libvirt(st, 11, 1000, &m), 0);
	/* usable and swap_in overflowed, last_update in the future */
	assert_int_equal(m.clamped, 3);
	assert_int_equal(m.usable_bytes, UINT64_MAX);
	assert_int_equal(m.swap_in_bytes, UINT64_MAX);
	assert_int_equal(m.age_s, 0);
	assert_int_equal(m.major_faults, 2); /* last one wins */
	struct vm_snapshot vm = {0};
	/* total, usable, free, caches, actual: five clamps against memsz/total */
	assert_int_equal(collect_memstats_to_snapshot(&m, 512 * MIB, &vm), 5);
	assert_int_equal(vm.guest_total_bytes, 512 * MIB);
	assert_int_equal(vm.guest_available_bytes, 512 * MIB);
	assert_int_equal(vm.guest_free_bytes, 512 * MIB);
	assert_int_equal(vm.guest_caches_bytes, 512 * MIB);
	assert_int_equal(vm.balloon_actual_bytes, 512 * MIB);
	assert_int_equal(vm.stats_age_ms, 0);
	/* Values below the (smaller) guest total are clamped to the total. */
	const virDomainMemoryStatStruct st2[] = {
	    {VIR_DOMAIN_MEMORY_STAT_AVAILABLE, 1000},
	    {VIR_DOMAIN_MEMORY_STAT_USABLE, 2000},
	    {VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE, 1},
	};
	assert_int_equal(collect_memstats_from_libvirt(st2, 3, UINT64_MAX, &m), 0);
	assert_int_equal(collect_memstats_to_snapshot(&m, 512 * MIB, &vm), 1);
	assert_int_equal(vm.guest_available_bytes, 1000 * KB);
	/* Age of ~2^64 s does not overflow into "fresh". */
	assert_true(vm.stats_age_ms > 1000ULL * 1000 * 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normal),
	    cmocka_unit_test(test_balloon_only),
	    cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
