/*
 * libFuzzer target: the host side of the guest agent protocol (virt_agent_parse) on a
 * hostile byte stream, parsed as agent.c does: whole, and again delivered in chunks
 * (sizes from the first input byte) to a buffer the parser is re-run over.
 * Invariants (trap on violation):
 *  - returns 1, 0 or -EPROTO; 1 and -EPROTO consume at least one byte and at most len;
 *    0 consumes nothing;
 *  - a frame's kind is known, a RESULT's status is 0..255 and its payload lies inside
 *    the buffer, READY/ERROR text is NUL-terminated;
 *  - when no over-long line was skipped, chunked delivery yields the same frames as
 *    the whole stream (a frame never depends on how the bytes arrived).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virt/agentproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_FRAMES 512

struct fz_frame {
	int kind;
	uint64_t id;
	int status;
	size_t payload_off; /* offset in the whole stream */
	size_t payload_len;
	char text[VIRT_AGENT_LINE_MAX];
};

struct fz_log {
	struct fz_frame f[FZ_MAX_FRAMES];
	size_t n;
	bool overlong; /* an -EPROTO without a newline (resync differs by chunking) */
};

/* Parse buf[0..len) as far as it goes; base is buf's offset in the stream. Returns the
 * bytes consumed. */
static size_t fz_drain(const char *buf, size_t len, size_t base, struct fz_log *log)
{
	size_t off = 0;
	for (;;) {
		struct virt_agent_frame f;
		size_t used = 12345;
		int r = virt_agent_parse(buf + off, len - off, &f, &used);
		if (r == 0) {
			if (used != 0)
				__builtin_trap();
			return off;
		}
		if (used == 0 || used > len - off)
			__builtin_trap();
		if (r == -EPROTO) {
			if (!memchr(buf + off, '\n', used))
				log->overlong = true;
			off += used;
			continue;
		}
		if (r != 1)
			__builtin_trap();
		if ((unsigned)f.kind > VIRT_AGENT_ERROR || !memchr(f.text, '\0', sizeof(f.text)))
			__builtin_trap();
		if (f.kind == VIRT_AGENT_RESULT) {
			if (f.status < 0 || f.status > 255 || f.payload < buf + off ||
			    f.payload + f.payload_len != buf + off + used)
				__builtin_trap();
		}
		if (log->n < FZ_MAX_FRAMES) {
			struct fz_frame *o = &log->f[log->n++];
			memset(o, 0, sizeof(*o));
			o->kind = (int)f.kind;
			o->id = f.id;
			o->status = f.status;
			if (f.kind == VIRT_AGENT_RESULT) {
				o->payload_off = base + (size_t)(f.payload - buf);
				o->payload_len = f.payload_len;
			}
			memcpy(o->text, f.text, sizeof(o->text));
		}
		off += used;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = 1 + data[0] % 64;
	const char *s = (const char *)data + 1;
	size_t n = size - 1;
	static struct fz_log whole, parts;
	memset(&whole, 0, sizeof(whole));
	memset(&parts, 0, sizeof(parts));

	fz_drain(s, n, 0, &whole);

	/* as agent_read does: append, drain, shift what is left */
	char *buf = malloc(n + 1);
	if (!buf)
		return 0;
	size_t have = 0, base = 0;
	for (size_t pos = 0; pos < n;) {
		size_t k = n - pos < chunk ? n - pos : chunk;
		memcpy(buf + have, s + pos, k);
		have += k;
		pos += k;
		size_t used = fz_drain(buf, have, base, &parts);
		memmove(buf, buf + used, have - used);
		have -= used;
		base += used;
	}
	free(buf);

	if (!whole.overlong && !parts.overlong) {
		if (whole.n != parts.n)
			__builtin_trap();
		for (size_t i = 0; i < whole.n; i++)
			if (memcmp(&whole.f[i], &parts.f[i], sizeof(whole.f[i])) != 0)
				__builtin_trap();
	}
	return 0;
}
