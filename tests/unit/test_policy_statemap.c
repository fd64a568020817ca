/* The per-VM state map: state follows the uuid (or name) whatever the snapshot order,
 * duplicates keep separate entries, and reordering allocates nothing. */
#include "test_policy_fleet.h"

#include "policy/internal.h"

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

enum { N = 3000 };

struct big {
	struct policy_settings s;
	struct policy_state *st;
	struct snapshot snap;
	struct vm_snapshot vms[N];
	struct plan plan;
	struct vm_plan plans[N];
};

/* Stale stats: every VM keeps the target it started with (its balloon actual), so a
 * VM given another VM's state shows up as a wrong target. */
static void big_vm(struct vm_snapshot *v, int id)
{
	fleet_vm(v, id, 8 * GIB);
	v->stats_age_ms = MODEL_AGE_NEVER;
	v->balloon_actual_bytes = 3 * GIB + (uint64_t)id * (MIB / 2); /* distinct */
	if (id % 7 == 0) { /* some without a uuid: keyed by name */
		memset(v->uuid, 0, sizeof(v->uuid));
	}
}

static uint64_t want_of(const struct vm_snapshot *v)
{
	int id = atoi(v->name + 2);
	return 3 * GIB + (uint64_t)id * (MIB / 2); /* distinct */
}

static void test_shuffled_every_tick(void **state)
{
	(void)state;
	static struct big b;
	memset(&b, 0, sizeof(b));
	policy_settings_default(&b.s);
	b.s.budget_bytes = (uint64_t)N * 6 * GIB;
	b.st = policy_state_new();
	assert_non_null(b.st);
	for (int i = 0; i < N; i++)
		big_vm(&b.vms[i], i);
	b.snap.n_vms = N;
	b.snap.vms = b.vms;
	b.plan.vms = b.plans;
	uint64_t now = 1000000, seed = 99;
	assert_int_equal(policy_run(&b.s, b.st, &b.snap, now, &b.plan), 0);
	assert_int_equal(policy_run(&b.s, b.st, &b.snap, now += 1000, &b.plan), 0);
	const void *map = b.st->map, *vms = b.st->vms;
	for (int t = 0; t < 20; t++) {
		for (size_t i = N - 1; i > 0; i--) { /* Fisher-Yates */
			size_t j = xorshift(&seed) % (i + 1);
			struct vm_snapshot tmp = b.vms[i];
			b.vms[i] = b.vms[j];
			b.vms[j] = tmp;
		}
		assert_int_equal(policy_run(&b.s, b.st, &b.snap, now += 1000, &b.plan), 0);
		for (size_t i = 0; i < N; i++)
			assert_int_equal(b.plans[i].target_bytes, want_of(&b.vms[i]));
		assert_int_equal(b.st->n_vms, N);
	}
	assert_ptr_equal(b.st->map, map); /* no allocation once warm */
	assert_ptr_equal(b.st->vms, vms);

	/* Drop every third VM and add as many new ones in the middle: the known keep
	 * their state, the new start at their balloon actual. */
	size_t k = 0;
	for (size_t i = 0; i < N; i++)
		if (i % 3 != 0)
			b.vms[k++] = b.vms[i];
	for (size_t i = k; i < N; i++)
		big_vm(&b.vms[i], (int)(N + i));
	for (size_t i = 0; i < N / 2; i++) {
		size_t j = N - 1 - i;
		struct vm_snapshot tmp = b.vms[i];
		b.vms[i] = b.vms[j];
		b.vms[j] = tmp;
	}
	assert_int_equal(policy_run(&b.s, b.st, &b.snap, now += 1000, &b.plan), 0);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(b.plans[i].target_bytes, want_of(&b.vms[i]));
	assert_int_equal(b.st->n_vms, N);
	policy_state_free(b.st);
}

/* Duplicate keys, out of order: first come, first matched, each its own entry; a key
 * that is a prefix of another does not match it. */
static void test_duplicates_and_prefixes(void **state)
{
	(void)state;
	struct fleet f;
	fleet_init(&f, 4, 4 * GIB, 64 * GIB);
	for (int i = 0; i < 4; i++) {
		f.vms[i].stats_age_ms = MODEL_AGE_NEVER;
		f.vms[i].balloon_actual_bytes = (uint64_t)(2 + i) * GIB;
	}
	strcpy(f.vms[1].uuid, f.vms[0].uuid); /* duplicate of vm0 */
	f.vms[2].uuid[10] = '\0';	      /* a prefix of vm3's uuid */
	strcpy(f.vms[3].uuid, "00000000-0");
	strcat(f.vms[3].uuid, "000-0000-0000-000000000003");
	fleet_tick(&f);
	uint64_t t[4];
	for (int i = 0; i < 4; i++)
		t[i] = f.plans[i].target_bytes;
	/* Reverse the order: duplicates are matched in order (the first now at index 2
	 * takes the first entry), the prefix pair keeps apart. */
	struct vm_snapshot a = f.vms[0], b2 = f.vms[1], c = f.vms[2], d = f.vms[3];
	f.vms[0] = d;
	f.vms[1] = c;
	f.vms[2] = b2;
	f.vms[3] = a;
	fleet_tick(&f);
	assert_int_equal(f.plans[0].target_bytes, t[3]);
	assert_int_equal(f.plans[1].target_bytes, t[2]);
	assert_int_equal(f.plans[2].target_bytes, t[0]); /* first of the duplicates */
	assert_int_equal(f.plans[3].target_bytes, t[1]);
	assert_int_equal(f.st->n_vms, 4);
	fleet_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shuffled_every_tick),
	    cmocka_unit_test(test_duplicates_and_prefixes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
