/*
 * libFuzzer target: event lines from hostile values. The input, split at NUL bytes,
 * is the event's name then key, value pairs (at most 16).
 * Invariants (trap on violation):
 *  - the line fits the buffer, is NUL-terminated and its length is returned;
 *  - it is one line of printable ASCII (no control or non-ASCII byte);
 *  - it starts with "event=" and every field is key=value with the value bare or
 *    one properly closed quoted string, so a value can never forge another field:
 *    parsing the line back gives as many fields as were written (or it says
 *    truncated=1 last).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond)                                                                             \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "event invariant broken: %s (line %d)\n", #cond,           \
				__LINE__);                                                         \
			__builtin_trap();                                                          \
		}                                                                                  \
	} while (0)

/* Fields of a logfmt line (key=value, value bare or "..." with \ escapes). */
static size_t fz_fields(const char *s, bool *truncated)
{
	size_t n = 0;
	const char *last = NULL;
	while (*s) {
		const char *k = s;
		while (*s && *s != '=' && *s != ' ')
			s++;
		FZ_CHECK(*s == '=' && s > k);
		s++;
		if (*s == '"') {
			s++;
			while (*s && *s != '"') {
				if (*s == '\\') {
					s++;
					FZ_CHECK(*s);
				}
				s++;
			}
			FZ_CHECK(*s == '"');
			s++;
		} else {
			while (*s && *s != ' ')
				FZ_CHECK(*s++ != '"');
		}
		FZ_CHECK(*s == ' ' || *s == '\0');
		last = k;
		n++;
		if (*s == ' ')
			s++;
	}
	*truncated = last && strncmp(last, "truncated=1", 11) == 0;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	const char *parts[1 + 32];
	size_t np = 0;
	for (size_t i = 0; i <= size && np < 33; i++) {
		parts[np++] = buf + i;
		i += strlen(buf + i);
	}
	size_t pairs = (np - 1) / 2;
	char line[EVENT_LINE_MAX];
	size_t len = event_format(line, sizeof(line), parts[0], parts + 1, pairs);
	FZ_CHECK(len < sizeof(line) && line[len] == '\0' && strlen(line) == len);
	for (size_t i = 0; i < len; i++)
		FZ_CHECK((unsigned char)line[i] >= 0x20 && (unsigned char)line[i] < 0x7f);
	FZ_CHECK(strncmp(line, "event=", 6) == 0);
	bool truncated = false;
	size_t fields = fz_fields(line, &truncated);
	FZ_CHECK(fields == pairs + 1 || (truncated && fields <= pairs + 1));
	free(buf);
	return 0;
}
