#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "virt/accel.h"
#include "virt/domcaps.h"
#include "virt/domxml.h"
#include "virt/meta.h"

#ifndef FIXTURES
#define FIXTURES "tests/fixtures" /* tests run from the top of the tree */
#endif

static struct virt_domain_spec base_spec(void)
{
	struct virt_domain_spec s = {
		.name = "vm1",
		.domain_type = "qemu",
		.memsz_bytes = 256 * MODEL_MIB,
		.vcpus = 1,
		.kernel = "/g/vmlinux",
		.initrd = "/g/initrd.img",
		.guest_cmd = NULL,
		.balloon_driver = true,
		.free_page_reporting = true,
		.data_disk = "/g/data.img",
		.swap_disk = NULL,
		.console_log = "/s/vms/vm1/console.log",
		.agent_sock = "/s/vms/vm1/agent.sock",
		.stats_period_s = 1,
	};
	return s;
}

static void test_names(void **state)
{
	(void)state;
	static const char *good[] = {"a", "vm1", "A.b-c_d", "9", "x-"};
	static const char *bad[] = {"", "-a", ".a", "_a", "a<b>", "../../etc", "x'y", "a b",
				    "a/b", "a\nb", "é", "a&b", "..", "a\"b"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(virt_name_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(virt_name_valid(bad[i]));
	char n63[64], n64[65];
	memset(n63, 'n', 63);
	n63[63] = '\0';
	memset(n64, 'n', 64);
	n64[64] = '\0';
	assert_true(virt_name_valid(n63));
	assert_false(virt_name_valid(n64));
	assert_false(virt_name_valid(NULL));
}

static void test_escape(void **state)
{
	(void)state;
	char out[128];
	virt_xml_escape("a<b>&'\"c", out, sizeof(out));
	assert_string_equal(out, "a&lt;b&gt;&amp;&apos;&quot;c");
	/* truncation never splits an entity */
	virt_xml_escape("ab&", out, 6);
	assert_string_equal(out, "ab");
}

static void test_shell_join(void **state)
{
	(void)state;
	const char *argv[] = {"memhog", "100", "it's"};
	char out[64];
	assert_int_equal(virt_shell_join(argv, 3, out, sizeof(out)), 0);
	assert_string_equal(out, "'memhog' '100' 'it'\\''s'");
	assert_int_equal(virt_shell_join(argv, 3, out, 10), -E2BIG);
	assert_int_equal(virt_shell_join(argv, 0, out, sizeof(out)), -EINVAL);
}

static void test_xml_basic(void **state)
{
	(void)state;
	struct virt_domain_spec s = base_spec();
	s.settings.shares = 1234;
	s.settings.reservation_bytes = 64 * MODEL_MIB;
	char *x = NULL;
	assert_int_equal(virt_domxml_build(&s, &x), 0);
	assert_non_null(strstr(x, "<domain type='qemu'>"));
	assert_non_null(strstr(x, "<name>vm1</name>"));
	assert_non_null(strstr(x, "<memory unit='KiB'>262144</memory>"));
	assert_non_null(strstr(x, "<currentMemory unit='KiB'>262144</currentMemory>"));
	assert_non_null(strstr(x, "machine='pc'"));
	assert_non_null(strstr(x, "<on_poweroff>destroy</on_poweroff>"));
	assert_non_null(strstr(x, "<serial>blimpdata</serial>"));
	assert_non_null(strstr(x, "<readonly/>"));
	assert_non_null(strstr(x, "<shareable/>"));
	assert_null(strstr(x, "<seclabel"));
	assert_null(strstr(x, "blimpswap"));
	assert_null(strstr(x, "blimp.swap=1"));
	assert_null(strstr(x, "blimp.nomod"));
	assert_null(strstr(x, "<interface"));
	assert_null(strstr(x, "nosharepages")); /* sharing on unless asked */
	assert_null(strstr(x, "<graphics"));
	assert_non_null(strstr(x, "<source mode='bind' path='/s/vms/vm1/agent.sock'/>"));
	assert_non_null(strstr(x, "<channel type='unix'>"));
	assert_non_null(strstr(x, "<target type='virtio' name='org.blimp.agent'/>"));
	assert_non_null(strstr(x, "<source path='/s/vms/vm1/console.log'/>"));
	assert_non_null(strstr(x, "autodeflate='on' freePageReporting='on'"));
	assert_non_null(strstr(x, "<stats period='1'/>"));
	assert_non_null(strstr(x, "console=ttyS0"));
	assert_non_null(strstr(x, "xmlns:blimp='urn:blimp:memory:1'"));
	assert_non_null(strstr(x, "<blimp:shares>1234</blimp:shares>"));
	assert_non_null(strstr(x, "<blimp:managed>1</blimp:managed>"));
	/* the metadata inside the domain XML parses back */
	struct vm_settings back;
	bool managed = false;
	assert_int_equal(virt_meta_parse(x, &back, &managed), 0);
	assert_true(managed);
	assert_int_equal(back.shares, 1234);
	assert_int_equal(back.reservation_bytes, 64 * MODEL_MIB);
	free(x);
	/* embedded: the shared data disk is not relabelled for QEMU's user */
	s.data_disk_norelabel = true;
	assert_int_equal(virt_domxml_build(&s, &x), 0);
	assert_non_null(strstr(x, "<source file='/g/data.img'>\n"
				  "        <seclabel model='dac' relabel='no'/>\n      </source>"));
	assert_null(strstr(x, "<source file='/g/data.img'/>"));
	free(x);
}

static void test_xml_options(void **state)
{
	(void)state;
	struct virt_domain_spec s = base_spec();
	s.balloon_driver = false;
	s.free_page_reporting = false;
	s.swap_disk = "/s/vms/vm1/swap.img";
	s.guest_cmd = "echo 'hi' & <x>";
	s.domain_type = "kvm";
	s.vcpus = 2;
	char *x = NULL;
	assert_int_equal(virt_domxml_build(&s, &x), 0);
	assert_non_null(strstr(x, "<domain type='kvm'>"));
	assert_non_null(strstr(x, "blimp.nomod=virtio_balloon"));
	assert_non_null(strstr(x, "blimp.swap=1"));
	assert_non_null(strstr(x, "<serial>blimpswap</serial>"));
	assert_non_null(strstr(x, "freePageReporting='off'"));
	assert_non_null(strstr(x, ">2</vcpu>"));
	assert_null(strstr(x, "nosharepages"));
	free(x);
	/* page sharing off: <memoryBacking><nosharepages/>, which the parser reads back */
	s.nosharepages = true;
	assert_int_equal(virt_domxml_build(&s, &x), 0);
	assert_non_null(strstr(x, "<memoryBacking>\n    <nosharepages/>\n  </memoryBacking>"));
	struct virt_domcaps caps;
	assert_int_equal(virt_domcaps_parse(x, &caps), 0);
	assert_true(caps.nosharepages);
	s.nosharepages = false;
	/* hex of "echo 'hi' & <x>" : nothing of the command appears raw */
	assert_non_null(strstr(x, "blimp.cmd=6563686f20276869272026203c783e"));
	assert_null(strstr(x, "<x>"));
	/* the TCG translation cache size is for "qemu" (TCG) domains only */
	assert_null(strstr(x, "tb-cache"));
	free(x);
	s.tcg_tb_cache_mib = 32;
	assert_int_equal(virt_domxml_build(&s, &x), 0);
	assert_null(strstr(x, "tb-cache"));
	free(x);
	s.domain_type = "qemu";
	assert_int_equal(virt_domxml_build(&s, &x), 0);
	assert_non_null(strstr(x, "<features><acpi/><tcg><tb-cache unit='MiB'>32</tb-cache></tcg>"
				  "</features>"));
	free(x);
	s.tcg_tb_cache_mib = 0;
	assert_int_equal(virt_domxml_build(&s, &x), 0);
	assert_non_null(strstr(x, "<features><acpi/></features>"));
	free(x);
}

static void test_xml_escapes_paths(void **state)
{
	(void)state;
	struct virt_domain_spec s = base_spec();
	s.kernel = "/g/<evil>&'\"/vmlinux";
	char *x = NULL;
	assert_int_equal(virt_domxml_build(&s, &x), 0);
	assert_non_null(strstr(x, "<kernel>/g/&lt;evil&gt;&amp;&apos;&quot;/vmlinux</kernel>"));
	assert_null(strstr(x, "<evil>"));
	free(x);
}

static void test_xml_rejects(void **state)
{
	(void)state;
	char *x = NULL;
	struct virt_domain_spec s;
	static const char *bad_names[] = {"a<b>", "../../etc", "x'y", "", "-x"};
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		s = base_spec();
		s.name = bad_names[i];
		assert_int_equal(virt_domxml_build(&s, &x), -EINVAL);
		assert_null(x);
	}
	s = base_spec();
	s.kernel = "relative/vmlinux";
	assert_int_equal(virt_domxml_build(&s, &x), -EINVAL);
	s = base_spec();
	s.console_log = "/s/a\nb";
	assert_int_equal(virt_domxml_build(&s, &x), -EINVAL);
	s = base_spec();
	s.memsz_bytes = 1000;
	assert_int_equal(virt_domxml_build(&s, &x), -EINVAL);
	s = base_spec();
	s.memsz_bytes = 256 * MODEL_MIB + 1;
	assert_int_equal(virt_domxml_build(&s, &x), -EINVAL);
	s = base_spec();
	s.vcpus = 0;
	assert_int_equal(virt_domxml_build(&s, &x), -EINVAL);
	s = base_spec();
	s.domain_type = "xen";
	assert_int_equal(virt_domxml_build(&s, &x), -EINVAL);
	s = base_spec();
	char big[VIRT_GUEST_CMD_MAX + 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	s.guest_cmd = big;
	assert_int_equal(virt_domxml_build(&s, &x), -E2BIG);
	s = base_spec();
	char longsock[200] = "/";
	memset(longsock + 1, 'a', 150);
	s.agent_sock = longsock;
	assert_int_equal(virt_domxml_build(&s, &x), -ENAMETOOLONG);
	assert_null(x);
}

static void test_meta_roundtrip(void **state)
{
	(void)state;
	struct vm_settings s = {.shares = 2000,
				.reservation_bytes = 1ULL << 28,
				.limit_bytes = 1ULL << 30,
				.maxmemctl_bytes = UINT64_MAX};
	char buf[512];
	assert_int_equal(virt_meta_format(&s, false, false, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "<memory>"));
	struct vm_settings b;
	bool m = true;
	assert_int_equal(virt_meta_parse(buf, &b, &m), 0);
	assert_false(m);
	assert_memory_equal(&s, &b, sizeof(s));
	/* as libvirt hands it back: default namespace, whitespace */
	const char *lv = "<memory xmlns=\"urn:blimp:memory:1\">\n  <shares>5</shares>\n"
			 "  <managed>1</managed>\n  <future>x</future>\n</memory>";
	assert_int_equal(virt_meta_parse(lv, &b, &m), 0);
	assert_true(m);
	assert_int_equal(b.shares, 5);
	assert_int_equal(b.limit_bytes, 0);
	assert_int_equal(virt_meta_format(&s, true, false, buf, 20), -ENOSPC);
}

static void test_meta_hostile(void **state)
{
	(void)state;
	static const char *bad[] = {
		"",
		"<nothing/>",
		"<memory><shares>-1</shares></memory>",
		"<memory><shares>1x</shares></memory>",
		"<memory><shares>99999999999999999999999</shares></memory>",
		"<memory><shares>18446744073709551616</shares></memory>",
		"<memory><shares>1</shares><shares>2</shares></memory>",
		"<memory><shares></shares></memory>",
		"<memory><shares/></memory>",
		"<memory><managed>2</managed></memory>",
		"<memory><limit>0x10</limit></memory>",
		"<memory><limit>12",
		"<memory><memory></memory></memory>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vm_settings b = {.shares = 77};
		bool m = true;
		assert_int_equal(virt_meta_parse(bad[i], &b, &m), -EINVAL);
		assert_int_equal(b.shares, 77);
		assert_true(m);
	}
	struct vm_settings b;
	bool m;
	assert_int_equal(virt_meta_parse(NULL, &b, &m), -EINVAL);
	assert_int_equal(
		virt_meta_parse("<memory><shares>18446744073709551615</shares></memory>", &b, &m),
		0);
	assert_true(b.shares == UINT64_MAX);
}

static void test_meta_validate(void **state)
{
	(void)state;
	char err[128];
	uint64_t mem = 256 * MODEL_MIB;
	struct vm_settings s = {0};
	assert_int_equal(virt_meta_validate(&s, mem, err, sizeof(err)), 0);
	s.reservation_bytes = mem + 1;
	assert_int_equal(virt_meta_validate(&s, mem, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "reservation"));
	s = (struct vm_settings){.reservation_bytes = 200 * MODEL_MIB, .limit_bytes = 100 * MODEL_MIB};
	assert_int_equal(virt_meta_validate(&s, mem, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "limit"));
	s = (struct vm_settings){.maxmemctl_bytes = mem + 1};
	assert_int_equal(virt_meta_validate(&s, mem, err, sizeof(err)), -ERANGE);
	s = (struct vm_settings){.limit_bytes = 2 * mem, .reservation_bytes = mem};
	assert_int_equal(virt_meta_validate(&s, mem, err, sizeof(err)), 0);
}

static void test_accel(void **state)
{
	(void)state;
	char reason[256];
	assert_int_equal(virt_accel_detect(FIXTURES "/virt/accel/kvm", reason, sizeof(reason)),
			 VIRT_ACCEL_KVM);
	assert_non_null(strstr(reason, "KVM"));
	assert_int_equal(virt_accel_detect(FIXTURES "/virt/accel/pvm", reason, sizeof(reason)),
			 VIRT_ACCEL_TCG);
	assert_non_null(strstr(reason, "kvm_pvm"));
	assert_int_equal(virt_accel_detect(FIXTURES "/virt/accel/none", reason, sizeof(reason)),
			 VIRT_ACCEL_TCG);
	assert_non_null(strstr(reason, "no /dev/kvm"));
	assert_int_equal(virt_accel_detect(FIXTURES "/virt/accel/missing", reason, sizeof(reason)),
			 VIRT_ACCEL_TCG);
	assert_string_equal(virt_accel_name(VIRT_ACCEL_KVM), "kvm");
	assert_string_equal(virt_accel_domain_type(VIRT_ACCEL_TCG), "qemu");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),	      cmocka_unit_test(test_escape),
		cmocka_unit_test(test_shell_join),    cmocka_unit_test(test_xml_basic),
		cmocka_unit_test(test_xml_options),   cmocka_unit_test(test_xml_escapes_paths),
		cmocka_unit_test(test_xml_rejects),   cmocka_unit_test(test_meta_roundtrip),
		cmocka_unit_test(test_meta_hostile),  cmocka_unit_test(test_meta_validate),
		cmocka_unit_test(test_accel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
