/*
 * What the command handlers share (handlers.c, start.c): the per-VM settings
 * arguments of start and set, and a guest command given as an array of strings.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "daemon/daemon.h"

/* Room for a handler's error message. */
#define DAEMON_HANDLER_ERRLEN 512

/* Read the optional settings arguments (shares, reservation, limit, maxmemctl) into
 * s; absent keys keep s's value. 0 or -EINVAL with err set. */
int daemon_settings_read(json_object *args, struct vm_settings *s, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/* s valid for a VM of memsz bytes, and the reservations of every running VM but
 * name (NULL: none excluded) plus s's within the budget. 0 or -errno with err set. */
int daemon_settings_check(struct blimpd *d, const char *name, const struct vm_settings *s,
			  uint64_t memsz, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* The strings of a JSON array, shell-quoted into one command line in out. 0, -ENOMEM,
 * or -E2BIG when it does not fit outlen (with its NUL). */
int daemon_strv_shell_join(json_object *arr, char *out, size_t outlen)
    __attribute__((warn_unused_result));

/* The start command (start.c): check every argument, define and start the domain,
 * answer with its name and UUID. */
void daemon_start_handle(struct blimpd *d, struct ctl_client *c, struct daemon_request *req);
