/* `up`: from a validated model to a running lab, or to nothing at all. */
#ifndef NSL_UP_H
#define NSL_UP_H

#include "engine/apply.h"
#include "model/topology.h"

struct nsl_up_opts {
	const char *name;     /* --name, or NULL for the topology's */
	uint64_t *phase_ns;   /* if set: NSL_PHASES entries, time spent in each phase */
	unsigned long *steps; /* if set: how many steps up took (what NSLAB_FAIL_STEP counts) */
	struct nsl_progress_sink *progress; /* if set: phases and counts, and the rollback's */
	/* if set: called once the lab's state directory is created and locked, before anything
	 * else (`nslab run` tells its reaper which directory is the lab's) */
	void (*on_state)(void *arg, int lab_fd);
	void *arg;
	/* if > 2: a descriptor every holder keeps open until it is committed or gone (`nslab
	 * run`'s pipe to its reaper: its end then means that run and every holder the journal
	 * may not know are gone) */
	int witness_fd;
};

/* Plan, check the host, create the lab's state, apply the plan, commit. On any failure (or
 * SIGINT/SIGTERM/SIGHUP) everything done is undone through the journal and the error says
 * what failed, with the kernel's own words. */
int nsl_up(const struct nsl_topology *t, const struct nsl_up_opts *o,
           struct nsl_err *err) NSL_MUST_USE;

#endif
