/* act/cgroup on fake /proc and cgroupfs trees (v1 and v2): dedicated cgroups,
 * created blimp/NAME cgroups, identity tracking, dry-run, restore, hostile input,
 * and the OOM safety: oom_kill_disable set and restored, the limit written as asked
 * (the step-down is the policy's), a cgroup stuck at its limit rescued at once and
 * the rescue reported (act_cgroup_observe). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>

#include "fx_state.h"
#include "act/cgroup.h"
#include "act/cgroup_fs.h"

#define V1_UNLIMITED "9223372036854771712"

struct fx {
	char *root;
	char proc[4200];
	char cg[4200];
	int version;
	int mkdirs;
	int under_oom; /* what the fake kernel shows in memory.oom_control */
	int oom_kills;
};
FX_STATE_ROOT_FIRST(struct fx);

/* What the kernel puts in a new cgroup directory. */
static int fake_mkdir(const char *dir, void *arg)
{
	struct fx *f = arg;
	f->mkdirs++;
	if (f->version == 1) {
		if (fx_write(dir, "cgroup.procs", "") || fx_write(dir, "tasks", "") ||
		    fx_write(dir, "memory.limit_in_bytes", V1_UNLIMITED "\n") ||
		    fx_write(dir, "memory.swappiness", "60\n") ||
		    fx_write(dir, "memory.usage_in_bytes", "0\n") ||
		    fx_write(dir, "memory.failcnt", "0\n") ||
		    fx_write(dir, "memory.oom_control",
			     "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"))
			return -EIO;
	} else {
		if (fx_write(dir, "cgroup.procs", "") || fx_write(dir, "memory.high", "max\n") ||
		    fx_write(dir, "memory.current", "0\n") ||
		    fx_write(dir, "memory.swap.max", "max\n") ||
		    fx_write(dir, "cgroup.subtree_control", "\n") ||
		    fx_write(dir, "cgroup.type", "domain\n"))
			return -EIO;
	}
	return 0;
}

/* rmdir of a cgroup: control files go with it; child cgroups make it ENOTEMPTY. */
static int fake_rmdir(const char *dir, void *arg)
{
	(void)arg;
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	struct dirent *de;
	char p[8192];
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (de->d_type == DT_DIR) {
			closedir(d);
			return -ENOTEMPTY;
		}
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	return rmdir(dir) < 0 ? -errno : 0;
}

/* The kernel's side of memory.oom_control: it takes "0" or "1" and shows three
 * lines. Rewrites every such file under dir that blimp wrote as the kernel would. */
static void fx_kernel_oom(struct fx *f, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		char p[8192];
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (de->d_type == DT_DIR) {
			fx_kernel_oom(f, p);
			continue;
		}
		if (strcmp(de->d_name, "memory.oom_control") != 0)
			continue;
		const char *v = fx_read(dir, "memory.oom_control");
		int flag = strcmp(v, "1") == 0	 ? 1
			   : strcmp(v, "0") == 0 ? 0
			   : strstr(v, "oom_kill_disable 1") != NULL;
		char text[128];
		snprintf(text, sizeof(text), "oom_kill_disable %d\nunder_oom %d\noom_kill %d\n",
			 flag, f->under_oom, f->oom_kills);
		assert_int_equal(fx_write(dir, "memory.oom_control", text), 0);
	}
	closedir(d);
}

/* act_cgroup_apply, then the fake kernel catches up. */
static int fx_apply(struct fx *f, struct act_cgroup *a, const char *name, pid_t pid,
		    uint64_t limit, char *msg, size_t len)
{
	fx_kernel_oom(f, f->cg);
	int r = act_cgroup_apply(a, name, pid, limit, msg, len);
	fx_kernel_oom(f, f->cg);
	return r;
}

static void fx_proc(struct fx *f, int pid, const char *cgline, const char *start)
{
	char rel[256], text[512];
	snprintf(rel, sizeof(rel), "proc/%d/cgroup", pid);
	assert_int_equal(fx_write(f->root, rel, cgline), 0);
	snprintf(rel, sizeof(rel), "proc/%d/stat", pid);
	snprintf(text, sizeof(text),
		 "%d (qemu-system-x86 (x)) S 1 %d %d 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 3 0 %s "
		 "100 1 18446744073709551615\n",
		 pid, pid, pid, start);
	assert_int_equal(fx_write(f->root, rel, text), 0);
	snprintf(rel, sizeof(rel), "proc/%d/task/%d/children", pid, pid);
	assert_int_equal(fx_write(f->root, rel, ""), 0);
	snprintf(rel, sizeof(rel), "proc/%d/task/%d/stat", pid, pid + 1);
	assert_int_equal(fx_write(f->root, rel, "x"), 0);
}

/* A cgroup that was there before blimp (not counted in mkdirs), holding procs; its
 * absolute path in abs. */
static void fx_cgroup(struct fx *f, int version, const char *rel, const char *procs, char *abs,
		      size_t len)
{
	char dir[8192];
	snprintf(dir, sizeof(dir), "cg/%s", rel);
	assert_int_equal(fx_mkdirs(f->root, dir), 0);
	snprintf(abs, len, "%s/%s", f->root, dir);
	f->version = version;
	assert_int_equal(fake_mkdir(abs, f), 0);
	f->mkdirs--;
	assert_int_equal(fx_write(abs, "cgroup.procs", procs), 0);
}

static void fx_cgroup_v1(struct fx *f, const char *rel, const char *procs)
{
	char abs[8192];
	fx_cgroup(f, 1, rel, procs, abs, sizeof(abs));
	assert_int_equal(fx_write(abs, "memory.usage_in_bytes", "536870912\n"), 0);
}

static void fx_cgroup_v2(struct fx *f, const char *rel, const char *procs, const char *type)
{
	char abs[8192];
	fx_cgroup(f, 2, rel, procs, abs, sizeof(abs));
	assert_int_equal(fx_write(abs, "cgroup.type", type), 0);
}

/* vm1's QEMU (pid 100) in the memory cgroup libvirt made for it (v1). */
static void fx_vm1_v1(struct fx *f)
{
	fx_cgroup_v1(f, "machine/qemu-1-vm1.libvirt-qemu", "100\n");
	fx_proc(f, 100, "4:memory:/machine/qemu-1-vm1.libvirt-qemu\n", "5000");
}

static int setup(void **state)
{
	struct fx *f = fx_state_new(sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->proc, sizeof(f->proc), "%s/proc", f->root);
	snprintf(f->cg, sizeof(f->cg), "%s/cg", f->root);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	return fx_state_free(state);
}

/* An act_cgroup on the fake tree; rescue_step_bytes 0: the default rescue headroom. */
static struct act_cgroup *fx_new_step(struct fx *f, int version, bool dry, uint64_t step)
{
	struct act_cgroup_opts o = {
	    .proc_root = f->proc,
	    .cgroup_root = f->cg,
	    .version = version,
	    .dry_run = dry,
	    .rescue_step_bytes = step,
	    .on_mkdir = fake_mkdir,
	    .rmdir = fake_rmdir,
	    .hook_arg = f,
	};
	f->version = version;
	int err = 1;
	struct act_cgroup *a = act_cgroup_new(&o, &err);
	assert_non_null(a);
	assert_int_equal(err, 0);
	return a;
}

static struct act_cgroup *fx_new(struct fx *f, int version, bool dry)
{
	return fx_new_step(f, version, dry, 0);
}

#define VMDIR "cg/machine/qemu-1-vm1.libvirt-qemu/"

static void test_v1_dedicated(void **state)
{
	struct fx *f = *state;
	fx_cgroup_v1(f, "machine/qemu-1-vm1.libvirt-qemu", "100\n");
	fx_proc(f, 100, "4:memory:/machine/qemu-1-vm1.libvirt-qemu\n3:cpu:/\n", "5000");
	struct act_cgroup *a = fx_new(f, 1, false);
	char msg[1024], dir[4300];

	assert_int_equal(fx_apply(f, a, "vm1", 100, 1000 * 1000 * 1000, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, VMDIR "memory.limit_in_bytes"), "1000001536");
	assert_string_equal(fx_read(f->root, VMDIR "memory.swappiness"), "100");
	assert_non_null(strstr(msg, "memory.limit_in_bytes " V1_UNLIMITED "->1000001536"));
	assert_int_equal(f->mkdirs, 0); /* libvirt's own cgroup: nothing created */
	assert_int_equal(act_cgroup_dir(a, "vm1", dir, sizeof(dir)), 0);
	assert_non_null(strstr(dir, "/cg/machine/qemu-1-vm1.libvirt-qemu"));

	/* Same limit: no write. */
	assert_int_equal(fx_write(f->root, VMDIR "memory.limit_in_bytes", "123\n"), 0);
	assert_int_equal(fx_apply(f, a, "vm1", 100, 1000 * 1000 * 1000, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	assert_string_equal(fx_read(f->root, VMDIR "memory.limit_in_bytes"), "123");

	/* Limit removed: originals back. */
	assert_int_equal(fx_apply(f, a, "vm1", 100, 0, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, VMDIR "memory.limit_in_bytes"), V1_UNLIMITED);
	assert_string_equal(fx_read(f->root, VMDIR "memory.swappiness"), "60");

	assert_int_equal(fx_apply(f, a, "vm1", 100, 2ULL << 30, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, VMDIR "memory.limit_in_bytes"), "2147483648");
	assert_int_equal(act_cgroup_restore(a, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, VMDIR "memory.limit_in_bytes"), V1_UNLIMITED);
	assert_string_equal(fx_read(f->root, VMDIR "memory.swappiness"), "60");
	assert_true(fx_exists(f->root, VMDIR)); /* not blimp's: never removed */
	assert_int_equal(act_cgroup_dir(a, "vm1", dir, sizeof(dir)), -ENOENT);
	act_cgroup_free(a);
}

static void test_v1_shared_creates_own(void **state)
{
	struct fx *f = *state;
	fx_cgroup_v1(f, "process_api/abc", "100\n200\n");
	fx_proc(f, 100, "4:memory:/process_api/abc\n0::/\n", "5000");
	struct act_cgroup *a = fx_new(f, 1, false);
	char msg[2048];

	/* No limit yet: nothing is created or moved. */
	assert_int_equal(fx_apply(f, a, "vm1", 100, 0, msg, sizeof(msg)), 0);
	assert_false(fx_exists(f->root, "cg/process_api/abc/blimp"));

	assert_int_equal(fx_apply(f, a, "vm1", 100, 256ULL << 20, msg, sizeof(msg)), 0);
	assert_int_equal(f->mkdirs, 2);
	assert_string_equal(fx_read(f->root, "cg/process_api/abc/blimp/vm1/cgroup.procs"), "100");
	/* Each thread was written to tasks (the fake keeps only the last one). */
	const char *t = fx_read(f->root, "cg/process_api/abc/blimp/vm1/tasks");
	assert_true(strcmp(t, "100") == 0 || strcmp(t, "101") == 0);
	assert_string_equal(fx_read(f->root, "cg/process_api/abc/blimp/vm1/memory.limit_in_bytes"),
			    "268435456");
	assert_string_equal(fx_read(f->root, "cg/process_api/abc/blimp/vm1/memory.swappiness"),
			    "100");
	assert_non_null(strstr(msg, "created"));
	/* The shared cgroup itself is never limited. */
	assert_string_equal(fx_read(f->root, "cg/process_api/abc/memory.limit_in_bytes"),
			    V1_UNLIMITED);

	/* A second VM in the same shared cgroup shares blimp/. */
	fx_proc(f, 300, "4:memory:/process_api/abc\n", "6000");
	assert_int_equal(fx_write(f->root, "cg/process_api/abc/cgroup.procs", "200\n300\n"), 0);
	assert_int_equal(fx_apply(f, a, "vm2", 300, 128ULL << 20, msg, sizeof(msg)), 0);
	assert_int_equal(f->mkdirs, 3);

	/* vm1 stops: moved back, its cgroup removed, blimp/ stays for vm2. */
	assert_int_equal(fx_write(f->root, "cg/process_api/abc/cgroup.procs", "200\n"), 0);
	assert_int_equal(act_cgroup_release(a, "vm1", msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, "cg/process_api/abc/cgroup.procs"), "100");
	assert_false(fx_exists(f->root, "cg/process_api/abc/blimp/vm1"));
	assert_true(fx_exists(f->root, "cg/process_api/abc/blimp"));

	/* Exit: everything blimp made is gone. */
	assert_int_equal(act_cgroup_restore(a, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, "cg/process_api/abc/cgroup.procs"), "300");
	assert_false(fx_exists(f->root, "cg/process_api/abc/blimp"));
	act_cgroup_free(a);
}

static void test_v1_root_cgroup(void **state)
{
	struct fx *f = *state;
	fx_cgroup_v1(f, "", "1\n100\n");
	fx_proc(f, 100, "4:memory:/\n", "5000");
	struct act_cgroup *a = fx_new(f, 1, false);
	char msg[1024];
	assert_int_equal(fx_apply(f, a, "vm1", 100, 64ULL << 20, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, "cg/blimp/vm1/memory.limit_in_bytes"), "67108864");
	assert_string_equal(fx_read(f->root, "cg/memory.limit_in_bytes"), V1_UNLIMITED);
	assert_int_equal(act_cgroup_restore(a, msg, sizeof(msg)), 0);
	assert_false(fx_exists(f->root, "cg/blimp"));
	assert_string_equal(fx_read(f->root, "cg/cgroup.procs"), "100");
	act_cgroup_free(a);
}

static void test_identity(void **state)
{
	struct fx *f = *state;
	fx_vm1_v1(f);
	struct act_cgroup *a = fx_new(f, 1, false);
	char msg[2048];
	assert_int_equal(fx_apply(f, a, "vm1", 100, 1ULL << 30, msg, sizeof(msg)), 0);

	/* libvirt recreated the cgroup (VM restarted under the same PID by chance, or
	 * the cgroup was remade): a new inode means a new object, write again. */
	char cmd[8400];
	snprintf(cmd, sizeof(cmd), "mv '%s/" VMDIR "' '%s/old'", f->root, f->root);
	assert_int_equal(system(cmd), 0);
	fx_cgroup_v1(f, "machine/qemu-1-vm1.libvirt-qemu",
		     "100\n"); /* new inode: kernfs ids are never reused */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/old'", f->root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(fx_apply(f, a, "vm1", 100, 1ULL << 30, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "recreated"));
	assert_string_equal(fx_read(f->root, VMDIR "memory.limit_in_bytes"), "1073741824");

	/* The VM restarted: same name, new QEMU (PID reused, other start time), now in
	 * a new libvirt cgroup. The old one is restored first. */
	fx_cgroup_v1(f, "machine/qemu-2-vm1.libvirt-qemu", "100\n");
	fx_proc(f, 100, "4:memory:/machine/qemu-2-vm1.libvirt-qemu\n", "9999");
	assert_int_equal(fx_apply(f, a, "vm1", 100, 1ULL << 30, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "restarted"));
	assert_string_equal(fx_read(f->root, VMDIR "memory.limit_in_bytes"), V1_UNLIMITED);
	assert_string_equal(
	    fx_read(f->root, "cg/machine/qemu-2-vm1.libvirt-qemu/memory.limit_in_bytes"),
	    "1073741824");
	assert_int_equal(act_cgroup_restore(a, msg, sizeof(msg)), 0);
	assert_string_equal(
	    fx_read(f->root, "cg/machine/qemu-2-vm1.libvirt-qemu/memory.limit_in_bytes"),
	    V1_UNLIMITED);
	act_cgroup_free(a);
}

static void test_leftover_from_crash(void **state)
{
	struct fx *f = *state;
	/* An earlier blimpd died leaving QEMU in shared/blimp/vm1. */
	fx_cgroup_v1(f, "shared", "200\n");
	fx_cgroup_v1(f, "shared/blimp", "");
	fx_cgroup_v1(f, "shared/blimp/vm1", "100\n");
	fx_proc(f, 100, "4:memory:/shared/blimp/vm1\n", "5000");
	struct act_cgroup *a = fx_new(f, 1, false);
	char msg[1024];
	assert_int_equal(fx_apply(f, a, "vm1", 100, 1ULL << 30, msg, sizeof(msg)), 0);
	assert_int_equal(f->mkdirs, 0);
	assert_string_equal(fx_read(f->root, "cg/shared/blimp/vm1/memory.limit_in_bytes"),
			    "1073741824");
	assert_int_equal(act_cgroup_restore(a, msg, sizeof(msg)), 0);
	assert_false(fx_exists(f->root, "cg/shared/blimp/vm1"));
	assert_string_equal(fx_read(f->root, "cg/shared/cgroup.procs"), "100");
	act_cgroup_free(a);
}

static void test_dry_run(void **state)
{
	struct fx *f = *state;
	fx_cgroup_v1(f, "shared", "100\n200\n");
	fx_cgroup_v1(f, "machine/qemu-1-vm2.libvirt-qemu", "300\n");
	fx_proc(f, 100, "4:memory:/shared\n", "5000");
	fx_proc(f, 300, "4:memory:/machine/qemu-1-vm2.libvirt-qemu\n", "5000");
	struct act_cgroup *a = fx_new(f, 1, true);
	char msg[1024];
	assert_int_equal(fx_apply(f, a, "vm1", 100, 1ULL << 30, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "would create"));
	assert_non_null(strstr(msg, "would set memory.limit_in_bytes=1073741824"));
	assert_false(fx_exists(f->root, "cg/shared/blimp"));
	assert_string_equal(fx_read(f->root, "cg/shared/cgroup.procs"), "100\n200");

	assert_int_equal(fx_apply(f, a, "vm2", 300, 1ULL << 30, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "would set memory.limit_in_bytes " V1_UNLIMITED));
	assert_string_equal(
	    fx_read(f->root, "cg/machine/qemu-1-vm2.libvirt-qemu/memory.limit_in_bytes"),
	    V1_UNLIMITED);
	assert_int_equal(act_cgroup_restore(a, msg, sizeof(msg)), 0);
	assert_int_equal(f->mkdirs, 0);
	act_cgroup_free(a);
}

static void test_v2(void **state)
{
	struct fx *f = *state;
	/* libvirt v2 layout: threads in a threaded emulator/ child of the domain. */
	fx_cgroup_v2(f, "", "1\n", "domain\n");
	assert_int_equal(fx_write(f->root, "cg/cgroup.subtree_control", "cpu\n"), 0);
	fx_cgroup_v2(f, "machine.slice/vm1.scope", "100\n", "domain threaded\n");
	fx_cgroup_v2(f, "machine.slice/vm1.scope/emulator", "100\n", "threaded\n");
	fx_proc(f, 100, "0::/machine.slice/vm1.scope/emulator\n", "5000");
	struct act_cgroup *a = fx_new(f, 2, false);
	char msg[2048];
	assert_int_equal(fx_apply(f, a, "vm1", 100, 512ULL << 20, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, "cg/machine.slice/vm1.scope/memory.high"),
			    "536870912");
	assert_string_equal(fx_read(f->root, "cg/machine.slice/vm1.scope/emulator/memory.high"),
			    "max");
	/* swap.max is left alone. */
	assert_string_equal(fx_read(f->root, "cg/machine.slice/vm1.scope/memory.swap.max"), "max");

	/* A shared cgroup: blimp/vm2 with +memory delegated down to it. */
	fx_cgroup_v2(f, "user", "300\n301\n", "domain\n");
	fx_proc(f, 300, "0::/user\n", "7000");
	assert_int_equal(fx_write(f->root, "cg/user/memory.swap.max", "0\n"), 0);
	assert_int_equal(fx_apply(f, a, "vm2", 300, 256ULL << 20, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, "cg/cgroup.subtree_control"), "+memory");
	assert_string_equal(fx_read(f->root, "cg/user/cgroup.subtree_control"), "+memory");
	assert_string_equal(fx_read(f->root, "cg/user/blimp/cgroup.subtree_control"), "+memory");
	assert_string_equal(fx_read(f->root, "cg/user/blimp/vm2/cgroup.procs"), "300");
	assert_string_equal(fx_read(f->root, "cg/user/blimp/vm2/memory.high"), "268435456");

	assert_int_equal(act_cgroup_restore(a, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, "cg/machine.slice/vm1.scope/memory.high"), "max");
	assert_false(fx_exists(f->root, "cg/user/blimp"));
	assert_string_equal(fx_read(f->root, "cg/user/cgroup.procs"), "300");
	assert_string_equal(fx_read(f->root, "cg/cgroup.subtree_control"), "-memory");
	assert_string_equal(fx_read(f->root, "cg/user/cgroup.subtree_control"), "-memory");
	act_cgroup_free(a);
}

static void test_hostile(void **state)
{
	struct fx *f = *state;
	fx_cgroup_v1(f, "machine/vm", "100\n");
	struct act_cgroup *a = fx_new(f, 1, false);
	char msg[1024];
	assert_int_equal(fx_apply(f, a, "../etc", 100, 1, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(fx_apply(f, a, "a/b", 100, 1, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(fx_apply(f, a, "", 100, 1, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(fx_apply(f, a, "vm", 0, 1, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(fx_apply(f, a, "vm", 4242, 1ULL << 30, msg, sizeof(msg)), -ESRCH);

	/* Garbage /proc/PID/cgroup and a path escaping with "..". */
	fx_proc(f, 100, "garbage\n", "5000");
	assert_int_equal(fx_apply(f, a, "vm", 100, 1ULL << 30, msg, sizeof(msg)), -EINVAL);
	fx_proc(f, 100, "4:memory:/machine/../../etc\n", "5000");
	assert_int_equal(fx_apply(f, a, "vm", 100, 1ULL << 30, msg, sizeof(msg)), -EINVAL);
	/* No memory line at all. */
	fx_proc(f, 100, "3:cpu:/\n", "5000");
	assert_int_equal(fx_apply(f, a, "vm", 100, 1ULL << 30, msg, sizeof(msg)), -ENOENT);
	/* Garbage in cgroup.procs. */
	fx_proc(f, 100, "4:memory:/machine/vm\n", "5000");
	assert_int_equal(fx_write(f->root, "cg/machine/vm/cgroup.procs", "100\nxyz\n"), 0);
	assert_int_equal(fx_apply(f, a, "vm", 100, 1ULL << 30, msg, sizeof(msg)), -EINVAL);
	/* Garbage stat. */
	assert_int_equal(fx_write(f->root, "proc/100/stat", "100 (q) S 1\n"), 0);
	assert_int_equal(fx_apply(f, a, "vm", 100, 1ULL << 30, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(fx_read(f->root, "cg/machine/vm/memory.limit_in_bytes"), V1_UNLIMITED);
	assert_int_equal(act_cgroup_restore(a, msg, sizeof(msg)), 0);
	act_cgroup_free(a);

	struct act_cgroup_opts o = {.proc_root = f->proc, .cgroup_root = f->cg, .version = 3};
	int err = 0;
	assert_null(act_cgroup_new(&o, &err));
	assert_int_equal(err, -EINVAL);
}

static void test_detect(void **state)
{
	struct fx *f = *state;
	char mount[4096], mroot[4096], text[9000];
	int version = 0;
	assert_int_equal(
	    fx_write(f->root, "proc/self/mountinfo",
		     "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
		     "34 31 0:31 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n"
		     "35 31 0:32 / /sys/fs/cgroup/mem\\040ory rw,relatime - cgroup "
		     "cgroup rw,memory\n"),
	    0);
	assert_int_equal(
	    act_cgroup_fs_detect(f->proc, mount, sizeof(mount), mroot, sizeof(mroot), &version), 0);
	assert_int_equal(version, 1);
	assert_string_equal(mount, "/sys/fs/cgroup/mem ory");
	assert_string_equal(mroot, "/");

	/* v2 only: the mount must list memory in cgroup.controllers. */
	fx_cgroup_v2(f, "", "", "domain\n");
	assert_int_equal(fx_write(f->root, "cg/cgroup.controllers", "cpuset cpu io memory pids\n"),
			 0);
	snprintf(text, sizeof(text),
		 "41 31 0:38 / %s/none rw - cgroup2 cgroup2 rw\n"
		 "42 31 0:39 /sub %s rw - cgroup2 cgroup2 rw,nsdelegate\n",
		 f->root, f->cg);
	assert_int_equal(fx_write(f->root, "proc/self/mountinfo", text), 0);
	assert_int_equal(
	    act_cgroup_fs_detect(f->proc, mount, sizeof(mount), mroot, sizeof(mroot), &version), 0);
	assert_int_equal(version, 2);
	assert_string_equal(mount, f->cg);
	assert_string_equal(mroot, "/sub");

	assert_int_equal(fx_write(f->root, "proc/self/mountinfo", "garbage\n\n- - -\n"), 0);
	assert_int_equal(
	    act_cgroup_fs_detect(f->proc, mount, sizeof(mount), mroot, sizeof(mroot), &version),
	    -ENOENT);
}

static void test_mount_root(void **state)
{
	struct fx *f = *state;
	/* A container sees hierarchy /lxc/c1 mounted as its cgroup root. */
	fx_cgroup_v1(f, "machine/vm", "100\n");
	fx_proc(f, 100, "4:memory:/lxc/c1/machine/vm\n", "5000");
	struct act_cgroup_opts o = {.proc_root = f->proc,
				    .cgroup_root = f->cg,
				    .cgroup_mount_root = "/lxc/c1",
				    .version = 1};
	int err;
	struct act_cgroup *a = act_cgroup_new(&o, &err);
	assert_non_null(a);
	char msg[1024];
	assert_int_equal(fx_apply(f, a, "vm", 100, 1ULL << 30, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, "cg/machine/vm/memory.limit_in_bytes"), "1073741824");
	fx_proc(f, 200, "4:memory:/lxc/c2/x\n", "5000");
	assert_int_equal(fx_apply(f, a, "vm2", 200, 1ULL << 30, msg, sizeof(msg)), -ENOENT);
	assert_int_equal(act_cgroup_restore(a, msg, sizeof(msg)), 0);
	act_cgroup_free(a);
}

/* under_oom is trusted only while usage is at the limit; a flag left over from before
 * a raise (usage now far below) is stale. */
static void test_v1_stuck(void **state)
{
	(void)state;
	const uint64_t M = 1ULL << 20, S = 64 * M;
	assert_false(act_cgroup_v1_stuck(false, true, 400 * M, 400 * M, S));
	assert_true(act_cgroup_v1_stuck(true, true, 400 * M, 400 * M, S));
	assert_true(act_cgroup_v1_stuck(true, true, 600 * M, 536 * M, S)); /* over it */
	assert_true(act_cgroup_v1_stuck(true, true, 398 * M, 400 * M, S)); /* a huge page short */
	assert_true(act_cgroup_v1_stuck(true, true, 368 * M, 400 * M, S)); /* half a step */
	assert_false(act_cgroup_v1_stuck(true, true, 367 * M, 400 * M, S));
	assert_false(act_cgroup_v1_stuck(true, true, 400 * M, 464 * M, S)); /* just raised */
	/* A small step still allows the slack of one huge page and more. */
	assert_true(act_cgroup_v1_stuck(true, true, 392 * M, 400 * M, 4 * M));
	assert_false(act_cgroup_v1_stuck(true, true, 391 * M, 400 * M, 4 * M));
	/* Nothing to compare with: the flag decides. */
	assert_true(act_cgroup_v1_stuck(true, false, 0, 400 * M, S));
	assert_true(act_cgroup_v1_stuck(true, true, 100 * M, UINT64_MAX, S));
}

static void test_oom_parse(void **state)
{
	(void)state;
	struct act_cgroup_oom o;
	assert_int_equal(act_cgroup_fs_oom_parse("oom_kill_disable 1\nunder_oom 1\noom_kill 7\n", &o),
			 0);
	assert_true(o.kill_disable && o.under_oom && o.have_kills);
	assert_int_equal(o.kills, 7);
	assert_int_equal(act_cgroup_fs_oom_parse("oom_kill_disable 0\nunder_oom 0", &o), 0);
	assert_false(o.kill_disable || o.under_oom || o.have_kills);
	const char *bad[] = {"", "1", "0", "oom_kill_disable 1", "under_oom 0\noom_kill 0",
			     "oom_kill_disable 2\nunder_oom 0", "oom_kill_disable x\nunder_oom 0",
			     "oom_kill_disable 0\nunder_oom -1", "oom_kill_disable 0\nunder_oom 0\n"
			     "oom_kill 99999999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(act_cgroup_fs_oom_parse(bad[i], &o), -EINVAL);
}

static uint64_t fx_u64(struct fx *f, const char *rel)
{
	return strtoull(fx_read(f->root, rel), NULL, 10);
}

/* fx_u64 while the watcher thread may be writing the file: the fake file is
 * truncated, then written (a real cgroup file changes at once), so a read can land
 * in between and see nothing. Read until the same non-empty text comes twice. */
static uint64_t fx_u64_settled(struct fx *f, const char *rel)
{
	char last[64] = "";
	for (int i = 0; i < 1000; i++) {
		const char *v = fx_read(f->root, rel);
		if (v[0] && strcmp(v, last) == 0)
			break;
		snprintf(last, sizeof(last), "%s", v);
		usleep(1000);
	}
	return strtoull(last, NULL, 10);
}

static void fx_set_u64(struct fx *f, const char *rel, uint64_t v)
{
	char t[32];
	snprintf(t, sizeof(t), "%" PRIu64 "\n", v);
	assert_int_equal(fx_write(f->root, rel, t), 0);
}

/* v1: oom_kill_disable on before the first limit, back after the last; no limit
 * when it cannot be set; an admin's own 1 is left as it was. */
static void test_v1_oom_guard(void **state)
{
	struct fx *f = *state;
	fx_vm1_v1(f);
	struct act_cgroup *a = fx_new(f, 1, false);
	char msg[2048];
	assert_int_equal(fx_apply(f, a, "vm1", 100, 1ULL << 30, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "oom_kill_disable 0->1"));
	/* the guard comes before the limit in the message, as in the writes */
	assert_true(strstr(msg, "oom_kill_disable") < strstr(msg, "memory.limit_in_bytes"));
	assert_non_null(strstr(fx_read(f->root, VMDIR "memory.oom_control"), "oom_kill_disable 1"));
	assert_string_equal(fx_read(f->root, VMDIR "memory.limit_in_bytes"), "1073741824");
	/* No limit: the limit first, then the guard. */
	assert_int_equal(act_cgroup_apply(a, "vm1", 100, 0, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, VMDIR "memory.limit_in_bytes"), V1_UNLIMITED);
	assert_string_equal(fx_read(f->root, VMDIR "memory.oom_control"), "0");
	assert_true(strstr(msg, "memory.limit_in_bytes restored") <
		    strstr(msg, "memory.oom_control restored to 0"));
	/* Again, then blimpd exits: both back. */
	assert_int_equal(fx_apply(f, a, "vm1", 100, 1ULL << 30, msg, sizeof(msg)), 0);
	assert_non_null(strstr(fx_read(f->root, VMDIR "memory.oom_control"), "oom_kill_disable 1"));
	assert_int_equal(act_cgroup_restore(a, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, VMDIR "memory.oom_control"), "0");
	assert_string_equal(fx_read(f->root, VMDIR "memory.limit_in_bytes"), V1_UNLIMITED);
	act_cgroup_free(a);

	/* The guard cannot be read or written (here: not a file): no limit at all. */
	a = fx_new(f, 1, false);
	char p[8400];
	snprintf(p, sizeof(p), "%s/" VMDIR "memory.oom_control", f->root);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_true(act_cgroup_apply(a, "vm1", 100, 1ULL << 30, msg, sizeof(msg)) < 0);
	assert_non_null(strstr(msg, "no limit without oom_kill_disable"));
	assert_string_equal(fx_read(f->root, VMDIR "memory.limit_in_bytes"), V1_UNLIMITED);
	assert_int_equal(rmdir(p), 0);
	/* Garbage in it: the same. */
	assert_int_equal(fx_write(f->root, VMDIR "memory.oom_control", "garbage\n"), 0);
	assert_true(act_cgroup_apply(a, "vm1", 100, 1ULL << 30, msg, sizeof(msg)) < 0);
	assert_string_equal(fx_read(f->root, VMDIR "memory.limit_in_bytes"), V1_UNLIMITED);
	assert_int_equal(act_cgroup_restore(a, msg, sizeof(msg)), 0);
	act_cgroup_free(a);

	/* An admin's oom_kill_disable 1 is kept, and never "restored" to 0. */
	assert_int_equal(fx_write(f->root, VMDIR "memory.oom_control",
				  "oom_kill_disable 1\nunder_oom 0\noom_kill 0\n"),
			 0);
	a = fx_new(f, 1, false);
	assert_int_equal(fx_apply(f, a, "vm1", 100, 1ULL << 30, msg, sizeof(msg)), 0);
	assert_null(strstr(msg, "oom_kill_disable 0->1"));
	assert_int_equal(act_cgroup_restore(a, msg, sizeof(msg)), 0);
	assert_non_null(strstr(fx_read(f->root, VMDIR "memory.oom_control"), "oom_kill_disable 1"));
	assert_string_equal(fx_read(f->root, VMDIR "memory.limit_in_bytes"), V1_UNLIMITED);
	act_cgroup_free(a);
}

/* The actuator writes the limit it is asked for, lower or higher, in one go: how
 * fast a limit falls is the policy's (policy_actions, test_policy_actions.c). */
static void test_writes_as_asked(void **state)
{
	struct fx *f = *state;
	const uint64_t M = 1ULL << 20;
	fx_vm1_v1(f);
	fx_set_u64(f, VMDIR "memory.usage_in_bytes", 2048 * M);
	struct act_cgroup *a = fx_new(f, 1, false);
	char msg[2048];
	struct act_cgroup_seen s;
	assert_int_equal(act_cgroup_observe(a, "vm1", 100, &s), 0);
	assert_false(s.tracked);
	assert_int_equal(s.limit_bytes, UINT64_MAX);
	assert_int_equal(fx_apply(f, a, "vm1", 100, 1984 * M, msg, sizeof(msg)), 0);
	assert_int_equal(fx_u64(f, VMDIR "memory.limit_in_bytes"), 1984 * M);
	assert_int_equal(fx_apply(f, a, "vm1", 100, 512 * M + 1, msg, sizeof(msg)), 0);
	assert_int_equal(fx_u64(f, VMDIR "memory.limit_in_bytes"), 512 * M + 4096);
	assert_int_equal(fx_apply(f, a, "vm1", 100, 1536 * M, msg, sizeof(msg)), 0);
	assert_int_equal(fx_u64(f, VMDIR "memory.limit_in_bytes"), 1536 * M);
	/* What observe shows the policy: blimp's limit, the usage, no rescue. */
	assert_int_equal(act_cgroup_observe(a, "vm1", 100, &s), 0);
	assert_true(s.tracked);
	assert_false(s.leftover);
	assert_int_equal(s.limit_bytes, 1536 * M);
	assert_int_equal(s.usage_bytes, 2048 * M);
	assert_int_equal(s.rescues, 0);
	/* Another run of the VM (pid 101) is not the tracked one. */
	assert_int_equal(act_cgroup_observe(a, "vm1", 101, &s), 0);
	assert_false(s.tracked);
	assert_int_equal(act_cgroup_restore(a, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, VMDIR "memory.limit_in_bytes"), V1_UNLIMITED);
	act_cgroup_free(a);
}

/* v1: under_oom while limited -> the limit goes up at once (usage + a step), is held
 * there for the hold, and the rescue is counted. */
static void test_v1_under_oom_rescue(void **state)
{
	struct fx *f = *state;
	const uint64_t M = 1ULL << 20;
	fx_vm1_v1(f);
	fx_set_u64(f, VMDIR "memory.usage_in_bytes", 420 * M);
	struct act_cgroup *a = fx_new(f, 1, false);
	char msg[2048];
	struct act_cgroup_safety sf;
	assert_int_equal(fx_apply(f, a, "vm1", 100, 400 * M, msg, sizeof(msg)), 0);
	assert_int_equal(fx_u64(f, VMDIR "memory.limit_in_bytes"), 400 * M);
	/* Quiet ticks: no rescue. */
	fx_set_u64(f, VMDIR "memory.usage_in_bytes", 400 * M);
	fx_set_u64(f, VMDIR "memory.failcnt", 10);
	assert_int_equal(fx_apply(f, a, "vm1", 100, 400 * M, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	act_cgroup_safety_get(a, &sf);
	assert_int_equal(sf.rescues, 0);

	/* Swap ran out: the kernel stalls the cgroup at its limit. */
	f->under_oom = 1;
	fx_set_u64(f, VMDIR "memory.failcnt", 57);
	assert_int_equal(fx_apply(f, a, "vm1", 100, 400 * M, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "under_oom"));
	assert_non_null(strstr(msg, "failcnt +47"));
	assert_int_equal(fx_u64(f, VMDIR "memory.limit_in_bytes"), 464 * M);
	act_cgroup_safety_get(a, &sf);
	assert_int_equal(sf.rescues, 1);
	f->under_oom = 0;

	/* The rescue is reported to the policy, which holds the limit (policy/actions.c);
	 * until the caller has seen it, a lower limit (planned before it) is not written. */
	assert_int_equal(fx_apply(f, a, "vm1", 100, 400 * M, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "not lowered"));
	assert_int_equal(fx_u64(f, VMDIR "memory.limit_in_bytes"), 464 * M);
	struct act_cgroup_seen s;
	assert_int_equal(act_cgroup_observe(a, "vm1", 100, &s), 0);
	assert_int_equal(s.rescues, 1);
	assert_int_equal(s.rescue_bytes, 464 * M);
	assert_int_equal(s.limit_bytes, 464 * M);
	/* ... a higher one is, at once; once seen, a lower one too. */
	assert_int_equal(fx_apply(f, a, "vm1", 100, 600 * M, msg, sizeof(msg)), 0);
	assert_int_equal(fx_u64(f, VMDIR "memory.limit_in_bytes"), 600 * M);
	fx_set_u64(f, VMDIR "memory.usage_in_bytes", 600 * M);
	assert_int_equal(fx_apply(f, a, "vm1", 100, 536 * M, msg, sizeof(msg)), 0);
	assert_int_equal(fx_u64(f, VMDIR "memory.limit_in_bytes"), 536 * M);
	/* Stuck again: the second rescue of this cgroup. */
	f->under_oom = 1;
	assert_int_equal(fx_apply(f, a, "vm1", 100, 536 * M, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "#2 of this cgroup"));
	f->under_oom = 0;
	assert_true(fx_u64(f, VMDIR "memory.limit_in_bytes") > 536 * M);
	assert_int_equal(act_cgroup_observe(a, "vm1", 100, &s), 0);
	assert_int_equal(s.rescues, 2);
	fx_set_u64(f, VMDIR "memory.usage_in_bytes", 536 * M);
	assert_int_equal(fx_apply(f, a, "vm1", 100, 536 * M, msg, sizeof(msg)), 0);
	assert_int_equal(fx_u64(f, VMDIR "memory.limit_in_bytes"), 536 * M);

	/* The kernel killed in this cgroup anyway (guard cleared behind blimp's back):
	 * counted, and the guard is set again. */
	f->oom_kills = 1;
	assert_int_equal(fx_write(f->root, VMDIR "memory.oom_control",
				  "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n"),
			 0);
	assert_int_equal(act_cgroup_apply(a, "vm1", 100, 536 * M, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "1 OOM kill(s)"));
	assert_non_null(strstr(msg, "oom_kill_disable 0->1"));
	act_cgroup_safety_get(a, &sf);
	assert_int_equal(sf.oom_kills, 1);
	assert_int_equal(sf.rescues, 2);

	assert_int_equal(act_cgroup_restore(a, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, VMDIR "memory.limit_in_bytes"), V1_UNLIMITED);
	assert_string_equal(fx_read(f->root, VMDIR "memory.oom_control"), "0");
	act_cgroup_free(a);
}

/* v2: memory.high only (never memory.max); usage a step above it = reclaim cannot
 * keep up: raised at once. */
static void test_v2_rescue(void **state)
{
	struct fx *f = *state;
	const uint64_t M = 1ULL << 20;
	fx_cgroup_v2(f, "", "1\n", "domain\n");
	fx_cgroup_v2(f, "machine.slice/vm1.scope", "100\n", "domain\n");
	assert_int_equal(fx_write(f->root, "cg/machine.slice/vm1.scope/memory.max", "max\n"), 0);
	fx_proc(f, 100, "0::/machine.slice/vm1.scope\n", "5000");
	fx_set_u64(f, "cg/machine.slice/vm1.scope/memory.current", 500 * M);
	struct act_cgroup *a = fx_new_step(f, 2, false, 32 * M);
	char msg[2048];
	assert_int_equal(fx_apply(f, a, "vm1", 100, 468 * M, msg, sizeof(msg)), 0);
	assert_int_equal(fx_u64(f, "cg/machine.slice/vm1.scope/memory.high"), 468 * M);
	fx_set_u64(f, "cg/machine.slice/vm1.scope/memory.current", 480 * M); /* within a step */
	assert_int_equal(fx_apply(f, a, "vm1", 100, 436 * M, msg, sizeof(msg)), 0);
	assert_int_equal(fx_u64(f, "cg/machine.slice/vm1.scope/memory.high"), 436 * M);
	fx_set_u64(f, "cg/machine.slice/vm1.scope/memory.current", 700 * M); /* stuck */
	assert_int_equal(fx_apply(f, a, "vm1", 100, 404 * M, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "memory.high raised"));
	assert_int_equal(fx_u64(f, "cg/machine.slice/vm1.scope/memory.high"), 732 * M);
	struct act_cgroup_safety sf;
	act_cgroup_safety_get(a, &sf);
	assert_int_equal(sf.rescues, 1);
	assert_string_equal(fx_read(f->root, "cg/machine.slice/vm1.scope/memory.max"), "max");
	assert_false(fx_exists(f->root, "cg/machine.slice/vm1.scope/memory.oom_control"));
	assert_int_equal(act_cgroup_restore(a, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, "cg/machine.slice/vm1.scope/memory.high"), "max");
	act_cgroup_free(a);
}

/* The watcher thread rescues a stuck cgroup with no apply at all (blimpd's loop can
 * be blocked in libvirt by the very QEMU that is stuck), and only a stuck one. */
static void test_watcher(void **state)
{
	struct fx *f = *state;
	const uint64_t M = 1ULL << 20;
	fx_vm1_v1(f);
	fx_set_u64(f, VMDIR "memory.usage_in_bytes", 400 * M);
	struct act_cgroup_opts o = {.proc_root = f->proc,
				    .cgroup_root = f->cg,
				    .version = 1,
				    .watch_period_ms = 10};
	int err = 1;
	struct act_cgroup *a = act_cgroup_new(&o, &err);
	assert_non_null(a);
	char msg[2048];
	assert_int_equal(fx_apply(f, a, "vm1", 100, 400 * M, msg, sizeof(msg)), 0);
	assert_int_equal(fx_u64_settled(f, VMDIR "memory.limit_in_bytes"), 400 * M);
	struct act_cgroup_safety sf;
	usleep(100 * 1000); /* ten rounds, nothing stuck */
	act_cgroup_safety_get(a, &sf);
	assert_int_equal(sf.rescues, 0);
	assert_int_equal(fx_u64_settled(f, VMDIR "memory.limit_in_bytes"), 400 * M);

	f->under_oom = 1;
	fx_kernel_oom(f, f->cg);
	int waited_ms = 0;
	while (fx_u64_settled(f, VMDIR "memory.limit_in_bytes") == 400 * M && waited_ms < 5000) {
		usleep(5000);
		waited_ms += 5;
	}
	print_message("watcher rescued after ~%d ms\n", waited_ms);
	assert_int_equal(fx_u64_settled(f, VMDIR "memory.limit_in_bytes"), 464 * M);
	/* The kernel has not cleared under_oom yet: later rounds see the flag with usage
	 * 64 MiB under the new limit, stale, and do not raise again (before
	 * act_cgroup_v1_stuck they raised it to 528 MiB). */
	usleep(50 * 1000);
	assert_int_equal(fx_u64_settled(f, VMDIR "memory.limit_in_bytes"), 464 * M);
	f->under_oom = 0;
	fx_kernel_oom(f, f->cg);
	usleep(100 * 1000);
	act_cgroup_safety_get(a, &sf);
	assert_int_equal(sf.rescues, 1);
	/* A plan made before the watcher's rescue does not undo it; the rescue is
	 * reported to the policy, which holds the limit. */
	assert_int_equal(fx_apply(f, a, "vm1", 100, 400 * M, msg, sizeof(msg)), 0);
	assert_int_equal(fx_u64_settled(f, VMDIR "memory.limit_in_bytes"), 464 * M);
	struct act_cgroup_seen s;
	assert_int_equal(act_cgroup_observe(a, "vm1", 100, &s), 0);
	assert_int_equal(s.rescues, 1);
	assert_int_equal(s.rescue_bytes, 464 * M);
	assert_int_equal(act_cgroup_restore(a, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, VMDIR "memory.limit_in_bytes"), V1_UNLIMITED);
	act_cgroup_free(a); /* joins the thread */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_v1_dedicated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_v1_shared_creates_own, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_v1_root_cgroup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_leftover_from_crash, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_v2, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_detect, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mount_root, setup, teardown),
	    cmocka_unit_test(test_oom_parse),
	    cmocka_unit_test(test_v1_stuck),
	    cmocka_unit_test_setup_teardown(test_v1_oom_guard, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writes_as_asked, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_v1_under_oom_rescue, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_v2_rescue, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_watcher, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
