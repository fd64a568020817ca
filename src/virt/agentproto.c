/*
 * DESIGN: a header line is parsed only once its '\n' is in the buffer and only if it
 * fits VIRT_AGENT_LINE_MAX; numbers are plain decimal with overflow checks. A RESULT
 * is complete only when its whole payload has arrived, so the caller simply appends
 * bytes and calls again.
 */
#include "virt/agentproto.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool parse_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int n = 0;
	while (*s >= '0' && *s <= '9') {
		uint64_t d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		s++;
		n++;
	}
	if (n == 0 || n > 20)
		return false;
	*out = v;
	*p = s;
	return true;
}

int virt_agent_parse(const char *buf, size_t len, struct virt_agent_frame *f,
		     size_t *consumed)
{
	const char *nl = memchr(buf, '\n', len < VIRT_AGENT_LINE_MAX ? len : VIRT_AGENT_LINE_MAX);
	*consumed = 0;
	if (!nl) {
		if (len < VIRT_AGENT_LINE_MAX)
			return 0;
		/* an over-long line: skip to its end (or all we have) */
		const char *end = memchr(buf, '\n', len);
		*consumed = end ? (size_t)(end - buf) + 1 : len;
		return -EPROTO;
	}
	size_t hl = (size_t)(nl - buf);
	char line[VIRT_AGENT_LINE_MAX];
	memcpy(line, buf, hl);
	line[hl] = '\0';
	if (hl > 0 && line[hl - 1] == '\r')
		line[--hl] = '\0';
	if (memchr(line, '\0', hl)) {
		*consumed = (size_t)(nl - buf) + 1;
		return -EPROTO;
	}
	memset(f, 0, sizeof(*f));
	const char *p;
	if (strncmp(line, "READY", 5) == 0 && (line[5] == ' ' || line[5] == '\0')) {
		f->kind = VIRT_AGENT_READY;
		snprintf(f->text, sizeof(f->text), "%s", line[5] ? line + 6 : "");
		*consumed = (size_t)(nl - buf) + 1;
		return 1;
	}
	if (strncmp(line, "PONG ", 5) == 0) {
		p = line + 5;
		if (!parse_u64(&p, &f->id) || *p)
			goto bad;
		f->kind = VIRT_AGENT_PONG;
		*consumed = (size_t)(nl - buf) + 1;
		return 1;
	}
	if (strncmp(line, "ERROR ", 6) == 0) {
		p = line + 6;
		if (!parse_u64(&p, &f->id) || (*p && *p != ' '))
			goto bad;
		f->kind = VIRT_AGENT_ERROR;
		snprintf(f->text, sizeof(f->text), "%s", *p ? p + 1 : "");
		*consumed = (size_t)(nl - buf) + 1;
		return 1;
	}
	if (strncmp(line, "RESULT ", 7) == 0) {
		uint64_t status, plen;
		p = line + 7;
		if (!parse_u64(&p, &f->id) || *p++ != ' ' || !parse_u64(&p, &status) ||
		    *p++ != ' ' || !parse_u64(&p, &plen) || *p)
			goto bad;
		if (status > 255 || plen > VIRT_AGENT_PAYLOAD_MAX)
			goto bad;
		size_t start = (size_t)(nl - buf) + 1;
		if (len - start < plen)
			return 0;
		f->kind = VIRT_AGENT_RESULT;
		f->status = (int)status;
		f->payload = buf + start;
		f->payload_len = (size_t)plen;
		*consumed = start + (size_t)plen;
		return 1;
	}
bad:
	*consumed = (size_t)(nl - buf) + 1;
	return -EPROTO;
}

int virt_agent_format_exec(uint64_t id, uint32_t timeout_ms, size_t cmd_len, char *out,
			   size_t outlen)
{
	if (cmd_len > VIRT_AGENT_CMD_MAX)
		return -E2BIG;
	int n = snprintf(out, outlen, "EXEC %" PRIu64 " %" PRIu32 " %zu\n", id, timeout_ms,
			 cmd_len);
	if (n < 0 || (size_t)n >= outlen)
		return -ENOSPC;
	return 0;
}
