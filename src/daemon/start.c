/*
 * DESIGN: the start command in steps, ordered so that an error leaves nothing behind:
 * read and check every argument (start_args_read), find the guest's kernel, initrd
 * and data disk (start_guest_files), make sure the name is free (start_name_free),
 * build the domain XML (start_domain_xml); only then touch the disk: the VM's
 * directory and swap disk (start_vm_files), and define and start the domain
 * (start_domain), each removing the VM's files when it fails. Then the answer
 * (start_reply).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/guest_stage.h"
#include "daemon/handlers.h"
#include "daemon/proto.h"
#include "daemon/qemu_access.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/size.h"
#include "virt/dom.h"
#include "virt/domxml.h"

#define MEM_MIN_BYTES (64 * MODEL_MIB)
#define MEM_MAX_BYTES (1024 * MODEL_GIB)
#define CPUS_MAX 64
/* A swap disk below 16 MiB holds too little to matter; above 64 GiB is a typo. */
#define GUEST_SWAP_MIN_BYTES (16 * MODEL_MIB)
#define GUEST_SWAP_MAX_BYTES (64 * MODEL_GIB)

/* The arguments, checked. Strings are borrowed from the request. */
struct start_args {
	const char *name;
	const char *kernel; /* NULL: the built-in guest's */
	const char *initrd; /* NULL: the built-in guest's, when it has one */
	uint64_t mem_bytes; /* rounded up to MiB */
	uint64_t cpus;
	uint64_t guest_swap_bytes; /* 0: no swap disk */
	bool free_page_reporting;
	bool balloon_driver;
	bool sharing;
	struct vm_settings settings;
	char guest_cmd[VIRT_GUEST_CMD_MAX + 1]; /* shell-quoted; "" = the guest's default */
};

/* Where QEMU finds the guest. kernel and initrd point at the request's strings or at
 * the buffers here, so this is filled in place and never copied. */
struct start_files {
	const char *kernel;
	const char *initrd; /* NULL: none */
	bool has_data;	    /* data names an existing data disk */
	char data[PATH_MAX + 32];
	char def_kernel[PATH_MAX + 32];
	char def_initrd[PATH_MAX + 32];
	char st_kernel[PATH_MAX + 64];
	char st_initrd[PATH_MAX + 64];
	char st_data[PATH_MAX + 32];
};

/* STATE/vms/NAME and the files in it. */
struct start_paths {
	char dir[PATH_MAX];
	char log[PATH_MAX];
	char sock[PATH_MAX];
	char swap[PATH_MAX];
};

static bool file_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* -ENOENT (absent) is fine for an optional argument. */
static bool arg_failed(int r)
{
	return r < 0 && r != -ENOENT;
}

static int start_args_name_mem(json_object *args, struct start_args *a, char *err, size_t errlen)
{
	int r = daemon_arg_string(args, "name", true, &a->name, err, errlen);
	if (r < 0)
		return r;
	if (!virt_name_valid(a->name)) {
		snprintf(err, errlen,
			 "invalid VM name (1-63 characters [A-Za-z0-9_.-], starting with a "
			 "letter or digit)");
		return -EINVAL;
	}
	if ((r = daemon_arg_u64(args, "mem", true, &a->mem_bytes, err, errlen)) < 0)
		return r;
	if (a->mem_bytes < MEM_MIN_BYTES || a->mem_bytes > MEM_MAX_BYTES) {
		snprintf(err, errlen, "mem must be between 64 MiB and 1 TiB");
		return -ERANGE;
	}
	a->mem_bytes = (a->mem_bytes + MODEL_MIB - 1) / MODEL_MIB * MODEL_MIB;
	if (arg_failed(r = daemon_arg_u64(args, "cpus", false, &a->cpus, err, errlen)))
		return r;
	if (a->cpus < 1 || a->cpus > CPUS_MAX) {
		snprintf(err, errlen, "cpus must be between 1 and 64");
		return -ERANGE;
	}
	return 0;
}

static int start_args_devices(json_object *args, struct start_args *a, char *err, size_t errlen)
{
	int r;
	if (arg_failed(r = daemon_arg_bool(args, "free_page_reporting", &a->free_page_reporting,
					   err, errlen)) ||
	    arg_failed(
		r = daemon_arg_bool(args, "balloon_driver", &a->balloon_driver, err, errlen)) ||
	    arg_failed(r = daemon_arg_bool(args, "sharing", &a->sharing, err, errlen)) ||
	    arg_failed(
		r = daemon_arg_u64(args, "guest_swap", false, &a->guest_swap_bytes, err, errlen)))
		return r;
	if (a->guest_swap_bytes > GUEST_SWAP_MAX_BYTES) {
		snprintf(err, errlen, "guest_swap above 64 GiB");
		return -ERANGE;
	}
	if (a->guest_swap_bytes && a->guest_swap_bytes < GUEST_SWAP_MIN_BYTES) {
		snprintf(err, errlen, "guest_swap below 16 MiB (0 = no swap disk)");
		return -ERANGE;
	}
	return 0;
}

/* Every argument, in the order the protocol documents its errors; nothing touched. */
static int start_args_read(struct blimpd *d, json_object *args, struct start_args *a, char *err,
			   size_t errlen)
{
	static const char *const allowed[] = {
	    "name",	      "mem",	    "cpus",	 "shares",
	    "reservation",    "limit",	    "maxmemctl", "free_page_reporting",
	    "balloon_driver", "guest_swap", "cmd",	 "kernel",
	    "initrd",	      "sharing",    NULL};
	json_object *cmdv = NULL;
	int r;
	*a = (struct start_args){
	    .cpus = 1, .free_page_reporting = true, .balloon_driver = true, .sharing = true};
	if ((r = daemon_args_only(args, allowed, err, errlen)) < 0 ||
	    (r = start_args_name_mem(args, a, err, errlen)) < 0 ||
	    (r = daemon_settings_read(args, &a->settings, err, errlen)) < 0 ||
	    (r = start_args_devices(args, a, err, errlen)) < 0 ||
	    arg_failed(r = daemon_arg_strv(args, "cmd", &cmdv, err, errlen)) ||
	    arg_failed(r = daemon_arg_string(args, "kernel", false, &a->kernel, err, errlen)) ||
	    arg_failed(r = daemon_arg_string(args, "initrd", false, &a->initrd, err, errlen)) ||
	    (r = daemon_settings_check(d, a->name, &a->settings, a->mem_bytes, err, errlen)) < 0)
		return r;
	if (cmdv && json_object_array_length(cmdv) > 0) {
		r = daemon_strv_shell_join(cmdv, a->guest_cmd, sizeof(a->guest_cmd));
		if (r == -ENOMEM) {
			snprintf(err, errlen, "out of memory");
			return r;
		}
		if (r < 0) {
			snprintf(err, errlen, "guest command too long (max %d bytes quoted)",
				 VIRT_GUEST_CMD_MAX);
			return -E2BIG;
		}
	}
	return 0;
}

/* Embedded: QEMU runs as qemu_user and cannot open what it cannot reach: such files
 * are staged under the state dir (guest_stage.c). */
static int start_stage_files(struct blimpd *d, struct start_files *f, char *err, size_t errlen)
{
	const char *st = d->cfg.state_dir;
	uid_t uid = d->conn.qemu_uid;
	gid_t gid = d->conn.qemu_gid;
	int r;
	if ((r = daemon_guest_stage(st, uid, gid, f->kernel, f->st_kernel, sizeof(f->st_kernel),
				    err, errlen)) < 0 ||
	    (f->initrd && (r = daemon_guest_stage(st, uid, gid, f->initrd, f->st_initrd,
						  sizeof(f->st_initrd), err, errlen)) < 0) ||
	    (f->has_data && (r = daemon_guest_stage(st, uid, gid, f->data, f->st_data,
						    sizeof(f->st_data), err, errlen)) < 0))
		return r;
	f->kernel = f->st_kernel;
	if (f->initrd)
		f->initrd = f->st_initrd;
	if (f->has_data)
		snprintf(f->data, sizeof(f->data), "%s", f->st_data);
	return 0;
}

/* The guest's files: the built-in guest's directory is looked up per start, so a
 * `make guest` after blimpd started is found; a kernel or initrd given overrides it. */
static int start_guest_files(struct blimpd *d, const struct start_args *a, struct start_files *f,
			     char *err, size_t errlen)
{
	char gdir[PATH_MAX], gerr[DAEMON_HANDLER_ERRLEN] = "";
	f->kernel = a->kernel;
	f->initrd = a->initrd;
	if (config_guest_dir(&d->cfg, "/proc/self/exe", gdir, sizeof(gdir), gerr, sizeof(gerr)) ==
	    0) {
		snprintf(f->def_kernel, sizeof(f->def_kernel), "%s/vmlinux", gdir);
		snprintf(f->def_initrd, sizeof(f->def_initrd), "%s/initrd.img", gdir);
		snprintf(f->data, sizeof(f->data), "%s/data.img", gdir);
	} else if (!f->kernel) {
		snprintf(err, errlen, "%s", gerr[0] ? gerr : "no built-in guest found");
		return -ENOENT;
	}
	if (!f->kernel)
		f->kernel = f->def_kernel;
	if (!f->initrd && f->def_initrd[0] && file_exists(f->def_initrd))
		f->initrd = f->def_initrd;
	if (f->kernel[0] != '/' || (f->initrd && f->initrd[0] != '/')) {
		snprintf(err, errlen, "kernel and initrd must be absolute paths");
		return -EINVAL;
	}
	if (!file_exists(f->kernel) || (f->initrd && !file_exists(f->initrd))) {
		snprintf(err, errlen,
			 "guest kernel or initrd not found (%.200s%s%.200s): run make guest",
			 f->kernel, f->initrd ? ", " : "", f->initrd ? f->initrd : "");
		return -ENOENT;
	}
	f->has_data = f->data[0] && file_exists(f->data);
	return d->conn.embedded ? start_stage_files(d, f, err, errlen) : 0;
}

/* Connected, and no VM or libvirt domain of that name. */
static int start_name_free(struct blimpd *d, const char *name, char *err, size_t errlen)
{
	struct virt_dom_info existing;
	if (!d->conn_ok) {
		snprintf(err, errlen, "not connected to libvirt (%.300s)", d->conn.uri);
		return -EIO;
	}
	if (daemon_vm_find(d, name) || virt_dom_lookup(&d->conn, name, &existing) == 0) {
		snprintf(err, errlen, "a VM named '%s' already exists", name);
		return -EEXIST;
	}
	return 0;
}

static int start_paths_get(const struct blimpd *d, const char *name, struct start_paths *p,
			   char *err, size_t errlen)
{
	if (daemon_vm_dir(d, name, NULL, p->dir, sizeof(p->dir)) < 0 ||
	    daemon_vm_dir(d, name, "console.log", p->log, sizeof(p->log)) < 0 ||
	    daemon_vm_dir(d, name, "agent.sock", p->sock, sizeof(p->sock)) < 0 ||
	    daemon_vm_dir(d, name, "swap.img", p->swap, sizeof(p->swap)) < 0) {
		snprintf(err, errlen, "state directory path too long");
		return -ENAMETOOLONG;
	}
	return 0;
}

static int start_domain_xml(const struct blimpd *d, const struct start_args *a,
			    const struct start_files *f, const struct start_paths *p, char **xml,
			    char *err, size_t errlen)
{
	struct virt_domain_spec spec = {
	    .name = a->name,
	    .domain_type = virt_accel_domain_type(d->conn.accel),
	    .memsz_bytes = a->mem_bytes,
	    .vcpus = (unsigned)a->cpus,
	    .kernel = f->kernel,
	    .initrd = f->initrd,
	    .guest_cmd = a->guest_cmd[0] ? a->guest_cmd : NULL,
	    .balloon_driver = a->balloon_driver,
	    .free_page_reporting = a->free_page_reporting,
	    .nosharepages = !a->sharing,
	    .data_disk = f->has_data ? f->data : NULL,
	    .data_disk_norelabel = d->conn.embedded,
	    .swap_disk = a->guest_swap_bytes ? p->swap : NULL,
	    .console_log = p->log,
	    .agent_sock = p->sock,
	    .stats_period_s = d->cfg.stats_period_s,
	    .tcg_tb_cache_mib = d->cfg.tcg_tb_cache_mib,
	    .settings = a->settings,
	};
	int r = virt_domxml_build(&spec, xml);
	if (r < 0)
		snprintf(err, errlen, "cannot build the domain XML: %s%s", strerror(-r),
			 r == -ENAMETOOLONG ? " (state directory path too long for a socket)" : "");
	return r;
}

/* Embedded: QEMU runs as qemu_user. The VM's directory is its group's to write (QEMU
 * binds agent.sock there), and every directory above the files QEMU opens must be
 * searchable by it (libvirt's DAC driver chowns the files, not their parents). */
static int vm_dir_for_qemu(struct blimpd *d, const char *dir, const struct start_files *f,
			   char *err, size_t errlen)
{
	if (chown(dir, 0, d->conn.qemu_gid) < 0 || chmod(dir, 0770) < 0) {
		int r = -errno;
		snprintf(err, errlen, "cannot give %.300s to QEMU's group: %s", dir, strerror(-r));
		return r;
	}
	const char *paths[] = {dir, f->kernel, f->initrd, f->data};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char blocker[PATH_MAX];
		if (!paths[i] || !paths[i][0])
			continue;
		int r = daemon_qemu_reach(d->conn.qemu_uid, d->conn.qemu_gid, paths[i], blocker,
					  sizeof(blocker));
		if (r == -EACCES) {
			if (snprintf(err, errlen,
				     "QEMU runs as %s (qemu_user) and cannot search %s on the way "
				     "to %s: chmod o+x %s",
				     d->conn.qemu_user, blocker, paths[i], blocker) >= (int)errlen)
				log_warn("vm", "%s cannot search %s", d->conn.qemu_user, blocker);
			return r;
		}
	}
	return 0;
}

static int swap_disk_create(const char *path, uint64_t bytes, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)bytes) < 0) {
		int r = -errno;
		snprintf(err, errlen, "cannot create %.300s: %s", path, strerror(-r));
		if (fd >= 0)
			close(fd);
		return r;
	}
	close(fd);
	return 0;
}

/* A fresh directory (left-overs of an earlier VM of this name go) and the swap disk;
 * on failure nothing of them is left. */
static int start_vm_files(struct blimpd *d, const struct start_args *a, const struct start_files *f,
			  const struct start_paths *p, char *err, size_t errlen)
{
	daemon_vm_remove_files(d, a->name);
	int r = util_mkdir_p(p->dir, 0755, 0700);
	if (r == 0 && d->conn.embedded)
		r = vm_dir_for_qemu(d, p->dir, f, err, errlen);
	if (r < 0 && !err[0])
		snprintf(err, errlen, "cannot create %.300s: %s", p->dir, strerror(-r));
	if (r == 0 && a->guest_swap_bytes)
		r = swap_disk_create(p->swap, a->guest_swap_bytes, err, errlen);
	if (r < 0)
		daemon_vm_remove_files(d, a->name);
	return r;
}

/* Define and start the domain; its UUID in uuid. Takes xml. */
static int start_domain(struct blimpd *d, const char *name, char *xml, char *uuid, char *err,
			size_t errlen)
{
	int r = virt_dom_create(&d->conn, xml, uuid, err, errlen);
	free(xml);
	if (r < 0)
		daemon_vm_remove_files(d, name);
	return r;
}

static void start_reply(struct blimpd *d, struct ctl_client *c, struct daemon_request *req,
			const struct start_args *a, const char *uuid)
{
	char m[32];
	log_info("vm", "%s: started (%s, %u vCPU, %s, free page reporting %s%s%s)", a->name,
		 size_format(a->mem_bytes, m, sizeof(m)), (unsigned)a->cpus,
		 virt_accel_name(d->conn.accel), a->free_page_reporting ? "on" : "off",
		 a->balloon_driver ? "" : ", no balloon driver",
		 a->sharing ? "" : ", page sharing off");
	if (daemon_vms_sync(d) < 0)
		log_warn("vm", "%s: started but the VM list could not be refreshed", a->name);
	json_object *res = json_object_new_object();
	json_object_object_add(res, "name", json_object_new_string(a->name));
	json_object_object_add(res, "uuid", json_object_new_string(uuid));
	daemon_ctl_reply_ok(c, req->id, res);
	json_object_put(res);
}

void daemon_start_handle(struct blimpd *d, struct ctl_client *c, struct daemon_request *req)
{
	char err[DAEMON_HANDLER_ERRLEN] = "";
	struct start_args a;
	struct start_files f = {0};
	struct start_paths p;
	char *xml = NULL;
	char uuid[MODEL_UUID_LEN] = "";
	int r;
	if ((r = start_args_read(d, req->args, &a, err, sizeof(err))) < 0 ||
	    (r = start_guest_files(d, &a, &f, err, sizeof(err))) < 0 ||
	    (r = start_name_free(d, a.name, err, sizeof(err))) < 0 ||
	    (r = start_paths_get(d, a.name, &p, err, sizeof(err))) < 0 ||
	    (r = start_domain_xml(d, &a, &f, &p, &xml, err, sizeof(err))) < 0)
		goto fail;
	if ((r = start_vm_files(d, &a, &f, &p, err, sizeof(err))) < 0) {
		free(xml);
		goto fail;
	}
	if ((r = start_domain(d, a.name, xml, uuid, err, sizeof(err))) < 0)
		goto fail;
	start_reply(d, c, req, &a, uuid);
	return;
fail:
	daemon_ctl_reply_err(c, req->id, r, "%s", err[0] ? err : strerror(-r));
}
