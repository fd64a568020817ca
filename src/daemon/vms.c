/*
 * DESIGN: the VM table mirrors libvirt's domain list. A full sync (list all domains)
 * runs at start, after a lifecycle event and when events were lost; entries are
 * matched by uuid (identity), not by name, so a VM stopped and started again under
 * the same name is a new VM with a fresh agent and fresh policy state.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "util/event.h"
#include "util/log.h"
#include "virt/dom.h"
#include "virt/loop.h"

struct daemon_vm *daemon_vm_find(struct blimpd *d, const char *name)
{
	for (size_t i = 0; i < d->n_vms; i++)
		if (strcmp(d->vms[i].name, name) == 0)
			return &d->vms[i];
	return NULL;
}

int daemon_vm_dir(const struct blimpd *d, const char *name, const char *file, char *out,
		  size_t outlen)
{
	int n = file ? snprintf(out, outlen, "%s/vms/%s/%s", d->cfg.state_dir, name, file)
		     : snprintf(out, outlen, "%s/vms/%s", d->cfg.state_dir, name);
	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	return 0;
}

void daemon_vm_remove_files(const struct blimpd *d, const char *name)
{
	static const char *const files[] = {"console.log", "agent.sock", "swap.img", NULL};
	char path[PATH_MAX];
	for (const char *const *f = files; *f; f++)
		if (daemon_vm_dir(d, name, *f, path, sizeof(path)) == 0)
			unlink(path);
	if (daemon_vm_dir(d, name, NULL, path, sizeof(path)) == 0 && rmdir(path) < 0 &&
	    errno != ENOENT)
		log_warn("vm", "%s: could not remove %s: %s", name, path, strerror(errno));
}

/* A VM blimp managed is no longer running (run_ended) or no longer defined (gone). */
static void event_vm_lost(const struct daemon_vm *v, const char *reason)
{
	event_emit(EVENT_NOTICE, "vm_lost", "vm", v->name, "uuid", v->uuid, "reason", reason,
		   "managed", v->managed ? "1" : "0", NULL);
}

static void vm_drop(struct blimpd *d, size_t i)
{
	struct daemon_vm *v = &d->vms[i];
	log_info("vm", "%s: gone from libvirt", v->name);
	if (v->active)
		event_vm_lost(v, "gone");
	daemon_vm_unadopt(d, v);
	daemon_release_vm(d, v->name);
	daemon_vm_stop_sampling(v);
	virt_agent_free(v->agent);
	memmove(&d->vms[i], &d->vms[i + 1], (d->n_vms - i - 1) * sizeof(*v));
	d->n_vms--;
}

static void vm_attach_agent(struct blimpd *d, struct daemon_vm *v)
{
	if (!v->active || !v->managed || v->agent)
		return;
	char sock[PATH_MAX];
	if (daemon_vm_dir(d, v->name, "agent.sock", sock, sizeof(sock)) < 0)
		return;
	v->agent = virt_agent_new(sock, v->name);
}

int daemon_vms_sync(struct blimpd *d)
{
	if (!d->conn_ok)
		return -ENOTCONN;
	struct virt_dom_info *info;
	size_t n;
	int r = virt_dom_list(&d->conn, &info, &n);
	if (r < 0) {
		log_warn("vm", "listing domains failed: %s", virt_last_error());
		return r;
	}
	/* seen first, by uuid: a same-named entry is stale only if its uuid is gone
	 * (two foreign domains may share the first MODEL_NAME_MAX - 1 bytes of a name) */
	for (size_t i = 0; i < d->n_vms; i++) {
		d->vms[i].seen = false;
		for (size_t k = 0; k < n && !d->vms[i].seen; k++)
			d->vms[i].seen = strcmp(d->vms[i].uuid, info[k].uuid) == 0;
	}
	for (size_t k = 0; k < n; k++) {
		struct virt_dom_info *in = &info[k];
		struct daemon_vm *v = NULL;
		for (size_t i = 0; i < d->n_vms; i++)
			if (strcmp(d->vms[i].uuid, in->uuid) == 0)
				v = &d->vms[i];
		/* a new run of the domain: started, or stopped and started again between
		 * two syncs (another domain id) */
		bool new_run = in->active && (!v || !v->active || v->dom_id != in->id);
		if (v && new_run) {
			/* restarted outside blimp: a fresh start for the agent */
			virt_agent_free(v->agent);
			v->agent = NULL;
		}
		if (!v) {
			/* a stale entry with this name but another uuid goes first */
			for (size_t i = 0; i < d->n_vms; i++)
				if (!d->vms[i].seen && strcmp(d->vms[i].name, in->name) == 0) {
					vm_drop(d, i);
					break;
				}
			if (d->n_vms == d->cap_vms) {
				size_t cap = d->cap_vms ? d->cap_vms * 2 : 16;
				struct daemon_vm *nv = realloc(d->vms, cap * sizeof(*nv));
				if (!nv) {
					free(info);
					return -ENOMEM;
				}
				d->vms = nv;
				d->cap_vms = cap;
			}
			v = &d->vms[d->n_vms++];
			memset(v, 0, sizeof(*v));
			collect_access_init(&v->access);
			snprintf(v->name, sizeof(v->name), "%s", in->name);
			snprintf(v->uuid, sizeof(v->uuid), "%s", in->uuid);
			log_info("vm", "%s: found (%s, %s)", v->name,
				 in->active ? "running" : "shut off",
				 in->managed ? "managed by blimp" : "not started by blimp");
		}
		v->seen = true;
		if (v->active && !in->active)
			event_vm_lost(v, "run_ended");
		v->active = in->active;
		v->managed = in->managed;
		v->persistent = in->persistent;
		v->memsz_bytes = in->memsz_bytes;
		v->current_bytes = in->current_bytes;
		v->settings = in->settings;
		v->dom_id = in->active ? in->id : -1;
		if (new_run) {
			char mem[24], id[16];
			snprintf(mem, sizeof(mem), "%" PRIu64, v->memsz_bytes);
			snprintf(id, sizeof(id), "%d", v->dom_id);
			event_emit(EVENT_NOTICE, "vm_adopted", "vm", v->name, "uuid", v->uuid,
				   "managed", v->managed ? "1" : "0", "memsz_bytes", mem, "dom_id", id,
				   NULL);
			daemon_vm_adopt(d, v);
		}
		else if (!v->active && (v->adopt_bytes || v->period_set_s || v->caps_known))
			daemon_vm_unadopt(d, v); /* the run ended: nothing of it to put back */
		if (!v->active) {
			virt_agent_free(v->agent);
			v->agent = NULL;
			v->pid = 0;
		}
		vm_attach_agent(d, v);
	}
	free(info);
	for (size_t i = 0; i < d->n_vms;) {
		if (!d->vms[i].seen)
			vm_drop(d, i);
		else
			i++;
	}
	return 0;
}

void daemon_vms_handle_events(struct blimpd *d)
{
	struct virt_event ev[64];
	size_t n;
	bool resync = false;
	while ((n = virt_conn_take_events(&d->conn, ev, 64)) > 0) {
		for (size_t i = 0; i < n; i++) {
			switch (ev[i].kind) {
			case VIRT_EVENT_CLOSED:
				log_err("virt", "connection to %s closed (reason %d): reconnecting",
					d->conn.uri, ev[i].detail);
				if (d->conn_ok) {
					d->conn_lost_ms = virt_loop_now_ms();
					d->conn_lost_unix_s = (int64_t)time(NULL);
				}
				d->conn_ok = false;
				break;
			case VIRT_EVENT_STOPPED:
			case VIRT_EVENT_CRASHED:
				log_info("vm", "%s: %s", ev[i].name,
					 ev[i].kind == VIRT_EVENT_CRASHED ? "crashed" : "stopped");
				if (ev[i].kind == VIRT_EVENT_CRASHED)
					event_emit(EVENT_ERR, "vm_crashed", "vm", ev[i].name, NULL);
				resync = true;
				break;
			case VIRT_EVENT_STARTED:
				log_info("vm", "%s: started", ev[i].name);
				resync = true;
				break;
			default:
				resync = true;
				break;
			}
		}
		if (n < 64)
			break;
	}
	if (resync && d->conn_ok && daemon_vms_sync(d) < 0)
		log_warn("vm", "resync after events failed");
}

void daemon_vms_free(struct blimpd *d)
{
	for (size_t i = 0; i < d->n_vms; i++) {
		daemon_vm_stop_sampling(&d->vms[i]);
		virt_agent_free(d->vms[i].agent);
	}
	free(d->vms);
	d->vms = NULL;
	d->n_vms = d->cap_vms = 0;
}
