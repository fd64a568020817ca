/*
 * DESIGN: settings change while blimpd runs in one place. Both ways in (SIGHUP and the
 * config_set request) build a whole new struct blimpd_config, check it as a whole
 * (config_check_change: config_validate, no restart key changed), recompute what start
 * derived from it (the budget from host_mem/headroom, then the policy's own checks),
 * and only then copy it over d->cfg. The loop is single-threaded and this runs between
 * ticks, so no tick ever sees half of a change; the metrics HTTP thread reads the
 * rendered page, never d->cfg (metrics_http.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/notify.h"
#include "util/event.h"
#include "util/log.h"

/* What start does after the settings are read (main.c): budget, policy checks. */
static int reload_derive(const struct blimpd *d, struct blimpd_config *next, char *err,
			 size_t errlen)
{
	if (next->host_mem_bytes) {
		next->policy.budget_bytes = next->host_mem_bytes;
	} else if (d->host.mem_total_bytes > next->headroom_bytes) {
		next->policy.budget_bytes = d->host.mem_total_bytes - next->headroom_bytes;
	} else {
		snprintf(err, errlen, "headroom is not below the host's RAM: set host_mem");
		return -EINVAL;
	}
	char perr[200];
	if (policy_settings_validate(&next->policy, perr, sizeof(perr)) < 0) {
		snprintf(err, errlen, "policy settings: %s", perr);
		return -EINVAL;
	}
	return 0;
}

int daemon_config_commit(struct blimpd *d, struct blimpd_config *next, const char *source,
			 char *err, size_t errlen)
{
	int r = config_check_change(&d->cfg, next, err, errlen);
	if (r == 0)
		r = reload_derive(d, next, err, errlen);
	if (r < 0)
		return r;
	char changed[512];
	size_t n = config_diff(&d->cfg, next, true, changed, sizeof(changed));
	d->cfg = *next;
	log_set_level(d->cfg.log_level);
	d->config_reloads++;
	char nbuf[24];
	snprintf(nbuf, sizeof(nbuf), "%zu", n);
	log_info("daemon", "settings (%s): %s%s", source, n ? "changed " : "unchanged",
		 n ? changed : "");
	event_emit(EVENT_NOTICE, "config_reloaded", "source", source, "changed", n ? changed : "",
		   "n_changed", nbuf, NULL);
	return 0;
}

int daemon_config_reload(struct blimpd *d)
{
	char err[1024];
	daemon_notify_reloading();
	/* as at start: defaults, the file and drop-ins, then the flags */
	struct blimpd_config next;
	config_default(&next);
	int r = config_load(&next, d->config_path, d->config_required, err, sizeof(err));
	for (size_t i = 0; r == 0 && i < d->n_flag_settings; i++) {
		const struct daemon_flag_setting *f = &d->flag_settings[i];
		char ferr[512];
		r = config_set(&next, f->key, f->value, ferr, sizeof(ferr));
		if (r < 0)
			snprintf(err, sizeof(err), "command-line flag: %s", ferr);
	}
	if (r == 0)
		r = daemon_config_commit(d, &next, "sighup", err, sizeof(err));
	if (r < 0) {
		d->config_refusals++;
		log_err("daemon", "SIGHUP: settings not reloaded, nothing changed: %s", err);
		event_emit(EVENT_ERR, "config_refused", "file", d->config_path, "error", err,
			   "source", "sighup", NULL);
		daemon_notify_reloaded("settings not reloaded (see the log), the old ones kept");
		return r;
	}
	daemon_notify_reloaded("settings reloaded");
	return 0;
}
