/*
 * Domain XML for a VM blimp starts: a pure function from a spec to a string, so the
 * tests can check escaping and rejected names without libvirt. Every string that
 * reaches the XML is escaped; the VM name is validated first (it also names files).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

/* The most the guest command may take (bytes, before hex): the x86 kernel command line
 * holds 2048 bytes and the hex doubles it. */
#define VIRT_GUEST_CMD_MAX 900

struct virt_domain_spec {
	const char *name;        /* validated with virt_name_valid */
	const char *domain_type; /* "kvm" or "qemu" (virt_accel_domain_type) */
	uint64_t memsz_bytes;    /* MEMSZ: memory = currentMemory; multiple of 1 KiB */
	unsigned vcpus;          /* 1..64 */
	const char *kernel;      /* absolute paths */
	const char *initrd;      /* may be NULL */
	const char *guest_cmd;   /* shell command run at boot (blimp.cmd=hex), may be NULL */
	bool balloon_driver;     /* false: blimp.nomod=virtio_balloon */
	bool free_page_reporting;
	bool nosharepages;       /* <memoryBacking><nosharepages/>: KSM never merges it */
	const char *data_disk;   /* read-only shared disk (serial blimpdata), may be NULL */
	bool data_disk_norelabel; /* embedded: libvirt's DAC driver leaves data_disk's owner */
	const char *swap_disk;   /* per-VM swap disk (serial blimpswap), may be NULL */
	const char *console_log; /* serial ttyS0 to this file */
	const char *agent_sock;  /* virtio console, QEMU listens here */
	unsigned stats_period_s; /* memballoon stats period, 0 = none */
	unsigned tcg_tb_cache_mib; /* "qemu" (TCG) domains: translation cache size, 0 = QEMU's */
	struct vm_settings settings; /* stored in <metadata> */
};

/* [A-Za-z0-9][A-Za-z0-9_.-]{0,62}. */
bool virt_name_valid(const char *name);

/* Append s to out with &<>"' escaped. */
void virt_xml_escape(const char *s, char *out, size_t outlen);

/* Shell-quote argv into one command line ('a' 'b c' 'it'\''s'). 0, -EINVAL (no
 * arguments, a NUL-free string is all it can hold), or -E2BIG if it exceeds outlen. */
int virt_shell_join(const char *const *argv, size_t argc, char *out, size_t outlen)
	__attribute__((warn_unused_result));

/* Build the XML; *out is malloc'ed (caller frees). 0, -EINVAL (bad name, relative
 * path, bad size, control characters), -E2BIG (guest command too long), -ENOMEM. */
int virt_domxml_build(const struct virt_domain_spec *spec, char **out)
	__attribute__((warn_unused_result));
