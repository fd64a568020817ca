/*
 * DESIGN: the domain XML is written with open_memstream and fputs of escaped strings;
 * every caller-supplied string goes through xml_put_escaped, every path must be
 * absolute and free of control characters, and the name is checked before anything
 * is written, so a hostile name can neither break out of the XML nor name a file
 * outside STATE/vms/.
 */
#include "virt/domxml.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virt/meta.h"

bool virt_name_valid(const char *name)
{
	if (!name)
		return false;
	size_t n = strlen(name);
	if (n == 0 || n > MODEL_NAME_MAX - 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9');
		if (i == 0 && !alnum)
			return false;
		if (!alnum && c != '_' && c != '.' && c != '-')
			return false;
	}
	return true;
}

static const char *xml_entity(char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&apos;";
	default:
		return NULL;
	}
}

void virt_xml_escape(const char *s, char *out, size_t outlen)
{
	size_t o = 0;
	if (outlen == 0)
		return;
	for (; *s; s++) {
		const char *e = xml_entity(*s);
		size_t need = e ? strlen(e) : 1;
		if (o + need >= outlen)
			break;
		if (e) {
			memcpy(out + o, e, need);
			o += need;
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
}

static void xml_put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		const char *e = xml_entity(*s);
		if (e)
			fputs(e, f);
		else
			fputc(*s, f);
	}
}

int virt_shell_join(const char *const *argv, size_t argc, char *out, size_t outlen)
{
	size_t o = 0;
	if (argc == 0 || outlen == 0)
		return -EINVAL;
	for (size_t i = 0; i < argc; i++) {
		if (!argv[i])
			return -EINVAL;
		if (i > 0) {
			if (o + 1 >= outlen)
				return -E2BIG;
			out[o++] = ' ';
		}
		if (o + 1 >= outlen)
			return -E2BIG;
		out[o++] = '\'';
		for (const char *p = argv[i]; *p; p++) {
			const char *piece = *p == '\'' ? "'\\''" : NULL;
			size_t need = piece ? 4 : 1;
			if (o + need >= outlen)
				return -E2BIG;
			if (piece) {
				memcpy(out + o, piece, 4);
				o += 4;
			} else {
				out[o++] = *p;
			}
		}
		if (o + 1 >= outlen)
			return -E2BIG;
		out[o++] = '\'';
	}
	out[o] = '\0';
	return 0;
}

/* Absolute, no control characters (they would survive escaping into QEMU's argv). */
static bool path_ok(const char *p)
{
	if (!p || p[0] != '/')
		return false;
	for (; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return strlen(p) < 4096;
}

static int spec_check(const struct virt_domain_spec *s)
{
	if (!virt_name_valid(s->name))
		return -EINVAL;
	if (!s->domain_type || (strcmp(s->domain_type, "kvm") && strcmp(s->domain_type, "qemu")))
		return -EINVAL;
	if (s->memsz_bytes < 16 * MODEL_MIB || s->memsz_bytes > 4096 * MODEL_GIB ||
	    s->memsz_bytes % 1024)
		return -EINVAL;
	if (s->vcpus < 1 || s->vcpus > 64)
		return -EINVAL;
	if (!path_ok(s->kernel) || (s->initrd && !path_ok(s->initrd)) ||
	    (s->data_disk && !path_ok(s->data_disk)) ||
	    (s->swap_disk && !path_ok(s->swap_disk)) || !path_ok(s->console_log) ||
	    !path_ok(s->agent_sock))
		return -EINVAL;
	/* QEMU's unix socket path limit (sun_path). */
	if (strlen(s->agent_sock) >= 108)
		return -ENAMETOOLONG;
	if (s->guest_cmd && strlen(s->guest_cmd) > VIRT_GUEST_CMD_MAX)
		return -E2BIG;
	if (s->stats_period_s > 3600)
		return -EINVAL;
	return 0;
}

static void put_disk(FILE *f, const char *path, const char *dev, const char *serial,
		     bool readonly, bool norelabel)
{
	fputs("    <disk type='file' device='disk'>\n"
	      "      <driver name='qemu' type='raw'/>\n"
	      "      <source file='",
	      f);
	xml_put_escaped(f, path);
	/* embedded: the shared read-only disk (the built-in guest's data.img) is read by
	 * every VM and libvirt never gives a shared disk back, so no chown to QEMU's user:
	 * it reads the file as it is (0644). A system libvirtd keeps its own rules. */
	fprintf(f,
		"'%s\n"
		"      <target dev='%s' bus='virtio'/>\n"
		"%s"
		"      <serial>%s</serial>\n"
		"    </disk>\n",
		norelabel ? ">\n        <seclabel model='dac' relabel='no'/>\n      </source>" : "/>",
		dev, readonly ? "      <readonly/>\n      <shareable/>\n" : "", serial);
}

int virt_domxml_build(const struct virt_domain_spec *s, char **out)
{
	int r = spec_check(s);
	if (r < 0)
		return r;

	char meta[1024];
	r = virt_meta_format(&s->settings, true, true, meta, sizeof(meta));
	if (r < 0)
		return r;

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;

	uint64_t kib = s->memsz_bytes / 1024;
	fprintf(f, "<domain type='%s'>\n  <name>", s->domain_type);
	xml_put_escaped(f, s->name);
	fprintf(f, "</name>\n  <metadata>\n    %s\n  </metadata>\n", meta);
	fprintf(f,
		"  <memory unit='KiB'>%" PRIu64 "</memory>\n"
		"  <currentMemory unit='KiB'>%" PRIu64 "</currentMemory>\n"
		"%s"
		"  <vcpu placement='static'>%u</vcpu>\n"
		"  <os>\n"
		"    <type arch='x86_64' machine='pc'>hvm</type>\n"
		"    <kernel>",
		kib, kib,
		/* libvirt turns this into QEMU's mem-merge=off: no MADV_MERGEABLE */
		s->nosharepages ? "  <memoryBacking>\n    <nosharepages/>\n  </memoryBacking>\n"
				: "",
		s->vcpus);
	xml_put_escaped(f, s->kernel);
	fputs("</kernel>\n", f);
	if (s->initrd) {
		fputs("    <initrd>", f);
		xml_put_escaped(f, s->initrd);
		fputs("</initrd>\n", f);
	}
	fputs("    <cmdline>console=ttyS0 panic=-1", f);
	if (!s->balloon_driver)
		fputs(" blimp.nomod=virtio_balloon", f);
	if (s->swap_disk)
		fputs(" blimp.swap=1", f);
	if (s->guest_cmd && s->guest_cmd[0]) {
		static const char hex[] = "0123456789abcdef";
		fputs(" blimp.cmd=", f);
		for (const unsigned char *p = (const unsigned char *)s->guest_cmd; *p; p++) {
			fputc(hex[*p >> 4], f);
			fputc(hex[*p & 15], f);
		}
	}
	fputs("</cmdline>\n"
	      "  </os>\n"
	      "  <features><acpi/>",
	      f);
	/* TCG's translation cache is QEMU memory beyond guest RAM (OVHD): QEMU sizes it
	 * at up to 1 GiB and fills it as the guest runs new code, which costs more per VM
	 * than KVM's whole overhead. libvirt >= 8.0: <tcg><tb-cache>. */
	if (s->tcg_tb_cache_mib && strcmp(s->domain_type, "qemu") == 0)
		fprintf(f, "<tcg><tb-cache unit='MiB'>%u</tb-cache></tcg>", s->tcg_tb_cache_mib);
	fputs("</features>\n"
	      "  <clock offset='utc'/>\n"
	      "  <on_poweroff>destroy</on_poweroff>\n"
	      "  <on_reboot>restart</on_reboot>\n"
	      "  <on_crash>destroy</on_crash>\n"
	      "  <devices>\n",
	      f);
	if (s->data_disk)
		put_disk(f, s->data_disk, "vda", "blimpdata", true, s->data_disk_norelabel);
	if (s->swap_disk)
		put_disk(f, s->swap_disk, "vdb", "blimpswap", false, false);
	fputs("    <controller type='usb' model='none'/>\n"
	      "    <serial type='file'>\n"
	      "      <source path='",
	      f);
	xml_put_escaped(f, s->console_log);
	fputs("'/>\n"
	      "      <target port='0'/>\n"
	      "    </serial>\n"
	      /* The agent rides a named virtio-serial port (flow-controlled), not a
	       * virtio console: QEMU drops console output when the socket is full. */
	      "    <channel type='unix'>\n"
	      "      <source mode='bind' path='",
	      f);
	xml_put_escaped(f, s->agent_sock);
	fprintf(f,
		"'/>\n"
		"      <target type='virtio' name='org.blimp.agent'/>\n"
		"    </channel>\n"
		"    <memballoon model='virtio' autodeflate='on' freePageReporting='%s'>\n",
		s->free_page_reporting ? "on" : "off");
	if (s->stats_period_s)
		fprintf(f, "      <stats period='%u'/>\n", s->stats_period_s);
	fputs("    </memballoon>\n"
	      "  </devices>\n"
	      "</domain>\n",
	      f);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	return 0;
}
