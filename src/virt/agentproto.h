/*
 * Host side of the guest agent protocol (docs/guest-agent.md): frame parsing and
 * request formatting, pure so the tests can feed it split, garbled and hostile bytes.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define VIRT_AGENT_LINE_MAX 256
/* The agent keeps 1 MiB of output plus a trailer line; anything larger is hostile. */
#define VIRT_AGENT_PAYLOAD_MAX ((1u << 20) + 4096)
/* The agent refuses commands over 64 KiB. */
#define VIRT_AGENT_CMD_MAX 65536

enum virt_agent_frame_kind {
	VIRT_AGENT_READY = 0,
	VIRT_AGENT_PONG,
	VIRT_AGENT_RESULT,
	VIRT_AGENT_ERROR,
};

struct virt_agent_frame {
	enum virt_agent_frame_kind kind;
	uint64_t id;
	int status;          /* RESULT: 0..255 */
	const char *payload; /* RESULT: points into the caller's buffer */
	size_t payload_len;
	char text[VIRT_AGENT_LINE_MAX]; /* READY: kernel release; ERROR: message */
};

/* Look for one complete frame at the start of buf. Returns 1 and sets *consumed when
 * one is there, 0 when more bytes are needed, -EPROTO for garbage (then *consumed
 * says how much to skip to resync at the next line). */
int virt_agent_parse(const char *buf, size_t len, struct virt_agent_frame *f,
		     size_t *consumed) __attribute__((warn_unused_result));

/* "EXEC <id> <timeout_ms> <len>\n" into out. 0, -E2BIG (command too long), -ENOSPC. */
int virt_agent_format_exec(uint64_t id, uint32_t timeout_ms, size_t cmd_len, char *out,
			   size_t outlen) __attribute__((warn_unused_result));
