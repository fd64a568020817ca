/*
 * Domains' originals on disk (STATE/domain-originals): what a domain had before blimp
 * changed it, so that a blimpd killed with SIGKILL does not leave the next one
 * thinking blimp's values were the domain's own. Per domain (by uuid, and libvirt's
 * domain id of that run: a domain restarted since has its config's values again and
 * its entry is stale): the balloon target when blimp adopted it (foreign domains), the
 * stats period it had and the one blimp set live.
 *
 * The file is untrusted input: a line that does not parse makes the whole file
 * refused (set aside as PATH.bad, nothing in it used); a file from another boot is
 * removed (domain ids start again after a reboot).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

struct daemon_domorig_entry {
	char uuid[MODEL_UUID_LEN];
	int id;                 /* libvirt domain id of the run the entry is about */
	uint64_t adopt_bytes;   /* balloon target when blimp adopted it; 0 = none recorded */
	unsigned period_orig_s; /* the domain's own stats period (0 = none) */
	unsigned period_set_s;  /* the period blimp set live; 0 = blimp did not change it */
};

struct daemon_domorig;

/* Load path (missing = empty). boot_id as for act/originals.h (NULL: no check).
 * note gets one line for the log when something was loaded or refused. *out is set
 * unless -ENOMEM or -ENAMETOOLONG is returned. */
int daemon_domorig_open(const char *path, const char *boot_id, struct daemon_domorig **out,
			char *note, size_t notelen) __attribute__((warn_unused_result));
void daemon_domorig_free(struct daemon_domorig *o);
size_t daemon_domorig_count(const struct daemon_domorig *o);
/* The entry for uuid, NULL if none (or o is NULL). */
const struct daemon_domorig_entry *daemon_domorig_find(const struct daemon_domorig *o,
						       const char *uuid);
/* Add or replace uuid's entry and rewrite the file (atomically). No-op when o is NULL
 * or the entry is already there as it is. 0, -EINVAL (bad uuid), -errno. */
int daemon_domorig_put(struct daemon_domorig *o, const struct daemon_domorig_entry *e)
	__attribute__((warn_unused_result));
/* Forget uuid's entry; the file is removed when nothing is left. 0 or -errno. */
int daemon_domorig_drop(struct daemon_domorig *o, const char *uuid)
	__attribute__((warn_unused_result));

/* Drop every entry whose uuid is not among uuids[0..n) (domains gone while no blimpd
 * ran); rewrites the file when something was dropped. Returns how many. */
size_t daemon_domorig_prune(struct daemon_domorig *o, const char *const *uuids, size_t n);

/* Parse the file's text (pure): 0, -EINVAL (why filled), -ESTALE (another boot). On
 * success *entries (malloc'ed) and *n hold what it says. */
int daemon_domorig_parse(const char *text, const char *boot_id,
			 struct daemon_domorig_entry **entries, size_t *n, char *why,
			 size_t whylen) __attribute__((warn_unused_result));
/* The file's text for entries (malloc'ed), NULL on ENOMEM. */
char *daemon_domorig_format(const struct daemon_domorig_entry *e, size_t n, const char *boot_id);
