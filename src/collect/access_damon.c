/*
 * DESIGN: the DAMON side of host-side access sampling. damon.c starts a vaddr
 * kdamond with a "stat" scheme whose tried regions carry, per region,
 * nr_accesses (samples of the last aggregation interval that found it accessed)
 * and age (aggregation intervals the pattern has held). "Touched within the
 * window" is then: nr_accesses > 0, or idle for fewer aggregation intervals than
 * the window holds (age x aggr < window). That gives DAMON the same meaning as the
 * referenced-bit method (touched during access_sample_s) while the kernel wait
 * for fresh regions stays one short aggregation interval.
 */
#include "collect/access.h"
#include "collect/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int collect_access_damon_regions_read(const char *dir, uint64_t lo, uint64_t hi, uint64_t aggr_us,
				      uint64_t window_us, struct collect_damon_regions *out)
{
	if (!dir || !out || !aggr_us)
		return -EINVAL;
	return collect_damon_regions_read_recent(dir, lo, hi, window_us / aggr_us, out);
}

int collect_access_damon_update(const struct collect_damon *d)
{
	if (!d || !d->running)
		return -EINVAL;
	char path[512];
	if ((size_t)snprintf(path, sizeof(path), "%s/kdamonds/0/state", d->root) >= sizeof(path))
		return -ENAMETOOLONG;
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	static const char cmd[] = "update_schemes_tried_regions";
	ssize_t w = write(fd, cmd, sizeof(cmd) - 1);
	int e = w < 0 ? -errno : (size_t)w != sizeof(cmd) - 1 ? -EIO : 0;
	if (close(fd) < 0 && e == 0)
		e = -errno;
	return e;
}
