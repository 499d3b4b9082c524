/* The change between two models (see diff.h). Pure: no kernel, no I/O but the printer's FILE.
 *
 * Both plans are built; every operation gets a key, its own line of `up --dry-run` without
 * its number (a link named by its ends): two operations with one key make the same thing.
 * Then, on each side, what is "out": a node that does not stay (removed, new, made again), an
 * interface whose making operation has no twin on the other side (a new link, a changed
 * vlan), or that sits on one that is out, or belongs to a node that is. What goes is what is
 * out on the old side, or has no twin; what comes is what is out on the new side, or has no
 * twin, and what hangs on what comes (addresses, bridge ports, routes once an interface of the
 * node is made again). */
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "model/diff.h"
#include "model/diff_impl.h"

static char *op_key(const struct nsl_plan *p, const struct nsl_op *op)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	nsl_plan_print_op(p, op, true, f);
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* The identity of a qdisc or a sysctl operation ("q r1 eth0", "s r1 net.ipv4.conf.eth0.x"). */
static char *op_ident(struct ctx *c, const struct side *s, const struct nsl_op *op)
{
	const struct nsl_iface *f = nsl_plan_iface(s->p, op->node, op->iface);

	if (op->kind == NSL_OP_RATE || op->kind == NSL_OP_IMPAIR)
		return nsl_arena_printf(c->a, "q %s %s", node_name(s, op->node), f ? f->name : "");
	if (op->kind == NSL_OP_SYSCTL)
		return nsl_arena_printf(c->a, "s %s %s", node_name(s, op->node),
		                        s->t->nodes[op->node].sysctls[op->item].key);
	return NULL;
}

static int side_init(struct ctx *c, struct side *s, const struct nsl_plan *p)
{
	const struct nsl_topology *t = p->t;

	s->t = t;
	s->p = p;
	s->key = calloc(p->n + 1, sizeof(char *));
	s->sorted = calloc(p->n + 1, sizeof(char *));
	s->ident = nsl_arena_array(c->a, p->n + 1, sizeof(char *));
	s->alive = nsl_arena_array(c->a, t->n_nodes + 1, sizeof(bool));
	s->out = nsl_arena_array(c->a, t->n_nodes + 1, sizeof(bool));
	s->iout = nsl_arena_array(c->a, t->n_nodes + 1, sizeof(bool *));
	s->hout = nsl_arena_array(c->a, p->n_host_ifaces + 1, sizeof(bool));
	s->peer = nsl_arena_array(c->a, t->n_nodes + 1, sizeof(int));
	s->reroute = nsl_arena_array(c->a, t->n_nodes + 1, sizeof(bool));
	s->readdr = nsl_arena_array(c->a, t->n_nodes + 1, sizeof(bool *));
	s->hreaddr = nsl_arena_array(c->a, p->n_host_ifaces + 1, sizeof(bool));
	if (!s->readdr || !s->hreaddr)
		return -ENOMEM;
	if (!s->key || !s->sorted || !s->ident || !s->alive || !s->out || !s->iout || !s->hout ||
	    !s->peer || !s->reroute)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_nodes; i++) {
		s->iout[i] = nsl_arena_array(c->a, t->nodes[i].n_ifaces + 1, sizeof(bool));
		s->readdr[i] = nsl_arena_array(c->a, t->nodes[i].n_ifaces + 1, sizeof(bool));
		if (!s->iout[i] || !s->readdr[i])
			return -ENOMEM;
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct nsl_op *op = &p->ops[i];
		s->key[i] = op_key(p, op);
		if (!s->key[i])
			return -ENOMEM;
		s->sorted[i] = s->key[i];
		char *id = op_ident(c, s, op);
		if (id)
			s->ident[s->n_ident++] = id;
	}
	qsort(s->sorted, p->n, sizeof(char *), cmp_str);
	qsort(s->ident, s->n_ident, sizeof(char *), cmp_str);
	return 0;
}

static void side_free(struct side *s)
{
	for (size_t i = 0; s->key && i < s->p->n; i++)
		free(s->key[i]);
	free(s->key);
	free(s->sorted);
}

/* ---- what stays ---- */

static void set_iout(struct side *s, int node, int iface)
{
	if (iface < 0)
		return;
	if (node == NSL_PLAN_HOST)
		s->hout[iface] = true;
	else
		s->iout[node][iface] = true;
}

/* Which interfaces of side s are made (or removed): o is the other side. */
static void mark_ifaces(struct side *s, const struct side *o)
{
	const struct nsl_topology *t = s->t;

	for (size_t i = 0; i < t->n_nodes; i++) {
		memset(s->iout[i], 0, t->nodes[i].n_ifaces * sizeof(bool));
		for (size_t k = 0; s->out[i] && k < t->nodes[i].n_ifaces; k++)
			s->iout[i][k] = true;
		s->reroute[i] = false;
	}
	memset(s->hout, 0, s->p->n_host_ifaces * sizeof(bool));
	for (size_t x = 0; x < s->p->n; x++) {
		const struct nsl_op *op = &s->p->ops[x];
		bool twin = has_key(o, s->key[x]);
		switch (op->kind) {
		case NSL_OP_VETH:
			for (int e = 0; e < 2; e++)
				if (op->veth[e].node != NSL_PLAN_HOST && s->out[op->veth[e].node])
					twin = false;
			for (int e = 0; !twin && e < 2; e++)
				set_iout(s, op->veth[e].node, op->veth[e].iface);
			break;
		case NSL_OP_CREATE:
		case NSL_OP_BRIDGE:
		case NSL_OP_DEVICE:
		case NSL_OP_HOST_DEV:
			if (!twin)
				set_iout(s, op->node, op->iface);
			break;
		default:
			break;
		}
	}
	/* what sits on an interface that is made again is made again */
	for (bool more = true; more;) {
		more = false;
		for (size_t i = 0; i < t->n_nodes; i++)
			for (size_t k = 0; k < t->nodes[i].n_ifaces; k++) {
				int lower = t->nodes[i].ifaces[k].lower;
				if (!s->iout[i][k] && lower >= 0 && s->iout[i][lower])
					s->iout[i][k] = more = true;
			}
	}
	/* a node whose interface is made again (one of that name is on both sides) gets its
	 * routes back: the kernel dropped those through the old one */
	for (size_t i = 0; i < t->n_nodes; i++) {
		if (s->out[i] || s->peer[i] < 0)
			continue;
		const struct nsl_node *other = &o->t->nodes[s->peer[i]];
		for (size_t k = 0; k < t->nodes[i].n_ifaces; k++)
			if (s->iout[i][k] && nsl_node_iface(other, t->nodes[i].ifaces[k].name))
				s->reroute[i] = true;
	}
}

/* Interfaces that stay and lose an address (to side). */
static void mark_readdr(struct ctx *c)
{
	const struct side *f = &c->f;
	struct side *t = &c->t;

	for (size_t j = 0; j < t->t->n_nodes; j++)
		memset(t->readdr[j], 0, t->t->nodes[j].n_ifaces * sizeof(bool));
	memset(t->hreaddr, 0, t->p->n_host_ifaces * sizeof(bool));
	for (size_t x = 0; x < f->p->n; x++) {
		const struct nsl_op *op = &f->p->ops[x];
		if (op->kind != NSL_OP_ADDR || has_key(t, f->key[x]) ||
		    iface_out(f, op->node, op->iface))
			continue;
		const char *name = nsl_plan_iface(f->p, op->node, op->iface)->name;
		if (op->node == NSL_PLAN_HOST) {
			for (size_t k = 0; k < t->p->n_host_ifaces; k++)
				if (!strcmp(t->p->host_ifaces[k].name, name))
					t->hreaddr[k] = true;
			continue;
		}
		int j = f->peer[op->node];
		if (f->out[op->node] || j < 0)
			continue;
		int k = iface_index(&t->t->nodes[j], name);
		if (k >= 0) {
			t->readdr[j][k] = true;
			t->reroute[j] = true;
		}
	}
}

static void mark_nodes(struct ctx *c)
{
	for (size_t i = 0; i < c->f.t->n_nodes; i++) {
		int j = c->f.peer[i];
		c->f.out[i] = !c->f.alive[i] || j < 0 || !c->t.alive[j] || c->d->recreated[j];
	}
	for (size_t j = 0; j < c->t.t->n_nodes; j++) {
		int i = c->t.peer[j];
		/* a node that exists and that `from` lacks (a rollback: one the change was to
		 * remove) stays: what of it the change undid is made again */
		c->t.out[j] = !c->t.alive[j] || (i >= 0 && c->f.out[i]);
	}
	mark_ifaces(&c->f, &c->t);
	mark_ifaces(&c->t, &c->f);
	mark_readdr(c);
}

static void count(struct ctx *c)
{
	struct nsl_diff *d = c->d;

	for (size_t j = 0; j < c->t.t->n_nodes; j++) {
		d->nodes_recreated += d->recreated[j];
		d->nodes_added += c->t.out[j] && !d->recreated[j];
		d->fresh[j] = c->t.out[j];
	}
	for (size_t i = 0; i < c->f.t->n_nodes; i++) {
		d->gone[i] = c->f.alive[i] && c->f.out[i];
		d->kept_from[i] = !c->f.out[i];
		d->nodes_removed += d->gone[i] && (c->f.peer[i] < 0 || !d->recreated[c->f.peer[i]]);
	}
	for (size_t x = 0; x < c->f.p->n; x++) {
		const struct nsl_op *op = &c->f.p->ops[x];
		if (op->kind == NSL_OP_VETH && op->item >= 0 &&
		    iface_out(&c->f, op->veth[0].node, op->veth[0].iface))
			d->links_removed++;
	}
	for (size_t x = 0; x < d->add.n; x++)
		d->links_added += d->add.ops[x].kind == NSL_OP_VETH && d->add.ops[x].item >= 0;
	d->changes_state = strcmp(c->f.t->sha256, c->t.t->sha256) != 0;
}

int nsl_diff_build(const struct nsl_topology *from, const struct nsl_topology *to, const char *lab,
                   const struct nsl_diff_opts *opts, struct nsl_diff *ret, struct nsl_diags *diags)
{
	static const struct nsl_diff_opts none;
	struct ctx c = {.d = ret, .o = opts ? opts : &none, .diags = diags};
	int rc;

	memset(ret, 0, sizeof(*ret));
	rc = nsl_plan_build(from, lab, &ret->from);
	if (rc == 0)
		rc = nsl_plan_build(to, lab, &ret->to);
	if (rc < 0)
		goto fail;
	ret->del = (struct nsl_plan){.t = from,
	                             .lab = lab,
	                             .arena = nsl_arena_new(),
	                             .host_ifaces = ret->from.host_ifaces,
	                             .n_host_ifaces = ret->from.n_host_ifaces,
	                             .mgmt_bridge = ret->from.mgmt_bridge};
	ret->add = (struct nsl_plan){.t = to,
	                             .lab = lab,
	                             .arena = nsl_arena_new(),
	                             .host_ifaces = ret->to.host_ifaces,
	                             .n_host_ifaces = ret->to.n_host_ifaces,
	                             .mgmt_bridge = ret->to.mgmt_bridge};
	c.a = ret->add.arena;
	rc = -ENOMEM;
	if (!ret->del.arena || !c.a)
		goto fail;
	ret->gone = nsl_arena_array(c.a, from->n_nodes + 1, sizeof(bool));
	ret->kept_from = nsl_arena_array(c.a, from->n_nodes + 1, sizeof(bool));
	ret->fresh = nsl_arena_array(c.a, to->n_nodes + 1, sizeof(bool));
	ret->recreated = nsl_arena_array(c.a, to->n_nodes + 1, sizeof(bool));
	if (!ret->gone || !ret->kept_from || !ret->fresh || !ret->recreated ||
	    side_init(&c, &c.f, &ret->from) < 0 || side_init(&c, &c.t, &ret->to) < 0)
		goto fail;
	for (size_t i = 0; i < from->n_nodes; i++) {
		c.f.peer[i] = nsl_topology_node(to, from->nodes[i].name);
		c.f.alive[i] = c.o->alive_from ? c.o->alive_from[i] : true;
	}
	for (size_t j = 0; j < to->n_nodes; j++) {
		c.t.peer[j] = nsl_topology_node(from, to->nodes[j].name);
		c.t.alive[j] = c.o->alive_to      ? c.o->alive_to[j]
		               : c.t.peer[j] >= 0 ? c.f.alive[c.t.peer[j]]
		                                  : false;
	}
	mark_nodes(&c);
	if (!c.o->rollback) {
		/* recreating a node can drop what made another refuse: twice is enough */
		if (nsl_diff_check_in_place(&c)) {
			mark_nodes(&c);
			(void)nsl_diff_check_in_place(&c);
			mark_nodes(&c);
		}
		nsl_diff_check_fixed(&c);
	}
	rc = -EINVAL;
	if (c.refused)
		goto fail;
	nsl_diff_build_del(&c);
	nsl_diff_build_add(&c);
	count(&c);
	rc = c.oom ? -ENOMEM : 0;
	if (rc < 0)
		goto fail;
	side_free(&c.f);
	side_free(&c.t);
	return 0;
fail:
	side_free(&c.f);
	side_free(&c.t);
	nsl_diff_free(ret);
	return rc;
}

void nsl_diff_free(struct nsl_diff *d)
{
	/* del and add share host_ifaces with the full plans; their own arena is theirs */
	free(d->del.ops);
	nsl_arena_free(d->del.arena);
	free(d->add.ops);
	nsl_arena_free(d->add.arena);
	nsl_plan_free(&d->from);
	nsl_plan_free(&d->to);
	memset(d, 0, sizeof(*d));
}

bool nsl_diff_empty(const struct nsl_diff *d)
{
	for (size_t i = 0; i < d->from.t->n_nodes; i++)
		if (d->gone[i])
			return false;
	return d->del.n == 0 && d->add.n == 0;
}

void nsl_diff_print(const struct nsl_diff *d, FILE *out)
{
	size_t n = 0;

	fprintf(out,
	        "# apply to lab %s: nodes %zu added, %zu removed, %zu made again; links %zu made, "
	        "%zu removed; %zu operations\n",
	        d->add.lab, d->nodes_added, d->nodes_removed, d->nodes_recreated, d->links_added,
	        d->links_removed, d->del.n + d->add.n);
	for (size_t i = 0; i < d->del.n; i++) {
		fprintf(out, "%5zu - ", ++n);
		nsl_plan_print_op(&d->del, &d->del.ops[i], false, out);
		fputc('\n', out);
	}
	for (size_t i = 0; i < d->from.t->n_nodes; i++) {
		int j = nsl_topology_node(d->to.t, d->from.t->nodes[i].name);
		if (d->gone[i] && j >= 0 && d->recreated[j])
			fprintf(out, "%5zu x node     %-20s killed first: made again below\n", ++n,
			        d->from.t->nodes[i].name);
	}
	for (size_t i = 0; i < d->add.n; i++) {
		const struct nsl_op *op = &d->add.ops[i];
		fprintf(out, "%5zu + ", ++n);
		nsl_plan_print_op(&d->add, op, false, out);
		if (op->undo == NSL_UNDO_NODE)
			fputs("  [journal: node identity]", out);
		else if (op->undo == NSL_UNDO_HOSTLINK)
			fputs("  [journal: host link]", out);
		else if (op->undo == NSL_UNDO_HOSTNFT)
			fputs("  [journal: host table]", out);
		fputc('\n', out);
	}
	for (size_t i = 0; i < d->from.t->n_nodes; i++) {
		int j = nsl_topology_node(d->to.t, d->from.t->nodes[i].name);
		if (d->gone[i] && (j < 0 || !d->recreated[j]))
			fprintf(out, "%5zu x node     %-20s killed once the change is committed\n",
			        ++n, d->from.t->nodes[i].name);
	}
	if (nsl_diff_empty(d))
		fprintf(out, "# nothing to change%s\n",
		        d->changes_state ? " in the kernel (the file's new text is recorded)" : "");
}
