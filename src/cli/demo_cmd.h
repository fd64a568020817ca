/* `blimp demo`: the subcommand's entry point (src/cli/cmd_demo.c, docs/demo.md). */
#pragma once
#include "cli/cli.h"

int cli_demo_run(const struct cli_ctx *ctx, int argc, char **argv);
