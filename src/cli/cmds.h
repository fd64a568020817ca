/*
 * Subcommands: options structs, pure parsers and request builders (unit-tested
 * without a daemon), and the run functions main dispatches to.
 *
 * Parsers take the subcommand's argv (argv[0] = its name; reordered by getopt, so it
 * must be writable), fill the struct and return 0, CLI_PARSE_HELP, or -EINVAL/-ERANGE
 * with a one-line message in err. They do no I/O. Every parser accepts -s/--socket
 * and -h/--help.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cli/cli.h"

/* Bounds blimpd enforces too (virt_meta_validate, virt_domain_spec): checked here so
 * a typo fails before anything is sent. */
#define CLI_SHARES_MAX 1000000000ULL
#define CLI_CPUS_MAX 64
#define CLI_EXEC_TIMEOUT_DEFAULT_MS 60000
#define CLI_EXEC_TIMEOUT_MAX_MS (24ULL * 3600 * 1000)
/* Slack on top of the guest command's own timeout before the CLI gives up. */
#define CLI_EXEC_SLACK_MS 15000
/* Booting a guest under TCG takes a while; the daemon answers once it runs. */
#define CLI_START_TIMEOUT_MS 300000
/* stop: the daemon destroys an ACPI-less guest after 10 s. */
#define CLI_STOP_TIMEOUT_MS 60000

/* The commands that send one request and print its answer: status, ls, stats, stop,
 * shutdown. cmd_simple.c holds their table and the one parser and runner they share:
 * at most one boolean flag besides -s/-h, nothing or one VM NAME. Each cmd_<name>.c
 * holds only the command's --help text and its printer. */
struct cli_simple_opts {
	const char *socket;
	const char *name; /* NULL unless the command takes NAME */
	bool flag;	  /* its flag: --json, --force, --keep-vms */
};
struct cli_simple_cmd {
	const char *name;     /* the subcommand, and the request it sends */
	const char *usage;    /* --help */
	const char *flag;     /* the flag's long name, NULL if none */
	char flag_short;      /* its short form, 0 if none */
	const char *flag_arg; /* request arg the flag is sent as, NULL: not sent */
	bool takes_name;      /* one positional VM NAME, sent as "name" */
	int timeout_ms;
	/* Print a successful reply's result. */
	void (*print)(const struct cli_simple_opts *o, json_object *result);
};
/* The table entry of a command, NULL if it is not one of these. */
const struct cli_simple_cmd *cli_simple_find(const char *name);
int cli_simple_parse(const struct cli_simple_cmd *cmd, int argc, char **argv,
		     struct cli_simple_opts *o, char *err, size_t errlen)
    __attribute__((warn_unused_result));
int cli_simple_run(const struct cli_simple_cmd *cmd, const struct cli_ctx *ctx, int argc,
		   char **argv);
extern const char cli_status_usage[], cli_ls_usage[], cli_stats_usage[], cli_stop_usage[],
    cli_shutdown_usage[];
void cli_status_print(const struct cli_simple_opts *o, json_object *result);
void cli_ls_print(const struct cli_simple_opts *o, json_object *result);
void cli_stats_print(const struct cli_simple_opts *o, json_object *result);
void cli_stop_print(const struct cli_simple_opts *o, json_object *result);
void cli_shutdown_print(const struct cli_simple_opts *o, json_object *result);

/* The memory settings start and set take; has_* says the user gave it. */
struct cli_vm_settings {
	bool has_shares, has_reservation, has_limit, has_maxmemctl;
	uint64_t shares;
	uint64_t reservation_bytes;
	uint64_t limit_bytes;
	uint64_t maxmemctl_bytes;
};

struct cli_start_opts {
	const char *socket;
	const char *name;
	uint64_t mem_bytes;
	uint64_t cpus; /* 0: daemon default (1) */
	struct cli_vm_settings settings;
	bool has_guest_swap;
	uint64_t guest_swap_bytes;
	bool free_page_reporting; /* default true */
	bool balloon_driver;	  /* default true */
	bool sharing;		  /* default true: false = <nosharepages/> */
	const char *kernel;	  /* NULL: the built-in guest */
	const char *initrd;
	char **cmd; /* guest command after "--" (points into argv), NULL if none */
	int ncmd;
};
int cli_start_parse(int argc, char **argv, struct cli_start_opts *o, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/* The `start` request's args; kernel/initrd as given (run makes them absolute). */
json_object *cli_start_args(const struct cli_start_opts *o);

struct cli_exec_opts {
	const char *socket;
	const char *name;
	uint64_t timeout_ms;
	char **cmd; /* after "--" */
	int ncmd;
};
int cli_exec_parse(int argc, char **argv, struct cli_exec_opts *o, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/* The guest's status as the CLI's exit status (0..255; out of range -> 255). */
int cli_exec_exit_status(json_object *result);

struct cli_balloon_opts {
	const char *socket;
	const char *name;
	uint64_t keep_bytes; /* memory the guest keeps: MCTLTGT = MEMSZ - keep */
	bool automatic;	     /* "auto": hand the balloon back to the policy */
};
int cli_balloon_parse(int argc, char **argv, struct cli_balloon_opts *o, char *err, size_t errlen)
    __attribute__((warn_unused_result));

struct cli_set_opts {
	const char *socket;
	const char *name;
	struct cli_vm_settings settings;
};
int cli_set_parse(int argc, char **argv, struct cli_set_opts *o, char *err, size_t errlen)
    __attribute__((warn_unused_result));
json_object *cli_set_args(const struct cli_set_opts *o);

struct cli_top_opts {
	const char *socket;
	bool batch;
	uint64_t iterations; /* 0: until q / Ctrl-C */
	uint64_t delay_ms;   /* default 1000 */
};
int cli_top_parse(int argc, char **argv, struct cli_top_opts *o, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* blimp config [--json] | config set KEY=VALUE... (cmd_config.c) */
struct cli_config_opts {
	const char *socket;
	bool json;
	bool set;
	char **pairs; /* KEY=VALUE, borrowed from argv */
	int n_pairs;
};
int cli_config_parse(int argc, char **argv, struct cli_config_opts *o, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/* {"values": {KEY: "VALUE", ...}} for config_set; NULL on ENOMEM. */
json_object *cli_config_set_args(const struct cli_config_opts *o);

/* Turn a getopt_long failure ('?' or ':') into a message. Returns -EINVAL. */
int cli_getopt_error(int c, char **argv, char *err, size_t errlen);
/* Report a parser's outcome: prints usage on CLI_PARSE_HELP (returns 0 via *exit_code),
 * or the error with a hint (exit 2). Returns true if the caller should return
 * *exit_code now. */
bool cli_parse_done(const char *cmd, int r, const char *err, const char *usage, int *exit_code);

int cli_status_run(const struct cli_ctx *ctx, int argc, char **argv);
int cli_start_run(const struct cli_ctx *ctx, int argc, char **argv);
int cli_stop_run(const struct cli_ctx *ctx, int argc, char **argv);
int cli_ls_run(const struct cli_ctx *ctx, int argc, char **argv);
int cli_exec_run(const struct cli_ctx *ctx, int argc, char **argv);
int cli_stats_run(const struct cli_ctx *ctx, int argc, char **argv);
int cli_balloon_run(const struct cli_ctx *ctx, int argc, char **argv);
int cli_set_run(const struct cli_ctx *ctx, int argc, char **argv);
int cli_top_run(const struct cli_ctx *ctx, int argc, char **argv);
int cli_shutdown_run(const struct cli_ctx *ctx, int argc, char **argv);
int cli_sim_run(const struct cli_ctx *ctx, int argc, char **argv);
int cli_config_run(const struct cli_ctx *ctx, int argc, char **argv);
