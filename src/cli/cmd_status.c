/* blimp status: the host as blimpd sees it. Its help and printer; cmd_simple.c runs it. */
#include <inttypes.h>
#include <time.h>

#include "cli/cmds.h"
#include "cli/format.h"

const char cli_status_usage[] =
    "Usage: blimp status [--json]\n"
    "Show the host: memory state, budget, free, minfree, overcommit, accelerator (and why),\n"
    "libvirt URI and connection, KSM, swap, pressure, policy, the number of VMs and\n"
    "counters of hostile input and of the host swap limit's safety net, the user QEMU\n"
    "runs as, blimpd's memory lock, the guest agents' counters and the collection\n"
    "ticks (how many started 50 ms or more late, and more than a period late); an ALARM\n"
    "line when the VMs' working sets exceed the budget with no host swap to hold the rest.\n"
    "  --json      print the daemon's result object as JSON (bytes)\n"
    "  -s, --socket PATH   blimpd's control socket\n";

/* "connection  connected" or "connection  lost at 18:03:12 UTC (42 s ago), retrying
 * every 5 s, next in 3 s". */
static void cli_status_print_conn(json_object *result)
{
	json_object *lv = NULL;
	bool up;
	if (!json_object_object_get_ex(result, "libvirt", &lv) ||
	    !cli_json_bool(lv, "connected", &up))
		return;
	if (up) {
		printf("connection  connected\n");
		return;
	}
	uint64_t ago = 0, every = 0, next = 0;
	int64_t since = json_object_get_int64(json_object_object_get(lv, "disconnected_since"));
	char when[32] = "?";
	time_t t = (time_t)since;
	struct tm tm;
	if (since > 0 && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%H:%M:%S UTC", &tm);
	cli_json_u64(lv, "disconnected_ms", &ago);
	cli_json_u64(lv, "retry_every_ms", &every);
	cli_json_u64(lv, "next_retry_ms", &next);
	printf("connection  lost at %s (%" PRIu64 " s ago), retrying every %" PRIu64
	       " s, next in %" PRIu64 " s\n",
	       when, ago / 1000, every / 1000, (next + 999) / 1000);
}

/* "privilege   QEMU as libvirt-qemu, memory lock onfault" and the loop's health:
 * "agents      0 garbage bytes, 0 oversize frames, 0 reads deferred". Absent from an
 * older blimpd: no lines. */
static void cli_status_print_privilege(json_object *result)
{
	json_object *u = NULL, *m = NULL, *c = NULL;
	if (!json_object_object_get_ex(result, "mlock", &m) ||
	    !json_object_object_get_ex(result, "counters", &c))
		return;
	json_object_object_get_ex(result, "qemu_user", &u);
	const char *user = u ? json_object_get_string(u) : "";
	printf("privilege   QEMU as %s, memory lock %s\n",
	       user && user[0] ? user : "the libvirtd's qemu.conf user", json_object_get_string(m));
	uint64_t garbage = 0, oversize = 0, deferred = 0;
	cli_json_u64(c, "agent_garbage_bytes", &garbage);
	cli_json_u64(c, "agent_oversize_frames", &oversize);
	cli_json_u64(c, "agent_reads_deferred", &deferred);
	printf("agents      %" PRIu64 " garbage bytes, %" PRIu64 " oversize frames, %" PRIu64
	       " reads deferred\n",
	       garbage, oversize, deferred);
}

/* "ticks       1234, late 2 (>= 50 ms), 0 over a period, max lateness 3412 ms" */
static void cli_status_print_ticks(json_object *result)
{
	uint64_t ticks, late = 0, max_ms = 0, over = 0;
	if (!cli_json_u64(result, "ticks", &ticks)) /* an older blimpd */
		return;
	cli_json_u64(result, "ticks_late", &late);
	cli_json_u64(result, "tick_late_max_ms", &max_ms);
	json_object *c = NULL;
	if (json_object_object_get_ex(result, "counters", &c))
		cli_json_u64(c, "ticks_late_period", &over);
	printf("ticks       %" PRIu64 ", late %" PRIu64 " (>= 50 ms), %" PRIu64
	       " over a period, max lateness %" PRIu64 " ms\n",
	       ticks, late, over, max_ms);
}

void cli_status_print(const struct cli_simple_opts *o, json_object *result)
{
	cli_print_result(result, o->flag, JSON_C_TO_STRING_PRETTY, cli_format_status);
	if (!o->flag) {
		cli_status_print_conn(result);
		cli_status_print_privilege(result);
		cli_status_print_ticks(result);
	}
}
