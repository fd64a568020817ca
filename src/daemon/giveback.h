/*
 * On blimpd's orderly exit, foreign domains (not started by blimp) get back the
 * balloon target they had when blimp adopted them, as far as the host can afford it
 * (docs/daemon.md "Exit and restart"). Pure: the daemon gathers the figures.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct daemon_giveback {
	uint64_t now_bytes;  /* balloon target now */
	uint64_t want_bytes; /* target at adoption (now_bytes or less: nothing to give) */
	uint64_t give_bytes; /* out: how much to add to now_bytes */
};

/* Memory kept free for the host when giving back: the larger of the host's minFree
 * (policy_minfree_bytes of its RAM) and 5% of its RAM. */
uint64_t daemon_giveback_margin(uint64_t mem_total_bytes);

/* Share avail_bytes among the domains, most squeezed first: every domain is raised
 * to the same fraction L of its adoption target (those already above L get nothing),
 * L the largest (in permyriad) whose increases fit in avail_bytes; everything when
 * all of it fits. A partial increase is rounded down to a MiB. Fills give_bytes;
 * returns L (10000 = everything given back). */
uint32_t daemon_giveback_plan(struct daemon_giveback *g, size_t n, uint64_t avail_bytes);
