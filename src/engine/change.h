/* `apply`: a lab that is up changed to match an edited topology, only the difference
 * (model/diff.c decides what). Under the lab's exclusive lock: what a crashed or failed
 * earlier change left is cleared first; then what goes is undone, what comes is made (new
 * nodes and host links journaled before they exist, as at up), the change is committed
 * (state.json: the new text's digest, generation + 1; the kept copy of the text), nodes that
 * go are killed and the journal is rewritten to what the lab now is. On a failure before the
 * commit, the inverse change puts the lab back as it was. Every operation is a step
 * (NSLAB_FAIL_STEP, NSLAB_STOP_STEP, NSLAB_COUNT_STEPS), the rollback's are down steps. */
#ifndef NSL_CHANGE_H
#define NSL_CHANGE_H

#include "engine/progress.h"
#include "model/diff.h"

struct nsl_change_opts {
	bool recreate;
	struct nsl_progress_sink *progress; /* NULL: no reports */
	unsigned long *steps;               /* the steps taken, when not NULL */
	struct nsl_diags *refused;          /* what cannot change in place (file: to's) */
};

struct nsl_change_result {
	unsigned generation; /* the lab's, after */
	size_t nodes_added, nodes_removed, nodes_recreated, links_added, links_removed, ops;
	bool nothing; /* the kernel was not touched */
};

/* The topology lab LAB runs (the copy kept with it), validated; -ENOENT when not up. */
int nsl_change_current(const char *lab, struct nsl_topology **ret,
                       struct nsl_err *err) NSL_MUST_USE;
/* Change lab LAB to `to`. -EINVAL with o->refused filled when something cannot change in
 * place. */
int nsl_change(const struct nsl_topology *to, const char *lab, const struct nsl_change_opts *o,
               struct nsl_change_result *res, struct nsl_err *err) NSL_MUST_USE;

#endif
