/* The plan's rooms: plan.c (the order, the operations up to the VXLANs) shares these with
 * plan_wait.c (what up waits for, and exec in waves). Not for callers of the plan. */
#ifndef NSL_PLAN_IMPL_H
#define NSL_PLAN_IMPL_H

#include <string.h>

#include "model/plan.h"

struct builder {
	struct nsl_plan *p;
	size_t cap;
	bool oom;
	const int *last_ready; /* per node: the wave that waits for its readiness, -1 none */
};

/* One operation more at the end of the plan (NULL: out of memory, b->oom set). */
static inline struct nsl_op *add(struct builder *b, enum nsl_op_kind kind, int node, int iface,
                                 int item)
{
	struct nsl_op *op;

	if (b->oom)
		return NULL;
	if (!nsl_grow(&b->p->ops, &b->cap, b->p->n, sizeof(*b->p->ops))) {
		b->oom = true;
		return NULL;
	}
	op = &b->p->ops[b->p->n++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->node = node;
	op->iface = iface;
	op->item = item;
	return op;
}

/* The index of a link end's interface in its node (or among the host's), -1 if none. */
int nsl_plan_end_iface(const struct nsl_topology *t, const struct nsl_endpoint *ep);

/* plan_wait.c: the wait of a namespace (stage 0 everything: a lab without VXLANs; 1 what runs
 * without VXLANs; 2 what runs only once they are up); exec and readiness in waves (who is
 * ready last kept in b->last_ready). */
void nsl_plan_wait(struct builder *b, int node, int stage);
void nsl_plan_exec(struct builder *b);

#endif
