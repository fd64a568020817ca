/*
 * blimp's data model: what the collectors see (snapshot) and what the policy
 * decides (plan). Shared by blimpd, the policy library, the simulator and tests.
 *
 * Units are in the names: bytes as uint64_t, ratios as permyriad (1/10000),
 * times in milliseconds. Names follow esxtop's memory vocabulary (docs/vocabulary.md).
 * The policy reads only these structs: no I/O, no clock.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MODEL_NAME_MAX 64 /* incl. NUL; VM names are [A-Za-z0-9_.-]{1,63} */
#define MODEL_UUID_LEN 37 /* 36 chars + NUL */
#define MODEL_PAGE_SIZE 4096ULL
#define MODEL_MIB (1024ULL * 1024ULL)
#define MODEL_GIB (1024ULL * MODEL_MIB)
#define MODEL_PERMYRIAD 10000U
#define MODEL_AGE_NEVER UINT64_MAX

/* ESX host memory states, from most to least free memory. */
enum host_state {
	HOST_STATE_HIGH = 0,
	HOST_STATE_CLEAR,
	HOST_STATE_SOFT,
	HOST_STATE_HARD,
	HOST_STATE_LOW,
	HOST_STATE__COUNT
};
const char *model_host_state_name(enum host_state s);

/* Per-VM settings (stored in the domain XML <metadata>, urn:blimp:memory:1).
 * 0 means "default" for every field. */
struct vm_settings {
	uint64_t shares;            /* default: 10 per MiB of MEMSZ (ESX "normal") */
	uint64_t reservation_bytes; /* default 0: never reclaimed below this */
	uint64_t limit_bytes;       /* default 0 = MEMSZ: never granted above this */
	uint64_t maxmemctl_bytes;   /* default 65% of MEMSZ: most the balloon may take */
};

/* Effective values with defaults applied. */
uint64_t model_vm_shares(const struct vm_settings *s, uint64_t memsz_bytes);
uint64_t model_vm_limit(const struct vm_settings *s, uint64_t memsz_bytes);
uint64_t model_vm_maxmemctl(const struct vm_settings *s, uint64_t memsz_bytes);

/* One VM as collected. Guest figures are untrusted: the collector stores what the
 * guest said (clamped to MEMSZ), the policy decides what to believe. */
struct vm_snapshot {
	char name[MODEL_NAME_MAX];
	char uuid[MODEL_UUID_LEN];
	bool running;
	uint64_t memsz_bytes; /* MEMSZ: configured (maximum) memory */
	struct vm_settings settings;

	/* Balloon / guest view (libvirt memory stats). */
	bool mctl;                     /* MCTL?: balloon driver present and answering */
	/* The domain's balloon lacks deflate-on-OOM (libvirt's default: no
	 * <memballoon autodeflate='on'>), or the collector could not tell: then Linux's
	 * virtio_balloon takes inflated pages out of the guest's MemTotal, so a ballooned
	 * guest cannot even map what it needs and nothing deflates on OOM (docs/policy.md,
	 * "Guests without deflate-on-OOM"). Collectors set it true when unsure. */
	bool no_deflate_on_oom;
	uint64_t balloon_actual_bytes; /* memory the guest holds now; MCTLSZ = memsz - actual */
	uint64_t stats_age_ms;         /* age of the guest's last stats update, MODEL_AGE_NEVER */
	uint64_t guest_total_bytes;    /* guest MemTotal (libvirt "available") */
	uint64_t guest_available_bytes; /* guest MemAvailable (libvirt "usable") */
	uint64_t guest_free_bytes;     /* guest MemFree (libvirt "unused") */
	uint64_t guest_caches_bytes;   /* guest page cache (libvirt "disk_caches") */
	uint64_t guest_swap_in_bytes;  /* cumulative */
	uint64_t guest_swap_out_bytes; /* cumulative */
	uint64_t guest_major_faults;   /* cumulative */
	uint64_t guest_minor_faults;   /* cumulative */
	uint64_t guest_oom_kills;      /* cumulative, where known (guest agent), else 0 */

	/* Host view (QEMU process, its cgroup, KSM). */
	uint64_t consumed_bytes; /* CONSUMED: resident guest RAM less KSM-shared pages */
	uint64_t ovhd_bytes;     /* OVHD: QEMU RSS beyond guest RAM */
	uint64_t swapped_bytes;  /* SWCUR: guest RAM in host swap */
	uint64_t shared_bytes;   /* SHRD: pages merged by KSM */
	uint64_t zero_bytes;     /* ZERO: KSM zero pages */
	uint64_t zipped_bytes;   /* ZIP: in zswap (original size): cgroup v2 zswapped, else
				  * the host's zswapped shared out by SWCUR (estimated) */
	bool zip_estimated;      /* zipped_bytes is the host-wide share, not the cgroup's */
	bool host_swap_ok;       /* a cgroup limit can push this VM to host swap */
	/* cgroup v2 memory.swap.max of the VM's cgroup and its ancestors (the smallest):
	 * at most this much of it can be in host swap. Only when host_swap_capped. */
	bool host_swap_capped;
	uint64_t host_swap_cap_bytes;

	/* Host-side access sampling: guest RAM touched during the last window, by
	 * whichever method worked (DAMON, or clear_refs + smaps Referenced; see
	 * collect/access.h). The names predate the second method. */
	bool damon_valid;
	uint64_t damon_active_bytes;
};

struct host_snapshot {
	uint64_t mem_total_bytes;
	uint64_t mem_available_bytes;
	uint64_t swap_total_bytes;
	uint64_t swap_free_bytes;
	uint32_t psi_some_avg10_permyriad; /* memory PSI, "some" avg10 */
	uint32_t psi_full_avg10_permyriad;
	bool ksm_present;
	uint64_t ksm_pages_sharing;
	uint64_t ksm_pages_shared;
	bool zswap_enabled;
	uint64_t zswap_pool_bytes; /* meminfo Zswap: compressed size of the zswap pool */
	uint64_t zswapped_bytes;   /* meminfo Zswapped: original size of what it holds */
};

struct snapshot {
	uint64_t taken_ms; /* monotonic time of the collection */
	struct host_snapshot host;
	size_t n_vms;
	struct vm_snapshot *vms;
};

/* Why a VM's target is what it is: the rule that bound it. */
enum plan_reason {
	PLAN_REASON_NONE = 0,   /* nothing to do: target = MEMSZ */
	PLAN_REASON_ENTITLEMENT, /* share-based entitlement (min-funding + idle tax) */
	PLAN_REASON_RESERVATION, /* would go lower, reservation holds it */
	PLAN_REASON_GUEST_FLOOR, /* guest in-use + margin */
	PLAN_REASON_MAXMEMCTL,   /* balloon can take no more */
	PLAN_REASON_LIMIT,       /* capped by the VM's limit */
	PLAN_REASON_STALE,       /* stats stale: target kept */
	PLAN_REASON_BACKOFF,     /* guest showed distress after an inflate: backed off */
	PLAN_REASON_PROBE,       /* shrinking slowly toward the entitlement */
	PLAN_REASON_BASELINE,    /* set by a baseline policy's own rule */
	PLAN_REASON_GRANT,       /* guest short of memory: given the host's free memory at once */
	PLAN_REASON_GROWING,     /* demand rising (host or guest side): never shrunk meanwhile */
	PLAN_REASON_LEVEL,       /* state high: headroom beyond need shared out by shares */
	PLAN_REASON__COUNT
};
const char *model_plan_reason_name(enum plan_reason r);

struct vm_plan {
	uint64_t entitlement_bytes; /* what shares + idle tax give this VM */
	uint64_t target_bytes;      /* memory the guest should hold (balloon actual target) */
	uint64_t mctltgt_bytes;     /* MCTLTGT = memsz - target */
	uint64_t swtgt_bytes;       /* SWTGT: host swap target; 0 = none */
	uint64_t cgroup_limit_bytes; /* host memory limit for the VM's cgroup; 0 = none */
	uint64_t actv_bytes;        /* ACTV = max(ACTVS, ACTVF) */
	uint64_t actvs_bytes;       /* slow average */
	uint64_t actvf_bytes;       /* fast average */
	enum plan_reason reason;
};

struct host_plan {
	enum host_state state;
	uint64_t budget_bytes;
	uint64_t free_bytes;    /* budget - sum(CONSUMED + OVHD), floored at 0 */
	uint64_t minfree_bytes; /* vSphere sliding minFree of the budget */
	bool ksm_run;
	uint32_t ksm_pages_to_scan;
	uint32_t ksm_sleep_ms;
	/* The running VMs' working sets (fresh guest in-use, else CONSUMED) + OVHD, and
	 * how far that exceeds the budget plus the host swap that may hold the rest
	 * (blimp with host_swap: the free swap; a baseline: none). 0 = it fits (within
	 * 1% of the budget). The "working sets exceed the budget" alarm. */
	uint64_t working_set_bytes;
	uint64_t working_set_shortfall_bytes;
};

/* vms[i] plans snapshot.vms[i]. */
struct plan {
	struct host_plan host;
	size_t n_vms;
	struct vm_plan *vms;
};
