/* The change from one validated model to another, for a lab that is up (`nslab apply`). Pure:
 * both plans are built (model/plan.c) and compared operation by operation, each named by its
 * text (what it makes, where, and with what), objects by their identity: nodes by name, links
 * by their ends, interfaces by node and name, addresses, routes (table, destination, metric,
 * next hops), rules, sysctls, NAT rules and impairments by their content. The result is two
 * plans: what goes (operations of the old plan, to be undone in the order given) and what
 * comes (operations of the new plan, in up's order, plus changes in place: an interface's
 * state or master, a node's sysctl). An object that changed is removed and made again, with
 * everything that hangs on it (a link's addresses, a vlan on it, its bridge membership). Nodes
 * that go are killed once the change is committed; what cannot change in place is refused,
 * each with the JSON path and why, or with `recreate` done by making that node again. */
#ifndef NSL_DIFF_H
#define NSL_DIFF_H

#include <stdbool.h>
#include <stdio.h>

#include "model/plan.h"

struct nsl_diff_opts {
	bool recreate; /* a node that cannot change in place is made again (and its links) */
	bool rollback; /* undoing a failed change: nothing is refused, every sysctl a change
	                * added is in `del` (the executor puts back the value it saw) */
	/* Which nodes exist now. NULL: every node of `from`; for `to`, a node of the same name
	 * that exists in `from`. A node of `to` that does not exist is made whole. */
	const bool *alive_from, *alive_to;
};

struct nsl_diff {
	struct nsl_plan from, to; /* the full plans of both models */
	struct nsl_plan del;      /* on from.t: what goes, in the order to undo it */
	struct nsl_plan add;      /* on to.t: what comes, in order */
	bool *gone;               /* [from node]: removed or made again (killed) */
	bool *fresh;              /* [to node]: made (new, or made again) */
	bool *recreated;          /* [to node]: made again (the old one is killed first) */
	bool *kept_from;          /* [from node]: exists now and stays */
	size_t nodes_added, nodes_removed, nodes_recreated, links_added, links_removed;
	bool changes_state; /* something beyond the operations changes (env, checks, text) */
};

/* The change from `from` to `to` for lab `lab`. 0, -ENOMEM, or -EINVAL when something cannot
 * change in place: every such problem is in diags, with its JSON path in `to`'s file. */
int nsl_diff_build(const struct nsl_topology *from, const struct nsl_topology *to, const char *lab,
                   const struct nsl_diff_opts *opts, struct nsl_diff *ret,
                   struct nsl_diags *diags) NSL_MUST_USE;
void nsl_diff_free(struct nsl_diff *d);
/* Whether there is nothing to do to the kernel. */
bool nsl_diff_empty(const struct nsl_diff *d);
/* What apply would do, one line per operation: "- " undone, "+ " made, "x " a node killed
 * once the change is committed (golden-file tested). */
void nsl_diff_print(const struct nsl_diff *d, FILE *out);

#endif
