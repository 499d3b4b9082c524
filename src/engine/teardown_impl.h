/* Teardown's rooms: teardown.c (the journal's and the marks' way, nodes of a lab that stays)
 * shares this with teardown_sysctl.c. Not for callers of teardown. */
#ifndef NSL_TEARDOWN_IMPL_H
#define NSL_TEARDOWN_IMPL_H

#include "state/statedir.h"

/* The host sysctls lab's journal set: each given back the value it had, or handed to a lab
 * still up that set it later (under the root lock; a step each). */
int nsl_teardown_host_sysctls(struct nsl_statedir *sd, const char *lab, struct nsl_err *err);

#endif
