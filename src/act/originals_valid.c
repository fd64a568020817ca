/*
 * DESIGN: what a host-originals entry may say. The labels are the knobs blimp's
 * actuators change (act/ksm.c, act/swap.c, act/cgroup.c), each with the file name its
 * path must end in and the values the kernel shows for it. Anything else in the
 * file is garbage or an attack: it is never written anywhere.
 */
#include "act/originals.h"

#include <stdint.h>
#include <string.h>

enum orig_kind {
	ORIG_UINT,	  /* decimal, 0..max */
	ORIG_UINT_OR_MAX, /* decimal 0..max, or "max" (cgroup v2) */
	ORIG_ONE_OF,	  /* one of the words in `words` */
};

struct orig_knob {
	const char *label;
	const char *suffix; /* the path ends in this */
	enum orig_kind kind;
	uint64_t max;
	const char *const *words;
};

static const char *const ksm_run_words[] = {"0", "1", "2", NULL};
static const char *const yes_no_words[] = {"Y", "N", "1", "0", NULL};
static const char *const off_words[] = {"off", NULL};
static const char *const flag_words[] = {"0", "1", NULL};

static const struct orig_knob orig_knobs[] = {
    {"ksm.run", "/kernel/mm/ksm/run", ORIG_ONE_OF, 0, ksm_run_words},
    {"ksm.pages_to_scan", "/kernel/mm/ksm/pages_to_scan", ORIG_UINT, UINT32_MAX, NULL},
    {"ksm.sleep_millisecs", "/kernel/mm/ksm/sleep_millisecs", ORIG_UINT, UINT32_MAX, NULL},
    {"zswap.enabled", "/module/zswap/parameters/enabled", ORIG_ONE_OF, 0, yes_no_words},
    {"memory.limit_in_bytes", "/memory.limit_in_bytes", ORIG_UINT, INT64_MAX, NULL},
    {"memory.swappiness", "/memory.swappiness", ORIG_UINT, 200, NULL},
    {"memory.high", "/memory.high", ORIG_UINT_OR_MAX, INT64_MAX, NULL},
    /* v1 oom_kill_disable, set while blimp holds a limit (act/cgroup.c) */
    {"memory.oom_control", "/memory.oom_control", ORIG_ONE_OF, 0, flag_words},
    /* blimp's swap file (any path): "off" = there was none; restoring it means
     * swapoff + unlink, and only of a file with blimp's swap label */
    {"swap.file", "", ORIG_ONE_OF, 0, off_words},
};

static bool orig_uint_ok(const char *s, uint64_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	return v <= max;
}

/* Absolute, printable, no empty, "." or ".." component. */
static bool orig_path_ok(const char *p)
{
	if (p[0] != '/' || strlen(p) >= 4096)
		return false;
	for (const char *c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return false;
	for (const char *c = p; *c;) {
		/* c points at a '/' */
		const char *next = strchr(c + 1, '/');
		size_t len = next ? (size_t)(next - c - 1) : strlen(c + 1);
		if (len == 0 || (len == 1 && c[1] == '.') ||
		    (len == 2 && c[1] == '.' && c[2] == '.'))
			return false;
		if (!next)
			break;
		c = next;
	}
	return true;
}

bool act_originals_valid(const char *label, const char *path, const char *value)
{
	if (!label || !path || !value)
		return false;
	const struct orig_knob *k = NULL;
	for (size_t i = 0; i < sizeof(orig_knobs) / sizeof(orig_knobs[0]); i++)
		if (strcmp(orig_knobs[i].label, label) == 0)
			k = &orig_knobs[i];
	if (!k || !orig_path_ok(path))
		return false;
	size_t pl = strlen(path), sl = strlen(k->suffix);
	if (pl <= sl || strcmp(path + pl - sl, k->suffix) != 0)
		return false;
	switch (k->kind) {
	case ORIG_UINT:
		return orig_uint_ok(value, k->max);
	case ORIG_UINT_OR_MAX:
		return strcmp(value, "max") == 0 || orig_uint_ok(value, k->max);
	case ORIG_ONE_OF:
		for (const char *const *w = k->words; *w; w++)
			if (strcmp(*w, value) == 0)
				return true;
		return false;
	}
	return false;
}
