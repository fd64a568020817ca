/* SIGHUP's reload and config_set's commit (reload.c) on a blimpd with no VMs and no
 * libvirt: the file read again from defaults, the start's flags winning over it, the
 * budget recomputed, and a bad file, a bad value or a changed restart key leaving the
 * settings in force byte for byte as they were. */
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
#include <unistd.h>

#include "daemon/daemon.h"
#include "util/event.h"

static struct blimpd d;
static char conf[64];
static char flag_bal[] = "700";
static struct daemon_flag_setting flags[] = {{"balance_period_ms", flag_bal}};

static void write_conf(const char *text)
{
	FILE *f = fopen(conf, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* As main does at start: defaults, the file, the flags, the budget. */
static int setup(void **state)
{
	(void)state;
	memset(&d, 0, sizeof(d));
	snprintf(conf, sizeof(conf), "/tmp/blimp-test-reload.%d.conf", (int)getpid());
	write_conf("[blimpd]\nidle_tax = 0.75\nheadroom = 2G\n");
	d.config_path = conf;
	d.config_required = true;
	d.flag_settings = flags;
	d.n_flag_settings = 1;
	d.host.mem_total_bytes = 8 * MODEL_GIB;
	config_default(&d.cfg);
	char err[256];
	assert_int_equal(config_load(&d.cfg, conf, true, err, sizeof(err)), 0);
	assert_int_equal(config_set(&d.cfg, "balance_period_ms", flag_bal, err, sizeof(err)), 0);
	d.cfg.policy.budget_bytes = 6 * MODEL_GIB;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(conf);
	return 0;
}

static void test_reload_applies_file_flags_win(void **state)
{
	(void)state;
	write_conf("[blimpd]\nidle_tax = 0.25\nheadroom = 3G\nbalance_period_ms = 5000\n"
		   "log_level = warn\n");
	assert_int_equal(daemon_config_reload(&d), 0);
	assert_int_equal(d.cfg.policy.idle_tax_permyriad, 2500);
	assert_int_equal(d.cfg.headroom_bytes, 3 * MODEL_GIB);
	assert_int_equal(d.cfg.policy.budget_bytes, 5 * MODEL_GIB); /* recomputed */
	assert_int_equal(d.cfg.policy.balance_period_ms, 700);	     /* the flag wins */
	assert_int_equal(d.cfg.log_level, LOG_WARN);
	assert_int_equal(d.config_reloads, 1);

	/* a key gone from the file goes back to its default (the file, not a merge) */
	write_conf("[blimpd]\nheadroom = 3G\n");
	assert_int_equal(daemon_config_reload(&d), 0);
	assert_int_equal(d.cfg.policy.idle_tax_permyriad, 7500);
	/* host_mem set: the budget is host_mem */
	write_conf("[blimpd]\nhost_mem = 1G\n");
	assert_int_equal(daemon_config_reload(&d), 0);
	assert_int_equal(d.cfg.policy.budget_bytes, MODEL_GIB);
}

static void expect_refused(const char *text)
{
	struct blimpd_config before = d.cfg;
	uint64_t refusals = d.config_refusals;
	write_conf(text);
	assert_true(daemon_config_reload(&d) < 0);
	assert_memory_equal(&before, &d.cfg, sizeof(before));
	assert_int_equal(d.config_refusals, refusals + 1);
}

static void test_reload_refuses_whole(void **state)
{
	(void)state;
	/* a bad value after good ones: none of them applied */
	expect_refused("[blimpd]\nidle_tax = 0.1\nheadroom = 1G\nksm_sleep_ms = 0\n");
	/* an unknown key */
	expect_refused("[blimpd]\nidle_tax = 0.1\nno_such = 1\n");
	/* valid keys, invalid together */
	expect_refused("[blimpd]\nidle_tax = 0.1\nstale_after_ms = 500\n");
	/* a restart key changed */
	expect_refused("[blimpd]\nidle_tax = 0.1\nstate_dir = /srv/other\n");
	/* headroom over the host's RAM: no budget */
	expect_refused("[blimpd]\nheadroom = 9G\n");
	/* the file gone (it was given with --config) */
	unlink(conf);
	struct blimpd_config before = d.cfg;
	assert_true(daemon_config_reload(&d) < 0);
	assert_memory_equal(&before, &d.cfg, sizeof(before));
}

static void test_commit(void **state)
{
	(void)state;
	char err[512];
	struct blimpd_config next = d.cfg, before = d.cfg;
	assert_int_equal(config_set(&next, "host_mem", "3G", err, sizeof(err)), 0);
	assert_int_equal(config_set(&next, "keep_vms", "true", err, sizeof(err)), 0);
	assert_int_equal(daemon_config_commit(&d, &next, "test", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "restart needed for keep_vms"));
	assert_memory_equal(&before, &d.cfg, sizeof(before));

	next = d.cfg;
	assert_int_equal(config_set(&next, "host_mem", "3G", err, sizeof(err)), 0);
	assert_int_equal(daemon_config_commit(&d, &next, "test", err, sizeof(err)), 0);
	assert_int_equal(d.cfg.host_mem_bytes, 3 * MODEL_GIB);
	assert_int_equal(d.cfg.policy.budget_bytes, 3 * MODEL_GIB);
}

int main(void)
{
	event_set_sink(EVENT_SINK_STDERR);
	log_set_level(LOG_ERR);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_reload_applies_file_flags_win, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reload_refuses_whole, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
