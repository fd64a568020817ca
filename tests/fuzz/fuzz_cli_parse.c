/*
 * libFuzzer target: the CLI's argument parsers. The first byte picks the mode:
 *  - even: the rest is one string for size_parse/cli_parse_size, cli_parse_uint,
 *    cli_parse_seconds and cli_name_valid, each checked against a plain reference
 *    (digits -> strtoull, seconds -> decimal ms, names -> the documented set);
 *  - odd: the rest, split at NUL bytes, is the argv of a subcommand (second byte
 *    picks which, config included) for its getopt parser; a success must give a valid VM name where
 *    the command takes one and values within the documented bounds, and the request
 *    args built from it must serialise.
 * Also: any u64 printed as "N", "NK" or "NG" parses back exactly (or -ERANGE).
 * Every failure is -EINVAL/-ERANGE with a message.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmds.h"
#include "util/size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond)                                                                             \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "cli invariant broken: %s (line %d)\n", #cond, __LINE__);  \
			__builtin_trap();                                                          \
		}                                                                                  \
	} while (0)

#define FZ_ARGS 32

static bool fz_all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

static void fz_failed(int r, const char *err)
{
	FZ_CHECK(r == -EINVAL || r == -ERANGE);
	FZ_CHECK(err[0] != '\0');
}

static void fz_strings(const char *s)
{
	char err[256] = "";
	uint64_t v = 0;
	int r = cli_parse_size("--mem", s, &v, err, sizeof(err));
	if (r == 0) {
		if (fz_all_digits(s) && strlen(s) <= 15) /* exact in a double */
			FZ_CHECK(v == strtoull(s, NULL, 10));
	} else {
		fz_failed(r, err);
	}

	err[0] = '\0';
	r = cli_parse_uint("--cpus", s, 1, CLI_CPUS_MAX, &v, err, sizeof(err));
	if (r == 0) {
		FZ_CHECK(fz_all_digits(s) && v >= 1 && v <= CLI_CPUS_MAX);
		FZ_CHECK(v == strtoull(s, NULL, 10));
	} else {
		fz_failed(r, err);
	}

	err[0] = '\0';
	r = cli_parse_seconds("--timeout", s, 1, CLI_EXEC_TIMEOUT_MAX_MS, &v, err, sizeof(err));
	if (r == 0) {
		FZ_CHECK(v >= 1 && v <= CLI_EXEC_TIMEOUT_MAX_MS);
		char *end;
		double d = strtod(s, &end);
		FZ_CHECK(*end == '\0' && llround(d * 1000) == (long long)v);
	} else {
		fz_failed(r, err);
	}

	if (cli_name_valid(s)) {
		size_t n = strlen(s);
		FZ_CHECK(n >= 1 && n <= 63);
		FZ_CHECK(strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
			 n);
		FZ_CHECK(s[0] != '_' && s[0] != '.' && s[0] != '-');
	}
}

static void fz_numbers(uint64_t n)
{
	static const char *const suffix[] = {"", "K", "M", "G", "T", "KiB", "g"};
	static const unsigned shift[] = {0, 10, 20, 30, 40, 10, 30};
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		char s[64];
		uint64_t v = 0;
		/* keep to what a double holds exactly */
		uint64_t m = n >> (11 + shift[i]);
		snprintf(s, sizeof(s), "%llu%s", (unsigned long long)m, suffix[i]);
		int r = size_parse(s, &v);
		FZ_CHECK(r == 0 && v == m << shift[i]);
	}
}

static void fz_name_field(const char *name)
{
	FZ_CHECK(name && cli_name_valid(name));
}

static void fz_argv(uint8_t which, char **argv, int argc)
{
	char err[256] = "";
	int r;
	json_object *a = NULL;
	switch (which % 11) {
	case 0: /* status, stop, ls, stats, shutdown: one table-driven parser */
	case 2:
	case 3:
	case 5:
	case 9: {
		const struct cli_simple_cmd *cmd = cli_simple_find(argv[0]);
		FZ_CHECK(cmd != NULL);
		struct cli_simple_opts o;
		r = cli_simple_parse(cmd, argc, argv, &o, err, sizeof(err));
		if (r == 0 && cmd->takes_name)
			fz_name_field(o.name);
		if (r == 0 && !cmd->takes_name)
			FZ_CHECK(o.name == NULL);
		break;
	}
	case 1: {
		struct cli_start_opts o;
		r = cli_start_parse(argc, argv, &o, err, sizeof(err));
		if (r == 0) {
			fz_name_field(o.name);
			FZ_CHECK(o.cpus <= CLI_CPUS_MAX);
			FZ_CHECK(!o.settings.has_shares || o.settings.shares <= CLI_SHARES_MAX);
			if (o.cmd)
				FZ_CHECK(o.ncmd >= 1 && o.cmd > argv && o.cmd + o.ncmd == argv + argc);
			a = cli_start_args(&o);
		}
		break;
	}
	case 4: {
		struct cli_exec_opts o;
		r = cli_exec_parse(argc, argv, &o, err, sizeof(err));
		if (r == 0) {
			fz_name_field(o.name);
			FZ_CHECK(o.timeout_ms >= 1 && o.timeout_ms <= CLI_EXEC_TIMEOUT_MAX_MS);
			FZ_CHECK(o.ncmd >= 1 && o.cmd && o.cmd + o.ncmd <= argv + argc);
		}
		break;
	}
	case 6: {
		struct cli_balloon_opts o;
		r = cli_balloon_parse(argc, argv, &o, err, sizeof(err));
		if (r == 0)
			fz_name_field(o.name);
		break;
	}
	case 7: {
		struct cli_set_opts o;
		r = cli_set_parse(argc, argv, &o, err, sizeof(err));
		if (r == 0) {
			fz_name_field(o.name);
			const struct cli_vm_settings *st = &o.settings;
			FZ_CHECK(st->has_shares || st->has_reservation || st->has_limit ||
				 st->has_maxmemctl);
			FZ_CHECK(!st->has_shares || st->shares <= CLI_SHARES_MAX);
			a = cli_set_args(&o);
		}
		break;
	}
	case 8: {
		struct cli_top_opts o;
		r = cli_top_parse(argc, argv, &o, err, sizeof(err));
		break;
	}
	case 10: {
		struct cli_config_opts o;
		r = cli_config_parse(argc, argv, &o, err, sizeof(err));
		if (r == 0 && o.set) {
			FZ_CHECK(o.n_pairs >= 1 && o.pairs + o.n_pairs <= argv + argc);
			for (int i = 0; i < o.n_pairs; i++) {
				const char *eq = strchr(o.pairs[i], '=');
				FZ_CHECK(eq && eq != o.pairs[i]);
			}
			a = cli_config_set_args(&o);
			json_object *vals = NULL;
			FZ_CHECK(a && json_object_object_get_ex(a, "values", &vals));
			FZ_CHECK(json_object_object_length(vals) <= o.n_pairs);
		}
		if (r == 0 && !o.set)
			FZ_CHECK(o.pairs == NULL && o.n_pairs == 0);
		break;
	}
	default:
		return;
	}
	if (r != 0 && r != CLI_PARSE_HELP)
		fz_failed(r, err);
	if (a) {
		const char *js = json_object_to_json_string(a);
		FZ_CHECK(js && js[0] == '{');
		json_object_put(a);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if (size >= 9) {
		uint64_t n;
		memcpy(&n, data + 1, sizeof(n));
		fz_numbers(n);
	}
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 2, size - 2);
	buf[size - 2] = '\0';
	if ((data[0] & 1) == 0) {
		buf[size - 2] = '\0';
		fz_strings(buf);
		free(buf);
		return 0;
	}
	static const char *const names[] = {"status", "start", "stop", "ls",	   "exec",  "stats",
					    "balloon", "set",   "top",  "shutdown", "config"};
	char *argv[FZ_ARGS + 2];
	int argc = 0;
	argv[argc++] = (char *)names[data[1] % 11];
	for (char *p = buf; argc < FZ_ARGS && p <= buf + size - 2; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	fz_argv(data[1], argv, argc);
	free(buf);
	return 0;
}
