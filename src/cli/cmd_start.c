/*
 * blimp start: validate everything locally (name, sizes, reservation <= mem,
 * reservation <= limit <= mem, maxmemctl <= mem), make kernel/initrd paths absolute
 * (blimpd runs elsewhere), then send one `start` request and wait for the guest to run.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/format.h"
#include "cli/parse.h"
#include "util/size.h"

static const char cli_start_usage[] =
    "Usage: blimp start NAME --mem SIZE [options] [-- GUEST COMMAND...]\n"
    "Start a VM (the built-in guest unless --kernel is given). SIZE takes K/M/G/T.\n"
    "  -m, --mem SIZE           MEMSZ, the VM's memory (required)\n"
    "  -c, --cpus N             virtual CPUs, 1-64 (default 1)\n"
    "      --shares N           shares (default 10 per MiB of MEMSZ)\n"
    "      --reservation SIZE   never reclaimed below this (<= --mem)\n"
    "      --limit SIZE         never granted above this (>= reservation, <= --mem)\n"
    "      --maxmemctl SIZE     most the balloon may take (<= --mem; default 65%)\n"
    "      --guest-swap SIZE    give the guest a swap disk of SIZE\n"
    "      --no-free-page-reporting   turn off virtio-balloon free page reporting\n"
    "      --no-balloon-driver  boot the guest without its virtio_balloon driver\n"
    "      --no-sharing         page sharing off: KSM never merges this VM's memory\n"
    "                           (<nosharepages/>, QEMU mem-merge=off; fixed at start)\n"
    "      --kernel FILE        boot this kernel instead of the built-in guest\n"
    "      --initrd FILE        with --kernel: this initrd\n"
    "  -- GUEST COMMAND...      run this shell command in the guest at boot\n"
    "  -s, --socket PATH        blimpd's control socket\n";

/* The four settings' options, in enum cli_setting's order. */
enum {
	CLI_START_SHARES = 256,
	CLI_START_RESERVATION,
	CLI_START_LIMIT,
	CLI_START_MAXMEMCTL,
	CLI_START_GUEST_SWAP,
	CLI_START_NO_FPR,
	CLI_START_NO_BALLOON,
	CLI_START_NO_SHARING,
	CLI_START_KERNEL,
	CLI_START_INITRD,
};

static int cli_start_check(struct cli_start_opts *o, char *err, size_t errlen)
{
	char a[32], b[32];
	const struct cli_vm_settings *s = &o->settings;
	if (o->mem_bytes == 0) {
		snprintf(err, errlen, "--mem SIZE is required and must be above 0");
		return -EINVAL;
	}
	if (s->has_reservation && s->reservation_bytes > o->mem_bytes) {
		size_format_pair(s->reservation_bytes, o->mem_bytes, a, b, sizeof(a));
		snprintf(err, errlen, "--reservation %s is more than --mem %s", a, b);
		return -ERANGE;
	}
	if (s->has_limit && s->has_reservation && s->limit_bytes < s->reservation_bytes) {
		size_format_pair(s->limit_bytes, s->reservation_bytes, a, b, sizeof(a));
		snprintf(err, errlen, "--limit %s is less than --reservation %s", a, b);
		return -ERANGE;
	}
	if (s->has_limit && s->limit_bytes > o->mem_bytes) {
		size_format_pair(s->limit_bytes, o->mem_bytes, a, b, sizeof(a));
		snprintf(err, errlen, "--limit %s is more than --mem %s", a, b);
		return -ERANGE;
	}
	if (s->has_limit && s->limit_bytes == 0) {
		snprintf(err, errlen, "--limit must be above 0");
		return -ERANGE;
	}
	if (s->has_maxmemctl && s->maxmemctl_bytes > o->mem_bytes) {
		size_format_pair(s->maxmemctl_bytes, o->mem_bytes, a, b, sizeof(a));
		snprintf(err, errlen, "--maxmemctl %s is more than --mem %s", a, b);
		return -ERANGE;
	}
	if (o->initrd && !o->kernel) {
		snprintf(err, errlen, "--initrd needs --kernel");
		return -EINVAL;
	}
	if (o->ncmd == 1 && o->cmd[0][0] == '\0') {
		snprintf(err, errlen, "empty guest command");
		return -EINVAL;
	}
	return 0;
}

int cli_start_parse(int argc, char **argv, struct cli_start_opts *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {
	    {"mem", required_argument, NULL, 'm'},
	    {"cpus", required_argument, NULL, 'c'},
	    {"shares", required_argument, NULL, CLI_START_SHARES},
	    {"reservation", required_argument, NULL, CLI_START_RESERVATION},
	    {"limit", required_argument, NULL, CLI_START_LIMIT},
	    {"maxmemctl", required_argument, NULL, CLI_START_MAXMEMCTL},
	    {"guest-swap", required_argument, NULL, CLI_START_GUEST_SWAP},
	    {"no-free-page-reporting", no_argument, NULL, CLI_START_NO_FPR},
	    {"no-balloon-driver", no_argument, NULL, CLI_START_NO_BALLOON},
	    {"no-sharing", no_argument, NULL, CLI_START_NO_SHARING},
	    {"kernel", required_argument, NULL, CLI_START_KERNEL},
	    {"initrd", required_argument, NULL, CLI_START_INITRD},
	    CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	*o = (struct cli_start_opts){
	    .free_page_reporting = true, .balloon_driver = true, .sharing = true};
	int end = cli_find_dashdash(argc, argv);
	CLI_GETOPT_RESET();
	int c, r = 0;
	bool have_mem = false;
	while ((c = getopt_long(end, argv, ":m:c:" CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			r = cli_parse_size("--mem", optarg, &o->mem_bytes, err, errlen);
			have_mem = true;
			break;
		case 'c':
			r = cli_parse_uint("--cpus", optarg, 1, CLI_CPUS_MAX, &o->cpus, err,
					   errlen);
			break;
		case CLI_START_SHARES:
		case CLI_START_RESERVATION:
		case CLI_START_LIMIT:
		case CLI_START_MAXMEMCTL:
			r = cli_settings_parse(&o->settings,
					       (enum cli_setting)(c - CLI_START_SHARES), "--",
					       optarg, false, err, errlen);
			break;
		case CLI_START_GUEST_SWAP:
			r = cli_parse_size("--guest-swap", optarg, &o->guest_swap_bytes, err,
					   errlen);
			o->has_guest_swap = true;
			break;
		case CLI_START_NO_FPR:
			o->free_page_reporting = false;
			break;
		case CLI_START_NO_BALLOON:
			o->balloon_driver = false;
			break;
		case CLI_START_NO_SHARING:
			o->sharing = false;
			break;
		case CLI_START_KERNEL:
			o->kernel = optarg;
			break;
		case CLI_START_INITRD:
			o->initrd = optarg;
			break;
			CLI_COMMON_CASES(o);
		}
		if (r < 0)
			return r;
	}
	const char *pos[1];
	r = cli_parse_positionals(optind, end, argv, pos, 1, 1, err, errlen);
	if (r < 0)
		return r;
	o->name = pos[0];
	r = cli_parse_name(o->name, err, errlen);
	if (r < 0)
		return r;
	if (end < argc) {
		if (end + 1 == argc) {
			snprintf(err, errlen, "'--' but no guest command after it");
			return -EINVAL;
		}
		o->cmd = argv + end + 1;
		o->ncmd = argc - end - 1;
	}
	if (!have_mem) {
		snprintf(err, errlen, "--mem SIZE is required");
		return -EINVAL;
	}
	return cli_start_check(o, err, errlen);
}

json_object *cli_start_args(const struct cli_start_opts *o)
{
	json_object *a = json_object_new_object();
	if (!a)
		return NULL;
	json_object_object_add(a, "name", json_object_new_string(o->name));
	json_object_object_add(a, "mem", json_object_new_uint64(o->mem_bytes));
	if (o->cpus)
		json_object_object_add(a, "cpus", json_object_new_uint64(o->cpus));
	cli_settings_to_json(&o->settings, a);
	if (o->has_guest_swap)
		json_object_object_add(a, "guest_swap",
				       json_object_new_uint64(o->guest_swap_bytes));
	json_object_object_add(a, "free_page_reporting",
			       json_object_new_boolean(o->free_page_reporting));
	json_object_object_add(a, "balloon_driver", json_object_new_boolean(o->balloon_driver));
	if (!o->sharing)
		json_object_object_add(a, "sharing", json_object_new_boolean(false));
	if (o->kernel)
		json_object_object_add(a, "kernel", json_object_new_string(o->kernel));
	if (o->initrd)
		json_object_object_add(a, "initrd", json_object_new_string(o->initrd));
	if (o->ncmd > 0) {
		json_object *cmd = json_object_new_array();
		for (int i = 0; i < o->ncmd; i++)
			json_object_array_add(cmd, json_object_new_string(o->cmd[i]));
		json_object_object_add(a, "cmd", cmd);
	}
	return a;
}

/* Resolve a user's path to an absolute one that exists; exit status on failure. */
static int cli_start_abspath(const char *opt, const char *path, char *out)
{
	if (!realpath(path, out)) {
		cli_error("start", "%s %s: %s", opt, path, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

int cli_start_run(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_start_opts o;
	char err[256];
	int rc, r = cli_start_parse(argc, argv, &o, err, sizeof(err));
	if (cli_parse_done("start", r, err, cli_start_usage, &rc))
		return rc;
	char kernel[PATH_MAX], initrd[PATH_MAX];
	if (o.kernel) {
		rc = cli_start_abspath("--kernel", o.kernel, kernel);
		if (rc)
			return rc;
		o.kernel = kernel;
	}
	if (o.initrd) {
		rc = cli_start_abspath("--initrd", o.initrd, initrd);
		if (rc)
			return rc;
		o.initrd = initrd;
	}
	struct cli_ctx c = cli_ctx_with(ctx, o.socket);
	struct cli_reply reply;
	rc = cli_request_take(&c, "start", cli_start_args(&o), CLI_START_TIMEOUT_MS, &reply);
	if (rc != CLI_EXIT_OK)
		return rc;
	json_object *uuid;
	if (reply.result && json_object_object_get_ex(reply.result, "uuid", &uuid) &&
	    json_object_is_type(uuid, json_type_string))
		printf("started %s (uuid %s)\n", o.name,
		       cli_sanitize(json_object_get_string(uuid), err, sizeof(err)));
	else
		printf("started %s\n", o.name);
	cli_reply_free(&reply);
	return CLI_EXIT_OK;
}
