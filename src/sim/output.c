/*
 * Timeline CSVs (--out DIR: vms.csv, host.csv), the summary and the RESULT fields.
 * Every number in a file is an integer, so equal runs give byte-identical files.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/internal.h"

#define OUT_BUF_BYTES (1 << 20)

static FILE *out_open(const char *dir, const char *name, char *err, size_t errlen)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", dir);
		errno = ENAMETOOLONG;
		return NULL;
	}
	FILE *f = fopen(path, "we");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	setvbuf(f, NULL, _IOFBF, OUT_BUF_BYTES);
	return f;
}

int sim_output_open(struct sim *s, char *err, size_t errlen)
{
	const char *dir = s->cfg.out_dir;
	if (!dir)
		return 0;
	if (mkdir(dir, 0755) && errno != EEXIST) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(e));
		return -e;
	}
	s->out_vms = out_open(dir, "vms.csv", err, errlen);
	if (!s->out_vms)
		return -errno;
	s->out_host = out_open(dir, "host.csv", err, errlen);
	if (!s->out_host)
		return -errno;
	fprintf(s->out_vms, "t_s,vm,running,ws,actual,target,entitlement,reason,consumed,"
			    "shared,guest_swapped,host_swapped,cgroup_limit,loss_permyriad,"
			    "oom_kills\n");
	fprintf(s->out_host, "t_s,state,budget,free,consumed,ovhd,shared,host_swapped,"
			     "overcommit_permyriad,running,violating,ksm_pages_to_scan\n");
	return 0;
}

void sim_output_rows(struct sim *s)
{
	uint64_t t_s = s->now_ms / 1000;
	for (size_t i = 0; i < s->n; i++) {
		const struct sim_vm *vm = &s->vms[i];
		const struct vm_plan *p = &s->plan_vms[i];
		fprintf(s->out_vms,
			"%llu,%s,%d,%llu,%llu,%llu,%llu,%s,%llu,%llu,%llu,%llu,%llu,%u,%llu\n",
			(unsigned long long)t_s, s->fleet->vms[i].name, vm->running ? 1 : 0,
			(unsigned long long)vm->ws, (unsigned long long)vm->actual,
			(unsigned long long)p->target_bytes,
			(unsigned long long)p->entitlement_bytes, model_plan_reason_name(p->reason),
			(unsigned long long)vm->consumed, (unsigned long long)vm->shared,
			(unsigned long long)vm->guest_swapped, (unsigned long long)vm->host_swapped,
			(unsigned long long)p->cgroup_limit_bytes,
			(unsigned)(vm->loss * MODEL_PERMYRIAD), (unsigned long long)vm->oom_kills);
	}
	const struct host_plan *hp = &s->plan.host;
	fprintf(s->out_host, "%llu,%s,%llu,%llu,%llu,%llu,%llu,%llu,%u,%zu,%zu,%u\n",
		(unsigned long long)t_s, model_host_state_name(hp->state),
		(unsigned long long)hp->budget_bytes, (unsigned long long)hp->free_bytes,
		(unsigned long long)s->sum_consumed, (unsigned long long)s->sum_ovhd,
		(unsigned long long)s->sum_shared, (unsigned long long)s->sum_host_swapped,
		(unsigned)(s->sum_memsz_running * MODEL_PERMYRIAD / (double)s->cfg.host_mem_bytes),
		s->n_running, s->n_violating, hp->ksm_run ? hp->ksm_pages_to_scan : 0);
}

static int out_close(FILE **f)
{
	if (!*f)
		return 0;
	int bad = ferror(*f);
	int e = fclose(*f);
	*f = NULL;
	return bad || e ? -EIO : 0;
}

int sim_output_close(struct sim *s)
{
	int a = out_close(&s->out_vms);
	int b = out_close(&s->out_host);
	return a ? a : b;
}

static double out_mib(uint64_t b)
{
	return (double)b / (double)MODEL_MIB;
}

void sim_result_print(FILE *out, const struct sim_result *r)
{
	double dur = r->duration_ms ? (double)r->duration_ms : 1;
	fprintf(out, "policy %s: %zu VMs, %.2f h, budget %.0f MiB\n", policy_kind_name(r->policy),
		r->n_vms, (double)r->duration_ms / 3600000.0, out_mib(r->budget_bytes));
	fprintf(out, "  SLO violation time   %.3f%% of VM time (%llu VMs ever violated)\n",
		sim_result_slo_pct(r), (unsigned long long)r->vms_violating);
	fprintf(out, "  throughput lost      %.3f%%\n",
		r->vm_run_ms ? 100.0 * r->vm_loss_ms / (double)r->vm_run_ms : 0.0);
	fprintf(out, "  guest OOM kills      %llu\n", (unsigned long long)r->guest_ooms);
	fprintf(out, "  overcommit           peak %.2f, mean %.2f (sum MEMSZ / budget)\n",
		r->overcommit_peak_permyriad / 10000.0, r->overcommit_mean_permyriad / 10000.0);
	fprintf(out, "  memory saved         mean %.0f MiB (MEMSZ - CONSUMED), KSM %.0f MiB\n",
		out_mib(r->saved_mean_bytes), out_mib(r->ksm_saved_mean_bytes));
	fprintf(out, "  host swap            peak %.0f MiB, unmanaged overflow %.2f%% of time\n",
		out_mib(r->host_swapped_peak_bytes), 100.0 * (double)r->host_overflow_ms / dur);
	fprintf(out, "  over budget          %.2f%% of time (CONSUMED + OVHD above the budget)\n",
		sim_result_over_pct(r));
	if (r->ws_shortfall_ms)
		fprintf(out,
			"  working sets         exceed the budget + host swap %.2f%% of time, "
			"by up to %.0f MiB\n",
			100.0 * (double)r->ws_shortfall_ms / dur,
			out_mib(r->ws_shortfall_peak_bytes));
	fprintf(out, "  host states         ");
	uint64_t tot = 0;
	for (int i = 0; i < HOST_STATE__COUNT; i++)
		tot += r->state_ms[i];
	for (int i = 0; i < HOST_STATE__COUNT; i++)
		fprintf(out, " %s %.1f%%", model_host_state_name((enum host_state)i),
			tot ? 100.0 * (double)r->state_ms[i] / (double)tot : 0.0);
	fprintf(out, "\n");
}

void sim_result_kv(FILE *out, const struct sim_result *r, const char *prefix)
{
	const char *p = prefix ? prefix : "";
	uint64_t tot = 0;
	for (int i = 0; i < HOST_STATE__COUNT; i++)
		tot += r->state_ms[i];
	fprintf(out,
		" %sslo_violation_pct=%.3f %sguest_ooms=%llu %sovercommit_peak=%.2f "
		"%sovercommit_mean=%.2f %ssaved_mib=%.0f %sksm_saved_mib=%.0f "
		"%shost_swap_peak_mib=%.0f %sover_budget_pct=%.2f",
		p, sim_result_slo_pct(r), p, (unsigned long long)r->guest_ooms, p,
		r->overcommit_peak_permyriad / 10000.0, p, r->overcommit_mean_permyriad / 10000.0,
		p, out_mib(r->saved_mean_bytes), p, out_mib(r->ksm_saved_mean_bytes), p,
		out_mib(r->host_swapped_peak_bytes), p, sim_result_over_pct(r));
	fprintf(out, " %sws_shortfall_pct=%.2f %sws_shortfall_peak_mib=%.0f", p,
		r->duration_ms ? 100.0 * (double)r->ws_shortfall_ms / (double)r->duration_ms : 0.0,
		p, out_mib(r->ws_shortfall_peak_bytes));
	for (int i = 0; i < HOST_STATE__COUNT; i++)
		fprintf(out, " %sstate_%s_pct=%.1f", p, model_host_state_name((enum host_state)i),
			tot ? 100.0 * (double)r->state_ms[i] / (double)tot : 0.0);
}
