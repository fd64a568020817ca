/*
 * Accelerator choice: KVM only where it can run a stock guest. /dev/kvm alone is not
 * enough: kvm_pvm (a software nested KVM) exposes /dev/kvm but cannot run an
 * unmodified guest kernel, so there the guest runs under TCG.
 */
#pragma once
#include <stddef.h>

enum virt_accel { VIRT_ACCEL_TCG = 0, VIRT_ACCEL_KVM };

/* "kvm" or "tcg" (as in the protocol's status.accel). */
const char *virt_accel_name(enum virt_accel a);
/* libvirt domain type for it: "kvm" or "qemu". */
const char *virt_accel_domain_type(enum virt_accel a);

/* Pure apart from reading under root ("" or "/" for the real host; a fixture tree in
 * tests): looks at ROOT/dev/kvm and ROOT/sys/module/kvm_pvm. Writes a one-line reason
 * into reason. Never fails: anything unclear chooses TCG. */
enum virt_accel virt_accel_detect(const char *root, char *reason, size_t reason_len);
