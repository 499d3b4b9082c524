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
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "model/diff.h"
#include "model/doc.h"

struct side {
	const struct nsl_topology *t;
	const struct nsl_plan *p;
	char **key;    /* [op] */
	char **sorted; /* the keys, sorted */
	char **ident;  /* "q NODE IF" (a qdisc) and "s NODE KEY" (a sysctl) of the plan, sorted */
	size_t n_ident;
	bool *alive;   /* [node]: exists now */
	bool *out;     /* [node]: does not stay (from: removed or made again; to: made) */
	bool **iout;   /* [node][iface]: made or removed */
	bool *hout;    /* [host iface] */
	int *peer;     /* [node]: the node of that name on the other side, -1 */
	bool *reroute; /* [node]: an interface of it is made again, or loses an address: its
	                * routes are put back (the kernel drops those through an interface
	                * that is deleted or loses its last IPv4 address) */
	bool **readdr; /* [node][iface]: loses an address: the others are put back (the
	                * kernel drops the secondaries of a primary that goes) */
	bool *hreaddr; /* [host iface] */
};

struct ctx {
	struct nsl_diff *d;
	const struct nsl_diff_opts *o;
	struct nsl_diags *diags;
	struct side f, t; /* from, to */
	struct nsl_arena *a;
	size_t cap_del, cap_add;
	bool oom, refused;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has(char **sorted, size_t n, const char *key)
{
	return key && n && bsearch(&key, sorted, n, sizeof(char *), cmp_str) != NULL;
}

static bool has_key(const struct side *s, const char *key) { return has(s->sorted, s->p->n, key); }

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

static const char *node_name(const struct side *s, int node)
{
	return node == NSL_PLAN_HOST ? NSL_HOST_NODE : s->t->nodes[node].name;
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

/* ---- refusals ---- */

static void refuse(struct ctx *c, const char *path, const char *fmt, ...) NSL_PRINTF(3, 4);
static void refuse(struct ctx *c, const char *path, const char *fmt, ...)
{
	unsigned line = 0, col = 0;
	va_list ap;

	c->refused = true;
	if (!c->diags)
		return;
	nsl_doc_where(nsl_doc_locate(c->t.t->doc, path), false, &line, &col);
	va_start(ap, fmt);
	nsl_diags_addv_at(c->diags, line, col, path, fmt, ap);
	va_end(ap);
}

static bool str_eq(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }

static bool argv_eq(const struct nsl_argv *a, const struct nsl_argv *b)
{
	if (a->argc != b->argc)
		return false;
	for (size_t i = 0; i < a->argc; i++)
		if (!str_eq(a->argv[i], b->argv[i]))
			return false;
	return true;
}

static bool prefix_eq(const struct nsl_prefix *a, const struct nsl_prefix *b)
{
	return a->len == b->len && nsl_ip_equal(&a->ip, &b->ip);
}

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

static const char *sysctl_of(const struct nsl_sysctl *s, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s[i].key, key))
			return s[i].value;
	return NULL;
}

/* What of a node cannot change while it runs: its first process's world. The first
 * difference's key, NULL if none. */
static const char *node_fixed_change(const struct nsl_node *a, const struct nsl_node *b)
{
	if (strcmp(a->hostname, b->hostname))
		return "hostname";
	if (a->n_mounts != b->n_mounts)
		return "mounts";
	for (size_t i = 0; i < a->n_mounts; i++) {
		const struct nsl_mount *x = &a->mounts[i], *y = &b->mounts[i];
		if (x->tmpfs != y->tmpfs || x->read_only != y->read_only ||
		    !str_eq(x->source, y->source) || !str_eq(x->target, y->target))
			return "mounts";
	}
	if (a->n_exec != b->n_exec)
		return "exec";
	for (size_t i = 0; i < a->n_exec; i++)
		if (!argv_eq(&a->exec[i], &b->exec[i]))
			return "exec";
	if (a->has_ready != b->has_ready ||
	    (a->has_ready && (!argv_eq(&a->ready.cmd, &b->ready.cmd) ||
	                      a->ready.interval_ms != b->ready.interval_ms ||
	                      a->ready.timeout_ms != b->ready.timeout_ms)))
		return "ready";
	if (a->rootfs.kind != b->rootfs.kind || !str_eq(a->rootfs.dir, b->rootfs.dir))
		return "rootfs";
	if (a->namespaces != b->namespaces)
		return "namespaces";
	if (a->has_time_offsets != b->has_time_offsets || a->time_monotonic != b->time_monotonic ||
	    a->time_boottime != b->time_boottime)
		return "time_offsets";
	if (a->limits.set != b->limits.set || a->limits.memory != b->limits.memory ||
	    a->limits.pids != b->limits.pids || a->limits.cpu_milli != b->limits.cpu_milli)
		return "limits";
	if (a->n_after != b->n_after)
		return "after";
	for (size_t i = 0; i < a->n_after; i++)
		if (strcmp(a->after_names[i], b->after_names[i]))
			return "after";
	return NULL;
}

static const char *fixed_why(const char *key)
{
	if (!strcmp(key, "hostname") || !strcmp(key, "mounts") || !strcmp(key, "rootfs") ||
	    !strcmp(key, "namespaces") || !strcmp(key, "time_offsets") || !strcmp(key, "limits"))
		return "is set when the node starts";
	if (!strcmp(key, "sysctls"))
		return "cannot go back to the kernel's default in place (write the value you want)";
	return "runs once, when the node starts";
}

/* A sysctl of the node (not of an interface) that the new file drops. */
static const char *dropped_sysctl(const struct nsl_node *a, const struct nsl_node *b)
{
	for (size_t s = 0; s < a->n_sysctls; s++)
		if (!nsl_sysctl_iface_scope(a, a->sysctls[s].key, NULL) &&
		    !sysctl_of(b->sysctls, b->n_sysctls, a->sysctls[s].key))
			return a->sysctls[s].key;
	return NULL;
}

static bool mgmt_eq(const struct nsl_mgmt *a, const struct nsl_mgmt *b)
{
	return a->set == b->set &&
	       (!a->set || (a->has4 == b->has4 && a->has6 == b->has6 &&
	                    (!a->has4 || prefix_eq(&a->subnet, &b->subnet)) &&
	                    (!a->has6 || prefix_eq(&a->subnet6, &b->subnet6)) &&
	                    !strcmp(a->bridge, b->bridge) && !strcmp(a->iface, b->iface)));
}

static bool host_sysctls_eq(const struct nsl_host *a, const struct nsl_host *b)
{
	if (a->n_sysctls != b->n_sysctls)
		return false;
	for (size_t s = 0; s < a->n_sysctls; s++)
		if (!str_eq(sysctl_of(b->sysctls, b->n_sysctls, a->sysctls[s].key),
		            a->sysctls[s].value))
			return false;
	return true;
}

/* ---- what stays ---- */

static int iface_index(const struct nsl_node *n, const char *name)
{
	const struct nsl_iface *f = name[0] ? nsl_node_iface(n, name) : NULL;

	return f ? (int)(f - n->ifaces) : -1;
}

static void set_iout(struct side *s, int node, int iface)
{
	if (iface < 0)
		return;
	if (node == NSL_PLAN_HOST)
		s->hout[iface] = true;
	else
		s->iout[node][iface] = true;
}

static bool iface_out(const struct side *s, int node, int iface)
{
	if (iface < 0)
		return false;
	return node == NSL_PLAN_HOST ? s->hout[iface] : s->iout[node][iface];
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

static bool iface_has_ident(const struct side *s, const char *kind, const char *node, const char *x)
{
	char buf[2 * NSL_NAME_MAX + 512];

	nsl_fmt(buf, sizeof(buf), "%s %s %s", kind, node, x);
	return has(s->ident, s->n_ident, buf);
}

/* What cannot change in place: refused, or (recreate) its node is made again. Returns whether
 * a node was newly marked to be made again. */
static bool check_in_place(struct ctx *c)
{
	const struct nsl_topology *from = c->f.t, *to = c->t.t;
	bool marked = false;
	char path[NSL_NAME_MAX + 64];

	for (size_t j = 0; j < to->n_nodes; j++) {
		int i = c->t.peer[j];
		const struct nsl_node *b = &to->nodes[j];
		if (c->t.out[j] || i < 0)
			continue;
		const struct nsl_node *a = &from->nodes[i];
		const char *key = node_fixed_change(a, b), *dropped = NULL;
		char what[256];
		if (!key) {
			dropped = dropped_sysctl(a, b);
			/* a sysctl of an interface that stays */
			for (size_t s = 0; !dropped && s < c->f.p->n; s++) {
				const struct nsl_op *op = &c->f.p->ops[s];
				if (op->kind == NSL_OP_SYSCTL && op->node == (int)i &&
				    !c->f.iout[i][op->iface] &&
				    !iface_has_ident(&c->t, "s", b->name, a->sysctls[op->item].key))
					dropped = a->sysctls[op->item].key;
			}
			if (dropped)
				key = "sysctls";
		}
		if (!key)
			continue;
		if (c->o->recreate) {
			c->d->recreated[j] = marked = true;
			continue;
		}
		nsl_fmt(path, sizeof(path), "nodes.%s.%s", b->name, key);
		if (dropped)
			nsl_fmt(what, sizeof(what), "%s is dropped: a sysctl %s", dropped,
			        fixed_why(key));
		else
			nsl_fmt(what, sizeof(what), "changed: the node's %s %s", key,
			        fixed_why(key));
		refuse(c, path, "%s; --recreate makes node %s again (its processes restart)", what,
		       b->name);
	}
	return marked;
}

/* What apply never changes: moved devices, the host's sysctls and devices, the management
 * network. */
static void check_fixed(struct ctx *c)
{
	char path[2 * NSL_NAME_MAX + 64];

	for (int side = 0; side < 2; side++) {
		const struct side *s = side ? &c->t : &c->f, *o = side ? &c->f : &c->t;
		for (size_t x = 0; x < s->p->n; x++) {
			const struct nsl_op *op = &s->p->ops[x];
			const struct nsl_iface *f = nsl_plan_iface(s->p, op->node, op->iface);
			bool devlink = op->kind == NSL_OP_LINK && op->node != NSL_PLAN_HOST &&
			               f->kind == NSL_IFACE_DEVICE;
			if (op->kind != NSL_OP_DEVICE && op->kind != NSL_OP_HOST_DEV && !devlink)
				continue;
			if (has_key(o, s->key[x]) &&
			    (op->node == NSL_PLAN_HOST || !s->out[op->node]))
				continue;
			if (op->kind == NSL_OP_HOST_DEV && s->p->mgmt_bridge == op->iface)
				continue; /* the management network: below */
			if (op->node == NSL_PLAN_HOST)
				nsl_fmt(path, sizeof(path), "host.interfaces.%s", f->name);
			else if (side)
				nsl_fmt(path, sizeof(path), "nodes.%s.interfaces.%s.device",
				        node_name(s, op->node), f->name);
			else
				nsl_fmt(path, sizeof(path), "nodes");
			refuse(c, path, "%s%s %s:%s: apply does not %s; down and up the lab",
			       side ? "" : "was ",
			       op->node == NSL_PLAN_HOST ? "host device" : "moved device",
			       node_name(s, op->node), f->name,
			       op->node == NSL_PLAN_HOST ? "make or remove devices in the host"
			                                 : "move host devices in or out of nodes");
		}
	}
	/* a macvlan or ipvlan on a host device: up checks the device first (hostcheck) */
	for (size_t x = 0; x < c->t.p->n; x++) {
		const struct nsl_op *op = &c->t.p->ops[x];
		if (op->kind != NSL_OP_CREATE || !op->create.from_host ||
		    !iface_out(&c->t, op->node, op->iface))
			continue;
		const struct nsl_iface *f = nsl_plan_iface(c->t.p, op->node, op->iface);
		if (f->kind != NSL_IFACE_MACVLAN && f->kind != NSL_IFACE_IPVLAN)
			continue;
		nsl_fmt(path, sizeof(path), "nodes.%s.interfaces.%s.device",
		        node_name(&c->t, op->node), f->name);
		refuse(c, path,
		       "a %s on host device %s: apply does not make these; down and up the lab",
		       nsl_iface_kind_name(f->kind), f->device);
	}
	if (c->f.t->n_hosts || c->t.t->n_hosts)
		refuse(c, "hosts",
		       "a lab over several hosts: apply changes labs of one host only; down and up "
		       "the lab");
	if (!host_sysctls_eq(&c->f.t->host, &c->t.t->host))
		refuse(c, "host.sysctls",
		       "changed: apply does not change the host's sysctls; down and up the lab");
	if (!mgmt_eq(&c->f.t->mgmt, &c->t.t->mgmt))
		refuse(
		    c, "mgmt",
		    "changed: apply does not change the management network; down and up the lab");
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

static void build_del(struct ctx *c)
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
			     !iface_has_ident(t, "q", node_name(f, node),
			                      nsl_plan_iface(f->p, node, op->iface)->name);
			break;
		case NSL_OP_SYSCTL:
			in = c->o->rollback && kept(f, node) && !iface_out(f, node, op->iface) &&
			     !iface_has_ident(t, "s", node_name(f, node),
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

static void build_add(struct ctx *c)
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
		if (check_in_place(&c)) {
			mark_nodes(&c);
			(void)check_in_place(&c);
			mark_nodes(&c);
		}
		check_fixed(&c);
	}
	rc = -EINVAL;
	if (c.refused)
		goto fail;
	build_del(&c);
	build_add(&c);
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
