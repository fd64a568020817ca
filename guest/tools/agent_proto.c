/* Header line parser for the blimp-agent protocol. Strict: one space between fields,
 * plain decimal numbers (no sign, no leading '+', at most 19 digits), nothing after the
 * last field. Anything else is malformed and the agent answers ERROR. */
#include <errno.h>
#include <string.h>

#include "agent_proto.h"

/* Parse a decimal field at *p ending at a space or end; advances *p past it. */
static int agent_proto_number(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int digits = 0;

	while (s < end && *s >= '0' && *s <= '9') {
		if (++digits > 19)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		s++;
	}
	if (digits == 0 || (s < end && *s != ' '))
		return -EINVAL;
	*out = v;
	*p = s;
	return 0;
}

/* Expect exactly one space at *p, or the end of line when last is set. */
static int agent_proto_sep(const char **p, const char *end, int last)
{
	if (last)
		return *p == end ? 0 : -EINVAL;
	if (*p >= end || **p != ' ')
		return -EINVAL;
	(*p)++;
	return 0;
}

int agent_proto_parse(const char *line, size_t len, struct agent_req *req, const char **err)
{
	const char *p = line, *end;

	memset(req, 0, sizeof(*req));
	*err = "malformed header";
	if (!line)
		return -EINVAL;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	end = line + len;
	if (memchr(line, '\0', len)) {
		*err = "NUL byte in header";
		return -EINVAL;
	}
	if (len >= 5 && !memcmp(line, "PING ", 5)) {
		p += 5;
		if (agent_proto_number(&p, end, &req->id) < 0 || agent_proto_sep(&p, end, 1) < 0) {
			req->id = 0;
			*err = "usage: PING <id>";
			return -EINVAL;
		}
		req->kind = AGENT_REQ_PING;
		return 0;
	}
	if (len >= 5 && !memcmp(line, "EXEC ", 5)) {
		uint64_t id;

		p += 5;
		if (agent_proto_number(&p, end, &id) < 0) {
			*err = "usage: EXEC <id> <timeout_ms> <len>";
			return -EINVAL;
		}
		if (agent_proto_sep(&p, end, 0) < 0 ||
		    agent_proto_number(&p, end, &req->timeout_ms) < 0 ||
		    agent_proto_sep(&p, end, 0) < 0 || agent_proto_number(&p, end, &req->len) < 0 ||
		    agent_proto_sep(&p, end, 1) < 0) {
			memset(req, 0, sizeof(*req));
			req->id = id;
			*err = "usage: EXEC <id> <timeout_ms> <len>";
			return -EINVAL;
		}
		req->id = id;
		if (req->len > AGENT_LEN_LIMIT) {
			req->len = 0;
			req->timeout_ms = 0;
			*err = "length out of range";
			return -EINVAL;
		}
		req->kind = AGENT_REQ_EXEC;
		if (req->len > AGENT_CMD_MAX_BYTES) {
			*err = "command too long";
			return -E2BIG;
		}
		return 0;
	}
	*err = "unknown request";
	return -EINVAL;
}
