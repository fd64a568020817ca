/* blimpd settings table: defaults, parsing and bounds of every type, INI files,
 * drop-ins, flags, malformed input, and docs/settings.md kept in step. Run from the
 * repository root (or set BLIMP_SRCDIR). BLIMP_REGEN_DOCS=1 rewrites docs/settings.md. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/config.h"
#include "policy/policy.h"

static char fx[4096];

static const char *fixture(const char *rel)
{
	const char *src = getenv("BLIMP_SRCDIR");
	snprintf(fx, sizeof(fx), "%s/tests/fixtures/config/%s", src ? src : ".", rel);
	return fx;
}

static void test_defaults(void **state)
{
	(void)state;
	struct blimpd_config c;
	memset(&c, 0xa5, sizeof(c));
	config_default(&c);
	assert_string_equal(c.connect_uri, "");
	assert_string_equal(c.state_dir, "/var/lib/blimp");
	assert_string_equal(c.socket_path, "/run/blimp/blimpd.sock");
	assert_string_equal(c.swapfile_path, "/var/lib/blimp/swapfile");
	assert_int_equal(c.host_mem_bytes, 0);
	assert_int_equal(c.headroom_bytes, MODEL_GIB);
	assert_int_equal(c.collect_period_ms, 1000);
	assert_int_equal(c.stats_period_s, 1);
	assert_false(c.dry_run);
	assert_false(c.keep_vms);
	assert_true(c.manage_ksm);
	assert_true(c.manage_cgroups);
	assert_int_equal(c.swapfile_bytes, 0);
	assert_true(c.zswap);
	assert_int_equal(c.log_level, LOG_INFO);

	/* The table's policy defaults are the policy library's defaults. */
	struct policy_settings p;
	policy_settings_default(&p);
	assert_memory_equal(&c.policy, &p, sizeof(p));
	assert_int_equal(c.policy.idle_tax_permyriad, 7500);

	char err[256];
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
}

struct set_case {
	const char *key;
	const char *value;
	int rc;
};

static void test_types_and_bounds(void **state)
{
	(void)state;
	static const struct set_case cases[] = {
	    /* bool */
	    {"dry_run", "true", 0},
	    {"dry_run", "OFF", 0},
	    {"dry_run", "1", 0},
	    {"dry_run", "maybe", -EINVAL},
	    {"dry_run", "", -EINVAL},
	    {"dry_run", "2", -EINVAL},
	    /* size */
	    {"headroom", "512M", 0},
	    {"headroom", "0", 0},
	    {"host_mem", "64T", 0},
	    {"host_mem", "65T", -ERANGE},
	    {"headroom", "-1G", -EINVAL},
	    {"headroom", "1X", -EINVAL},
	    {"guest_margin", "2T", -ERANGE},
	    {"swapfile_size", "99999999999T", -ERANGE},
	    /* uint, 32 and 64 bit */
	    {"collect_period_ms", "100", 0},
	    {"collect_period_ms", "60000", 0},
	    {"collect_period_ms", "99", -ERANGE},
	    {"collect_period_ms", "60001", -ERANGE},
	    {"collect_period_ms", "-5", -EINVAL},
	    {"collect_period_ms", "1e3", -EINVAL},
	    {"collect_period_ms", " 100", -EINVAL},
	    {"collect_period_ms", "0x10", -EINVAL},
	    {"collect_period_ms", "99999999999999999999999", -ERANGE},
	    {"stale_after_ms", "86400000", 0},
	    {"stale_after_ms", "86400001", -ERANGE},
	    {"ksm_pages_to_scan_low", "0", 0},
	    {"ksm_pages_to_scan_low", "100001", -ERANGE},
	    /* ratio */
	    {"idle_tax", "0.75", 0},
	    {"idle_tax", "0", 0},
	    {"idle_tax", "0.99", 0},
	    {"idle_tax", "99%", 0},
	    {"idle_tax", "1", -ERANGE},
	    {"idle_tax", "0.991", -ERANGE},
	    {"idle_tax", "0.12345", -EINVAL},
	    {"idle_tax", "-0.1", -EINVAL},
	    {"idle_tax", ".", -EINVAL},
	    {"idle_tax", "%", -EINVAL},
	    {"idle_tax", "1.2.3", -EINVAL},
	    {"probe_step", "0", -ERANGE},
	    {"probe_step", "0.0001", 0},
	    {"fast_alpha", "1.0", 0},
	    {"fast_alpha", "1.0001", -ERANGE},
	    /* enum */
	    {"policy", "proxmox", 0},
	    {"policy", "MOM", 0},
	    {"policy", "esx", -EINVAL},
	    {"policy", "", -EINVAL},
	    {"log_level", "debug", 0},
	    {"log_level", "trace", -EINVAL},
	    /* string / path */
	    {"connect_uri", "qemu:///system", 0},
	    {"connect_uri", "a\tb", -EINVAL},
	    {"state_dir", "relative/dir", -EINVAL},
	    {"state_dir", "/ok", 0},
	    {"swapfile_path", "", 0},
	    /* names: dashes as in flags */
	    {"idle-tax", "0.5", 0},
	    {"no_such_key", "1", -EINVAL},
	    {"", "1", -EINVAL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct blimpd_config c, before;
		config_default(&c);
		before = c;
		char err[256] = "x";
		int rc = config_set(&c, cases[i].key, cases[i].value, err, sizeof(err));
		if (rc != cases[i].rc)
			fail_msg("%s=%s: rc %d, want %d (%s)", cases[i].key, cases[i].value, rc,
				 cases[i].rc, err);
		if (rc < 0) {
			/* A refused value changes nothing and says which key. */
			assert_memory_equal(&c, &before, sizeof(c));
			assert_true(strlen(err) > 0);
			if (cases[i].key[0])
				assert_non_null(strstr(err, cases[i].key));
		} else {
			assert_string_equal(err, "");
		}
	}
}

static void test_values_land(void **state)
{
	(void)state;
	struct blimpd_config c;
	config_default(&c);
	char err[256];
	assert_int_equal(config_set(&c, "idle_tax", "0.0005", err, sizeof(err)), 0);
	assert_int_equal(c.policy.idle_tax_permyriad, 5);
	assert_int_equal(config_set(&c, "idle_tax", "7.5%", err, sizeof(err)), 0);
	assert_int_equal(c.policy.idle_tax_permyriad, 750);
	assert_int_equal(config_set(&c, "headroom", "1.5G", err, sizeof(err)), 0);
	assert_int_equal(c.headroom_bytes, 3ULL << 29);
	assert_int_equal(config_set(&c, "stale_after_ms", "86400000", err, sizeof(err)), 0);
	assert_int_equal(c.policy.stale_after_ms, 86400000ULL);
	assert_int_equal(config_set(&c, "ksm_pages_to_scan_hard", "5000", err, sizeof(err)), 0);
	assert_int_equal(c.policy.ksm_pages_to_scan[HOST_STATE_HARD], 5000);
	assert_int_equal(c.policy.ksm_pages_to_scan[HOST_STATE_LOW], 2000);
	assert_int_equal(config_set(&c, "policy", "static", err, sizeof(err)), 0);
	assert_int_equal(c.policy.kind, POLICY_STATIC);
	assert_int_equal(config_set(&c, "host_swap", "no", err, sizeof(err)), 0);
	assert_false(c.policy.host_swap);

	/* The error names the bounds in the key's own units. */
	assert_int_equal(config_set(&c, "idle_tax", "0.995", err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "0..0.99"));
	assert_int_equal(config_set(&c, "host_mem", "100T", err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "0..64T"));
	assert_int_equal(config_set(&c, "policy", "esx", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "blimp, static, proxmox, mom"));

	/* A string that does not fit is refused, not truncated. */
	char big[600];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(config_set(&c, "connect_uri", big, err, sizeof(err)), -ERANGE);
	assert_string_equal(c.connect_uri, "");
	/* NULL err buffer is allowed. */
	assert_int_equal(config_set(&c, "connect_uri", big, NULL, 0), -ERANGE);
	assert_int_equal(config_set(&c, NULL, "1", err, sizeof(err)), -EINVAL);
	assert_int_equal(config_set(&c, "dry_run", NULL, err, sizeof(err)), -EINVAL);
}

static void test_swapfile_follows_state_dir(void **state)
{
	(void)state;
	struct blimpd_config c;
	config_default(&c);
	char err[256];
	assert_int_equal(config_set(&c, "state_dir", "/srv/b", err, sizeof(err)), 0);
	assert_string_equal(c.swapfile_path, "/srv/b/swapfile");
	assert_int_equal(config_set(&c, "swapfile_path", "/swap/x", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "state_dir", "/srv/c", err, sizeof(err)), 0);
	assert_string_equal(c.swapfile_path, "/swap/x");

	/* while it follows, the swap file path must fit a settings line (config_print's
	 * output loads again): a longer state_dir is refused, unless swapfile_path is set */
	char longdir[200] = "/";
	memset(longdir + 1, 'd', 180);
	longdir[181] = '\0';
	config_default(&c);
	assert_int_equal(config_set(&c, "state_dir", longdir, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "swapfile_path"));
	assert_string_equal(c.state_dir, "/var/lib/blimp");
	assert_int_equal(config_set(&c, "swapfile_path", "/swap/x", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "state_dir", longdir, err, sizeof(err)), 0);
}

/* guest_dir empty: the installed directory if it holds a guest, else guest/ next to the
 * executable (build/guest for build/blimpd), else an error naming both. */
static void test_guest_dir_search(void **state)
{
	(void)state;
	struct blimpd_config c;
	config_default(&c);
	assert_string_equal(c.guest_dir, "");
	char dir[] = "/tmp/blimp-guestdir.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char exe[256], link[256], gdir[256], vmlinux[300], out[4096], err[2048];
	snprintf(exe, sizeof(exe), "%s/blimpd", dir);
	snprintf(link, sizeof(link), "%s/exe", dir);
	snprintf(gdir, sizeof(gdir), "%s/guest", dir);
	snprintf(vmlinux, sizeof(vmlinux), "%s/vmlinux", gdir);
	assert_int_equal(symlink(exe, link), 0);
	bool installed = access(CONFIG_GUEST_DIR_INSTALLED "/vmlinux", R_OK) == 0;
	int r = config_guest_dir(&c, link, out, sizeof(out), err, sizeof(err));
	if (installed) {
		assert_int_equal(r, 0);
		assert_string_equal(out, CONFIG_GUEST_DIR_INSTALLED);
	} else {
		assert_int_equal(r, -ENOENT);
		assert_non_null(strstr(err, CONFIG_GUEST_DIR_INSTALLED " or "));
		assert_non_null(strstr(err, gdir));
		assert_non_null(strstr(err, "make guest"));
	}
	assert_int_equal(mkdir(gdir, 0755), 0);
	FILE *f = fopen(vmlinux, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(config_guest_dir(&c, link, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, installed ? CONFIG_GUEST_DIR_INSTALLED : gdir);
	/* no executable link: only the installed directory is tried */
	if (!installed) {
		assert_int_equal(config_guest_dir(&c, NULL, out, sizeof(out), err, sizeof(err)),
				 -ENOENT);
		assert_non_null(strstr(err, CONFIG_GUEST_DIR_INSTALLED ": run make guest"));
	}
	/* set explicitly: used as is, found or not */
	assert_int_equal(config_set(&c, "guest_dir", "/nonexistent/g", err, sizeof(err)), 0);
	assert_int_equal(config_guest_dir(&c, link, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "/nonexistent/g");
	unlink(vmlinux);
	rmdir(gdir);
	unlink(link);
	rmdir(dir);
}

static void test_load_good(void **state)
{
	(void)state;
	struct blimpd_config c;
	config_default(&c);
	char err[256];
	assert_int_equal(config_load(&c, fixture("good.conf"), true, err, sizeof(err)), 0);
	assert_string_equal(c.connect_uri, "qemu:///system");
	assert_string_equal(c.state_dir, "/srv/blimp");
	assert_string_equal(c.swapfile_path, "/srv/blimp/swapfile");
	assert_int_equal(c.host_mem_bytes, 16 * MODEL_GIB);
	assert_int_equal(c.headroom_bytes, 512 * MODEL_MIB);
	assert_int_equal(c.collect_period_ms, 500);
	assert_true(c.dry_run);
	assert_false(c.manage_ksm);
	assert_int_equal(c.swapfile_bytes, 4 * MODEL_GIB);
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_int_equal(c.policy.kind, POLICY_MOM);
	assert_int_equal(c.policy.idle_tax_permyriad, 5000);
	assert_int_equal(c.policy.guest_margin_bytes, 128 * MODEL_MIB);
	assert_int_equal(c.policy.guest_margin_permyriad, 1000);
	assert_int_equal(c.policy.ksm_pages_to_scan[HOST_STATE_HIGH], 0);
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);

	/* Flags come after files and win. */
	assert_int_equal(config_set(&c, "idle-tax", "0.25", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "dry-run", "false", err, sizeof(err)), 0);
	assert_int_equal(c.policy.idle_tax_permyriad, 2500);
	assert_false(c.dry_run);
}

static void test_dropin_order(void **state)
{
	(void)state;
	struct blimpd_config c;
	config_default(&c);
	char err[256];
	assert_int_equal(config_load(&c, fixture("order.conf"), true, err, sizeof(err)), 0);
	/* order.conf, then 10-a.conf, then 20-b.conf; .txt and dot files ignored. */
	assert_int_equal(c.policy.idle_tax_permyriad, 6000);
	assert_int_equal(c.headroom_bytes, 2 * MODEL_GIB);
	assert_int_equal(c.policy.ksm_sleep_ms, 30);

	/* Missing main file: fine unless required; drop-ins still apply. */
	config_default(&c);
	assert_int_equal(config_load(&c, fixture("missing.conf"), false, err, sizeof(err)), 0);
	assert_int_equal(c.headroom_bytes, MODEL_GIB);
	assert_int_equal(config_load(&c, fixture("missing.conf"), true, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "missing.conf"));

	/* No file at all (BLIMPD_CONFIG=""), even "required": the defaults, no drop-ins
	 * (".d" of the empty path would be the cwd's). */
	struct blimpd_config def;
	config_default(&def);
	config_default(&c);
	assert_int_equal(config_load(&c, "", true, err, sizeof(err)), 0);
	assert_int_equal(c.headroom_bytes, def.headroom_bytes);
	assert_int_equal(c.policy.idle_tax_permyriad, def.policy.idle_tax_permyriad);
	assert_int_equal(config_load(&c, NULL, false, err, sizeof(err)), 0);
}

struct bad_case {
	const char *file;
	const char *line; /* ":N:" expected in the message */
	const char *says;
};

static void test_malformed_fixtures(void **state)
{
	(void)state;
	static const struct bad_case cases[] = {
	    {"bad/nosection.conf", ":1:", "outside a section"},
	    {"bad/garbage.conf", ":3:", "syntax error"},
	    {"bad/section.conf", ":5:", "unknown section [other]"},
	    {"bad/unknown.conf", ":3:", "unknown key 'no_such_key'"},
	    {"bad/range.conf", ":3:", "key 'idle_tax': '0.995' out of range 0..0.99"},
	    {"bad/enum.conf", ":3:", "not one of"},
	    {"bad/bracket.conf", ":1:", "syntax error"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct blimpd_config c, before;
		config_default(&c);
		before = c;
		char err[256] = "";
		int rc = config_load(&c, fixture(cases[i].file), true, err, sizeof(err));
		if (rc != -EINVAL || !strstr(err, cases[i].file) || !strstr(err, cases[i].line) ||
		    !strstr(err, cases[i].says))
			fail_msg("%s: rc %d, err '%s'", cases[i].file, rc, err);
		/* Nothing of a bad file is applied (headroom = 1G lines came first). */
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

static char *write_tmp(const void *data, size_t len)
{
	char *path = strdup("/tmp/blimp-config-XXXXXX");
	assert_non_null(path);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_malformed_generated(void **state)
{
	(void)state;
	struct blimpd_config c;
	char err[256];

	/* NUL byte on line 2. */
	static const char nul[] = "[blimpd]\nheadroom = 1G\0idle_tax = 0.1\n";
	char *p = write_tmp(nul, sizeof(nul) - 1);
	config_default(&c);
	assert_int_equal(config_load(&c, p, true, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":2: NUL byte"));
	assert_int_equal(c.headroom_bytes, MODEL_GIB);
	unlink(p);
	free(p);

	/* A line longer than the parser's buffer. */
	char huge[5000];
	int n = snprintf(huge, sizeof(huge), "[blimpd]\nconnect_uri = ");
	memset(huge + n, 'x', sizeof(huge) - (size_t)n - 2);
	huge[sizeof(huge) - 2] = '\n';
	huge[sizeof(huge) - 1] = '\0';
	p = write_tmp(huge, strlen(huge));
	config_default(&c);
	assert_int_equal(config_load(&c, p, true, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":2: line longer than"));
	assert_string_equal(c.connect_uri, "");
	unlink(p);
	free(p);

	/* Binary garbage. */
	unsigned char junk[512];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 131 + 7) | 1;
	p = write_tmp(junk, sizeof(junk));
	config_default(&c);
	assert_int_not_equal(config_load(&c, p, true, err, sizeof(err)), 0);
	unlink(p);
	free(p);

	/* Empty file, CRLF and BOM are fine. */
	static const char crlf[] = "\xef\xbb\xbf[blimpd]\r\nheadroom = 3G\r\n";
	p = write_tmp(crlf, sizeof(crlf) - 1);
	config_default(&c);
	assert_int_equal(config_load(&c, p, true, err, sizeof(err)), 0);
	assert_int_equal(c.headroom_bytes, 3 * MODEL_GIB);
	unlink(p);
	free(p);
	p = write_tmp("", 0);
	assert_int_equal(config_load(&c, p, true, err, sizeof(err)), 0);
	unlink(p);
	free(p);

	/* A directory is not a config file. */
	assert_int_not_equal(config_load(&c, "/", true, err, sizeof(err)), 0);
}

static void test_validate(void **state)
{
	(void)state;
	struct blimpd_config c;
	char err[256];
	config_default(&c);
	assert_int_equal(config_set(&c, "stale_after_ms", "500", err, sizeof(err)), 0);
	assert_int_equal(config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "stale_after_ms"));

	config_default(&c);
	assert_int_equal(config_set(&c, "slow_alpha", "0.9", err, sizeof(err)), 0);
	assert_int_equal(config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "alpha"));

	config_default(&c);
	assert_int_equal(config_set(&c, "swapfile_size", "1G", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "swapfile_path", "", err, sizeof(err)), 0);
	assert_int_equal(config_validate(&c, err, sizeof(err)), -EINVAL);

	config_default(&c);
	char sock[200] = "/";
	memset(sock + 1, 's', 150);
	assert_int_equal(config_set(&c, "socket_path", sock, err, sizeof(err)), 0);
	assert_int_equal(config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "socket_path"));

	/* the live history's memory: a day of 64 VMs at 1 s fits (152 MiB), at 100 ms not */
	config_default(&c);
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "history_s", "86400", err, sizeof(err)), 0);
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "collect_period_ms", "100", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "stale_after_ms", "10000", err, sizeof(err)), 0);
	assert_int_equal(config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "history_s 86400 at collect_period_ms 100"));
	assert_int_equal(config_set(&c, "history_s", "0", err, sizeof(err)), 0); /* off */
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
	/* the Prometheus endpoint: off by default, numeric ADDR:PORT when on */
	config_default(&c);
	assert_string_equal(c.metrics_listen, "");
	assert_int_equal(config_set(&c, "metrics_listen", "127.0.0.1:25467", err, sizeof(err)), 0);
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "metrics_listen", "localhost:25467", err, sizeof(err)), 0);
	assert_int_equal(config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "metrics_listen"));
	assert_int_equal(config_set(&c, "metrics_listen", "127.0.0.1:99999", err, sizeof(err)), 0);
	assert_int_equal(config_validate(&c, err, sizeof(err)), -EINVAL);
}

static char *capture(void (*fn)(FILE *, const struct blimpd_config *),
		     const struct blimpd_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	fn(f, c);
	fclose(f);
	return buf;
}

static void print_md(FILE *f, const struct blimpd_config *c)
{
	(void)c;
	config_print_markdown(f);
}

static void print_cfg(FILE *f, const struct blimpd_config *c)
{
	config_print(c, f);
}

/* Runtime keys: which they are, the diff by kind, and a change checked as a whole. */
static void test_runtime_change(void **state)
{
	(void)state;
	/* only keys a running blimpd really re-reads (the policy's knobs every tick,
	 * log_level, and host_mem/headroom whose budget reload.c recomputes) */
	static const char *const runtime[] = {
	    "host_mem", "headroom", "log_level", "idle_tax", "balance_period_ms", "stale_after_ms",
	    "guest_margin", "guest_margin_ratio", "probe_step", "probe_scale_by_state",
	    "backoff_hold_ms", "fast_alpha", "slow_alpha", "actv_guest", "floor_active",
	    "level_headroom", "nodeflate_maxmemctl", "host_swap",
	    "ksm_pages_to_scan_high", "ksm_pages_to_scan_clear", "ksm_pages_to_scan_soft",
	    "ksm_pages_to_scan_hard", "ksm_pages_to_scan_low", "ksm_sleep_ms",
	    "proxmox_ballooning_target"};
	size_t n_rt = 0;
	struct config_key_view v;
	struct blimpd_config cur, next;
	config_default(&cur);
	for (size_t i = 0; i < config_key_count(); i++) {
		config_key_view(&cur, i, &v);
		bool listed = false;
		for (size_t j = 0; j < sizeof(runtime) / sizeof(runtime[0]); j++)
			listed |= strcmp(runtime[j], v.name) == 0;
		if (listed != v.runtime)
			fail_msg("key %s: runtime %d, expected %d", v.name, v.runtime, listed);
		n_rt += v.runtime;
		assert_int_equal(config_key_runtime(v.name), v.runtime);
		assert_string_equal(v.value, v.def); /* defaults as written */
	}
	assert_int_equal(n_rt, sizeof(runtime) / sizeof(runtime[0]));
	assert_int_equal(config_key_runtime("no_such_key"), -EINVAL);
	assert_int_equal(config_key_runtime("idle-tax"), 1); /* flag spelling */
	assert_int_equal(config_key_runtime("state_dir"), 0);

	char err[512], keys[64];
	next = cur;
	assert_int_equal(config_diff(&cur, &next, true, keys, sizeof(keys)), 0);
	assert_string_equal(keys, "");
	assert_int_equal(config_check_change(&cur, &next, err, sizeof(err)), 0);

	/* runtime keys: counted and named; the same value spelt otherwise is no change */
	assert_int_equal(config_set(&next, "idle_tax", "50%", err, sizeof(err)), 0);
	assert_int_equal(config_set(&next, "ksm_sleep_ms", "40", err, sizeof(err)), 0);
	assert_int_equal(config_set(&next, "guest_margin", "65536K", err, sizeof(err)), 0);
	assert_int_equal(config_diff(&cur, &next, true, keys, sizeof(keys)), 2);
	assert_string_equal(keys, "idle_tax, ksm_sleep_ms");
	assert_int_equal(config_diff(&cur, &next, false, keys, sizeof(keys)), 0);
	assert_int_equal(config_check_change(&cur, &next, err, sizeof(err)), 0);

	/* a restart key differing refuses the whole change, naming it */
	assert_int_equal(config_set(&next, "state_dir", "/srv/x", err, sizeof(err)), 0);
	assert_int_equal(config_set(&next, "collect_period_ms", "2000", err, sizeof(err)), 0);
	assert_int_equal(config_diff(&cur, &next, false, keys, sizeof(keys)), 3);
	assert_string_equal(keys, "state_dir, collect_period_ms, swapfile_path");
	assert_int_equal(config_check_change(&cur, &next, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "restart needed for state_dir, collect_period_ms"));

	/* a short buffer ends in "..." and still counts every key */
	char tiny[12];
	assert_int_equal(config_diff(&cur, &next, false, tiny, sizeof(tiny)), 3);
	assert_string_equal(tiny, "state_di...");

	/* cross-field checks see the whole: valid keys, invalid together */
	next = cur;
	assert_int_equal(config_set(&next, "stale_after_ms", "500", err, sizeof(err)), 0);
	assert_int_equal(config_check_change(&cur, &next, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "stale_after_ms"));
}

static void test_print(void **state)
{
	(void)state;
	struct blimpd_config c;
	config_default(&c);
	char err[256];
	assert_int_equal(config_set(&c, "idle_tax", "0.6", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "connect_uri", "qemu:///system", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "policy", "mom", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "guest_margin", "1000", err, sizeof(err)), 0);
	char *text = capture(print_cfg, &c);
	assert_non_null(strstr(text, "\nidle_tax = 0.6\n"));
	assert_non_null(strstr(text, "\nheadroom = 1G\n"));
	assert_non_null(strstr(text, "\npolicy = mom\n"));
	assert_non_null(strstr(text, "\nksm_pages_to_scan_low = 2000\n"));

	/* What config_print writes loads back to the same settings. */
	char *p = write_tmp(text, strlen(text));
	struct blimpd_config back;
	config_default(&back);
	assert_int_equal(config_load(&back, p, true, err, sizeof(err)), 0);
	assert_memory_equal(&back, &c, sizeof(c));
	unlink(p);
	free(p);
	free(text);
}

static void test_docs_in_step(void **state)
{
	(void)state;
	char *md = capture(print_md, NULL);
	const char *src = getenv("BLIMP_SRCDIR");
	char path[4096];
	snprintf(path, sizeof(path), "%s/docs/settings.md", src ? src : ".");
	if (getenv("BLIMP_REGEN_DOCS")) {
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(md, f);
		assert_int_equal(fclose(f), 0);
	}
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("%s missing: run BLIMP_REGEN_DOCS=1 build/tests/test_daemon_config", path);
	char *doc = calloc(1, 1 << 20);
	assert_non_null(doc);
	size_t n = fread(doc, 1, (1 << 20) - 1, f);
	fclose(f);
	doc[n] = '\0';
	if (strcmp(doc, md) != 0)
		fail_msg("%s is out of date: run BLIMP_REGEN_DOCS=1 build/tests/test_daemon_config",
			 path);
	/* Every key of the table is documented. */
	assert_non_null(strstr(doc, "| `idle_tax` | ratio | `0.75` | 0..0.99 |"));
	assert_non_null(strstr(doc, "| `swapfile_size` |"));
	free(doc);
	free(md);
}

int main(void)
{
	log_set_level(LOG_ERR);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_types_and_bounds),
	    cmocka_unit_test(test_values_land),
	    cmocka_unit_test(test_swapfile_follows_state_dir),
	    cmocka_unit_test(test_guest_dir_search),
	    cmocka_unit_test(test_load_good),
	    cmocka_unit_test(test_dropin_order),
	    cmocka_unit_test(test_malformed_fixtures),
	    cmocka_unit_test(test_malformed_generated),
	    cmocka_unit_test(test_validate),
	    cmocka_unit_test(test_runtime_change),
	    cmocka_unit_test(test_print),
	    cmocka_unit_test(test_docs_in_step),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
