/* `nslab test` and `nslab wait`: the checks of a topology, or one command, run against a lab
 * that is up (engine/lab.c for its holders, engine/probe.c to run them). */
#ifndef NSL_TEST_H
#define NSL_TEST_H

#include "engine/lab.h"
#include "engine/probe.h"

struct nsl_test {
	const struct nsl_topology *t;
	struct nsl_lab lab;
	struct nsl_probe *probes; /* one per check of t, in order */
	size_t n;
};

/* The probes of t's checks against lab LAB (which must be up). A check whose node the lab
 * lacks, or whose holder is gone, is an error before it runs. The `cmd` checks of one node run
 * one at a time, in the file's order; everything else runs at once. */
int nsl_test_prepare(const struct nsl_topology *t, const char *lab, struct nsl_test *ret,
                     struct nsl_err *err) NSL_MUST_USE;
/* Run them (see nsl_probes_run). */
int nsl_test_run(struct nsl_test *x, unsigned jobs, nsl_probe_done_fn done, void *arg,
                 struct nsl_err *err) NSL_MUST_USE;
void nsl_test_free(struct nsl_test *x);

/* `nslab wait`: argv re-run in NODE of LAB every interval until it exits 0, for at most
 * timeout (no attempt outlives it). *ret tells what happened (its check is NULL; free its
 * output with nsl_probes_free). 0 when it ran (whatever the verdict), negative on error. */
int nsl_wait(const char *lab, const char *node, char **argv, uint32_t interval_ms,
             uint32_t timeout_ms, struct nsl_probe *ret, struct nsl_err *err) NSL_MUST_USE;

#endif
