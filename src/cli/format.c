/*
 * DESIGN: text output for status, ls and stats. The stats field table below is the
 * single list of figures `blimp stats` knows (vocabulary name, JSON key, kind); keys
 * the daemon sends that the table does not know are printed after it, so a newer
 * daemon's figures are never hidden.
 */
#include "cli/format.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "util/size.h"

bool cli_json_u64(json_object *o, const char *key, uint64_t *out)
{
	json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !v)
		return false;
	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) < 0)
			return false;
		*out = json_object_get_uint64(v);
		return true;
	}
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);
		if (!isfinite(d) || d < 0 || d >= 18446744073709551615.0)
			return false;
		*out = (uint64_t)d;
		return true;
	}
	return false;
}

bool cli_json_bool(json_object *o, const char *key, bool *out)
{
	json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_boolean))
		return false;
	*out = json_object_get_boolean(v);
	return true;
}

bool cli_json_count(json_object *o, const char *key, uint64_t *out)
{
	bool b;
	if (cli_json_bool(o, key, &b)) {
		*out = b;
		return true;
	}
	return cli_json_u64(o, key, out);
}

const char *cli_json_str(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

json_object *cli_json_unwrap(json_object *o, const char *key)
{
	json_object *v;
	if (o && json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_object))
		return v;
	return o;
}

const char *cli_sanitize(const char *s, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (!s)
		s = "-";
	size_t i = 0;
	for (; s[i] && i + 1 < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		buf[i] = (ch < 0x20 || ch >= 0x7f) ? '?' : (char)ch;
	}
	buf[i] = '\0';
	return buf;
}

const char *cli_fmt_size(json_object *o, const char *key, char *buf, size_t len)
{
	uint64_t v;
	if (!cli_json_u64(o, key, &v)) {
		snprintf(buf, len, "-");
		return buf;
	}
	return size_format(v, buf, len);
}

static const char *cli_fmt_u64(json_object *o, const char *key, char *buf, size_t len)
{
	uint64_t v;
	if (cli_json_u64(o, key, &v))
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "-");
	return buf;
}

static const char *cli_fmt_str(json_object *o, const char *key, char *buf, size_t len)
{
	return cli_sanitize(cli_json_str(o, key), buf, len);
}

static const char *cli_fmt_bool(json_object *o, const char *key, const char *yes, const char *no)
{
	bool b;
	if (!cli_json_bool(o, key, &b))
		return "-";
	return b ? yes : no;
}

/* permyriad as a percentage "12.34%" */
static const char *cli_fmt_permyriad(json_object *o, const char *key, char *buf, size_t len)
{
	uint64_t v;
	if (!cli_json_u64(o, key, &v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%" PRIu64 ".%02" PRIu64 "%%", v / 100, v % 100);
	return buf;
}

/* KSM counts pages; blimp's hosts are x86-64, where a KSM page is 4 KiB. */
#define CLI_KSM_PAGE_BYTES 4096ULL

void cli_format_wsalarm(json_object *host, const char *label, FILE *out)
{
	uint64_t miss = 0, ws = 0, budget = 0;
	if (!cli_json_u64(host, "working_set_shortfall_bytes", &miss) || !miss)
		return;
	char a[32], b[32], c[32];
	cli_json_u64(host, "working_set_bytes", &ws);
	cli_json_u64(host, "budget", &budget);
	fprintf(out, "%sworking sets exceed the budget: %s missing (%s of working sets + OVHD, "
		     "budget %s, no host swap for it)\n",
		label, size_format(miss, a, sizeof(a)), size_format(ws, b, sizeof(b)),
		size_format(budget, c, sizeof(c)));
}

void cli_format_status(json_object *result, FILE *out)
{
	char a[64], b[64], c[64], d[64], e[64], s[512];
	json_object *host = cli_json_unwrap(result, "host");
	if (host == result)
		host = NULL; /* no host object: print "-" for its figures */
	fprintf(out, "blimpd      %s\n", cli_fmt_str(result, "version", s, sizeof(s)));
	fprintf(out, "state       %s\n", cli_fmt_str(host, "state", s, sizeof(s)));
	fprintf(out, "budget      %s\n", cli_fmt_size(host, "budget", a, sizeof(a)));
	fprintf(out, "free        %s (minfree %s)\n", cli_fmt_size(host, "free", a, sizeof(a)),
		cli_fmt_size(host, "minfree", b, sizeof(b)));
	fprintf(out, "host memory %s total, %s available\n",
		cli_fmt_size(host, "mem_total", a, sizeof(a)),
		cli_fmt_size(host, "mem_available", b, sizeof(b)));
	uint64_t oc;
	if (cli_json_u64(host, "overcommit", &oc))
		fprintf(out, "overcommit  %" PRIu64 ".%02" PRIu64 "x (sum of MEMSZ / budget)\n",
			oc / 10000, (oc % 10000) / 100);
	else
		fprintf(out, "overcommit  -\n");
	cli_format_wsalarm(host, "ALARM       ", out);
	char reason[512];
	const char *why = cli_json_str(result, "accel_reason");
	fprintf(out, "accel       %s%s%s%s\n", cli_fmt_str(result, "accel", s, sizeof(s)),
		why ? " (" : "", why ? cli_sanitize(why, reason, sizeof(reason)) : "",
		why ? ")" : "");
	fprintf(out, "libvirt     %s\n", cli_fmt_str(result, "libvirt_uri", s, sizeof(s)));
	uint64_t run = 0, sharing = 0;
	bool have_run = cli_json_count(host, "ksm_run", &run);
	bool have_sharing = cli_json_u64(host, "ksm_pages_sharing", &sharing);
	if (have_sharing)
		size_format(sharing * CLI_KSM_PAGE_BYTES, d, sizeof(d));
	else
		snprintf(d, sizeof(d), "-");
	fprintf(out, "ksm         %s, %s pages per %s ms, sharing %s pages (%s saved), shared %s\n",
		!have_run  ? "-"
		: run == 1 ? "running"
		: run == 0 ? "stopped"
			   : "unmerging",
		cli_fmt_u64(host, "ksm_pages_to_scan", a, sizeof(a)),
		cli_fmt_u64(host, "ksm_sleep_ms", b, sizeof(b)),
		cli_fmt_u64(host, "ksm_pages_sharing", c, sizeof(c)), d,
		cli_fmt_u64(host, "ksm_pages_shared", s, sizeof(s)));
	uint64_t st, sf;
	if (cli_json_u64(host, "swap_total", &st) && cli_json_u64(host, "swap_free", &sf)) {
		if (st == 0)
			fprintf(out, "swap        none");
		else
			fprintf(out, "swap        %s used of %s",
				size_format(st > sf ? st - sf : 0, a, sizeof(a)),
				size_format(st, b, sizeof(b)));
	} else {
		fprintf(out, "swap        -");
	}
	bool zs;
	if (cli_json_bool(host, "zswap", &zs) && cli_json_u64(host, "zswapped", &st) &&
	    cli_json_u64(host, "zswap_pool", &sf))
		fprintf(out, ", zswap %s (%s in it, %s compressed)\n", zs ? "on" : "off",
			size_format(st, a, sizeof(a)), size_format(sf, b, sizeof(b)));
	else if (cli_json_bool(host, "zswap", &zs))
		fprintf(out, ", zswap %s\n", zs ? "on" : "off");
	else
		fprintf(out, ", zswap %s\n", cli_fmt_str(host, "zswap", s, sizeof(s)));
	fprintf(out, "pressure    some avg10 %s\n",
		cli_fmt_permyriad(host, "psi_some_avg10", a, sizeof(a)));
	fprintf(out, "policy      %s%s\n", cli_fmt_str(result, "policy", s, sizeof(s)),
		strcmp(cli_fmt_bool(result, "dry_run", "y", "n"), "y") == 0 ? " (dry run)" : "");
	fprintf(out, "vms         %s\n", cli_fmt_u64(result, "n_vms", a, sizeof(a)));
	json_object *k = NULL;
	if (!json_object_object_get_ex(result, "counters", &k) ||
	    !json_object_is_type(k, json_type_object))
		return;
	fprintf(out,
		"input       %s bad requests, %s clients refused, %s dropped, %s guest stats "
		"clamped\n",
		cli_fmt_u64(k, "ctl_bad_requests", a, sizeof(a)),
		cli_fmt_u64(k, "ctl_refused", b, sizeof(b)),
		cli_fmt_u64(k, "ctl_dropped", c, sizeof(c)),
		cli_fmt_u64(k, "guest_stats_clamped", d, sizeof(d)));
	fprintf(out, "host swap   limit rescues %s, refused %s, OOM kills %s\n",
		cli_fmt_u64(k, "cgroup_rescues", a, sizeof(a)),
		cli_fmt_u64(k, "cgroup_refused", b, sizeof(b)),
		cli_fmt_u64(k, "cgroup_oom_kills", c, sizeof(c)));
	json_object *h = NULL;
	uint64_t secs;
	if (!json_object_object_get_ex(result, "history", &h) || !cli_json_u64(h, "seconds", &secs))
		return;
	if (!secs) {
		fprintf(out, "history     off (history_s = 0)\n");
		return;
	}
	fprintf(out, "history     %s s of up to %s VMs in %s, %s s held; %s slots recycled, %s "
		"samples dropped\n",
		cli_fmt_u64(h, "seconds", a, sizeof(a)), cli_fmt_u64(h, "vms", b, sizeof(b)),
		cli_fmt_size(h, "bytes", c, sizeof(c)), cli_fmt_u64(h, "oldest_s", d, sizeof(d)),
		cli_fmt_u64(k, "history_slots_recycled", s, sizeof(s)),
		cli_fmt_u64(k, "history_vms_dropped", e, sizeof(e)));
}

void cli_format_ls(json_object *result, FILE *out)
{
	json_object *vms = NULL;
	if (result && json_object_is_type(result, json_type_array))
		vms = result;
	else if (result && json_object_is_type(result, json_type_object))
		json_object_object_get_ex(result, "vms", &vms);
	fprintf(out, "%-20s %-10s %8s %8s %8s %-7s %s\n", "NAME", "STATE", "MEMSZ", "CONSUMED",
		"MCTLSZ", "MANAGED", "UUID");
	if (!vms || !json_object_is_type(vms, json_type_array))
		return;
	size_t n = json_object_array_length(vms);
	for (size_t i = 0; i < n; i++) {
		json_object *vm = json_object_array_get_idx(vms, i);
		if (!vm || !json_object_is_type(vm, json_type_object))
			continue;
		char name[64], state[32], m[32], co[32], mc[32], uuid[64];
		fprintf(out, "%-20s %-10s %8s %8s %8s %-7s %s\n",
			cli_fmt_str(vm, "name", name, sizeof(name)),
			cli_fmt_str(vm, "state", state, sizeof(state)),
			cli_fmt_size(vm, "memsz", m, sizeof(m)),
			cli_fmt_size(vm, "consumed", co, sizeof(co)),
			cli_fmt_size(vm, "mctlsz", mc, sizeof(mc)),
			cli_fmt_bool(vm, "managed", "yes", "no"),
			cli_fmt_str(vm, "uuid", uuid, sizeof(uuid)));
	}
}

enum cli_field_kind { CLI_F_STR, CLI_F_SIZE, CLI_F_COUNT, CLI_F_BOOL, CLI_F_MS };

static const struct {
	const char *key;
	const char *label;
	enum cli_field_kind kind;
	const char *help;
} cli_stats_fields[] = {
    {"name", "NAME", CLI_F_STR, NULL},
    {"uuid", "UUID", CLI_F_STR, NULL},
    {"state", "STATE", CLI_F_STR, NULL},
    {"memsz", "MEMSZ", CLI_F_SIZE, "configured memory"},
    {"consumed", "CONSUMED", CLI_F_SIZE, "host memory backing guest RAM"},
    {"ovhd", "OVHD", CLI_F_SIZE, "QEMU's memory beyond guest RAM"},
    {"rss", "RSS", CLI_F_SIZE, "QEMU's resident set"},
    {"mctl", "MCTL?", CLI_F_BOOL, "balloon driver answering"},
    {"mctlsz", "MCTLSZ", CLI_F_SIZE, "ballooned now"},
    {"mctltgt", "MCTLTGT", CLI_F_SIZE, "balloon target"},
    {"mctlmax", "MCTLMAX", CLI_F_SIZE, "most the balloon may take"},
    {"balloon_actual", "balloon_actual", CLI_F_SIZE, "memory the guest holds"},
    {"shrd", "SHRD", CLI_F_SIZE, "merged by KSM"},
    {"zero", "ZERO", CLI_F_SIZE, "zero pages merged"},
    {"shrdsvd", "SHRDSVD", CLI_F_SIZE, "saved by sharing, host-wide"},
    {"swcur", "SWCUR", CLI_F_SIZE, "in host swap"},
    {"swtgt", "SWTGT", CLI_F_SIZE, "host swap target"},
    {"zip", "ZIP", CLI_F_SIZE, "in zswap (original size)"},
    {"zip_estimated", "zip_estimated", CLI_F_BOOL, "ZIP is the host's zswap shared by SWCUR"},
    {"actv", "ACTV", CLI_F_SIZE, "active estimate"},
    {"actvs", "ACTVS", CLI_F_SIZE, "active, slow average"},
    {"actvf", "ACTVF", CLI_F_SIZE, "active, fast average"},
    {"shares", "SHARES", CLI_F_COUNT, NULL},
    {"reservation", "RESERVATION", CLI_F_SIZE, NULL},
    {"limit", "LIMIT", CLI_F_SIZE, NULL},
    {"entitlement", "ENTITLEMENT", CLI_F_SIZE, "what the policy grants"},
    {"reason", "REASON", CLI_F_STR, NULL},
    {"guest_total", "guest_total", CLI_F_SIZE, "guest MemTotal"},
    {"guest_available", "guest_available", CLI_F_SIZE, "guest MemAvailable"},
    {"guest_free", "guest_free", CLI_F_SIZE, "guest MemFree"},
    {"guest_caches", "guest_caches", CLI_F_SIZE, "guest page cache"},
    {"guest_swap_in", "guest_swap_in", CLI_F_SIZE, "swapped in by the guest"},
    {"guest_swap_out", "guest_swap_out", CLI_F_SIZE, "swapped out by the guest"},
    {"guest_major_faults", "guest_major_faults", CLI_F_COUNT, NULL},
    {"guest_minor_faults", "guest_minor_faults", CLI_F_COUNT, NULL},
    {"stats_age_ms", "stats_age", CLI_F_MS, "age of the guest's last stats"},
    {"managed", "managed", CLI_F_BOOL, "started by blimp"},
    {"maxmemctl", "maxmemctl", CLI_F_SIZE, "setting (0 = 65% of MEMSZ)"},
    {"balloon_target", "balloon_target", CLI_F_SIZE, "memory the guest is asked to keep"},
    {"balloon_manual", "balloon_manual", CLI_F_BOOL, "set by `blimp balloon`"},
    {"pid", "pid", CLI_F_COUNT, "QEMU's process"},
};
#define CLI_N_STATS_FIELDS (sizeof(cli_stats_fields) / sizeof(cli_stats_fields[0]))

static void cli_format_stats_value(json_object *vm, const char *key, enum cli_field_kind kind,
				   char *buf, size_t len)
{
	uint64_t v;
	switch (kind) {
	case CLI_F_STR:
		cli_fmt_str(vm, key, buf, len);
		break;
	case CLI_F_SIZE:
		cli_fmt_size(vm, key, buf, len);
		break;
	case CLI_F_COUNT:
		cli_fmt_u64(vm, key, buf, len);
		break;
	case CLI_F_BOOL:
		snprintf(buf, len, "%s", cli_fmt_bool(vm, key, "yes", "no"));
		break;
	case CLI_F_MS:
		if (!cli_json_u64(vm, key, &v))
			snprintf(buf, len, "-");
		else if (v == UINT64_MAX || v > 1000ULL * 86400 * 365 * 100)
			snprintf(buf, len, "never");
		else
			snprintf(buf, len, "%" PRIu64 " ms", v);
		break;
	}
}

void cli_format_stats(json_object *vm, FILE *out)
{
	char val[256];
	for (size_t i = 0; i < CLI_N_STATS_FIELDS; i++) {
		cli_format_stats_value(vm, cli_stats_fields[i].key, cli_stats_fields[i].kind, val,
				       sizeof(val));
		if (cli_stats_fields[i].help)
			fprintf(out, "%-19s %-10s %s\n", cli_stats_fields[i].label, val,
				cli_stats_fields[i].help);
		else
			fprintf(out, "%-19s %s\n", cli_stats_fields[i].label, val);
	}
	if (!vm || !json_object_is_type(vm, json_type_object))
		return;
	/* Figures this client does not know yet: shown raw. */
	json_object_object_foreach(vm, key, v)
	{
		bool known = false;
		for (size_t i = 0; i < CLI_N_STATS_FIELDS && !known; i++)
			known = strcmp(key, cli_stats_fields[i].key) == 0;
		if (known)
			continue;
		char k[64];
		cli_sanitize(key, k, sizeof(k));
		cli_sanitize(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), val,
			     sizeof(val));
		fprintf(out, "%-19s %s\n", k, val);
	}
}

void cli_format_balloon_range(uint64_t memsz, uint64_t mctlmax, uint64_t keep_bytes, char *buf,
			      size_t len)
{
	char a[32], b[32], c[32];
	if (keep_bytes > memsz) {
		size_format_pair(keep_bytes, memsz, a, b, sizeof(a));
		snprintf(buf, len, "%s is more than the VM's MEMSZ %s", a, b);
	} else {
		size_format_pair(memsz - keep_bytes, mctlmax, a, b, sizeof(a));
		snprintf(
		    buf, len,
		    "balloon would take %s, more than MCTLMAX %s (the guest keeps at least %s)", a,
		    b, size_format(memsz > mctlmax ? memsz - mctlmax : 0, c, sizeof(c)));
	}
}

void cli_print_result(json_object *o, bool json, int json_flags,
		      void (*format)(json_object *, FILE *))
{
	if (json)
		printf("%s\n",
		       json_object_to_json_string_ext(o, json_flags | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		format(o, stdout);
}
