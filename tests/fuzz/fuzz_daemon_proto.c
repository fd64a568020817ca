/*
 * libFuzzer target: the control protocol's request parser (daemon_request_parse) on
 * any bytes as one line, then every argument reader the handlers use, then the reply
 * builders. Invariants (trap on violation):
 *  - a parse either succeeds with root/args set and a known cmd, or fails with an
 *    error message and no request;
 *  - argument readers return only 0/-ENOENT/-EINVAL, and 0 means the right type;
 *  - every reply is one line ending in '\n', valid UTF-8 (when the request was), JSON
 *    v = 1 and the ok flag it was built with.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/proto.h"
#include "fz_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Set per input: a client that sends invalid UTF-8 gets its id echoed as it was. */
static bool fz_input_utf8;

static void fz_check_reply(char *line, bool ok)
{
	if (!line)
		return; /* ENOMEM */
	size_t n = strlen(line);
	if (n < 2 || line[n - 1] != '\n' || memchr(line, '\n', n - 1))
		__builtin_trap();
	if (fz_input_utf8 && !fz_utf8_valid((const unsigned char *)line, n))
		__builtin_trap();
	json_object *o = json_tokener_parse(line);
	json_object *v, *okv;
	if (!o || !json_object_object_get_ex(o, "v", &v) || json_object_get_int(v) != 1 ||
	    !json_object_object_get_ex(o, "ok", &okv) || json_object_get_boolean(okv) != ok)
		__builtin_trap();
	json_object_put(o);
	free(line);
}

static const char *const fz_keys[] = {
    "argv",	"auto",	   "balloon_driver", "cmd",	  "command",	   "cpus",
    "force",	"free_page_reporting", "guest_swap", "initrd", "keep_vms", "kernel",
    "limit",	"maxmemctl", "mem",	     "name",	  "reservation", "shares",
    "target",	"timeout_ms", NULL,
};

static void fz_check_args(json_object *args)
{
	char err[256];
	for (const char *const *k = fz_keys; *k; k++) {
		const char *s = NULL;
		uint64_t u = 0;
		bool b;
		json_object *arr = NULL;
		int r = daemon_arg_string(args, *k, *k[0] == 'n', &s, err, sizeof(err));
		if (r != 0 && r != -ENOENT && r != -EINVAL)
			__builtin_trap();
		if (r == 0 && !s)
			__builtin_trap();
		r = daemon_arg_u64(args, *k, false, &u, err, sizeof(err));
		if (r != 0 && r != -ENOENT && r != -EINVAL)
			__builtin_trap();
		r = daemon_arg_bool(args, *k, &b, err, sizeof(err));
		if (r != 0 && r != -ENOENT && r != -EINVAL)
			__builtin_trap();
		r = daemon_arg_strv(args, *k, &arr, err, sizeof(err));
		if (r != 0 && r != -ENOENT && r != -EINVAL)
			__builtin_trap();
		if (r == 0) {
			size_t n = json_object_array_length(arr);
			for (size_t i = 0; i < n; i++)
				if (!json_object_get_string(json_object_array_get_idx(arr, i)))
					__builtin_trap();
		}
	}
	int r = daemon_args_only(args, fz_keys, err, sizeof(err));
	if (r != 0 && r != -EINVAL)
		__builtin_trap();
	if (r == -EINVAL && strlen(err) == 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	struct daemon_request req;
	json_object *id = NULL;
	char err[256] = "";
	fz_input_utf8 = fz_utf8_valid(data, size);
	int r = daemon_request_parse(line, size, &req, &id, err, sizeof(err));
	if (r == 0) {
		if (!req.root || !req.args || (unsigned)req.cmd >= DAEMON_CMD__COUNT || id)
			__builtin_trap();
		if (!json_object_is_type(req.args, json_type_object))
			__builtin_trap();
		fz_check_args(req.args);
		/* the daemon echoes the id and may return request data as the result */
		json_object *res = json_object_new_object();
		json_object_object_add(res, "cmd", json_object_new_string(daemon_cmd_name(req.cmd)));
		fz_check_reply(daemon_reply_ok(req.id, res), true);
		json_object_put(res);
		fz_check_reply(daemon_reply_err(req.id, -EINVAL, "x"), false);
		daemon_request_free(&req);
	} else {
		if (r != -EPROTO && r != -E2BIG && r != -ENOMEM)
			__builtin_trap();
		if (req.root || err[0] == '\0')
			__builtin_trap();
		/* the error reply quotes err and echoes whatever id could be read */
		fz_check_reply(daemon_reply_err(id, r, err), false);
		json_object_put(id);
	}
	/* hostile bytes as a message: always valid UTF-8 out */
	json_object *s = daemon_json_string_utf8(line, size);
	if (!s)
		__builtin_trap();
	const char *str = json_object_get_string(s);
	size_t slen = (size_t)json_object_get_string_len(s);
	if (!fz_utf8_valid((const unsigned char *)str, slen) || memchr(str, '\0', slen))
		__builtin_trap();
	json_object_put(s);
	return 0;
}
