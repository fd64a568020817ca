/*
 * blimpd host settings: one table of every key (name, type, default, bounds, help),
 * loaded from an INI file (/etc/blimp/blimpd.conf, section [blimpd]) plus drop-ins
 * (/etc/blimp/blimpd.conf.d/NAME.conf, sorted by NAME), then overridden by command-line flags.
 * docs/settings.md is generated from the same table (`blimpd --settings-markdown`).
 */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "policy/policy.h"
#include "util/log.h"

/* What foreign domains' balloons get when blimpd exits in order (config key on_exit). */
enum config_on_exit {
	CONFIG_ON_EXIT_RESTORE, /* back to the target blimp found, as far as the host has free */
	CONFIG_ON_EXIT_KEEP,    /* stay at blimp's last targets */
};

/* blimpd's own memory (config key mlock): locked against paging out, and how. */
enum config_mlock {
	CONFIG_MLOCK_ONFAULT, /* mlockall(CURRENT|FUTURE|ONFAULT): pages lock as they fault in */
	CONFIG_MLOCK_ALL,     /* mlockall(CURRENT|FUTURE): every mapping populated and locked */
	CONFIG_MLOCK_OFF,
};

struct blimpd_config {
	char connect_uri[512];       /* "" = embedded libvirt under state_dir */
	char state_dir[PATH_MAX];    /* default /var/lib/blimp */
	char socket_path[PATH_MAX];  /* default /run/blimp/blimpd.sock */
	char guest_dir[PATH_MAX];    /* built-in guest (vmlinux, initrd.img, data.img) */
	char lock_file[PATH_MAX];    /* one blimpd per host: default /run/blimp/blimpd.lock */
	char qemu_user[64];          /* embedded libvirt: QEMU runs as this user */
	enum config_mlock mlock;     /* default onfault */
	char metrics_listen[80];     /* Prometheus endpoint ADDR:PORT; "" = off */
	uint64_t host_mem_bytes;     /* managed budget; 0 = host RAM - headroom */
	uint64_t headroom_bytes;     /* kept for the host when host_mem is 0 */
	uint32_t collect_period_ms;  /* default 1000 */
	uint32_t stats_period_s;     /* guest balloon stats period, default 1 */
	uint32_t tcg_tb_cache_mib;   /* TCG guests' translation cache, MiB (0 = QEMU's) */
	uint32_t access_sample_s;    /* host-side access sampling window, 0 = off */
	uint32_t history_s;          /* live history kept (docs/history.md), 0 = off */
	uint32_t history_vms;        /* VM slots of the live history */
	bool dry_run;                /* log the plan, change nothing */
	bool keep_vms;               /* leave VMs running when blimpd exits */
	enum config_on_exit on_exit; /* foreign domains' balloon targets at exit */
	bool manage_ksm;             /* default true */
	bool manage_cgroups;         /* default true: host swap limits */
	uint64_t swapfile_bytes;     /* 0 = never create a host swap file */
	char swapfile_path[PATH_MAX];/* default STATE/swapfile */
	bool zswap;                  /* enable zswap when blimp creates swap */
	enum log_level log_level;
	struct policy_settings policy; /* kind, idle tax, balance period, margins, ... */
};

/* Where an installed blimpd's built-in guest lives (guest_dir's first choice). */
#define CONFIG_GUEST_DIR_INSTALLED "/var/lib/blimp/guest"
/* The live history may take at most this much memory (history_s x VMs). */
#define CONFIG_HISTORY_MAX_BYTES (256u << 20)
/* The built-in guest's directory: guest_dir if set; else the first of
 * CONFIG_GUEST_DIR_INSTALLED and guest/ in the directory of the executable exe_link
 * points to ("/proc/self/exe": build/guest for build/blimpd) that holds a readable
 * vmlinux. 0 with the directory in out, or -ENOENT with the paths tried in err. */
int config_guest_dir(const struct blimpd_config *c, const char *exe_link, char *out, size_t outlen,
		     char *err, size_t errlen) __attribute__((warn_unused_result));

/* Defaults (policy.budget_bytes left 0: resolved at start from host_mem/headroom). */
void config_default(struct blimpd_config *c);
/* Set one key from a string (file or flag). 0, or -EINVAL/-ERANGE with err filled. */
int config_set(struct blimpd_config *c, const char *key, const char *value, char *err,
	       size_t errlen) __attribute__((warn_unused_result));
/* Load an INI file and its drop-in directory PATH.d (NAME.conf files, in name order). A missing file is fine
 * (-ENOENT is returned only if required is true). Unknown keys and bad values are
 * errors naming file:line. */
int config_load(struct blimpd_config *c, const char *path, bool required, char *err,
		size_t errlen) __attribute__((warn_unused_result));
/* Cross-field checks (after all sources). 0 or -EINVAL with err filled. */
int config_validate(const struct blimpd_config *c, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Print every key, its current value, default, bounds and help. */
void config_print(const struct blimpd_config *c, FILE *out);
/* Print the settings table as Markdown (docs/settings.md). */
void config_print_markdown(FILE *out);

/* ---- Settings while blimpd runs (SIGHUP, `blimp config set`, docs/settings.md) ---- */

/* One key as `blimp config` shows it: strings borrowed from the table, value formatted
 * into the caller's view. */
struct config_key_view {
	const char *name;
	const char *type;    /* bool, size, uint, ratio, string, path, enum */
	const char *def;     /* the default as written in a file */
	const char *help;
	bool runtime;        /* SIGHUP and `blimp config set` change it */
	char value[PATH_MAX]; /* in c, as written in a file */
	char range[128];
};
size_t config_key_count(void);
/* Key i (< config_key_count()) with its value in c. */
void config_key_view(const struct blimpd_config *c, size_t i, struct config_key_view *out);
/* 1 if key names a runtime key, 0 a restart key, -EINVAL not a key. */
int config_key_runtime(const char *key);
/* The keys whose values differ between a and b, restricted to runtime (runtime true)
 * or restart keys: their count, and their names joined by ", " in out (cut short,
 * with "...", if out is too small). */
size_t config_diff(const struct blimpd_config *a, const struct blimpd_config *b, bool runtime,
		   char *out, size_t outlen);
/* Whether next may replace cur in a running blimpd: config_validate(next), and no
 * restart key differs ("restart needed for state_dir, ..."). 0, or -EINVAL with err
 * filled (nothing may then be applied). */
int config_check_change(const struct blimpd_config *cur, const struct blimpd_config *next,
			char *err, size_t errlen) __attribute__((warn_unused_result));
