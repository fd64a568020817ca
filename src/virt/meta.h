/*
 * blimp's per-VM settings in the domain's <metadata>, namespace urn:blimp:memory:1:
 *   <memory><shares>N</shares><reservation>B</reservation><limit>B</limit>
 *           <maxmemctl>B</maxmemctl><managed>1</managed></memory>
 * (bytes; 0 = default). Parsing is strict about what it reads (digits only, no
 * overflow, each element once) and tolerant of namespace prefixes and unknown
 * elements, since libvirt hands the element back re-serialised.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

#define VIRT_META_NS "urn:blimp:memory:1"
#define VIRT_META_PREFIX "blimp"
#define VIRT_META_ELEMENT "memory"

/* The element as virDomainSetMetadata wants it (in_domain = false: no namespace,
 * libvirt adds it), or as it sits in a domain XML (in_domain = true: prefixed, with
 * the namespace declared). 0 or -ENOSPC. */
int virt_meta_format(const struct vm_settings *s, bool managed, bool in_domain, char *out,
		     size_t outlen)
	__attribute__((warn_unused_result));

/* Parse what virDomainGetMetadata returned. 0 or -EINVAL; outputs untouched on error. */
int virt_meta_parse(const char *xml, struct vm_settings *s, bool *managed)
	__attribute__((warn_unused_result));

/* Settings a VM of this MEMSZ can honour: reservation <= MEMSZ, limit (when set) >=
 * reservation and <= MEMSZ, maxmemctl <= MEMSZ, shares <= 10^9. 0 or -EINVAL/-ERANGE
 * with a one-line reason. */
int virt_meta_validate(const struct vm_settings *s, uint64_t memsz_bytes, char *err,
		       size_t errlen) __attribute__((warn_unused_result));
