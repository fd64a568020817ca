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
