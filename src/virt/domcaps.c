/*
 * DESIGN: a small XML reader for the few things blimp reads in a domain's XML, not a
 * general parser. It walks the tags once, left to right, keeping the open elements'
 * names on a fixed stack (pointers into the input, at most DC_DEPTH deep), and looks
 * only at the elements on four paths:
 *
 *   domain                          type=
 *   domain/devices/memballoon       model= autodeflate= freePageReporting=
 *   domain/devices/memballoon/stats period=
 *   domain/features/tcg/tb-cache    unit= and its text
 *   domain/memoryBacking/nosharepages   (present or not)
 *
 * It skips comments, CDATA, processing instructions and the DOCTYPE, checks that
 * every end tag closes the element it should, and that there is one root element.
 * Attribute values are compared raw (libvirt writes these without entities); a value
 * with an entity simply does not match. Anything it cannot follow is -EINVAL.
 */
#include "virt/domcaps.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "collect/parse.h"

#define DC_DEPTH 256
#define DC_MAX_PERIOD_S 86400u /* libvirt takes an int; a day is already absurd */

struct dc_name {
	const char *s;
	size_t len;
};

static bool dc_is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == ':' || c == '.' || c == '-' || (unsigned char)c >= 0x80;
}

static bool dc_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool dc_eq(struct dc_name n, const char *lit)
{
	size_t l = strlen(lit);
	return n.len == l && memcmp(n.s, lit, l) == 0;
}

/* Is the element stack (depth entries) exactly path (NULL-terminated)? */
static bool dc_at(const struct dc_name *stack, size_t depth, const char *const *path)
{
	size_t i = 0;
	for (; path[i]; i++)
		if (i >= depth || !dc_eq(stack[i], path[i]))
			return false;
	return i == depth;
}

static const char *const dc_path_domain[] = {"domain", NULL};
static const char *const dc_path_balloon[] = {"domain", "devices", "memballoon", NULL};
static const char *const dc_path_stats[] = {"domain", "devices", "memballoon", "stats", NULL};
static const char *const dc_path_tb[] = {"domain", "features", "tcg", "tb-cache", NULL};
static const char *const dc_path_noshare[] = {"domain", "memoryBacking", "nosharepages", NULL};

/* A decimal number (blanks around it allowed), at most max. */
static int dc_uint(struct dc_name v, uint64_t max, uint64_t *out)
{
	uint64_t x;
	if (collect_u64_whole(v.s, v.len, &x) < 0 || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

/* libvirt's scaled-integer units; 0 = unknown. No unit: KiB (libvirt's default). */
static uint64_t dc_unit_scale(struct dc_name u)
{
	static const struct {
		const char *name;
		uint64_t scale;
	} units[] = {
	    {"", 1024},	      {"b", 1},		    {"bytes", 1},	  {"KB", 1000},
	    {"k", 1024},      {"K", 1024},	    {"KiB", 1024},	  {"MB", 1000000},
	    {"m", 1 << 20},   {"M", 1 << 20},	    {"MiB", 1 << 20},	  {"GB", 1000000000},
	    {"g", 1ULL << 30}, {"G", 1ULL << 30},   {"GiB", 1ULL << 30},
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (dc_eq(u, units[i].name))
			return units[i].scale;
	return 0;
}

/* Skip a construct that starts at p and ends with end; NULL if unterminated. */
static const char *dc_skip_past(const char *p, const char *end)
{
	const char *e = strstr(p, end);
	return e ? e + strlen(end) : NULL;
}

/* One attribute of the element on `path` that blimp reads. */
static int dc_attr(struct virt_domcaps *o, const struct dc_name *stack, size_t depth,
		   struct dc_name name, struct dc_name val, struct dc_name *tb_unit)
{
	if (dc_at(stack, depth, dc_path_domain) && dc_eq(name, "type")) {
		o->type = dc_eq(val, "kvm")    ? VIRT_DOMCAPS_TYPE_KVM
			  : dc_eq(val, "qemu") ? VIRT_DOMCAPS_TYPE_QEMU
					       : VIRT_DOMCAPS_TYPE_OTHER;
	} else if (dc_at(stack, depth, dc_path_balloon)) {
		if (dc_eq(name, "model"))
			o->balloon = dc_eq(val, "none") ? VIRT_DOMCAPS_BALLOON_NONE
				     : (dc_eq(val, "virtio") || dc_eq(val, "virtio-transitional") ||
					dc_eq(val, "virtio-non-transitional"))
					 ? VIRT_DOMCAPS_BALLOON_VIRTIO
					 : VIRT_DOMCAPS_BALLOON_OTHER;
		else if (dc_eq(name, "autodeflate"))
			o->autodeflate = dc_eq(val, "on");
		else if (dc_eq(name, "freePageReporting"))
			o->free_page_reporting = dc_eq(val, "on");
	} else if (dc_at(stack, depth, dc_path_stats) && dc_eq(name, "period")) {
		uint64_t p;
		if (dc_uint(val, DC_MAX_PERIOD_S, &p) < 0)
			return -EINVAL;
		o->stats_period_s = (unsigned)p;
	} else if (dc_at(stack, depth, dc_path_tb) && dc_eq(name, "unit")) {
		*tb_unit = val;
	}
	return 0;
}

/* The tb-cache element's text up to its end tag: a size in *unit. */
static void dc_tb_text(struct virt_domcaps *o, const char *p, struct dc_name unit)
{
	struct dc_name t = {p, 0};
	while (dc_is_space(*t.s))
		t.s++;
	while (t.s[t.len] && t.s[t.len] != '<' && !dc_is_space(t.s[t.len]))
		t.len++;
	uint64_t v, scale = dc_unit_scale(unit);
	if (scale && dc_uint(t, UINT64_MAX / scale, &v) == 0)
		o->tb_cache_bytes = v * scale;
}

static int dc_parse(const char *p, struct virt_domcaps *o)
{
	struct dc_name stack[DC_DEPTH];
	size_t depth = 0;
	bool had_root = false;
	while ((p = strchr(p, '<'))) {
		if (strncmp(p, "<!--", 4) == 0) {
			p = dc_skip_past(p + 4, "-->");
		} else if (strncmp(p, "<![CDATA[", 9) == 0) {
			p = dc_skip_past(p + 9, "]]>");
		} else if (p[1] == '?') {
			p = dc_skip_past(p + 2, "?>");
		} else if (p[1] == '!') {
			if (had_root || depth)
				return -EINVAL; /* a DOCTYPE only before the root */
			p = dc_skip_past(p + 2, ">");
		} else if (p[1] == '/') {
			struct dc_name n = {p + 2, 0};
			while (dc_is_name_char(n.s[n.len]))
				n.len++;
			p = n.s + n.len;
			while (dc_is_space(*p))
				p++;
			if (*p != '>' || depth == 0 || stack[depth - 1].len != n.len ||
			    memcmp(stack[depth - 1].s, n.s, n.len) != 0)
				return -EINVAL;
			depth--;
			p++;
		} else {
			struct dc_name n = {p + 1, 0};
			while (dc_is_name_char(n.s[n.len]))
				n.len++;
			if (n.len == 0 || depth == DC_DEPTH || (depth == 0 && had_root))
				return -EINVAL;
			if (depth == 0 && !dc_eq(n, "domain"))
				return -EINVAL;
			had_root = true;
			stack[depth++] = n;
			struct dc_name tb_unit = {"", 0};
			if (dc_at(stack, depth, dc_path_balloon) &&
			    o->balloon == VIRT_DOMCAPS_BALLOON_ABSENT)
				o->balloon = VIRT_DOMCAPS_BALLOON_OTHER; /* until model= says */
			bool tb = dc_at(stack, depth, dc_path_tb);
			if (tb)
				o->tb_cache = true;
			if (dc_at(stack, depth, dc_path_noshare))
				o->nosharepages = true;
			p = n.s + n.len;
			for (;;) {
				bool sp = false;
				while (dc_is_space(*p)) {
					p++;
					sp = true;
				}
				if (*p == '>' || (p[0] == '/' && p[1] == '>'))
					break;
				struct dc_name an = {p, 0};
				while (dc_is_name_char(an.s[an.len]))
					an.len++;
				if (!sp || an.len == 0)
					return -EINVAL;
				p += an.len;
				while (dc_is_space(*p))
					p++;
				if (*p++ != '=')
					return -EINVAL;
				while (dc_is_space(*p))
					p++;
				char q = *p++;
				if (q != '\'' && q != '"')
					return -EINVAL;
				struct dc_name av = {p, 0};
				while (av.s[av.len] && av.s[av.len] != q && av.s[av.len] != '<')
					av.len++;
				if (av.s[av.len] != q)
					return -EINVAL;
				p += av.len + 1;
				if (dc_attr(o, stack, depth, an, av, &tb_unit) < 0)
					return -EINVAL;
			}
			if (*p == '/') {
				depth--; /* <x/>: empty element */
				p += 2;
			} else {
				p++;
				if (tb)
					dc_tb_text(o, p, tb_unit);
			}
		}
		if (!p)
			return -EINVAL;
	}
	return had_root && depth == 0 ? 0 : -EINVAL;
}

int virt_domcaps_parse(const char *xml, struct virt_domcaps *out)
{
	memset(out, 0, sizeof(*out));
	if (!xml)
		return -EINVAL;
	struct virt_domcaps o = {0};
	int r = dc_parse(xml, &o);
	if (r == 0)
		*out = o;
	return r;
}

const char *virt_domcaps_type_name(enum virt_domcaps_type t)
{
	switch (t) {
	case VIRT_DOMCAPS_TYPE_KVM:
		return "kvm";
	case VIRT_DOMCAPS_TYPE_QEMU:
		return "qemu";
	default:
		return "other";
	}
}

const char *virt_domcaps_balloon_name(enum virt_domcaps_balloon b)
{
	switch (b) {
	case VIRT_DOMCAPS_BALLOON_NONE:
		return "none";
	case VIRT_DOMCAPS_BALLOON_VIRTIO:
		return "virtio";
	case VIRT_DOMCAPS_BALLOON_OTHER:
		return "other";
	default:
		return "absent";
	}
}

int virt_dom_caps(struct virt_conn *c, const char *uuid, struct virt_domcaps *out)
{
	memset(out, 0, sizeof(*out));
	virDomainPtr d = uuid && uuid[0] ? virDomainLookupByUUIDString(c->conn, uuid) : NULL;
	if (!d)
		return -ENOENT;
	char *xml = virDomainGetXMLDesc(d, 0);
	virDomainFree(d);
	if (!xml)
		return -EIO;
	int r = virt_domcaps_parse(xml, out);
	free(xml);
	return r;
}
