/* blimp status: the host as blimpd sees it. Its help and printer; cmd_simple.c runs it. */
#include <inttypes.h>
#include <time.h>

#include "cli/cmds.h"
#include "cli/format.h"

const char cli_status_usage[] =
    "Usage: blimp status [--json]\n"
    "Show the host: memory state, budget, free, minfree, overcommit, accelerator (and why),\n"
    "libvirt URI and connection, KSM, swap, pressure, policy, the number of VMs and\n"
    "counters of hostile input and of the host swap limit's safety net; an ALARM line\n"
    "when the VMs' working sets exceed the budget with no host swap to hold the rest.\n"
    "  --json      print the daemon's result object as JSON (bytes)\n"
    "  -s, --socket PATH   blimpd's control socket\n";

/* "connection  connected" or "connection  lost at 18:03:12 UTC (42 s ago), retrying
 * every 5 s, next in 3 s". */
static void cli_status_print_conn(json_object *result)
{
	json_object *lv = NULL;
	bool up;
	if (!json_object_object_get_ex(result, "libvirt", &lv) || !cli_json_bool(lv, "connected", &up))
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

void cli_status_print(const struct cli_simple_opts *o, json_object *result)
{
	cli_print_result(result, o->flag, JSON_C_TO_STRING_PRETTY, cli_format_status);
	if (!o->flag)
		cli_status_print_conn(result);
}
