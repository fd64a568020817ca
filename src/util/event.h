/*
 * Events an operator can search (docs/daemon.md, "Events"): one structured line per
 * host state change, host-swap rescue, refusal, VM adopted or lost. The line is logfmt,
 * `event=NAME key=value ...`, values quoted and escaped when they hold anything but
 * plain characters (domain names and client messages are hostile input). Under
 * systemd (stderr is the journal's stream) an event goes to the journal natively with
 * its priority and fields BLIMP_EVENT=NAME, BLIMP_<KEY>=value; elsewhere to stderr
 * through the logger.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* syslog's priorities (not included here: its LOG_* names clash with util/log.h) */
enum event_prio {
	EVENT_ERR = 3,
	EVENT_WARNING = 4,
	EVENT_NOTICE = 5,
	EVENT_INFO = 6,
};

/* Longest line; a longer one is cut at a field boundary and ends in "truncated=1". */
#define EVENT_LINE_MAX 1024
/* Longest value kept (before escaping); longer ones end in "...". */
#define EVENT_VALUE_MAX 256

/* The line for event name and n key/value pairs (kv[2i], kv[2i+1]; a NULL value is
 * written empty) into buf (EVENT_LINE_MAX is enough). Returns its length. */
size_t event_format(char *buf, size_t len, const char *name, const char *const *kv, size_t n);

/* Emit an event: name, then key, value pairs, then NULL. */
void event_emit(enum event_prio prio, const char *name, ...) __attribute__((sentinel));

/* Where events go: decided once (event_init), or forced (tests, --log-target). */
enum event_sink { EVENT_SINK_STDERR, EVENT_SINK_JOURNAL };
void event_init(void);
void event_set_sink(enum event_sink s);
enum event_sink event_get_sink(void);
/* systemd.exec(5): JOURNAL_STREAM is "DEV:INODE" of the stream stderr was connected to;
 * stderr is still the journal only if its fstat matches (a child may have redirected
 * it). Pure, for tests. */
bool event_journal_stream_is(const char *journal_stream, dev_t dev, ino_t ino);

/* The journal's half (event_journal.c): send one event natively. 0 or -errno. */
int event_journal_send(enum event_prio prio, const char *name, const char *line,
		       const char *const *kv, size_t n);
