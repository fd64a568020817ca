/*
 * The journal's half of events (util/event.h): sd_journal_sendv with MESSAGE (the
 * logfmt line), PRIORITY, SYSLOG_IDENTIFIER, BLIMP_EVENT and one BLIMP_<KEY> field per
 * pair, so `journalctl BLIMP_EVENT=host_state` or `journalctl BLIMP_VM=vm1` finds them.
 * Kept apart from event.c: sd-journal.h brings syslog.h, whose LOG_* clash with log.h.
 */
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include <systemd/sd-journal.h>

#include "util/event.h"

#define EVENT_FIELDS_MAX 16

/* "BLIMP_" + key upper-cased, [A-Z0-9_] only (journal field names), then "=" value. */
static int field(char *buf, size_t len, const char *key, const char *value)
{
	size_t n = (size_t)snprintf(buf, len, "BLIMP_");
	for (const char *k = key; k && *k && n + 1 < len && n < 64; k++) {
		char c = *k;
		buf[n++] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A')
			   : (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c
									      : '_';
	}
	int w = snprintf(buf + n, len - n, "=%.*s", EVENT_VALUE_MAX, value ? value : "");
	return w < 0 ? -1 : (int)(n + (size_t)w < len ? n + (size_t)w : len - 1);
}

int event_journal_send(enum event_prio prio, const char *name, const char *line,
		       const char *const *kv, size_t n)
{
	if (n > EVENT_FIELDS_MAX)
		n = EVENT_FIELDS_MAX;
	char msg[EVENT_LINE_MAX + 16], pri[16], ev[96];
	char fields[EVENT_FIELDS_MAX][EVENT_VALUE_MAX + 80];
	struct iovec iov[4 + EVENT_FIELDS_MAX + 1];
	size_t k = 0;
	int m = snprintf(msg, sizeof(msg), "MESSAGE=%s", line);
	iov[k++] = (struct iovec){msg, (size_t)m < sizeof(msg) ? (size_t)m : sizeof(msg) - 1};
	m = snprintf(pri, sizeof(pri), "PRIORITY=%d", (int)prio);
	iov[k++] = (struct iovec){pri, (size_t)m};
	iov[k++] = (struct iovec){(void *)"SYSLOG_IDENTIFIER=blimpd", 24};
	m = snprintf(ev, sizeof(ev), "BLIMP_EVENT=%.80s", name);
	iov[k++] = (struct iovec){ev, (size_t)m};
	for (size_t i = 0; i < n; i++) {
		int w = field(fields[i], sizeof(fields[i]), kv[2 * i], kv[2 * i + 1]);
		if (w > 0)
			iov[k++] = (struct iovec){fields[i], (size_t)w};
	}
	return sd_journal_sendv(iov, (int)k);
}
