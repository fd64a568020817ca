/* Helpers shared by every subcommand: errors, socket resolution, one-shot requests,
 * and the small validators the argument parsers use. */
#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/size.h"

void cli_error(const char *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line: a daemon message with newlines must not forge more lines. */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (cmd)
		fprintf(stderr, "blimp: %s: %s\n", cmd, msg);
	else
		fprintf(stderr, "blimp: %s\n", msg);
}

const char *cli_socket_path(const char *flag)
{
	if (flag && *flag)
		return flag;
	const char *env = getenv("BLIMP_SOCKET");
	if (env && *env)
		return env;
	return CLI_DEFAULT_SOCKET;
}

const char *cli_transport_strerror(int err, char *buf, size_t len)
{
	switch (err) {
	case -ETIMEDOUT:
		snprintf(buf, len, "blimpd did not answer in time");
		break;
	case -ECONNRESET:
		snprintf(buf, len, "blimpd closed the connection without an answer");
		break;
	case -E2BIG:
		snprintf(buf, len, "blimpd's answer is longer than %u bytes", CLI_CLIENT_LINE_MAX);
		break;
	case -EPROTO:
		snprintf(buf, len, "blimpd's answer is not a protocol response");
		break;
	default:
		snprintf(buf, len, "%s", strerror(-err));
		break;
	}
	return buf;
}

static int cli_request_impl(const struct cli_ctx *ctx, const char *cmd, json_object *args,
			    int timeout_ms, struct cli_reply *reply, bool quiet)
{
	memset(reply, 0, sizeof(*reply));
	struct cli_conn c;
	char why[256];
	int r = cli_conn_open(&c, ctx->socket_path, CLI_CLIENT_CONNECT_TIMEOUT_MS);
	if (r < 0) {
		cli_error(cmd, "cannot reach blimpd at %s: %s%s", ctx->socket_path,
			  cli_transport_strerror(r, why, sizeof(why)),
			  r == -ENOENT || r == -ECONNREFUSED ? " (is blimpd running?)" : "");
		return CLI_EXIT_UNREACHABLE;
	}
	r = cli_conn_call(&c, cmd, args, timeout_ms, reply);
	cli_conn_close(&c);
	if (r < 0) {
		cli_error(cmd, "%s", cli_transport_strerror(r, why, sizeof(why)));
		return CLI_EXIT_UNREACHABLE;
	}
	if (!reply->ok) {
		if (!quiet) {
			cli_error(cmd, "%s (%s)", reply->message, reply->code);
			char code[sizeof(reply->code)];
			memcpy(code, reply->code, sizeof(code));
			cli_reply_free(reply);
			memcpy(reply->code, code, sizeof(code));
		}
		return CLI_EXIT_DAEMON;
	}
	return CLI_EXIT_OK;
}

int cli_request(const struct cli_ctx *ctx, const char *cmd, json_object *args, int timeout_ms,
		struct cli_reply *reply)
{
	return cli_request_impl(ctx, cmd, args, timeout_ms, reply, false);
}

int cli_request_quiet(const struct cli_ctx *ctx, const char *cmd, json_object *args, int timeout_ms,
		      struct cli_reply *reply)
{
	return cli_request_impl(ctx, cmd, args, timeout_ms, reply, true);
}

int cli_request_take(const struct cli_ctx *ctx, const char *cmd, json_object *args, int timeout_ms,
		     struct cli_reply *reply)
{
	if (!args) {
		memset(reply, 0, sizeof(*reply));
		cli_error(cmd, "out of memory");
		return CLI_EXIT_DAEMON;
	}
	int rc = cli_request(ctx, cmd, args, timeout_ms, reply);
	json_object_put(args);
	return rc;
}

bool cli_name_valid(const char *name)
{
	if (!name || !isalnum((unsigned char)name[0]) || !isascii((unsigned char)name[0]))
		return false;
	size_t n = 0;
	for (const char *p = name; *p; p++, n++) {
		unsigned char ch = (unsigned char)*p;
		if (!isascii(ch) || !(isalnum(ch) || ch == '_' || ch == '.' || ch == '-'))
			return false;
	}
	return n >= 1 && n <= 63;
}

int cli_parse_size(const char *what, const char *s, uint64_t *out, char *err, size_t errlen)
{
	uint64_t v;
	int r = size_parse(s, &v);
	if (r < 0) {
		snprintf(err, errlen, "%s: invalid size '%s' (use bytes or K/M/G/T, e.g. 512M)",
			 what, s ? s : "");
		return r;
	}
	*out = v;
	return 0;
}

int cli_parse_uint(const char *what, const char *s, uint64_t min, uint64_t max, uint64_t *out,
		   char *err, size_t errlen)
{
	if (!s || !isdigit((unsigned char)*s) || strspn(s, "0123456789") != strlen(s) ||
	    strlen(s) > 19) {
		snprintf(err, errlen, "%s: '%s' is not a whole number", what, s ? s : "");
		return -EINVAL;
	}
	uint64_t v = strtoull(s, NULL, 10);
	if (v < min || v > max) {
		snprintf(err, errlen, "%s: %s is out of range [%llu, %llu]", what, s,
			 (unsigned long long)min, (unsigned long long)max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

int cli_parse_seconds(const char *what, const char *s, uint64_t min_ms, uint64_t max_ms,
		      uint64_t *out_ms, char *err, size_t errlen)
{
	/* Plain decimal only, at most 3 decimals: no exponents, hex, "inf". */
	size_t ip = s ? strspn(s, "0123456789") : 0;
	const char *p = s ? s + ip : NULL;
	size_t fp = 0;
	if (p && *p == '.') {
		fp = strspn(p + 1, "0123456789");
		p += 1 + fp;
	}
	if (!s || (ip == 0 && fp == 0) || *p != '\0' || ip > 9 || fp > 3) {
		snprintf(err, errlen, "%s: '%s' is not a number of seconds", what, s ? s : "");
		return -EINVAL;
	}
	uint64_t ms = 0;
	for (size_t i = 0; i < ip; i++)
		ms = ms * 10 + (uint64_t)(s[i] - '0');
	ms *= 1000;
	uint64_t scale = 100;
	for (size_t i = 0; i < fp; i++, scale /= 10)
		ms += (uint64_t)(s[ip + 1 + i] - '0') * scale;
	if (ms < min_ms || ms > max_ms) {
		snprintf(err, errlen, "%s: %s s is out of range [%.3g, %.3g] s", what, s,
			 (double)min_ms / 1000, (double)max_ms / 1000);
		return -ERANGE;
	}
	*out_ms = ms;
	return 0;
}

int cli_find_dashdash(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i;
	return argc;
}
