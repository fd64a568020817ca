#include "util/size.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int size_parse(const char *s, uint64_t *out_bytes)
{
	if (!s)
		return -EINVAL;
	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s) && *s != '.')
		return -EINVAL;
	/* Only plain decimal: strtod would also take hex, exponents, "inf". */
	size_t num = strspn(s, "0123456789.");
	if (num == 0 || num > 32 || memchr(s, '.', num) != memrchr(s, '.', num))
		return -EINVAL;
	errno = 0;
	char *end = NULL;
	double v = strtod(s, &end);
	if (end != s + num)
		end = (char *)s + num; /* "1." style: strtod stops where we do */
	if (errno == ERANGE || end == s || !isfinite(v) || v < 0)
		return errno == ERANGE ? -ERANGE : -EINVAL;
	double mult = 1;
	switch (toupper((unsigned char)*end)) {
	case 'K': mult = 1024.0; end++; break;
	case 'M': mult = 1024.0 * 1024; end++; break;
	case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
	case 'T': mult = 1024.0 * 1024 * 1024 * 1024; end++; break;
	case 'B': break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (mult > 1 && (strcasecmp(end, "iB") == 0 || strcasecmp(end, "B") == 0))
		end += strlen(end);
	else if (mult == 1 && strcasecmp(end, "B") == 0)
		end++;
	if (*end != '\0')
		return -EINVAL;
	double bytes = v * mult;
	if (bytes >= 18446744073709551615.0)
		return -ERANGE;
	if (mult == 1 && floor(v) != v)
		return -EINVAL;
	*out_bytes = (uint64_t)bytes;
	return 0;
}

/* The unit size_format picks for bytes: 0 bytes, 1 K, 2 M, 3 G, 4 T. */
static unsigned size_unit(uint64_t bytes)
{
	unsigned u = 0;
	for (double v = (double)bytes; v >= 1024 && u < 4; v /= 1024)
		u++;
	return u;
}

/* bytes in unit u (as size_unit), one decimal; exact for u == 0, with suffix "B" when
 * bytes_suffix (a bare number is bytes too, but reads oddly next to "1.5G"). */
static void size_format_in(uint64_t bytes, unsigned u, bool bytes_suffix, char *buf, size_t len)
{
	static const char units[] = "BKMGT";
	if (u == 0) {
		snprintf(buf, len, "%llu%s", (unsigned long long)bytes, bytes_suffix ? "B" : "");
		return;
	}
	double v = (double)bytes;
	for (unsigned i = 0; i < u; i++)
		v /= 1024;
	snprintf(buf, len, "%.1f%c", v, units[u]);
}

const char *size_format(uint64_t bytes, char *buf, size_t len)
{
	size_format_in(bytes, size_unit(bytes), false, buf, len);
	return buf;
}

void size_format_pair(uint64_t a, uint64_t b, char *abuf, char *bbuf, size_t len)
{
	/* The smaller value's unit, but at most one below the larger's: "1024.0M above
	 * 768.0M", "2048.0M above 0.0M" rather than "2147483648B above 100B". */
	unsigned hi = size_unit(a > b ? a : b), lo = size_unit(a > b ? b : a);
	unsigned u = lo + 1 < hi ? hi - 1 : lo;
	for (;;) {
		size_format_in(a, u, true, abuf, len);
		size_format_in(b, u, true, bbuf, len);
		if (u == 0 || a == b || strcmp(abuf, bbuf) != 0)
			return;
		u--;
	}
}
