/* Logging with level and component, printf-format checked, rate-limitable. */
#pragma once
#include <stdint.h>
#include <stdbool.h>

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parse "error|warn|info|debug"; returns 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);

void log_msg(enum log_level level, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A token bucket for messages a guest or client can trigger: at most `burst`
 * messages, refilled at one per `interval_ms`. Returns true if the caller may log.
 * `now_ms` comes from the caller (monotonic). Suppressed messages are counted. */
struct log_ratelimit {
	uint32_t interval_ms;
	uint32_t burst;
	uint32_t tokens;
	uint64_t last_ms;
	uint64_t suppressed;
};
bool log_ratelimit_ok(struct log_ratelimit *rl, uint64_t now_ms);

#define log_err(comp, ...) log_msg(LOG_ERR, comp, __VA_ARGS__)
#define log_warn(comp, ...) log_msg(LOG_WARN, comp, __VA_ARGS__)
#define log_info(comp, ...) log_msg(LOG_INFO, comp, __VA_ARGS__)
#define log_debug(comp, ...)                                                                       \
	do {                                                                                       \
		if (log_get_level() >= LOG_DEBUG)                                                  \
			log_msg(LOG_DEBUG, comp, __VA_ARGS__);                                     \
	} while (0)
