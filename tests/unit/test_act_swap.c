/* act/swap: swap file lifecycle with swapon/swapoff stand-ins, a real mkswap on a
 * temp file, a fake /proc/swaps and zswap parameter. BLIMP_TEST_REAL_SWAP=1 (root)
 * also runs a real 256 MiB swap file under /var/tmp through swapon(2). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/swap.h>

#include "fx_state.h"
#include "act/originals.h"
#include "act/swap.h"

struct fx {
	char *root;
	char sys[4200];
	char proc[4200];
	char file[4200];
	int swapons;
	int swapoffs;
	int last_flags;
	int fail_swapon; /* next N swapon calls fail with fail_errno */
	int fail_errno;
};
FX_STATE_ROOT_FIRST(struct fx);

static int fake_swapon(const char *path, int flags, void *arg)
{
	struct fx *f = arg;
	(void)path;
	f->last_flags = flags;
	if (f->fail_swapon > 0) {
		f->fail_swapon--;
		return -f->fail_errno;
	}
	f->swapons++;
	return 0;
}

static int fake_swapoff(const char *path, void *arg)
{
	struct fx *f = arg;
	(void)path;
	f->swapoffs++;
	return 0;
}

static int setup(void **state)
{
	struct fx *f = fx_state_new(sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->sys, sizeof(f->sys), "%s/sys", f->root);
	snprintf(f->proc, sizeof(f->proc), "%s/proc", f->root);
	snprintf(f->file, sizeof(f->file), "%s/swapfile", f->root);
	if (fx_write(f->root, "sys/module/zswap/parameters/enabled", "N\n") ||
	    fx_write(f->root, "proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	return fx_state_free(state);
}

static struct act_swap *fx_new(struct fx *f, uint64_t size, bool dry)
{
	struct act_swap_opts o = {
	    .path = f->file,
	    .size_bytes = size,
	    .priority = 5,
	    .zswap = true,
	    .sysfs_root = f->sys,
	    .proc_root = f->proc,
	    .dry_run = dry,
	    .swapon = fake_swapon,
	    .swapoff = fake_swapoff,
	    .hook_arg = f,
	};
	int err = 1;
	struct act_swap *s = act_swap_new(&o, &err);
	assert_non_null(s);
	assert_int_equal(err, 0);
	return s;
}

static off_t file_size(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? st.st_size : -1;
}

static void test_enable_restore(void **state)
{
	struct fx *f = *state;
	struct act_swap *s = fx_new(f, (8ULL << 20) + 100, false);
	char msg[1024];
	assert_int_equal(act_swap_enable(s, msg, sizeof(msg)), 0);
	assert_true(act_swap_active(s));
	assert_int_equal(file_size(f->file), 8 << 20); /* rounded down to pages */
	assert_int_equal(act_swap_is_ours(f->file), 1);
	struct stat st;
	assert_int_equal(stat(f->file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(f->swapons, 1);
	assert_true(f->last_flags & SWAP_FLAG_PREFER);
	assert_int_equal(f->last_flags & SWAP_FLAG_PRIO_MASK, 5);
	assert_string_equal(fx_read(f->root, "sys/module/zswap/parameters/enabled"), "Y");
	assert_non_null(strstr(msg, "created"));
	assert_non_null(strstr(msg, "zswap.enabled N->Y"));

	/* Idempotent. */
	assert_int_equal(act_swap_enable(s, msg, sizeof(msg)), 0);
	assert_int_equal(f->swapons, 1);

	assert_int_equal(act_swap_restore(s, msg, sizeof(msg)), 0);
	assert_false(act_swap_active(s));
	assert_int_equal(f->swapoffs, 1);
	assert_int_equal(file_size(f->file), -1);
	assert_string_equal(fx_read(f->root, "sys/module/zswap/parameters/enabled"), "N");
	/* Twice: nothing more. */
	assert_int_equal(act_swap_restore(s, msg, sizeof(msg)), 0);
	assert_int_equal(f->swapoffs, 1);
	act_swap_free(s);
}

static void test_foreign_file_untouched(void **state)
{
	struct fx *f = *state;
	assert_int_equal(fx_write(f->root, "swapfile", "precious data\n"), 0);
	struct act_swap *s = fx_new(f, 8ULL << 20, false);
	char msg[1024];
	assert_int_equal(act_swap_enable(s, msg, sizeof(msg)), -EEXIST);
	assert_non_null(strstr(msg, "not blimp's"));
	assert_string_equal(fx_read(f->root, "swapfile"), "precious data");
	assert_int_equal(f->swapons, 0);
	assert_int_equal(act_swap_restore(s, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, "swapfile"), "precious data");
	act_swap_free(s);

	/* A swap area made by someone else (no blimp label) is not ours either. */
	char cmd[8400];
	snprintf(cmd, sizeof(cmd),
		 "rm -f '%s' && truncate -s 1M '%s' && mkswap -L other '%s' >/dev/null 2>&1",
		 f->file, f->file, f->file);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(act_swap_is_ours(f->file), 0);
	s = fx_new(f, 1ULL << 20, false);
	assert_int_equal(act_swap_enable(s, msg, sizeof(msg)), -EEXIST);
	assert_int_equal(file_size(f->file), 1 << 20);
	act_swap_free(s);
}

static void test_leftover_adopted(void **state)
{
	struct fx *f = *state;
	char cmd[8400];
	snprintf(cmd, sizeof(cmd), "truncate -s 4M '%s' && mkswap -L blimp '%s' >/dev/null 2>&1",
		 f->file, f->file);
	assert_int_equal(system(cmd), 0);
	char swaps[8400];
	snprintf(swaps, sizeof(swaps),
		 "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n%s  file\t\t4092\t\t0\t\t5\n",
		 f->file);
	assert_int_equal(fx_write(f->root, "proc/swaps", swaps), 0);
	struct act_swap *s = fx_new(f, 4ULL << 20, false);
	char msg[1024];
	assert_int_equal(act_swap_enable(s, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "reusing"));
	assert_int_equal(f->swapons, 0); /* already on */
	assert_true(act_swap_active(s));
	assert_int_equal(act_swap_restore(s, msg, sizeof(msg)), 0);
	assert_int_equal(f->swapoffs, 1);
	assert_int_equal(file_size(f->file), -1);
	act_swap_free(s);
}

/* On already, but not under this path in /proc/swaps: a blimpd under systemd
 * (ProtectSystem= bind mounts) was killed, and the kernel names its swap file by the
 * path below that dead namespace's mount. swapon says EBUSY; it is adopted and removed
 * on exit, not unlinked at once (the kernel refuses that for an active swap file). */
static void test_leftover_on_in_another_namespace(void **state)
{
	struct fx *f = *state;
	char cmd[8400];
	snprintf(cmd, sizeof(cmd), "truncate -s 4M '%s' && mkswap -L blimp '%s' >/dev/null 2>&1",
		 f->file, f->file);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(fx_write(f->root, "proc/swaps",
				  "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
				  "/swapfile  file\t\t4092\t\t0\t\t5\n"),
			 0);
	f->fail_swapon = 1;
	f->fail_errno = EBUSY;
	struct act_swap *s = fx_new(f, 4ULL << 20, false);
	char msg[1024];
	assert_int_equal(act_swap_enable(s, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "on already"));
	assert_true(act_swap_active(s));
	assert_int_equal(act_swap_is_ours(f->file), 1);
	assert_int_equal(act_swap_restore(s, msg, sizeof(msg)), 0);
	assert_int_equal(f->swapoffs, 1);
	assert_int_equal(file_size(f->file), -1);
	act_swap_free(s);

	/* EBUSY for a file blimp just made is no such case: an error, file removed */
	f->fail_swapon = 1;
	s = fx_new(f, 4ULL << 20, false);
	assert_int_equal(act_swap_enable(s, msg, sizeof(msg)), -EBUSY);
	assert_false(act_swap_active(s));
	assert_int_equal(file_size(f->file), -1);
	act_swap_free(s);
}

static void test_swapon_einval_rewrites(void **state)
{
	struct fx *f = *state;
	f->fail_swapon = 1;
	f->fail_errno = EINVAL;
	struct act_swap *s = fx_new(f, 2ULL << 20, false);
	char msg[1024];
	assert_int_equal(act_swap_enable(s, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "writing zeros"));
	assert_non_null(strstr(msg, "written"));
	assert_int_equal(f->swapons, 1);
	assert_int_equal(act_swap_is_ours(f->file), 1);
	assert_int_equal(act_swap_restore(s, msg, sizeof(msg)), 0);
	act_swap_free(s);

	/* swapon refuses for good: the file is removed, the error returned. */
	f->fail_swapon = 5;
	f->fail_errno = EPERM;
	s = fx_new(f, 2ULL << 20, false);
	assert_int_equal(act_swap_enable(s, msg, sizeof(msg)), -EPERM);
	assert_false(act_swap_active(s));
	assert_int_equal(file_size(f->file), -1);
	assert_string_equal(fx_read(f->root, "sys/module/zswap/parameters/enabled"), "N");
	assert_int_equal(act_swap_restore(s, msg, sizeof(msg)), 0);
	act_swap_free(s);
}

static void test_dry_run(void **state)
{
	struct fx *f = *state;
	struct act_swap *s = fx_new(f, 8ULL << 20, true);
	char msg[1024];
	assert_int_equal(act_swap_enable(s, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "would create"));
	assert_non_null(strstr(msg, "would set zswap.enabled N->Y"));
	assert_int_equal(file_size(f->file), -1);
	assert_int_equal(f->swapons, 0);
	assert_string_equal(fx_read(f->root, "sys/module/zswap/parameters/enabled"), "N");
	assert_int_equal(act_swap_restore(s, msg, sizeof(msg)), 0);
	act_swap_free(s);
}

static void test_no_zswap_and_replaced_file(void **state)
{
	struct fx *f = *state;
	char cmd[8400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/sys'", f->root);
	assert_int_equal(system(cmd), 0);
	struct act_swap *s = fx_new(f, 1ULL << 20, false);
	char msg[1024];
	assert_int_equal(act_swap_enable(s, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "no zswap"));
	/* Someone replaced the file meanwhile: blimp leaves it alone. */
	assert_int_equal(unlink(f->file), 0);
	assert_int_equal(fx_write(f->root, "swapfile", "not swap\n"), 0);
	assert_int_equal(act_swap_restore(s, msg, sizeof(msg)), -EEXIST);
	assert_int_equal(f->swapoffs, 0);
	assert_string_equal(fx_read(f->root, "swapfile"), "not swap");
	act_swap_free(s);
}

static struct act_swap *fx_new_orig(struct fx *f, struct act_originals *o)
{
	struct act_swap_opts so = {
	    .path = f->file,
	    .size_bytes = 1 << 20,
	    .priority = -1,
	    .zswap = true,
	    .sysfs_root = f->sys,
	    .proc_root = f->proc,
	    .swapon = fake_swapon,
	    .swapoff = fake_swapoff,
	    .hook_arg = f,
	    .originals = o,
	};
	int err = 1;
	struct act_swap *s = act_swap_new(&so, &err);
	assert_non_null(s);
	return s;
}

/* A blimpd with a swap file is killed: the next one, without swap configured,
 * removes the file and puts zswap back at its clean exit; with it configured, adopts
 * the file and removes it on exit; a file that is no longer blimp's is left alone. */
static void test_crash_leftover(void **state)
{
	struct fx *f = *state;
	char msg[1024], note[512], orig[4300];
	snprintf(orig, sizeof(orig), "%s/host-originals", f->root);
	for (int round = 0; round < 3; round++) {
		struct act_originals *o = NULL;
		assert_int_equal(act_originals_open(orig, NULL, &o, note, sizeof(note)), 0);
		struct act_swap *s = fx_new_orig(f, o);
		assert_int_equal(act_swap_enable(s, msg, sizeof(msg)), 0);
		assert_int_equal(act_swap_is_ours(f->file), 1);
		assert_int_equal(act_originals_count(o), 2); /* swap.file, zswap.enabled */
		act_swap_free(s);			     /* killed */
		act_originals_free(o);
		assert_string_equal(fx_read(f->root, "sys/module/zswap/parameters/enabled"), "Y");

		assert_int_equal(act_originals_open(orig, NULL, &o, note, sizeof(note)), 0);
		assert_int_equal(act_originals_pending(o), 2);
		if (round == 0) {
			/* no swap configured now: the exit cleans up */
			msg[0] = '\0';
			assert_int_equal(act_originals_finish(o, msg, sizeof(msg)), 0);
			assert_non_null(strstr(msg, "removed"));
			assert_false(fx_exists(f->root, "swapfile"));
		} else if (round == 1) {
			/* configured again: adopted, then removed by restore */
			s = fx_new_orig(f, o);
			assert_int_equal(act_originals_pending(o), 0);
			int offs = f->swapoffs;
			assert_int_equal(act_swap_enable(s, msg, sizeof(msg)), 0);
			assert_non_null(strstr(msg, "reusing"));
			assert_int_equal(act_swap_restore(s, msg, sizeof(msg)), 0);
			assert_int_equal(f->swapoffs, offs + 1);
			assert_false(fx_exists(f->root, "swapfile"));
			assert_int_equal(act_originals_finish(o, msg, sizeof(msg)), 0);
			act_swap_free(s);
		} else {
			/* overwritten in place by something else: never removed */
			assert_int_equal(fx_write(f->root, "swapfile", "precious\n"), 0);
			msg[0] = '\0';
			assert_int_equal(act_originals_finish(o, msg, sizeof(msg)), -EEXIST);
			assert_non_null(strstr(msg, "not blimp's"));
			assert_string_equal(fx_read(f->root, "swapfile"), "precious");
			assert_true(access(orig, F_OK) == 0); /* kept for a later look */
			unlink(f->file);
		}
		assert_string_equal(fx_read(f->root, "sys/module/zswap/parameters/enabled"), "N");
		if (round < 2)
			assert_true(access(orig, F_OK) != 0);
		act_originals_free(o);
	}
}

static void test_bad_options(void **state)
{
	struct fx *f = *state;
	struct act_swap_opts o = {.path = "relative", .size_bytes = 1 << 20};
	int err = 0;
	assert_null(act_swap_new(&o, &err));
	assert_int_equal(err, -EINVAL);
	o.path = f->file;
	o.size_bytes = 4096;
	assert_null(act_swap_new(&o, &err));
	o.size_bytes = 1 << 20;
	o.priority = 40000;
	assert_null(act_swap_new(&o, &err));
	o.priority = -2;
	assert_null(act_swap_new(&o, &err));
	o.priority = -1;
	struct act_swap *s = act_swap_new(&o, &err);
	assert_non_null(s);
	act_swap_free(s);
	assert_int_equal(act_swap_is_ours("/nonexistent/x"), -ENOENT);
}

/* Real swapon on this host: opt-in, root only. */
static void test_real_swap(void **state)
{
	(void)state;
	if (!getenv("BLIMP_TEST_REAL_SWAP") || geteuid() != 0) {
		skip();
		return;
	}
	struct act_swap_opts o = {.path = "/var/tmp/blimp-test-swapfile",
				  .size_bytes = 256ULL << 20,
				  .priority = 7,
				  .zswap = true};
	int err;
	struct act_swap *s = act_swap_new(&o, &err);
	assert_non_null(s);
	char msg[1024];
	int r = act_swap_enable(s, msg, sizeof(msg));
	print_message("enable: %d %s\n", r, msg);
	assert_int_equal(r, 0);
	FILE *p = fopen("/proc/swaps", "r");
	assert_non_null(p);
	char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf) - 1, p);
	fclose(p);
	buf[n] = '\0';
	print_message("%s", buf);
	assert_non_null(strstr(buf, "/var/tmp/blimp-test-swapfile"));
	r = act_swap_restore(s, msg, sizeof(msg));
	print_message("restore: %d %s\n", r, msg);
	assert_int_equal(r, 0);
	assert_int_equal(access("/var/tmp/blimp-test-swapfile", F_OK), -1);
	act_swap_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_enable_restore, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_file_untouched, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_leftover_adopted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_swapon_einval_rewrites, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_leftover_on_in_another_namespace, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_zswap_and_replaced_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crash_leftover, setup, teardown),
	    cmocka_unit_test(test_real_swap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
