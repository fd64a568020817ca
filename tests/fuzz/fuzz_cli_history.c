/*
 * libFuzzer target: a `history` reply from whatever listens on the socket, through
 * cli_history_page as CSV and as the table.
 * Invariants (trap on violation):
 *  - no control character but '\n' and no non-ASCII byte in either output;
 *  - every CSV line (header included) has the header's 17 fields and no quote (names
 *    are checked, everything else is a number or a fixed word);
 *  - the rows counted are the lines written.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/history.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond)                                                                             \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "cli history invariant broken: %s (line %d)\n", #cond,     \
				__LINE__);                                                         \
			__builtin_trap();                                                          \
		}                                                                                  \
	} while (0)

static void fz_run(json_object *o, bool csv)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	if (!f)
		abort();
	struct cli_history_rows r;
	cli_history_rows_init(&r, csv);
	cli_history_header(&r, f);
	uint64_t rows = cli_history_page(o, f, &r);
	fclose(f);
	uint64_t lines = 0;
	size_t commas = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		FZ_CHECK(!((c < 0x20 && c != '\n') || c >= 0x7f));
		if (csv)
			FZ_CHECK(c != '"');
		if (c == ',')
			commas++;
		if (c == '\n') {
			lines++;
			if (csv)
				FZ_CHECK(commas == 16);
			commas = 0;
		}
	}
	FZ_CHECK(n == 0 || text[n - 1] == '\n');
	FZ_CHECK(lines == rows + 1);
	FZ_CHECK(r.rows == rows && r.n_names <= CLI_HISTORY_VMS_MAX);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	if (!tok)
		return 0;
	json_object *o = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	fz_run(o, true);
	fz_run(o, false);
	json_object_put(o);
	return 0;
}
