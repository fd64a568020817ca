/*
 * DESIGN: the metadata element is flat (five integer children), so it is written with
 * snprintf and read with a small scanner instead of an XML library: the scanner finds
 * <[prefix:]name>digits</[prefix:]name> for each known child, rejects anything that is
 * not plain decimal or appears twice, and ignores unknown children so a newer blimp's
 * metadata still parses.
 */
#include "virt/meta.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/size.h"

int virt_meta_format(const struct vm_settings *s, bool managed, bool in_domain, char *out,
		     size_t outlen)
{
	const char *p = in_domain ? VIRT_META_PREFIX ":" : "";
	char ns[128] = "";
	if (in_domain)
		snprintf(ns, sizeof(ns), " xmlns:%s='%s'", VIRT_META_PREFIX, VIRT_META_NS);
	int n = snprintf(out, outlen,
			 "<%s%s%s><%sshares>%" PRIu64 "</%sshares><%sreservation>%" PRIu64
			 "</%sreservation><%slimit>%" PRIu64 "</%slimit><%smaxmemctl>%" PRIu64
			 "</%smaxmemctl><%smanaged>%d</%smanaged></%s%s>",
			 p, VIRT_META_ELEMENT, ns, p, s->shares, p, p, s->reservation_bytes, p,
			 p, s->limit_bytes, p, p, s->maxmemctl_bytes, p, p, managed ? 1 : 0, p,
			 p, VIRT_META_ELEMENT);
	if (n < 0 || (size_t)n >= outlen)
		return -ENOSPC;
	return 0;
}

/* Find the element whose local name is `name` (any prefix) as a start tag. Returns a
 * pointer just past its '>' or NULL; *count is how many such start tags exist. */
static const char *meta_find(const char *xml, const char *name, int *count)
{
	const char *found = NULL;
	size_t nl = strlen(name);
	*count = 0;
	for (const char *p = strchr(xml, '<'); p; p = strchr(p + 1, '<')) {
		const char *q = p + 1;
		if (*q == '/' || *q == '?' || *q == '!')
			continue;
		/* tag name: [prefix:]local */
		const char *end = q;
		while (*end && *end != '>' && *end != ' ' && *end != '/' && *end != '\t' &&
		       *end != '\n')
			end++;
		const char *colon = memchr(q, ':', (size_t)(end - q));
		const char *local = colon ? colon + 1 : q;
		if ((size_t)(end - local) != nl || memcmp(local, name, nl) != 0)
			continue;
		const char *gt = strchr(end, '>');
		if (!gt)
			return NULL;
		(*count)++;
		if (gt[-1] == '/') /* <x/>: empty, which no value of ours is */
			continue;
		if (!found)
			found = gt + 1;
	}
	return found;
}

static int meta_u64(const char *xml, const char *name, uint64_t *out, bool *present)
{
	int count;
	const char *v = meta_find(xml, name, &count);
	*present = false;
	if (count == 0)
		return 0;
	if (count > 1 || !v)
		return -EINVAL;
	while (*v == ' ' || *v == '\n' || *v == '\t')
		v++;
	uint64_t x = 0;
	int digits = 0;
	for (; *v >= '0' && *v <= '9'; v++, digits++) {
		uint64_t d = (uint64_t)(*v - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -EINVAL;
		x = x * 10 + d;
	}
	while (*v == ' ' || *v == '\n' || *v == '\t')
		v++;
	if (digits == 0 || digits > 20 || *v != '<' || v[1] != '/')
		return -EINVAL;
	*out = x;
	*present = true;
	return 0;
}

/* The blimp element: the start tag named memory that declares our namespace (as in a
 * whole domain XML), else the only memory element (as virDomainGetMetadata returns it).
 * Copies the element's content into buf. */
static int meta_element(const char *xml, char *buf, size_t len)
{
	const char *start = NULL;
	for (const char *p = strstr(xml, VIRT_META_NS); p; p = strstr(p + 1, VIRT_META_NS)) {
		/* walk back to the '<' of the tag holding this attribute */
		const char *lt = p;
		while (lt > xml && *lt != '<' && *lt != '>')
			lt--;
		if (*lt != '<')
			continue;
		if (start)
			return -EINVAL;
		start = lt;
	}
	if (!start) {
		int count;
		if (!meta_find(xml, VIRT_META_ELEMENT, &count) || count != 1)
			return -EINVAL;
		start = xml;
	}
	int count;
	const char *body = meta_find(start, VIRT_META_ELEMENT, &count);
	if (!body)
		return -EINVAL;
	/* the element ends at the first closing tag of that local name */
	const char *end = NULL;
	for (const char *p = strstr(body, "</"); p; p = strstr(p + 2, "</")) {
		const char *q = p + 2;
		const char *gt = strchr(q, '>');
		if (!gt)
			return -EINVAL;
		const char *colon = memchr(q, ':', (size_t)(gt - q));
		const char *local = colon ? colon + 1 : q;
		if ((size_t)(gt - local) == strlen(VIRT_META_ELEMENT) &&
		    memcmp(local, VIRT_META_ELEMENT, strlen(VIRT_META_ELEMENT)) == 0) {
			end = p;
			break;
		}
	}
	if (!end || (size_t)(end - body) >= len)
		return -EINVAL;
	memcpy(buf, body, (size_t)(end - body));
	buf[end - body] = '\0';
	/* no nested memory element */
	meta_find(buf, VIRT_META_ELEMENT, &count);
	if (count != 0)
		return -EINVAL;
	return 0;
}

int virt_meta_parse(const char *xml, struct vm_settings *s, bool *managed)
{
	if (!xml)
		return -EINVAL;
	char body[2048];
	if (meta_element(xml, body, sizeof(body)) < 0)
		return -EINVAL;
	struct vm_settings t = {0};
	uint64_t m = 0;
	bool present;
	if (meta_u64(body, "shares", &t.shares, &present) < 0 ||
	    meta_u64(body, "reservation", &t.reservation_bytes, &present) < 0 ||
	    meta_u64(body, "limit", &t.limit_bytes, &present) < 0 ||
	    meta_u64(body, "maxmemctl", &t.maxmemctl_bytes, &present) < 0 ||
	    meta_u64(body, "managed", &m, &present) < 0)
		return -EINVAL;
	if (m > 1)
		return -EINVAL;
	*s = t;
	*managed = m == 1;
	return 0;
}

int virt_meta_validate(const struct vm_settings *s, uint64_t memsz_bytes, char *err,
		       size_t errlen)
{
	if (s->shares > 1000000000ULL) {
		snprintf(err, errlen, "shares %" PRIu64 " above 1000000000", s->shares);
		return -ERANGE;
	}
	char a[32], b[32];
	if (s->reservation_bytes > memsz_bytes) {
		size_format_pair(s->reservation_bytes, memsz_bytes, a, b, sizeof(a));
		snprintf(err, errlen, "reservation %s above memory size %s", a, b);
		return -ERANGE;
	}
	if (s->limit_bytes && s->limit_bytes < s->reservation_bytes) {
		size_format_pair(s->limit_bytes, s->reservation_bytes, a, b, sizeof(a));
		snprintf(err, errlen, "limit %s below reservation %s", a, b);
		return -ERANGE;
	}
	if (s->maxmemctl_bytes > memsz_bytes) {
		size_format_pair(s->maxmemctl_bytes, memsz_bytes, a, b, sizeof(a));
		snprintf(err, errlen, "maxmemctl %s above memory size %s", a, b);
		return -ERANGE;
	}
	return 0;
}
