/*
 * libFuzzer target: the domain XML builder (virt_domxml_build) and virt_shell_join on
 * what a socket client can send to `start` (name, kernel/initrd paths, guest argv) plus
 * blimpd's own paths, all hostile here.
 *
 * Input: 40 bytes of numbers (MEMSZ, vcpus, flags, settings), then NUL-separated
 * strings: name, kernel, initrd, data disk, swap disk, console log, agent socket, and
 * the rest as the guest argv.
 * Invariants (trap on violation):
 *  - no injection: the XML's markup characters (< > ' ") come in exactly the order
 *    they do for the same spec with harmless strings, so every hostile string stays
 *    inside its text node or attribute;
 *  - <name> and <kernel> read back (unescaped) to what was given;
 *  - blimp.cmd= on the kernel command line hex-decodes to the guest command;
 *  - the <metadata> element parses back to the spec's settings (managed);
 *  - virt_shell_join's output, read back by a POSIX single-quote reader, is the argv.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virt/domxml.h"
#include "virt/meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond)                                                                             \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "domxml invariant broken: %s (line %d)\n", #cond,          \
				__LINE__);                                                         \
			__builtin_trap();                                                          \
		}                                                                                  \
	} while (0)

#define FZ_HDR 40
#define FZ_STRS 7
#define FZ_ARGV 16

static uint64_t fz_u64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* The markup skeleton: every < > ' " in order. */
static char *fz_skeleton(const char *xml)
{
	size_t n = strlen(xml), o = 0;
	char *s = malloc(n + 1);
	if (!s)
		abort();
	for (size_t i = 0; i < n; i++)
		if (strchr("<>'\"", xml[i]))
			s[o++] = xml[i];
	s[o] = '\0';
	return s;
}

/* Unescape the five entities of text between open and close tags; NULL if absent. */
static char *fz_text(const char *xml, const char *open, const char *close)
{
	const char *a = strstr(xml, open);
	if (!a)
		return NULL;
	a += strlen(open);
	const char *b = strstr(a, close);
	if (!b)
		return NULL;
	char *t = malloc((size_t)(b - a) + 1);
	size_t o = 0;
	if (!t)
		abort();
	static const char *const ent[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
	static const char chr[] = "&<>\"'";
	while (a < b) {
		bool done = false;
		for (int k = 0; k < 5 && !done; k++) {
			size_t l = strlen(ent[k]);
			if ((size_t)(b - a) >= l && memcmp(a, ent[k], l) == 0) {
				t[o++] = chr[k];
				a += l;
				done = true;
			}
		}
		if (!done)
			t[o++] = *a++;
	}
	t[o] = '\0';
	return t;
}

/* POSIX sh words made only of '...' and \' pieces, separated by single spaces. */
static int fz_unquote(const char *s, char **out, int max, char *buf)
{
	int n = 0;
	char *o = buf;
	while (*s) {
		if (n == max)
			return -1;
		out[n++] = o;
		bool any = false;
		while (*s && *s != ' ') {
			if (*s == '\'') {
				const char *e = strchr(s + 1, '\'');
				if (!e)
					return -1;
				memcpy(o, s + 1, (size_t)(e - s - 1));
				o += e - s - 1;
				s = e + 1;
			} else if (s[0] == '\\' && s[1] == '\'') {
				*o++ = '\'';
				s += 2;
			} else {
				return -1;
			}
			any = true;
		}
		if (!any)
			return -1;
		*o++ = '\0';
		if (*s == ' ')
			s++;
	}
	return n;
}

static void fz_check_join(const char *const *argv, size_t argc)
{
	char out[4096];
	int r = virt_shell_join(argv, argc, out, sizeof(out));
	if (argc == 0) {
		FZ_CHECK(r == -EINVAL);
		return;
	}
	if (r == -E2BIG)
		return;
	FZ_CHECK(r == 0);
	char *words[FZ_ARGV];
	char buf[4096];
	int n = fz_unquote(out, words, FZ_ARGV, buf);
	FZ_CHECK(n == (int)argc);
	for (size_t i = 0; i < argc; i++)
		FZ_CHECK(strcmp(words[i], argv[i]) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < FZ_HDR)
		return 0;
	char *buf = malloc(size - FZ_HDR + 1);
	if (!buf)
		return 0;
	memcpy(buf, data + FZ_HDR, size - FZ_HDR);
	buf[size - FZ_HDR] = '\0';
	const char *str[FZ_STRS] = {NULL};
	const char *argv[FZ_ARGV];
	size_t argc = 0;
	int ns = 0;
	char *end = buf + (size - FZ_HDR);
	for (char *p = buf; p <= end; p += strlen(p) + 1) {
		if (ns < FZ_STRS)
			str[ns++] = p;
		else if (argc < FZ_ARGV)
			argv[argc++] = p;
	}
	uint8_t flags = data[9];
	struct virt_domain_spec s = {
	    .name = str[0],
	    .domain_type = flags & 1 ? "kvm" : "qemu",
	    .memsz_bytes = (fz_u64(data) % (64 * MODEL_GIB)) & ~1023ULL,
	    .vcpus = data[8] % 70,
	    .kernel = str[1],
	    .initrd = flags & 2 ? str[2] : NULL,
	    .data_disk = flags & 4 ? str[3] : NULL,
	    .swap_disk = flags & 8 ? str[4] : NULL,
	    .console_log = str[5],
	    .agent_sock = str[6],
	    .balloon_driver = flags & 16,
	    .free_page_reporting = flags & 32,
	    .stats_period_s = data[10] % 8,
	    .settings = {fz_u64(data + 8) >> 16, fz_u64(data + 16), fz_u64(data + 24),
			 fz_u64(data + 32)},
	};
	char cmd[1024];
	bool have_cmd = false;
	if (argc && virt_shell_join(argv, argc, cmd, sizeof(cmd)) == 0) {
		s.guest_cmd = cmd;
		have_cmd = true;
	}
	fz_check_join(argv, argc);

	char *xml = NULL;
	int r = virt_domxml_build(&s, &xml);
	if (r != 0) {
		FZ_CHECK(r == -EINVAL || r == -E2BIG || r == -ENAMETOOLONG || r == -ENOSPC ||
			 r == -ENOMEM);
		free(buf);
		return 0;
	}
	/* the same spec with harmless strings */
	struct virt_domain_spec safe = s;
	safe.name = "a";
	safe.kernel = "/k";
	safe.initrd = s.initrd ? "/i" : NULL;
	safe.data_disk = s.data_disk ? "/d" : NULL;
	safe.swap_disk = s.swap_disk ? "/s" : NULL;
	safe.console_log = "/c";
	safe.agent_sock = "/a";
	char *xml2 = NULL;
	FZ_CHECK(virt_domxml_build(&safe, &xml2) == 0);
	char *k1 = fz_skeleton(xml), *k2 = fz_skeleton(xml2);
	if (strcmp(k1, k2) != 0) {
		fprintf(stderr, "%s\n----\n%s\n", xml, xml2);
		FZ_CHECK(!"markup differs");
	}
	free(k1);
	free(k2);
	free(xml2);

	char *t = fz_text(xml, "<name>", "</name>");
	FZ_CHECK(t && strcmp(t, s.name) == 0);
	free(t);
	t = fz_text(xml, "<kernel>", "</kernel>");
	FZ_CHECK(t && strcmp(t, s.kernel) == 0);
	free(t);
	t = fz_text(xml, "<cmdline>", "</cmdline>");
	FZ_CHECK(t);
	const char *hx = strstr(t, " blimp.cmd=");
	if (have_cmd && cmd[0]) {
		FZ_CHECK(hx);
		hx += strlen(" blimp.cmd=");
		size_t n = strlen(cmd);
		FZ_CHECK(strlen(hx) == 2 * n);
		for (size_t i = 0; i < n; i++) {
			unsigned v;
			FZ_CHECK(sscanf(hx + 2 * i, "%2x", &v) == 1 && (char)v == cmd[i]);
		}
	} else {
		FZ_CHECK(!hx);
	}
	free(t);

	/* the whole domain XML holds our element once, unless a hostile string spells out
	 * another one */
	bool plain = true;
	for (int i = 0; i < FZ_STRS; i++)
		if (str[i] && (strstr(str[i], "memory") || strstr(str[i], VIRT_META_NS)))
			plain = false;
	struct vm_settings back;
	bool managed = false;
	r = virt_meta_parse(xml, &back, &managed);
	if (plain)
		FZ_CHECK(r == 0 && managed && memcmp(&back, &s.settings, sizeof(back)) == 0);
	free(xml);
	free(buf);
	return 0;
}
