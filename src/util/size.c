#include "util/size.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
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

const char *size_format(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "BKMGT";
	double v = (double)bytes;
	unsigned u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f%c", v, units[u]);
	return buf;
}
