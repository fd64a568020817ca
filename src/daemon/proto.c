/*
 * DESIGN: json-c does the JSON; this file adds the protocol's rules on top: the
 * version, the command table, strict argument types (sizes are non-negative JSON
 * integers, never strings or floats), and replies that always carry v, id and ok.
 */
#include "daemon/proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const daemon_cmd_names[DAEMON_CMD__COUNT] = {
	"status", "ls", "start", "stop", "exec", "stats", "balloon", "set", "top", "shutdown",
	"history", "config", "config_set",
};
_Static_assert(sizeof(daemon_cmd_names) / sizeof(daemon_cmd_names[0]) == DAEMON_CMD__COUNT,
	       "command names in step with the enum");

const char *daemon_cmd_name(enum daemon_cmd c)
{
	return (unsigned)c < DAEMON_CMD__COUNT ? daemon_cmd_names[c] : "?";
}

int daemon_request_parse(const char *line, size_t len, struct daemon_request *req,
			 json_object **id_out, char *err, size_t errlen)
{
	*id_out = NULL;
	memset(req, 0, sizeof(*req));
	if (len > DAEMON_PROTO_LINE_MAX) {
		snprintf(err, errlen, "request line over 1 MiB");
		return -E2BIG;
	}
	if (memchr(line, '\0', len)) {
		snprintf(err, errlen, "NUL byte in request");
		return -EPROTO;
	}
	json_tokener *tok = json_tokener_new_ex(64);
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	json_object *root = json_tokener_parse_ex(tok, line, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t used = (size_t)json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!root || jerr != json_tokener_success) {
		snprintf(err, errlen, "malformed JSON: %s",
			 jerr == json_tokener_continue ? "incomplete"
						       : json_tokener_error_desc(jerr));
		json_object_put(root);
		return -EPROTO;
	}
	for (; used < len; used++) {
		char c = line[used];
		if (c != ' ' && c != '\t' && c != '\r') {
			snprintf(err, errlen, "trailing data after the JSON object");
			json_object_put(root);
			return -EPROTO;
		}
	}
	if (!json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "request is not a JSON object");
		json_object_put(root);
		return -EPROTO;
	}
	json_object *id = NULL, *v = NULL, *cmd = NULL, *args = NULL;
	if (json_object_object_get_ex(root, "id", &id))
		*id_out = json_object_get(id);
	if (!json_object_object_get_ex(root, "v", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != DAEMON_PROTO_VERSION) {
		snprintf(err, errlen, "unsupported protocol version (this blimpd speaks v%d)",
			 DAEMON_PROTO_VERSION);
		goto bad;
	}
	if (!json_object_object_get_ex(root, "cmd", &cmd) ||
	    !json_object_is_type(cmd, json_type_string)) {
		snprintf(err, errlen, "missing \"cmd\"");
		goto bad;
	}
	const char *name = json_object_get_string(cmd);
	int found = -1;
	for (int i = 0; i < DAEMON_CMD__COUNT; i++)
		if (strcmp(name, daemon_cmd_names[i]) == 0)
			found = i;
	if (found < 0) {
		char safe[40];
		size_t k = 0;
		for (const char *p = name; *p && k < sizeof(safe) - 1; p++)
			safe[k++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
		safe[k] = '\0';
		snprintf(err, errlen, "unknown command '%s'", safe);
		goto bad;
	}
	if (json_object_object_get_ex(root, "args", &args) && !json_object_is_type(args, json_type_null)) {
		if (!json_object_is_type(args, json_type_object)) {
			snprintf(err, errlen, "\"args\" is not an object");
			goto bad;
		}
	} else {
		args = json_object_new_object();
		if (!args) {
			snprintf(err, errlen, "out of memory");
			goto bad;
		}
		json_object_object_add(root, "args", args);
	}
	req->root = root;
	req->id = id;
	req->cmd = (enum daemon_cmd)found;
	req->args = args;
	json_object_put(*id_out);
	*id_out = NULL;
	return 0;
bad:
	json_object_put(root);
	return -EPROTO;
}

void daemon_request_free(struct daemon_request *req)
{
	json_object_put(req->root);
	memset(req, 0, sizeof(*req));
}

/* args[key]: 0 with *o set, -ENOENT when absent or null (an error in err when
 * required: -EINVAL). */
static int arg_get(json_object *args, const char *key, bool required, json_object **o, char *err,
		   size_t errlen)
{
	if (json_object_object_get_ex(args, key, o) && !json_object_is_type(*o, json_type_null))
		return 0;
	if (!required)
		return -ENOENT;
	snprintf(err, errlen, "missing argument \"%s\"", key);
	return -EINVAL;
}

int daemon_arg_string(json_object *args, const char *key, bool required, const char **out,
		      char *err, size_t errlen)
{
	json_object *o;
	int r = arg_get(args, key, required, &o, err, errlen);
	if (r < 0)
		return r;
	if (!json_object_is_type(o, json_type_string)) {
		snprintf(err, errlen, "argument \"%s\" must be a string", key);
		return -EINVAL;
	}
	*out = json_object_get_string(o);
	return 0;
}

int daemon_arg_u64(json_object *args, const char *key, bool required, uint64_t *out,
		   char *err, size_t errlen)
{
	json_object *o;
	int r = arg_get(args, key, required, &o, err, errlen);
	if (r < 0)
		return r;
	if (!json_object_is_type(o, json_type_int)) {
		snprintf(err, errlen, "argument \"%s\" must be a non-negative integer", key);
		return -EINVAL;
	}
	/* json-c keeps integers above INT64_MAX as uint64 */
	errno = 0;
	if (json_object_get_int64(o) < 0) {
		snprintf(err, errlen, "argument \"%s\" must be a non-negative integer", key);
		return -EINVAL;
	}
	*out = json_object_get_uint64(o);
	return 0;
}

int daemon_arg_bool(json_object *args, const char *key, bool *out, char *err, size_t errlen)
{
	json_object *o;
	int r = arg_get(args, key, false, &o, err, errlen);
	if (r < 0)
		return r;
	if (!json_object_is_type(o, json_type_boolean)) {
		snprintf(err, errlen, "argument \"%s\" must be true or false", key);
		return -EINVAL;
	}
	*out = json_object_get_boolean(o);
	return 0;
}

int daemon_arg_strv(json_object *args, const char *key, json_object **out, char *err,
		    size_t errlen)
{
	json_object *o;
	int r = arg_get(args, key, false, &o, err, errlen);
	if (r < 0)
		return r;
	if (!json_object_is_type(o, json_type_array)) {
		snprintf(err, errlen, "argument \"%s\" must be an array of strings", key);
		return -EINVAL;
	}
	size_t n = json_object_array_length(o);
	for (size_t i = 0; i < n; i++) {
		if (!json_object_is_type(json_object_array_get_idx(o, i), json_type_string)) {
			snprintf(err, errlen, "argument \"%s\" must be an array of strings", key);
			return -EINVAL;
		}
	}
	*out = o;
	return 0;
}

int daemon_args_only(json_object *args, const char *const *allowed, char *err, size_t errlen)
{
	json_object_object_foreach(args, key, val)
	{
		(void)val;
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			if (strcmp(*a, key) == 0)
				ok = true;
		if (!ok) {
			char safe[40];
			size_t k = 0;
			for (const char *p = key; *p && k < sizeof(safe) - 1; p++)
				safe[k++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
			safe[k] = '\0';
			snprintf(err, errlen, "unknown argument \"%s\"", safe);
			return -EINVAL;
		}
	}
	return 0;
}

const char *daemon_errno_name(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case EINVAL:
		return "EINVAL";
	case ENOENT:
		return "ENOENT";
	case EEXIST:
		return "EEXIST";
	case ERANGE:
		return "ERANGE";
	case EPROTO:
		return "EPROTO";
	case E2BIG:
		return "E2BIG";
	case EBUSY:
		return "EBUSY";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case ENOMEM:
		return "ENOMEM";
	case EPERM:
		return "EPERM";
	case EACCES:
		return "EACCES";
	case ENOSPC:
		return "ENOSPC";
	case ECANCELED:
		return "ECANCELED";
	case ENAMETOOLONG:
		return "ENAMETOOLONG";
	default:
		return "EIO";
	}
}

static char *reply_line(json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		return NULL;
	size_t n = strlen(s);
	char *line = malloc(n + 2);
	if (!line)
		return NULL;
	memcpy(line, s, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	return line;
}

char *daemon_reply_ok(json_object *id, json_object *result)
{
	json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "v", json_object_new_int(DAEMON_PROTO_VERSION));
	json_object_object_add(o, "id", id ? json_object_get(id) : NULL);
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "result",
			       result ? json_object_get(result) : json_object_new_object());
	char *line = reply_line(o);
	json_object_put(o);
	return line;
}

char *daemon_reply_err(json_object *id, int err, const char *message)
{
	json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	json_object *e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_string(daemon_errno_name(err)));
	json_object_object_add(e, "message", daemon_json_string_utf8(message, strlen(message)));
	json_object_object_add(o, "v", json_object_new_int(DAEMON_PROTO_VERSION));
	json_object_object_add(o, "id", id ? json_object_get(id) : NULL);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", e);
	char *line = reply_line(o);
	json_object_put(o);
	return line;
}

/* Length of a valid UTF-8 sequence at s (max n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	size_t len;
	uint32_t cp;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

json_object *daemon_json_string_utf8(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	char *buf = malloc(len * 3 + 1);
	if (!buf)
		return json_object_new_string("");
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		size_t k = u[i] ? utf8_seq(u + i, len - i) : 0;
		if (k == 0) {
			/* U+FFFD; a NUL also becomes one (it would end a C string) */
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(buf + o, s + i, k);
			o += k;
			i += k;
		}
	}
	json_object *r = json_object_new_string_len(buf, (int)o);
	free(buf);
	return r;
}
