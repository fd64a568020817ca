/*
 * DESIGN: events as logfmt lines. A value is written bare when every byte is a
 * printable ASCII character other than space, '"', '=' and '\'; otherwise it is
 * quoted, with \" \\ \n \r \t and \xHH for every other control or non-ASCII byte, so
 * a line stays one line and a grep for `vm=NAME` cannot be fooled by a name holding
 * " vm=other". Keys come from the code but are still reduced to [a-z0-9_].
 */
#include "util/event.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"

#define EVENT_KV_MAX 16

static enum event_sink event_sink_cur = EVENT_SINK_STDERR;

struct event_buf {
	char *p;
	size_t len, used;
	bool full;
};

static void put(struct event_buf *b, const char *s, size_t n)
{
	if (b->full || b->used + n >= b->len) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->used, s, n);
	b->used += n;
	b->p[b->used] = '\0';
}

static bool bare_ok(const char *v)
{
	if (!*v)
		return false;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '=' || *p == '\\')
			return false;
	return true;
}

static void put_value(struct event_buf *b, const char *v)
{
	size_t n = strnlen(v, EVENT_VALUE_MAX + 1);
	bool cut = n > EVENT_VALUE_MAX;
	if (cut)
		n = EVENT_VALUE_MAX;
	if (!cut && bare_ok(v)) {
		put(b, v, n);
		return;
	}
	put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(b, esc, 2);
		} else if (c == '\n') {
			put(b, "\\n", 2);
		} else if (c == '\r') {
			put(b, "\\r", 2);
		} else if (c == '\t') {
			put(b, "\\t", 2);
		} else if (c < 0x20 || c >= 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			put(b, esc, 4);
		} else {
			put(b, (const char *)&c, 1);
		}
	}
	if (cut)
		put(b, "...", 3);
	put(b, "\"", 1);
}

static void put_key(struct event_buf *b, const char *k)
{
	char key[64];
	size_t n = 0;
	for (; k && k[n] && n < sizeof(key) - 1; n++) {
		char c = k[n];
		key[n] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ? c
			 : c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a')
						: '_';
	}
	if (!n)
		key[n++] = '_';
	put(b, key, n);
}

size_t event_format(char *buf, size_t len, const char *name, const char *const *kv, size_t n)
{
	if (!len)
		return 0;
	buf[0] = '\0';
	/* fields stop short of the end, so the truncation mark always fits after them */
	static const char mark[] = " truncated=1";
	size_t room = len > 2 * sizeof(mark) ? len - (sizeof(mark) - 1) : len;
	struct event_buf b = {.p = buf, .len = room};
	put(&b, "event=", 6);
	put_key(&b, name);
	for (size_t i = 0; i < n; i++) {
		size_t before = b.used;
		put(&b, " ", 1);
		put_key(&b, kv[2 * i]);
		put(&b, "=", 1);
		put_value(&b, kv[2 * i + 1] ? kv[2 * i + 1] : "");
		if (b.full) {
			/* cut at the last whole field, and say so if it fits */
			b.used = before;
			buf[before] = '\0';
			b.full = false;
			b.len = len;
			put(&b, mark, sizeof(mark) - 1);
			break;
		}
	}
	return b.used;
}

bool event_journal_stream_is(const char *js, dev_t dev, ino_t ino)
{
	if (!js || !*js)
		return false;
	char *end;
	unsigned long long d = strtoull(js, &end, 10);
	if (end == js || *end != ':')
		return false;
	const char *p = end + 1;
	unsigned long long i = strtoull(p, &end, 10);
	if (end == p || *end != '\0')
		return false;
	return d == (unsigned long long)dev && i == (unsigned long long)ino;
}

void event_init(void)
{
	struct stat st;
	if (fstat(STDERR_FILENO, &st) == 0 &&
	    event_journal_stream_is(getenv("JOURNAL_STREAM"), st.st_dev, st.st_ino))
		event_sink_cur = EVENT_SINK_JOURNAL;
	else
		event_sink_cur = EVENT_SINK_STDERR;
}

void event_set_sink(enum event_sink s)
{
	event_sink_cur = s;
}

enum event_sink event_get_sink(void)
{
	return event_sink_cur;
}

void event_emit(enum event_prio prio, const char *name, ...)
{
	const char *kv[2 * EVENT_KV_MAX];
	size_t n = 0;
	va_list ap;
	va_start(ap, name);
	for (const char *k; n < EVENT_KV_MAX && (k = va_arg(ap, const char *));) {
		kv[2 * n] = k;
		kv[2 * n + 1] = va_arg(ap, const char *);
		n++;
	}
	va_end(ap);
	char line[EVENT_LINE_MAX];
	event_format(line, sizeof(line), name, kv, n);
	if (event_sink_cur == EVENT_SINK_JOURNAL &&
	    event_journal_send(prio, name, line, kv, n) == 0)
		return;
	enum log_level lvl = prio <= EVENT_ERR	     ? LOG_ERR
			     : prio == EVENT_WARNING ? LOG_WARN
						     : LOG_INFO;
	log_msg(lvl, "event", "%s", line);
}
