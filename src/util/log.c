#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum log_level log_level_cur = LOG_INFO;
static const char *const log_level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level level)
{
	log_level_cur = level;
}

enum log_level log_get_level(void)
{
	return log_level_cur;
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (unsigned i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++) {
		if (strcmp(s, log_level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void log_msg(enum log_level level, const char *component, const char *fmt, ...)
{
	if (level > log_level_cur)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char stamp[32];
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s.%03ld %-5s %-8s %s\n", stamp, ts.tv_nsec / 1000000,
		log_level_names[level], component, line);
}

bool log_ratelimit_ok(struct log_ratelimit *rl, uint64_t now_ms)
{
	if (rl->interval_ms == 0)
		return true;
	if (rl->last_ms == 0) {
		rl->tokens = rl->burst;
		rl->last_ms = now_ms;
	}
	if (now_ms > rl->last_ms) {
		uint64_t refill = (now_ms - rl->last_ms) / rl->interval_ms;
		if (refill > 0) {
			uint64_t t = rl->tokens + refill;
			rl->tokens = t > rl->burst ? rl->burst : (uint32_t)t;
			rl->last_ms += refill * rl->interval_ms;
		}
	}
	if (rl->tokens == 0) {
		rl->suppressed++;
		return false;
	}
	rl->tokens--;
	return true;
}
