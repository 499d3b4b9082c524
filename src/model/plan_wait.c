/* What up waits for: which interfaces' readiness it promises (carriers, LACP ports), one
 * wait per namespace; and the nodes' exec and ready commands in waves of `after`. Pure. */
#include <string.h>

#include "base/arena.h"
#include "model/plan_impl.h"

/* Is the other end of this veth meant to be up? */
static bool peer_up(const struct nsl_topology *t, const struct nsl_iface *f, int node)
{
	const struct nsl_link *lk = &t->links[f->link];
	int side = lk->ends[0].node == node && !strcmp(lk->ends[0].ifname, f->name) ? 1 : 0;
	const struct nsl_endpoint *ep = &lk->ends[side];
	int k = nsl_plan_end_iface(t, ep);
	const struct nsl_iface *p = k < 0                           ? NULL
	                            : ep->node == NSL_ENDPOINT_HOST ? &t->host.ifaces[k]
	                                                            : &t->nodes[ep->node].ifaces[k];
	return !p || p->up;
}

/* Whether an interface will have a carrier once up is done (a moved device is taken to have
 * one: its cable is the outside world's business). */
static bool carrier(const struct nsl_topology *t, int node, const struct nsl_node *n,
                    const struct nsl_iface *f, bool vx)
{
	if (!f->up)
		return false;
	switch (f->kind) {
	case NSL_IFACE_VETH:
		return peer_up(t, f, node);
	case NSL_IFACE_VXLAN:
		return vx || f->vxlan.cross; /* a link between hosts' is up with the others */
	case NSL_IFACE_DEVICE:
	case NSL_IFACE_DUMMY:
	case NSL_IFACE_MGMT:
		return true;
	case NSL_IFACE_VLAN:
	case NSL_IFACE_MACVLAN:
	case NSL_IFACE_IPVLAN:
		if (f->device[0])
			return true;
		return n && f->lower >= 0 && carrier(t, node, n, &n->ifaces[f->lower], vx);
	case NSL_IFACE_BRIDGE:
		if (!n)
			return true; /* the management network's, whose ports are up */
		for (size_t br = 0; br < n->n_bridges; br++) {
			if (strcmp(n->bridges[br].name, f->name))
				continue;
			if (n->bridges[br].stp)
				return false; /* its ports forward when STP says so */
			for (size_t k = 0; k < n->n_ifaces; k++)
				if (n->ifaces[k].bridge == (int)br &&
				    carrier(t, node, n, &n->ifaces[k], vx))
					return true;
		}
		return false;
	case NSL_IFACE_BOND: {
		int self = (int)(f - n->ifaces);
		for (size_t k = 0; k < n->n_ifaces; k++)
			if (n->ifaces[k].bond == self && carrier(t, node, n, &n->ifaces[k], vx))
				return true;
		return false;
	}
	default:
		return false;
	}
}

/* Interfaces whose readiness up promises: those whose carrier comes from elsewhere and so
 * comes late (the kernel's link watcher): veths with both ends up, bridges without STP and
 * bonds that have a port with a carrier, vlans, macvlans and ipvlans over such interfaces of
 * the node, the management network (not bond ports: the bond is waited for, and they have
 * no IPv6 link-local address of their own). A dummy, a vxlan or a VRF is up when set up; a
 * moved device's carrier, and a macvlan's on a host device, is the outside world's. */
static bool should_run(const struct nsl_topology *t, int node, const struct nsl_node *n,
                       const struct nsl_iface *f, bool vx)
{
	if (f->bond >= 0)
		return false; /* a bond port has no IPv6 of its own: its bond is waited for */
	switch (f->kind) {
	case NSL_IFACE_VETH:
	case NSL_IFACE_BRIDGE:
	case NSL_IFACE_BOND:
	case NSL_IFACE_MGMT:
	case NSL_IFACE_VLAN:
		return carrier(t, node, n, f, vx);
	case NSL_IFACE_MACVLAN:
	case NSL_IFACE_IPVLAN:
		return !f->device[0] && carrier(t, node, n, f, vx);
	default:
		return false;
	}
}

bool nsl_node_ipv6(const struct nsl_node *n)
{
	for (size_t s = 0; s < n->n_sysctls; s++)
		if (strstr(n->sysctls[s].key, "disable_ipv6") && strcmp(n->sysctls[s].value, "0"))
			return false; /* the user turned IPv6 off: no link-local to wait for */
	return true;
}

/* Ports of the node's 802.3ad bonds whose veth peers are ports of 802.3ad bonds too: their
 * traffic flows once LACP has them collecting and distributing (a port without an LACP
 * partner is used as it is). The list ends with -1; NULL when out of memory. */
static bool lacp_bond_port(const struct nsl_topology *t, int node, const struct nsl_iface *f)
{
	const struct nsl_node *n = &t->nodes[node];

	return f->bond >= 0 && f->up && n->ifaces[f->bond].kind == NSL_IFACE_BOND &&
	       n->ifaces[f->bond].up && n->ifaces[f->bond].bonding.mode == NSL_BOND_8023AD;
}

static int *lacp_ports(struct builder *b, int node)
{
	const struct nsl_topology *t = b->p->t;
	const struct nsl_node *n = &t->nodes[node];
	int *list = nsl_arena_array(b->p->arena, n->n_ifaces + 1, sizeof(int));
	size_t k = 0;

	if (!list) {
		b->oom = true;
		return NULL;
	}
	for (size_t i = 0; i < n->n_ifaces; i++) {
		const struct nsl_iface *f = &n->ifaces[i];
		if (f->kind != NSL_IFACE_VETH || !lacp_bond_port(t, node, f))
			continue;
		const struct nsl_link *lk = &t->links[f->link];
		const struct nsl_endpoint *ep =
		    &lk->ends[lk->ends[0].node == node && !strcmp(lk->ends[0].ifname, f->name)];
		const struct nsl_iface *p = ep->node == NSL_ENDPOINT_HOST
		                                ? NULL
		                                : nsl_node_iface(&t->nodes[ep->node], ep->ifname);
		if (p && lacp_bond_port(t, ep->node, p))
			list[k++] = (int)i;
	}
	list[k] = -1;
	return list;
}

/* The wait of a namespace: stage 0 everything (a lab without VXLANs), 1 what runs without
 * VXLANs, 2 what runs only once they are up. */
void nsl_plan_wait(struct builder *b, int node, int stage)
{
	const struct nsl_topology *t = b->p->t;
	const struct nsl_node *n = node == NSL_PLAN_HOST ? NULL : &t->nodes[node];
	const struct nsl_iface *ifaces = n ? n->ifaces : b->p->host_ifaces;
	size_t count = n ? n->n_ifaces : b->p->n_host_ifaces, k = 0;
	int *list = nsl_arena_array(b->p->arena, count + 1, sizeof(int));
	struct nsl_op *op;

	if (!list) {
		b->oom = true;
		return;
	}
	int nd = node == NSL_PLAN_HOST ? NSL_ENDPOINT_HOST : node;
	for (size_t i = 0; i < count; i++) {
		bool with = should_run(t, nd, n, &ifaces[i], true);
		bool without = with && should_run(t, nd, n, &ifaces[i], false);
		if (stage == 0 ? with : stage == 1 ? without : with && !without)
			list[k++] = (int)i;
	}
	int *lacp = stage < 2 && n ? lacp_ports(b, node) : NULL;
	size_t n_lacp = 0;
	while (lacp && lacp[n_lacp] >= 0)
		n_lacp++;
	if (!k && !n_lacp)
		return; /* nothing of the lab to wait for here */
	op = add(b, NSL_OP_WAIT, node, -1, -1);
	if (!op)
		return;
	op->wait.ifaces = list;
	op->wait.n = k;
	op->wait.lacp = lacp;
	op->wait.n_lacp = n_lacp;
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

void nsl_plan_exec(struct builder *b)
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
