/*
 * libFuzzer target: the lock file's contents as another blimpd wrote them (or
 * anything else with write access to /run/blimp did), read by a blimpd that was
 * refused (daemon_lock_parse). Invariants (trap on violation):
 *  - 0 or -EINVAL;
 *  - on 0: pid > 0, the state dir is non-empty, NUL-terminated, fits the buffer, has
 *    no control characters, and "PID DIR\n" formatted back parses to the same.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	pid_t pid = 0;
	char dir[128];
	int r = daemon_lock_parse(text, &pid, dir, sizeof(dir));
	if (r != 0 && r != -EINVAL)
		__builtin_trap();
	if (r == 0) {
		size_t n = strnlen(dir, sizeof(dir));
		if (pid <= 0 || n == 0 || n >= sizeof(dir))
			__builtin_trap();
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)dir[i] < 0x20 || dir[i] == 0x7f)
				__builtin_trap();
		char line[256], dir2[128];
		pid_t pid2 = 0;
		snprintf(line, sizeof(line), "%d %s\n", (int)pid, dir);
		if (daemon_lock_parse(line, &pid2, dir2, sizeof(dir2)) != 0 || pid2 != pid ||
		    strcmp(dir, dir2) != 0)
			__builtin_trap();
	}
	free(text);
	return 0;
}
