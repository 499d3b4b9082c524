/* The executor's rooms: apply.c (the loop, batching, binds, waits, ready, state, commit) shares
 * these with apply_ops.c (each operation's change), apply_kinds.c (interfaces of a kind,
 * devices made in the host) and apply_nodes.c (the holders). Not for callers of the
 * executor. */
#ifndef NSL_APPLY_IMPL_H
#define NSL_APPLY_IMPL_H

#include "engine/apply.h"
#include "state/journal.h"

static inline const struct nsl_topology *topo(const struct nsl_apply *a) { return a->plan->t; }

static inline const char *lab(const struct nsl_apply *a) { return a->plan->lab; }

/* A node's name, or "host". */
static inline const char *node_name(const struct nsl_apply *a, int node)
{
	return node == NSL_PLAN_HOST ? NSL_HOST_NODE : topo(a)->nodes[node].name;
}

/* The batched socket of a namespace (NSL_PLAN_HOST: the host's); the previous namespace's
 * requests settle first. */
int nsl_apply_socket(struct nsl_apply *a, int node, struct nsl_nl **ret, struct nsl_err *err);
/* Read the ACKs of the pending socket. */
int nsl_apply_settle(struct nsl_apply *a, struct nsl_err *err);
/* The index nslab gives a node's interface (0 for iface -1); the host's, once known. */
int nsl_apply_ifindex(struct nsl_apply *a, int node, int iface);
/* One journal record, written before the change it undoes (a fault-injection step). */
int nsl_apply_journal(struct nsl_apply *a, const struct nsl_rec *r, struct nsl_err *err);
/* "node r1: " or "host: " in front of an error. */
int nsl_apply_blame(struct nsl_apply *a, int node, int rc, struct nsl_err *err);

/* apply: delete what is named so in a node that exists (a change cut short left it). */
int nsl_apply_predelete(struct nsl_apply *a, int node, const char *name, struct nsl_err *err);
/* apply_nodes.c: the holders of plan ops [from, to), each node's file system, cgroup and
 * namespaces prepared for them. */
int nsl_apply_nodes(struct nsl_apply *a, size_t from, size_t to, struct nsl_err *err);

/* apply_ops.c: one operation each (nsl_apply_host_sysctls: plan ops [from, to)) */
int nsl_apply_device(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err);
int nsl_apply_veth(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err);
int nsl_apply_host_end(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err);
int nsl_apply_request(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err);
int nsl_apply_sysctl(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err);
int nsl_apply_nat(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err);
int nsl_apply_exec(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err);
int nsl_apply_host_sysctls(struct nsl_apply *a, size_t from, size_t to, struct nsl_err *err);

/* apply_kinds.c */
int nsl_apply_create(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err);
int nsl_apply_host_dev(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err);

#endif
