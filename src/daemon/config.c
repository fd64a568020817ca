/*
 * DESIGN: blimpd's host settings live in ONE table (config_keys below): name, type,
 * where the value goes in struct blimpd_config, default (as the string a user would
 * write), bounds, mutability and help. Every way a value gets in goes through
 * config_set(): the defaults themselves, INI files, drop-ins and command-line flags,
 * so a default can never be out of bounds and docs/settings.md (printed from the same
 * table) can never disagree with the code.
 *
 * Files are read whole and checked before inih sees them: no NUL bytes, no line
 * longer than inih's buffer (a longer line would otherwise be split silently). Keys
 * must sit in [blimpd]; unknown keys, unknown sections and bad values are errors
 * naming file:line. A file is applied to a copy and committed only if it is clean.
 */
#include "daemon/config.h"

#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/history.h"
#include "daemon/metrics.h"
#include "util/size.h"

/* inih's line buffer (INI_MAX_LINE) includes the newline and the NUL. */
#define CONFIG_LINE_MAX (INI_MAX_LINE - 2)

enum config_type {
	CONFIG_BOOL,   /* true/false, yes/no, on/off, 1/0 */
	CONFIG_SIZE,   /* bytes with K/M/G/T suffix, uint64_t */
	CONFIG_UINT,   /* decimal, uint32_t or uint64_t (by field size) */
	CONFIG_RATIO,  /* "0.75" or "75%", stored as permyriad (uint32_t) */
	CONFIG_STRING, /* char[] field; no control characters */
	CONFIG_PATH,   /* like STRING, but absolute (or empty where allowed) */
	CONFIG_ENUM,   /* one of names[], stored as an int-sized enum */
};

/* A runtime key is read afresh on every tick (the policy's knobs, log_level) or its
 * derived value is recomputed when settings change (host_mem, headroom -> the budget),
 * so SIGHUP or `blimp config set` can change it. A restart key is bound at start
 * (paths, sockets, allocations, timers, what blimp restores at exit). */
enum config_mutability {
	CONFIG_RESTART, /* read at start only */
	CONFIG_RUNTIME, /* SIGHUP and `blimp config set` change it */
};

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset;
	size_t size;
	const char *def;
	uint64_t min;
	uint64_t max;
	enum config_mutability mut;
	const char *const *names; /* CONFIG_ENUM: NULL-terminated */
	const char *help;
};

static const char *const config_policy_names[] = {"blimp", "static", "proxmox", "mom", NULL};
static const char *const config_ksm_policy_names[] = {"blimp", "ksmtuned", NULL};
_Static_assert(sizeof(config_ksm_policy_names) / sizeof(config_ksm_policy_names[0]) ==
		   POLICY_KSM__COUNT + 1,
	       "ksm_policy names in step with enum policy_ksm_kind");
static const char *const config_log_names[] = {"error", "warn", "info", "debug", NULL};
static const char *const config_on_exit_names[] = {"restore", "keep", NULL};
static const char *const config_mlock_names[] = {"onfault", "all", "off", NULL};
_Static_assert(sizeof(config_mlock_names) / sizeof(config_mlock_names[0]) == CONFIG_MLOCK_OFF + 2,
	       "mlock names in step with enum config_mlock");
_Static_assert(sizeof(config_policy_names) / sizeof(config_policy_names[0]) == POLICY__COUNT + 1,
	       "policy names in step with enum policy_kind");
_Static_assert(sizeof(config_on_exit_names) / sizeof(config_on_exit_names[0]) ==
		   CONFIG_ON_EXIT_KEEP + 2,
	       "on_exit names in step with enum config_on_exit");
_Static_assert(sizeof(enum policy_kind) == sizeof(int) && sizeof(enum log_level) == sizeof(int) &&
		   sizeof(enum policy_ksm_kind) == sizeof(int) &&
		   sizeof(enum config_on_exit) == sizeof(int) &&
		   sizeof(enum config_mlock) == sizeof(int),
	       "enums stored as int");

#define FIELD(f) offsetof(struct blimpd_config, f), sizeof(((struct blimpd_config *)0)->f)
#define KEY(n, t, f, d, lo, hi, m, h)                                                              \
	{                                                                                          \
		n, t, FIELD(f), d, lo, hi, m, NULL, h                                              \
	}
#define KEY_ENUM(n, f, d, names, m, h)                                                             \
	{                                                                                          \
		n, CONFIG_ENUM, FIELD(f), d, 0, 0, m, names, h                                     \
	}
#define TIB (1024ULL * MODEL_GIB)
#define R CONFIG_RESTART
#define RT CONFIG_RUNTIME

static const struct config_key config_keys[] = {
    /* Where things are. */
    KEY("connect_uri", CONFIG_STRING, connect_uri, "", 0, 0, R,
	"libvirt URI, e.g. qemu:///system; empty = embedded libvirt under state_dir "
	"(no libvirtd needed)"),
    KEY("state_dir", CONFIG_PATH, state_dir, "/var/lib/blimp", 0, 0, R,
	"blimpd's state: embedded libvirt, VM disks, default swap file"),
    KEY("socket_path", CONFIG_PATH, socket_path, "/run/blimp/blimpd.sock", 0, 0, R,
	"control socket (mode 0600), at most 107 bytes"),
    KEY("guest_dir", CONFIG_PATH, guest_dir, "", 0, 0, R,
	"built-in guest (vmlinux, initrd.img, data.img; make guest); empty = /var/lib/blimp/guest "
	"if it has one, else guest/ beside blimpd (build/guest)"),
    KEY("lock_file", CONFIG_PATH, lock_file, "/run/blimp/blimpd.lock", 0, 0, R,
	"one blimpd per host: an flock on this file, which names the holder's pid and "
	"state dir; blimpd refuses to start while another holds it"),
    /* Least privilege. */
    KEY("qemu_user", CONFIG_STRING, qemu_user, "libvirt-qemu", 0, 0, R,
	"embedded libvirt: QEMU runs as this user (must exist) and its primary group, "
	"seccomp sandbox on; with connect_uri the libvirtd's qemu.conf decides"),
    KEY_ENUM("mlock", mlock, "onfault", config_mlock_names, R,
	     "lock blimpd's memory against paging out: onfault (pages lock as first "
	     "touched), all (every mapping populated at once) or off"),
    KEY("metrics_listen", CONFIG_STRING, metrics_listen, "", 0, 0, R,
	"Prometheus endpoint (GET /metrics, docs/metrics.md) on ADDR:PORT, e.g. "
	"127.0.0.1:25467 ([::1]:25467 for IPv6); empty = off"),
    /* How much memory blimp manages. */
    KEY("host_mem", CONFIG_SIZE, host_mem_bytes, "0", 0, 64 * TIB, RT,
	"memory budget for VMs (CONSUMED + OVHD); 0 = host RAM less headroom"),
    KEY("headroom", CONFIG_SIZE, headroom_bytes, "1G", 0, 64 * TIB, RT,
	"memory kept for the host when host_mem is 0"),
    /* Timing. */
    KEY("collect_period_ms", CONFIG_UINT, collect_period_ms, "1000", 100, 60000, R,
	"how often host and VM statistics are collected"),
    KEY("stats_period_s", CONFIG_UINT, stats_period_s, "1", 1, 60, R,
	"balloon stats period of VMs blimp starts; set live on any domain whose period is "
	"0 or over stale_after_ms/2 (its own is put back at exit)"),
    KEY("tcg_tb_cache_mib", CONFIG_UINT, tcg_tb_cache_mib, "32", 0, 4096, R,
	"TCG guests (no usable KVM) started by blimp: QEMU translation cache in MiB (its "
	"default grows to 1 GiB, counted in OVHD); 0 = QEMU's default"),
    KEY("access_sample_s", CONFIG_UINT, access_sample_s, "30", 0, 3600, R,
	"host-side access sampling window per VM (DAMON, else clear_refs + smaps "
	"Referenced); 0 = off"),
    KEY("history_s", CONFIG_UINT, history_s, "3600", 0, 86400, R,
	"seconds of live history (`blimp history`, `blimp plot`): one sample per "
	"collect_period_ms per VM and for the host, in memory allocated at start "
	"(docs/history.md); 0 = off"),
    KEY("history_vms", CONFIG_UINT, history_vms, "64", 1, 4096, R,
	"VMs the live history holds at once; one more takes the slot of the VM seen longest "
	"ago (counter history_slots_recycled)"),
    /* What blimp may touch. */
    KEY("dry_run", CONFIG_BOOL, dry_run, "false", 0, 1, R,
	"log every plan and what would be done, change nothing"),
    KEY("keep_vms", CONFIG_BOOL, keep_vms, "false", 0, 1, R,
	"leave VMs running when blimpd exits"),
    KEY_ENUM("on_exit", on_exit, "restore", config_on_exit_names, R,
	     "orderly exit: domains blimp did not start get back the balloon target blimp "
	     "found, as far as MemAvailable less a margin allows (restore), or keep (keep)"),
    KEY("manage_ksm", CONFIG_BOOL, manage_ksm, "true", 0, 1, R,
	"drive KSM (run, pages_to_scan, sleep_millisecs); restored on exit"),
    KEY("manage_cgroups", CONFIG_BOOL, manage_cgroups, "true", 0, 1, R,
	"set memory limits on VMs' cgroups to push them to host swap; removed on exit"),
    KEY("swapfile_size", CONFIG_SIZE, swapfile_bytes, "0", 0, 16 * TIB, R,
	"create and enable a host swap file of this size; 0 = never (off by default)"),
    KEY("swapfile_path", CONFIG_PATH, swapfile_path, "/var/lib/blimp/swapfile", 0, 0, R,
	"where blimp creates its swap file (follows state_dir unless set)"),
    KEY("zswap", CONFIG_BOOL, zswap, "true", 0, 1, R,
	"enable zswap (compressed swap cache) while blimp's swap file is on"),
    KEY_ENUM("log_level", log_level, "info", config_log_names, RT, "log verbosity"),
    /* Policy. */
    KEY_ENUM("policy", policy.kind, "blimp", config_policy_names, R,
	     "blimp (ESX-style) or a baseline: static, proxmox, mom"),
    KEY("idle_tax", CONFIG_RATIO, policy.idle_tax_permyriad, "0.75", 0, 9900, RT,
	"idle memory tax tau: share of idle memory that can be reclaimed first (ESX "
	"Mem.IdleTax)"),
    KEY("balance_period_ms", CONFIG_UINT, policy.balance_period_ms, "1000", 10, 3600000, RT,
	"how often a plan is made"),
    KEY("stale_after_ms", CONFIG_UINT, policy.stale_after_ms, "5000", 1, 86400000, RT,
	"guest statistics older than this are stale: the VM keeps its target"),
    KEY("guest_margin", CONFIG_SIZE, policy.guest_margin_bytes, "64M", 0, TIB, RT,
	"balloon floor = guest in-use + max(guest_margin, guest_margin_ratio x MEMSZ)"),
    KEY("guest_margin_ratio", CONFIG_RATIO, policy.guest_margin_permyriad, "0.05", 0, 5000, RT,
	"guest margin as a share of MEMSZ"),
    KEY("probe_step", CONFIG_RATIO, policy.probe_step_permyriad, "0.01", 1, 5000, RT,
	"slow probe: shrink a VM by at most this share of MEMSZ per balance period"),
    KEY("probe_scale_by_state", CONFIG_BOOL, policy.probe_scale_by_state, "true", 0, 1, RT,
	"multiply the probe step by the host's need: x1 soft, x4 hard, x16 low"),
    KEY("backoff_hold_ms", CONFIG_UINT, policy.backoff_hold_ms, "30000", 0, 3600000, RT,
	"after a guest shows distress, no shrink for this long"),
    KEY("fast_alpha", CONFIG_RATIO, policy.fast_alpha_permyriad, "0.5", 1, 10000, RT,
	"EWMA weight per sample of the fast active-memory average (ACTVF)"),
    KEY("slow_alpha", CONFIG_RATIO, policy.slow_alpha_permyriad, "0.01", 1, 10000, RT,
	"EWMA weight per sample of the slow active-memory average (ACTVS)"),
    KEY("actv_guest", CONFIG_BOOL, policy.actv_guest, "false", 0, 1, RT,
	"also take the guest's own in-use figure as an active-memory sample (the larger of it "
	"and the host-side measurement); without a host-side measurement it is the sample "
	"either way"),
    KEY("floor_active", CONFIG_BOOL, policy.floor_active, "false", 0, 1, RT,
	"balloon floor = host-measured ACTV + margin instead of guest in-use + margin where "
	"the host measures (ESX-like: the guest pages out what it holds untouched; for "
	"guests with swap)"),
    KEY("level_headroom", CONFIG_BOOL, policy.level_headroom, "false", 0, 1, RT,
	"in state high, share the targets above each VM's need (entitlement, guest floor) "
	"out again by shares, zero-sum: like VMs get like headroom"),
    KEY("nodeflate_maxmemctl", CONFIG_RATIO, policy.nodeflate_maxmemctl_permyriad, "0.25", 0,
	10000, RT,
	"most the balloon takes from a VM without deflate-on-OOM (libvirt autodeflate) and "
	"without a maxmemctl of its own, as a share of MEMSZ"),
    KEY("host_swap", CONFIG_BOOL, policy.host_swap, "true", 0, 1, RT,
	"in hard/low state, cgroup limits may push VMs to host swap"),
    KEY("ksm_pages_to_scan_high", CONFIG_UINT, policy.ksm_pages_to_scan[HOST_STATE_HIGH], "100", 0,
	100000, RT, "KSM pages per scan in state high; 0 = KSM off"),
    KEY("ksm_pages_to_scan_clear", CONFIG_UINT, policy.ksm_pages_to_scan[HOST_STATE_CLEAR], "300",
	0, 100000, RT, "KSM pages per scan in state clear; 0 = KSM off"),
    KEY("ksm_pages_to_scan_soft", CONFIG_UINT, policy.ksm_pages_to_scan[HOST_STATE_SOFT], "1000", 0,
	100000, RT, "KSM pages per scan in state soft; 0 = KSM off"),
    KEY("ksm_pages_to_scan_hard", CONFIG_UINT, policy.ksm_pages_to_scan[HOST_STATE_HARD], "2000", 0,
	100000, RT, "KSM pages per scan in state hard; 0 = KSM off"),
    KEY("ksm_pages_to_scan_low", CONFIG_UINT, policy.ksm_pages_to_scan[HOST_STATE_LOW], "2000", 0,
	100000, RT, "KSM pages per scan in state low; 0 = KSM off"),
    KEY("ksm_sleep_ms", CONFIG_UINT, policy.ksm_sleep_ms, "20", 1, 60000, RT,
	"KSM sleep between scans (sleep_millisecs)"),
    KEY_ENUM("ksm_policy", policy.ksm_policy, "blimp", config_ksm_policy_names, R,
	     "who drives KSM (any policy but static): blimp's ksm_pages_to_scan_* table by "
	     "host state, or ksmtuned's rule (every 60 s, boost while free < 20% of the "
	     "budget; docs/policy.md)"),
    KEY("proxmox_ballooning_target", CONFIG_UINT, policy.proxmox_target_percent, "80", 0, 100,
	RT,
	"policy proxmox: host memory use it fills to, percent of the budget (Proxmox's "
	"node option ballooning-target, default 80 as pvestatd)"),
};
#define CONFIG_N_KEYS (sizeof(config_keys) / sizeof(config_keys[0]))

#undef R
#undef RT

static const char *config_type_name(enum config_type t)
{
	switch (t) {
	case CONFIG_BOOL:
		return "bool";
	case CONFIG_SIZE:
		return "size";
	case CONFIG_UINT:
		return "uint";
	case CONFIG_RATIO:
		return "ratio";
	case CONFIG_STRING:
		return "string";
	case CONFIG_PATH:
		return "path";
	case CONFIG_ENUM:
		return "enum";
	}
	return "?";
}

static const struct config_key *config_find(const char *key)
{
	char norm[64];
	size_t n = strlen(key);
	if (n == 0 || n >= sizeof(norm))
		return NULL;
	for (size_t i = 0; i <= n; i++)
		norm[i] = key[i] == '-' ? '_' : key[i]; /* flags spell idle-tax */
	for (size_t i = 0; i < CONFIG_N_KEYS; i++)
		if (strcmp(config_keys[i].name, norm) == 0)
			return &config_keys[i];
	return NULL;
}

/* Strict unsigned decimal: digits only, no sign, no spaces, no overflow. */
static int config_parse_u64(const char *s, uint64_t *out)
{
	if (!*s)
		return -EINVAL;
	uint64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* "0.75" (at most 4 decimals), "1", "75%" or "7.5%" -> permyriad. */
static int config_parse_ratio(const char *s, uint64_t *out)
{
	size_t n = strlen(s);
	bool pct = n > 0 && s[n - 1] == '%';
	if (pct)
		n--;
	if (n == 0 || n > 20)
		return -EINVAL;
	uint64_t whole = 0, frac = 0;
	unsigned frac_digits = 0;
	bool dot = false, any = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.' && !dot) {
			dot = true;
			continue;
		}
		if (c < '0' || c > '9')
			return -EINVAL;
		any = true;
		if (dot) {
			if (++frac_digits > (pct ? 2u : 4u))
				return -EINVAL; /* finer than 1 permyriad */
			frac = frac * 10 + (uint64_t)(c - '0');
		} else {
			if (whole > 1000000)
				return -ERANGE;
			whole = whole * 10 + (uint64_t)(c - '0');
		}
	}
	if (!any)
		return -EINVAL;
	unsigned scale_digits = pct ? 2 : 4; /* decimals that make a permyriad */
	for (unsigned i = frac_digits; i < scale_digits; i++)
		frac *= 10;
	*out = whole * (pct ? 100 : 10000) + frac;
	return 0;
}

static int config_parse_bool(const char *s, uint64_t *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}

/* Human form of a bound or value of key k (for errors, print and docs). */
static const char *config_fmt(const struct config_key *k, uint64_t v, char *buf, size_t len)
{
	switch (k->type) {
	case CONFIG_SIZE:
		if (v == 0)
			snprintf(buf, len, "0");
		else if (v % (1024 * MODEL_GIB) == 0)
			snprintf(buf, len, "%" PRIu64 "T", (uint64_t)(v / (1024 * MODEL_GIB)));
		else if (v % MODEL_GIB == 0)
			snprintf(buf, len, "%" PRIu64 "G", (uint64_t)(v / MODEL_GIB));
		else if (v % MODEL_MIB == 0)
			snprintf(buf, len, "%" PRIu64 "M", (uint64_t)(v / MODEL_MIB));
		else if (v % 1024 == 0)
			snprintf(buf, len, "%" PRIu64 "K", v / 1024);
		else
			snprintf(buf, len, "%" PRIu64, v);
		break;
	case CONFIG_RATIO: {
		if (v % 10000 == 0) {
			snprintf(buf, len, "%" PRIu64, v / 10000);
			break;
		}
		char frac[8];
		snprintf(frac, sizeof(frac), "%04u", (unsigned)(v % 10000));
		for (int i = 3; i > 0 && frac[i] == '0'; i--)
			frac[i] = '\0';
		snprintf(buf, len, "%" PRIu64 ".%s", v / 10000, frac);
		break;
	}
	case CONFIG_BOOL:
		snprintf(buf, len, "%s", v ? "true" : "false");
		break;
	default:
		snprintf(buf, len, "%" PRIu64, v);
		break;
	}
	return buf;
}

static void config_store_uint(void *field, size_t size, uint64_t v)
{
	if (size == sizeof(uint64_t))
		*(uint64_t *)field = v;
	else if (size == sizeof(uint32_t))
		*(uint32_t *)field = (uint32_t)v;
	else
		*(bool *)field = v != 0;
}

static uint64_t config_load_uint(const void *field, size_t size)
{
	if (size == sizeof(uint64_t))
		return *(const uint64_t *)field;
	if (size == sizeof(uint32_t))
		return *(const uint32_t *)field;
	return *(const bool *)field;
}

static int config_set_string(const struct config_key *k, char *field, const char *value, char *err,
			     size_t errlen)
{
	size_t n = strlen(value);
	if (n >= k->size) {
		snprintf(err, errlen, "key '%s': value is %zu bytes, at most %zu allowed", k->name,
			 n, k->size - 1);
		return -ERANGE;
	}
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(err, errlen, "key '%s': control character in value", k->name);
			return -EINVAL;
		}
	}
	/* config_print must write what inih reads back: it strips spaces around a value
	 * and cuts an inline comment at ';' after a space (or at a leading ';'). */
	if (n > 0 && (value[0] == ' ' || value[n - 1] == ' ' || value[0] == ';' ||
		      strstr(value, " ;"))) {
		snprintf(err, errlen,
			 "key '%s': value has leading/trailing spaces or a ';' comment", k->name);
		return -EINVAL;
	}
	if (k->type == CONFIG_PATH && n > 0 && value[0] != '/') {
		snprintf(err, errlen, "key '%s': '%s' is not an absolute path", k->name, value);
		return -EINVAL;
	}
	memcpy(field, value, n + 1);
	return 0;
}

int config_set(struct blimpd_config *c, const char *key, const char *value, char *err,
	       size_t errlen)
{
	char dummy[1];
	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (!c || !key || !value) {
		snprintf(err, errlen, "missing key or value");
		return -EINVAL;
	}
	const struct config_key *k = config_find(key);
	if (!k) {
		snprintf(err, errlen, "unknown key '%.64s'", key);
		return -EINVAL;
	}
	char *field = (char *)c + k->offset;
	if (k->type == CONFIG_STRING || k->type == CONFIG_PATH) {
		/* swapfile_path follows state_dir while it still holds the derived default. */
		char old_swap[PATH_MAX];
		bool follow = false;
		if (strcmp(k->name, "state_dir") == 0) {
			int m = snprintf(old_swap, sizeof(old_swap), "%s/swapfile", c->state_dir);
			follow = m > 0 && (size_t)m < sizeof(old_swap) &&
				 strcmp(old_swap, c->swapfile_path) == 0;
		}
		/* the derived swap file path must fit a settings line too, or config_print
		 * would write a file config_load refuses */
		size_t max_sd = CONFIG_LINE_MAX - strlen("swapfile_path = ") -
				strlen("/swapfile");
		if (follow && strlen(value) > max_sd) {
			snprintf(err, errlen,
				 "key 'state_dir': at most %zu bytes while swapfile_path follows it "
				 "(set swapfile_path too)",
				 max_sd);
			return -ERANGE;
		}
		int r = config_set_string(k, field, value, err, errlen);
		if (r == 0 && follow) {
			int m = snprintf(old_swap, sizeof(old_swap), "%s/swapfile", c->state_dir);
			if (m > 0 && (size_t)m < sizeof(c->swapfile_path))
				memcpy(c->swapfile_path, old_swap, (size_t)m + 1);
		}
		return r;
	}
	if (k->type == CONFIG_ENUM) {
		for (int i = 0; k->names[i]; i++) {
			if (strcasecmp(value, k->names[i]) == 0) {
				*(int *)field = i;
				return 0;
			}
		}
		char list[128] = "";
		for (int i = 0; k->names[i]; i++) {
			size_t used = strlen(list);
			snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
				 k->names[i]);
		}
		snprintf(err, errlen, "key '%s': '%.64s' is not one of %s", k->name, value, list);
		return -EINVAL;
	}

	uint64_t v = 0;
	int r;
	const char *what;
	switch (k->type) {
	case CONFIG_BOOL:
		r = config_parse_bool(value, &v);
		what = "a bool (true/false, yes/no, on/off, 1/0)";
		break;
	case CONFIG_SIZE:
		r = size_parse(value, &v);
		what = "a size (e.g. 512M, 2G)";
		break;
	case CONFIG_RATIO:
		r = config_parse_ratio(value, &v);
		what = "a ratio (e.g. 0.75 or 75%)";
		break;
	default:
		r = config_parse_u64(value, &v);
		what = "an unsigned integer";
		break;
	}
	if (r == -EINVAL) {
		snprintf(err, errlen, "key '%s': '%.64s' is not %s", k->name, value, what);
		return -EINVAL;
	}
	char lo[32], hi[32];
	if (r < 0 || (k->type != CONFIG_BOOL && (v < k->min || v > k->max))) {
		snprintf(err, errlen, "key '%s': '%.64s' out of range %s..%s", k->name, value,
			 config_fmt(k, k->min, lo, sizeof(lo)),
			 config_fmt(k, k->max, hi, sizeof(hi)));
		return -ERANGE;
	}
	config_store_uint(field, k->size, v);
	return 0;
}

int config_guest_dir(const struct blimpd_config *c, const char *exe_link, char *out, size_t outlen,
		     char *err, size_t errlen)
{
	if (c->guest_dir[0]) {
		if ((size_t)snprintf(out, outlen, "%s", c->guest_dir) >= outlen)
			return -ENAMETOOLONG;
		return 0;
	}
	char cand[2][PATH_MAX];
	size_t n = 0;
	snprintf(cand[n++], sizeof(cand[0]), "%s", CONFIG_GUEST_DIR_INSTALLED);
	char exe[PATH_MAX];
	ssize_t len = exe_link ? readlink(exe_link, exe, sizeof(exe) - 1) : -1;
	if (len > 0) {
		exe[len] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash && slash != exe) {
			*slash = '\0';
			int w = snprintf(cand[n], sizeof(cand[0]), "%s/guest", exe);
			if (w > 0 && (size_t)w < sizeof(cand[0]))
				n++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		char probe[PATH_MAX + 16];
		int w = snprintf(probe, sizeof(probe), "%s/vmlinux", cand[i]);
		if (w > 0 && (size_t)w < sizeof(probe) && access(probe, R_OK) == 0) {
			if ((size_t)snprintf(out, outlen, "%s", cand[i]) >= outlen)
				return -ENAMETOOLONG;
			return 0;
		}
	}
	if (err && errlen)
		snprintf(err, errlen,
			 "no built-in guest (vmlinux) in %.1000s%s%.1000s: run make guest, or set "
			 "--guest-dir / guest_dir",
			 cand[0], n > 1 ? " or " : "", n > 1 ? cand[1] : "");
	return -ENOENT;
}

void config_default(struct blimpd_config *c)
{
	memset(c, 0, sizeof(*c));
	/* The policy's own defaults first: a policy setting the table does not expose
	 * (e.g. probe_scale_by_state) keeps the library's default, never a zero. */
	policy_settings_default(&c->policy);
	for (size_t i = 0; i < CONFIG_N_KEYS; i++) {
		char err[160];
		/* Defaults are checked by the unit tests; a bad one leaves the field zero. */
		if (config_set(c, config_keys[i].name, config_keys[i].def, err, sizeof(err)) < 0)
			log_err("config", "bad default: %s", err);
	}
}

/* ---- INI files ---------------------------------------------------------------- */

struct config_ini_ctx {
	struct blimpd_config *c;
	const char *next; /* reader position in the file's text */
	int line;	  /* line the reader handed out last */
	int err_line;	  /* line of the first error the handler found */
	char err[256];
	bool failed;
};

/* inih reader over a string that counts lines, so the handler knows where it is. */
static char *config_ini_reader(char *str, int num, void *stream)
{
	struct config_ini_ctx *ctx = stream;
	if (!*ctx->next || num < 2)
		return NULL;
	int i = 0;
	while (i < num - 1 && ctx->next[i]) {
		str[i] = ctx->next[i];
		if (ctx->next[i++] == '\n')
			break;
	}
	str[i] = '\0';
	ctx->next += i;
	ctx->line++;
	return str;
}

static int config_ini_handler(void *user, const char *section, const char *name, const char *value)
{
	struct config_ini_ctx *ctx = user;
	if (ctx->failed)
		return 1; /* only the first error is reported: don't make inih count more */
	if (section[0] == '\0') {
		snprintf(ctx->err, sizeof(ctx->err),
			 "key '%.64s' outside a section: put it under [blimpd]", name);
	} else if (strcmp(section, "blimpd") != 0) {
		snprintf(ctx->err, sizeof(ctx->err), "unknown section [%.64s] (only [blimpd])",
			 section);
	} else if (config_set(ctx->c, name, value, ctx->err, sizeof(ctx->err)) == 0) {
		return 1;
	}
	ctx->failed = true;
	ctx->err_line = ctx->line;
	return 0;
}

#define CONFIG_FILE_MAX (1024 * 1024)

static int config_read_whole(const char *path, char **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	char *buf = malloc(CONFIG_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	size_t n = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
	int rerr = ferror(f);
	fclose(f);
	if (rerr) {
		snprintf(err, errlen, "%s: read error", path);
		free(buf);
		return -EIO;
	}
	if (n > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, CONFIG_FILE_MAX);
		free(buf);
		return -EFBIG;
	}
	buf[n] = '\0';
	unsigned line = 1;
	size_t line_len = 0;
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\0') {
			snprintf(err, errlen, "%s:%u: NUL byte in file", path, line);
			free(buf);
			return -EINVAL;
		}
		if (buf[i] == '\n') {
			line++;
			line_len = 0;
		} else if (++line_len > CONFIG_LINE_MAX) {
			snprintf(err, errlen, "%s:%u: line longer than %d bytes", path, line,
				 CONFIG_LINE_MAX);
			free(buf);
			return -EINVAL;
		}
	}
	*out = buf;
	return 0;
}

static int config_load_one(struct blimpd_config *c, const char *path, char *err, size_t errlen)
{
	char *text = NULL;
	int r = config_read_whole(path, &text, err, errlen);
	if (r < 0)
		return r;
	struct blimpd_config tmp = *c;
	struct config_ini_ctx ctx = {.c = &tmp, .next = text};
	int line = ini_parse_stream(config_ini_reader, &ctx, config_ini_handler, &ctx);
	free(text);
	if (line < 0) {
		snprintf(err, errlen, "%s: cannot parse (%d)", path, line);
		return -ENOMEM;
	}
	if (line > 0) {
		snprintf(err, errlen, "%s:%d: %s", path, line,
			 ctx.failed && ctx.err_line == line
			     ? ctx.err
			     : "syntax error: expected [section] or key = value");
		return -EINVAL;
	}
	*c = tmp;
	return 0;
}

static int config_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted list of the NAME.conf entries of DIR. -ENOENT if DIR is missing. */
static int config_dropins(const char *dir, char ***out, size_t *n_out)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			char **nn = realloc(names, ncap * sizeof(*nn));
			if (!nn) {
				ret = -ENOMEM;
				goto out;
			}
			names = nn;
			cap = ncap;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			ret = -ENOMEM;
			goto out;
		}
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), config_cmp_names);
out:
	closedir(d);
	if (ret < 0) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return ret;
	}
	*out = names;
	*n_out = n;
	return 0;
}

int config_load(struct blimpd_config *c, const char *path, bool required, char *err, size_t errlen)
{
	char dummy[1];
	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (!path || !*path)
		return 0; /* no settings file: the defaults and the flags */
	int r = config_load_one(c, path, err, errlen);
	if (r == -ENOENT && !required) {
		err[0] = '\0';
	} else if (r < 0) {
		return r;
	}

	char dir[PATH_MAX];
	if (snprintf(dir, sizeof(dir), "%s.d", path) >= (int)sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	char **names = NULL;
	size_t n = 0;
	r = config_dropins(dir, &names, &n);
	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(-r));
		return r;
	}
	int ret = 0;
	for (size_t i = 0; i < n; i++) {
		char p[PATH_MAX];
		struct stat st;
		if (ret == 0 && snprintf(p, sizeof(p), "%s/%s", dir, names[i]) < (int)sizeof(p) &&
		    stat(p, &st) == 0 && S_ISREG(st.st_mode))
			ret = config_load_one(c, p, err, errlen);
		free(names[i]);
	}
	free(names);
	return ret;
}

int config_validate(const struct blimpd_config *c, char *err, size_t errlen)
{
	char dummy[1];
	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (c->state_dir[0] == '\0') {
		snprintf(err, errlen, "state_dir must be set");
		return -EINVAL;
	}
	if (c->socket_path[0] == '\0' || strlen(c->socket_path) > 107) {
		snprintf(err, errlen, "socket_path must be 1..107 bytes (a unix socket path)");
		return -EINVAL;
	}
	struct sockaddr_storage ml;
	socklen_t mll;
	if (c->metrics_listen[0] && metrics_parse_listen(c->metrics_listen, &ml, &mll) < 0) {
		snprintf(err, errlen,
			 "metrics_listen '%s': want ADDR:PORT with a numeric address, e.g. "
			 "127.0.0.1:25467 or [::1]:25467",
			 c->metrics_listen);
		return -EINVAL;
	}
	if (c->swapfile_bytes > 0 && c->swapfile_path[0] == '\0') {
		snprintf(err, errlen, "swapfile_size is set but swapfile_path is empty");
		return -EINVAL;
	}
	if (c->swapfile_bytes > 0 && c->swapfile_bytes < 40 * 1024) {
		snprintf(err, errlen, "swapfile_size must be 0 or at least 40K (mkswap's minimum)");
		return -EINVAL;
	}
	if (c->policy.stale_after_ms < c->collect_period_ms) {
		snprintf(err, errlen,
			 "stale_after_ms (%" PRIu64 ") below collect_period_ms (%u): every VM "
			 "would always be stale",
			 c->policy.stale_after_ms, c->collect_period_ms);
		return -EINVAL;
	}
	uint32_t frames = history_frames_for(c->history_s, c->collect_period_ms);
	if (frames && history_bound_bytes(frames, c->history_vms) > CONFIG_HISTORY_MAX_BYTES) {
		snprintf(err, errlen,
			 "history_s %u at collect_period_ms %u for history_vms %u needs %zu MiB, "
			 "over %u MiB: fewer seconds or VMs, or a longer period",
			 c->history_s, c->collect_period_ms, c->history_vms,
			 history_bound_bytes(frames, c->history_vms) >> 20,
			 CONFIG_HISTORY_MAX_BYTES >> 20);
		return -EINVAL;
	}
	struct policy_settings p = c->policy;
	if (p.budget_bytes == 0)
		p.budget_bytes = 1; /* resolved at start from host_mem/headroom */
	char perr[200];
	if (policy_settings_validate(&p, perr, sizeof(perr)) < 0) {
		snprintf(err, errlen, "policy settings: %s", perr);
		return -EINVAL;
	}
	return 0;
}

/* ---- Printing -------------------------------------------------------------------- */

static void config_value_str(const struct config_key *k, const struct blimpd_config *c, char *buf,
			     size_t len);
static void config_range_str(const struct config_key *k, char *buf, size_t len);

size_t config_key_count(void)
{
	return CONFIG_N_KEYS;
}

void config_key_view(const struct blimpd_config *c, size_t i, struct config_key_view *out)
{
	const struct config_key *k = &config_keys[i < CONFIG_N_KEYS ? i : 0];
	out->name = k->name;
	out->type = config_type_name(k->type);
	out->def = k->def;
	out->help = k->help;
	out->runtime = k->mut == CONFIG_RUNTIME;
	config_value_str(k, c, out->value, sizeof(out->value));
	config_range_str(k, out->range, sizeof(out->range));
}

int config_key_runtime(const char *key)
{
	const struct config_key *k = key ? config_find(key) : NULL;
	if (!k)
		return -EINVAL;
	return k->mut == CONFIG_RUNTIME;
}

size_t config_diff(const struct blimpd_config *a, const struct blimpd_config *b, bool runtime,
		   char *out, size_t outlen)
{
	size_t n = 0, used = 0;
	if (out && outlen)
		out[0] = '\0';
	for (size_t i = 0; i < CONFIG_N_KEYS; i++) {
		const struct config_key *k = &config_keys[i];
		if ((k->mut == CONFIG_RUNTIME) != runtime)
			continue;
		/* compared as written: the same value however it was spelt */
		char va[PATH_MAX], vb[PATH_MAX];
		config_value_str(k, a, va, sizeof(va));
		config_value_str(k, b, vb, sizeof(vb));
		if (strcmp(va, vb) == 0)
			continue;
		n++;
		if (!out || outlen < 5 || used >= outlen)
			continue;
		int w = snprintf(out + used, outlen - used, "%s%s", n > 1 ? ", " : "", k->name);
		if (w < 0 || (size_t)w >= outlen - used) {
			/* does not fit: end with "..." */
			memcpy(out + outlen - 4, "...", 4);
			used = outlen;
		} else {
			used += (size_t)w;
		}
	}
	return n;
}

int config_check_change(const struct blimpd_config *cur, const struct blimpd_config *next,
			char *err, size_t errlen)
{
	char dummy[1];
	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	int r = config_validate(next, err, errlen);
	if (r < 0)
		return r;
	char keys[512];
	if (config_diff(cur, next, false, keys, sizeof(keys)) > 0) {
		snprintf(err, errlen,
			 "restart needed for %s: only runtime keys change while blimpd runs "
			 "(docs/settings.md); nothing was changed",
			 keys);
		return -EINVAL;
	}
	return 0;
}

static void config_value_str(const struct config_key *k, const struct blimpd_config *c, char *buf,
			     size_t len)
{
	const char *field = (const char *)c + k->offset;
	switch (k->type) {
	case CONFIG_STRING:
	case CONFIG_PATH:
		snprintf(buf, len, "%s", field);
		break;
	case CONFIG_ENUM: {
		int v = *(const int *)field;
		int n = 0;
		while (k->names[n])
			n++;
		snprintf(buf, len, "%s", v >= 0 && v < n ? k->names[v] : "?");
		break;
	}
	default:
		config_fmt(k, config_load_uint(field, k->size), buf, len);
		break;
	}
}

static void config_range_str(const struct config_key *k, char *buf, size_t len)
{
	char lo[32], hi[32];
	switch (k->type) {
	case CONFIG_STRING:
		snprintf(buf, len, "at most %zu bytes", k->size - 1);
		break;
	case CONFIG_PATH:
		snprintf(buf, len, "absolute, at most %zu bytes", k->size - 1);
		break;
	case CONFIG_BOOL:
		snprintf(buf, len, "true, false");
		break;
	case CONFIG_ENUM:
		buf[0] = '\0';
		for (int i = 0; k->names[i]; i++) {
			size_t used = strlen(buf);
			snprintf(buf + used, len - used, "%s%s", i ? ", " : "", k->names[i]);
		}
		break;
	default:
		snprintf(buf, len, "%s..%s", config_fmt(k, k->min, lo, sizeof(lo)),
			 config_fmt(k, k->max, hi, sizeof(hi)));
		break;
	}
}

void config_print(const struct blimpd_config *c, FILE *out)
{
	/* Loadable as a config file: help on comment lines, one key = value each. */
	fprintf(out, "[blimpd]\n");
	for (size_t i = 0; i < CONFIG_N_KEYS; i++) {
		const struct config_key *k = &config_keys[i];
		char val[PATH_MAX], range[128];
		config_value_str(k, c, val, sizeof(val));
		config_range_str(k, range, sizeof(range));
		fprintf(out, "; %s\n; %s, %s, default \"%s\", %s\n%s = %s\n", k->help,
			config_type_name(k->type), range, k->def,
			k->mut == CONFIG_RUNTIME ? "runtime" : "restart", k->name, val);
	}
}

void config_print_markdown(FILE *out)
{
	fprintf(out,
		"# blimpd settings\n\n"
		"<!-- Generated from the table in src/daemon/config.c by config_print_markdown();\n"
		"     regenerate with: make build/tests/test_daemon_config &&\n"
		"     BLIMP_REGEN_DOCS=1 build/tests/test_daemon_config -->\n\n"
		"Host settings are read from `/etc/blimp/blimpd.conf`, section `[blimpd]`,\n"
		"then from the drop-ins `/etc/blimp/blimpd.conf.d/*.conf` in name order (a later\n"
		"file wins), then from command-line flags (which win over files). Unknown keys,\n"
		"values out of range and keys outside `[blimpd]` are errors that name the file\n"
		"and line. Lines are at most %d bytes.\n\n"
		"Types: **size** takes a K/M/G/T suffix (powers of 1024); **ratio** takes\n"
		"`0.75` or `75%%` (stored in permyriad, 1/10000); **bool** takes true/false,\n"
		"yes/no, on/off, 1/0.\n\n"
		"A *runtime* key takes effect while blimpd runs: on SIGHUP (`systemctl reload\n"
		"blimpd`) blimpd reads the settings again as at start (defaults, the file, its\n"
		"drop-ins, then the command-line flags it was started with, which still win) and\n"
		"`blimp config set KEY=VALUE...` changes runtime keys of the settings in force.\n"
		"Either way the new settings are checked as a whole and applied at once, between\n"
		"two ticks, or not at all: a bad value, or a *restart* key whose value differs\n"
		"from the one in force, refuses the whole change, says why (the reply; the log\n"
		"and the `config_refused` event for SIGHUP) and changes nothing. A *restart* key\n"
		"is bound at start (paths, sockets, allocations, timers): change the file or\n"
		"flag and restart blimpd. `blimp config set` is not written to any file: it\n"
		"lasts until blimpd restarts or the next SIGHUP re-reads the files. `blimp\n"
		"config` shows the settings in force.\n\n"
		"| key | type | default | range | when | description |\n"
		"|---|---|---|---|---|---|\n",
		CONFIG_LINE_MAX);
	for (size_t i = 0; i < CONFIG_N_KEYS; i++) {
		const struct config_key *k = &config_keys[i];
		char range[128];
		config_range_str(k, range, sizeof(range));
		char def[96];
		snprintf(def, sizeof(def), k->def[0] ? "`%s`" : "(empty)", k->def);
		fprintf(out, "| `%s` | %s | %s | %s | %s | %s |\n", k->name,
			config_type_name(k->type), def, range,
			k->mut == CONFIG_RUNTIME ? "runtime" : "restart", k->help);
	}
	fprintf(out, "\nExample:\n\n```ini\n[blimpd]\npolicy = blimp\nidle_tax = 0.75\n"
		     "headroom = 2G\nswapfile_size = 4G\n```\n");
}
