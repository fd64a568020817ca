/*
 * DESIGN: the esxtop-style memory screen and its batch CSV. Both read one `top`
 * result ({"host":{...}, "vms":[...]}). The screen shows human sizes in fixed-width
 * columns; the CSV carries plain bytes so gnuplot or a spreadsheet can use it.
 */
#include "cli/format.h"

#include <inttypes.h>
#include <string.h>

#include "util/size.h"

#define CLI_KSM_PAGE_BYTES 4096ULL

static json_object *cli_top_vms(json_object *result)
{
	json_object *vms = NULL;
	if (result && json_object_is_type(result, json_type_object) &&
	    json_object_object_get_ex(result, "vms", &vms) &&
	    json_object_is_type(vms, json_type_array))
		return vms;
	return NULL;
}

static json_object *cli_top_host(json_object *result)
{
	json_object *h = cli_json_unwrap(result, "host");
	return h == result ? NULL : h;
}

static const char *cli_top_mctl(json_object *vm)
{
	bool b;
	if (!cli_json_bool(vm, "mctl", &b))
		return "-";
	return b ? "Y" : "N";
}

/* The size columns of a top row, in order, after NAME. */
static const char *const cli_top_size_keys[] = {
    "memsz", "consumed", "ovhd", NULL /* MCTL? */, "mctlsz", "mctltgt", "mctlmax",
    "swcur", "swtgt",	 "shrd", "zero",	   "actv",   "actvs",	"actvf",
};
static const char *const cli_top_size_labels[] = {
    "MEMSZ", "CONSUMED", "OVHD", "MCTL?", "MCTLSZ", "MCTLTGT", "MCTLMAX",
    "SWCUR", "SWTGT",	 "SHRD", "ZERO",  "ACTV",   "ACTVS",   "ACTVF",
};
#define CLI_TOP_NCOLS (sizeof(cli_top_size_keys) / sizeof(cli_top_size_keys[0]))

void cli_format_top_row(json_object *vm, FILE *out)
{
	char buf[64];
	fprintf(out, "%-16.16s", cli_sanitize(cli_json_str(vm, "name"), buf, sizeof(buf)));
	for (size_t i = 0; i < CLI_TOP_NCOLS; i++) {
		if (!cli_top_size_keys[i])
			fprintf(out, " %5s", cli_top_mctl(vm));
		else
			fprintf(out, " %8s",
				cli_fmt_size(vm, cli_top_size_keys[i], buf, sizeof(buf)));
	}
	char reason[128];
	fprintf(out, " %s\n", cli_sanitize(cli_json_str(vm, "reason"), reason, sizeof(reason)));
}

static void cli_top_header(FILE *out)
{
	fprintf(out, "%-16s", "NAME");
	for (size_t i = 0; i < CLI_TOP_NCOLS; i++)
		fprintf(out, cli_top_size_keys[i] ? " %8s" : " %5s", cli_top_size_labels[i]);
	fprintf(out, " REASON\n");
}

void cli_format_top(json_object *result, const char *clock, FILE *out)
{
	json_object *host = cli_top_host(result);
	json_object *vms = cli_top_vms(result);
	char a[32], b[32], c[32], s[32];
	uint64_t v, w;

	fprintf(out, "blimp top %s  state %s", clock ? clock : "",
		cli_sanitize(cli_json_str(host, "state"), s, sizeof(s)));
	if (cli_json_u64(host, "overcommit", &v))
		fprintf(out, "  overcommit %" PRIu64 ".%02" PRIu64 "x", v / 10000,
			(v % 10000) / 100);
	else
		fprintf(out, "  overcommit -");
	fprintf(out, "  vms %zu\n", vms ? json_object_array_length(vms) : (size_t)0);
	fprintf(out, "MEM   budget %s  free %s  minfree %s  host available %s\n",
		cli_fmt_size(host, "budget", a, sizeof(a)),
		cli_fmt_size(host, "free", b, sizeof(b)),
		cli_fmt_size(host, "minfree", c, sizeof(c)),
		cli_fmt_size(host, "mem_available", s, sizeof(s)));
	fprintf(out, "KSM   run %s", cli_json_count(host, "ksm_run", &v) ? (v ? "1" : "0") : "-");
	if (cli_json_u64(host, "ksm_pages_sharing", &v))
		fprintf(out, "  sharing %s", size_format(v * CLI_KSM_PAGE_BYTES, a, sizeof(a)));
	if (cli_json_u64(host, "ksm_pages_shared", &v))
		fprintf(out, "  shared %s", size_format(v * CLI_KSM_PAGE_BYTES, a, sizeof(a)));
	if (cli_json_u64(host, "ksm_pages_to_scan", &v) && cli_json_u64(host, "ksm_sleep_ms", &w))
		fprintf(out, "  scan %" PRIu64 " pages/%" PRIu64 " ms", v, w);
	fprintf(out, "\n");
	if (cli_json_u64(host, "swap_total", &v) && cli_json_u64(host, "swap_free", &w))
		fprintf(out, "SWAP  used %s of %s\n", size_format(v > w ? v - w : 0, a, sizeof(a)),
			size_format(v, b, sizeof(b)));
	else
		fprintf(out, "SWAP  -\n");
	cli_format_wsalarm(host, "ALARM ", out);
	fprintf(out, "\n");
	cli_top_header(out);
	if (!vms)
		return;
	size_t n = json_object_array_length(vms);
	for (size_t i = 0; i < n; i++) {
		json_object *vm = json_object_array_get_idx(vms, i);
		if (vm && json_object_is_type(vm, json_type_object))
			cli_format_top_row(vm, out);
	}
}

/* CSV columns: host first (prefixed host_), then the VM's. */
static const char *const cli_csv_host_keys[] = {
    "state",
    "budget",
    "free",
    "minfree",
    "overcommit",
    "ksm_run",
    "ksm_pages_sharing",
    "swap_total",
    "swap_free",
    "mem_available",
    "psi_some_avg10",
};
static const char *const cli_csv_vm_keys[] = {
    "name",    "memsz",	      "consumed",     "ovhd",	"mctl",	  "mctlsz",
    "mctltgt", "mctlmax",     "swcur",	      "swtgt",	"shrd",	  "zero",
    "zip",     "actv",	      "actvs",	      "actvf",	"shares", "reservation",
    "limit",   "entitlement", "stats_age_ms", "reason",
};
#define CLI_CSV_NHOST (sizeof(cli_csv_host_keys) / sizeof(cli_csv_host_keys[0]))
#define CLI_CSV_NVM (sizeof(cli_csv_vm_keys) / sizeof(cli_csv_vm_keys[0]))

void cli_format_csv_header(FILE *out)
{
	fprintf(out, "timestamp");
	for (size_t i = 0; i < CLI_CSV_NHOST; i++)
		fprintf(out, ",host_%s", cli_csv_host_keys[i]);
	for (size_t i = 0; i < CLI_CSV_NVM; i++)
		fprintf(out, ",%s", cli_csv_vm_keys[i]);
	fprintf(out, "\n");
}

/* One CSV field: numbers plain, booleans 0/1, strings quoted when needed. */
static void cli_csv_field(json_object *o, const char *key, FILE *out)
{
	fputc(',', out);
	uint64_t v;
	bool b;
	const char *s;
	if (cli_json_u64(o, key, &v)) {
		fprintf(out, "%" PRIu64, v);
	} else if (cli_json_bool(o, key, &b)) {
		fputc(b ? '1' : '0', out);
	} else if ((s = cli_json_str(o, key)) != NULL) {
		bool quote = strpbrk(s, ",\"\r\n") != NULL;
		if (quote)
			fputc('"', out);
		for (; *s; s++) {
			unsigned char ch = (unsigned char)*s;
			if (ch == '"')
				fputs("\"\"", out);
			else if (ch < 0x20 || ch == 0x7f)
				fputc('?', out);
			else
				fputc(ch, out);
		}
		if (quote)
			fputc('"', out);
	}
}

static void cli_csv_row(json_object *host, json_object *vm, uint64_t time_ms, FILE *out)
{
	fprintf(out, "%" PRIu64 ".%03" PRIu64, time_ms / 1000, time_ms % 1000);
	for (size_t k = 0; k < CLI_CSV_NHOST; k++)
		cli_csv_field(host, cli_csv_host_keys[k], out);
	for (size_t k = 0; k < CLI_CSV_NVM; k++)
		cli_csv_field(vm, cli_csv_vm_keys[k], out);
	fputc('\n', out);
}

void cli_format_csv_rows(json_object *result, uint64_t time_ms, FILE *out)
{
	json_object *host = cli_top_host(result);
	json_object *vms = cli_top_vms(result);
	size_t n = vms ? json_object_array_length(vms) : 0;
	size_t rows = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *vm = json_object_array_get_idx(vms, i);
		if (!vm || !json_object_is_type(vm, json_type_object))
			continue;
		cli_csv_row(host, vm, time_ms, out);
		rows++;
	}
	if (rows == 0) /* the host's figures still make a time series */
		cli_csv_row(host, NULL, time_ms, out);
}
