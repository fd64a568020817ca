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
	for (int k = 0; k < CLI_SETTING_COUNT; k++) {
		const char *key = cli_setting_keys[k];
		if (strlen(key) == klen && strncmp(kv, key, klen) == 0)
			return cli_settings_parse(&o->settings, (enum cli_setting)k, "", eq + 1,
						  true, err, errlen);
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
	*o = (struct cli_set_opts){0};
	int r = cli_parse_flag_opts(argc, argv, NULL, 0, NULL, &o->socket, err, errlen);
	if (r != 0)
		return r;
	r = cli_parse_name_at(argc, argv, &o->name, err, errlen);
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
	const struct cli_vm_settings *s = &o->settings;
	if (s->has_limit && s->has_reservation && s->limit_bytes != 0 &&
	    s->limit_bytes < s->reservation_bytes) {
		char a[32], b[32];
		size_format_pair(s->limit_bytes, s->reservation_bytes, a, b, sizeof(a));
		snprintf(err, errlen, "limit %s is less than reservation %s", a, b);
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
	cli_settings_to_json(&o->settings, a);
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
	struct cli_reply reply;
	rc = cli_request_take(&c, "set", cli_set_args(&o), CLI_TIMEOUT_MS, &reply);
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
