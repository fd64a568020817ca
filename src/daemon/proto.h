/*
 * The control protocol's daemon side (docs/protocol.md), pure: a request line in, a
 * parsed request or an EPROTO/EINVAL reason out; a result or an error in, a response
 * line out. No sockets here, so the tests feed it malformed input directly.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define DAEMON_PROTO_VERSION 1
#define DAEMON_PROTO_LINE_MAX (1u << 20) /* 1 MiB, newline excluded */

enum daemon_cmd {
	DAEMON_CMD_STATUS = 0,
	DAEMON_CMD_LS,
	DAEMON_CMD_START,
	DAEMON_CMD_STOP,
	DAEMON_CMD_EXEC,
	DAEMON_CMD_STATS,
	DAEMON_CMD_BALLOON,
	DAEMON_CMD_SET,
	DAEMON_CMD_TOP,
	DAEMON_CMD_SHUTDOWN,
	DAEMON_CMD_HISTORY,
	DAEMON_CMD_CONFIG,
	DAEMON_CMD_CONFIG_SET,
	DAEMON_CMD__COUNT
};
const char *daemon_cmd_name(enum daemon_cmd c);

struct daemon_request {
	json_object *root; /* owns everything below */
	json_object *id;   /* borrowed; NULL when absent */
	enum daemon_cmd cmd;
	json_object *args; /* borrowed; an empty object when absent */
};

/* Parse one line (no newline). 0, or -EPROTO with err filled (bad JSON, not an object,
 * wrong or missing version, unknown or missing cmd) and, when the id could be read,
 * *id_out set to a new reference for the error reply (else NULL). On success req owns
 * a reference; free with daemon_request_free. */
int daemon_request_parse(const char *line, size_t len, struct daemon_request *req,
			 json_object **id_out, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void daemon_request_free(struct daemon_request *req);

/* Argument readers: 0 (present and well-typed), -ENOENT (absent and optional), or
 * -EINVAL with err filled (wrong type, negative, absent and required). */
int daemon_arg_string(json_object *args, const char *key, bool required, const char **out,
		      char *err, size_t errlen) __attribute__((warn_unused_result));
int daemon_arg_u64(json_object *args, const char *key, bool required, uint64_t *out,
		   char *err, size_t errlen) __attribute__((warn_unused_result));
int daemon_arg_bool(json_object *args, const char *key, bool *out, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* An array of strings; *out borrowed from args. */
int daemon_arg_strv(json_object *args, const char *key, json_object **out, char *err,
		    size_t errlen) __attribute__((warn_unused_result));
/* Reject keys not in the NULL-terminated allowed list: 0 or -EINVAL naming the key. */
int daemon_args_only(json_object *args, const char *const *allowed, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* errno -> "EINVAL"... (the protocol's error codes). */
const char *daemon_errno_name(int err);

/* Response lines with '\n'; malloc'ed (NULL on ENOMEM). result and id are borrowed. */
char *daemon_reply_ok(json_object *id, json_object *result);
char *daemon_reply_err(json_object *id, int err, const char *message);

/* A JSON string of len bytes with invalid UTF-8 replaced by U+FFFD (new object). */
json_object *daemon_json_string_utf8(const char *s, size_t len);
