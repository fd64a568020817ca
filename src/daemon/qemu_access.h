/*
 * Embedded libvirt runs QEMU unprivileged (config key qemu_user): every directory
 * above a file blimpd hands QEMU must be searchable by that user. libvirt's DAC
 * driver chowns the files themselves, not their parents.
 */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/* Can uid:gid (no supplementary groups but gid) search every directory on the way to
 * path (path itself included when it is a directory)? Asked of the kernel by a child
 * that drops to uid:gid, so modes, groups and ACLs all count. 0; -EACCES with the
 * first directory it cannot search in blocker; other -errno (fork failed). */
int daemon_qemu_reach(uid_t uid, gid_t gid, const char *path, char *blocker, size_t len)
	__attribute__((warn_unused_result));
