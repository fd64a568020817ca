/*
 * Domains through libvirt: start (transient), stop, list, metadata, balloon, QEMU pid
 * and the balloon/state statistics of all domains in one call.
 *
 * Start is transient (virDomainCreateXML): nothing is left defined after a stop or a
 * guest power-off, `stop` then `start` of the same name just works, and a running
 * transient domain (with its metadata) survives a blimpd restart because libvirt
 * keeps its live status XML under its run directory.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/model.h"
#include "virt/conn.h"

struct virt_dom_info {
	char name[MODEL_NAME_MAX];
	char uuid[MODEL_UUID_LEN];
	int id;            /* libvirt domain id, -1 if inactive */
	bool active;
	bool persistent;
	bool managed;       /* blimp metadata says managed=1 */
	bool meta_valid;    /* blimp metadata present and parsed */
	uint64_t memsz_bytes;          /* maximum memory */
	uint64_t current_bytes;        /* current balloon target/actual (info.memory) */
	struct vm_settings settings;   /* defaults (all 0) without metadata */
};

/* Every domain on the connection (active and not). *out malloc'ed. 0 or -errno. */
int virt_dom_list(struct virt_conn *c, struct virt_dom_info **out, size_t *n)
	__attribute__((warn_unused_result));

/* Copy a libvirt domain name into len bytes, cut (if it must be) at a UTF-8
 * character boundary: blimp keeps MODEL_NAME_MAX bytes, libvirt names have no limit.
 * Domains are acted on by UUID, so a cut name only shows in messages. */
void virt_name_copy(char *dst, size_t len, const char *src);

/* Every function below but virt_dom_lookup finds its domain by UUID (never by a
 * name blimp may have cut). */

/* One domain by name (a new domain's name, before it has a UUID). 0, -ENOENT, -EIO. */
int virt_dom_lookup(struct virt_conn *c, const char *name, struct virt_dom_info *out)
	__attribute__((warn_unused_result));

/* Create a transient domain from xml and start it. 0, -EEXIST, -EIO (err filled). */
int virt_dom_create(struct virt_conn *c, const char *xml, char uuid_out[MODEL_UUID_LEN],
		    char *err, size_t errlen) __attribute__((warn_unused_result));

/* Destroy (hard power-off) and, if persistent and blimp-managed, undefine.
 * 0, -ENOENT, -EIO. */
int virt_dom_destroy(struct virt_conn *c, const char *uuid, bool undefine, char *err,
		     size_t errlen) __attribute__((warn_unused_result));

/* Write blimp's metadata (live, and persistent config where the domain has one). */
int virt_dom_set_meta(struct virt_conn *c, const char *uuid, const struct vm_settings *s,
		      bool managed, char *err, size_t errlen) __attribute__((warn_unused_result));

/* Balloon target: memory the guest should keep, live only. 0, -ENOENT, -EIO. */
int virt_dom_set_balloon(struct virt_conn *c, const char *uuid, uint64_t target_bytes,
			 char *err, size_t errlen) __attribute__((warn_unused_result));

/* Balloon actual asked of QEMU now (virDomainMemoryStats), not the event-fed value
 * the bulk stats carry. For on-demand answers; the tick uses virt_dom_stats_all. */
int virt_dom_balloon_actual(struct virt_conn *c, const char *uuid, uint64_t *bytes)
	__attribute__((warn_unused_result));

/* Set the balloon stats period (seconds) of a running domain, live (the persistent
 * config keeps its own; virt/domcaps.h reads the live one). 0, -ENOENT, -EIO. */
int virt_dom_set_stats_period(struct virt_conn *c, const char *uuid, unsigned period_s)
	__attribute__((warn_unused_result));

/* The QEMU process: pid file RUN_DIR/NAME.pid where libvirt keeps one, else the
 * process whose command line carries "-uuid UUID" (proc_root "" = the host). Checks
 * the pid still runs QEMU with that uuid. 0 or -ENOENT. */
int virt_dom_pid(const char *run_dir, const char *proc_root, const char *name,
		 const char *uuid, pid_t *pid) __attribute__((warn_unused_result));

/* Balloon statistics as libvirt reports them (bytes; *_valid false when absent). */
struct virt_balloon_stats {
	char name[MODEL_NAME_MAX];
	char uuid[MODEL_UUID_LEN];
	bool active;
	uint64_t current_bytes; /* balloon actual */
	uint64_t maximum_bytes; /* MEMSZ */
	bool have_guest;        /* the guest has reported at least once */
	uint64_t last_update_s; /* host wall clock of the guest's last report */
	uint64_t swap_in_bytes, swap_out_bytes, major_faults, minor_faults;
	uint64_t unused_bytes, available_bytes, usable_bytes, disk_caches_bytes, rss_bytes;
	bool have_usable, have_disk_caches, have_unused, have_available;
};

/* Parse one domain's typed parameters (VIR_DOMAIN_STATS_BALLOON | _STATE). Pure. */
void virt_stats_parse(const virTypedParameter *params, int n, struct virt_balloon_stats *out);

/* All active domains' balloon stats in one libvirt call. *out malloc'ed. */
int virt_dom_stats_all(struct virt_conn *c, struct virt_balloon_stats **out, size_t *n)
	__attribute__((warn_unused_result));
