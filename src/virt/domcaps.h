/*
 * What blimp needs of a domain's XML (docs/domains.md), read from its live XML: the
 * balloon device (model, deflate-on-OOM, free page reporting, stats period), the
 * domain type (kvm, or qemu = TCG) and whether a TCG guest's translation cache is
 * set. virt_domcaps_parse is pure and takes untrusted text: it never reads past the
 * string, never recurses, and a document it cannot follow is -EINVAL (the daemon then
 * treats every capability as missing).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "virt/conn.h"

enum virt_domcaps_type {
	VIRT_DOMCAPS_TYPE_OTHER, /* xen, lxc, test, ... or no type attribute */
	VIRT_DOMCAPS_TYPE_KVM,
	VIRT_DOMCAPS_TYPE_QEMU, /* QEMU without KVM: TCG */
};

enum virt_domcaps_balloon {
	VIRT_DOMCAPS_BALLOON_ABSENT, /* no <memballoon> element */
	VIRT_DOMCAPS_BALLOON_NONE,   /* <memballoon model='none'> */
	VIRT_DOMCAPS_BALLOON_VIRTIO, /* virtio, virtio-transitional, virtio-non-transitional */
	VIRT_DOMCAPS_BALLOON_OTHER,  /* a model blimp does not know (xen, ...) */
};

struct virt_domcaps {
	enum virt_domcaps_type type;
	enum virt_domcaps_balloon balloon;
	bool autodeflate;         /* <memballoon autodeflate='on'> (deflate-on-OOM) */
	bool free_page_reporting; /* <memballoon freePageReporting='on'> */
	unsigned stats_period_s;  /* <memballoon><stats period='N'/>, 0 = none */
	bool tb_cache;            /* <features><tcg><tb-cache> present */
	bool nosharepages;        /* <memoryBacking><nosharepages/>: QEMU mem-merge=off */
	uint64_t tb_cache_bytes;  /* its size; 0 when the unit is unknown */
};

/* Parse a domain's XML. 0, or -EINVAL (*out zeroed) when xml is not a well-formed
 * <domain> document as far as this reader follows it (unbalanced or unterminated
 * tags, comments or attribute values, nesting deeper than 256, a non-number period). */
int virt_domcaps_parse(const char *xml, struct virt_domcaps *out)
	__attribute__((warn_unused_result));

const char *virt_domcaps_type_name(enum virt_domcaps_type t);
const char *virt_domcaps_balloon_name(enum virt_domcaps_balloon b);

/* A domain's capabilities from its live XML (virDomainGetXMLDesc). 0, -ENOENT, -EIO,
 * -EINVAL (unreadable XML). */
int virt_dom_caps(struct virt_conn *c, const char *uuid, struct virt_domcaps *out)
	__attribute__((warn_unused_result));
