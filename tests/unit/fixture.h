/* Shared by the plan and diff tests: a file's text, and a topology loaded and validated. */
#ifndef NSL_TEST_FIXTURE_H
#define NSL_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "model/topology.h"

/* The whole text of PATH (NULL when it cannot be opened); the caller frees it. */
static inline char *read_all(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t n = 0;

	if (!f)
		return NULL;
	FILE *m = open_memstream(&buf, &n);
	int c;
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(m);
	fclose(f);
	return buf;
}

/* PATH loaded and validated; a problem is printed and fails the test. */
static inline struct nsl_topology *load(const char *path)
{
	struct nsl_diags d = {0};
	struct nsl_topology *t = NULL;
	int r = nsl_topology_load(path, &t, &d);

	if (r == 0)
		r = nsl_topology_validate(t, &d);
	if (r != 0)
		nsl_diags_print(&d, stderr);
	assert_int_equal(r, 0);
	nsl_diags_clear(&d);
	return t;
}

#endif
