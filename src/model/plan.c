/* Model -> plan. Pure: no kernel, no I/O but the printer's FILE. The order of operations is
 * the order `up` works in: holders (namespaces born together) -> netns names -> moved devices
 * -> veths (both ends born in place) -> host ends -> per node: bridges, interface state,
 * addresses, routes, rates and impairments, late sysctls, NAT -> the host's addresses, rates,
 * sysctls, NAT -> exec (in waves: a node's exec after the readiness of the nodes it is `after`) ->
 * wait until usable -> the readiness of the rest -> commit. */
#include <arpa/inet.h>
#include <string.h>

#include "base/arena.h"
#include "model/plan.h"

struct builder {
	struct nsl_plan *p;
	size_t cap;
	bool oom;
	const int *last_ready; /* per node: the wave that waits for its readiness, -1 none */
};

static struct nsl_op *add(struct builder *b, enum nsl_op_kind kind, int node, int iface, int item)
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

const struct nsl_iface *nsl_plan_iface(const struct nsl_plan *p, int node, int iface)
{
	if (iface < 0)
		return NULL;
	if (node == NSL_PLAN_HOST)
		return &p->t->host.ifaces[iface];
	return &p->t->nodes[node].ifaces[iface];
}

size_t nsl_sysctl_iface_scope(const struct nsl_node *n, const char *key, int *ret_iface)
{
	static const char *const scopes[] = {"net.ipv4.conf.", "net.ipv6.conf.", "net.ipv4.neigh.",
	                                     "net.ipv6.neigh.", "net.mpls.conf."};

	for (size_t i = 0; i < NSL_ARRAY_SIZE(scopes); i++) {
		size_t l = strlen(scopes[i]);
		if (strncmp(key, scopes[i], l))
			continue;
		/* The interface is named whole, then a dot: a name may hold dots itself, so the
		 * longest name that fits wins (eth0.1 over eth0 in "net.ipv4.conf.eth0.1.x"). */
		int best = -1;
		size_t best_len = 0;
		for (size_t k = 0; k < n->n_ifaces; k++) {
			size_t nl = strlen(n->ifaces[k].name);
			if (n->ifaces[k].kind != NSL_IFACE_LO && nl > best_len &&
			    !strncmp(key + l, n->ifaces[k].name, nl) && key[l + nl] == '.') {
				best = (int)k;
				best_len = nl;
			}
		}
		if (best >= 0) {
			if (ret_iface)
				*ret_iface = best;
			return l;
		}
	}
	return 0;
}

/* The host's interface of that name, -1 if none. */
static int host_iface(const struct nsl_topology *t, const char *name)
{
	for (size_t k = 0; k < t->host.n_ifaces; k++)
		if (!strcmp(t->host.ifaces[k].name, name))
			return (int)k;
	return -1;
}

static int end_iface(const struct nsl_topology *t, const struct nsl_endpoint *ep)
{
	if (ep->node == NSL_ENDPOINT_HOST)
		return host_iface(t, ep->ifname);
	const struct nsl_node *n = &t->nodes[ep->node];
	const struct nsl_iface *f = nsl_node_iface(n, ep->ifname);
	return f ? (int)(f - n->ifaces) : -1;
}

/* Which end is created first, in the message's own attributes: a node end. The kernel honours
 * the peer's requested ifindex only when the first end names one too, and the host's indexes
 * are not ours to choose. */
static int first_end(const struct nsl_link *lk)
{
	return lk->ends[0].node == NSL_ENDPOINT_HOST ? 1 : 0;
}

static void plan_nodes(struct builder *b)
{
	const struct nsl_topology *t = b->p->t;

	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct nsl_node *n = &t->nodes[i];
		struct nsl_op *op = add(b, NSL_OP_NODE, (int)i, -1, -1);
		size_t k = 0;
		if (!op)
			return;
		op->holder.early =
		    nsl_arena_array(b->p->arena, n->n_sysctls + 1, sizeof(*op->holder.early));
		if (!op->holder.early) {
			b->oom = true;
			return;
		}
		for (size_t s = 0; s < n->n_sysctls; s++)
			if (!nsl_sysctl_iface_scope(n, n->sysctls[s].key, NULL))
				op->holder.early[k++] = &n->sysctls[s];
		op->holder.n_early = k;
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct nsl_op *op = add(b, NSL_OP_BIND, (int)i, -1, -1);
		if (op)
			op->undo = NSL_UNDO_NODE;
	}
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t k = 0; k < t->nodes[i].n_ifaces; k++)
			if (t->nodes[i].ifaces[k].kind == NSL_IFACE_DEVICE) {
				struct nsl_op *op = add(b, NSL_OP_DEVICE, (int)i, (int)k, -1);
				if (op)
					op->undo = NSL_UNDO_DEVICE;
			}
}

static void plan_links(struct builder *b)
{
	const struct nsl_topology *t = b->p->t;

	for (size_t l = 0; l < t->n_links; l++) {
		const struct nsl_link *lk = &t->links[l];
		int first = first_end(lk);
		struct nsl_op *op = add(b, NSL_OP_VETH, NSL_PLAN_HOST, -1, (int)l);
		if (!op)
			return;
		for (int s = 0; s < 2; s++) {
			const struct nsl_endpoint *ep = &lk->ends[s == 0 ? first : 1 - first];
			struct nsl_op_end *e = &op->veth[s];
			const struct nsl_iface *f;
			e->node = ep->node == NSL_ENDPOINT_HOST ? NSL_PLAN_HOST : ep->node;
			e->iface = end_iface(t, ep);
			f = nsl_plan_iface(b->p, e->node, e->iface);
			e->mtu = f && f->mtu ? f->mtu : lk->mtu;
			e->mac = f && f->has_mac ? f->mac : NULL;
			/* A bridge port goes up in its node after it joined the bridge; a host end
			 * after its DAD setting; the peer cannot be set up in this message. */
			e->up = s == 0 && f && e->node != NSL_PLAN_HOST && f->up && f->bridge < 0;
		}
		if (op->veth[1].node == NSL_PLAN_HOST)
			op->undo = NSL_UNDO_HOSTLINK;
	}
	for (size_t k = 0; k < t->host.n_ifaces; k++)
		add(b, NSL_OP_HOST_END, NSL_PLAN_HOST, (int)k, -1);
}

/* Is this end already up from its creation message? */
static bool born_up(const struct nsl_topology *t, int node, const struct nsl_iface *f)
{
	const struct nsl_link *lk = &t->links[f->link];
	const struct nsl_endpoint *ep = &lk->ends[first_end(lk)];

	return f->up && f->bridge < 0 && ep->node == node && !strcmp(ep->ifname, f->name);
}

static int bridge_iface(const struct nsl_node *n, int bridge)
{
	const struct nsl_iface *f = nsl_node_iface(n, n->bridges[bridge].name);
	return f ? (int)(f - n->ifaces) : -1;
}

/* What leaves a link end goes through: a token bucket for a rate alone, netem for anything
 * else (carrying the rate too), nothing when the topology asks nothing. */
static void plan_shaping(struct builder *b, int node, int k, const struct nsl_iface *f)
{
	struct nsl_impair im;
	struct nsl_op *op;

	nsl_iface_impair(b->p->t, f, &im);
	switch (nsl_impair_qdisc(&im)) {
	case NSL_QDISC_TBF:
		op = add(b, NSL_OP_RATE, node, k, f->link);
		if (op)
			op->rate = im.rate;
		break;
	case NSL_QDISC_NETEM:
		op = add(b, NSL_OP_IMPAIR, node, k, f->link);
		if (op) {
			op->impair.im = im;
			op->impair.limit = nsl_impair_limit(&im);
		}
		break;
	case NSL_QDISC_NONE:
		break;
	}
}

static void plan_node_config(struct builder *b, int i)
{
	const struct nsl_topology *t = b->p->t;
	const struct nsl_node *n = &t->nodes[i];
	struct nsl_op *op;

	for (size_t br = 0; br < n->n_bridges; br++)
		add(b, NSL_OP_BRIDGE, i, bridge_iface(n, (int)br), (int)br);
	for (size_t k = 0; k < n->n_ifaces; k++) {
		const struct nsl_iface *f = &n->ifaces[k];
		int up = -1, master = -1;
		if (f->kind == NSL_IFACE_LO)
			continue;
		if (f->bridge >= 0)
			master = bridge_iface(n, f->bridge);
		if (f->up && !(f->kind == NSL_IFACE_VETH && born_up(t, i, f)))
			up = 1;
		bool dev = f->kind == NSL_IFACE_DEVICE;
		if (up < 0 && master < 0 && !(dev && (f->mtu || f->has_mac)))
			continue;
		op = add(b, NSL_OP_LINK, i, (int)k, -1);
		if (!op)
			return;
		op->link.up = up;
		op->link.master = master;
		op->link.mtu = dev ? f->mtu : 0;
		op->link.mac = dev && f->has_mac ? f->mac : NULL;
	}
	for (size_t k = 0; k < n->n_ifaces; k++)
		for (size_t a = 0; a < n->ifaces[k].n_addrs; a++)
			add(b, NSL_OP_ADDR, i, (int)k, (int)a);
	for (size_t r = 0; r < n->n_routes; r++) {
		const struct nsl_iface *dev =
		    n->routes[r].dev[0] ? nsl_node_iface(n, n->routes[r].dev) : NULL;
		add(b, NSL_OP_ROUTE, i, dev ? (int)(dev - n->ifaces) : -1, (int)r);
	}
	for (size_t k = 0; k < n->n_ifaces; k++)
		plan_shaping(b, i, (int)k, &n->ifaces[k]);
	for (size_t s = 0; s < n->n_sysctls; s++) {
		int iface = -1;
		size_t scope = nsl_sysctl_iface_scope(n, n->sysctls[s].key, &iface);
		if (!scope)
			continue;
		op = add(b, NSL_OP_SYSCTL, i, iface, (int)s);
		if (op)
			op->sysctl.scope_len = scope;
	}
	if (n->n_nat)
		add(b, NSL_OP_NAT, i, -1, -1);
}

static void plan_host(struct builder *b)
{
	const struct nsl_topology *t = b->p->t;
	const struct nsl_host *h = &t->host;
	struct nsl_op *op;

	for (size_t k = 0; k < h->n_ifaces; k++)
		for (size_t a = 0; a < h->ifaces[k].n_addrs; a++)
			add(b, NSL_OP_ADDR, NSL_PLAN_HOST, (int)k, (int)a);
	for (size_t k = 0; k < h->n_ifaces; k++)
		plan_shaping(b, NSL_PLAN_HOST, (int)k, &h->ifaces[k]);
	for (size_t s = 0; s < h->n_sysctls; s++) {
		op = add(b, NSL_OP_HOST_SYSCTL, NSL_PLAN_HOST, -1, (int)s);
		if (op)
			op->undo = NSL_UNDO_HOSTSYSCTL;
	}
	if (h->n_nat) {
		op = add(b, NSL_OP_NAT, NSL_PLAN_HOST, -1, -1);
		if (op)
			op->undo = NSL_UNDO_HOSTNFT;
	}
}

/* Is the other end of this veth meant to be up? */
static bool peer_up(const struct nsl_topology *t, const struct nsl_iface *f, int node)
{
	const struct nsl_link *lk = &t->links[f->link];
	int side = lk->ends[0].node == node && !strcmp(lk->ends[0].ifname, f->name) ? 1 : 0;
	const struct nsl_endpoint *ep = &lk->ends[side];
	int k = end_iface(t, ep);
	const struct nsl_iface *p = k < 0                           ? NULL
	                            : ep->node == NSL_ENDPOINT_HOST ? &t->host.ifaces[k]
	                                                            : &t->nodes[ep->node].ifaces[k];
	return !p || p->up;
}

/* Interfaces whose readiness up promises: veths with both ends up, bridges without STP that
 * have a port up. (A moved device's carrier is the outside world's business.) */
static bool should_run(const struct nsl_topology *t, int node, const struct nsl_node *n,
                       const struct nsl_iface *f)
{
	if (!f->up)
		return false;
	if (f->kind == NSL_IFACE_VETH)
		return peer_up(t, f, node);
	if (f->kind != NSL_IFACE_BRIDGE || !n)
		return false;
	for (size_t br = 0; br < n->n_bridges; br++) {
		if (strcmp(n->bridges[br].name, f->name))
			continue;
		if (n->bridges[br].stp)
			return false;
		for (size_t k = 0; k < n->n_ifaces; k++)
			if (n->ifaces[k].bridge == (int)br && n->ifaces[k].up &&
			    (n->ifaces[k].kind != NSL_IFACE_VETH ||
			     peer_up(t, &n->ifaces[k], node)))
				return true;
	}
	return false;
}

bool nsl_node_ipv6(const struct nsl_node *n)
{
	for (size_t s = 0; s < n->n_sysctls; s++)
		if (strstr(n->sysctls[s].key, "disable_ipv6") && strcmp(n->sysctls[s].value, "0"))
			return false; /* the user turned IPv6 off: no link-local to wait for */
	return true;
}

static void plan_wait(struct builder *b, int node)
{
	const struct nsl_topology *t = b->p->t;
	const struct nsl_node *n = node == NSL_PLAN_HOST ? NULL : &t->nodes[node];
	const struct nsl_iface *ifaces = n ? n->ifaces : t->host.ifaces;
	size_t count = n ? n->n_ifaces : t->host.n_ifaces, k = 0;
	int *list = nsl_arena_array(b->p->arena, count + 1, sizeof(int));
	struct nsl_op *op;

	if (!list) {
		b->oom = true;
		return;
	}
	for (size_t i = 0; i < count; i++)
		if (should_run(t, node == NSL_PLAN_HOST ? NSL_ENDPOINT_HOST : node, n, &ifaces[i]))
			list[k++] = (int)i;
	if (!k)
		return; /* nothing of the lab to wait for here */
	op = add(b, NSL_OP_WAIT, node, -1, -1);
	if (!op)
		return;
	op->wait.ifaces = list;
	op->wait.n = k;
	op->wait.ipv6 = n ? nsl_node_ipv6(n) : true;
}

/* The wave of each node: 0 without `after`, else one more than the latest node it waits for.
 * The model is validated (no cycle); a cycle all the same counts as wave 0, never a loop. */
static void waves(const struct nsl_topology *t, int *wave, size_t *stack, size_t *next)
{
	for (size_t i = 0; i < t->n_nodes; i++)
		wave[i] = -1;
	for (size_t root = 0; root < t->n_nodes; root++) {
		size_t depth = 0;
		if (wave[root] >= 0)
			continue;
		stack[depth++] = root;
		next[root] = 0;
		wave[root] = -2; /* on the path */
		while (depth) {
			size_t u = stack[depth - 1];
			const struct nsl_node *n = &t->nodes[u];
			if (next[u] < n->n_after) {
				int v = n->after[next[u]++];
				if (v >= 0 && wave[v] == -1) {
					wave[v] = -2;
					next[v] = 0;
					stack[depth++] = (size_t)v;
				}
				continue;
			}
			int w = 0;
			for (size_t k = 0; k < n->n_after; k++)
				if (n->after[k] >= 0 && wave[n->after[k]] >= w)
					w = wave[n->after[k]] + 1;
			wave[u] = w;
			depth--;
		}
	}
}

static void plan_exec(struct builder *b)
{
	const struct nsl_topology *t = b->p->t;
	size_t n = t->n_nodes;
	int *wave = nsl_arena_array(b->p->arena, n + 1, sizeof(int));
	int *need = nsl_arena_array(b->p->arena, n + 1, sizeof(int));
	size_t *stack = nsl_arena_array(b->p->arena, n + 1, sizeof(size_t));
	size_t *next = nsl_arena_array(b->p->arena, n + 1, sizeof(size_t));
	int last = 0;

	if (!wave || !need || !stack || !next) {
		b->oom = true;
		return;
	}
	waves(t, wave, stack, next);
	/* A node's readiness is waited for just before the first wave that needs it; the
	 * readiness nothing waits for comes last, all at once (see nsl_plan_build). */
	for (size_t i = 0; i < n; i++)
		need[i] = -1;
	for (size_t i = 0; i < n; i++) {
		if (wave[i] > last)
			last = wave[i];
		for (size_t k = 0; k < t->nodes[i].n_after; k++) {
			int d = t->nodes[i].after[k];
			if (d >= 0 && (need[d] < 0 || need[d] > wave[i]))
				need[d] = wave[i];
		}
	}
	for (int w = 0; w <= last; w++) {
		for (size_t i = 0; w > 0 && i < n; i++)
			if (t->nodes[i].has_ready && need[i] == w)
				add(b, NSL_OP_READY, (int)i, -1, -1);
		for (size_t i = 0; i < n; i++)
			for (size_t c = 0; wave[i] == w && c < t->nodes[i].n_exec; c++)
				add(b, NSL_OP_EXEC, (int)i, -1, (int)c);
	}
	/* Kept for the final batch: who is ready last. */
	b->last_ready = need;
}

int nsl_plan_build(const struct nsl_topology *t, const char *lab, struct nsl_plan *ret)
{
	struct builder b = {.p = ret};

	memset(ret, 0, sizeof(*ret));
	ret->t = t;
	ret->lab = lab;
	ret->arena = nsl_arena_new();
	if (!ret->arena)
		return -ENOMEM;
	plan_nodes(&b);
	plan_links(&b);
	for (size_t i = 0; i < t->n_nodes; i++)
		plan_node_config(&b, (int)i);
	plan_host(&b);
	plan_exec(&b);
	for (size_t i = 0; i < t->n_nodes; i++)
		plan_wait(&b, (int)i);
	plan_wait(&b, NSL_PLAN_HOST);
	/* Readiness nobody waits for: once the links run, every node at once. */
	for (size_t i = 0; b.last_ready && i < t->n_nodes; i++)
		if (t->nodes[i].has_ready && b.last_ready[i] < 0)
			add(&b, NSL_OP_READY, (int)i, -1, -1);
	add(&b, NSL_OP_COMMIT, NSL_PLAN_HOST, -1, -1);
	if (b.oom) {
		nsl_plan_free(ret);
		return -ENOMEM;
	}
	return 0;
}

void nsl_plan_free(struct nsl_plan *p)
{
	free(p->ops);
	nsl_arena_free(p->arena);
	memset(p, 0, sizeof(*p));
}
