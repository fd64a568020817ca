/*
 * Capacity planning: the largest fleet a host holds under a policy within an SLO.
 *
 * DESIGN: feasible(n) = one full run of n VMs with SLO violation time <= slo_pct, no
 * guest OOM kill and time over the budget <= max_over_pct (bench/density's rule: a
 * policy that leaves the VMs above the budget stands for a host that swaps or OOMs;
 * with --host-ram above the budget the simulated host does not reclaim by itself, so
 * that rule is the only thing that catches it). Double n from 1 until it fails (or
 * reaches max_vms), then bisect between the last success and the first failure:
 * O(log n) runs per policy. Every run is recorded as a point for the plot. Generated
 * fleets are prefix-stable, so fleet n + 1 is fleet n plus one VM.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/sim.h"

static int cap_fleet(const struct sim_capacity_opts *o, uint64_t seed, size_t n,
		     struct sim_fleet *f)
{
	sim_fleet_init(f);
	int r = o->gen ? sim_gen(o->gen, n, seed, f) : sim_fleet_repeat(f, o->base, n);
	if (r)
		sim_fleet_free(f);
	return r;
}

/* ESX sizes each VM's swap file (.vswp) at MEMSZ - reservation. */
static uint64_t cap_esx_swap(const struct sim_fleet *f)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < f->n; i++) {
		const struct sim_vm_spec *v = &f->vms[i];
		uint64_t res = v->settings.reservation_bytes < v->memsz_bytes
				   ? v->settings.reservation_bytes
				   : v->memsz_bytes;
		sum += v->memsz_bytes - res;
	}
	return sum;
}

static int cap_try(const struct sim_config *c, const struct sim_capacity_opts *o, size_t n,
		   struct sim_capacity_result *out, struct sim_result *res, bool *ok,
		   uint64_t *esx_swap, char *err, size_t errlen)
{
	struct sim_fleet f;
	int r = cap_fleet(o, c->seed, n, &f);
	if (r) {
		snprintf(err, errlen, "building a fleet of %zu VMs: %s", n, strerror(-r));
		return r;
	}
	*esx_swap = cap_esx_swap(&f);
	r = sim_run(c, &f, res, err, errlen);
	sim_fleet_free(&f);
	if (r)
		return r;
	double slo = sim_result_slo_pct(res), over = sim_result_over_pct(res);
	*ok = slo <= o->slo_pct && res->guest_ooms == 0 && over <= o->max_over_pct;
	if (out->n_points < SIM_CAPACITY_MAX_POINTS) {
		struct sim_capacity_point *p = &out->points[out->n_points++];
		p->n_vms = n;
		p->slo_pct = slo;
		p->over_pct = over;
		p->guest_ooms = res->guest_ooms;
		p->overcommit_permyriad = res->overcommit_peak_permyriad;
	}
	return 0;
}

int sim_capacity(const struct sim_config *c, const struct sim_capacity_opts *o,
		 struct sim_capacity_result *out, char *err, size_t errlen)
{
	struct sim_config rc = *c;
	rc.out_dir = NULL;
	memset(out, 0, sizeof(*out));
	out->policy = c->policy;
	if (!o->gen && (!o->base || o->base->n == 0)) {
		snprintf(err, errlen, "no fleet to plan with");
		return -EINVAL;
	}
	size_t good = 0, bad = 0, n = 1, max = o->max_vms ? o->max_vms : SIM_FLEET_MAX_VMS;
	struct sim_result res;
	bool ok = false;
	uint64_t esx = 0;
	int r;
	while (n <= max) {
		r = cap_try(&rc, o, n, out, &res, &ok, &esx, err, errlen);
		if (r)
			return r;
		if (!ok) {
			bad = n;
			break;
		}
		good = n;
		out->at_max = res;
		out->esx_swap_bytes = esx;
		if (n == max)
			break;
		n = n > max / 2 ? max : n * 2;
	}
	if (!bad) {
		out->max_vms = good;
		out->capped = true;
		return 0;
	}
	while (bad - good > 1) {
		size_t mid = good + (bad - good) / 2;
		r = cap_try(&rc, o, mid, out, &res, &ok, &esx, err, errlen);
		if (r)
			return r;
		if (ok) {
			good = mid;
			out->at_max = res;
			out->esx_swap_bytes = esx;
		} else {
			bad = mid;
		}
	}
	out->max_vms = good;
	return 0;
}

static int cap_point_cmp(const void *a, const void *b)
{
	const struct sim_capacity_point *x = a, *y = b;
	return x->n_vms < y->n_vms ? -1 : x->n_vms > y->n_vms;
}

static int cap_run_gnuplot(const char *script, char *err, size_t errlen)
{
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		snprintf(err, errlen, "fork: %s", strerror(e));
		return -e;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0) {
			dup2(devnull, STDOUT_FILENO);
			close(devnull);
		}
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			int e = errno;
			snprintf(err, errlen, "waitpid: %s", strerror(e));
			return -e;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		snprintf(err, errlen, "gnuplot not found: data files written, no PNG");
		return -ENOENT;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "gnuplot failed (status %d)", status);
		return -EIO;
	}
	return 0;
}

int sim_capacity_plot(const char *dir, const struct sim_capacity_result *res, size_t n,
		      double slo_pct, uint64_t host_bytes, char *err, size_t errlen)
{
	if (strpbrk(dir, "'\"\n\\")) {
		snprintf(err, errlen, "%s: quotes, backslashes or newlines in the directory", dir);
		return -EINVAL;
	}
	char path[4096];
	for (size_t k = 0; k < n; k++) {
		struct sim_capacity_point pts[SIM_CAPACITY_MAX_POINTS];
		size_t np = res[k].n_points;
		memcpy(pts, res[k].points, np * sizeof(pts[0]));
		qsort(pts, np, sizeof(pts[0]), cap_point_cmp);
		snprintf(path, sizeof(path), "%s/capacity_%s.dat", dir,
			 policy_kind_name(res[k].policy));
		FILE *f = fopen(path, "we");
		if (!f) {
			int e = errno;
			snprintf(err, errlen, "%s: %s", path, strerror(e));
			return -e;
		}
		fprintf(f, "# n_vms slo_violation_pct guest_ooms overcommit\n");
		for (size_t i = 0; i < np; i++)
			fprintf(f, "%zu %.4f %llu %.3f\n", pts[i].n_vms, pts[i].slo_pct,
				(unsigned long long)pts[i].guest_ooms,
				pts[i].overcommit_permyriad / 10000.0);
		if (fclose(f)) {
			snprintf(err, errlen, "%s: write failed", path);
			return -EIO;
		}
	}
	snprintf(path, sizeof(path), "%s/capacity.gp", dir);
	FILE *g = fopen(path, "we");
	if (!g) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	fprintf(g,
		"set terminal pngcairo size 900,560 noenhanced\n"
		"set output '%s/capacity.png'\n"
		"set title 'VMs per %.1f GiB host: SLO violation time by fleet size'\n"
		"set xlabel 'VMs'\nset ylabel 'SLO violation time (%%)'\n"
		"set key top left\nset grid\n"
		"set logscale x 2\n",
		dir, (double)host_bytes / (double)MODEL_GIB);
	fprintf(g, "plot %.4f with lines dashtype 2 lc rgb 'gray' title 'SLO %.2f%%'", slo_pct,
		slo_pct);
	for (size_t k = 0; k < n; k++)
		fprintf(g, ", '%s/capacity_%s.dat' using 1:2 with linespoints title '%s (max %zu)'",
			dir, policy_kind_name(res[k].policy), policy_kind_name(res[k].policy),
			res[k].max_vms);
	fprintf(g, "\n");
	if (fclose(g)) {
		snprintf(err, errlen, "%s: write failed", path);
		return -EIO;
	}
	return cap_run_gnuplot(path, err, errlen);
}
