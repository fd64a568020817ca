/* QEMU process figures: smaps guest-RAM split, ksm_stat, and the
 * derived CONSUMED/OVHD. Fixtures are real smaps of TCG QEMUs on this host
 * (512 MiB booted guest, 6 GiB paused) plus edited and synthetic ones. */
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

#include "collect/pidcache.h"
#include "collect/procpid.h"
#include "collect/smaps.h"

#define FIX "tests/fixtures/collect/proc/"
#define KB 1024ULL
#define MIB (1024ULL * 1024ULL)

static void test_smaps_real_512(void **state)
{
	(void)state;
	struct collect_smaps *s = malloc(sizeof(*s));
	assert_non_null(s);
	assert_int_equal(collect_smaps_read(FIX "qemu512/smaps", 512 * MIB, s), 0);
	assert_int_equal(s->n_maps, 316);
	assert_int_equal(s->rss_bytes, 263268 * KB);
	assert_int_equal(s->swap_bytes, 0);
	assert_int_equal(s->guest_ram_match, COLLECT_GUEST_RAM_EXACT);
	assert_int_equal(s->guest_ram_maps, 1);
	assert_int_equal(s->guest_ram_start, 0x7fb37fe00000ULL);
	assert_int_equal(s->guest_ram_size_bytes, 512 * MIB);
	assert_int_equal(s->guest_ram_rss_bytes, 110592 * KB);
	assert_true(s->ksm_field_seen);
	/* The whole-buffer parser agrees with the streaming reader. */
	FILE *f = fopen(FIX "qemu512/smaps", "r");
	assert_non_null(f);
	char *buf = malloc(1 << 20);
	size_t n = fread(buf, 1, 1 << 20, f);
	fclose(f);
	struct collect_smaps *s2 = malloc(sizeof(*s2));
	assert_int_equal(collect_smaps_parse(buf, n, 512 * MIB, s2), 0);
	assert_int_equal(s2->rss_bytes, s->rss_bytes);
	assert_int_equal(s2->guest_ram_rss_bytes, s->guest_ram_rss_bytes);
	/* memsz unknown: the largest RAM-like mapping (not the 1 GiB rwx TCG buffer). */
	assert_int_equal(collect_smaps_parse(buf, n, 0, s2), 0);
	assert_int_equal(s2->guest_ram_match, COLLECT_GUEST_RAM_LARGEST);
	assert_int_equal(s2->guest_ram_size_bytes, 512 * MIB);
	/* A wrong memsz (2 GiB) finds no match and no mapping >= 1 GiB: none. */
	assert_int_equal(collect_smaps_parse(buf, n, 2048 * MIB, s2), 0);
	assert_int_equal(s2->guest_ram_match, COLLECT_GUEST_RAM_NONE);
	assert_int_equal(s2->guest_ram_rss_bytes, 0);
	free(buf);
	free(s2);
	free(s);
}

static void test_smaps_small(void **state)
{
	(void)state;
	/* Three mappings cut from the real file: guest RAM, TCG buffer, vmlinux. */
	struct collect_smaps *s = malloc(sizeof(*s));
	assert_non_null(s);
	assert_int_equal(collect_smaps_read(FIX "small/smaps", 512 * MIB, s), 0);
	assert_int_equal(s->n_maps, 3);
	assert_int_equal(s->guest_ram_match, COLLECT_GUEST_RAM_EXACT);
	assert_int_equal(s->guest_ram_rss_bytes, 110592 * KB);
	assert_true(s->rss_bytes > s->guest_ram_rss_bytes);
	free(s);
}

static void test_smaps_real_6g(void **state)
{
	(void)state;
	struct collect_smaps *s = malloc(sizeof(*s));
	assert_int_equal(collect_smaps_read(FIX "qemu6g/smaps", 6144 * MIB, s), 0);
	assert_int_equal(s->guest_ram_match, COLLECT_GUEST_RAM_EXACT);
	assert_int_equal(s->guest_ram_size_bytes, 6144 * MIB);
	assert_int_equal(s->guest_ram_rss_bytes, 0); /* paused before boot: untouched */
	assert_int_equal(s->rss_bytes, 37148 * KB);
	free(s);
}

static void test_proc_pid_read(void **state)
{
	(void)state;
	struct collect_proc_pid pp;
	assert_int_equal(collect_proc_pid_read(FIX "qemu512", 512 * MIB, 4096, &pp), 0);
	assert_true(pp.guest_ram_found);
	assert_int_equal(pp.rss_bytes, 263268 * KB);
	assert_int_equal(pp.guest_ram_rss_bytes, 110592 * KB);
	assert_int_equal(pp.other_rss_bytes, (263268 - 110592) * KB);
	assert_true(pp.ksm_stat_found);
	assert_int_equal(pp.ksm_merging_bytes, 0);
	struct collect_vm_figures f;
	collect_vm_host_figures(&pp, &f);
	assert_int_equal(f.consumed_bytes, 110592 * KB);
	/* OVHD is the Pss of the rest: 5429 KiB of its Rss - Pss is shared (libraries) */
	assert_int_equal(pp.other_shared_bytes, 5429 * KB);
	assert_int_equal(f.ovhd_bytes, (263268 - 110592 - 5429) * KB);
	assert_int_equal(f.swapped_bytes, 0);

	/* memfd-backed guest RAM, partly swapped and KSM-merged. */
	assert_int_equal(collect_proc_pid_read(FIX "qemu_memfd", 512 * MIB, 4096, &pp), 0);
	assert_int_equal(pp.guest_ram_match, COLLECT_GUEST_RAM_EXACT);
	assert_int_equal(pp.guest_ram_rss_bytes, 300000 * KB);
	assert_int_equal(pp.guest_ram_swap_bytes, 100000 * KB);
	assert_int_equal(pp.guest_ram_ksm_bytes, 20000 * KB);
	assert_int_equal(pp.swap_bytes, 100000 * KB);
	assert_int_equal(pp.ksm_merging_bytes, 5000 * 4096ULL);
	assert_int_equal(pp.ksm_zero_bytes, 100 * 4096ULL);
	collect_vm_host_figures(&pp, &f);
	assert_int_equal(f.consumed_bytes, (300000 - 20000) * KB);
	assert_int_equal(f.ovhd_bytes,
			 (452676 - 300000 - 5429) *
			     KB); /* guest RAM's own Rss - Pss (memfd) is not OVHD's */
	assert_int_equal(f.swapped_bytes, 100000 * KB);
	assert_int_equal(f.shared_bytes, 5000 * 4096ULL);
	assert_int_equal(f.zero_bytes, 100 * 4096ULL);
	struct vm_snapshot vm = {0};
	collect_vm_host_figures_to_snapshot(&pp, &vm);
	assert_int_equal(vm.consumed_bytes, f.consumed_bytes);
	assert_int_equal(vm.ovhd_bytes, f.ovhd_bytes);
	assert_int_equal(vm.swapped_bytes, f.swapped_bytes);

	/* No ksm_stat (kernel < 6.1) is fine; no smaps is not. */
	assert_int_equal(collect_proc_pid_read(FIX "qemu6g", 6144 * MIB, 0, &pp), 0);
	assert_false(pp.ksm_stat_found);
	assert_int_equal(collect_proc_pid_read(FIX "nope", 512 * MIB, 0, &pp), -ENOENT);
}

/* Build a smaps text with the given mappings. */
struct m {
	uint64_t start, size_mib;
	const char *perms, *path;
	uint64_t rss_kb, swap_kb, ksm_kb;
};
static size_t build(char *buf, size_t cap, const struct m *ms, size_t n, bool ksm_field)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t end = ms[i].start + ms[i].size_mib * MIB;
		o += (size_t)snprintf(buf + o, cap - o,
				      "%lx-%lx %s 00000000 00:00 0          %s\n"
				      "Size:           %lu kB\nKernelPageSize:        4 kB\n"
				      "Rss:            %lu kB\nPss:            %lu kB\n"
				      "SwapPss:        999999 kB\n",
				      (unsigned long)ms[i].start, (unsigned long)end, ms[i].perms,
				      ms[i].path, (unsigned long)(ms[i].size_mib * 1024),
				      (unsigned long)ms[i].rss_kb, (unsigned long)ms[i].rss_kb);
		if (ksm_field)
			o += (size_t)snprintf(buf + o, cap - o, "KSM:   %lu kB\n",
					      (unsigned long)ms[i].ksm_kb);
		o += (size_t)snprintf(buf + o, cap - o, "Swap:   %lu kB\nVmFlags: rd wr mr\n",
				      (unsigned long)ms[i].swap_kb);
	}
	return o;
}

static void test_smaps_selection(void **state)
{
	(void)state;
	char *buf = malloc(1 << 16);
	struct collect_smaps *s = malloc(sizeof(*s));
	const uint64_t G = 1ULL << 40;
	/* RAM split in two adjacent VMAs (e.g. by madvise), plus a same-size rwx TCG
	 * buffer and a file mapping that must not be picked. */
	const struct m split[] = {
	    {G, 3072, "rw-p", "", 1000, 10, 0},
	    {G + 3072 * MIB, 3072, "rw-p", "", 2000, 20, 0},
	    {2 * G, 6144, "rwxp", "", 5000, 0, 0},
	    {3 * G, 6144, "rw-p", "/var/lib/big.img", 7000, 0, 0},
	    {4 * G, 8, "rw-p", "[heap]", 300, 0, 0},
	};
	size_t n = build(buf, 1 << 16, split, 5, false);
	assert_int_equal(collect_smaps_parse(buf, n, 6144 * MIB, s), 0);
	assert_int_equal(s->guest_ram_match, COLLECT_GUEST_RAM_RUN);
	assert_int_equal(s->guest_ram_maps, 2);
	assert_int_equal(s->guest_ram_rss_bytes, 3000 * KB);
	assert_int_equal(s->guest_ram_swap_bytes, 30 * KB);
	assert_int_equal(s->rss_bytes, 15300 * KB);
	assert_false(s->ksm_field_seen);

	/* Padded by 2 MiB (alignment) still matches; the closest wins. */
	const struct m pad[] = {
	    {G, 514, "rw-p", "", 100, 0, 0},
	    {2 * G, 520, "rw-p", "", 200, 0, 0},
	};
	n = build(buf, 1 << 16, pad, 2, true);
	assert_int_equal(collect_smaps_parse(buf, n, 512 * MIB, s), 0);
	assert_int_equal(s->guest_ram_match, COLLECT_GUEST_RAM_EXACT);
	assert_int_equal(s->guest_ram_rss_bytes, 100 * KB);

	/* Shared hugetlbfs backing, and a memsz much bigger than any mapping. */
	const struct m huge[] = {{G, 1024, "rw-s", "/dev/hugepages/qemu_back_mem.pc.ram", 4, 0, 0}};
	n = build(buf, 1 << 16, huge, 1, false);
	assert_int_equal(collect_smaps_parse(buf, n, 1024 * MIB, s), 0);
	assert_int_equal(s->guest_ram_match, COLLECT_GUEST_RAM_EXACT);
	assert_int_equal(collect_smaps_parse(buf, n, 1536 * MIB, s), 0);
	assert_int_equal(s->guest_ram_match, COLLECT_GUEST_RAM_LARGEST);
	assert_int_equal(collect_smaps_parse(buf, n, 4096 * MIB, s), 0);
	assert_int_equal(s->guest_ram_match, COLLECT_GUEST_RAM_NONE);

	/* No guest RAM: figures fall back to the whole process as CONSUMED. */
	struct collect_proc_pid pp;
	struct collect_ksm_stat k = {.found = true, .merging_pages = 1};
	collect_proc_pid_combine(s, &k, 4096, &pp);
	struct collect_vm_figures f;
	collect_vm_host_figures(&pp, &f);
	assert_int_equal(f.consumed_bytes, 4 * KB - 4096);
	assert_int_equal(f.ovhd_bytes, 0);

	/* More candidates than we keep: the big one survives. */
	size_t o = 0;
	for (int i = 0; i < 200; i++)
		o += (size_t)snprintf(buf + o, (1 << 16) - o,
				      "%lx-%lx rw-p 00000000 00:00 0\nRss: 4 kB\n",
				      (unsigned long)(G + (uint64_t)i * 4 * MIB),
				      (unsigned long)(G + (uint64_t)i * 4 * MIB + 2 * MIB));
	o += (size_t)snprintf(buf + o, (1 << 16) - o, "%lx-%lx rw-p 00000000 00:00 0\nRss: 8 kB\n",
			      (unsigned long)(2 * G), (unsigned long)(2 * G + 256 * MIB));
	assert_int_equal(collect_smaps_parse(buf, o, 256 * MIB, s), 0);
	assert_int_equal(s->n_maps, 201);
	assert_int_equal(s->guest_ram_match, COLLECT_GUEST_RAM_EXACT);
	assert_int_equal(s->guest_ram_rss_bytes, 8 * KB);
	free(s);
	free(buf);
}

static void test_smaps_bad(void **state)
{
	(void)state;
	struct collect_smaps *s = malloc(sizeof(*s));
	static const struct {
		const char *text;
		int err;
	} cases[] = {
	    {"", 0},
	    {"Rss: 4 kB\n", -EINVAL}, /* field before any header */
	    {"12zz-1000 rw-p 0 00:00 0\n", -EINVAL},
	    {"zzzz-1000 rw-p 0 00:00 0\n", 0},		    /* not a header: an unknown field */
	    {"1000-0500 rw-p 00000000 00:00 0\n", -EINVAL}, /* end < start */
	    {"1000-2000 rw-p 00000000 00:00 0\nRss: x kB\n", -EINVAL},
	    {"1000-2000 rw-p 00000000 00:00 0\nRss: 4 MB\n", -EINVAL},
	    {"1000-2000 rw-p 00000000 00:00 0\nRss: -4 kB\n", -EINVAL},
	    {"1000-2000 rw-p 00000000 00:00 0\nRss: 18446744073709551617 kB\n", -ERANGE},
	    {"1000-2000 rw-p 00000000 00:00 0\nRss: 18014398509481984 kB\n", -ERANGE},
	    {"11111111111111111-2000 rw-p 00000000 00:00 0\n", -ERANGE},
	    {"1000-2000 rw-p 00000000 00:00 0\nRss: 4 kB", 0}, /* truncated, no '\n' */
	    {"1000-2000 rw-p 00000000 00:00 0\nRss: 4", 0},    /* cut before the unit */
	    {"1000-2000 rw-p 000", -EINVAL},		       /* cut in the header */
	    {"1000-2000 rw", -EINVAL},
	    {"1000-2000 rw-p 00000000 00:00 0\nUnknownThing: whatever\n", 0},
	    {"1000-2000 rw-p 00000000 00:00 0\nRssX: 4 kB\n", 0}, /* anchored */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = collect_smaps_parse(cases[i].text, strlen(cases[i].text), 4 * MIB, s);
		if (r != cases[i].err)
			fail_msg("case %zu: got %d want %d", i, r, cases[i].err);
	}
	/* A NUL byte inside a value. */
	const char nul[] = "1000-2000 rw-p 00000000 00:00 0\nRss: 4\0 kB\n";
	assert_int_equal(collect_smaps_parse(nul, sizeof(nul) - 1, 0, s), -EINVAL);

	/* A 200 KiB line (longer than the read buffer) in a file is skipped. */
	char tmpl[] = "/tmp/blimp-test-smaps-XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	const char head[] = "1000-3000 rw-p 00000000 00:00 0          /";
	assert_true(write(fd, head, strlen(head)) > 0);
	char *junk = malloc(200 * 1024);
	memset(junk, 'a', 200 * 1024);
	assert_true(write(fd, junk, 200 * 1024) == 200 * 1024);
	const char tail[] = "\nRss: 8 kB\nSwap: 4 kB\n";
	assert_true(write(fd, tail, strlen(tail)) > 0);
	close(fd);
	assert_int_equal(collect_smaps_read(tmpl, 0, s), 0);
	assert_int_equal(s->n_maps, 1);
	assert_int_equal(s->rss_bytes, 8 * KB);
	assert_int_equal(s->swap_bytes, 4 * KB);
	unlink(tmpl);
	free(junk);
	free(s);
}

static void test_ksm_stat(void **state)
{
	(void)state;
	struct collect_ksm_stat k;
	assert_int_equal(collect_ksm_stat_read(FIX "qemu512/ksm_stat", &k), 0);
	assert_int_equal(k.rmap_items, 400);
	assert_int_equal(k.merging_pages, 0);
	assert_int_equal(k.process_profit_bytes, -25600);
	assert_true(k.mergeable);
	assert_false(k.merge_any);
	assert_int_equal(collect_ksm_stat_read(FIX "qemu_memfd/ksm_stat", &k), 0);
	assert_int_equal(k.merging_pages, 5000);
	assert_int_equal(k.zero_pages, 100);
	static const char *bad[] = {
	    "",
	    "ksm_rmap_items x\n",
	    "ksm_rmap_items 18446744073709551616\n",
	    "ksm_rmap_items 1 2\n",
	    "ksm_merge_any: perhaps\nksm_rmap_items 1\n",
	    "ksm_zero_pages 1\n", /* no counts of its own */
	    "ksm_process_profit -99999999999999999999\nksm_rmap_items 1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (collect_ksm_stat_parse(bad[i], strlen(bad[i]), &k) == 0)
			fail_msg("accepted: %s", bad[i]);
	const char unanchored[] = "xksm_rmap_items 5\nksm_merging_pages 1\n";
	assert_int_equal(collect_ksm_stat_parse(unanchored, strlen(unanchored), &k), 0);
	assert_int_equal(k.rmap_items, 0);
}

static void test_status_and_estimate(void **state)
{
	(void)state;
	struct collect_proc_status st;
	const char real[] = "Name:\tqemu-system-x86\nVmPeak:\t 2000000 kB\nVmRSS:\t  263268 kB\n"
			    "RssAnon:\t  200000 kB\nRssFile:\t   63268 kB\nRssShmem:\t       0 kB\n"
			    "VmSwap:\t    1000 kB\nVmRSSX:\t 1 kB\n";
	assert_int_equal(collect_proc_status_parse(real, strlen(real), &st), 0);
	assert_int_equal(st.bytes[COLLECT_ST_VM_RSS], 263268 * KB);
	assert_int_equal(st.bytes[COLLECT_ST_RSS_ANON], 200000 * KB);
	assert_int_equal(st.bytes[COLLECT_ST_VM_SWAP], 1000 * KB);
	const char kthread[] = "Name:\tkthreadd\nState:\tS (sleeping)\n";
	assert_int_equal(collect_proc_status_parse(kthread, strlen(kthread), &st), -ESRCH);
	const char bad[] = "VmRSS:\t 12 MB\n";
	assert_int_equal(collect_proc_status_parse(bad, strlen(bad), &st), -EINVAL);
	const char big[] = "VmRSS: 18446744073709551615 kB\n";
	assert_int_equal(collect_proc_status_parse(big, strlen(big), &st), -ERANGE);

	/* Measured: 300 MiB guest RAM (20 MiB KSM), 150 MiB other, 100 MiB guest swap,
	 * 10 MiB other swap. Now RSS is 400 MiB and swap 50 MiB. */
	struct collect_proc_pid full = {.rss_bytes = 450 * MIB,
					.swap_bytes = 110 * MIB,
					.guest_ram_found = true,
					.guest_ram_size_bytes = 512 * MIB,
					.guest_ram_rss_bytes = 300 * MIB,
					.guest_ram_swap_bytes = 100 * MIB,
					.guest_ram_ksm_bytes = 20 * MIB,
					.guest_ram_ksm_known = true,
					.other_rss_bytes = 150 * MIB,
					.other_shared_bytes = 60 * MIB};
	struct collect_proc_status now = {.found = 0x1f};
	now.bytes[COLLECT_ST_VM_RSS] = 400 * MIB;
	now.bytes[COLLECT_ST_VM_SWAP] = 50 * MIB;
	struct collect_ksm_stat k = {.found = true, .merging_pages = 1280}; /* 5 MiB */
	struct collect_proc_pid est;
	collect_pid_cache_estimate(&full, &now, &k, 4096, &est);
	assert_int_equal(est.rss_bytes, 400 * MIB);
	assert_int_equal(est.guest_ram_rss_bytes, 250 * MIB);
	assert_int_equal(est.other_rss_bytes, 150 * MIB);
	/* the shared part of the rest (libraries) is carried: OVHD is its Pss */
	struct collect_vm_figures fig;
	collect_vm_host_figures(&est, &fig);
	assert_int_equal(fig.ovhd_bytes, 90 * MIB);
	/* guest RAM had 100 of 110 MiB swapped: its share of the 50 MiB now */
	assert_int_equal(est.guest_ram_swap_bytes, 50 * MIB * 10 / 11);
	assert_int_equal(est.ksm_merging_bytes, 5 * MIB);
	assert_int_equal(est.guest_ram_ksm_bytes, 5 * MIB); /* can't exceed the process's */
	/* Merging grew to 30 MiB, 2 MiB of it outside guest RAM when measured: the
	 * growth is guest RAM's (only it is mergeable). */
	full.ksm_merging_bytes = 22 * MIB;
	k.merging_pages = 30 * 256;
	collect_pid_cache_estimate(&full, &now, &k, 4096, &est);
	assert_int_equal(est.guest_ram_ksm_bytes, 28 * MIB);
	full.ksm_merging_bytes = 0;
	/* Nothing swapped when measured: the new swap split like RSS was (300 of 450). */
	struct collect_proc_pid dry = full;
	dry.swap_bytes = dry.guest_ram_swap_bytes = 0;
	now.bytes[COLLECT_ST_VM_SWAP] = 90 * MIB;
	collect_pid_cache_estimate(&dry, &now, NULL, 4096, &est);
	assert_int_equal(est.guest_ram_swap_bytes, 60 * MIB);
	/* Never more than what of guest RAM is not resident: 512 - 500 MiB. */
	now.bytes[COLLECT_ST_VM_RSS] = 650 * MIB;
	now.bytes[COLLECT_ST_VM_SWAP] = 110 * MIB;
	collect_pid_cache_estimate(&full, &now, NULL, 4096, &est);
	assert_int_equal(est.guest_ram_rss_bytes, 500 * MIB);
	assert_int_equal(est.guest_ram_swap_bytes, 12 * MIB);
	now.bytes[COLLECT_ST_VM_SWAP] = 50 * MIB;
	now.bytes[COLLECT_ST_VM_RSS] = 400 * MIB;
	/* RSS below the old OVHD: guest RAM 0, never negative. */
	now.bytes[COLLECT_ST_VM_RSS] = 100 * MIB;
	collect_pid_cache_estimate(&full, &now, NULL, 4096, &est);
	assert_int_equal(est.guest_ram_rss_bytes, 0);
	assert_int_equal(est.other_rss_bytes, 100 * MIB);
	/* RSS far above: capped at the mapping's size. */
	now.bytes[COLLECT_ST_VM_RSS] = 4096 * MIB;
	collect_pid_cache_estimate(&full, &now, NULL, 4096, &est);
	assert_int_equal(est.guest_ram_rss_bytes, 512 * MIB);
	assert_int_equal(est.other_rss_bytes, (4096 - 512) * MIB); /* the rest is OVHD */

	/* Due: never measured, old, RSS or swap moved 64 MiB. */
	struct collect_pid_cache dc = {.valid = true, .full_ms = 1000, .full_rss_bytes = 400 * MIB};
	dc.full.swap_bytes = 10 * MIB;
	assert_false(collect_pid_cache_due(&dc, NULL, 400 * MIB, 10 * MIB, 30999));
	assert_true(collect_pid_cache_due(&dc, NULL, 400 * MIB, 10 * MIB, 31000));
	assert_true(collect_pid_cache_due(&dc, NULL, 336 * MIB, 10 * MIB, 2000));
	assert_false(collect_pid_cache_due(&dc, NULL, 337 * MIB, 73 * MIB, 2000));
	assert_true(collect_pid_cache_due(&dc, NULL, 400 * MIB, 74 * MIB, 2000));
	assert_true(collect_pid_cache_due(&dc, NULL, 400 * MIB, 10 * MIB, 999)); /* clock back */
	dc.valid = false;
	assert_true(collect_pid_cache_due(&dc, NULL, 400 * MIB, 10 * MIB, 2000));

	/* The cache on fixture dirs (no status file there: -ENOENT). */
	struct collect_pid_cache c = {0};
	assert_int_equal(
	    collect_pid_cache_update(FIX "qemu512", 512 * MIB, 0, NULL, true, &c, &est, NULL),
	    -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_smaps_real_512),  cmocka_unit_test(test_smaps_real_6g),
	    cmocka_unit_test(test_smaps_small),	    cmocka_unit_test(test_proc_pid_read),
	    cmocka_unit_test(test_smaps_selection), cmocka_unit_test(test_smaps_bad),
	    cmocka_unit_test(test_ksm_stat),	    cmocka_unit_test(test_status_and_estimate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
