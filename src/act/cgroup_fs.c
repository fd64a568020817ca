/*
 * DESIGN: every function here reads files under a root passed in, so the tests run
 * on fake /proc and cgroupfs trees. Parsing is strict: a line that is not what the
 * kernel writes is an error, never a guess.
 */
#include "act/cgroup_fs.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act/knob.h"

/* Undo mountinfo's octal escapes (\040 for space) in place. */
static void cgfs_unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

static bool cgfs_opt_has(const char *opts, const char *opt)
{
	size_t n = strlen(opt);
	for (const char *p = opts; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && strncmp(p, opt, n) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

int act_cgroup_fs_detect(const char *proc_root, char *mount, size_t mlen, char *mroot, size_t rlen,
			 int *version)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/self/mountinfo", proc_root) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	char line[4096];
	char v2_mount[PATH_MAX] = "", v2_root[PATH_MAX] = "";
	int ret = -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
		char *sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		char *fields[5] = {0};
		char *save = NULL, *tok = strtok_r(line, " ", &save);
		for (int i = 0; tok && i < 5; i++, tok = strtok_r(NULL, " ", &save))
			fields[i] = tok;
		if (!fields[4])
			continue;
		char *fstype = strtok_r(sep + 3, " \n", &save);
		char *source = strtok_r(NULL, " \n", &save);
		char *superopts = strtok_r(NULL, " \n", &save);
		if (!fstype || !source)
			continue;
		cgfs_unescape(fields[3]);
		cgfs_unescape(fields[4]);
		if (strcmp(fstype, "cgroup") == 0 && cgfs_opt_has(superopts, "memory")) {
			if (strlen(fields[4]) >= mlen || strlen(fields[3]) >= rlen) {
				ret = -ENAMETOOLONG;
				break;
			}
			strcpy(mount, fields[4]);
			strcpy(mroot, fields[3]);
			*version = 1;
			ret = 0;
			break;
		}
		if (strcmp(fstype, "cgroup2") == 0 && !v2_mount[0]) {
			char ctl[PATH_MAX + 32];
			snprintf(ctl, sizeof(ctl), "%s/cgroup.controllers", fields[4]);
			if (act_cgroup_fs_has_word(ctl, "memory") == 1) {
				snprintf(v2_mount, sizeof(v2_mount), "%s", fields[4]);
				snprintf(v2_root, sizeof(v2_root), "%s", fields[3]);
			}
		}
	}
	fclose(f);
	if (ret == -ENOENT && v2_mount[0]) {
		if (strlen(v2_mount) >= mlen || strlen(v2_root) >= rlen)
			return -ENAMETOOLONG;
		strcpy(mount, v2_mount);
		strcpy(mroot, v2_root);
		*version = 2;
		ret = 0;
	}
	return ret;
}

int act_cgroup_fs_pid_path(const char *proc_root, pid_t pid, int version, char *out, size_t len)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%d/cgroup", proc_root, (int)pid) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	char buf[8192];
	int r = act_read_file(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	int ret = -ENOENT;
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* hierarchy-id:controller-list:path */
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c1 || !c2 || c2[1] != '/')
			return -EINVAL;
		*c2 = '\0';
		const char *ctls = c1 + 1;
		const char *p = c2 + 1;
		bool match;
		if (version == 2)
			match = strncmp(line, "0:", 2) == 0 && ctls[0] == '\0';
		else
			match = cgfs_opt_has(ctls, "memory");
		if (!match)
			continue;
		if (strstr(p, "/../") || (strlen(p) >= 3 && strcmp(p + strlen(p) - 3, "/..") == 0))
			return -EINVAL;
		if (strlen(p) >= len)
			return -ENAMETOOLONG;
		strcpy(out, p);
		ret = 0;
		break;
	}
	return ret;
}

int act_cgroup_fs_starttime(const char *proc_root, pid_t pid, uint64_t *out)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%d/stat", proc_root, (int)pid) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	char buf[2048];
	int r = act_read_file(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	char *p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	if (!p)
		return -EINVAL;
	p++;
	/* After ") ": field 3 (state) ... field 22 (starttime) is the 20th. */
	for (int field = 3; field < 22; field++) {
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
		if (!*p)
			return -EINVAL;
	}
	while (*p == ' ')
		p++;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(p, &end, 10);
	if (errno || end == p || (*end != ' ' && *end != '\0'))
		return -EINVAL;
	*out = v;
	return 0;
}

int act_cgroup_fs_read_pids(const char *file, pid_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	FILE *f = fopen(file, "re");
	if (!f)
		return -errno;
	pid_t *v = NULL;
	size_t cnt = 0, cap = 0;
	int ret = 0;
	char word[32];
	for (;;) {
		int c;
		size_t len = 0;
		while ((c = fgetc(f)) == ' ' || c == '\n' || c == '\t')
			;
		if (c == EOF)
			break;
		while (c != EOF && c != ' ' && c != '\n' && c != '\t') {
			if (len >= sizeof(word) - 1 || c < '0' || c > '9') {
				ret = -EINVAL;
				goto out;
			}
			word[len++] = (char)c;
			c = fgetc(f);
		}
		word[len] = '\0';
		unsigned long pv = strtoul(word, NULL, 10);
		if (pv == 0 || pv > INT_MAX) {
			ret = -EINVAL;
			goto out;
		}
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			if (ncap > (1u << 22)) {
				ret = -E2BIG;
				goto out;
			}
			pid_t *nv = realloc(v, ncap * sizeof(*nv));
			if (!nv) {
				ret = -ENOMEM;
				goto out;
			}
			v = nv;
			cap = ncap;
		}
		v[cnt++] = (pid_t)pv;
	}
out:
	if (ferror(f) && ret == 0)
		ret = -EIO;
	fclose(f);
	if (ret < 0) {
		free(v);
		return ret;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int act_cgroup_fs_has_word(const char *file, const char *word)
{
	char buf[1024];
	int r = act_read_file(file, buf, sizeof(buf));
	if (r < 0)
		return r;
	size_t n = strlen(word);
	char *save = NULL;
	for (char *w = strtok_r(buf, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
		if (strlen(w) == n && strcmp(w, word) == 0)
			return 1;
	return 0;
}

bool act_cgroup_v1_stuck(bool under_oom, bool have_usage, uint64_t usage, uint64_t limit,
			 uint64_t step_bytes)
{
	if (!under_oom)
		return false;
	if (!have_usage || limit == UINT64_MAX || usage >= limit)
		return true;
	uint64_t slack = step_bytes / 2;
	if (slack < ACT_CGROUP_OOM_SLACK)
		slack = ACT_CGROUP_OOM_SLACK;
	return limit - usage <= slack;
}

/* One "key value" line of memory.oom_control; 1 found, 0 absent, -EINVAL bad. */
static int cgfs_oom_field(const char *text, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);
	for (const char *l = text; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		if (len > kl && strncmp(l, key, kl) == 0 && l[kl] == ' ') {
			char num[24];
			size_t nlen = len - kl - 1;
			if (nlen == 0 || nlen >= sizeof(num))
				return -EINVAL;
			memcpy(num, l + kl + 1, nlen);
			num[nlen] = '\0';
			for (size_t i = 0; i < nlen; i++)
				if (num[i] < '0' || num[i] > '9')
					return -EINVAL;
			errno = 0;
			unsigned long long v = strtoull(num, NULL, 10);
			if (errno)
				return -EINVAL;
			*out = v;
			return 1;
		}
		l += len + (nl ? 1 : 0);
	}
	return 0;
}

int act_cgroup_fs_oom_parse(const char *text, struct act_cgroup_oom *out)
{
	uint64_t disable = 0, under = 0, kills = 0;
	int r1 = cgfs_oom_field(text, "oom_kill_disable", &disable);
	int r2 = cgfs_oom_field(text, "under_oom", &under);
	int r3 = cgfs_oom_field(text, "oom_kill", &kills);
	if (r1 <= 0 || r2 <= 0 || r3 < 0 || disable > 1 || under > 1)
		return -EINVAL;
	out->kill_disable = disable == 1;
	out->under_oom = under == 1;
	out->have_kills = r3 == 1;
	out->kills = kills;
	return 0;
}

int act_cgroup_fs_read_u64(const char *file, uint64_t *out)
{
	char buf[32];
	int r = act_read_file(file, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (strcmp(buf, "max") == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	if (buf[0] < '0' || buf[0] > '9')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}
