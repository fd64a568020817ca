/* The Prometheus text rendering (daemon/metrics_render.c): every figure with HELP and
 * TYPE, label escaping, the host state set, the histogram, ADDR:PORT parsing, and a
 * 64-VM fleet whose every line parses as the exposition format. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/metrics.h"

static void vm_fill(struct metrics_vm *v, int i)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "vm%d", i);
	snprintf(v->uuid, sizeof(v->uuid), "00000000-0000-0000-0000-%012d", i);
	v->running = true;
	v->mctl = true;
	v->memsz = 1073741824ULL + (uint64_t)i;
	v->consumed = 500000000ULL + (uint64_t)i;
	v->ovhd = 30000000;
	v->rss = 530000000;
	v->mctlsz = 100 << 20;
	v->mctltgt = 200 << 20;
	v->mctlmax = 700 << 20;
	v->shrd = 11;
	v->zero = 12;
	v->swcur = 13;
	v->swtgt = 14;
	v->zip = 15;
	v->actv = 16;
	v->actvs = 17;
	v->actvf = 18;
	v->actv_host = -1;
	v->balloon_actual = 19;
	v->balloon_target = 20;
	v->shares = 10240;
	v->reservation = 21;
	v->limit = 22;
	v->maxmemctl = 23;
	v->entitlement = 24;
	v->stats_age_ms = 1500;
	v->guest_total = 25;
	v->guest_free = 26;
	v->guest_available = 27;
	v->guest_caches = 28;
	v->guest_swap_in = 29;
	v->guest_swap_out = 30;
	v->guest_major_faults = 31;
	v->guest_minor_faults = 32;
}

static struct metrics_snapshot snap_of(struct metrics_vm *vms, size_t n)
{
	struct metrics_snapshot s = {0};
	s.vms = vms;
	s.n_vms = n;
	s.libvirt_connected = true;
	s.start_time_s = 1796590000.5;
	s.host.state_known = true;
	s.host.state = HOST_STATE_SOFT;
	s.host.mem_total = 24ULL << 30;
	s.host.budget = 20ULL << 30;
	s.host.free = 3ULL << 30;
	s.host.minfree = 1ULL << 30;
	s.host.working_set_shortfall = 12345;
	s.host.working_set_alarm = true;
	s.host.psi_some_avg10_permyriad = 250;
	s.host.ksm_sleep_ms = 20;
	s.host.shrdsvd = 11;
	s.host.overcommit_permyriad = 15000;
	s.counters.balloon_inflated = 4096;
	s.counters.balloon_deflated = 8192;
	s.counters.swap_rescues = 2;
	s.counters.policy_passes = 77;
	s.counters.refused[METRICS_REFUSED_HTTP_CONNECTIONS] = 68;
	metrics_hist_observe(&s.collect, 0.0007);
	metrics_hist_observe(&s.collect, 0.03);
	metrics_hist_observe(&s.collect, 9.0);
	return s;
}

/* The sample line of `series` (name plus labels as rendered), or NULL. */
static const char *find_line(const char *text, const char *series)
{
	size_t n = strlen(series);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return p + n + 1;
	return NULL;
}

static void assert_value(const char *text, const char *series, const char *want)
{
	const char *v = find_line(text, series);
	if (!v)
		fail_msg("no series %s", series);
	size_t n = strcspn(v, "\n");
	if (strlen(want) != n || strncmp(v, want, n) != 0)
		fail_msg("%s = %.*s, want %s", series, (int)n, v, want);
}

/* One exposition-format line: name, optional {k="v",...}, a space, a float. Returns the
 * name's length, 0 when malformed. */
static size_t parse_sample(const char *l, size_t len)
{
	size_t i = 0;
	if (!(isalpha((unsigned char)l[0]) || l[0] == '_' || l[0] == ':'))
		return 0;
	while (i < len && (isalnum((unsigned char)l[i]) || l[i] == '_' || l[i] == ':'))
		i++;
	size_t name_len = i;
	if (i < len && l[i] == '{') {
		i++;
		while (i < len && l[i] != '}') {
			while (i < len && (isalnum((unsigned char)l[i]) || l[i] == '_'))
				i++;
			if (i + 1 >= len || l[i] != '=' || l[i + 1] != '"')
				return 0;
			i += 2;
			while (i < len && l[i] != '"') {
				if (l[i] == '\\') {
					if (i + 1 >= len || !strchr("\\\"n", l[i + 1]))
						return 0;
					i++;
				}
				i++;
			}
			if (i >= len)
				return 0;
			i++; /* closing quote */
			if (i < len && l[i] == ',')
				i++;
		}
		if (i >= len)
			return 0;
		i++;
	}
	if (i >= len || l[i] != ' ')
		return 0;
	char num[64];
	size_t nl = len - i - 1;
	if (nl == 0 || nl >= sizeof(num))
		return 0;
	memcpy(num, l + i + 1, nl);
	num[nl] = '\0';
	char *end;
	double d = strtod(num, &end);
	if (*end || isnan(d))
		return 0;
	return name_len;
}

/* Every line well-formed; every sample's family declared (HELP then TYPE) once and
 * before it. Returns the number of families. */
static int check_format(const char *text)
{
	char declared[256][96];
	int nd = 0;
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		assert_non_null(nl); /* the text ends with a newline */
		size_t len = (size_t)(nl - p);
		if (strncmp(p, "# HELP ", 7) == 0) {
			const char *name = p + 7;
			size_t n = strcspn(name, " ");
			assert_true(n < 96);
			for (int i = 0; i < nd; i++)
				if (strlen(declared[i]) == n && !strncmp(declared[i], name, n))
					fail_msg("family %.*s declared twice", (int)n, name);
			/* TYPE follows at once */
			char want[128];
			snprintf(want, sizeof(want), "# TYPE %.*s ", (int)n, name);
			assert_memory_equal(nl + 1, want, strlen(want));
			memcpy(declared[nd], name, n);
			declared[nd++][n] = '\0';
		} else if (p[0] != '#') {
			size_t n = parse_sample(p, len);
			if (!n)
				fail_msg("malformed line: %.*s", (int)len, p);
			bool ok = false;
			for (int i = 0; i < nd && !ok; i++) {
				size_t dn = strlen(declared[i]);
				if (dn > n || strncmp(declared[i], p, dn) != 0)
					continue;
				const char *suf = p + dn;
				size_t sl = n - dn;
				ok = sl == 0 || (sl == 7 && !strncmp(suf, "_bucket", 7)) ||
				     (sl == 4 && !strncmp(suf, "_sum", 4)) ||
				     (sl == 6 && !strncmp(suf, "_count", 6));
			}
			if (!ok)
				fail_msg("sample without HELP/TYPE: %.*s", (int)len, p);
		}
		p = nl + 1;
	}
	return nd;
}

static void test_figures(void **state)
{
	(void)state;
	struct metrics_vm vm;
	vm_fill(&vm, 1);
	struct metrics_snapshot s = snap_of(&vm, 1);
	struct metrics_text t = {0};
	assert_int_equal(metrics_render(&s, &t), 0);
	assert_int_equal(strlen(t.buf), t.len);
	int families = check_format(t.buf);
	assert_true(families >= 60);
	const char *L = "{domain=\"vm1\",uuid=\"00000000-0000-0000-0000-000000000001\"}";
	char series[256];
	/* every figure of `blimp stats`, under its name, with its value */
	static const struct {
		const char *name, *value;
	} want[] = {
	    {"blimp_vm_memsz_bytes", "1073741825"},
	    {"blimp_vm_consumed_bytes", "500000001"},
	    {"blimp_vm_overhead_bytes", "30000000"},
	    {"blimp_vm_rss_bytes", "530000000"},
	    {"blimp_vm_mctlsz_bytes", "104857600"},
	    {"blimp_vm_mctltgt_bytes", "209715200"},
	    {"blimp_vm_mctlmax_bytes", "734003200"},
	    {"blimp_vm_shared_bytes", "11"},
	    {"blimp_vm_zero_bytes", "12"},
	    {"blimp_vm_swapped_bytes", "13"},
	    {"blimp_vm_swap_target_bytes", "14"},
	    {"blimp_vm_zipped_bytes", "15"},
	    {"blimp_vm_active_bytes", "16"},
	    {"blimp_vm_active_slow_bytes", "17"},
	    {"blimp_vm_active_fast_bytes", "18"},
	    {"blimp_vm_balloon_actual_bytes", "19"},
	    {"blimp_vm_balloon_target_bytes", "20"},
	    {"blimp_vm_shares", "10240"},
	    {"blimp_vm_reservation_bytes", "21"},
	    {"blimp_vm_limit_bytes", "22"},
	    {"blimp_vm_maxmemctl_bytes", "23"},
	    {"blimp_vm_entitlement_bytes", "24"},
	    {"blimp_vm_guest_total_bytes", "25"},
	    {"blimp_vm_guest_free_bytes", "26"},
	    {"blimp_vm_guest_available_bytes", "27"},
	    {"blimp_vm_guest_caches_bytes", "28"},
	    {"blimp_vm_guest_swap_in_bytes_total", "29"},
	    {"blimp_vm_guest_swap_out_bytes_total", "30"},
	    {"blimp_vm_guest_major_faults_total", "31"},
	    {"blimp_vm_guest_minor_faults_total", "32"},
	    {"blimp_vm_stats_age_seconds", "1.500"},
	    {"blimp_vm_running", "1"},
	    {"blimp_vm_balloon_active", "1"},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(series, sizeof(series), "%s%s", want[i].name, L);
		assert_value(t.buf, series, want[i].value);
	}
	/* not measured: no sample at all, rather than a made-up one */
	snprintf(series, sizeof(series), "blimp_vm_active_host_bytes%s", L);
	assert_null(find_line(t.buf, series));
	assert_non_null(strstr(t.buf, "# TYPE blimp_vm_guest_major_faults_total counter\n"));
	assert_non_null(strstr(t.buf, "# TYPE blimp_vm_consumed_bytes gauge\n"));

	/* host and daemon figures */
	assert_value(t.buf, "blimp_host_state{state=\"soft\"}", "1");
	assert_value(t.buf, "blimp_host_state{state=\"high\"}", "0");
	assert_value(t.buf, "blimp_host_state{state=\"low\"}", "0");
	assert_value(t.buf, "blimp_host_budget_bytes", "21474836480");
	assert_value(t.buf, "blimp_host_free_bytes", "3221225472");
	assert_value(t.buf, "blimp_host_minfree_bytes", "1073741824");
	assert_value(t.buf, "blimp_host_memory_pressure_ratio", "0.0250");
	assert_value(t.buf, "blimp_host_ksm_sleep_seconds", "0.020");
	assert_value(t.buf, "blimp_host_shared_saved_bytes", "11");
	assert_value(t.buf, "blimp_host_working_set_shortfall_bytes", "12345");
	assert_value(t.buf, "blimp_host_working_set_alarm", "1");
	assert_value(t.buf, "blimp_host_overcommit_ratio", "1.5000");
	assert_value(t.buf, "blimp_balloon_moved_bytes_total{direction=\"inflate\"}", "4096");
	assert_value(t.buf, "blimp_balloon_moved_bytes_total{direction=\"deflate\"}", "8192");
	assert_value(t.buf, "blimp_host_swap_rescues_total", "2");
	assert_value(t.buf, "blimp_policy_passes_total", "77");
	assert_value(t.buf, "blimp_input_refused_total{source=\"http_connections\"}", "68");
	assert_value(t.buf, "blimp_input_refused_total{source=\"ctl_bad_request\"}", "0");
	assert_value(t.buf, "blimp_start_time_seconds", "1796590000.500");
	/* the histogram: cumulative buckets, +Inf = count */
	assert_non_null(strstr(t.buf, "# TYPE blimp_collect_duration_seconds histogram\n"));
	assert_value(t.buf, "blimp_collect_duration_seconds_bucket{le=\"0.0005\"}", "0");
	assert_value(t.buf, "blimp_collect_duration_seconds_bucket{le=\"0.001\"}", "1");
	assert_value(t.buf, "blimp_collect_duration_seconds_bucket{le=\"0.05\"}", "2");
	assert_value(t.buf, "blimp_collect_duration_seconds_bucket{le=\"2.5\"}", "2");
	assert_value(t.buf, "blimp_collect_duration_seconds_bucket{le=\"+Inf\"}", "3");
	assert_value(t.buf, "blimp_collect_duration_seconds_count", "3");
	assert_value(t.buf, "blimp_collect_duration_seconds_sum", "9.030700");
	metrics_text_free(&t);
}

static void test_unknown_state(void **state)
{
	(void)state;
	struct metrics_snapshot s = snap_of(NULL, 0);
	s.host.state_known = false;
	struct metrics_text t = {0};
	assert_int_equal(metrics_render(&s, &t), 0);
	check_format(t.buf);
	for (int st = 0; st < HOST_STATE__COUNT; st++) {
		char series[64];
		snprintf(series, sizeof(series), "blimp_host_state{state=\"%s\"}",
			 model_host_state_name((enum host_state)st));
		assert_value(t.buf, series, "0");
	}
	/* no VMs: families still declared, no samples */
	assert_non_null(strstr(t.buf, "# TYPE blimp_vm_consumed_bytes gauge\n"));
	assert_null(strstr(t.buf, "blimp_vm_consumed_bytes{"));
	metrics_text_free(&t);
}

/* Domain names are the guest owner's: quotes, backslashes and newlines escaped. */
static void test_escaping(void **state)
{
	(void)state;
	struct metrics_vm vm;
	vm_fill(&vm, 2);
	snprintf(vm.name, sizeof(vm.name), "a\"b\\c\nd}{=,");
	struct metrics_snapshot s = snap_of(&vm, 1);
	struct metrics_text t = {0};
	assert_int_equal(metrics_render(&s, &t), 0);
	check_format(t.buf);
	assert_value(t.buf,
		     "blimp_vm_memsz_bytes{domain=\"a\\\"b\\\\c\\nd}{=,\","
		     "uuid=\"00000000-0000-0000-0000-000000000002\"}",
		     "1073741826");
	assert_non_null(strstr(t.buf,
			       "blimp_vm_info{domain=\"a\\\"b\\\\c\\nd}{=,\",uuid=\"00000000-"
			       "0000-0000-0000-000000000002\",managed=\"false\"} 1\n"));
	metrics_text_free(&t);

	/* not UTF-8 (a stray byte, a surrogate, a cut sequence): U+FFFD per bad byte */
	struct metrics_text l = {0};
	assert_int_equal(metrics_text_label_value(&l, "a\xff\xc3\xa9\xed\xa0\x80z\xe2\x82"), 0);
	assert_string_equal(l.buf, "a\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz"
				   "\xef\xbf\xbd\xef\xbf\xbd");
	l.len = 0;
	assert_int_equal(metrics_text_label_value(&l, "\xf0\x9f\x8e\x88 \xe2\x82\xac"), 0);
	assert_string_equal(l.buf, "\xf0\x9f\x8e\x88 \xe2\x82\xac"); /* valid: kept */
	l.len = 0;
	assert_int_equal(metrics_text_label_value(&l, ""), 0);
	assert_int_equal(l.len, 0);
	assert_int_equal(metrics_text_label_value(&l, "\\\\\"\n\n"), 0);
	assert_string_equal(l.buf, "\\\\\\\\\\\"\\n\\n");
	metrics_text_free(&l);
}

/* A full fleet: every line parses; the buffer is reused from one render to the next. */
static void test_fleet64(void **state)
{
	(void)state;
	struct metrics_vm vms[64];
	for (int i = 0; i < 64; i++)
		vm_fill(&vms[i], i);
	vms[5].actv_host = 123456;
	vms[6].stats_age_ms = -1;
	struct metrics_snapshot s = snap_of(vms, 64);
	struct metrics_text t = {0};
	assert_int_equal(metrics_render(&s, &t), 0);
	size_t len1 = t.len;
	check_format(t.buf);
	assert_value(t.buf,
		     "blimp_vm_active_host_bytes{domain=\"vm5\","
		     "uuid=\"00000000-0000-0000-0000-000000000005\"}",
		     "123456");
	assert_null(find_line(t.buf, "blimp_vm_stats_age_seconds{domain=\"vm6\","
				     "uuid=\"00000000-0000-0000-0000-000000000006\"}"));
	int samples = 0;
	for (const char *p = t.buf; (p = strstr(p, "blimp_vm_consumed_bytes{")); p++)
		samples++;
	assert_int_equal(samples, 64);
	assert_int_equal(metrics_render(&s, &t), 0);
	assert_int_equal(t.len, len1);
	metrics_text_free(&t);
}

static void test_hist(void **state)
{
	(void)state;
	struct metrics_hist h = {0};
	metrics_hist_observe(&h, -1);  /* a clock step: counted as 0 */
	metrics_hist_observe(&h, NAN); /* never poisons the sum */
	metrics_hist_observe(&h, 0.0005);
	metrics_hist_observe(&h, 1e9);
	assert_int_equal(h.count, 4);
	assert_int_equal(h.counts[0], 3);
	assert_int_equal(h.counts[METRICS_HIST_BUCKETS], 1);
	assert_true(h.sum_s == 1e9 + 0.0005);
}

static void test_listen(void **state)
{
	(void)state;
	struct sockaddr_storage ss;
	socklen_t sl;
	assert_int_equal(metrics_parse_listen("127.0.0.1:25467", &ss, &sl), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(metrics_parse_listen("[::1]:25467", &ss, &sl), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(metrics_parse_listen("0.0.0.0:1", &ss, &sl), 0);
	static const char *const bad[] = {"",
					  "127.0.0.1",
					  "127.0.0.1:",
					  ":25467",
					  "127.0.0.1:0",
					  "127.0.0.1:65536",
					  "127.0.0.1:12x",
					  "127.0.0.1:-5",
					  "localhost:25467",
					  "::1:25467x",
					  "[::1:25467",
					  "[]:25467",
					  "1.2.3.4.5:80",
					  "[127.0.0.1]x:80"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (metrics_parse_listen(bad[i], &ss, &sl) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_figures),  cmocka_unit_test(test_unknown_state),
	    cmocka_unit_test(test_escaping), cmocka_unit_test(test_fleet64),
	    cmocka_unit_test(test_hist),     cmocka_unit_test(test_listen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
