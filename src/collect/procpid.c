/*
 * DESIGN: the per-VM host view. smaps (streamed, see smaps.c) gives the totals and
 * the guest-RAM split in one pass, so smaps_rollup is not read (it would make the
 * kernel walk the page tables a second time for totals smaps already has).
 * ksm_stat is a tiny file.
 */
#include "collect/procpid.h"
#include "collect/parse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int parse_flag(const char *v, const char *end, bool *out)
{
	v = collect_skip_blanks(v, end);
	if (collect_rest_is(v, end, "yes"))
		*out = true;
	else if (collect_rest_is(v, end, "no"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

int collect_ksm_stat_parse(const char *buf, size_t len, struct collect_ksm_stat *out)
{
	if (!buf || !out)
		return -EINVAL;
	struct collect_ksm_stat k = {0};
	bool counts = false;
	struct collect_lines it;
	const char *line;
	size_t ll;
	collect_lines_init(&it, buf, len);
	while (collect_lines_next(&it, &line, &ll)) {
		const char *v, *end = line + ll;
		uint64_t *dst = NULL;
		int r = 0;
		if ((v = collect_field(line, ll, "ksm_rmap_items", ' ')))
			dst = &k.rmap_items;
		else if ((v = collect_field(line, ll, "ksm_merging_pages", ' ')))
			dst = &k.merging_pages;
		else if ((v = collect_field(line, ll, "ksm_zero_pages", ' ')))
			dst = &k.zero_pages;
		else if ((v = collect_field(line, ll, "ksm_process_profit", ' '))) {
			r = collect_i64_parse(&v, end, &k.process_profit_bytes);
			if (r == 0 && !collect_rest_is(v, end, NULL))
				r = -EINVAL;
		} else if ((v = collect_field(line, ll, "ksm_merge_any", ':')))
			r = parse_flag(v, end, &k.merge_any);
		else if ((v = collect_field(line, ll, "ksm_mergeable", ':')))
			r = parse_flag(v, end, &k.mergeable);
		if (dst) {
			r = collect_u64_parse(&v, end, dst);
			if (r == 0 && !collect_rest_is(v, end, NULL))
				r = -EINVAL;
			if (dst != &k.zero_pages)
				counts = true;
		}
		if (r < 0)
			return r;
	}
	if (!counts)
		return -EINVAL;
	k.found = true;
	*out = k;
	return 0;
}

int collect_ksm_stat_read(const char *path, struct collect_ksm_stat *out)
{
	char buf[1024];
	size_t len;
	int r = collect_file_read(path, buf, sizeof(buf), &len);
	if (r < 0)
		return r;
	return collect_ksm_stat_parse(buf, len, out);
}

void collect_proc_pid_combine(const struct collect_smaps *sm, const struct collect_ksm_stat *ksm,
			      uint64_t page_size, struct collect_proc_pid *out)
{
	memset(out, 0, sizeof(*out));
	out->rss_bytes = sm->rss_bytes;
	out->swap_bytes = sm->swap_bytes;
	out->guest_ram_match = sm->guest_ram_match;
	out->guest_ram_found = sm->guest_ram_match != COLLECT_GUEST_RAM_NONE;
	if (out->guest_ram_found) {
		out->guest_ram_size_bytes = sm->guest_ram_size_bytes;
		/* Mapping sums never exceed the totals; clamp in case of odd input. */
		out->guest_ram_rss_bytes = sm->guest_ram_rss_bytes < sm->rss_bytes
					       ? sm->guest_ram_rss_bytes
					       : sm->rss_bytes;
		out->guest_ram_swap_bytes = sm->guest_ram_swap_bytes < sm->swap_bytes
						? sm->guest_ram_swap_bytes
						: sm->swap_bytes;
		out->guest_ram_ksm_bytes = sm->guest_ram_ksm_bytes;
		out->guest_ram_ksm_known = sm->ksm_field_seen;
	}
	out->other_rss_bytes = collect_sub_floor(out->rss_bytes, out->guest_ram_rss_bytes);
	uint64_t shared = collect_sub_floor(
	    sm->shared_excess_bytes, out->guest_ram_found ? sm->guest_ram_shared_excess_bytes : 0);
	out->other_shared_bytes = shared < out->other_rss_bytes ? shared : out->other_rss_bytes;
	if (ksm && ksm->found) {
		out->ksm_stat_found = true;
		collect_mul_sat(ksm->merging_pages, page_size, &out->ksm_merging_bytes);
		collect_mul_sat(ksm->zero_pages, page_size, &out->ksm_zero_bytes);
	}
}

int collect_proc_pid_read(const char *pid_dir, uint64_t memsz_bytes, uint64_t page_size,
			  struct collect_proc_pid *out)
{
	if (!pid_dir || !out)
		return -EINVAL;
	if (!page_size)
		page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	char path[512];
	struct collect_smaps sm;
	struct collect_ksm_stat ksm = {0};
	if ((size_t)snprintf(path, sizeof(path), "%s/smaps", pid_dir) >= sizeof(path))
		return -ENAMETOOLONG;
	int r = collect_smaps_read(path, memsz_bytes, &sm);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/ksm_stat", pid_dir);
	r = collect_ksm_stat_read(path, &ksm);
	if (r < 0 && r != -ENOENT)
		return r;
	collect_proc_pid_combine(&sm, &ksm, page_size, out);
	return 0;
}

void collect_vm_host_figures(const struct collect_proc_pid *pp, struct collect_vm_figures *out)
{
	memset(out, 0, sizeof(*out));
	uint64_t merged = pp->guest_ram_ksm_known ? pp->guest_ram_ksm_bytes : pp->ksm_merging_bytes;
	if (pp->guest_ram_found) {
		out->consumed_bytes = collect_sub_floor(pp->guest_ram_rss_bytes, merged);
		out->ovhd_bytes = collect_sub_floor(pp->other_rss_bytes, pp->other_shared_bytes);
		out->swapped_bytes = pp->guest_ram_swap_bytes;
	} else {
		out->consumed_bytes = collect_sub_floor(pp->rss_bytes, pp->ksm_merging_bytes);
		out->ovhd_bytes = 0;
		out->swapped_bytes = pp->swap_bytes;
	}
	out->shared_bytes = pp->ksm_stat_found ? pp->ksm_merging_bytes : merged;
	out->zero_bytes = pp->ksm_zero_bytes;
}

void collect_vm_host_figures_to_snapshot(const struct collect_proc_pid *pp, struct vm_snapshot *vm)
{
	struct collect_vm_figures f;
	collect_vm_host_figures(pp, &f);
	vm->consumed_bytes = f.consumed_bytes;
	vm->ovhd_bytes = f.ovhd_bytes;
	vm->swapped_bytes = f.swapped_bytes;
	vm->shared_bytes = f.shared_bytes;
	vm->zero_bytes = f.zero_bytes;
}
