/* The collectors on this machine's real /proc and /sys: a child process stands in
 * for a QEMU (a 512 MiB anonymous "guest RAM" mapping among ~300 small ones), so
 * the guest-RAM split, the cgroup lookup, DAMON (where the host lets us) and the
 * cost of a full collection (host + 8 VMs) are checked on live kernel output. */
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "collect/cgroup.h"
#include "collect/damon.h"
#include "collect/host.h"
#include "collect/pidcache.h"
#include "collect/procpid.h"

#define MIB (1024ULL * 1024ULL)

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

struct child {
	pid_t pid;
	int to, from;
};

/* Child: map `ram_mib`, touch on command ('t' + MiB count byte pairs), or loop
 * touching the first `loop_mib` MiB forever ('l'). Replies 'k' after each touch. */
/* Not instrumented: ASan's check of each store reads the shadow of `ram`, and the
 * shadow pages it faults in (1/8 of what is touched) showed in the child's RSS as
 * guest RAM the estimate then counted (25 MiB over a 200 MiB touch). */
__attribute__((no_sanitize("address"))) static void child_main(int in, int out, uint64_t ram_mib,
							       bool thp)
{
	char *ram =
	    mmap(NULL, ram_mib * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		_exit(2);
	/* QEMU asks for huge pages on guest RAM; KSM and the balloon split them. */
	madvise(ram, ram_mib * MIB, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	/* ~300 small mappings with alternating protections (no merging), like QEMU's
	 * libraries, thread stacks and guard pages. */
	for (int i = 0; i < 300; i++)
		if (mmap(NULL, 8192, i % 2 ? PROT_READ : PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
			_exit(3);
	for (;;) {
		unsigned char cmd[3];
		if (read(in, cmd, 3) != 3)
			_exit(0);
		uint64_t mib = (uint64_t)cmd[1] | (uint64_t)cmd[2] << 8;
		if (mib > ram_mib)
			mib = ram_mib;
		if (cmd[0] == 't') {
			for (uint64_t o = 0; o < mib * MIB; o += 4096)
				ram[o] = 1;
			if (write(out, "k", 1) != 1)
				_exit(4);
		} else if (cmd[0] == 'l') {
			if (write(out, "k", 1) != 1)
				_exit(4);
			for (;;) {
				for (uint64_t o = 0; o < mib * MIB; o += 4096)
					ram[o]++;
				usleep(50000);
			}
		}
	}
}

static int child_start(struct child *c, uint64_t ram_mib, bool thp)
{
	int a[2], b[2];
	if (pipe(a) < 0 || pipe(b) < 0)
		return -errno;
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		/* Never outlive the test, even if an assertion unwinds past child_stop. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(a[1]);
		close(b[0]);
		child_main(a[0], b[1], ram_mib, thp);
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	c->to = a[1];
	c->from = b[0];
	return 0;
}

static void child_cmd(struct child *c, char cmd, unsigned mib)
{
	unsigned char m[3] = {(unsigned char)cmd, (unsigned char)(mib & 0xff),
			      (unsigned char)(mib >> 8)};
	char k;
	assert_int_equal(write(c->to, m, 3), 3);
	assert_int_equal(read(c->from, &k, 1), 1);
}

static void child_stop(struct child *c)
{
	kill(c->pid, SIGKILL);
	close(c->to);
	close(c->from);
	waitpid(c->pid, NULL, 0);
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_host_live(void **state)
{
	(void)state;
	struct collect_host_paths p;
	collect_host_paths_default(&p);
	struct collect_host h;
	assert_int_equal(collect_host_read(&p, &h), 0);
	struct host_snapshot s;
	collect_host_to_snapshot(&h, &s);
	assert_true(s.mem_total_bytes > 256 * MIB);
	assert_true(s.mem_available_bytes <= s.mem_total_bytes);
	assert_true(s.swap_free_bytes <= s.swap_total_bytes);
	print_message("host: total %llu MiB, available %llu MiB, psi %s, ksm %s, zswap %s\n",
		      (unsigned long long)(s.mem_total_bytes / MIB),
		      (unsigned long long)(s.mem_available_bytes / MIB), h.psi_found ? "yes" : "no",
		      h.ksm_found ? "yes" : "no",
		      h.zswap_found ? (s.zswap_enabled ? "on" : "off") : "absent");
	/* Optional sources missing are fine; a missing meminfo is not. */
	struct collect_host_paths q = {.meminfo = "tests/fixtures/collect/host/meminfo",
				       .psi = "/nonexistent/psi",
				       .ksm_dir = "/nonexistent",
				       .zswap_params = "/nonexistent"};
	assert_int_equal(collect_host_read(&q, &h), 0);
	assert_false(h.psi_found || h.ksm_found || h.zswap_found);
	collect_host_to_snapshot(&h, &s);
	assert_int_equal(s.mem_total_bytes, 24684084ULL * 1024);
	q.meminfo = "/nonexistent";
	assert_int_equal(collect_host_read(&q, &h), -ENOENT);
	/* A malformed optional source is flagged and left out; the rest still counts. */
	q.meminfo = "tests/fixtures/collect/host/meminfo";
	q.psi = "tests/fixtures/collect/bad/psi_garbage";
	q.zswap_params = "tests/fixtures/collect/zswap/parameters";
	assert_int_equal(collect_host_read(&q, &h), 0);
	assert_false(h.psi_found);
	assert_int_equal(h.bad, 1u << COLLECT_HOST_PSI);
	assert_true(h.zswap_found);
	collect_host_to_snapshot(&h, &s);
	assert_int_equal(s.mem_total_bytes, 24684084ULL * 1024);
	assert_int_equal(s.psi_some_avg10_permyriad, 0);
}

static void test_vm_live(void **state)
{
	(void)state;
	struct child c;
	assert_int_equal(child_start(&c, 512, false), 0);
	child_cmd(&c, 't', 100);
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d", (int)c.pid);
	struct collect_proc_pid pp;
	assert_int_equal(collect_proc_pid_read(dir, 512 * MIB, 0, &pp), 0);
	assert_true(pp.guest_ram_found);
	assert_int_equal(pp.guest_ram_match, COLLECT_GUEST_RAM_EXACT);
	assert_int_equal(pp.guest_ram_size_bytes, 512 * MIB);
	assert_true(pp.guest_ram_rss_bytes >= 100 * MIB);
	assert_true(pp.guest_ram_rss_bytes <= 101 * MIB);
	assert_true(pp.other_rss_bytes > 0);
	struct collect_vm_figures f;
	collect_vm_host_figures(&pp, &f);
	assert_int_equal(f.consumed_bytes, pp.guest_ram_rss_bytes - pp.guest_ram_ksm_bytes);
	print_message("child: rss %llu KiB, guest RAM %llu KiB, OVHD %llu KiB\n",
		      (unsigned long long)(pp.rss_bytes / 1024),
		      (unsigned long long)(pp.guest_ram_rss_bytes / 1024),
		      (unsigned long long)(f.ovhd_bytes / 1024));

	/* The cache: measured at 100 MiB, then the guest touches 200 more MiB; the
	 * estimate from /proc/PID/status follows without a new smaps walk. */
	struct collect_pid_cache cache = {0};
	struct collect_pid_cache_opts lazy = {.max_age_ms = 60000, .rss_delta_bytes = 1ULL << 40};
	struct collect_proc_pid est, real;
	bool full;
	assert_int_equal(
	    collect_pid_cache_update(dir, 512 * MIB, 1000, &lazy, false, &cache, &est, &full), 0);
	assert_true(full); /* first time: always measured */
	child_cmd(&c, 't', 300);
	assert_int_equal(
	    collect_pid_cache_update(dir, 512 * MIB, 2000, &lazy, true, &cache, &est, &full), 0);
	assert_false(full);
	assert_int_equal(collect_proc_pid_read(dir, 512 * MIB, 0, &real), 0);
	print_message("estimate %llu KiB vs measured %llu KiB guest RAM\n",
		      (unsigned long long)(est.guest_ram_rss_bytes / 1024),
		      (unsigned long long)(real.guest_ram_rss_bytes / 1024));
	assert_true(real.guest_ram_rss_bytes >= 300 * MIB);
	assert_true(est.guest_ram_rss_bytes + 1 * MIB >= real.guest_ram_rss_bytes &&
		    est.guest_ram_rss_bytes <= real.guest_ram_rss_bytes + 1 * MIB);
	/* Due by age: measured again when allowed, estimated when not. */
	assert_int_equal(
	    collect_pid_cache_update(dir, 512 * MIB, 70000, &lazy, false, &cache, &est, &full), 0);
	assert_false(full);
	assert_int_equal(
	    collect_pid_cache_update(dir, 512 * MIB, 70000, &lazy, true, &cache, &est, &full), 0);
	assert_true(full);

	/* Its memory cgroup (ours: the child inherits it). */
	int v = collect_cgroup_version("/sys/fs/cgroup");
	char cgdir[1024], pcg[64];
	struct collect_cgroup cg = {0};
	snprintf(pcg, sizeof(pcg), "/proc/%d/cgroup", (int)c.pid);
	if (v > 0) {
		assert_int_equal(
		    collect_cgroup_pid_dir("/sys/fs/cgroup", v, pcg, cgdir, sizeof(cgdir)), 0);
		assert_int_equal(collect_cgroup_read(cgdir, v, &cg), 0);
		assert_true(cg.v[COLLECT_CG_USAGE] >= 100 * MIB);
		print_message("cgroup v%d %s: usage %llu MiB\n", v, cgdir,
			      (unsigned long long)(cg.v[COLLECT_CG_USAGE] / MIB));
	}
	child_cmd(&c, 't', 512);
	child_stop(&c);
}

/* Cost of one tick: host + 8 VMs of 512 MiB resident with ~320 mappings each
 * (QEMU under TCG has ~316). CPU time includes the kernel's work in our reads.
 * thp: guest RAM in huge pages (QEMU's default); !thp: 4 KiB pages (after KSM or
 * the balloon split them). Per tick: host files, then per VM /proc/PID/status +
 * ksm_stat + cgroup, and at most one VM's smaps split re-measured (the cache). */
static void measure(bool thp, double *median_ms, double *max_ms, double *full_ms, int *fulls)
{
	struct child c;
	assert_int_equal(child_start(&c, 512, thp), 0);
	child_cmd(&c, 't', 512);
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d", (int)c.pid);
	int v = collect_cgroup_version("/sys/fs/cgroup");
	char cgdir[1024] = "", pcg[64];
	snprintf(pcg, sizeof(pcg), "/proc/%d/cgroup", (int)c.pid);
	if (v > 0)
		assert_int_equal(
		    collect_cgroup_pid_dir("/sys/fs/cgroup", v, pcg, cgdir, sizeof(cgdir)), 0);
	struct collect_host_paths hp;
	collect_host_paths_default(&hp);
	struct collect_pid_cache cache[8];
	memset(cache, 0, sizeof(cache));
	/* Warm the caches (blimpd measures each VM once when it first sees it). */
	struct collect_proc_pid pp;
	for (int vm = 0; vm < 8; vm++)
		assert_int_equal(
		    collect_pid_cache_update(dir, 512 * MIB, 0, NULL, true, &cache[vm], &pp, NULL),
		    0);
	enum { TICKS = 31 };
	uint64_t ns[TICKS];
	*fulls = 0;
	for (int t = 0; t < TICKS; t++) {
		uint64_t now_ms = 1000 + (uint64_t)t * 1000;
		uint64_t t0 = cpu_ns();
		struct collect_host h;
		assert_int_equal(collect_host_read(&hp, &h), 0);
		bool budget = true; /* one full split per tick */
		for (int vm = 0; vm < 8; vm++) {
			bool full = false;
			/* VMs' caches are staggered by 4 s, as VMs start at different times. */
			uint64_t vm_now = now_ms + (uint64_t)vm * 4000;
			assert_int_equal(collect_pid_cache_update(dir, 512 * MIB, vm_now, NULL,
								  budget, &cache[vm], &pp, &full),
					 0);
			if (full) {
				budget = false;
				(*fulls)++;
			}
			struct collect_cgroup cg;
			if (v > 0)
				assert_int_equal(collect_cgroup_read(cgdir, v, &cg), 0);
		}
		ns[t] = cpu_ns() - t0;
	}
	assert_true(pp.guest_ram_rss_bytes >= 500 * MIB);
	uint64_t t0 = cpu_ns();
	for (int i = 0; i < 8; i++)
		assert_int_equal(collect_proc_pid_read(dir, 512 * MIB, 0, &pp), 0);
	*full_ms = (double)(cpu_ns() - t0) / 8e6;
	qsort(ns, TICKS, sizeof(ns[0]), cmp_u64);
	*median_ms = (double)ns[TICKS / 2] / 1e6;
	*max_ms = (double)ns[TICKS - 1] / 1e6;
	child_stop(&c);
}

static void test_collection_cost(void **state)
{
	(void)state;
	for (int thp = 1; thp >= 0; thp--) {
		double med, max, full;
		int fulls;
		measure(thp, &med, &max, &full, &fulls);
		print_message("%s guest RAM: one smaps split %.2f ms CPU; tick (host + 8 VMs, "
			      "%d splits in 31 ticks): median %.2f ms, max %.2f ms\n",
			      thp ? "THP" : "4 KiB", full, fulls, med, max);
		assert_true(fulls >= 4 && fulls <= 31);
		if (!SANITIZED)
			assert_true(med < 5.0);
	}
}

static void test_damon_live(void **state)
{
	(void)state;
	char why[512];
	int r = collect_damon_probe(COLLECT_DAMON_ROOT, why, sizeof(why));
	if (r < 0) {
		print_message("DAMON not usable here (%d): %s\n", r, why);
		skip();
	}
	/* 100 MiB of a 400 MiB buffer touched every 50 ms. */
	struct child c;
	assert_int_equal(child_start(&c, 400, false), 0);
	child_cmd(&c, 't', 400);
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d", (int)c.pid);
	struct collect_proc_pid pp;
	struct collect_smaps *sm = malloc(sizeof(*sm));
	char smaps[80];
	snprintf(smaps, sizeof(smaps), "%s/smaps", dir);
	assert_int_equal(collect_smaps_read(smaps, 400 * MIB, sm), 0);
	assert_int_equal(sm->guest_ram_match, COLLECT_GUEST_RAM_EXACT);
	child_cmd(&c, 'l', 100);
	struct collect_damon d;
	r = collect_damon_start(COLLECT_DAMON_ROOT, c.pid, NULL, &d);
	if (r < 0) {
		child_stop(&c);
		free(sm);
		print_message("DAMON start failed: %d\n", r);
		skip();
	}
	sleep(5);
	struct collect_damon_regions reg;
	r = collect_damon_sample(&d, sm->guest_ram_start, sm->guest_ram_end, &reg);
	assert_int_equal(collect_damon_stop(&d), 0);
	child_stop(&c);
	(void)pp;
	assert_int_equal(r, 0);
	print_message("DAMON: %zu regions, %llu MiB of %llu MiB active\n", reg.n,
		      (unsigned long long)(reg.active_bytes / MIB),
		      (unsigned long long)(reg.total_bytes / MIB));
	assert_true(reg.active_bytes >= 60 * MIB && reg.active_bytes <= 250 * MIB);
	free(sm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_host_live),
	    cmocka_unit_test(test_vm_live),
	    cmocka_unit_test(test_collection_cost),
	    cmocka_unit_test(test_damon_live),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
