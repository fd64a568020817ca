/* Events: logfmt formatting of hostile values, truncation, and the journal detection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/event.h"

static const char *fmt(char *buf, size_t len, const char *name, const char *const *kv, size_t n)
{
	size_t w = event_format(buf, len, name, kv, n);
	assert_int_equal(w, strlen(buf));
	return buf;
}

static void test_plain_and_quoted(void **state)
{
	(void)state;
	char b[EVENT_LINE_MAX];
	const char *kv[] = {"from", "soft", "to", "hard", "free_bytes", "123"};
	assert_string_equal(fmt(b, sizeof(b), "host_state", kv, 3),
			    "event=host_state from=soft to=hard free_bytes=123");
	const char *hostile[] = {"vm",	 "a b", "q",   "say \"hi\"", "nl",    "x\ny",
				 "eq",	 "k=v", "bs",  "c:\\d",	     "empty", "",
				 "null", NULL,	"ctl", "\x1b[2J",    "utf8",  "caf\xc3\xa9"};
	assert_string_equal(fmt(b, sizeof(b), "vm_adopted", hostile, 9),
			    "event=vm_adopted vm=\"a b\" q=\"say \\\"hi\\\"\" nl=\"x\\ny\" "
			    "eq=\"k=v\" bs=\"c:\\\\d\" empty=\"\" null=\"\" ctl=\"\\x1b[2J\" "
			    "utf8=\"caf\\xc3\\xa9\"");
	/* a name cannot forge another field: the whole value stays one quoted field */
	const char *forge[] = {"vm", "x vm=victim", "tab", "a\tb\r"};
	assert_string_equal(fmt(b, sizeof(b), "vm_lost", forge, 2),
			    "event=vm_lost vm=\"x vm=victim\" tab=\"a\\tb\\r\"");
	/* keys are the code's, still reduced to [a-z0-9_] */
	const char *keys[] = {"Free Bytes", "1", "", "2"};
	assert_string_equal(fmt(b, sizeof(b), "Odd Name", keys, 2),
			    "event=odd_name free_bytes=1 _=2");
}

static void test_truncation(void **state)
{
	(void)state;
	char big[EVENT_VALUE_MAX * 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	char b[EVENT_LINE_MAX];
	const char *kv[] = {"message", big};
	fmt(b, sizeof(b), "request_refused", kv, 1);
	/* cut at EVENT_VALUE_MAX, quoted, marked */
	assert_int_equal(strlen(b),
			 strlen("event=request_refused message=\"\"...") + EVENT_VALUE_MAX);
	assert_non_null(strstr(b, "...\""));
	/* many long fields: cut at a whole field, then truncated=1, within the buffer */
	const char *many[16];
	for (int i = 0; i < 8; i++) {
		many[2 * i] = "m";
		many[2 * i + 1] = big;
	}
	size_t w = event_format(b, sizeof(b), "x", many, 8);
	assert_true(w < sizeof(b));
	assert_non_null(strstr(b, " truncated=1"));
	assert_int_equal(b[w - 1], '1');
	assert_null(strchr(b, '\n'));
	/* a tiny buffer never overflows */
	char tiny[8];
	event_format(tiny, sizeof(tiny), "host_state", kv, 1);
	assert_true(strlen(tiny) < sizeof(tiny));
}

static void test_journal_stream(void **state)
{
	(void)state;
	assert_true(event_journal_stream_is("8:12345", 8, 12345));
	assert_false(event_journal_stream_is("8:12345", 8, 12346));
	assert_false(event_journal_stream_is("9:12345", 8, 12345));
	assert_false(event_journal_stream_is(NULL, 8, 12345));
	assert_false(event_journal_stream_is("", 8, 12345));
	assert_false(event_journal_stream_is("8:", 8, 0));
	assert_false(event_journal_stream_is(":5", 0, 5));
	assert_false(event_journal_stream_is("8:12345x", 8, 12345));
	assert_false(event_journal_stream_is("8-12345", 8, 12345));
}

/* To stderr through the logger when not under the journal. */
static void test_emit_stderr(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	FILE *saved = stderr;
	stderr = m;
	event_set_sink(EVENT_SINK_STDERR);
	event_emit(EVENT_WARNING, "host_state", "from", "soft", "to", "hard", NULL);
	stderr = saved;
	fclose(m);
	assert_non_null(strstr(buf, " warn  event    event=host_state from=soft to=hard\n"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_and_quoted),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_journal_stream),
	    cmocka_unit_test(test_emit_stderr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
