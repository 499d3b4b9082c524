/* Shared by the parser and validator tests: run text through the core, keep what it printed. */
#ifndef NSL_TEST_HARNESS_H
#define NSL_TEST_HARNESS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/topology.h"

struct result {
	int r;
	struct nsl_topology *t;
	struct nsl_diags d;
	char *out; /* printed diagnostics */
};

/* Parse FILE_NAME's TEXT, then validate it when VALIDATE and parsing worked. */
static inline void run_core(struct result *res, const char *file_name, const char *text, size_t len,
			    bool validate)
{
	size_t n = 0;
	FILE *m;

	memset(res, 0, sizeof(*res));
	res->r = nsl_topology_parse(file_name, text, len, &res->t, &res->d);
	if (validate && res->r == 0)
		res->r = nsl_topology_validate(res->t, &res->d);
	m = open_memstream(&res->out, &n);
	assert_non_null(m);
	nsl_diags_print(&res->d, m);
	fclose(m);
}

static inline void done(struct result *res)
{
	nsl_topology_free(res->t);
	nsl_diags_clear(&res->d);
	free(res->out);
}

/* The run must fail with -EINVAL and print WANT somewhere. */
static inline void expect_failure(struct result *res, const char *want)
{
	if (res->r != -EINVAL || !strstr(res->out, want))
		fail_msg("r=%d, expected '%s' in:\n%s", res->r, want, res->out);
}

#endif
