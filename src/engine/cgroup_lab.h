/* The lab's cgroups (cgroup v2): one per lab, one per node with "limits" under it, made
 * before the holders (each born in its own, CLONE_INTO_CGROUP), journaled, removed at
 * teardown only when they carry the lab's mark. */
#ifndef NSL_CGROUP_LAB_H
#define NSL_CGROUP_LAB_H

#include "engine/apply.h"

/* Make the cgroups of the nodes that have limits (nothing when none has). */
int nsl_cgroups_create(struct nsl_apply *a, struct nsl_err *err) NSL_MUST_USE;
/* The node's cgroup, open (owned by the executor), or -1. */
int nsl_cgroup_node_fd(struct nsl_apply *a, int node);

/* Its path, or NULL. */
const char *nsl_cgroup_node_path(struct nsl_apply *a, int node);

#endif
