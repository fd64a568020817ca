/*
 * access_probe: run blimp's own access collector (src/collect/access.c) against a
 * process with a known working set, on a real kernel (inside a guest: the host's
 * DAMON is taken and its clear_refs is broken under kvm_pvm).
 *
 *   access_probe [--method damon|refs|sample] [--alloc-mib 400] [--touch-mib 100]
 *                [--interval-ms 2000] [--samples 5] [--pages 100]
 *
 * Forks a child that maps ALLOC MiB (anonymous, private: the "guest RAM" mapping,
 * found in smaps by its size like QEMU's), writes all of it once, then keeps
 * rewriting one word per page of the first TOUCH MiB. The parent runs
 * collect_access_tick on the child with MEMSZ = ALLOC and prints one line per
 * estimate:
 *   access_probe sample=N method=damon active_mib=A resident_mib=R window_ms=W
 * (the first window, which saw the child write all ALLOC, is printed as warmup=0
 * and left out) and at the end
 * `access_probe result method=M median_active_mib=A mean_active_mib=B` (sampling is
 * noisy per window: its mean is the figure to judge). Exit 0 when
 * SAMPLES estimates were made, 1 otherwise (the caller judges the figures).
 */
#include "collect/access.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024ULL * 1024ULL)

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000ULL + (uint64_t)ts.tv_nsec / 1000000ULL;
}

static void child(uint64_t alloc, uint64_t touch, int ready_fd)
{
	volatile unsigned char *p =
	    mmap(NULL, alloc, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(2);
	/* no huge pages: the estimate should not depend on THP placement */
	(void)madvise((void *)p, alloc, MADV_NOHUGEPAGE);
	for (uint64_t o = 0; o < alloc; o += 4096)
		p[o] = 1;
	if (write(ready_fd, "r", 1) != 1)
		_exit(2);
	close(ready_fd);
	for (unsigned long n = 0;; n++) {
		for (uint64_t o = 0; o < touch; o += 4096)
			p[o] = (unsigned char)(p[o] + 1);
		/* a sweep every ~20 ms: every hot page is touched in every DAMON
		 * aggregation interval (100 ms) and leaves CPU for the kdamond */
		usleep(20000);
	}
}

static int median_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *method = "damon";
	uint64_t alloc_mib = 400, touch_mib = 100, interval_ms = 2000;
	int samples = 5;
	uint32_t pages = 0;
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(argv[i], "--method") && v)
			method = v;
		else if (!strcmp(argv[i], "--alloc-mib") && v)
			alloc_mib = strtoull(v, NULL, 10);
		else if (!strcmp(argv[i], "--touch-mib") && v)
			touch_mib = strtoull(v, NULL, 10);
		else if (!strcmp(argv[i], "--interval-ms") && v)
			interval_ms = strtoull(v, NULL, 10);
		else if (!strcmp(argv[i], "--samples") && v)
			samples = atoi(v);
		else if (!strcmp(argv[i], "--pages") && v)
			pages = (uint32_t)strtoul(v, NULL, 10);
		else {
			fprintf(stderr, "usage: access_probe [--method damon|refs] [--alloc-mib N] "
					"[--touch-mib N] [--interval-ms N] [--samples N]\n");
			return 2;
		}
		i++;
	}
	enum collect_access_method only = !strcmp(method, "damon")    ? COLLECT_ACCESS_DAMON
					  : !strcmp(method, "refs")   ? COLLECT_ACCESS_REFS
					  : !strcmp(method, "sample") ? COLLECT_ACCESS_SAMPLE
								      : COLLECT_ACCESS_NONE;
	if (only == COLLECT_ACCESS_NONE) {
		fprintf(stderr, "access_probe: --method is damon, refs or sample\n");
		return 2;
	}
	if (!alloc_mib || touch_mib > alloc_mib || samples < 1 || samples > 64 || !interval_ms) {
		fprintf(stderr, "access_probe: bad sizes\n");
		return 2;
	}
	int pfd[2];
	if (pipe(pfd) < 0)
		return 1;
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(pfd[0]);
		child(alloc_mib * MIB, touch_mib * MIB, pfd[1]);
	}
	close(pfd[1]);
	char c;
	if (read(pfd[0], &c, 1) != 1) {
		fprintf(stderr, "access_probe: child failed to allocate\n");
		waitpid(pid, NULL, 0);
		return 1;
	}
	struct collect_access_opts o = {
	    .proc_root = "/proc",
	    .damon_root = !strcmp(method, "damon") ? COLLECT_DAMON_ROOT : "",
	    .interval_ms = interval_ms,
	    .guest_kvm = false,
	    .only = only,
	    .sample_pages = pages,
	};
	static struct collect_access a;
	collect_access_init(&a);
	uint64_t got[64];
	int n = 0, rc = 1;
	bool warm = false;
	uint64_t deadline = now_ms() + interval_ms * (uint64_t)(samples + 4) + 10000;
	while (n < samples && now_ms() < deadline) {
		int r = collect_access_tick(&a, &o, pid, alloc_mib * MIB, now_ms());
		if (r >= 0 && (r & COLLECT_ACCESS_CHOSE))
			printf("access_probe chose method=%s why=%s\n",
			       collect_access_method_name(a.method), a.why);
		if (r < 0)
			printf("access_probe error=%s\n", strerror(-r));
		if (r >= 0 && (r & COLLECT_ACCESS_SAMPLED)) {
			printf("access_probe %s=%d method=%s active_mib=%llu resident_mib=%llu "
			       "window_ms=%llu clamped=%d\n",
			       warm ? "sample" : "warmup", warm ? n + 1 : 0,
			       collect_access_method_name(a.method),
			       (unsigned long long)(a.active_bytes / MIB),
			       (unsigned long long)(a.resident_bytes / MIB),
			       (unsigned long long)a.window_ms, a.clamped);
			/* the first window saw the child's first write of all of it */
			if (warm)
				got[n++] = a.active_bytes;
			warm = true;
		}
		fflush(stdout);
		if (a.method == COLLECT_ACCESS_NONE && a.pid == pid) {
			printf("access_probe no method: %s\n", a.why);
			break;
		}
		usleep(100000);
	}
	const char *mname = collect_access_method_name(a.method);
	collect_access_stop(&a);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (n == samples) {
		uint64_t sum = 0;
		for (int i = 0; i < n; i++)
			sum += got[i];
		qsort(got, (size_t)n, sizeof(got[0]), median_cmp);
		printf("access_probe result method=%s alloc_mib=%llu touch_mib=%llu "
		       "median_active_mib=%llu mean_active_mib=%llu\n",
		       mname, (unsigned long long)alloc_mib, (unsigned long long)touch_mib,
		       (unsigned long long)(got[n / 2] / MIB),
		       (unsigned long long)(sum / (uint64_t)n / MIB));
		rc = 0;
	} else {
		printf("access_probe result method=%s failed samples=%d\n", mname, n);
	}
	fflush(stdout);
	return rc;
}
