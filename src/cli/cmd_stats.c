/* blimp stats: every figure of one VM. Its help and printer; cmd_simple.c runs it. */
#include <inttypes.h>
#include <string.h>

#include "cli/cmds.h"
#include "cli/format.h"

const char cli_stats_usage[] =
    "Usage: blimp stats NAME [--json]\n"
    "Show every memory figure of a VM in esxtop's vocabulary (human sizes), then what\n"
    "its domain XML lacks that blimp needs (docs/domains.md) and what that costs.\n"
    "  --json      print the daemon's vm object (lower-case vocabulary keys, bytes)\n"
    "  -s, --socket PATH   blimpd's control socket\n";

/* What each entry of the vm object's domain.missing costs (docs/protocol.md). */
static const struct {
	const char *key, *text;
} cli_stats_missing[] = {
    {"unknown", "domain XML not read: deflate-on-OOM assumed off, blimp keeps more room "
		"in this guest"},
    {"balloon", "no virtio balloon (<memballoon model='virtio'>): blimp cannot size "
		"this guest"},
    {"autodeflate", "no deflate-on-OOM (autodeflate='on' missing): blimp keeps more "
		    "room in this guest, see docs/policy.md"},
    {"free_page_reporting", "no free page reporting (freePageReporting='on' missing): "
			    "memory the guest frees stays host-backed until ballooned"},
    {"tb_cache", "TCG without tb-cache (<features><tcg><tb-cache>): QEMU reserves 1 GiB "
		 "per guest, counted as OVHD"},
};

static void cli_stats_print_domain(json_object *dom)
{
	char s[256], t[256];
	bool known = false;
	uint64_t period, from, to;
	if (cli_json_bool(dom, "known", &known) && known) {
		const char *type = cli_json_str(dom, "type"), *balloon = cli_json_str(dom, "balloon");
		printf("%-19s %s, balloon %s", "domain", cli_sanitize(type ? type : "-", s, sizeof(s)),
		       cli_sanitize(balloon ? balloon : "-", t, sizeof(t)));
		if (cli_json_u64(dom, "stats_period_s", &period))
			printf(", stats period %" PRIu64 " s", period);
		printf("\n");
	}
	json_object *miss = NULL;
	if (json_object_object_get_ex(dom, "missing", &miss) &&
	    json_object_is_type(miss, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(miss); i++) {
			const char *k = json_object_get_string(json_object_array_get_idx(miss, i));
			const char *text = NULL;
			for (size_t j = 0; k && j < sizeof(cli_stats_missing) / sizeof(cli_stats_missing[0]);
			     j++)
				if (strcmp(k, cli_stats_missing[j].key) == 0)
					text = cli_stats_missing[j].text;
			printf("%-19s %s\n", "lacks", text ? text : cli_sanitize(k ? k : "?", s, sizeof(s)));
		}
	}
	json_object *ch = NULL;
	if (json_object_object_get_ex(dom, "stats_period_changed", &ch) &&
	    cli_json_u64(ch, "from_s", &from) && cli_json_u64(ch, "to_s", &to))
		printf("%-19s changed by blimp from %" PRIu64 " s to %" PRIu64
		       " s (live only), restored on exit\n",
		       "stats_period", from, to);
}

void cli_stats_print(const struct cli_simple_opts *o, json_object *result)
{
	/* The result is the vm object; accept {"vm":{...}} as well. */
	json_object *vm = cli_json_unwrap(result, "vm");
	json_object *dom = NULL;
	/* the domain object gets lines of its own, not the raw dump of unknown keys */
	if (!o->flag && json_object_is_type(vm, json_type_object) &&
	    json_object_object_get_ex(vm, "domain", &dom)) {
		json_object_get(dom);
		json_object_object_del(vm, "domain");
	}
	cli_print_result(vm, o->flag, JSON_C_TO_STRING_PRETTY, cli_format_stats);
	if (dom) {
		cli_stats_print_domain(dom);
		json_object_put(dom);
	}
}
