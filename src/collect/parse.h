/*
 * Shared helpers for the collectors: read a small file in one go into a caller's
 * buffer, walk lines of a length-delimited buffer (NUL bytes are ordinary
 * characters, never terminators), match a field name anchored at the line start,
 * and parse decimal numbers without overflow.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COLLECT_WUR __attribute__((warn_unused_result))
#define COLLECT_KIB 1024ULL

/* Read all of `path` into buf (at most cap-1 bytes; buf is NUL-terminated for
 * convenience, parsers use *len). -ENOENT if missing, -EFBIG if it does not fit,
 * other -errno from open/read. */
int collect_file_read(const char *path, char *buf, size_t cap, size_t *len) COLLECT_WUR;
/* Same, relative to a directory fd (openat). */
int collect_file_readat(int dirfd, const char *name, char *buf, size_t cap,
			size_t *len) COLLECT_WUR;
/* Read an already open fd from offset 0 (pread): lets a caller keep /proc files
 * open and re-read them every tick without open/close. */
int collect_fd_read(int fd, char *buf, size_t cap, size_t *len) COLLECT_WUR;

/* Line iterator over [p, end). A final line without '\n' is still a line. */
struct collect_lines {
	const char *p;
	const char *end;
};
static inline void collect_lines_init(struct collect_lines *it, const char *buf, size_t len)
{
	it->p = buf;
	it->end = buf + len;
}
bool collect_lines_next(struct collect_lines *it, const char **line, size_t *len);

/* If the line starts with `name` immediately followed by `sep`, return a pointer
 * just past the separator, else NULL. Anchored: "MemFree" never matches
 * "HugeMemFree:" or "MemFreeX:". */
const char *collect_field(const char *line, size_t len, const char *name, char sep);

/* Skip spaces and tabs. */
const char *collect_skip_blanks(const char *p, const char *end);

/* Parse an unsigned decimal at *pp (leading blanks skipped; at least one digit).
 * Advances *pp past the digits. -EINVAL if no digit, -ERANGE on overflow. */
int collect_u64_parse(const char **pp, const char *end, uint64_t *out) COLLECT_WUR;
/* Signed variant ("-12"). */
int collect_i64_parse(const char **pp, const char *end, int64_t *out) COLLECT_WUR;

/* The rest of the line is only blanks (and optionally the unit word `unit`,
 * e.g. "kB"; pass NULL for none). Returns true if so. */
bool collect_rest_is(const char *p, const char *end, const char *unit);

/* The value part of a "Name: N kB" line, p to end: bytes. -EINVAL unless it is a
 * number followed by "kB" (and blanks), -ERANGE on overflow. */
int collect_kb_value(const char *p, const char *end, uint64_t *bytes) COLLECT_WUR;
/* Lines "Name: N kB" (/proc/meminfo, /proc/PID/status) for a table
 * of n names (n <= 64): bytes[i] and bit i of *found for each name seen; other
 * lines are skipped. -EINVAL on a malformed value of a listed name, -ERANGE when
 * the byte count overflows. */
int collect_kb_fields_parse(const char *buf, size_t len, const char *const *names, size_t n,
			    uint64_t *bytes, uint64_t *found) COLLECT_WUR;

/* Read the small files names[0..n) of directory dir (sysfs style: one value each,
 * at most 127 bytes, else -EINVAL) and hand each to parse(name, buf, len, ctx); a
 * missing file is skipped. Stops at the first error. 0 or -errno. */
int collect_dir_files_read(const char *dir, const char *const *names, size_t n,
			   int (*parse)(const char *name, const char *buf, size_t len, void *ctx),
			   void *ctx) COLLECT_WUR;

/* One value from a sysfs-style file ("123\n"): the whole buffer must be one
 * unsigned number plus optional trailing whitespace. */
int collect_u64_whole(const char *buf, size_t len, uint64_t *out) COLLECT_WUR;

/* a * b, saturating at UINT64_MAX; returns true if it saturated. */
static inline bool collect_mul_sat(uint64_t a, uint64_t b, uint64_t *out)
{
	if (__builtin_mul_overflow(a, b, out)) {
		*out = UINT64_MAX;
		return true;
	}
	return false;
}
static inline uint64_t collect_add_sat(uint64_t a, uint64_t b)
{
	uint64_t r;
	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}
static inline uint64_t collect_sub_floor(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}
