/*
 * DESIGN: the sampling side of host-side access sampling (ESX's "a few random pages
 * per VM per period"). At t0 access.c writes "4" into /proc/PID/clear_refs: the
 * kernel clears every page's soft-dirty bit, write-protects the page-table entries
 * and (through the MMU notifier) drops KVM's secondary mappings of them, so the next
 * write to a page, by QEMU under TCG or by the guest through EPT/NPT under KVM,
 * faults in the host's page table and sets soft-dirty again. At t0 + window it
 * reads the pagemap entries of N random pages of the guest-RAM mapping: the
 * fraction found soft-dirty, times the mapping's size, is the estimate.
 *
 * What it sees: writes only (a page only read since t0 is not dirty), at 4 KiB
 * granularity (a THP split by the write protection counts per page). The error of
 * one window is the binomial one, sqrt(f(1-f)/N) of MEMSZ (N = 100, f = 25%: 4.3%);
 * the policy's fast and slow averages (policy/estimate.c) smooth it over windows.
 */
#include "collect/access.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

int collect_access_soft_dirty_probe(void)
{
	static int known = 1; /* 1: not probed yet */
	if (known <= 0)
		return known;
	const size_t page = 4096;
	volatile unsigned char *p =
	    mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	p[0] = 1;
	uint64_t e = 0;
	int r = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		r = -errno;
	else if (pread(fd, &e, sizeof(e), (off_t)((uintptr_t)p / page * sizeof(e))) !=
		 (ssize_t)sizeof(e))
		r = -EIO;
	if (fd >= 0)
		close(fd);
	munmap((void *)p, page);
	if (r == 0 && !(e & COLLECT_PAGEMAP_SOFT_DIRTY))
		r = -EOPNOTSUPP;
	known = r;
	return r;
}

uint64_t collect_access_rand(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ULL;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

uint32_t collect_access_sample_count(const uint64_t *entries, uint32_t n)
{
	uint32_t w = 0;
	for (uint32_t i = 0; entries && i < n; i++)
		if ((entries[i] & COLLECT_PAGEMAP_SOFT_DIRTY) &&
		    (entries[i] & (COLLECT_PAGEMAP_PRESENT | COLLECT_PAGEMAP_SWAPPED)))
			w++;
	return w;
}

uint64_t collect_access_sample_scale(uint32_t written, uint32_t sampled, uint64_t size_bytes)
{
	if (!sampled)
		return 0;
	if (written > sampled)
		written = sampled;
	return (uint64_t)((unsigned __int128)size_bytes * written / sampled);
}

int collect_access_sample_read(int fd, uint64_t lo, uint64_t hi, uint64_t *rng, uint64_t *entries,
			       uint32_t n)
{
	const uint64_t page = 4096;
	if (fd < 0 || !rng || !entries || hi <= lo || hi - lo < page)
		return -EINVAL;
	uint64_t pages = (hi - lo) / page;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t addr = lo + (collect_access_rand(rng) % pages) * page;
		off_t off = (off_t)((addr / page) * sizeof(uint64_t));
		ssize_t r = pread(fd, &entries[i], sizeof(entries[i]), off);
		if (r < 0)
			return -errno;
		if (r != (ssize_t)sizeof(entries[i]))
			return -EIO;
	}
	return 0;
}
