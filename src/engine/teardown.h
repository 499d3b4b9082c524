/* Teardown: what `down` does and what a failed `up` unwinds through. */
#ifndef NSL_TEARDOWN_H
#define NSL_TEARDOWN_H

#include "engine/lab.h"

/* Undo everything of the lab whose directory sd has open (and locked), from its journal and
 * from the marks nslab leaves (netns names LAB.*, host-link alias nslab:LAB, nft table
 * nslab-LAB), so it works after a crash at any point. Returns when the lab's names are
 * free again. Does not remove the state directory. */
int nsl_teardown(struct nsl_statedir *sd, struct nsl_err *err) NSL_MUST_USE;
/* Same without a state directory (it was lost): marks only. 1 if anything was found. */
int nsl_teardown_marks(const char *lab, struct nsl_err *err) NSL_MUST_USE;

#endif
