/*
 * `blimp sim`: flags onto a sim_config, a fleet from --fleet or --gen, then one run
 * per policy (or a capacity plan), the summary and a RESULT line.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sim/sim.h"
#include "sim/sim_main.h"
#include "util/size.h"

static void sim_usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s (--fleet FILE | --gen NAME [--vms N]) [options]\n"
		"  --fleet FILE        fleet CSV (docs/simulator.md)\n"
		"  --gen NAME          idle | diurnal | bursty | clones | demo\n"
		"  --vms N             generated fleet size (default 100; demo 4)\n"
		"  --seed S            PRNG seed (default 1)\n"
		"  --hours H           simulated hours (default 24; decimals allowed)\n"
		"  --step-ms MS        VM model step (default = balance period)\n"
		"  --balance-ms MS     policy period (default 15000)\n"
		"  --stats-ms MS       guest stats period (default 1000)\n"
		"  --delay-ms MS       collection + decision delay (default 200)\n"
		"  --policy P          blimp | static | proxmox | mom | all (default blimp;\n"
		"                      --plan: all)\n"
		"  --host-mem SIZE     budget (default 2/3 of the fleet's MEMSZ; --plan: 64G)\n"
		"  --host-swap-rate SIZE  host swap throughput per second (default 200M)\n"
		"  --host-ram SIZE     the host's RAM, where its kernel reclaims by itself\n"
		"                      (default: the budget)\n"
		"  --host-swap-eager   host-swapped cold pages come back when the limit lifts\n"
		"                      (default: only touched pages come back, as in Linux)\n"
		"  --no-probe-scale    the policy's slow probe does not grow with the host\n"
		"                      state (settings.probe_scale_by_state off)\n"
		"  --no-host-swap      the policy may not use host swap\n"
		"  --proxmox-target PCT  proxmox: ballooning-target, percent (default 80)\n"
		"  --ksm-policy K      blimp | ksmtuned: who drives KSM (default blimp)\n"
		"  --out DIR           timelines: DIR/vms.csv, DIR/host.csv (all: DIR/<policy>/)\n"
		"  --sample-ms MS      timeline row period (default = balance period)\n"
		"  --check             check plan invariants every balance period\n"
		"  --plan              capacity planning: VMs per host under each policy\n"
		"  --slo PCT           --plan: SLO violation time bound (default 1)\n"
		"  --max-over PCT      --plan: bound on the time the VMs' CONSUMED + OVHD is\n"
		"                      above the budget (default 100: none; bench/density: 10)\n"
		"  --max-vms N         --plan: search no further (default 100000)\n",
		prog);
}

static int sim_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end = NULL;
	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int sim_double(const char *s, double lo, double hi, double *out)
{
	char *end = NULL;
	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

enum {
	OPT_FLEET = 1000,
	OPT_GEN,
	OPT_VMS,
	OPT_SEED,
	OPT_HOURS,
	OPT_STEP,
	OPT_BALANCE,
	OPT_STATS,
	OPT_DELAY,
	OPT_POLICY,
	OPT_HOSTMEM,
	OPT_SWAPRATE,
	OPT_NOSWAP,
	OPT_HOSTRAM,
	OPT_SWAPEAGER,
	OPT_NOPROBESCALE,
	OPT_OUT,
	OPT_SAMPLE,
	OPT_CHECK,
	OPT_PLAN,
	OPT_SLO,
	OPT_MAXOVER,
	OPT_MAXVMS,
	OPT_PVETARGET,
	OPT_KSMPOLICY,
	OPT_HELP,
};

struct sim_args {
	struct sim_config cfg;
	const char *fleet_path, *gen, *policy;
	uint64_t vms;
	bool have_vms, have_host, have_step, plan;
	double slo_pct, max_over_pct;
	uint64_t max_vms;
};

static int sim_parse_args(int argc, char **argv, struct sim_args *a)
{
	static const struct option opts[] = {
	    {"fleet", required_argument, NULL, OPT_FLEET},
	    {"gen", required_argument, NULL, OPT_GEN},
	    {"vms", required_argument, NULL, OPT_VMS},
	    {"seed", required_argument, NULL, OPT_SEED},
	    {"hours", required_argument, NULL, OPT_HOURS},
	    {"step-ms", required_argument, NULL, OPT_STEP},
	    {"balance-ms", required_argument, NULL, OPT_BALANCE},
	    {"stats-ms", required_argument, NULL, OPT_STATS},
	    {"delay-ms", required_argument, NULL, OPT_DELAY},
	    {"policy", required_argument, NULL, OPT_POLICY},
	    {"host-mem", required_argument, NULL, OPT_HOSTMEM},
	    {"host-swap-rate", required_argument, NULL, OPT_SWAPRATE},
	    {"no-host-swap", no_argument, NULL, OPT_NOSWAP},
	    {"host-ram", required_argument, NULL, OPT_HOSTRAM},
	    {"host-swap-eager", no_argument, NULL, OPT_SWAPEAGER},
	    {"no-probe-scale", no_argument, NULL, OPT_NOPROBESCALE},
	    {"out", required_argument, NULL, OPT_OUT},
	    {"sample-ms", required_argument, NULL, OPT_SAMPLE},
	    {"check", no_argument, NULL, OPT_CHECK},
	    {"plan", no_argument, NULL, OPT_PLAN},
	    {"slo", required_argument, NULL, OPT_SLO},
	    {"max-over", required_argument, NULL, OPT_MAXOVER},
	    {"max-vms", required_argument, NULL, OPT_MAXVMS},
	    {"proxmox-target", required_argument, NULL, OPT_PVETARGET},
	    {"ksm-policy", required_argument, NULL, OPT_KSMPOLICY},
	    {"help", no_argument, NULL, OPT_HELP},
	    {NULL, 0, NULL, 0},
	};
	const char *prog = argc > 0 && argv[0] ? argv[0] : "sim";
	double hours = 24;
	int c;
	optind = 0; /* GNU: full re-initialisation, sim_main may be called more than once */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const char *v = optarg;
		int bad = 0;
		switch (c) {
		case OPT_FLEET:
			a->fleet_path = v;
			break;
		case OPT_GEN:
			a->gen = v;
			bad = !sim_gen_known(v);
			break;
		case OPT_VMS:
			bad = sim_u64(v, 1, SIM_FLEET_MAX_VMS, &a->vms);
			a->have_vms = true;
			break;
		case OPT_SEED:
			bad = sim_u64(v, 0, UINT64_MAX, &a->cfg.seed);
			break;
		case OPT_HOURS:
			bad = sim_double(v, 0.001, 24.0 * 366, &hours);
			break;
		case OPT_STEP:
			bad = sim_u64(v, 10, 3600000, &a->cfg.step_ms);
			a->have_step = true;
			break;
		case OPT_BALANCE:
			bad = sim_u64(v, 10, 3600000, &a->cfg.balance_ms);
			break;
		case OPT_STATS:
			bad = sim_u64(v, 100, 3600000, &a->cfg.stats_period_ms);
			break;
		case OPT_DELAY:
			bad = sim_u64(v, 0, 3600000, &a->cfg.collect_delay_ms);
			break;
		case OPT_POLICY: {
			enum policy_kind k;
			a->policy = v;
			bad = strcmp(v, "all") && policy_kind_parse(v, &k);
			break;
		}
		case OPT_HOSTMEM:
			bad = size_parse(v, &a->cfg.host_mem_bytes) || a->cfg.host_mem_bytes == 0;
			a->have_host = true;
			break;
		case OPT_SWAPRATE:
			bad = size_parse(v, &a->cfg.host_swap_bytes_per_s) ||
			      a->cfg.host_swap_bytes_per_s == 0;
			break;
		case OPT_NOSWAP:
			a->cfg.host_swap = false;
			break;
		case OPT_HOSTRAM:
			bad = size_parse(v, &a->cfg.host_ram_bytes) || a->cfg.host_ram_bytes == 0;
			break;
		case OPT_SWAPEAGER:
			a->cfg.host_swap_eager = true;
			break;
		case OPT_NOPROBESCALE:
			a->cfg.probe_unscaled = true;
			break;
		case OPT_OUT:
			a->cfg.out_dir = v;
			bad = !*v;
			break;
		case OPT_SAMPLE:
			bad = sim_u64(v, 10, 366ULL * 24 * 3600 * 1000, &a->cfg.sample_ms);
			break;
		case OPT_CHECK:
			a->cfg.check = true;
			break;
		case OPT_PLAN:
			a->plan = true;
			break;
		case OPT_SLO:
			bad = sim_double(v, 0, 100, &a->slo_pct);
			break;
		case OPT_MAXOVER:
			bad = sim_double(v, 0, 100, &a->max_over_pct);
			break;
		case OPT_MAXVMS:
			bad = sim_u64(v, 1, SIM_FLEET_MAX_VMS, &a->max_vms);
			break;
		case OPT_PVETARGET: {
			uint64_t pct = 0;
			bad = sim_u64(v, 0, 100, &pct);
			a->cfg.proxmox_target_percent = (uint32_t)pct;
			break;
		}
		case OPT_KSMPOLICY:
			if (strcmp(v, "blimp") == 0)
				a->cfg.ksm_policy = POLICY_KSM_BLIMP;
			else if (strcmp(v, "ksmtuned") == 0)
				a->cfg.ksm_policy = POLICY_KSM_KSMTUNED;
			else
				bad = 1;
			break;
		case OPT_HELP:
			sim_usage(stdout, prog);
			return 1;
		default:
			fprintf(stderr, "%s: unknown option or missing value: %s\n", prog,
				optind > 0 && optind <= argc ? argv[optind - 1] : "?");
			return -EINVAL;
		}
		if (bad) {
			fprintf(stderr, "%s: bad value '%s' for --%s\n", prog, v,
				opts[c - OPT_FLEET].name);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		return -EINVAL;
	}
	if (!!a->fleet_path == !!a->gen) {
		fprintf(stderr, "%s: give exactly one of --fleet FILE and --gen NAME\n", prog);
		return -EINVAL;
	}
	if (a->fleet_path && a->have_vms && !a->plan) {
		fprintf(stderr, "%s: --vms goes with --gen (a fleet file says its own VMs)\n",
			prog);
		return -EINVAL;
	}
	a->cfg.duration_ms = (uint64_t)llround(hours * 3600.0 * 1000.0);
	if (!a->have_step)
		a->cfg.step_ms = a->cfg.balance_ms;
	return 0;
}

static int sim_mkdir(const char *dir)
{
	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "sim: %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	return 0;
}

static double sim_wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sim_do_plan(struct sim_args *a, const struct sim_fleet *base, enum policy_kind *kinds,
		       size_t nk)
{
	struct sim_capacity_opts o = {
	    .gen = a->gen,
	    .base = base,
	    .slo_pct = a->slo_pct,
	    .max_over_pct = a->max_over_pct,
	    .max_vms = a->max_vms,
	    .out_dir = a->cfg.out_dir,
	};
	struct sim_capacity_result *res = calloc(nk, sizeof(*res));
	if (!res)
		return 1;
	char err[512];
	int rc = 0;
	printf("capacity: host %.1f GiB, %.2f h, SLO violation time <= %.2f%%, no guest OOM",
	       (double)a->cfg.host_mem_bytes / (double)MODEL_GIB,
	       (double)a->cfg.duration_ms / 3600000.0, a->slo_pct);
	if (a->max_over_pct < 100)
		printf(", over budget <= %.2f%% of time", a->max_over_pct);
	printf("\n%-8s %8s %10s %8s %8s %9s %6s %9s %10s\n", "policy", "max_vms", "overcommit",
	       "slo_pct", "over_pct", "saved_gib", "runs", "swap_gib", "swap_used");
	for (size_t k = 0; k < nk; k++) {
		struct sim_config c = a->cfg;
		c.policy = kinds[k];
		if (sim_capacity(&c, &o, &res[k], err, sizeof(err))) {
			fprintf(stderr, "sim: plan (%s): %s\n", policy_kind_name(kinds[k]), err);
			rc = 1;
			goto out;
		}
		const struct sim_result *m = &res[k].at_max;
		printf("%-8s %7zu%s %10.2f %8.3f %8.2f %9.1f %6zu %9.1f %10.2f\n",
		       policy_kind_name(kinds[k]), res[k].max_vms, res[k].capped ? "+" : " ",
		       m->overcommit_peak_permyriad / 10000.0, sim_result_slo_pct(m),
		       sim_result_over_pct(m), (double)m->saved_mean_bytes / (double)MODEL_GIB,
		       res[k].n_points, (double)res[k].esx_swap_bytes / (double)MODEL_GIB,
		       (double)m->host_swapped_peak_bytes / (double)MODEL_GIB);
		fflush(stdout);
	}
	if (a->cfg.out_dir) {
		if (sim_mkdir(a->cfg.out_dir)) {
			rc = 1;
			goto out;
		}
		int r = sim_capacity_plot(a->cfg.out_dir, res, nk, a->slo_pct,
					  a->cfg.host_mem_bytes, err, sizeof(err));
		if (r && r != -ENOENT) {
			fprintf(stderr, "sim: plot: %s\n", err);
			rc = 1;
			goto out;
		}
		if (r == -ENOENT)
			fprintf(stderr, "sim: %s\n", err);
		else
			printf("plot: %s/capacity.png\n", a->cfg.out_dir);
	}
	printf("RESULT host_gib=%.1f slo_pct=%.2f max_over_pct=%.2f",
	       (double)a->cfg.host_mem_bytes / (double)MODEL_GIB, a->slo_pct, a->max_over_pct);
	for (size_t k = 0; k < nk; k++)
		printf(" %s_max_vms=%zu %s_swap_esx_gib=%.2f %s_swap_peak_gib=%.2f",
		       policy_kind_name(kinds[k]), res[k].max_vms, policy_kind_name(kinds[k]),
		       (double)res[k].esx_swap_bytes / (double)MODEL_GIB,
		       policy_kind_name(kinds[k]),
		       (double)res[k].at_max.host_swapped_peak_bytes / (double)MODEL_GIB);
	printf("\n");
	printf("swap_gib: host swap the fleet at max_vms needs by ESX's rule (a swap file of "
	       "MEMSZ - reservation per VM); swap_used: the peak the simulated run used\n");
out:
	free(res);
	return rc;
}

static int sim_do_runs(struct sim_args *a, const struct sim_fleet *f, enum policy_kind *kinds,
		       size_t nk)
{
	char err[512], dir[4096];
	struct sim_result res[POLICY__COUNT];
	bool all = nk > 1;
	if (a->cfg.out_dir && all && sim_mkdir(a->cfg.out_dir))
		return 1;
	for (size_t k = 0; k < nk; k++) {
		struct sim_config c = a->cfg;
		c.policy = kinds[k];
		if (c.out_dir && all) {
			if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", a->cfg.out_dir,
					     policy_kind_name(kinds[k])) >= sizeof(dir)) {
				fprintf(stderr, "sim: --out path too long\n");
				return 1;
			}
			c.out_dir = dir;
		}
		double t0 = sim_wall_s();
		int r = sim_run(&c, f, &res[k], err, sizeof(err));
		double wall = sim_wall_s() - t0;
		if (r) {
			fprintf(stderr, "sim: %s: %s\n", policy_kind_name(kinds[k]), err);
			return 1;
		}
		sim_result_print(stdout, &res[k]);
		fflush(stdout);
		double vm_steps = (double)f->n * (double)(c.duration_ms / c.step_ms);
		fprintf(stderr, "sim: %s: wall %.3f s (policy_run %.3f s), %.1f ns per VM-step\n",
			policy_kind_name(kinds[k]), wall, (double)res[k].policy_ns / 1e9,
			vm_steps > 0 ? wall * 1e9 / vm_steps : 0);
		fflush(stdout);
	}
	printf("RESULT vms=%zu hours=%.2f host_mib=%.0f seed=%llu", f->n,
	       (double)a->cfg.duration_ms / 3600000.0,
	       (double)a->cfg.host_mem_bytes / (double)MODEL_MIB, (unsigned long long)a->cfg.seed);
	if (!all)
		printf(" policy=%s", policy_kind_name(kinds[0]));
	for (size_t k = 0; k < nk; k++) {
		char prefix[32];
		snprintf(prefix, sizeof(prefix), "%s_", policy_kind_name(kinds[k]));
		sim_result_kv(stdout, &res[k], all ? prefix : "");
	}
	printf("\n");
	return 0;
}

int sim_main(int argc, char **argv)
{
	struct sim_args a;
	memset(&a, 0, sizeof(a));
	sim_config_default(&a.cfg);
	a.slo_pct = 1.0;
	a.max_over_pct = 100.0;
	a.max_vms = 100000;
	int r = sim_parse_args(argc, argv, &a);
	if (r > 0)
		return 0; /* --help */
	if (r) {
		fprintf(stderr, "try --help\n");
		return 2;
	}
	enum policy_kind kinds[POLICY__COUNT];
	size_t nk = 0;
	if (!a.policy ? a.plan : strcmp(a.policy, "all") == 0) {
		for (unsigned k = 0; k < POLICY__COUNT; k++)
			kinds[nk++] = (enum policy_kind)k;
	} else {
		enum policy_kind k = POLICY_BLIMP;
		if (a.policy && policy_kind_parse(a.policy, &k))
			return 2;
		kinds[nk++] = k;
	}

	struct sim_fleet fleet;
	sim_fleet_init(&fleet);
	char err[512];
	if (a.fleet_path) {
		r = sim_fleet_load(a.fleet_path, &fleet, err, sizeof(err));
		if (r) {
			fprintf(stderr, "sim: %s\n", err);
			return 2;
		}
	} else if (!a.plan) {
		size_t n = a.have_vms ? a.vms : strcmp(a.gen, "demo") == 0 ? 4 : 100;
		r = sim_gen(a.gen, n, a.cfg.seed, &fleet);
		if (r) {
			fprintf(stderr, "sim: generating %s: %s\n", a.gen, strerror(-r));
			return 1;
		}
	}
	if (!a.have_host)
		a.cfg.host_mem_bytes =
		    a.plan ? 64 * MODEL_GIB : sim_fleet_memsz_bytes(&fleet) / 3 * 2;
	if (sim_config_validate(&a.cfg, err, sizeof(err))) {
		fprintf(stderr, "sim: %s\n", err);
		sim_fleet_free(&fleet);
		return 2;
	}
	int rc;
	if (a.plan) {
		if (a.have_vms && !a.gen)
			a.max_vms = a.vms;
		rc = sim_do_plan(&a, &fleet, kinds, nk);
	} else {
		rc = sim_do_runs(&a, &fleet, kinds, nk);
	}
	sim_fleet_free(&fleet);
	return rc;
}
