/* apply's undo: what goes from the nodes that stay and the host (routes, addresses, rules,
 * qdiscs, sysctls, NAT tables, links, interfaces), each undo tolerating its object gone. */
#include <stdlib.h>
#include <string.h>

#include "engine/change_impl.h"
#include "engine/fault.h"
#include "engine/marks.h"
#include "kernel/nft.h"

static int host_link(struct ch *c, const char *name, struct nsl_link_info *li, struct nsl_err *err)
{
	char mark[NSL_MARK_MAX];
	int rc = nsl_nl_link_get(&c->host, 0, name, li, err);

	nsl_mark(mark, sizeof(mark), c->lab, NULL);
	if (rc > 0 && strcmp(li->alias, mark))
		rc = 0; /* not ours: left alone */
	return rc == -ENODEV ? 0 : rc;
}

/* An interface's index in a namespace, 0 when it is gone. */
static int index_of(struct nsl_nl *nl, const char *name, struct nsl_err *err)
{
	struct nsl_link_info li;
	int rc;

	if (!name || !name[0])
		return 0;
	rc = nsl_nl_link_get(nl, 0, name, &li, err);
	return rc > 0 ? li.ifindex : rc == -ENODEV ? 0 : rc;
}

static int undo_one(struct ch *c, const struct nsl_plan *p, const struct nsl_op *op,
                    const struct saved *sv, struct nsl_err *err)
{
	const struct nsl_topology *t = p->t;
	const char *node = op->node == NSL_PLAN_HOST ? NULL : t->nodes[op->node].name;
	const struct nsl_iface *f = nsl_plan_iface(p, op->node, op->iface);
	struct nsl_link_info li;
	struct nsl_nl *nl;
	int rc, ifindex;

	if (op->kind == NSL_OP_VETH) {
		/* from an end whose node is alive; the host's if it carries our mark */
		for (int s = 0; s < 2; s++) {
			const struct nsl_op_end *e = &op->veth[s];
			const struct nsl_iface *ef = nsl_plan_iface(p, e->node, e->iface);
			if (e->node == NSL_PLAN_HOST || !nsl_change_node(c, t->nodes[e->node].name))
				continue;
			nl = nsl_change_socket(c, t->nodes[e->node].name, err, &rc);
			if (rc < 0)
				return rc;
			nl->tolerate = ENODEV;
			rc = nsl_nl_link_del(nl, 0, ef->name, err);
			nl->tolerate = 0;
			return rc < 0 ? rc : nsl_nl_flush(nl, err);
		}
		for (int s = 0; s < 2; s++) {
			const struct nsl_op_end *e = &op->veth[s];
			if (e->node != NSL_PLAN_HOST)
				continue;
			rc = host_link(c, nsl_plan_iface(p, e->node, e->iface)->name, &li, err);
			if (rc > 0)
				rc = nsl_nl_link_del(&c->host, li.ifindex, li.name, err);
			if (rc == 0)
				rc = nsl_nl_flush(&c->host, err);
			return rc == -ENODEV ? 0 : rc;
		}
		return 0;
	}
	nl = nsl_change_socket(c, node, err, &rc);
	if (!nl || rc < 0)
		return rc; /* the node is gone: so is all of it */
	switch (op->kind) {
	case NSL_OP_CREATE:
	case NSL_OP_BRIDGE:
		nl->tolerate = ENODEV;
		rc = nsl_nl_link_del(nl, 0, f->name, err);
		break;
	case NSL_OP_ADDR:
		if (op->node == NSL_PLAN_HOST) {
			rc = host_link(c, f->name, &li, err);
			ifindex = rc > 0 ? li.ifindex : 0;
		} else {
			rc = ifindex = index_of(nl, f->name, err);
		}
		if (rc <= 0)
			return rc;
		nl->tolerate = EADDRNOTAVAIL;
		rc = nsl_nl_addr_del(nl, ifindex, f->name, &f->addrs[op->item], err);
		break;
	case NSL_OP_ROUTE: {
		const struct nsl_route *r = &t->nodes[op->node].routes[op->item];
		_cleanup_free_ int *nh = calloc(r->n_nexthops + 1, sizeof(int));
		if (!nh)
			return nsl_err_set(err, ENOMEM, "out of memory");
		rc = ifindex = index_of(nl, r->dev, err);
		for (size_t h = 0; rc >= 0 && h < r->n_nexthops; h++)
			rc = nh[h] = index_of(nl, r->nexthops[h].dev, err);
		if (rc < 0)
			return rc;
		if ((r->dev[0] && !ifindex))
			return 0; /* gone with its device */
		nl->tolerate = ESRCH;
		rc = nsl_nl_route_del(nl, r, ifindex, nh, err);
		break;
	}
	case NSL_OP_RULE:
		nl->tolerate = ENOENT;
		rc = nsl_nl_rule_del(nl, &t->nodes[op->node].rules[op->item], op->rule.family, err);
		break;
	case NSL_OP_RATE:
	case NSL_OP_IMPAIR:
		rc = ifindex = index_of(nl, f->name, err);
		if (rc > 0)
			rc = nsl_nl_qdisc_clear(nl, ifindex, f->name, err);
		return rc;
	case NSL_OP_SYSCTL: {
		/* rollback only: the value seen before the change set it */
		const char *key = t->nodes[op->node].sysctls[op->item].key, *old = NULL;
		for (size_t i = 0; sv && i < sv->n; i++)
			if (!strcmp(sv->t->nodes[sv->v[i].node].name, node) &&
			    !strcmp(sv->v[i].key, key))
				old = sv->v[i].value;
		if (!old)
			return 0;
		rc = nsl_apply_sysctl_put(nsl_change_node(c, node)->netns_fd, p, op, old);
		return rc < 0 ? nsl_err_set(err, -rc, "sysctl %s=%s: %s", key, old, strerror(-rc))
		              : 0;
	}
	case NSL_OP_NAT: {
		char table[NSL_NAME_MAX + 8], mark[NSL_MARK_MAX];
		if (op->node != NSL_PLAN_HOST) {
			rc = nsl_nft_delete(nsl_change_node(c, node)->netns_fd, NSL_NFT_NODE_TABLE,
			                    NULL, err);
			return rc < 0 ? rc : 0;
		}
		nsl_host_table(table, sizeof(table), c->lab);
		nsl_mark(mark, sizeof(mark), c->lab, NULL);
		rc = nsl_nft_delete(-1, table, mark, err);
		return rc < 0 ? rc : 0;
	}
	default:
		return 0;
	}
	nl->tolerate = 0;
	return rc < 0 ? rc : nsl_nl_flush(nl, err);
}

/* Undo a plan's operations, in its order, each a step. */
int nsl_change_undo(struct ch *c, const struct nsl_plan *p, const struct saved *sv,
                    struct nsl_err *err)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct nsl_op *op = &p->ops[i];
		char what[64];
		int rc;
		if (op->kind == NSL_OP_VETH && op->item >= 0)
			nsl_fmt(what, sizeof(what), "undo links[%d]", op->item);
		else
			nsl_fmt(what, sizeof(what), "undo in %s",
			        op->node == NSL_PLAN_HOST ? NSL_HOST_NODE
			                                  : p->t->nodes[op->node].name);
		nsl_progress_report(c->progress, "undo", i, p->n);
		rc = nsl_step(what, err);
		if (rc == 0)
			rc = undo_one(c, p, op, sv, err);
		if (rc < 0) {
			if (op->node != NSL_PLAN_HOST)
				nsl_err_prefix(err, "node %s", p->t->nodes[op->node].name);
			return rc;
		}
	}
	return 0;
}
