#include "virt/accel.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

const char *virt_accel_name(enum virt_accel a)
{
	return a == VIRT_ACCEL_KVM ? "kvm" : "tcg";
}

const char *virt_accel_domain_type(enum virt_accel a)
{
	return a == VIRT_ACCEL_KVM ? "kvm" : "qemu";
}

enum virt_accel virt_accel_detect(const char *root, char *reason, size_t reason_len)
{
	char path[4096];
	struct stat st;
	if (!root || (root[0] == '/' && root[1] == '\0'))
		root = "";

	snprintf(path, sizeof(path), "%s/dev/kvm", root);
	if (stat(path, &st) != 0) {
		snprintf(reason, reason_len, "no /dev/kvm: QEMU TCG (software emulation)");
		return VIRT_ACCEL_TCG;
	}
	snprintf(path, sizeof(path), "%s/sys/module/kvm_pvm", root);
	if (stat(path, &st) == 0) {
		snprintf(reason, reason_len,
			 "/dev/kvm is kvm_pvm (software nested KVM, cannot run a stock guest): "
			 "QEMU TCG");
		return VIRT_ACCEL_TCG;
	}
	snprintf(path, sizeof(path), "%s/dev/kvm", root);
	if (access(path, R_OK | W_OK) != 0) {
		snprintf(reason, reason_len, "/dev/kvm not accessible: QEMU TCG");
		return VIRT_ACCEL_TCG;
	}
	snprintf(reason, reason_len, "/dev/kvm present (hardware KVM)");
	return VIRT_ACCEL_KVM;
}
