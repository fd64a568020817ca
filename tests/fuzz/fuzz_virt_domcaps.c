/*
 * libFuzzer target: virt_domcaps_parse on hostile domain XML (a foreign domain's XML
 * is written by whoever defined it; metadata and descriptions can hold anything).
 * Invariants (trap on violation): 0 or -EINVAL only; on -EINVAL the result is all
 * zero; a period within libvirt's int and blimp's bound; parsing is deterministic;
 * the input wrapped as <domain><metadata>INPUT</metadata>...</domain> never changes
 * what is read from the real <devices> after it when it parses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virt/domcaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond)                                                                             \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "domcaps invariant broken: %s (line %d)\n", #cond,         \
				__LINE__);                                                         \
			__builtin_trap();                                                          \
		}                                                                                  \
	} while (0)

static void fz_one(const char *xml, struct virt_domcaps *c)
{
	static const struct virt_domcaps zero;
	int r = virt_domcaps_parse(xml, c);
	FZ_CHECK(r == 0 || r == -EINVAL);
	if (r < 0)
		FZ_CHECK(memcmp(c, &zero, sizeof(zero)) == 0);
	FZ_CHECK(c->stats_period_s <= 86400);
	struct virt_domcaps again;
	FZ_CHECK(virt_domcaps_parse(xml, &again) == r);
	FZ_CHECK(memcmp(c, &again, sizeof(again)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char pre[] = "<domain type='kvm'><metadata>";
	static const char post[] = "</metadata><devices><memballoon model='virtio' "
				   "autodeflate='on'><stats period='7'/></memballoon>"
				   "</devices></domain>";
	char *buf = malloc(sizeof(pre) + size + sizeof(post));
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	struct virt_domcaps c;
	fz_one(buf, &c);

	memcpy(buf, pre, sizeof(pre) - 1);
	memcpy(buf + sizeof(pre) - 1, data, size);
	memcpy(buf + sizeof(pre) - 1 + size, post, sizeof(post));
	/* a NUL in the input ends the string early: then only the prefix is seen */
	if (memchr(data, '\0', size) == NULL) {
		fz_one(buf, &c);
		/* metadata that closes itself properly cannot reach the devices: when the
		 * wrapped document parses, the input was balanced inside <metadata> unless
		 * it closed metadata and opened its own (then it must still be a domain) */
		if (c.balloon == VIRT_DOMCAPS_BALLOON_VIRTIO && !memmem(data, size, "metadata", 8) &&
		    !memmem(data, size, "devices", 7) && !memmem(data, size, "domain", 6)) {
			FZ_CHECK(c.type == VIRT_DOMCAPS_TYPE_KVM);
			FZ_CHECK(c.autodeflate && c.stats_period_s == 7);
		}
	}
	free(buf);
	return 0;
}
