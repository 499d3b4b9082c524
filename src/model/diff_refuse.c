/* What of a change cannot be made in place: refused with its place in the file, or (recreate)
 * its node made again; and what apply never changes. */
#include <stdarg.h>

#include "model/diff_impl.h"
#include "model/doc.h"

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

static bool argv_eq(const struct nsl_argv *a, const struct nsl_argv *b)
{
	if (a->argc != b->argc)
		return false;
	for (size_t i = 0; i < a->argc; i++)
		if (!str_eq(a->argv[i], b->argv[i]))
			return false;
	return true;
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

bool nsl_diff_iface_has_ident(const struct side *s, const char *kind, const char *node,
                              const char *x)
{
	char buf[2 * NSL_NAME_MAX + 512];

	nsl_fmt(buf, sizeof(buf), "%s %s %s", kind, node, x);
	return has(s->ident, s->n_ident, buf);
}

/* What cannot change in place: refused, or (recreate) its node is made again. Returns whether
 * a node was newly marked to be made again. */
bool nsl_diff_check_in_place(struct ctx *c)
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
				    !nsl_diff_iface_has_ident(&c->t, "s", b->name,
				                              a->sysctls[op->item].key))
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
void nsl_diff_check_fixed(struct ctx *c)
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
