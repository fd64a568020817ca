/*
 * libFuzzer target: blimp's domain <metadata> element read back from XML
 * (virt_meta_parse), on any bytes as a string, and a format/parse round trip.
 * Invariants (trap on violation):
 *  - 0 or -EINVAL; on error the outputs are untouched; managed comes from 0 or 1;
 *  - settings that parsed validate or fail with a reason (virt_meta_validate);
 *  - what virt_meta_format writes (bare, and inside a domain XML with the input's
 *    text around it) parses back to the same settings;
 *  - settings from the first 33 input bytes survive format + parse exactly.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virt/meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fz_roundtrip(const struct vm_settings *s, bool managed)
{
	char xml[1024];
	struct vm_settings back;
	bool m;
	for (int in_domain = 0; in_domain < 2; in_domain++) {
		if (virt_meta_format(s, managed, in_domain, xml, sizeof(xml)) != 0)
			__builtin_trap();
		memset(&back, 0xa5, sizeof(back));
		if (virt_meta_parse(xml, &back, &m) != 0 || m != managed ||
		    memcmp(&back, s, sizeof(back)) != 0)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *xml = malloc(size + 1);
	if (!xml)
		return 0;
	memcpy(xml, data, size);
	xml[size] = '\0';

	struct vm_settings s, canary;
	memset(&s, 0x5a, sizeof(s));
	canary = s;
	bool managed = false;
	int r = virt_meta_parse(xml, &s, &managed);
	if (r == 0) {
		char err[256] = "";
		uint64_t memsz = 1ULL << 30;
		int v = virt_meta_validate(&s, memsz, err, sizeof(err));
		if (v != 0 && (v != -ERANGE && v != -EINVAL))
			__builtin_trap();
		if (v != 0 && err[0] == '\0')
			__builtin_trap();
		fz_roundtrip(&s, managed);
	} else {
		if (r != -EINVAL || memcmp(&s, &canary, sizeof(s)) != 0 || managed)
			__builtin_trap();
	}

	/* our element embedded in a domain XML between hostile text: found, and read
	 * the same, whenever the surrounding text holds no other blimp element */
	if (size >= 33) {
		struct vm_settings t;
		memcpy(&t, data, sizeof(t));
		bool m = data[32] & 1;
		fz_roundtrip(&t, m);
		char el[1024];
		if (virt_meta_format(&t, m, true, el, sizeof(el)) != 0)
			__builtin_trap();
		size_t half = (size - 33) / 2;
		size_t ellen = strlen(el);
		char *doc = malloc(size - 33 + ellen + 1);
		if (!doc) {
			free(xml);
			return 0;
		}
		memcpy(doc, data + 33, half);
		memcpy(doc + half, el, ellen);
		memcpy(doc + half + ellen, data + 33 + half, size - 33 - half);
		doc[size - 33 + ellen] = '\0';
		size_t doclen = strlen(doc);
		struct vm_settings back;
		bool mb;
		bool clean = doclen == size - 33 + ellen &&
			     !memmem(data + 33, size - 33, "<", 1) &&
			     !memmem(data + 33, size - 33, VIRT_META_NS, strlen(VIRT_META_NS));
		r = virt_meta_parse(doc, &back, &mb);
		if (clean && (r != 0 || mb != m || memcmp(&back, &t, sizeof(t)) != 0))
			__builtin_trap();
		free(doc);
	}
	free(xml);
	return 0;
}
