/*
 * Pure formatting of daemon results for people (text) and programs (CSV): status,
 * ls table, stats, the top screen and top's batch CSV. Every function reads a json-c
 * object and writes to a FILE, so tests use open_memstream. Values the daemon left out
 * or sent with the wrong type print as "-" (text) or an empty field (CSV); strings are
 * stripped of control characters before they reach a terminal.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

/* Typed lookups: false when the key is absent, null or of another type. Sizes and
 * counts must be non-negative integers. */
bool cli_json_u64(json_object *o, const char *key, uint64_t *out);
bool cli_json_bool(json_object *o, const char *key, bool *out);
/* A count or a flag: a non-negative integer, or a boolean as 0/1 (e.g. ksm_run). */
bool cli_json_count(json_object *o, const char *key, uint64_t *out);
const char *cli_json_str(json_object *o, const char *key); /* NULL if not a string */
/* Member `key` if it is an object, else o itself (results may wrap `vm`/`host`). */
json_object *cli_json_unwrap(json_object *o, const char *key);

/* Copy s to buf replacing control characters and non-ASCII bytes with '?'. */
const char *cli_sanitize(const char *s, char *buf, size_t len);
/* Human size of o[key] ("512.0M") or "-". */
const char *cli_fmt_size(json_object *o, const char *key, char *buf, size_t len);

/* `blimp status` text (result of the `status` command). */
void cli_format_status(json_object *result, FILE *out);
/* One line "<label>working sets exceed the budget: X missing ..." when the host object
 * reports a working-set shortfall (status and top); nothing otherwise. */
void cli_format_wsalarm(json_object *host, const char *label, FILE *out);
/* `blimp ls` table (result of `ls`: {"vms":[...]}). */
void cli_format_ls(json_object *result, FILE *out);
/* A reply's object on stdout: as JSON (json_flags, e.g. JSON_C_TO_STRING_PRETTY) when
 * json is set, else through the command's text formatter. */
void cli_print_result(json_object *o, bool json, int json_flags,
		      void (*format)(json_object *, FILE *));
/* `blimp stats` text: every figure of a `vm` object, vocabulary names. */
void cli_format_stats(json_object *vm, FILE *out);
/* The balloon ERANGE message: "balloon would take 400.0M, more than MCTLMAX 332.8M". */
void cli_format_balloon_range(uint64_t memsz, uint64_t mctlmax, uint64_t keep_bytes, char *buf,
			      size_t len);

/* `blimp top` screen body (no escape codes): host lines, header, one row per VM.
 * `clock` is the wall time shown in the first line (may be NULL). */
void cli_format_top(json_object *result, const char *clock, FILE *out);
/* One VM row of the top table (same columns as cli_format_top's header). */
void cli_format_top_row(json_object *vm, FILE *out);
/* Batch CSV: the header line, then the rows of one iteration (a row per VM, or one
 * row with host columns only when there are no VMs). time_ms is Unix time. */
void cli_format_csv_header(FILE *out);
void cli_format_csv_rows(json_object *result, uint64_t time_ms, FILE *out);
