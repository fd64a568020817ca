/*
 * DESIGN: three knobs (act/knob.h) under one directory. The order of writes matters
 * a little: rates first, then run=1, so KSM never starts at a stale rate; and run=0
 * first when stopping. run=2 (unmerge all) is never written: stopping keeps merged
 * pages merged, which is what an admin expects of "stop scanning".
 */
#include "act/ksm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "act/knob.h"

struct act_ksm {
	bool dry_run;
	char dir[PATH_MAX];
	struct act_knob run;
	struct act_knob pages_to_scan;
	struct act_knob sleep_ms;
};

struct act_ksm *act_ksm_new(const char *sysfs_root, bool dry_run)
{
	struct act_ksm *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->dry_run = dry_run;
	int n = snprintf(k->dir, sizeof(k->dir), "%s/kernel/mm/ksm", sysfs_root);
	if (n < 0 || (size_t)n >= sizeof(k->dir) ||
	    act_knob_init(&k->run, "ksm.run", k->dir, "run") < 0 ||
	    act_knob_init(&k->pages_to_scan, "ksm.pages_to_scan", k->dir, "pages_to_scan") < 0 ||
	    act_knob_init(&k->sleep_ms, "ksm.sleep_millisecs", k->dir, "sleep_millisecs") < 0) {
		free(k);
		return NULL;
	}
	return k;
}

void act_ksm_free(struct act_ksm *k)
{
	free(k);
}

void act_ksm_use_originals(struct act_ksm *k, struct act_originals *originals)
{
	act_knob_bind(&k->run, originals);
	act_knob_bind(&k->pages_to_scan, originals);
	act_knob_bind(&k->sleep_ms, originals);
}

bool act_ksm_present(const struct act_ksm *k)
{
	return access(k->run.path, F_OK) == 0;
}

int act_ksm_apply(struct act_ksm *k, bool run, uint32_t pages_to_scan, uint32_t sleep_ms, char *msg,
		  size_t msglen)
{
	if (msg && msglen)
		msg[0] = '\0';
	int r;
	if (pages_to_scan == 0)
		run = false; /* a KSM that scans nothing is a stopped KSM */
	if (!run) {
		r = act_knob_set(&k->run, "0", k->dry_run, msg, msglen);
		return r < 0 ? r : 0;
	}
	char v[24];
	snprintf(v, sizeof(v), "%" PRIu32, pages_to_scan);
	r = act_knob_set(&k->pages_to_scan, v, k->dry_run, msg, msglen);
	if (r < 0)
		return r;
	snprintf(v, sizeof(v), "%" PRIu32, sleep_ms);
	r = act_knob_set(&k->sleep_ms, v, k->dry_run, msg, msglen);
	if (r < 0)
		return r;
	r = act_knob_set(&k->run, "1", k->dry_run, msg, msglen);
	return r < 0 ? r : 0;
}

int act_ksm_restore(struct act_ksm *k, char *msg, size_t msglen)
{
	if (msg && msglen)
		msg[0] = '\0';
	int ret = 0;
	/* Stop (or restore run) first, then the rates. */
	struct act_knob *order[] = {&k->run, &k->pages_to_scan, &k->sleep_ms};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int r = act_knob_restore(order[i], k->dry_run, msg, msglen);
		if (r < 0 && ret == 0)
			ret = r;
	}
	return ret;
}
