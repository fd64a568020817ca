/*
 * Guest agent client: one per VM, a non-blocking connection to STATE/vms/NAME/agent.sock
 * (QEMU listens there; the guest's blimp-agent answers on /dev/hvc0) registered in
 * blimpd's main loop (loop.h). Requests wait in a per-VM FIFO and are sent one at a
 * time once the agent has answered (READY or PONG); each has a deadline. The
 * connection is re-made after a guest reboot (a fresh READY), a lost socket or a
 * daemon restart.
 */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* err: 0 (status/output valid), -ETIMEDOUT, -EIO (connection lost mid-command or the
 * agent refused it), -ECANCELED (VM went away). output is not NUL-terminated. */
typedef void (*virt_agent_done_cb)(void *opaque, int err, int status, const char *output,
				   size_t output_len, const char *errmsg);

struct virt_agent;

/* What guests sent that blimpd dropped or put off, since start, over all agents. */
struct virt_agent_counters {
	uint64_t garbage_bytes;   /* bytes that were no frame (skipped line by line) */
	uint64_t oversize_frames; /* connections dropped for a frame over the size limit */
	uint64_t reads_deferred;  /* wakeups that hit the per-wakeup read budget */
};
void virt_agent_counters_get(struct virt_agent_counters *out);

/* Create the client for a socket path; connects in the background, retrying. */
struct virt_agent *virt_agent_new(const char *sock_path, const char *vm_name);
/* Fail every pending request with -ECANCELED and free. NULL is fine. */
void virt_agent_free(struct virt_agent *a);

/* Queue a shell command. timeout_ms: the agent kills the command after it (0 = none);
 * the request fails with -ETIMEDOUT if no result arrives by then (+ a grace period).
 * 0, -E2BIG (command > 64 KiB), -EBUSY (queue full), -ENOMEM. */
int virt_agent_exec(struct virt_agent *a, const char *cmd, uint32_t timeout_ms,
		    virt_agent_done_cb cb, void *opaque) __attribute__((warn_unused_result));

/* Has the guest agent answered on the current connection? */
bool virt_agent_ready(const struct virt_agent *a);
/* Kernel release from the last READY ("" if none yet). */
const char *virt_agent_kernel(const struct virt_agent *a);
