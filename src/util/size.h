/* Human sizes: "512M", "1.5G", "4096", "2GiB". */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* Parse a size with an optional K/M/G/T suffix (powers of 1024; "KiB"/"KB"/"k" all
 * accepted, a bare number is bytes). Rejects empty, negative, overflow and trailing
 * garbage with -EINVAL / -ERANGE. */
int size_parse(const char *s, uint64_t *out_bytes) __attribute__((warn_unused_result));
/* Format bytes as e.g. "512.0M" into buf. Returns buf. */
const char *size_format(uint64_t bytes, char *buf, size_t len);
/* Two sizes a message compares ("1536.5M above 1536.0M"), in one unit and with enough
 * precision that different values never print alike: the smaller value's unit (at most
 * one below the larger's) with one decimal, then smaller units down to exact bytes
 * ("1610612737B") until the two texts differ. Equal values print alike. abuf and bbuf
 * hold len bytes each (32 is always enough). */
void size_format_pair(uint64_t a, uint64_t b, char *abuf, char *bbuf, size_t len);
