/* blimp-agent wire protocol: parsing of host request header lines (docs/guest-agent.md).
 * Pure functions, no I/O, so the unit tests can feed hostile input. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define AGENT_LINE_MAX 256		     /* header line incl. '\n' */
#define AGENT_CMD_MAX_BYTES (64 * 1024)	     /* longest EXEC payload */
#define AGENT_OUTPUT_MAX_BYTES (1024 * 1024) /* output kept per command */
#define AGENT_LEN_LIMIT 0xffffffffULL	     /* larger lengths are malformed */

enum agent_req_kind {
	AGENT_REQ_PING = 1,
	AGENT_REQ_EXEC = 2,
};

struct agent_req {
	enum agent_req_kind kind;
	uint64_t id;
	uint64_t timeout_ms; /* EXEC only; 0 = no timeout */
	uint64_t len;	     /* EXEC only: payload bytes that follow the header */
};

/* Parse one header line (without its '\n'; a trailing '\r' is tolerated).
 * Returns 0, -EINVAL for a malformed line (req->id is the id if one could be read,
 * else 0; *err says why), or -E2BIG for an EXEC whose len exceeds
 * AGENT_CMD_MAX_BYTES (the header is otherwise valid: req is filled so the caller can
 * skip the payload). */
int agent_proto_parse(const char *line, size_t len, struct agent_req *req, const char **err)
    __attribute__((warn_unused_result));
