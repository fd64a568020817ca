/* blimp set NAME key=value...: change a VM's shares, reservation, limit, maxmemctl
 * (stored in its domain metadata by blimpd). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/format.h"
#include "cli/parse.h"
#include "util/size.h"

static const char cli_set_usage[] =
    "Usage: blimp set NAME KEY=VALUE...\n"
    "Change a VM's memory settings; blimpd checks them against MEMSZ and stores them\n"
    "in the domain's metadata. Keys:\n"
    "  shares=N            0-1000000000 (0 = default, 10 per MiB of MEMSZ)\n"
    "  reservation=SIZE    never reclaimed below this\n"
    "  limit=SIZE          never granted above this (0 = MEMSZ)\n"
    "  maxmemctl=SIZE      most the balloon may take (0 = 65% of MEMSZ)\n"
    "  -s, --socket PATH   blimpd's control socket\n";

static int cli_set_one(struct cli_set_opts *o, const char *kv, char *err, size_t errlen)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv) {
		snprintf(err, errlen, "'%.64s' is not KEY=VALUE", kv);
		return -EINVAL;
	}
	size_t klen = (size_t)(eq - kv);
	const char *val = eq + 1;
	static const char *const keys[] = {"shares", "reservation", "limit", "maxmemctl"};
	bool *has[] = {&o->has_shares, &o->has_reservation, &o->has_limit, &o->has_maxmemctl};
	uint64_t *dst[] = {&o->shares, &o->reservation_bytes, &o->limit_bytes, &o->maxmemctl_bytes};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strlen(keys[i]) != klen || strncmp(kv, keys[i], klen) != 0)
			continue;
		if (*has[i]) {
			snprintf(err, errlen, "%s given twice", keys[i]);
			return -EINVAL;
		}
		*has[i] = true;
		if (i == 0)
			return cli_parse_uint("shares", val, 0, CLI_SHARES_MAX, dst[i], err,
					      errlen);
		return cli_parse_size(keys[i], val, dst[i], err, errlen);
	}
	snprintf(err, errlen, "unknown key '%.*s' (shares, reservation, limit, maxmemctl)",
		 (int)(klen > 40 ? 40 : klen), kv);
	for (char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = '?';
	return -EINVAL;
}

int cli_set_parse(int argc, char **argv, struct cli_set_opts *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	*o = (struct cli_set_opts){0};
	CLI_GETOPT_RESET();
	int c, r;
	while ((c = getopt_long(argc, argv, ":" CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
			CLI_COMMON_CASES(o);
		}
	}
	if (optind >= argc) {
		snprintf(err, errlen, "missing VM name");
		return -EINVAL;
	}
	o->name = argv[optind];
	r = cli_parse_name(o->name, err, errlen);
	if (r < 0)
		return r;
	if (optind + 1 >= argc) {
		snprintf(err, errlen,
			 "nothing to set (KEY=VALUE: shares, reservation, limit, "
			 "maxmemctl)");
		return -EINVAL;
	}
	for (int i = optind + 1; i < argc; i++) {
		r = cli_set_one(o, argv[i], err, errlen);
		if (r < 0)
			return r;
	}
	if (o->has_limit && o->has_reservation && o->limit_bytes != 0 &&
	    o->limit_bytes < o->reservation_bytes) {
		char a[32], b[32];
		snprintf(err, errlen, "limit %s is less than reservation %s",
			 size_format(o->limit_bytes, a, sizeof(a)),
			 size_format(o->reservation_bytes, b, sizeof(b)));
		return -ERANGE;
	}
	return 0;
}

json_object *cli_set_args(const struct cli_set_opts *o)
{
	json_object *a = json_object_new_object();
	if (!a)
		return NULL;
	json_object_object_add(a, "name", json_object_new_string(o->name));
	if (o->has_shares)
		json_object_object_add(a, "shares", json_object_new_uint64(o->shares));
	if (o->has_reservation)
		json_object_object_add(a, "reservation",
				       json_object_new_uint64(o->reservation_bytes));
	if (o->has_limit)
		json_object_object_add(a, "limit", json_object_new_uint64(o->limit_bytes));
	if (o->has_maxmemctl)
		json_object_object_add(a, "maxmemctl", json_object_new_uint64(o->maxmemctl_bytes));
	return a;
}

int cli_set_run(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_set_opts o;
	char err[256];
	int rc, r = cli_set_parse(argc, argv, &o, err, sizeof(err));
	if (cli_parse_done("set", r, err, cli_set_usage, &rc))
		return rc;
	struct cli_ctx c = cli_ctx_with(ctx, o.socket);
	json_object *args = cli_set_args(&o);
	if (!args) {
		cli_error("set", "out of memory");
		return CLI_EXIT_DAEMON;
	}
	struct cli_reply reply;
	rc = cli_request(&c, "set", args, CLI_TIMEOUT_MS, &reply);
	json_object_put(args);
	if (rc != CLI_EXIT_OK)
		return rc;
	char a[32], b[32], d[32], s[32];
	uint64_t shares;
	if (cli_json_u64(reply.result, "shares", &shares))
		snprintf(s, sizeof(s), "%llu", (unsigned long long)shares);
	else
		snprintf(s, sizeof(s), "-");
	printf("%s: shares %s, reservation %s, limit %s, maxmemctl %s\n", o.name, s,
	       cli_fmt_size(reply.result, "reservation", a, sizeof(a)),
	       cli_fmt_size(reply.result, "limit", b, sizeof(b)),
	       cli_fmt_size(reply.result, "maxmemctl", d, sizeof(d)));
	cli_reply_free(&reply);
	return CLI_EXIT_OK;
}
