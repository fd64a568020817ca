/*
 * libFuzzer target: blimpd's INI loader (config_load) on any bytes as the file,
 * written to a memfd and loaded through /proc/self/fd/N (no drop-in directory).
 * Invariants (trap on violation):
 *  - 0, or a negative errno with a message; a failed load leaves the config as it was;
 *  - a loaded config prints (config_print) to a file that loads again and prints the
 *    same text (the printer writes what the loader reads);
 *  - config_validate and config_set of every printed key never crash;
 *  - as a change from the defaults (SIGHUP's check): config_check_change passes only
 *    if config_validate does and no restart key differs, and config_diff's counts of
 *    runtime and restart keys add up to the keys whose printed values differ.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fz_fd = -1;

/* Put bytes in the memfd; returns its /proc path. */
static const char *fz_file(const void *buf, size_t len)
{
	static char path[64];
	if (fz_fd < 0) {
		fz_fd = memfd_create("fuzz-config", MFD_CLOEXEC);
		if (fz_fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fz_fd);
	}
	if (ftruncate(fz_fd, 0) < 0 || pwrite(fz_fd, buf, len, 0) != (ssize_t)len)
		abort();
	return path;
}

static char *fz_print(const struct blimpd_config *c, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	if (!f)
		abort();
	config_print(c, f);
	fclose(f);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct blimpd_config c, before, again;
	char err[512] = "";
	config_default(&c);
	before = c;
	int r = config_load(&c, fz_file(data, size), true, err, sizeof(err));
	if (r > 0)
		__builtin_trap();
	if (r < 0) {
		if (err[0] == '\0' || memcmp(&c, &before, sizeof(c)) != 0)
			__builtin_trap();
		return 0;
	}
	int valid = config_validate(&c, err, sizeof(err));
	char keys[64];
	size_t n_rt = config_diff(&before, &c, true, keys, sizeof(keys));
	size_t n_rs = config_diff(&before, &c, false, keys, sizeof(keys));
	if (strlen(keys) >= sizeof(keys))
		__builtin_trap();
	int ch = config_check_change(&before, &c, err, sizeof(err));
	if ((ch == 0) != (valid == 0 && n_rs == 0) || (ch < 0 && err[0] == '\0')) {
		fprintf(stderr, "check_change %d, validate %d, restart keys %zu: %s\n", ch, valid,
			n_rs, err);
		__builtin_trap();
	}
	size_t n_diff = 0;
	static struct config_key_view va, vb;
	for (size_t i = 0; i < config_key_count(); i++) {
		config_key_view(&before, i, &va);
		config_key_view(&c, i, &vb);
		n_diff += strcmp(va.value, vb.value) != 0;
	}
	if (n_diff != n_rt + n_rs) {
		fprintf(stderr, "%zu keys differ, diff counts %zu + %zu\n", n_diff, n_rt, n_rs);
		__builtin_trap();
	}

	size_t len1, len2;
	char *t1 = fz_print(&c, &len1);
	config_default(&again);
	r = config_load(&again, fz_file(t1, len1), true, err, sizeof(err));
	if (r != 0) {
		fprintf(stderr, "printed config does not load: %s\n%s", err, t1);
		__builtin_trap();
	}
	char *t2 = fz_print(&again, &len2);
	if (len1 != len2 || memcmp(t1, t2, len1) != 0) {
		fprintf(stderr, "print/load/print differs:\n%s\n----\n%s", t1, t2);
		__builtin_trap();
	}

	/* every "key = value" line of the printout through the setter again */
	for (char *line = strtok(t1, "\n"); line; line = strtok(NULL, "\n")) {
		char *eq = strstr(line, " = ");
		if (line[0] == '#' || line[0] == ';' || line[0] == '[' || !eq)
			continue;
		*eq = '\0';
		r = config_set(&again, line, eq + 3, err, sizeof(err));
		if (r != 0 && r != -EINVAL && r != -ERANGE)
			__builtin_trap();
	}
	free(t1);
	free(t2);
	return 0;
}
