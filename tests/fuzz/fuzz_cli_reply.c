/*
 * libFuzzer target: what the CLI does with a reply line from whatever listens on the
 * socket: cli_reply_parse, then every formatter on the result (status, ls, stats,
 * top, batch CSV).
 * Invariants (trap on violation):
 *  - 0 with a root, or -EPROTO; an error reply always has a message and a terminated code;
 *  - formatted text holds no control character but '\n' and no non-ASCII byte (the
 *    daemon's strings never reach the terminal raw); batch CSV no control character;
 *  - every batch CSV row has as many fields as the header.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond)                                                                             \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "cli reply invariant broken: %s (line %d)\n", #cond,       \
				__LINE__);                                                         \
			__builtin_trap();                                                          \
		}                                                                                  \
	} while (0)

static void fz_clean_text(const char *s, size_t n, bool allow_utf8)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\n') || c == 0x7f || (c > 0x7f && !allow_utf8)) {
			fprintf(stderr, "byte 0x%02x at %zu in:\n%.*s\n", c, i, (int)n, s);
			FZ_CHECK(!"raw control or non-ASCII byte in terminal output");
		}
	}
}

/* Fields of one CSV line, honouring "..." quoting. */
static size_t fz_csv_fields(const char *s, size_t n)
{
	size_t fields = 1;
	bool q = false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			q = !q;
		else if (s[i] == ',' && !q)
			fields++;
	}
	return fields;
}

typedef void (*fz_fmt)(json_object *, FILE *);

static void fz_top(json_object *o, FILE *f)
{
	cli_format_top(o, "12:00:00", f);
}

static void fz_text(fz_fmt fn, json_object *o)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	if (!f)
		abort();
	fn(o, f);
	fclose(f);
	fz_clean_text(text, n, false);
	free(text);
}

static void fz_csv(json_object *o)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	if (!f)
		abort();
	cli_format_csv_header(f);
	cli_format_csv_rows(o, 1700000000000ULL, f);
	fclose(f);
	fz_clean_text(text, n, true); /* CSV keeps UTF-8 for programs */
	const char *nl = memchr(text, '\n', n);
	FZ_CHECK(nl);
	size_t want = fz_csv_fields(text, (size_t)(nl - text));
	for (const char *p = nl + 1; p < text + n;) {
		const char *e = memchr(p, '\n', (size_t)(text + n - p));
		FZ_CHECK(e); /* every row ends its line */
		FZ_CHECK(fz_csv_fields(p, (size_t)(e - p)) == want);
		p = e + 1;
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_reply r;
	memset(&r, 0, sizeof(r));
	int rc = cli_reply_parse((const char *)data, size, &r);
	if (rc != 0) {
		FZ_CHECK(rc == -EPROTO || rc == -ENOMEM);
		return 0;
	}
	FZ_CHECK(r.root);
	if (!r.ok) {
		FZ_CHECK(memchr(r.code, 0, sizeof(r.code)) && r.message);
		char buf[256];
		fz_clean_text(cli_sanitize(r.message, buf, sizeof(buf)), strlen(buf), false);
	} else {
		json_object *res = r.result;
		fz_text(cli_format_status, res);
		fz_text(cli_format_ls, res);
		fz_text(cli_format_stats, cli_json_unwrap(res, "vm"));
		fz_text(fz_top, res);
		fz_csv(res);
	}
	cli_reply_free(&r);
	return 0;
}
