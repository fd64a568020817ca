/* act/cgroup on fake /proc and cgroupfs trees (v1 and v2): dedicated cgroups,
 * created blimp/NAME cgroups, identity tracking, dry-run, restore, hostile input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>

#include "../fixtures/act/fixture.h"
#include "act/cgroup.h"
#include "act/cgroup_fs.h"

#define V1_UNLIMITED "9223372036854771712"

struct fx {
	char *root;
	char proc[4200];
	char cg[4200];
	int version;
	int mkdirs;
};

/* What the kernel puts in a new cgroup directory. */
static int fake_mkdir(const char *dir, void *arg)
{
	struct fx *f = arg;
	f->mkdirs++;
	if (f->version == 1) {
		if (fx_write(dir, "cgroup.procs", "") || fx_write(dir, "tasks", "") ||
		    fx_write(dir, "memory.limit_in_bytes", V1_UNLIMITED "\n") ||
		    fx_write(dir, "memory.swappiness", "60\n") ||
		    fx_write(dir, "memory.usage_in_bytes", "0\n"))
			return -EIO;
	} else {
		if (fx_write(dir, "cgroup.procs", "") || fx_write(dir, "memory.high", "max\n") ||
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

static void fx_cgroup_v1(struct fx *f, const char *rel, const char *procs)
{
	char dir[8192];
	snprintf(dir, sizeof(dir), "cg/%s", rel);
	assert_int_equal(fx_mkdirs(f->root, dir), 0);
	char abs[8192];
	snprintf(abs, sizeof(abs), "%s/%s", f->root, dir);
	f->version = 1;
	assert_int_equal(fake_mkdir(abs, f), 0);
	f->mkdirs--;
	assert_int_equal(fx_write(abs, "cgroup.procs", procs), 0);
	assert_int_equal(fx_write(abs, "memory.usage_in_bytes", "536870912\n"), 0);
}

static void fx_cgroup_v2(struct fx *f, const char *rel, const char *procs, const char *type)
{
	char dir[8192];
	snprintf(dir, sizeof(dir), "cg/%s", rel);
	assert_int_equal(fx_mkdirs(f->root, dir), 0);
	char abs[8192];
	snprintf(abs, sizeof(abs), "%s/%s", f->root, dir);
	f->version = 2;
	assert_int_equal(fake_mkdir(abs, f), 0);
	f->mkdirs--;
	assert_int_equal(fx_write(abs, "cgroup.procs", procs), 0);
	assert_int_equal(fx_write(abs, "cgroup.type", type), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f || !(f->root = fx_tmpdir()))
		return -1;
	snprintf(f->proc, sizeof(f->proc), "%s/proc", f->root);
	snprintf(f->cg, sizeof(f->cg), "%s/cg", f->root);
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

static struct act_cgroup *fx_new(struct fx *f, int version, bool dry)
{
	struct act_cgroup_opts o = {
	    .proc_root = f->proc,
	    .cgroup_root = f->cg,
	    .version = version,
	    .dry_run = dry,
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

#define VMDIR "cg/machine/qemu-1-vm1.libvirt-qemu/"

static void test_v1_dedicated(void **state)
{
	struct fx *f = *state;
	fx_cgroup_v1(f, "machine/qemu-1-vm1.libvirt-qemu", "100\n");
	fx_proc(f, 100, "4:memory:/machine/qemu-1-vm1.libvirt-qemu\n3:cpu:/\n", "5000");
	struct act_cgroup *a = fx_new(f, 1, false);
	char msg[1024], dir[4300];

	assert_int_equal(act_cgroup_apply(a, "vm1", 100, 1000 * 1000 * 1000, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, VMDIR "memory.limit_in_bytes"), "1000001536");
	assert_string_equal(fx_read(f->root, VMDIR "memory.swappiness"), "100");
	assert_non_null(strstr(msg, "memory.limit_in_bytes " V1_UNLIMITED "->1000001536"));
	assert_int_equal(f->mkdirs, 0); /* libvirt's own cgroup: nothing created */
	assert_int_equal(act_cgroup_dir(a, "vm1", dir, sizeof(dir)), 0);
	assert_non_null(strstr(dir, "/cg/machine/qemu-1-vm1.libvirt-qemu"));

	/* Same limit: no write. */
	assert_int_equal(fx_write(f->root, VMDIR "memory.limit_in_bytes", "123\n"), 0);
	assert_int_equal(act_cgroup_apply(a, "vm1", 100, 1000 * 1000 * 1000, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	assert_string_equal(fx_read(f->root, VMDIR "memory.limit_in_bytes"), "123");

	/* Limit removed: originals back. */
	assert_int_equal(act_cgroup_apply(a, "vm1", 100, 0, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, VMDIR "memory.limit_in_bytes"), V1_UNLIMITED);
	assert_string_equal(fx_read(f->root, VMDIR "memory.swappiness"), "60");

	assert_int_equal(act_cgroup_apply(a, "vm1", 100, 2ULL << 30, msg, sizeof(msg)), 0);
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
	assert_int_equal(act_cgroup_apply(a, "vm1", 100, 0, msg, sizeof(msg)), 0);
	assert_false(fx_exists(f->root, "cg/process_api/abc/blimp"));

	assert_int_equal(act_cgroup_apply(a, "vm1", 100, 256ULL << 20, msg, sizeof(msg)), 0);
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
	assert_int_equal(act_cgroup_apply(a, "vm2", 300, 128ULL << 20, msg, sizeof(msg)), 0);
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
	assert_int_equal(act_cgroup_apply(a, "vm1", 100, 64ULL << 20, msg, sizeof(msg)), 0);
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
	fx_cgroup_v1(f, "machine/qemu-1-vm1.libvirt-qemu", "100\n");
	fx_proc(f, 100, "4:memory:/machine/qemu-1-vm1.libvirt-qemu\n", "5000");
	struct act_cgroup *a = fx_new(f, 1, false);
	char msg[2048];
	assert_int_equal(act_cgroup_apply(a, "vm1", 100, 1ULL << 30, msg, sizeof(msg)), 0);

	/* libvirt recreated the cgroup (VM restarted under the same PID by chance, or
	 * the cgroup was remade): a new inode means a new object, write again. */
	char cmd[8400];
	snprintf(cmd, sizeof(cmd), "mv '%s/" VMDIR "' '%s/old'", f->root, f->root);
	assert_int_equal(system(cmd), 0);
	fx_cgroup_v1(f, "machine/qemu-1-vm1.libvirt-qemu",
		     "100\n"); /* new inode: kernfs ids are never reused */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/old'", f->root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(act_cgroup_apply(a, "vm1", 100, 1ULL << 30, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "recreated"));
	assert_string_equal(fx_read(f->root, VMDIR "memory.limit_in_bytes"), "1073741824");

	/* The VM restarted: same name, new QEMU (PID reused, other start time), now in
	 * a new libvirt cgroup. The old one is restored first. */
	fx_cgroup_v1(f, "machine/qemu-2-vm1.libvirt-qemu", "100\n");
	fx_proc(f, 100, "4:memory:/machine/qemu-2-vm1.libvirt-qemu\n", "9999");
	assert_int_equal(act_cgroup_apply(a, "vm1", 100, 1ULL << 30, msg, sizeof(msg)), 0);
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
	assert_int_equal(act_cgroup_apply(a, "vm1", 100, 1ULL << 30, msg, sizeof(msg)), 0);
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
	assert_int_equal(act_cgroup_apply(a, "vm1", 100, 1ULL << 30, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "would create"));
	assert_non_null(strstr(msg, "would set memory.limit_in_bytes=1073741824"));
	assert_false(fx_exists(f->root, "cg/shared/blimp"));
	assert_string_equal(fx_read(f->root, "cg/shared/cgroup.procs"), "100\n200");

	assert_int_equal(act_cgroup_apply(a, "vm2", 300, 1ULL << 30, msg, sizeof(msg)), 0);
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
	assert_int_equal(act_cgroup_apply(a, "vm1", 100, 512ULL << 20, msg, sizeof(msg)), 0);
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
	assert_int_equal(act_cgroup_apply(a, "vm2", 300, 256ULL << 20, msg, sizeof(msg)), 0);
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
	assert_int_equal(act_cgroup_apply(a, "../etc", 100, 1, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(act_cgroup_apply(a, "a/b", 100, 1, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(act_cgroup_apply(a, "", 100, 1, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(act_cgroup_apply(a, "vm", 0, 1, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(act_cgroup_apply(a, "vm", 4242, 1ULL << 30, msg, sizeof(msg)), -ESRCH);

	/* Garbage /proc/PID/cgroup and a path escaping with "..". */
	fx_proc(f, 100, "garbage\n", "5000");
	assert_int_equal(act_cgroup_apply(a, "vm", 100, 1ULL << 30, msg, sizeof(msg)), -EINVAL);
	fx_proc(f, 100, "4:memory:/machine/../../etc\n", "5000");
	assert_int_equal(act_cgroup_apply(a, "vm", 100, 1ULL << 30, msg, sizeof(msg)), -EINVAL);
	/* No memory line at all. */
	fx_proc(f, 100, "3:cpu:/\n", "5000");
	assert_int_equal(act_cgroup_apply(a, "vm", 100, 1ULL << 30, msg, sizeof(msg)), -ENOENT);
	/* Garbage in cgroup.procs. */
	fx_proc(f, 100, "4:memory:/machine/vm\n", "5000");
	assert_int_equal(fx_write(f->root, "cg/machine/vm/cgroup.procs", "100\nxyz\n"), 0);
	assert_int_equal(act_cgroup_apply(a, "vm", 100, 1ULL << 30, msg, sizeof(msg)), -EINVAL);
	/* Garbage stat. */
	assert_int_equal(fx_write(f->root, "proc/100/stat", "100 (q) S 1\n"), 0);
	assert_int_equal(act_cgroup_apply(a, "vm", 100, 1ULL << 30, msg, sizeof(msg)), -EINVAL);
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
	assert_int_equal(act_cgroup_apply(a, "vm", 100, 1ULL << 30, msg, sizeof(msg)), 0);
	assert_string_equal(fx_read(f->root, "cg/machine/vm/memory.limit_in_bytes"), "1073741824");
	fx_proc(f, 200, "4:memory:/lxc/c2/x\n", "5000");
	assert_int_equal(act_cgroup_apply(a, "vm2", 200, 1ULL << 30, msg, sizeof(msg)), -ENOENT);
	assert_int_equal(act_cgroup_restore(a, msg, sizeof(msg)), 0);
	act_cgroup_free(a);
}

static void test_v1_steps(void **state)
{
	(void)state;
	uint64_t s[8];
	/* Usage 1 GiB, unlimited now, target 512 MiB: 8 page-aligned steps down. */
	size_t n = act_cgroup_v1_steps(UINT64_MAX, 1ULL << 30, 512ULL << 20, s, 8);
	assert_int_equal(n, 8);
	assert_int_equal(s[0], 1ULL << 30); /* clamp at usage first */
	for (size_t i = 1; i < n; i++)
		assert_true(s[i] < s[i - 1]);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(s[i] % 4096, 0);
	assert_int_equal(s[n - 1], 512ULL << 20);
	/* Already below usage and limit: one step. */
	n = act_cgroup_v1_steps(1ULL << 30, 256ULL << 20, 512ULL << 20, s, 8);
	assert_int_equal(n, 1);
	assert_int_equal(s[0], 512ULL << 20);
	/* Tiny gap: no duplicates. */
	n = act_cgroup_v1_steps(UINT64_MAX, 4096 * 3, 4096, s, 8);
	assert_true(n >= 2 && n <= 3);
	for (size_t i = 1; i < n; i++)
		assert_true(s[i] < s[i - 1]);
	assert_int_equal(s[n - 1], 4096);
	/* Usage above the current limit: no clamp step (it would raise the limit). */
	n = act_cgroup_v1_steps(600ULL << 20, 1ULL << 30, 100ULL << 20, s, 4);
	assert_int_equal(n, 4);
	assert_true(s[0] < (600ULL << 20));
	assert_int_equal(s[n - 1], 100ULL << 20);
	assert_int_equal(act_cgroup_v1_steps(1, 2, 0, s, 0), 0);
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
	    cmocka_unit_test(test_v1_steps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
