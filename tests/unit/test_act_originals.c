/* act/originals: host settings' originals survive a blimpd that is killed (the
 * in-memory actuator dropped without restore); the next one restores the true
 * originals; corrupt or hostile files are ignored without writing anything. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../fixtures/act/fixture.h"
#include "act/cgroup.h"
#include "act/knob.h"
#include "act/ksm.h"
#include "act/originals.h"

#define KSM "sys/kernel/mm/ksm/"
#define BOOT "0f6e1c2a-boot-1"

struct fx {
	char *root;
	char sys[4200];
	char file[4200]; /* STATE/host-originals */
	char bad[4300];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f || !(f->root = fx_tmpdir()))
		return -1;
	snprintf(f->sys, sizeof(f->sys), "%s/sys", f->root);
	snprintf(f->file, sizeof(f->file), "%s/state/host-originals", f->root);
	snprintf(f->bad, sizeof(f->bad), "%s.bad", f->file);
	if (fx_write(f->root, KSM "run", "0\n") ||
	    fx_write(f->root, KSM "pages_to_scan", "100\n") ||
	    fx_write(f->root, KSM "sleep_millisecs", "20\n") ||
	    fx_write(f->root, "sys/module/zswap/parameters/enabled", "N\n") ||
	    fx_mkdirs(f->root, "state"))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	fx_rmtree(f->root);
	free(f);
	return 0;
}

static struct act_originals *fx_open(struct fx *f, const char *boot, char *note, size_t len)
{
	struct act_originals *o = NULL;
	assert_int_equal(act_originals_open(f->file, boot, &o, note, len), 0);
	assert_non_null(o);
	return o;
}

static struct act_ksm *fx_ksm(struct fx *f, struct act_originals *o)
{
	struct act_ksm *k = act_ksm_new(f->sys, false);
	assert_non_null(k);
	act_ksm_use_originals(k, o);
	return k;
}

static void assert_ksm(struct fx *f, const char *run, const char *pages, const char *sleep)
{
	assert_string_equal(fx_read(f->root, KSM "run"), run);
	assert_string_equal(fx_read(f->root, KSM "pages_to_scan"), pages);
	assert_string_equal(fx_read(f->root, KSM "sleep_millisecs"), sleep);
}

static void test_ksm_crash_then_restore(void **state)
{
	struct fx *f = *state;
	char msg[1024], note[512];
	struct act_originals *o = fx_open(f, BOOT, note, sizeof(note));
	assert_string_equal(note, "");
	assert_int_equal(act_originals_count(o), 0);
	struct act_ksm *k = fx_ksm(f, o);
	assert_int_equal(act_ksm_apply(k, true, 1000, 50, msg, sizeof(msg)), 0);
	assert_ksm(f, "1", "1000", "50");
	assert_true(access(f->file, F_OK) == 0);
	assert_int_equal(act_originals_count(o), 3);
	/* kill -9: nothing restored, nothing freed on purpose beyond memory */
	act_ksm_free(k);
	act_originals_free(o);
	assert_ksm(f, "1", "1000", "50");

	/* The next blimpd: without the file it would take 1/1000/50 as originals. */
	o = fx_open(f, BOOT, note, sizeof(note));
	assert_non_null(strstr(note, "3 original host setting(s)"));
	assert_int_equal(act_originals_pending(o), 3);
	k = fx_ksm(f, o);
	assert_int_equal(act_originals_pending(o), 0);
	/* Its plan is the same: nothing to write, yet exit must restore. */
	assert_int_equal(act_ksm_apply(k, true, 1000, 50, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	/* And a new rate: the original recorded stays the dead blimpd's original. */
	assert_int_equal(act_ksm_apply(k, true, 3000, 50, msg, sizeof(msg)), 0);
	assert_ksm(f, "1", "3000", "50");
	/* It dies too, and a third one does the orderly exit. */
	act_ksm_free(k);
	act_originals_free(o);
	o = fx_open(f, BOOT, note, sizeof(note));
	k = fx_ksm(f, o);
	assert_int_equal(act_ksm_restore(k, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "ksm.run restored to 0"));
	assert_ksm(f, "0", "100", "20");
	assert_int_equal(act_originals_count(o), 0);
	assert_true(access(f->file, F_OK) != 0); /* nothing left: file gone */
	assert_int_equal(act_originals_finish(o, msg, sizeof(msg)), 0);
	assert_true(access(f->file, F_OK) != 0);
	act_ksm_free(k);
	act_originals_free(o);
}

/* A restarted blimpd that never touches KSM (manage_ksm off) restores it on exit. */
static void test_unclaimed_restored_by_finish(void **state)
{
	struct fx *f = *state;
	char msg[1024], note[512];
	struct act_originals *o = fx_open(f, BOOT, note, sizeof(note));
	struct act_ksm *k = fx_ksm(f, o);
	assert_int_equal(act_ksm_apply(k, true, 1000, 50, msg, sizeof(msg)), 0);
	struct act_knob z;
	char zdir[4300];
	snprintf(zdir, sizeof(zdir), "%s/module/zswap/parameters", f->sys);
	assert_int_equal(act_knob_init(&z, "zswap.enabled", zdir, "enabled"), 0);
	act_knob_bind(&z, o);
	assert_int_equal(act_knob_set(&z, "Y", false, msg, sizeof(msg)), 1);
	assert_int_equal(act_originals_count(o), 4);
	act_ksm_free(k);
	act_originals_free(o);

	o = fx_open(f, BOOT, note, sizeof(note));
	assert_int_equal(act_originals_pending(o), 4);
	msg[0] = '\0';
	assert_int_equal(act_originals_finish(o, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "zswap.enabled restored to N"));
	assert_ksm(f, "0", "100", "20");
	assert_string_equal(fx_read(f->root, "sys/module/zswap/parameters/enabled"), "N");
	assert_true(access(f->file, F_OK) != 0);
	act_originals_free(o);
}

/* An entry whose file is now another object (recreated) is never written. */
static void test_recreated_object_dropped(void **state)
{
	struct fx *f = *state;
	char msg[1024], note[512];
	struct act_originals *o = fx_open(f, BOOT, note, sizeof(note));
	struct act_ksm *k = fx_ksm(f, o);
	assert_int_equal(act_ksm_apply(k, true, 1000, 50, msg, sizeof(msg)), 0);
	act_ksm_free(k);
	act_originals_free(o);
	/* pages_to_scan replaced by a new file (a new inode: made while the old one
	 * still exists), sleep_millisecs gone */
	char p[4300], q[4300];
	snprintf(p, sizeof(p), "%s/" KSM "pages_to_scan", f->root);
	snprintf(q, sizeof(q), "%s/" KSM "new", f->root);
	assert_int_equal(fx_write(f->root, KSM "new", "777\n"), 0);
	assert_int_equal(rename(q, p), 0);
	snprintf(p, sizeof(p), "%s/" KSM "sleep_millisecs", f->root);
	assert_int_equal(unlink(p), 0);

	o = fx_open(f, BOOT, note, sizeof(note));
	assert_non_null(strstr(note, "2 dropped"));
	assert_int_equal(act_originals_count(o), 1);
	assert_int_equal(act_originals_finish(o, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, KSM "run"), "0");
	assert_string_equal(fx_read(f->root, KSM "pages_to_scan"), "777");
	assert_false(fx_exists(f->root, KSM "sleep_millisecs"));
	act_originals_free(o);
}

/* The kernel forgot everything at reboot: a file from another boot is removed. */
static void test_other_boot_ignored(void **state)
{
	struct fx *f = *state;
	char msg[1024], note[512];
	struct act_originals *o = fx_open(f, BOOT, note, sizeof(note));
	struct act_ksm *k = fx_ksm(f, o);
	assert_int_equal(act_ksm_apply(k, true, 1000, 50, msg, sizeof(msg)), 0);
	act_ksm_free(k);
	act_originals_free(o);

	o = fx_open(f, "another-boot", note, sizeof(note));
	assert_non_null(strstr(note, "another boot"));
	assert_int_equal(act_originals_count(o), 0);
	assert_true(access(f->file, F_OK) != 0);
	assert_int_equal(act_originals_finish(o, msg, sizeof(msg)), 0);
	assert_ksm(f, "1", "1000", "50"); /* nothing written from the stale file */
	act_originals_free(o);
}

static void test_corrupt_files(void **state)
{
	struct fx *f = *state;
	char ksm_run[4300], zsw[4300];
	snprintf(ksm_run, sizeof(ksm_run), "%s/" KSM "run", f->root);
	snprintf(zsw, sizeof(zsw), "%s/sys/module/zswap/parameters/enabled", f->root);
	struct stat st;
	assert_int_equal(stat(ksm_run, &st), 0);
	char id[64];
	snprintf(id, sizeof(id), "%llu %llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	const char *hdr = "blimp-host-originals 1\nboot_id " BOOT "\n";
	char good[8192];
	snprintf(good, sizeof(good), "%sknob ksm.run %s 1 %s\n", hdr, id, ksm_run);
	/* Each of these must be refused as a whole, and nothing written. */
	char cases[][9000] = {
	    "",
	    "garbage\n",
	    "blimp-host-originals 2\nboot_id -\n",
	    "blimp-host-originals 1\n",
	    "blimp-host-originals 1\nboot_id a b\n",
	    "blimp-host-originals 1\nboot_id " BOOT "\nknob ksm.run 1 2 1\n",
	};
	size_t n_fixed = sizeof(cases) / sizeof(cases[0]);
	const char *bad_lines[] = {
	    "knob ksm.run %s 7 %s",			  /* value out of bounds */
	    "knob ksm.run %s -1 %s",			  /* negative */
	    "knob ksm.run %s 1x %s",			  /* trailing garbage */
	    "knob ksm.run %s 0x1 %s",			  /* hex */
	    "knob ksm.run %s 01 %s",			  /* leading zero */
	    "knob ksm.pages_to_scan %s 1 %s",		  /* label does not fit the path */
	    "knob ksm.RUN %s 1 %s",			  /* unknown label */
	    "knob rm.rf %s 1 %s",			  /* unknown label */
	    "knob ksm.run %s 1  %s",			  /* empty field */
	    "knob  ksm.run %s 1 %s",			  /* empty field */
	    "knob ksm.run %s 1 %s\nknob ksm.run %s 0 %s", /* twice */
	    "KNOB ksm.run %s 1 %s",
	    "knob ksm.run %s 1 %s\n\n", /* empty line */
	};
	char lines[sizeof(bad_lines) / sizeof(bad_lines[0])][9000];
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		char body[8500];
		snprintf(body, sizeof(body), bad_lines[i], id, ksm_run, id, ksm_run);
		snprintf(lines[i], sizeof(lines[i]), "%s%s\n", hdr, body);
	}
	const char *paths[] = {"sys/kernel/mm/ksm/run",	    "/etc/passwd",
			       "/sys/kernel/mm/ksm/../run", "/sys/kernel/mm//ksm/run",
			       "/sys/kernel/mm/ksm/./run",  "/x/kernel/mm/ksm/run\x01"};
	char pcases[sizeof(paths) / sizeof(paths[0])][9000];
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		snprintf(pcases[i], sizeof(pcases[i]), "%sknob ksm.run %s 1 %s\n", hdr, id,
			 paths[i]);

	size_t total =
	    n_fixed + sizeof(lines) / sizeof(lines[0]) + sizeof(pcases) / sizeof(pcases[0]) + 3;
	for (size_t i = 0; i < total; i++) {
		char text[9000];
		size_t len;
		size_t j = i;
		if (j < n_fixed) {
			snprintf(text, sizeof(text), "%s", cases[j]);
		} else if ((j -= n_fixed) < sizeof(lines) / sizeof(lines[0])) {
			snprintf(text, sizeof(text), "%s", lines[j]);
		} else if ((j -= sizeof(lines) / sizeof(lines[0])) <
			   sizeof(pcases) / sizeof(pcases[0])) {
			snprintf(text, sizeof(text), "%s", pcases[j]);
		} else {
			j -= sizeof(pcases) / sizeof(pcases[0]);
			if (j == 0) /* truncated: no final newline */
				snprintf(text, sizeof(text), "%.*s", (int)strlen(good) - 1, good);
			else if (j == 1) /* bad inode field */
				snprintf(text, sizeof(text),
					 "%sknob ksm.run 1 99999999999999999999999 1 %s\n", hdr,
					 ksm_run);
			else /* a value too long for any knob */
				snprintf(text, sizeof(text), "%sknob memory.high %s %0100d %s\n",
					 hdr, id, 1, ksm_run);
		}
		len = strlen(text);
		FILE *fp = fopen(f->file, "w");
		assert_non_null(fp);
		assert_int_equal(fwrite(text, 1, len, fp), len);
		assert_int_equal(fclose(fp), 0);
		char note[512], msg[1024] = "";
		assert_int_equal(fx_write(f->root, KSM "run", "1\n"), 0);
		struct act_originals *o = fx_open(f, BOOT, note, sizeof(note));
		if (!strstr(note, "corrupt"))
			fail_msg("case %zu not refused: note \"%s\" for:\n%s", i, note, text);
		assert_int_equal(act_originals_count(o), 0);
		assert_true(act_originals_refused(o));
		assert_true(access(f->bad, F_OK) == 0);
		assert_true(access(f->file, F_OK) != 0);
		assert_int_equal(act_originals_finish(o, msg, sizeof(msg)), 0);
		assert_string_equal(fx_read(f->root, KSM "run"), "1");
		act_originals_free(o);
		unlink(f->bad);
	}
	/* The good file is accepted and restored; with a NUL byte in it, refused. */
	for (int nul = 0; nul < 2; nul++) {
		FILE *fp = fopen(f->file, "w");
		assert_non_null(fp);
		fwrite(good, 1, strlen(good), fp);
		if (nul)
			fwrite("\0\n", 1, 2, fp);
		assert_int_equal(fclose(fp), 0);
		assert_int_equal(fx_write(f->root, KSM "run", "0\n"), 0);
		char note[512], msg[1024] = "";
		struct act_originals *o = fx_open(f, BOOT, note, sizeof(note));
		assert_int_equal(act_originals_count(o), nul ? 0 : 1);
		assert_int_equal(act_originals_finish(o, msg, sizeof(msg)), 0);
		assert_string_equal(fx_read(f->root, KSM "run"), nul ? "0" : "1");
		act_originals_free(o);
		unlink(f->bad);
	}
	/* zswap's entry carrying another file's identity: dropped, N never written */
	{
		char text[9000], note[512], msg[1024] = "";
		snprintf(text, sizeof(text), "%sknob zswap.enabled %s N %s\n", hdr, id, zsw);
		assert_int_equal(fx_write(f->root, "sys/module/zswap/parameters/enabled", "Y\n"),
				 0);
		FILE *fp = fopen(f->file, "w");
		fputs(text, fp);
		assert_int_equal(fclose(fp), 0);
		struct act_originals *o = fx_open(f, BOOT, note, sizeof(note));
		assert_non_null(strstr(note, "1 dropped"));
		assert_int_equal(act_originals_finish(o, msg, sizeof(msg)), 0);
		assert_string_equal(fx_read(f->root, "sys/module/zswap/parameters/enabled"), "Y");
		act_originals_free(o);
	}
	/* Too big: refused before parsing. */
	{
		FILE *fp = fopen(f->file, "w");
		fputs(hdr, fp);
		for (int i = 0; i < 40000; i++)
			fputs("knob ksm.run 1 1 1 /aaaaaaaaaaaaaaaaaaa/kernel/mm/ksm/run\n", fp);
		assert_int_equal(fclose(fp), 0);
		char note[512];
		struct act_originals *o = fx_open(f, BOOT, note, sizeof(note));
		assert_non_null(strstr(note, "larger than"));
		act_originals_free(o);
		unlink(f->bad);
	}
}

static void test_valid(void **state)
{
	(void)state;
	assert_true(act_originals_valid("ksm.run", "/sys/kernel/mm/ksm/run", "2"));
	assert_false(act_originals_valid("ksm.run", "/sys/kernel/mm/ksm/run", "3"));
	assert_false(act_originals_valid("ksm.run", "/kernel/mm/ksm/run", "1")); /* no root */
	assert_true(act_originals_valid("ksm.pages_to_scan", "/s/kernel/mm/ksm/pages_to_scan",
					"4294967295"));
	assert_false(act_originals_valid("ksm.pages_to_scan", "/s/kernel/mm/ksm/pages_to_scan",
					 "4294967296"));
	assert_false(
	    act_originals_valid("ksm.sleep_millisecs", "/s/kernel/mm/ksm/sleep_millisecs", ""));
	assert_true(
	    act_originals_valid("zswap.enabled", "/sys/module/zswap/parameters/enabled", "Y"));
	assert_false(
	    act_originals_valid("zswap.enabled", "/sys/module/zswap/parameters/enabled", "yes"));
	assert_true(act_originals_valid("memory.limit_in_bytes", "/c/m/memory.limit_in_bytes",
					"9223372036854771712"));
	assert_false(act_originals_valid("memory.limit_in_bytes", "/c/m/memory.limit_in_bytes",
					 "9223372036854775808"));
	assert_false(act_originals_valid("memory.limit_in_bytes", "/c/m/memory.limit_in_bytes",
					 "99999999999999999999999"));
	assert_true(act_originals_valid("memory.high", "/c/m/memory.high", "max"));
	assert_true(act_originals_valid("memory.high", "/c/m/memory.high", "1048576"));
	assert_false(act_originals_valid("memory.high", "/c/m/memory.high", "MAX"));
	assert_true(act_originals_valid("memory.swappiness", "/c/m/memory.swappiness", "60"));
	assert_false(act_originals_valid("memory.swappiness", "/c/m/memory.swappiness", "201"));
	assert_true(act_originals_valid("memory.oom_control", "/c/m/memory.oom_control", "0"));
	assert_false(act_originals_valid("memory.oom_control", "/c/m/memory.oom_control", "2"));
	assert_false(act_originals_valid("memory.oom_control", "/c/m/memory.oom_control",
					 "oom_kill_disable 0"));
	assert_false(act_originals_valid("(none)", "/c/m/memory.swappiness", "60"));
	assert_false(act_originals_valid("memory.high", "/c/m/xmemory.high", "max"));
	assert_false(act_originals_valid(NULL, "/c/m/memory.high", "max"));
}

/* Dry-run writes nothing: no file either. */
static void test_dry_run_records_nothing(void **state)
{
	struct fx *f = *state;
	char msg[1024], note[512];
	struct act_originals *o = fx_open(f, BOOT, note, sizeof(note));
	struct act_ksm *k = act_ksm_new(f->sys, true);
	act_ksm_use_originals(k, o);
	assert_int_equal(act_ksm_apply(k, true, 1000, 50, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "would set ksm.run 0->1"));
	assert_true(access(f->file, F_OK) != 0);
	assert_int_equal(act_ksm_restore(k, msg, sizeof(msg)), 0);
	assert_ksm(f, "0", "100", "20");
	act_ksm_free(k);
	act_originals_free(o);
}

/* cgroup v1: a VM limited by a blimpd that died is unlimited by the next one as soon
 * as its plan says "no limit", with the value libvirt had set, not the dead one's. */
#define OOM_CONTROL(d) "oom_kill_disable " #d "\nunder_oom 0\noom_kill 0\n"
static void test_cgroup_crash(void **state)
{
	struct fx *f = *state;
	char msg[1024], note[512], cg[4300], proc[4300];
	snprintf(cg, sizeof(cg), "%s/cg", f->root);
	snprintf(proc, sizeof(proc), "%s/proc", f->root);
#define VM "cg/machine/qemu-1-vm1.libvirt-qemu/"
	assert_int_equal(fx_write(f->root, VM "cgroup.procs", "100\n"), 0);
	assert_int_equal(fx_write(f->root, VM "memory.limit_in_bytes", "9223372036854771712\n"), 0);
	assert_int_equal(fx_write(f->root, VM "memory.swappiness", "60\n"), 0);
	assert_int_equal(fx_write(f->root, VM "memory.usage_in_bytes", "1000\n"), 0);
	assert_int_equal(fx_write(f->root, VM "memory.oom_control", OOM_CONTROL(0)), 0);
	assert_int_equal(
	    fx_write(f->root, "proc/100/cgroup", "4:memory:/machine/qemu-1-vm1.libvirt-qemu\n"), 0);
	assert_int_equal(fx_write(f->root, "proc/100/stat",
				  "100 (qemu) S 1 100 100 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 3 0 "
				  "5000 100 1 18446744073709551615\n"),
			 0);
	struct act_cgroup_opts co = {.proc_root = proc, .cgroup_root = cg, .version = 1};
	for (int round = 0; round < 2; round++) {
		struct act_originals *o = fx_open(f, BOOT, note, sizeof(note));
		co.originals = o;
		int err = 0;
		struct act_cgroup *a = act_cgroup_new(&co, &err);
		assert_non_null(a);
		assert_int_equal(act_cgroup_apply(a, "vm1", 100, 256 << 20, msg, sizeof(msg)), 0);
		assert_string_equal(fx_read(f->root, VM "memory.limit_in_bytes"), "268435456");
		assert_string_equal(fx_read(f->root, VM "memory.swappiness"), "100");
		/* oom_kill_disable set before the limit (round 1 writes it, round 2
		 * finds it set); the fake kernel shows it in its own format */
		const char *guard = fx_read(f->root, VM "memory.oom_control");
		assert_true(strcmp(guard, "1") == 0 || strstr(guard, "oom_kill_disable 1"));
		assert_int_equal(fx_write(f->root, VM "memory.oom_control", OOM_CONTROL(1)), 0);
		assert_int_equal(act_originals_count(o), 3);
		act_cgroup_free(a); /* killed */
		act_originals_free(o);
	}
	/* Another VM's plan with no limit costs nothing (no file of its cgroup pending). */
	struct act_originals *o = fx_open(f, BOOT, note, sizeof(note));
	assert_int_equal(act_originals_pending(o), 3);
	co.originals = o;
	int err = 0;
	struct act_cgroup *a = act_cgroup_new(&co, &err);
	assert_non_null(a);
	assert_int_equal(act_cgroup_apply(a, "vm1", 100, 0, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "memory.limit_in_bytes restored to 9223372036854771712"));
	assert_string_equal(fx_read(f->root, VM "memory.limit_in_bytes"), "9223372036854771712");
	assert_string_equal(fx_read(f->root, VM "memory.swappiness"), "60");
	assert_string_equal(fx_read(f->root, VM "memory.oom_control"), "0");
	assert_int_equal(act_originals_count(o), 0);
	assert_true(access(f->file, F_OK) != 0);
	assert_int_equal(act_cgroup_restore(a, msg, sizeof(msg)), 0);
	assert_int_equal(act_originals_finish(o, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, VM "memory.limit_in_bytes"), "9223372036854771712");
	act_cgroup_free(a);
	act_originals_free(o);
#undef VM
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ksm_crash_then_restore, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unclaimed_restored_by_finish, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recreated_object_dropped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_other_boot_ignored, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_files, setup, teardown),
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test_setup_teardown(test_dry_run_records_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cgroup_crash, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
