#include "daemon/hostmem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, len - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = '\0';
	return 0;
}

/* "Key:   123 kB" anchored at a line start; value in bytes. */
static bool kv_kib(const char *buf, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);
	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ':') {
			char *end;
			unsigned long long v = strtoull(p + kl + 1, &end, 10);
			if (end == p + kl + 1)
				return false;
			*out = v * 1024;
			return true;
		}
	}
	return false;
}

static uint64_t read_u64(const char *path)
{
	char buf[64];
	if (read_small(path, buf, sizeof(buf)) < 0)
		return 0;
	return strtoull(buf, NULL, 10);
}

int daemon_host_read(const char *root, struct host_snapshot *h)
{
	char path[512], buf[8192];
	struct host_snapshot t = {0};
	snprintf(path, sizeof(path), "%s/proc/meminfo", root);
	int r = read_small(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (!kv_kib(buf, "MemTotal", &t.mem_total_bytes) ||
	    !kv_kib(buf, "MemAvailable", &t.mem_available_bytes))
		return -EINVAL;
	kv_kib(buf, "SwapTotal", &t.swap_total_bytes);
	kv_kib(buf, "SwapFree", &t.swap_free_bytes);
	snprintf(path, sizeof(path), "%s/proc/pressure/memory", root);
	if (read_small(path, buf, sizeof(buf)) == 0) {
		char *p = strstr(buf, "some avg10=");
		if (p)
			t.psi_some_avg10_permyriad = (uint32_t)(strtod(p + 11, NULL) * 100);
		p = strstr(buf, "full avg10=");
		if (p)
			t.psi_full_avg10_permyriad = (uint32_t)(strtod(p + 11, NULL) * 100);
	}
	snprintf(path, sizeof(path), "%s/sys/kernel/mm/ksm/run", root);
	t.ksm_present = access(path, F_OK) == 0;
	snprintf(path, sizeof(path), "%s/sys/kernel/mm/ksm/pages_sharing", root);
	t.ksm_pages_sharing = read_u64(path);
	snprintf(path, sizeof(path), "%s/sys/kernel/mm/ksm/pages_shared", root);
	t.ksm_pages_shared = read_u64(path);
	snprintf(path, sizeof(path), "%s/sys/module/zswap/parameters/enabled", root);
	if (read_small(path, buf, sizeof(buf)) == 0)
		t.zswap_enabled = buf[0] == 'Y' || buf[0] == '1';
	*h = t;
	return 0;
}

int daemon_proc_mem_read(const char *root, pid_t pid, struct daemon_proc_mem *m)
{
	char path[512], buf[8192];
	struct daemon_proc_mem t = {0};
	snprintf(path, sizeof(path), "%s/proc/%d/status", root, (int)pid);
	int r = read_small(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (!kv_kib(buf, "VmRSS", &t.rss_bytes))
		return -EINVAL;
	kv_kib(buf, "VmSwap", &t.swap_bytes);
	snprintf(path, sizeof(path), "%s/proc/%d/ksm_merging_pages", root, (int)pid);
	t.ksm_merging_bytes = read_u64(path) * MODEL_PAGE_SIZE;
	*m = t;
	return 0;
}
