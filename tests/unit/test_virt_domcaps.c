/* virt_domcaps_parse on fixture domain XML (tests/fixtures/virt/domcaps/) and on
 * malformed and hostile input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "virt/domcaps.h"

#ifndef FIXTURES
#define FIXTURES "tests/fixtures" /* tests run from the top of the tree */
#endif

static char *slurp(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/virt/domcaps/%s", FIXTURES, name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char buf[65536];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void test_fixtures(void **state)
{
	(void)state;
	struct virt_domcaps c;
	assert_int_equal(virt_domcaps_parse(slurp("blimp-started.xml"), &c), 0);
	assert_int_equal(c.type, VIRT_DOMCAPS_TYPE_QEMU);
	assert_int_equal(c.balloon, VIRT_DOMCAPS_BALLOON_VIRTIO);
	assert_true(c.autodeflate);
	assert_true(c.free_page_reporting);
	assert_int_equal(c.stats_period_s, 1);
	assert_true(c.tb_cache);
	assert_int_equal(c.tb_cache_bytes, 32ULL << 20);

	/* libvirt's defaults on a system host: double quotes, a prolog, a comment */
	assert_int_equal(virt_domcaps_parse(slurp("system-default.xml"), &c), 0);
	assert_int_equal(c.type, VIRT_DOMCAPS_TYPE_KVM);
	assert_int_equal(c.balloon, VIRT_DOMCAPS_BALLOON_VIRTIO);
	assert_false(c.autodeflate);
	assert_false(c.free_page_reporting);
	assert_int_equal(c.stats_period_s, 0);
	assert_false(c.tb_cache);

	/* a memballoon in metadata, a comment and CDATA must not count */
	assert_int_equal(virt_domcaps_parse(slurp("period10-decoys.xml"), &c), 0);
	assert_int_equal(c.type, VIRT_DOMCAPS_TYPE_KVM);
	assert_int_equal(c.balloon, VIRT_DOMCAPS_BALLOON_VIRTIO);
	assert_false(c.autodeflate);
	assert_false(c.free_page_reporting);
	assert_int_equal(c.stats_period_s, 10);
	assert_false(c.tb_cache);

	assert_int_equal(virt_domcaps_parse(slurp("balloon-none.xml"), &c), 0);
	assert_int_equal(c.balloon, VIRT_DOMCAPS_BALLOON_NONE);
	assert_false(c.tb_cache);

	assert_int_equal(virt_domcaps_parse(slurp("no-balloon-tb-mib.xml"), &c), 0);
	assert_int_equal(c.balloon, VIRT_DOMCAPS_BALLOON_ABSENT);
	assert_true(c.tb_cache);
	assert_int_equal(c.tb_cache_bytes, 128ULL << 20);
	assert_string_equal(virt_domcaps_type_name(c.type), "qemu");
	assert_string_equal(virt_domcaps_balloon_name(c.balloon), "absent");
}

static void test_small(void **state)
{
	(void)state;
	struct virt_domcaps c;
	assert_int_equal(virt_domcaps_parse("<domain type='xen'/>", &c), 0);
	assert_int_equal(c.type, VIRT_DOMCAPS_TYPE_OTHER);
	assert_int_equal(virt_domcaps_parse("<domain><devices><memballoon model='xen'/>"
					    "</devices></domain>",
					    &c),
			 0);
	assert_int_equal(c.balloon, VIRT_DOMCAPS_BALLOON_OTHER);
	/* spaces around = and in end tags; an unknown unit keeps the presence */
	assert_int_equal(virt_domcaps_parse("<domain type = \"qemu\" ><features><tcg><tb-cache "
					    "unit='parsecs'>3</tb-cache ></tcg></features>"
					    "<devices><memballoon model='virtio-transitional'>"
					    "<stats period = '5' /></memballoon></devices></domain >",
					    &c),
			 0);
	assert_int_equal(c.type, VIRT_DOMCAPS_TYPE_QEMU);
	assert_int_equal(c.balloon, VIRT_DOMCAPS_BALLOON_VIRTIO);
	assert_int_equal(c.stats_period_s, 5);
	assert_true(c.tb_cache);
	assert_int_equal(c.tb_cache_bytes, 0);
	/* a value in quotes of the other kind; '>' inside a value */
	assert_int_equal(virt_domcaps_parse("<domain x='a\"b>c'><devices><memballoon "
					    "autodeflate=\"on\" model='virtio'/></devices></domain>",
					    &c),
			 0);
	assert_true(c.autodeflate);
	/* entities are not decoded: on spelled with one does not count */
	assert_int_equal(virt_domcaps_parse("<domain><devices><memballoon autodeflate='&#111;n'/>"
					    "</devices></domain>",
					    &c),
			 0);
	assert_false(c.autodeflate);
	/* page sharing: only domain/memoryBacking/nosharepages counts */
	assert_false(c.nosharepages);
	assert_int_equal(virt_domcaps_parse("<domain><memoryBacking><nosharepages/>"
					    "</memoryBacking></domain>",
					    &c),
			 0);
	assert_true(c.nosharepages);
	assert_int_equal(virt_domcaps_parse("<domain><memoryBacking><nosharepages></nosharepages>"
					    "<hugepages/></memoryBacking></domain>",
					    &c),
			 0);
	assert_true(c.nosharepages);
	assert_int_equal(virt_domcaps_parse("<domain><devices><nosharepages/></devices>"
					    "<memoryBacking><!-- <nosharepages/> --></memoryBacking>"
					    "</domain>",
					    &c),
			 0);
	assert_false(c.nosharepages);
	/* unbalanced: rejected, nothing believed */
	assert_int_equal(virt_domcaps_parse("<domain><memoryBacking><nosharepages>"
					    "</memoryBacking></domain>",
					    &c),
			 -EINVAL);
	assert_false(c.nosharepages);
}

static void test_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",
	    "no xml at all",
	    "<",
	    "<domain",
	    "<domain type='kvm'",
	    "<domain type='kvm>",
	    "<domain type=kvm></domain>",
	    "<domain type></domain>",
	    "<domain typ e='kvm'></domain>",
	    "<domain type='kvm'x='1'></domain>",
	    "<domain>",
	    "<domain></domian>",
	    "<domain><devices></domain></devices>",
	    "</domain>",
	    "<domain></domain><domain></domain>",
	    "<vm><devices><memballoon autodeflate='on'/></devices></vm>",
	    "<domain><!-- unterminated </domain>",
	    "<domain><![CDATA[ unterminated </domain>",
	    "<?xml version='1.0'",
	    "<domain><!DOCTYPE x></domain>",
	    "<domain><devices><memballoon><stats period='-1'/></memballoon></devices></domain>",
	    "<domain><devices><memballoon><stats period='1x'/></memballoon></devices></domain>",
	    "<domain><devices><memballoon><stats period=''/></memballoon></devices></domain>",
	    "<domain><devices><memballoon><stats period='99999999999999999999999'/>"
	    "</memballoon></devices></domain>",
	    "<domain><devices><memballoon><stats period='86401'/></memballoon></devices></domain>",
	    "<domain>< devices/></domain>",
	    "<domain><devices a='<'/></domain>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct virt_domcaps c;
		memset(&c, 0xa5, sizeof(c));
		if (virt_domcaps_parse(bad[i], &c) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(c.stats_period_s, 0); /* zeroed on failure */
		assert_false(c.autodeflate);
	}
	struct virt_domcaps c;
	assert_int_equal(virt_domcaps_parse(NULL, &c), -EINVAL);
	/* a truncated real document fails at every cut inside the root */
	const char *full = slurp("blimp-started.xml");
	size_t n = strlen(full);
	char *cut = malloc(n + 1);
	assert_non_null(cut);
	for (size_t k = 0; k + 12 < n; k++) {
		memcpy(cut, full, k);
		cut[k] = '\0';
		if (virt_domcaps_parse(cut, &c) != -EINVAL)
			fail_msg("accepted a cut at %zu", k);
	}
	free(cut);
}

static void test_deep(void **state)
{
	(void)state;
	/* 255 nested elements inside domain are fine; 256 are not */
	for (int depth = 255; depth <= 256; depth++) {
		size_t cap = 16 + (size_t)depth * 8;
		char *x = malloc(cap), *p = x;
		assert_non_null(x);
		p += sprintf(p, "<domain>");
		for (int i = 0; i < depth; i++)
			p += sprintf(p, "<a>");
		for (int i = 0; i < depth; i++)
			p += sprintf(p, "</a>");
		sprintf(p, "</domain>");
		struct virt_domcaps c;
		assert_int_equal(virt_domcaps_parse(x, &c), depth == 255 ? 0 : -EINVAL);
		free(x);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixtures),
	    cmocka_unit_test(test_small),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_deep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
