/*
 * DESIGN: thin wrappers over libvirt that turn its errors into -errno plus a message,
 * free every libvirt object on every path, and never trust a domain's metadata: bad
 * metadata reads as "no settings" (defaults) and unmanaged.
 */
#include "virt/dom.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "util/log.h"
#include "virt/meta.h"

static int dom_errno(void)
{
	virErrorPtr e = virGetLastError();
	if (!e)
		return -EIO;
	switch (e->code) {
	case VIR_ERR_NO_DOMAIN:
		return -ENOENT;
	case VIR_ERR_OPERATION_INVALID:
		return -EINVAL;
	default:
		return -EIO;
	}
}

void virt_name_copy(char *dst, size_t len, const char *src)
{
	if (!len)
		return;
	size_t n = src ? strlen(src) : 0;
	if (n >= len) {
		n = len - 1;
		/* not in the middle of a UTF-8 sequence: back off over continuation bytes */
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Domains are found by UUID: names may be longer than blimp keeps (MODEL_NAME_MAX),
 * and a name can be reused by another domain between two calls. */
static virDomainPtr dom_get(struct virt_conn *c, const char *uuid)
{
	if (!uuid || !uuid[0])
		return NULL;
	return virDomainLookupByUUIDString(c->conn, uuid);
}

static void dom_fill_info(virDomainPtr d, struct virt_dom_info *o)
{
	memset(o, 0, sizeof(*o));
	const char *name = virDomainGetName(d);
	virt_name_copy(o->name, sizeof(o->name), name);
	if (virDomainGetUUIDString(d, o->uuid) < 0)
		o->uuid[0] = '\0';
	o->active = virDomainIsActive(d) == 1;
	o->persistent = virDomainIsPersistent(d) == 1;
	o->id = o->active ? (int)virDomainGetID(d) : -1;
	virDomainInfo info;
	if (virDomainGetInfo(d, &info) == 0) {
		o->memsz_bytes = (uint64_t)info.maxMem * 1024;
		o->current_bytes = (uint64_t)info.memory * 1024;
	}
	char *meta = virDomainGetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, VIRT_META_NS,
					  o->active ? VIR_DOMAIN_AFFECT_LIVE
						    : VIR_DOMAIN_AFFECT_CONFIG);
	if (meta) {
		struct vm_settings s;
		bool managed;
		if (virt_meta_parse(meta, &s, &managed) == 0) {
			o->meta_valid = true;
			o->managed = managed;
			o->settings = s;
		} else {
			log_warn("virt", "domain %s: unreadable blimp metadata ignored", o->name);
		}
		free(meta);
	}
	virResetLastError();
}

int virt_dom_list(struct virt_conn *c, struct virt_dom_info **out, size_t *n)
{
	virDomainPtr *doms = NULL;
	int nd = virConnectListAllDomains(c->conn, &doms, 0);
	if (nd < 0)
		return -EIO;
	struct virt_dom_info *v = calloc((size_t)nd + 1, sizeof(*v));
	if (!v) {
		for (int i = 0; i < nd; i++)
			virDomainFree(doms[i]);
		free(doms);
		return -ENOMEM;
	}
	for (int i = 0; i < nd; i++) {
		dom_fill_info(doms[i], &v[i]);
		virDomainFree(doms[i]);
	}
	free(doms);
	*out = v;
	*n = (size_t)nd;
	return 0;
}

int virt_dom_lookup(struct virt_conn *c, const char *name, struct virt_dom_info *out)
{
	virDomainPtr d = virDomainLookupByName(c->conn, name);
	if (!d)
		return dom_errno();
	dom_fill_info(d, out);
	virDomainFree(d);
	return 0;
}

int virt_dom_create(struct virt_conn *c, const char *xml, char uuid_out[MODEL_UUID_LEN],
		    char *err, size_t errlen)
{
	virDomainPtr d = virDomainCreateXML(c->conn, xml, 0);
	if (!d) {
		virErrorPtr e = virGetLastError();
		snprintf(err, errlen, "libvirt could not start the domain: %s",
			 virt_last_error());
		if (e && e->code == VIR_ERR_OPERATION_FAILED && e->message &&
		    strstr(e->message, "already exists"))
			return -EEXIST;
		return -EIO;
	}
	if (virDomainGetUUIDString(d, uuid_out) < 0)
		uuid_out[0] = '\0';
	virDomainFree(d);
	return 0;
}

int virt_dom_destroy(struct virt_conn *c, const char *uuid, bool undefine, char *err,
		     size_t errlen)
{
	virDomainPtr d = dom_get(c, uuid);
	if (!d) {
		snprintf(err, errlen, "no domain with uuid %s", uuid);
		return -ENOENT;
	}
	int r = 0;
	if (virDomainIsActive(d) == 1 && virDomainDestroy(d) < 0) {
		snprintf(err, errlen, "destroy %s: %s", uuid, virt_last_error());
		r = dom_errno();
		goto out;
	}
	if (undefine && virDomainIsPersistent(d) == 1 && virDomainUndefine(d) < 0) {
		snprintf(err, errlen, "undefine %s: %s", uuid, virt_last_error());
		r = dom_errno();
	}
out:
	virDomainFree(d);
	return r;
}

int virt_dom_set_meta(struct virt_conn *c, const char *uuid, const struct vm_settings *s,
		      bool managed, char *err, size_t errlen)
{
	char xml[1024];
	int r = virt_meta_format(s, managed, false, xml, sizeof(xml));
	if (r < 0)
		return r;
	virDomainPtr d = dom_get(c, uuid);
	if (!d) {
		snprintf(err, errlen, "no domain with uuid %s", uuid);
		return -ENOENT;
	}
	unsigned flags = 0;
	if (virDomainIsActive(d) == 1)
		flags |= VIR_DOMAIN_AFFECT_LIVE;
	if (virDomainIsPersistent(d) == 1)
		flags |= VIR_DOMAIN_AFFECT_CONFIG;
	if (virDomainSetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, xml, VIRT_META_PREFIX,
				 VIRT_META_NS, flags) < 0) {
		snprintf(err, errlen, "set metadata of %s: %s", uuid, virt_last_error());
		r = -EIO;
	}
	virDomainFree(d);
	return r;
}

int virt_dom_set_balloon(struct virt_conn *c, const char *uuid, uint64_t target_bytes,
			 char *err, size_t errlen)
{
	virDomainPtr d = dom_get(c, uuid);
	if (!d) {
		snprintf(err, errlen, "no domain with uuid %s", uuid);
		return -ENOENT;
	}
	int r = 0;
	if (virDomainSetMemoryFlags(d, (unsigned long)(target_bytes / 1024),
				    VIR_DOMAIN_AFFECT_LIVE) < 0) {
		snprintf(err, errlen, "balloon %s: %s", uuid, virt_last_error());
		r = -EIO;
	}
	virDomainFree(d);
	return r;
}

int virt_dom_balloon_actual(struct virt_conn *c, const char *uuid, uint64_t *bytes)
{
	virDomainPtr d = dom_get(c, uuid);
	if (!d)
		return -ENOENT;
	virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
	int n = virDomainMemoryStats(d, st, VIR_DOMAIN_MEMORY_STAT_NR, 0);
	virDomainFree(d);
	for (int i = 0; i < n; i++) {
		if (st[i].tag == VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON) {
			*bytes = st[i].val * 1024;
			return 0;
		}
	}
	return -EIO;
}

int virt_dom_set_stats_period(struct virt_conn *c, const char *uuid, unsigned period_s)
{
	virDomainPtr d = dom_get(c, uuid);
	if (!d)
		return -ENOENT;
	int r = virDomainSetMemoryStatsPeriod(d, (int)period_s, VIR_DOMAIN_AFFECT_LIVE) < 0
			? -EIO
			: 0;
	virDomainFree(d);
	return r;
}

/* Does /proc/PID/cmdline hold "-uuid\0UUID"? */
static bool pid_has_uuid(const char *proc_root, pid_t pid, const char *uuid)
{
	char path[256], buf[16384];
	snprintf(path, sizeof(path), "%s/proc/%d/cmdline", proc_root, (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n;) {
		const char *arg = buf + i;
		size_t len = strlen(arg);
		if (strcmp(arg, "-uuid") == 0 && i + (ssize_t)len + 1 < n)
			return strcmp(arg + len + 1, uuid) == 0;
		i += (ssize_t)len + 1;
	}
	return false;
}

int virt_dom_pid(const char *run_dir, const char *proc_root, const char *name,
		 const char *uuid, pid_t *pid)
{
	if (!proc_root)
		proc_root = "";
	if (run_dir && run_dir[0]) {
		char path[4096], buf[32];
		snprintf(path, sizeof(path), "%s/%s.pid", run_dir, name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n > 0) {
				buf[n] = '\0';
				char *end;
				long p = strtol(buf, &end, 10);
				if (p > 0 && p < (1L << 22) && pid_has_uuid(proc_root, (pid_t)p, uuid)) {
					*pid = (pid_t)p;
					return 0;
				}
			}
		}
	}
	char procdir[256];
	snprintf(procdir, sizeof(procdir), "%s/proc", proc_root);
	DIR *dir = opendir(procdir);
	if (!dir)
		return -ENOENT;
	struct dirent *de;
	int r = -ENOENT;
	while ((de = readdir(dir))) {
		char *end;
		long p = strtol(de->d_name, &end, 10);
		if (*end || p <= 0)
			continue;
		if (pid_has_uuid(proc_root, (pid_t)p, uuid)) {
			*pid = (pid_t)p;
			r = 0;
			break;
		}
	}
	closedir(dir);
	return r;
}

static uint64_t param_u64(const virTypedParameter *p)
{
	switch (p->type) {
	case VIR_TYPED_PARAM_INT:
		return p->value.i < 0 ? 0 : (uint64_t)p->value.i;
	case VIR_TYPED_PARAM_UINT:
		return p->value.ui;
	case VIR_TYPED_PARAM_LLONG:
		return p->value.l < 0 ? 0 : (uint64_t)p->value.l;
	case VIR_TYPED_PARAM_ULLONG:
		return p->value.ul;
	default:
		return 0;
	}
}

static uint64_t kib(uint64_t v)
{
	return v > UINT64_MAX / 1024 ? UINT64_MAX : v * 1024;
}

void virt_stats_parse(const virTypedParameter *params, int n, struct virt_balloon_stats *o)
{
	for (int i = 0; i < n; i++) {
		const virTypedParameter *p = &params[i];
		const char *f = p->field;
		uint64_t v = param_u64(p);
		if (strcmp(f, "state.state") == 0) {
			o->active = v == VIR_DOMAIN_RUNNING || v == VIR_DOMAIN_PAUSED ||
				    v == VIR_DOMAIN_BLOCKED;
			continue;
		}
		if (strncmp(f, "balloon.", 8) != 0) {
			continue;
		}
		f += 8;
		if (strcmp(f, "current") == 0) {
			o->current_bytes = kib(v);
		} else if (strcmp(f, "maximum") == 0) {
			o->maximum_bytes = kib(v);
		} else if (strcmp(f, "swap_in") == 0) {
			o->swap_in_bytes = kib(v);
		} else if (strcmp(f, "swap_out") == 0) {
			o->swap_out_bytes = kib(v);
		} else if (strcmp(f, "major_fault") == 0) {
			o->major_faults = v;
		} else if (strcmp(f, "minor_fault") == 0) {
			o->minor_faults = v;
		} else if (strcmp(f, "unused") == 0) {
			o->unused_bytes = kib(v);
			o->have_unused = true;
		} else if (strcmp(f, "available") == 0) {
			o->available_bytes = kib(v);
			o->have_available = true;
		} else if (strcmp(f, "usable") == 0) {
			o->usable_bytes = kib(v);
			o->have_usable = true;
		} else if (strcmp(f, "disk_caches") == 0) {
			o->disk_caches_bytes = kib(v);
			o->have_disk_caches = true;
		} else if (strcmp(f, "rss") == 0) {
			o->rss_bytes = kib(v);
		} else if (strcmp(f, "last-update") == 0) {
			o->last_update_s = v;
		}
	}
	o->have_guest = o->last_update_s > 0 && (o->have_unused || o->have_available);
}

int virt_dom_stats_all(struct virt_conn *c, struct virt_balloon_stats **out, size_t *n)
{
	virDomainStatsRecordPtr *recs = NULL;
	int nr = virConnectGetAllDomainStats(c->conn,
					     VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_STATE,
					     &recs, VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE);
	if (nr < 0)
		return -EIO;
	struct virt_balloon_stats *v = calloc((size_t)nr + 1, sizeof(*v));
	if (!v) {
		virDomainStatsRecordListFree(recs);
		return -ENOMEM;
	}
	for (int i = 0; i < nr; i++) {
		const char *name = virDomainGetName(recs[i]->dom);
		virt_name_copy(v[i].name, sizeof(v[i].name), name);
		if (virDomainGetUUIDString(recs[i]->dom, v[i].uuid) < 0)
			v[i].uuid[0] = '\0';
		virt_stats_parse(recs[i]->params, recs[i]->nparams, &v[i]);
	}
	virDomainStatsRecordListFree(recs);
	*out = v;
	*n = (size_t)nr;
	return 0;
}
