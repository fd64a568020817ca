/*
 * The built-in guest's files where unprivileged QEMU can reach them. A checkout under
 * a directory only root may search (/root/blimp, say) holds a guest QEMU cannot open
 * when it runs as qemu_user; blimpd then stages each such file in STATE/staged/ (a
 * hard link when the file system allows, else a copy), reused while the source's size
 * and mtime are unchanged.
 */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/* out = src when uid:gid can reach it, else the staged copy under state_dir (created
 * or refreshed here). 0 or -errno with err set. */
int daemon_guest_stage(const char *state_dir, uid_t uid, gid_t gid, const char *src, char *out,
		       size_t outlen, char *err, size_t errlen) __attribute__((warn_unused_result));
