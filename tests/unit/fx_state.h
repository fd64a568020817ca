/*
 * cmocka state for tests on a fake tree (tests/fixtures/act/fixture.h): a zeroed struct
 * whose first member is `char *root`, a fresh temp dir. fx_state_new is the common half
 * of a setup; fx_state_free is the teardown (removes the tree, frees the struct).
 */
#pragma once
#include <stdlib.h>

#include "../fixtures/act/fixture.h"

/* The struct type's first member must be `char *root`. */
#define FX_STATE_ROOT_FIRST(type)                                                                  \
	_Static_assert(offsetof(type, root) == 0, #type ": root must come first")

/* A zeroed struct of size bytes with its root made; NULL on failure. */
static inline void *fx_state_new(size_t size)
{
	char **root = calloc(1, size);
	if (root && !(*root = fx_tmpdir())) {
		free(root);
		return NULL;
	}
	return root;
}

static inline int fx_state_free(void **state)
{
	char **root = *state;
	fx_rmtree(*root); /* frees the path too */
	free(root);
	return 0;
}
