/* The lab's cgroups (cgroup v2): CGROUP2_ROOT/nslab-LAB (mark "nslab:LAB") with one per node
 * that has "limits" under it (NODE, mark "nslab:LAB:NODE"), made before the holders (each
 * born in its own, CLONE_INTO_CGROUP), each journaled before it is made, removed at teardown
 * (engine/teardown.c) only when it carries the mark the journal recorded. */
#ifndef NSL_CGROUP_LAB_H
#define NSL_CGROUP_LAB_H

#include "engine/apply.h"

/* Make the cgroups of the nodes that have limits (nothing when none has). */
int nsl_cgroups_create(struct nsl_apply *a, struct nsl_err *err) NSL_MUST_USE;
/* The node's cgroup, open (owned by the executor), or -1. */
int nsl_cgroup_node_fd(struct nsl_apply *a, int node);

/* Its path, or NULL. */
const char *nsl_cgroup_node_path(struct nsl_apply *a, int node);
/* Where a node's cgroup is (malloc'd), NULL without cgroup v2. */
char *nsl_cgroup_node_path_of(const char *lab, const char *node);
/* Close and free what nsl_cgroups_create kept (the cgroups stay). */
void nsl_cgroups_free(struct nsl_apply *a);

#endif
