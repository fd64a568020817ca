/*
 * libFuzzer target: the Prometheus rendering (metrics_render) of VMs whose names and
 * figures come from the input (a domain name is the guest owner's choice: quotes,
 * backslashes, newlines, bytes >= 0x80), and metrics_parse_listen on the input as a
 * string. Invariants (trap on violation):
 *  - rendering succeeds and the text ends with a newline;
 *  - every line is a comment or `name{label="escaped",...} value`, so no label value
 *    can break a line or a series;
 *  - the text is valid UTF-8 whatever bytes the names hold (Prometheus refuses a
 *    scrape that is not);
 *  - exactly one blimp_vm_memsz_bytes sample per VM;
 *  - metrics_parse_listen returns 0 or -EINVAL only.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/metrics.h"
#include "fz_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool fz_line_ok(const char *l, size_t len)
{
	size_t i = 0;
	if (len && l[0] == '#')
		return true;
	while (i < len && l[i] != '{' && l[i] != ' ')
		if (!((l[i] >= 'a' && l[i] <= 'z') || l[i] == '_' || (l[i] >= '0' && l[i] <= '9')))
			return false;
		else
			i++;
	if (i < len && l[i] == '{') {
		i++;
		while (i < len && l[i] != '}') {
			while (i < len && l[i] != '=')
				i++;
			if (i + 1 >= len || l[i + 1] != '"')
				return false;
			i += 2;
			while (i < len && l[i] != '"') {
				if (l[i] == '\\') {
					if (i + 1 >= len || !strchr("\\\"n", l[i + 1]))
						return false;
					i++;
				}
				i++;
			}
			if (i >= len)
				return false;
			i++;
			if (i < len && l[i] == ',')
				i++;
		}
		if (i >= len)
			return false;
		i++;
	}
	return i + 1 < len && l[i] == ' ';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *str = malloc(size + 1);
	if (!str)
		return 0;
	memcpy(str, data, size);
	str[size] = '\0';
	struct sockaddr_storage ss;
	socklen_t sl;
	int r = metrics_parse_listen(str, &ss, &sl);
	if (r != 0 && r != -EINVAL)
		__builtin_trap();
	free(str);

	/* VMs: names are the input cut at '\0' bytes (at most 16 VMs); figures from bytes */
	struct metrics_vm vms[16];
	size_t n = 0, pos = 0;
	while (pos < size && n < 16) {
		struct metrics_vm *v = &vms[n];
		memset(v, 0, sizeof(*v));
		size_t k = 0;
		while (pos < size && data[pos] && k + 1 < sizeof(v->name))
			v->name[k++] = (char)data[pos++];
		while (pos < size && data[pos]) /* the rest of an overlong name */
			pos++;
		pos++;
		memcpy(v->uuid, v->name, sizeof(v->uuid) - 1);
		uint64_t x = 0;
		for (size_t j = 0; j < 8 && pos < size; j++)
			x = x << 8 | data[pos++];
		v->memsz = x;
		v->consumed = ~x;
		v->actv_host = (int64_t)x;
		v->stats_age_ms = (int64_t)(x >> 1) * ((x & 1) ? -1 : 1);
		v->running = x & 1;
		n++;
	}
	struct metrics_snapshot s = {.vms = vms, .n_vms = n};
	s.host.state_known = size & 1;
	s.host.state = (enum host_state)(size % HOST_STATE__COUNT);
	s.host.psi_some_avg10_permyriad = (uint32_t)size * 977;
	metrics_hist_observe(&s.collect, (double)size / 1000.0);
	struct metrics_text t = {0};
	if (metrics_render(&s, &t) < 0 || !t.len || t.buf[t.len - 1] != '\n')
		__builtin_trap();
	if (!fz_utf8_valid((const unsigned char *)t.buf, t.len))
		__builtin_trap();
	size_t memsz_lines = 0;
	for (const char *p = t.buf; *p;) {
		const char *nl = strchr(p, '\n');
		if (!nl || !fz_line_ok(p, (size_t)(nl - p)))
			__builtin_trap();
		if (!strncmp(p, "blimp_vm_memsz_bytes{", 21))
			memsz_lines++;
		p = nl + 1;
	}
	if (memsz_lines != n)
		__builtin_trap();
	metrics_text_free(&t);
	return 0;
}
