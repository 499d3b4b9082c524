/* Model -> plan. Pure: no kernel, no I/O but the printer's FILE. The order of operations is
 * the order `up` works in: holders (namespaces born together) -> netns names -> moved devices
 * -> veths (both ends born in place) -> host ends -> per node: bridges, interface state,
 * addresses, routes, rates and impairments, late sysctls, NAT -> the host's addresses, rates,
 * sysctls, NAT -> VXLANs up, then the routes through them -> exec (in waves: a node's exec after
 * the readiness of the nodes it is `after`) -> wait until usable -> the readiness of the rest ->
 * commit. */
#include <arpa/inet.h>
#include <string.h>

#include "base/arena.h"
#include "model/plan.h"
#include "model/plan_impl.h"

const struct nsl_iface *nsl_plan_iface(const struct nsl_plan *p, int node, int iface)
{
	if (iface < 0)
		return NULL;
	if (node == NSL_PLAN_HOST)
		return &p->host_ifaces[iface];
	return &p->t->nodes[node].ifaces[iface];
}

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

void nsl_plan_mgmt_names(const struct nsl_topology *t, const char *lab, int node, char *buf,
                         size_t size)
{
	uint32_t h = fnv1a(lab);

	if (node >= 0)
		nsl_fmt(buf, size, "mg%06x-%d", h & 0xffffff, node);
	else if (t->mgmt.bridge[0])
		nsl_fmt(buf, size, "%s", t->mgmt.bridge);
	else if (strlen(lab) <= NSL_IFNAME_MAX - 5)
		nsl_fmt(buf, size, "mgmt-%s", lab);
	else
		nsl_fmt(buf, size, "mgmt-%.3s%07x", lab, h & 0xfffffff);
}

/* The host's interfaces as the lab makes them (struct nsl_plan). */
static int plan_host_ifaces(struct nsl_plan *p)
{
	const struct nsl_topology *t = p->t;
	const struct nsl_mgmt *m = &t->mgmt;
	size_t n = t->host.n_ifaces + (m->set ? t->n_nodes + 1 : 0);
	struct nsl_iface *arr = nsl_arena_array(p->arena, n + 1, sizeof(*arr));

	if (!arr)
		return -ENOMEM;
	if (t->host.n_ifaces)
		memcpy(arr, t->host.ifaces, t->host.n_ifaces * sizeof(*arr));
	p->host_ifaces = arr;
	p->n_host_ifaces = t->host.n_ifaces;
	p->mgmt_bridge = -1;
	if (!m->set)
		return 0;
	for (size_t i = 0; i <= t->n_nodes; i++) {
		if (i > 0 && t->nodes[i - 1].no_mgmt)
			continue; /* "mgmt": false: no port for it */
		struct nsl_iface *f = &arr[p->n_host_ifaces++];

		memset(f, 0, sizeof(*f));
		f->up = true;
		f->link = f->bridge = f->lower = f->master_vrf = f->bond = -1;
		nsl_plan_mgmt_names(t, p->lab, i == 0 ? -1 : (int)i - 1, f->name, sizeof(f->name));
		if (i == 0) {
			f->kind = NSL_IFACE_BRIDGE;
			p->mgmt_bridge = (int)(f - arr);
			f->addrs = nsl_arena_array(p->arena, 2, sizeof(*f->addrs));
			if (!f->addrs)
				return -ENOMEM;
			if (m->has4)
				f->addrs[f->n_addrs++] = m->gw4;
			if (m->has6)
				f->addrs[f->n_addrs++] = m->gw6;
		} else {
			f->kind = NSL_IFACE_MGMT;
			f->bridge = p->mgmt_bridge;
		}
	}
	return 0;
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

int nsl_plan_end_iface(const struct nsl_topology *t, const struct nsl_endpoint *ep)
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
			e->iface = nsl_plan_end_iface(t, ep);
			f = nsl_plan_iface(b->p, e->node, e->iface);
			e->mtu = f && f->mtu ? f->mtu : lk->mtu;
			e->mac = f && f->has_mac ? f->mac : NULL;
			/* A bridge port goes up in its node after it joined the bridge; a host end
			 * after its DAD setting; the peer cannot be set up in this message. */
			e->up = s == 0 && f && e->node != NSL_PLAN_HOST && f->up && f->bridge < 0 &&
			        f->bond < 0;
		}
		if (op->veth[1].node == NSL_PLAN_HOST)
			op->undo = NSL_UNDO_HOSTLINK;
	}
	/* macvlans and ipvlans on host devices: sent from the host, born in their nodes */
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t k = 0; k < t->nodes[i].n_ifaces; k++) {
			const struct nsl_iface *f = &t->nodes[i].ifaces[k];
			if ((f->kind == NSL_IFACE_MACVLAN || f->kind == NSL_IFACE_IPVLAN) &&
			    f->device[0]) {
				struct nsl_op *op = add(b, NSL_OP_CREATE, (int)i, (int)k, -1);
				if (op) {
					op->create.lower = -1;
					op->create.from_host = true;
				}
			}
		}
	/* the management network: its bridge in the host, then a veth from each node to it */
	if (b->p->mgmt_bridge >= 0) {
		struct nsl_op *op = add(b, NSL_OP_HOST_DEV, NSL_PLAN_HOST, b->p->mgmt_bridge, -1);
		if (op)
			op->undo = NSL_UNDO_HOSTDEV;
		int port = b->p->mgmt_bridge;
		for (size_t i = 0; i < t->n_nodes; i++) {
			const struct nsl_iface *f = nsl_node_iface(&t->nodes[i], t->mgmt.iface);
			if (t->nodes[i].no_mgmt || !f || f->kind != NSL_IFACE_MGMT)
				continue;
			op = add(b, NSL_OP_VETH, NSL_PLAN_HOST, -1, -1);
			if (!op)
				return;
			op->undo = NSL_UNDO_HOSTLINK;
			op->veth[0] = (struct nsl_op_end){.node = (int)i,
			                                  .iface = (int)(f - t->nodes[i].ifaces),
			                                  .mtu = f->mtu,
			                                  .mac = f->has_mac ? f->mac : NULL,
			                                  .up = f->up};
			op->veth[1] = (struct nsl_op_end){.node = NSL_PLAN_HOST, .iface = ++port};
		}
	}
	for (size_t k = 0; k < b->p->n_host_ifaces; k++) {
		const struct nsl_iface *f = &b->p->host_ifaces[k];
		if (f->kind != NSL_IFACE_VETH && f->kind != NSL_IFACE_MGMT)
			continue;
		struct nsl_op *op = add(b, NSL_OP_HOST_END, NSL_PLAN_HOST, (int)k, -1);
		if (op)
			op->host_end.master = f->kind == NSL_IFACE_MGMT ? f->bridge : -1;
	}
	/* VXLANs of nodes whose underlay is the host's: sent from the host (their socket is
	 * there), born in their nodes, once the host ends they may be bound to exist */
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t k = 0; k < t->nodes[i].n_ifaces; k++) {
			const struct nsl_iface *f = &t->nodes[i].ifaces[k];
			if (f->kind == NSL_IFACE_VXLAN && f->vxlan.host_underlay) {
				struct nsl_op *op = add(b, NSL_OP_CREATE, (int)i, (int)k, -1);
				if (op) {
					op->create.lower = -1;
					op->create.from_host = true;
				}
			}
		}
	/* the host's VXLANs, once the host ends they may be bound to exist */
	for (size_t k = 0; k < t->host.n_ifaces; k++)
		if (t->host.ifaces[k].kind == NSL_IFACE_VXLAN) {
			struct nsl_op *op = add(b, NSL_OP_HOST_DEV, NSL_PLAN_HOST, (int)k, -1);
			if (op)
				op->undo = NSL_UNDO_HOSTDEV;
		}
}

/* Is this end already up from its creation message? */
static bool born_up(const struct nsl_topology *t, int node, const struct nsl_iface *f)
{
	if (f->kind == NSL_IFACE_MGMT)
		return f->up; /* the node's end is created first */
	const struct nsl_link *lk = &t->links[f->link];
	const struct nsl_endpoint *ep = &lk->ends[first_end(lk)];

	return f->up && f->bridge < 0 && f->bond < 0 && ep->node == node &&
	       !strcmp(ep->ifname, f->name);
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

/* Whether an interface exists before the node's own batch: link ends, moved devices, lo,
 * the management interface, macvlans on host devices. */
static bool exists_early(const struct nsl_iface *f)
{
	return f->kind == NSL_IFACE_VETH || f->kind == NSL_IFACE_DEVICE ||
	       f->kind == NSL_IFACE_LO || f->kind == NSL_IFACE_MGMT || f->device[0] ||
	       f->vxlan.host_underlay;
}

/* Bridges, then interfaces of a kind, each after the interface it sits on (a vlan after its
 * parent, a vxlan after its dev). Enslaving waits for the link ops, after every creation: a
 * VRF exists before its members join it, a bond before its ports. Passes over the node's
 * interfaces, each emitting what became possible: O(n * depth). */
static void plan_creates(struct builder *b, int i)
{
	const struct nsl_node *n = &b->p->t->nodes[i];
	bool *made = calloc(n->n_ifaces + 1, sizeof(*made));
	bool progress = true;

	if (!made) {
		b->oom = true;
		return;
	}
	for (size_t br = 0; br < n->n_bridges; br++) {
		int k = bridge_iface(n, (int)br);
		add(b, NSL_OP_BRIDGE, i, k, (int)br);
		if (k >= 0)
			made[k] = true;
	}
	for (size_t k = 0; k < n->n_ifaces; k++)
		made[k] |= exists_early(&n->ifaces[k]);
	while (progress) {
		progress = false;
		for (size_t k = 0; k < n->n_ifaces; k++) {
			const struct nsl_iface *f = &n->ifaces[k];
			struct nsl_op *op;
			if (made[k] || (f->lower >= 0 && !made[f->lower]))
				continue;
			op = add(b, NSL_OP_CREATE, i, (int)k, -1);
			if (op)
				op->create.lower = f->lower;
			made[k] = progress = true;
		}
	}
	free(made);
}

/* The routes of node i: those that wait for the VXLANs (late), or the others. */
static void plan_routes(struct builder *b, int i, bool late)
{
	const struct nsl_node *n = &b->p->t->nodes[i];

	for (size_t r = 0; r < n->n_routes; r++) {
		const struct nsl_route *rt = &n->routes[r];
		if (nsl_route_after_vxlans(n, rt) != late)
			continue;
		const struct nsl_iface *dev = rt->dev[0] ? nsl_node_iface(n, rt->dev) : NULL;
		struct nsl_op *op =
		    add(b, NSL_OP_ROUTE, i, dev ? (int)(dev - n->ifaces) : -1, (int)r);
		if (!op || !rt->n_nexthops)
			continue;
		op->route.nh_ifaces = nsl_arena_array(b->p->arena, rt->n_nexthops, sizeof(int));
		if (!op->route.nh_ifaces) {
			b->oom = true;
			return;
		}
		for (size_t h = 0; h < rt->n_nexthops; h++) {
			const struct nsl_iface *d =
			    rt->nexthops[h].dev[0] ? nsl_node_iface(n, rt->nexthops[h].dev) : NULL;
			op->route.nh_ifaces[h] = d ? (int)(d - n->ifaces) : -1;
		}
	}
}

/* A vlan that can come up only once the VXLANs are: one over a VXLAN of the node. */
static bool late_vlan(const struct nsl_node *n, const struct nsl_iface *f)
{
	return f->kind == NSL_IFACE_VLAN && f->up && nsl_iface_after_vxlans(n, f->lower);
}

static void plan_node_config(struct builder *b, int i)
{
	const struct nsl_topology *t = b->p->t;
	const struct nsl_node *n = &t->nodes[i];
	struct nsl_op *op;

	plan_creates(b, i);
	for (size_t k = 0; k < n->n_ifaces; k++) {
		const struct nsl_iface *f = &n->ifaces[k];
		int up = -1, master = -1;
		if (f->kind == NSL_IFACE_LO)
			continue;
		if (f->bridge >= 0)
			master = bridge_iface(n, f->bridge);
		else if (f->bond >= 0)
			master = f->bond;
		else if (f->master_vrf >= 0)
			master = f->master_vrf;
		/* a bond takes its ports down and brings them up itself; a vxlan comes up last
		 * (plan_vxlans_up), but for one that carries a link between hosts: its remote is
		 * the other host's underlay, which the host routes already, and routes through it
		 * need it up; a vlan over a vxlan comes up after it (the kernel refuses a vlan
		 * up on a lower that is down) */
		if (f->up && f->bond < 0 && (f->kind != NSL_IFACE_VXLAN || f->vxlan.cross) &&
		    !late_vlan(n, f) &&
		    !((f->kind == NSL_IFACE_VETH || f->kind == NSL_IFACE_MGMT) && born_up(t, i, f)))
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
	plan_routes(b, i, false);
	for (size_t r = 0; r < n->n_rules; r++)
		for (int fam = AF_INET; fam <= AF_INET6; fam += AF_INET6 - AF_INET)
			if (n->rules[r].family == AF_UNSPEC || n->rules[r].family == fam) {
				op = add(b, NSL_OP_RULE, i, -1, (int)r);
				if (op)
					op->rule.family = fam;
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

	for (size_t k = 0; k < b->p->n_host_ifaces; k++)
		for (size_t a = 0; a < b->p->host_ifaces[k].n_addrs; a++)
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

/* VXLANs come up once every node and the host have their addresses and routes and what
 * carries them runs: a VXLAN that is up sends at once (IPv6 reports of the overlay, in UDP to
 * its remote), and a neighbour the underlay asked for while the far end was down, or its
 * queue not yet running, answers a second late; from the host, a packet to a remote the lab
 * does not route yet would take the host's default route out of the machine. */
static bool has_vxlans(const struct nsl_topology *t)
{
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t k = 0; k < t->nodes[i].n_ifaces; k++)
			if (t->nodes[i].ifaces[k].kind == NSL_IFACE_VXLAN &&
			    !t->nodes[i].ifaces[k].vxlan.cross)
				return true;
	for (size_t k = 0; k < t->host.n_ifaces; k++)
		if (t->host.ifaces[k].kind == NSL_IFACE_VXLAN)
			return true;
	return false;
}

static void plan_vxlans_up(struct builder *b)
{
	const struct nsl_topology *t = b->p->t;
	struct nsl_op *op;

	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t k = 0; k < t->nodes[i].n_ifaces; k++)
			if (t->nodes[i].ifaces[k].kind == NSL_IFACE_VXLAN &&
			    t->nodes[i].ifaces[k].up && !t->nodes[i].ifaces[k].vxlan.cross &&
			    (op = add(b, NSL_OP_LINK, (int)i, (int)k, -1))) {
				op->link.up = 1;
				op->link.master = -1;
			}
	for (size_t k = 0; k < t->host.n_ifaces; k++)
		if (t->host.ifaces[k].kind == NSL_IFACE_VXLAN && t->host.ifaces[k].up &&
		    (op = add(b, NSL_OP_LINK, NSL_PLAN_HOST, (int)k, -1))) {
			op->link.up = 1;
			op->link.master = -1;
		}
	/* then, node by node (one batch per namespace), the vlans over them (each after the
	 * vlan it sits on: passes, as plan_creates) and the routes that need them */
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct nsl_node *n = &t->nodes[i];
		bool *done = calloc(n->n_ifaces + 1, sizeof(*done));
		bool progress = true;
		if (!done) {
			b->oom = true;
			return;
		}
		while (progress) {
			progress = false;
			for (size_t k = 0; k < n->n_ifaces; k++) {
				const struct nsl_iface *f = &n->ifaces[k];
				if (done[k] || !late_vlan(n, f) ||
				    (late_vlan(n, &n->ifaces[f->lower]) && !done[f->lower]))
					continue;
				done[k] = progress = true;
				if ((op = add(b, NSL_OP_LINK, (int)i, (int)k, -1))) {
					op->link.up = 1;
					op->link.master = -1;
				}
			}
		}
		free(done);
		plan_routes(b, (int)i, true);
	}
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
	if (plan_host_ifaces(ret) < 0) {
		nsl_plan_free(ret);
		return -ENOMEM;
	}
	plan_nodes(&b);
	plan_links(&b);
	for (size_t i = 0; i < t->n_nodes; i++)
		plan_node_config(&b, (int)i);
	plan_host(&b);
	/* VXLANs come up once what carries them runs (plan_vxlans_up) */
	bool vxlans = has_vxlans(t);
	if (vxlans) {
		for (size_t i = 0; i < t->n_nodes; i++)
			nsl_plan_wait(&b, (int)i, 1);
		nsl_plan_wait(&b, NSL_PLAN_HOST, 1);
		plan_vxlans_up(&b);
	}
	nsl_plan_exec(&b);
	for (size_t i = 0; i < t->n_nodes; i++)
		nsl_plan_wait(&b, (int)i, vxlans ? 2 : 0);
	nsl_plan_wait(&b, NSL_PLAN_HOST, vxlans ? 2 : 0);
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
