/*
 * The CLI's side of the control protocol (docs/protocol.md): a unix stream socket,
 * one JSON object per line each way. A connection can carry many requests (`blimp top`
 * keeps one open); every wait has a deadline so a stuck daemon never hangs the CLI.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/* Largest response line the client accepts (the daemon's `top` with many VMs fits). */
#define CLI_CLIENT_LINE_MAX (16u * 1024u * 1024u)
/* Connecting to a local socket is instant unless the daemon's backlog is full. */
#define CLI_CLIENT_CONNECT_TIMEOUT_MS 5000

struct cli_conn {
	int fd;
	long next_id;
	char *buf; /* bytes received after the last full line */
	size_t len;
	size_t cap;
};

/* One decoded response. On ok, result is the "result" member (may be NULL if the
 * daemon sent none); otherwise code/message describe the daemon's error. root owns
 * everything. */
struct cli_reply {
	json_object *root;
	bool ok;
	json_object *result;
	char code[32];
	const char *message;
};

/* Connect to path. 0, or -errno (-ENOENT, -ECONNREFUSED, -EACCES, -ETIMEDOUT,
 * -ENAMETOOLONG for a path that does not fit sun_path). */
int cli_conn_open(struct cli_conn *c, const char *path, int timeout_ms)
    __attribute__((warn_unused_result));
void cli_conn_close(struct cli_conn *c);

/* Send {"v":1,"id":N,"cmd":cmd,"args":args} and wait for the matching line.
 * args is borrowed (may be NULL). 0 when a well-formed response arrived (check
 * r->ok), or -errno: -ETIMEDOUT, -ECONNRESET (daemon closed the connection), -E2BIG
 * (line over CLI_CLIENT_LINE_MAX), -EPROTO (not a protocol response). */
int cli_conn_call(struct cli_conn *c, const char *cmd, json_object *args, int timeout_ms,
		  struct cli_reply *r) __attribute__((warn_unused_result));

/* Pure helpers (unit-tested without a socket). */
/* Encode one request line (with trailing '\n'); malloc'ed, NULL on ENOMEM. */
char *cli_request_format(long id, const char *cmd, json_object *args);
/* Decode one response line of len bytes (no newline). 0 or -EPROTO; r is filled only
 * on success. */
int cli_reply_parse(const char *line, size_t len, struct cli_reply *r)
    __attribute__((warn_unused_result));
void cli_reply_free(struct cli_reply *r);
