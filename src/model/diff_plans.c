/* The two plans of a change: what goes (undone in its order) and what comes (made by the
 * executor), with what hangs on what comes. */
#include "model/diff_impl.h"

static bool nat_eq(const struct nsl_nat *a, size_t na, const struct nsl_nat *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		const struct nsl_nat *x = &a[i], *y = &b[i];
		if (x->has_source != y->has_source ||
		    (x->has_source && !prefix_eq(&x->source, &y->source)) ||
		    strcmp(x->out, y->out) || x->to != y->to || x->family != y->family)
			return false;
		if (x->to != NSL_NAT_MASQUERADE && !nsl_ip_equal(&x->to_min, &y->to_min))
			return false;
		if (x->to == NSL_NAT_RANGE && !nsl_ip_equal(&x->to_max, &y->to_max))
			return false;
	}
	return true;
}

/* ---- the two plans ---- */

static struct nsl_op *push(struct ctx *c, struct nsl_plan *p, size_t *cap, const struct nsl_op *op)
{
	if (c->oom || !nsl_grow(&p->ops, cap, p->n, sizeof(*p->ops))) {
		c->oom = true;
		return NULL;
	}
	p->ops[p->n] = *op;
	return &p->ops[p->n++];
}

static bool kept(const struct side *s, int node) { return node == NSL_PLAN_HOST || !s->out[node]; }

void nsl_diff_build_del(struct ctx *c)
{
	const struct side *f = &c->f, *t = &c->t;
	struct nsl_plan *del = &c->d->del;

	for (size_t x = f->p->n; x-- > 0;) {
		const struct nsl_op *op = &f->p->ops[x];
		int node = op->node;
		const char *key = f->key[x];
		bool in = false;
		switch (op->kind) {
		case NSL_OP_VETH:
			if (!iface_out(f, op->veth[0].node, op->veth[0].iface))
				break;
			/* from an end that stays alive (or the host's): the other dies with its
			 * node */
			for (int e = 0; e < 2; e++)
				in |=
				    op->veth[e].node == NSL_PLAN_HOST || f->alive[op->veth[e].node];
			break;
		case NSL_OP_CREATE:
		case NSL_OP_BRIDGE:
			in = kept(f, node) && iface_out(f, node, op->iface);
			break;
		case NSL_OP_ADDR:
			in = kept(f, node) && !iface_out(f, node, op->iface) && !has_key(t, key);
			break;
		case NSL_OP_ROUTE:
		case NSL_OP_RULE:
			in = kept(f, node) && !has_key(t, key);
			break;
		case NSL_OP_RATE:
		case NSL_OP_IMPAIR:
			in = kept(f, node) && !iface_out(f, node, op->iface) &&
			     !nsl_diff_iface_has_ident(t, "q", node_name(f, node),
			                               nsl_plan_iface(f->p, node, op->iface)->name);
			break;
		case NSL_OP_SYSCTL:
			in = c->o->rollback && kept(f, node) && !iface_out(f, node, op->iface) &&
			     !nsl_diff_iface_has_ident(t, "s", node_name(f, node),
			                               f->t->nodes[node].sysctls[op->item].key);
			break;
		case NSL_OP_NAT:
			if (node == NSL_PLAN_HOST)
				in = t->t->host.n_nat == 0;
			else
				in = kept(f, node) && t->t->nodes[f->peer[node]].n_nat == 0;
			break;
		default:
			break;
		}
		if (in)
			push(c, del, &c->cap_del, op);
	}
	/* rollback: sysctls of nodes that a change added go back to what they were */
	for (size_t i = 0; c->o->rollback && i < f->t->n_nodes; i++) {
		const struct nsl_node *a = &f->t->nodes[i];
		if (!kept(f, (int)i))
			continue;
		const struct nsl_node *b = &t->t->nodes[f->peer[i]];
		for (size_t s = 0; s < a->n_sysctls; s++) {
			if (nsl_sysctl_iface_scope(a, a->sysctls[s].key, NULL) ||
			    sysctl_of(b->sysctls, b->n_sysctls, a->sysctls[s].key))
				continue;
			struct nsl_op op = {
			    .kind = NSL_OP_SYSCTL, .node = (int)i, .iface = -1, .item = (int)s};
			push(c, del, &c->cap_del, &op);
		}
	}
}

/* The desired master of an interface, by name ("" none). */
static const char *master_of(const struct nsl_node *n, const struct nsl_iface *f)
{
	if (f->bridge >= 0)
		return n->bridges[f->bridge].name;
	if (f->bond >= 0)
		return n->ifaces[f->bond].name;
	if (f->master_vrf >= 0)
		return n->ifaces[f->master_vrf].name;
	return "";
}

/* Changes in place of node j (to side): interface state and master, the node's sysctls. */
static void emit_in_place(struct ctx *c, int j)
{
	const struct side *f = &c->f, *t = &c->t;
	const struct nsl_node *b = &t->t->nodes[j];
	struct nsl_plan *add = &c->d->add;

	if (t->out[j] || t->peer[j] < 0)
		return;
	const struct nsl_node *a = &f->t->nodes[t->peer[j]];
	for (size_t k = 0; k < b->n_ifaces; k++) {
		const struct nsl_iface *nf = &b->ifaces[k], *of = nsl_node_iface(a, nf->name);
		if (t->iout[j][k] || !of || nf->kind == NSL_IFACE_LO)
			continue;
		const char *om = master_of(a, of), *nm = master_of(b, nf);
		int master = iface_index(b, nm);
		if ((master >= 0 && t->iout[j][master]) || (of->up == nf->up && !strcmp(om, nm)))
			continue; /* unchanged, or the plan's own operation enslaves it again */
		struct nsl_op op = {.kind = NSL_OP_LINK, .node = j, .iface = (int)k, .item = -1};
		op.link.up = nf->bond >= 0 ? -1 : nf->up ? 1 : 0;
		op.link.master = strcmp(om, nm) ? (master >= 0 ? master : NSL_LINK_NOMASTER) : -1;
		push(c, add, &c->cap_add, &op);
	}
	for (size_t s = 0; s < b->n_sysctls; s++) {
		const char *old = sysctl_of(a->sysctls, a->n_sysctls, b->sysctls[s].key);
		if (nsl_sysctl_iface_scope(b, b->sysctls[s].key, NULL) ||
		    str_eq(old, b->sysctls[s].value))
			continue;
		struct nsl_op op = {.kind = NSL_OP_SYSCTL, .node = j, .iface = -1, .item = (int)s};
		push(c, add, &c->cap_add, &op);
	}
}

static bool config_kind(enum nsl_op_kind k)
{
	switch (k) {
	case NSL_OP_BRIDGE:
	case NSL_OP_LINK:
	case NSL_OP_ADDR:
	case NSL_OP_ROUTE:
	case NSL_OP_RULE:
	case NSL_OP_RATE:
	case NSL_OP_IMPAIR:
	case NSL_OP_SYSCTL:
	case NSL_OP_NAT:
		return true;
	default:
		return false;
	}
}

/* A WAIT of the new plan, cut down to the interfaces that are made. */
static void add_wait(struct ctx *c, const struct nsl_op *op)
{
	const struct side *t = &c->t;
	struct nsl_op w = *op;
	int *list = nsl_arena_array(c->a, op->wait.n + op->wait.n_lacp + 1, sizeof(int));

	if (!list) {
		c->oom = true;
		return;
	}
	w.wait.ifaces = list;
	w.wait.n = 0;
	for (size_t k = 0; k < op->wait.n; k++)
		if (iface_out(t, op->node, op->wait.ifaces[k]))
			list[w.wait.n++] = op->wait.ifaces[k];
	w.wait.lacp = list + w.wait.n;
	w.wait.n_lacp = 0;
	for (size_t k = 0; k < op->wait.n_lacp; k++)
		if (iface_out(t, op->node, op->wait.lacp[k]))
			w.wait.lacp[w.wait.n_lacp++] = op->wait.lacp[k];
	if (w.wait.n || w.wait.n_lacp)
		push(c, &c->d->add, &c->cap_add, &w);
}

void nsl_diff_build_add(struct ctx *c)
{
	const struct side *f = &c->f, *t = &c->t;
	struct nsl_plan *add = &c->d->add;
	bool *emitted = nsl_arena_array(c->a, t->t->n_nodes + 1, sizeof(bool));
	bool late = false;

	if (!emitted) {
		c->oom = true;
		return;
	}
	for (size_t x = 0; x < t->p->n; x++) {
		const struct nsl_op *op = &t->p->ops[x];
		int node = op->node;
		bool made = node != NSL_PLAN_HOST && t->out[node], twin = has_key(f, t->key[x]);
		bool in = false;
		if (node >= 0 && config_kind(op->kind) && !emitted[node]) {
			emitted[node] = true;
			emit_in_place(c, node);
		}
		if (!late && (op->kind == NSL_OP_EXEC || op->kind == NSL_OP_READY ||
		              op->kind == NSL_OP_WAIT || op->kind == NSL_OP_COMMIT)) {
			late = true; /* in-place changes of nodes that had no operation so far */
			for (size_t j = 0; j < t->t->n_nodes; j++)
				if (!emitted[j]) {
					emitted[j] = true;
					emit_in_place(c, (int)j);
				}
		}
		switch (op->kind) {
		case NSL_OP_NODE:
		case NSL_OP_BIND:
		case NSL_OP_DEVICE:
		case NSL_OP_EXEC:
		case NSL_OP_READY:
			in = made;
			break;
		case NSL_OP_VETH:
			in = iface_out(t, op->veth[0].node, op->veth[0].iface);
			break;
		case NSL_OP_CREATE:
		case NSL_OP_BRIDGE:
		case NSL_OP_HOST_DEV:
		case NSL_OP_HOST_END:
			in = iface_out(t, node, op->iface);
			break;
		case NSL_OP_LINK:
			in = iface_out(t, node, op->iface) ||
			     (op->link.master >= 0 && iface_out(t, node, op->link.master));
			break;
		case NSL_OP_ADDR:
			in = iface_out(t, node, op->iface) || !twin ||
			     (node == NSL_PLAN_HOST ? t->hreaddr[op->iface]
			                            : t->readdr[node][op->iface]);
			break;
		case NSL_OP_RATE:
		case NSL_OP_IMPAIR:
		case NSL_OP_SYSCTL:
			in = iface_out(t, node, op->iface) || !twin;
			break;
		case NSL_OP_ROUTE:
			in = made || !twin || t->reroute[node];
			break;
		case NSL_OP_RULE:
			in = made || !twin;
			break;
		case NSL_OP_NAT:
			if (node == NSL_PLAN_HOST)
				in = !nat_eq(f->t->host.nat, f->t->host.n_nat, t->t->host.nat,
				             t->t->host.n_nat);
			else
				in = made || t->peer[node] < 0 ||
				     !nat_eq(f->t->nodes[t->peer[node]].nat,
				             f->t->nodes[t->peer[node]].n_nat,
				             t->t->nodes[node].nat, t->t->nodes[node].n_nat);
			break;
		case NSL_OP_WAIT:
			add_wait(c, op);
			break;
		default: /* host sysctls (refused when changed), commit (the engine's) */
			break;
		}
		if (in)
			push(c, add, &c->cap_add, op);
	}
}
