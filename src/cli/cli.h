/*
 * The `blimp` command-line client: shared context, exit statuses and helpers every
 * subcommand uses. Each subcommand lives in its own cmd_<name>.c with a pure
 * argument parser (declared in cmds.h, unit-tested) and a run function that talks to
 * blimpd through cli/client.h; the commands that are one request and one printed
 * answer share the parser and runner in cmd_simple.c.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cli/client.h"

#define CLI_DEFAULT_SOCKET "/run/blimp/blimpd.sock"

/* Exit statuses (docs/cli.md). */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_DAEMON = 1,	  /* blimpd answered with an error */
	CLI_EXIT_USAGE = 2,	  /* bad command line (nothing was sent) */
	CLI_EXIT_UNREACHABLE = 3, /* no answer: not running, refused, timed out, broken */
};

/* A parser's outcome besides 0 and -errno: the user asked for --help. */
#define CLI_PARSE_HELP 1

/* Default deadline for one request (start and exec set their own). */
#define CLI_TIMEOUT_MS 30000

struct cli_ctx {
	const char *socket_path;
};

/* "blimp: <cmd>: <message>" on stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Resolve the socket: -s flag, else $BLIMP_SOCKET, else the default. */
const char *cli_socket_path(const char *flag);

/* Send one request on a fresh connection. On success returns CLI_EXIT_OK with *reply
 * filled (caller frees with cli_reply_free). Otherwise prints the error as
 * "blimp: <cmd>: ..." and returns CLI_EXIT_DAEMON or CLI_EXIT_UNREACHABLE; *reply is
 * then empty, except that a daemon error leaves its code in reply->code. */
int cli_request(const struct cli_ctx *ctx, const char *cmd, json_object *args, int timeout_ms,
		struct cli_reply *reply);
/* Like cli_request but prints nothing for daemon errors (the caller words them);
 * returns CLI_EXIT_DAEMON with reply->ok false and the code/message kept. */
int cli_request_quiet(const struct cli_ctx *ctx, const char *cmd, json_object *args, int timeout_ms,
		      struct cli_reply *reply);
/* cli_request with args a builder made, freed here. NULL args (the builder ran out of
 * memory) is reported as "blimp: <cmd>: out of memory" and CLI_EXIT_DAEMON, nothing
 * sent. */
int cli_request_take(const struct cli_ctx *ctx, const char *cmd, json_object *args, int timeout_ms,
		     struct cli_reply *reply);
/* Describe a transport error (-errno from the client) for the user. */
const char *cli_transport_strerror(int err, char *buf, size_t len);

/* Validation shared by parsers. VM names: [A-Za-z0-9][A-Za-z0-9_.-]{0,62}. */
bool cli_name_valid(const char *name);
/* Parse a size for option `what`; on error writes "<what>: invalid size 'x'" to err. */
int cli_parse_size(const char *what, const char *s, uint64_t *out, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/* Parse an unsigned decimal integer in [min, max]. */
int cli_parse_uint(const char *what, const char *s, uint64_t min, uint64_t max, uint64_t *out,
		   char *err, size_t errlen) __attribute__((warn_unused_result));
/* Parse seconds as a decimal ("1", "0.5") into milliseconds, in [min_ms, max_ms]. */
int cli_parse_seconds(const char *what, const char *s, uint64_t min_ms, uint64_t max_ms,
		      uint64_t *out_ms, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/* Find a literal "--" in argv[1..argc-1]; returns its index or argc. */
int cli_find_dashdash(int argc, char **argv);

/* Subcommand table, used by main and `blimp --help`. */
struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(const struct cli_ctx *ctx, int argc, char **argv); /* argv[0] = name */
	bool hidden;
};
extern const struct cli_command cli_commands[];
const struct cli_command *cli_command_find(const char *name);
