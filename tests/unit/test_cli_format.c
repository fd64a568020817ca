/* The blimp CLI's formatters: status, ls, stats, top screen and CSV, and what they do
 * with missing, mistyped and hostile values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/format.h"

#define MIB (1024ULL * 1024)

/* Capture what a formatter writes to `out` as a string (caller frees). */
static char *cap_buf;
static size_t cap_len;
static FILE *cap_begin(void)
{
	cap_buf = NULL;
	cap_len = 0;
	FILE *f = open_memstream(&cap_buf, &cap_len);
	assert_non_null(f);
	return f;
}
static char *cap_end(FILE *f)
{
	fclose(f);
	return cap_buf;
}
#define CAPTURE(call)                                                                              \
	({                                                                                         \
		FILE *out = cap_begin();                                                           \
		call;                                                                              \
		cap_end(out);                                                                      \
	})

#define assert_prefix(s, lit) assert_int_equal(strncmp((s), (lit), strlen(lit)), 0)

static const char *vm_json =
    "{\"name\":\"vm1\",\"uuid\":\"u-1\",\"state\":\"running\",\"memsz\":536870912,"
    "\"consumed\":314572800,\"ovhd\":83886080,\"rss\":419430400,\"mctl\":true,"
    "\"mctlsz\":104857600,\"mctltgt\":125829120,\"mctlmax\":348966092,\"shrd\":10485760,"
    "\"zero\":2097152,\"shrdsvd\":0,\"swcur\":0,\"swtgt\":0,\"zip\":0,\"actv\":157286400,"
    "\"actvs\":146800640,\"actvf\":167772160,\"guest_total\":536870912,"
    "\"guest_free\":104857600,\"guest_available\":209715200,\"guest_caches\":52428800,"
    "\"guest_swap_in\":0,\"guest_swap_out\":0,\"guest_major_faults\":3,"
    "\"guest_minor_faults\":1000,\"stats_age_ms\":800,\"balloon_actual\":432013312,"
    "\"shares\":5120,\"reservation\":0,\"limit\":0,\"entitlement\":419430400,"
    "\"reason\":\"balloon, above entitlement\",\"future_figure\":77}";

static const char *host_json =
    "{\"mem_total\":25769803776,\"mem_available\":21474836480,\"budget\":21474836480,"
    "\"free\":3221225472,\"minfree\":643825664,\"state\":\"soft\",\"swap_total\":1073741824,"
    "\"swap_free\":943718400,\"psi_some_avg10\":1234,\"ksm_run\":1,\"ksm_pages_to_scan\":100,"
    "\"ksm_sleep_ms\":20,\"ksm_pages_sharing\":25600,\"ksm_pages_shared\":1000,"
    "\"zswap\":false,\"overcommit\":13500}";

static json_object *parse(const char *s)
{
	json_object *o = json_tokener_parse(s);
	assert_non_null(o);
	return o;
}

static void test_json_helpers(void **state)
{
	(void)state;
	json_object *o = parse("{\"a\":5,\"b\":-1,\"c\":\"x\",\"d\":true,\"e\":null,\"f\":2.5,"
			       "\"g\":18446744073709551615,\"h\":{\"k\":1}}");
	uint64_t v = 9;
	assert_true(cli_json_u64(o, "a", &v));
	assert_int_equal(v, 5);
	assert_true(cli_json_u64(o, "g", &v));
	assert_true(v == UINT64_MAX);
	assert_true(cli_json_u64(o, "f", &v));
	assert_int_equal(v, 2);
	v = 9;
	assert_false(cli_json_u64(o, "b", &v));
	assert_false(cli_json_u64(o, "c", &v));
	assert_false(cli_json_u64(o, "e", &v));
	assert_false(cli_json_u64(o, "missing", &v));
	assert_false(cli_json_u64(NULL, "a", &v));
	assert_int_equal(v, 9);
	bool b = false;
	assert_true(cli_json_bool(o, "d", &b));
	assert_true(b);
	assert_false(cli_json_bool(o, "a", &b));
	assert_string_equal(cli_json_str(o, "c"), "x");
	assert_null(cli_json_str(o, "a"));
	assert_ptr_not_equal(cli_json_unwrap(o, "h"), o);
	assert_ptr_equal(cli_json_unwrap(o, "c"), o);
	json_object_put(o);

	char buf[8];
	assert_string_equal(cli_sanitize("a\033[2J\n\xff", buf, sizeof(buf)), "a?[2J??");
	assert_string_equal(cli_sanitize("0123456789", buf, sizeof(buf)), "0123456");
	assert_string_equal(cli_sanitize(NULL, buf, sizeof(buf)), "-");
}

static void test_status(void **state)
{
	(void)state;
	char *doc;
	assert_true(
	    asprintf(&doc,
		     "{\"host\":%s,\"version\":\"0.1\",\"policy\":\"esx\",\"dry_run\":true,"
		     "\"libvirt_uri\":\"qemu:///embed?root=/var/lib/blimp\",\"accel\":\"tcg\","
		     "\"accel_reason\":\"kvm_pvm loaded\",\"n_vms\":2,\"counters\":{"
		     "\"ctl_bad_requests\":3,\"ctl_refused\":0,\"ctl_dropped\":1,"
		     "\"guest_stats_clamped\":17,\"cgroup_rescues\":2,\"cgroup_refused\":0,"
		     "\"cgroup_oom_kills\":0,\"history_slots_recycled\":4,"
		     "\"history_vms_dropped\":0},\"history\":{\"seconds\":3600,\"vms\":64,"
		     "\"bytes\":6631568,\"frames\":120,\"oldest_s\":119}}",
		     host_json) > 0);
	json_object *r = parse(doc);
	free(doc);
	char *s = CAPTURE(cli_format_status(r, out));
	assert_non_null(strstr(s, "state       soft\n"));
	assert_non_null(strstr(s, "budget      20.0G\n"));
	assert_non_null(strstr(s, "free        3.0G (minfree 614.0M)\n"));
	assert_non_null(strstr(s, "overcommit  1.35x"));
	assert_non_null(strstr(s, "accel       tcg (kvm_pvm loaded)\n"));
	assert_non_null(strstr(s, "libvirt     qemu:///embed?root=/var/lib/blimp\n"));
	assert_non_null(strstr(s, "ksm         running, 100 pages per 20 ms, sharing 25600 pages "
				  "(100.0M saved)"));
	assert_non_null(strstr(s, "swap        124.0M used of 1.0G, zswap off\n"));
	assert_non_null(strstr(s, "some avg10 12.34%"));
	assert_non_null(strstr(s, "policy      esx (dry run)\n"));
	assert_non_null(strstr(s, "vms         2\n"));
	assert_non_null(strstr(s, "input       3 bad requests, 0 clients refused, 1 dropped, 17 "
				  "guest stats clamped\n"));
	assert_non_null(strstr(s, "host swap   limit rescues 2, refused 0, OOM kills 0\n"));
	assert_non_null(strstr(s, "history     3600 s of up to 64 VMs in 6.3M, 119 s held; 4 slots "
				  "recycled, 0 samples dropped\n"));
	free(s);
	json_object_put(r);
	r = parse("{\"counters\":{},\"history\":{\"seconds\":0}}");
	s = CAPTURE(cli_format_status(r, out));
	assert_non_null(strstr(s, "history     off (history_s = 0)\n"));
	free(s);
	json_object_put(r);

	/* an empty or wrong-typed result prints dashes, never crashes */
	r = parse("{\"host\":[],\"accel\":7,\"n_vms\":\"two\"}");
	s = CAPTURE(cli_format_status(r, out));
	assert_non_null(strstr(s, "budget      -\n"));
	assert_non_null(strstr(s, "accel       -\n"));
	assert_non_null(strstr(s, "vms         -\n"));
	assert_null(strstr(s, "input")); /* no counters object: no line */
	free(s);
	json_object_put(r);
	/* blimpd sends ksm_run as a boolean */
	r = parse("{\"host\":{\"ksm_run\":true}}");
	s = CAPTURE(cli_format_status(r, out));
	assert_non_null(strstr(s, "ksm         running,"));
	free(s);
	s = CAPTURE(cli_format_top(r, NULL, out));
	assert_non_null(strstr(s, "KSM   run 1"));
	free(s);
	json_object_put(r);
	s = CAPTURE(cli_format_status(NULL, out));
	assert_non_null(strstr(s, "state       -\n"));
	free(s);
}

static void test_ls(void **state)
{
	(void)state;
	json_object *r =
	    parse("{\"vms\":[{\"name\":\"vm1\",\"uuid\":\"u1\",\"state\":\"running\","
		  "\"memsz\":268435456,\"consumed\":104857600,\"mctlsz\":0,"
		  "\"managed\":true},7,{\"name\":\"x\\u001b[31m\",\"managed\":false}]}");
	char *s = CAPTURE(cli_format_ls(r, out));
	char *line2 = strchr(s, '\n') + 1;
	assert_prefix(s, "NAME ");
	assert_non_null(strstr(line2, "vm1 "));
	assert_non_null(strstr(line2, "256.0M"));
	assert_non_null(strstr(line2, "100.0M"));
	assert_non_null(strstr(line2, " yes "));
	assert_null(strchr(s, '\033'));
	assert_non_null(strstr(s, "x?[31m"));
	int lines = 0;
	for (char *p = s; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 3); /* header + 2 VMs; the 7 is skipped */
	free(s);
	json_object_put(r);
}

static void test_stats(void **state)
{
	(void)state;
	json_object *vm = parse(vm_json);
	char *s = CAPTURE(cli_format_stats(vm, out));
	static const char *want[] = {
	    "MEMSZ               512.0M",
	    "CONSUMED            300.0M",
	    "OVHD                80.0M",
	    "MCTL?               yes",
	    "MCTLSZ              100.0M",
	    "MCTLTGT             120.0M",
	    "MCTLMAX             332.8M",
	    "SHRD                10.0M",
	    "ZERO                2.0M",
	    "ACTV                150.0M",
	    "ACTVS               140.0M",
	    "ACTVF               160.0M",
	    "SWCUR               0",
	    "SHARES              5120",
	    "guest_major_faults  3",
	    "stats_age           800 ms",
	    "REASON              balloon, above entitlement",
	    "future_figure       77",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!strstr(s, want[i]))
			fail_msg("missing '%s' in:\n%s", want[i], s);
	}
	free(s);
	json_object_put(vm);

	/* stale stats and missing figures */
	vm = parse("{\"name\":\"v\",\"stats_age_ms\":18446744073709551615,\"mctl\":\"yes\"}");
	s = CAPTURE(cli_format_stats(vm, out));
	assert_non_null(strstr(s, "stats_age           never"));
	assert_non_null(strstr(s, "MCTL?               -"));
	assert_non_null(strstr(s, "MEMSZ               -"));
	free(s);
	json_object_put(vm);
}

static void test_balloon_range(void **state)
{
	(void)state;
	char msg[256];
	/* 512M VM, MCTLMAX 65% = 332.8M, keep 112M -> balloon would take 400M */
	cli_format_balloon_range(512 * MIB, 348966092, 112 * MIB, msg, sizeof(msg));
	assert_non_null(strstr(msg, "balloon would take 400.0M, more than MCTLMAX 332.8M"));
	cli_format_balloon_range(512 * MIB, 348966092, 1024 * MIB, msg, sizeof(msg));
	assert_non_null(strstr(msg, "1024.0M is more than the VM's MEMSZ 512.0M"));
	/* Close values never print alike. */
	cli_format_balloon_range(512 * MIB, 348966092, 512 * MIB + 4096, msg, sizeof(msg));
	assert_non_null(strstr(msg, "524292.0K is more than the VM's MEMSZ 524288.0K"));
	cli_format_balloon_range(512 * MIB, 348966092, 512 * MIB - 348966092 - 1, msg, sizeof(msg));
	assert_non_null(strstr(msg, "balloon would take 348966093B, more than MCTLMAX 348966092B"));
}

static void test_top(void **state)
{
	(void)state;
	char *doc;
	assert_true(asprintf(&doc, "{\"host\":%s,\"vms\":[%s,{\"name\":\"vm2\"}]}", host_json,
			     vm_json) > 0);
	json_object *r = parse(doc);
	free(doc);
	char *s = CAPTURE(cli_format_top(r, "12:00:00", out));
	assert_non_null(strstr(s, "blimp top 12:00:00  state soft  overcommit 1.35x  vms 2\n"));
	assert_non_null(strstr(s, "budget 20.0G  free 3.0G  minfree 614.0M"));
	assert_non_null(strstr(s, "KSM   run 1  sharing 100.0M"));
	assert_non_null(strstr(s, "SWAP  used 124.0M of 1.0G"));
	const char *hdr = strstr(s, "NAME ");
	assert_non_null(hdr);
	/* every column, in order */
	static const char *cols[] = {"MEMSZ",	"CONSUMED", "OVHD",  "MCTL?", "MCTLSZ",
				     "MCTLTGT", "MCTLMAX",  "SWCUR", "SWTGT", "SHRD",
				     "ZERO",	"ACTV",	    "ACTVS", "ACTVF", "REASON"};
	const char *p = hdr;
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		p = strstr(p, cols[i]);
		assert_non_null(p);
	}
	const char *row = strstr(s, "\nvm1 ");
	assert_non_null(row);
	assert_non_null(strstr(row, "  512.0M   300.0M    80.0M     Y   100.0M   120.0M   332.8M"));
	const char *row2 = strstr(s, "\nvm2 ");
	assert_non_null(row2);
	assert_non_null(strstr(row2, "       -        -"));
	size_t hdr_len = (size_t)(strstr(hdr, "REASON") - hdr);
	free(s);

	/* one row alone lines up with the header: same width up to REASON */
	s = CAPTURE(cli_format_top_row(
	    json_object_array_get_idx(json_object_object_get(r, "vms"), 0), out));
	assert_string_equal(s + hdr_len, "balloon, above entitlement\n");
	free(s);
	json_object_put(r);

	s = CAPTURE(cli_format_top(NULL, NULL, out));
	assert_non_null(strstr(s, "state -"));
	assert_non_null(strstr(s, "NAME "));
	free(s);
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

static void test_csv(void **state)
{
	(void)state;
	char *hdr = CAPTURE(cli_format_csv_header(out));
	assert_prefix(hdr, "timestamp,host_state,host_budget,");
	assert_non_null(strstr(hdr, ",name,memsz,consumed,ovhd,mctl,mctlsz,mctltgt,mctlmax,"));
	assert_non_null(strstr(hdr, ",reason\n"));
	size_t ncomma = count_char(hdr, ',');

	char *doc;
	assert_true(asprintf(&doc, "{\"host\":%s,\"vms\":[%s,{\"name\":\"q\\\"x\\n\"}]}", host_json,
			     vm_json) > 0);
	json_object *r = parse(doc);
	free(doc);
	char *s = CAPTURE(cli_format_csv_rows(r, 1700000000123ULL, out));
	assert_prefix(s, "1700000000.123,soft,21474836480,3221225472,643825664,13500,");
	assert_non_null(strstr(s, ",vm1,536870912,314572800,83886080,1,104857600,"));
	/* the comma in the reason is quoted; the hostile name is quoted, its quote doubled
	 * and its newline replaced, so every row stays one line */
	assert_non_null(strstr(s, ",\"balloon, above entitlement\"\n"));
	assert_non_null(strstr(s, ",\"q\"\"x?\","));
	assert_int_equal(count_char(s, '\n'), 2);
	char *second = strchr(s, '\n') + 1;
	/* field count: every row has as many fields as the header (quoted comma aside) */
	assert_int_equal(count_char(second, ','), ncomma);
	free(s);
	json_object_put(r);

	/* no VMs: one row with the host columns still makes a time series */
	assert_true(asprintf(&doc, "{\"host\":%s,\"vms\":[]}", host_json) > 0);
	r = parse(doc);
	free(doc);
	s = CAPTURE(cli_format_csv_rows(r, 5, out));
	assert_prefix(s, "0.005,soft,");
	assert_int_equal(count_char(s, '\n'), 1);
	assert_int_equal(count_char(s, ','), ncomma);
	free(s);
	json_object_put(r);
	free(hdr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_helpers),
	    cmocka_unit_test(test_status),
	    cmocka_unit_test(test_ls),
	    cmocka_unit_test(test_stats),
	    cmocka_unit_test(test_balloon_range),
	    cmocka_unit_test(test_top),
	    cmocka_unit_test(test_csv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
