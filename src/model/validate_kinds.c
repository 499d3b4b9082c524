/* Interfaces of a kind, against the rest of their node: a vlan's, macvlan's or ipvlan's
 * parent and a vxlan's dev exist (and the stack has no loop), VRF members name a VRF, bond
 * ports are free interfaces of the node, and the masters do not collide (a bridge port or a
 * bond port cannot also join a VRF). Completes the model: lower, master_vrf, bond. What the
 * kernel would refuse half-way through up is refused here. */
#include <arpa/inet.h>
#include <string.h>

#include "model/validate.h"

static const char *what(const struct nsl_iface *f)
{
	const char *k = nsl_iface_kind_name(f->kind);

	if (k)
		return k;
	switch (f->kind) {
	case NSL_IFACE_VETH:
		return "link end";
	case NSL_IFACE_DEVICE:
		return "moved device";
	case NSL_IFACE_BRIDGE:
		return "bridge";
	case NSL_IFACE_LO:
		return "loopback";
	case NSL_IFACE_MGMT:
		return "management interface";
	default:
		return "interface";
	}
}

/* The MTU an interface will have when its entry and kind say it; 0 when unknown. */
static uint32_t known_mtu(const struct nsl_iface *f)
{
	if (f->mtu)
		return f->mtu;
	switch (f->kind) {
	case NSL_IFACE_VETH:
	case NSL_IFACE_DUMMY:
	case NSL_IFACE_MGMT:
		return 1500;
	default:
		return 0;
	}
}

/* parent (vlan, macvlan, ipvlan) or dev (vxlan): an interface of the node. */
static void check_lower(struct vctx *c, int node, struct nsl_iface *f, const char *owner)
{
	struct nsl_node *n = &c->t->nodes[node];
	bool vx = f->kind == NSL_IFACE_VXLAN;
	struct nsl_iface *l;
	char p[PATH_LEN];

	if (!f->parent[0])
		return;
	nsl_fmt(p, sizeof(p), "%s.interfaces.%s.%s", owner, f->name, vx ? "dev" : "parent");
	l = nsl_v_iface(c, node, f->parent);
	if (!l || l->kind == NSL_IFACE_UNKNOWN) {
		nsl_v_err(c, p, "node %s has no interface '%s'", n->name, f->parent);
		return;
	}
	if (l == f) {
		nsl_v_err(c, p, "%s cannot sit on itself", f->name);
		return;
	}
	if (!vx && (l->kind == NSL_IFACE_LO || l->kind == NSL_IFACE_VRF)) {
		nsl_v_err(c, p, "a %s cannot sit on the %s %s", what(f), what(l), l->name);
		return;
	}
	if (!vx && f->mtu && known_mtu(l) && f->mtu > known_mtu(l)) {
		char mp[PATH_LEN];

		nsl_fmt(mp, sizeof(mp), "%s.interfaces.%s.mtu", owner, f->name);
		nsl_v_err(c, mp, "MTU %u is above the MTU of its parent %s (%u)", f->mtu, l->name,
		          known_mtu(l));
	}
	f->lower = (int)(l - n->ifaces);
}

/* A stack of lowers that comes back to where it started: reported once, at its first
 * member in the node's order. Each step follows one lower: O(n * depth). */
static void check_loops(struct vctx *c, int node, const char *owner)
{
	struct nsl_node *n = &c->t->nodes[node];

	for (size_t i = 0; i < n->n_ifaces; i++) {
		size_t steps = 0;
		int k = n->ifaces[i].lower;

		while (k >= 0 && (size_t)k != i && steps++ <= n->n_ifaces)
			k = n->ifaces[k].lower;
		if (k >= 0 && (size_t)k == i) {
			char p[PATH_LEN];
			bool first = true;

			/* report at the loop's member that comes first */
			for (int j = n->ifaces[i].lower; j >= 0 && (size_t)j != i;
			     j = n->ifaces[j].lower)
				first &= (size_t)j > i;
			if (first) {
				nsl_fmt(p, sizeof(p), "%s.interfaces.%s", owner, n->ifaces[i].name);
				nsl_v_err_key(
				    c, p,
				    "%s sits on an interface that sits on %s: the stack has "
				    "no bottom",
				    n->ifaces[i].name, n->ifaces[i].name);
			}
		}
	}
	/* loops cut, so that nothing after this walks them */
	for (size_t i = 0; i < n->n_ifaces; i++) {
		size_t steps = 0;
		int k = n->ifaces[i].lower;

		while (k >= 0 && (size_t)k != i && steps++ <= n->n_ifaces)
			k = n->ifaces[k].lower;
		if (k >= 0 && (size_t)k == i)
			n->ifaces[i].lower = -1;
	}
}

static void check_bond(struct vctx *c, int node, struct nsl_iface *bond, const char *owner)
{
	struct nsl_node *n = &c->t->nodes[node];
	int b = (int)(bond - n->ifaces);

	for (size_t i = 0; i < bond->bonding.n_ports; i++) {
		struct nsl_iface *f = nsl_v_iface(c, node, bond->bonding.ports[i]);
		char p[PATH_LEN];

		nsl_fmt(p, sizeof(p), "%s.interfaces.%s.ports[%zu]", owner, bond->name, i);
		if (!f || f->kind == NSL_IFACE_UNKNOWN) {
			nsl_v_err(c, p, "node %s has no interface '%s'", n->name,
			          bond->bonding.ports[i]);
		} else if (f == bond) {
			nsl_v_err(c, p, "a bond cannot be its own port");
		} else if (f->kind == NSL_IFACE_LO || f->kind == NSL_IFACE_BRIDGE ||
		           f->kind == NSL_IFACE_BOND || f->kind == NSL_IFACE_VRF ||
		           f->kind == NSL_IFACE_MGMT) {
			nsl_v_err(c, p, "the %s %s cannot be a bond port", what(f), f->name);
		} else if (f->bond == b) {
			nsl_v_err(c, p, "'%s' is listed twice", f->name);
		} else if (f->bond >= 0) {
			nsl_v_err(c, p, "'%s' is already a port of bond %s", f->name,
			          n->ifaces[f->bond].name);
		} else if (f->bridge >= 0) {
			nsl_v_err(c, p, "'%s' is already a port of bridge %s", f->name,
			          n->bridges[f->bridge].name);
		} else if (f->vrf[0]) {
			nsl_v_err(
			    c, p,
			    "'%s' joins VRF %s: a bond port has no VRF of its own (the bond can)",
			    f->name, f->vrf);
		} else if (f->addrs_given && f->n_addrs) {
			nsl_v_err(c, p,
			          "'%s' has addresses: a bond port has none of its own (give them "
			          "to the bond)",
			          f->name);
		} else if (!f->up) {
			nsl_v_err(c, p, "'%s' is down ('up': false): a bond brings its ports up",
			          f->name);
		} else {
			f->bond = b;
		}
	}
}

static void check_vrf(struct vctx *c, int node, struct nsl_iface *f, const char *owner)
{
	struct nsl_node *n = &c->t->nodes[node];
	struct nsl_iface *v;
	char p[PATH_LEN];

	if (!f->vrf[0])
		return;
	nsl_fmt(p, sizeof(p), "%s.interfaces.%s.vrf", owner, f->name);
	v = nsl_v_iface(c, node, f->vrf);
	if (!v || v->kind != NSL_IFACE_VRF) {
		nsl_v_err(c, p, "node %s has no VRF '%s' (an interface of \"kind\": \"vrf\")",
		          n->name, f->vrf);
	} else if (f->bridge >= 0) {
		nsl_v_err(c, p,
		          "%s is a port of bridge %s: the bridge joins the VRF, not its ports",
		          f->name, n->bridges[f->bridge].name);
	} else if (f->bond >= 0) {
		nsl_v_err(c, p, "%s is a port of bond %s: the bond joins the VRF, not its ports",
		          f->name, n->ifaces[f->bond].name);
	} else {
		f->master_vrf = (int)(v - n->ifaces);
	}
}

/* Two VRFs on one table, two VXLANs on one VNI and port: the kernel refuses the second. */
static void check_unique(struct vctx *c, int node, const char *owner)
{
	struct nsl_node *n = &c->t->nodes[node];

	/* pairs among the node's VRFs and VXLANs: few per node, a sort would not pay */
	for (size_t i = 0; i < n->n_ifaces; i++) {
		const struct nsl_iface *a = &n->ifaces[i];
		char p[PATH_LEN];

		if (a->kind != NSL_IFACE_VRF && a->kind != NSL_IFACE_VXLAN)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct nsl_iface *b = &n->ifaces[j];

			if (b->kind != a->kind)
				continue;
			if (a->kind == NSL_IFACE_VRF && a->table && a->table == b->table) {
				nsl_fmt(p, sizeof(p), "%s.interfaces.%s.table", owner, a->name);
				nsl_v_err(c, p, "table %u is VRF %s's already", a->table, b->name);
				break;
			}
			if (a->kind == NSL_IFACE_VXLAN && !a->vxlan.host_underlay &&
			    !b->vxlan.host_underlay && a->vxlan.vni == b->vxlan.vni &&
			    a->vxlan.port == b->vxlan.port &&
			    (a->vxlan.has_remote ? a->vxlan.remote.family : AF_INET) ==
			        (b->vxlan.has_remote ? b->vxlan.remote.family : AF_INET)) {
				nsl_fmt(p, sizeof(p), "%s.interfaces.%s.vni", owner, a->name);
				nsl_v_err(c, p, "VNI %u on port %u is vxlan %s's already",
				          a->vxlan.vni, a->vxlan.port, b->name);
				break;
			}
		}
	}
}

void nsl_v_kinds(struct vctx *c, int node)
{
	struct nsl_node *n = &c->t->nodes[node];
	char owner[PATH_LEN];

	nsl_fmt(owner, sizeof(owner), "nodes.%s", n->name);
	for (size_t i = 0; i < n->n_ifaces; i++) {
		struct nsl_iface *f = &n->ifaces[i];

		if (f->kind == NSL_IFACE_VLAN ||
		    (f->kind == NSL_IFACE_VXLAN && !f->vxlan.host_underlay) ||
		    ((f->kind == NSL_IFACE_MACVLAN || f->kind == NSL_IFACE_IPVLAN) &&
		     !f->device[0]))
			check_lower(c, node, f, owner);
		if (f->kind == NSL_IFACE_BOND)
			check_bond(c, node, f, owner);
	}
	check_loops(c, node, owner);
	for (size_t i = 0; i < n->n_ifaces; i++)
		check_vrf(c, node, &n->ifaces[i], owner);
	check_unique(c, node, owner);
}

/* After the addresses are complete (pools): a vxlan's local address is its node's. */
void nsl_v_vxlan_local(struct vctx *c, int node)
{
	struct nsl_node *n = node == NSL_ENDPOINT_HOST ? NULL : &c->t->nodes[node];
	struct nsl_iface *ifaces = n ? n->ifaces : c->t->host.ifaces;
	size_t count = n ? n->n_ifaces : c->t->host.n_ifaces;

	for (size_t i = 0; i < count; i++) {
		const struct nsl_vxlan *x = &ifaces[i].vxlan;
		char p[PATH_LEN], b[64];
		bool found = false;

		if (ifaces[i].kind != NSL_IFACE_VXLAN || !x->has_local || !n || x->host_underlay)
			continue; /* the host's own addresses are not known here */
		for (size_t k = 0; k < count && !found; k++)
			for (size_t a = 0; a < ifaces[k].n_addrs && !found; a++)
				found = nsl_ip_equal(&ifaces[k].addrs[a].ip, &x->local);
		if (found)
			continue;
		nsl_fmt(p, sizeof(p), "nodes.%s.interfaces.%s.local", n->name, ifaces[i].name);
		nsl_v_err(c, p, "%s is not an address of node %s",
		          nsl_ip_str(&x->local, b, sizeof(b)), n->name);
	}
}

/* VXLANs whose UDP sockets live in the host (the host's own, and nodes' with "underlay":
 * "host"): one VNI on one port and family once among them all, as within one node. */
void nsl_v_host_vxlans(struct vctx *c)
{
	const struct nsl_topology *t = c->t;
	struct seen {
		const struct nsl_iface *f;
		const char *owner;
	} * all;
	size_t n = 0, cap = t->host.n_ifaces;

	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t k = 0; k < t->nodes[i].n_ifaces; k++)
			cap += t->nodes[i].ifaces[k].vxlan.host_underlay;
	if (cap < 2)
		return;
	all = calloc(cap, sizeof(*all));
	if (!all)
		return; /* the kernel will say it */
	for (size_t k = 0; k < t->host.n_ifaces; k++)
		if (t->host.ifaces[k].kind == NSL_IFACE_VXLAN)
			all[n++] = (struct seen){&t->host.ifaces[k], NULL};
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t k = 0; k < t->nodes[i].n_ifaces; k++)
			if (t->nodes[i].ifaces[k].kind == NSL_IFACE_VXLAN &&
			    t->nodes[i].ifaces[k].vxlan.host_underlay)
				all[n++] = (struct seen){&t->nodes[i].ifaces[k], t->nodes[i].name};
	/* few of them: pairs */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++) {
			const struct nsl_vxlan *a = &all[i].f->vxlan, *b = &all[j].f->vxlan;
			char p[PATH_LEN];

			if (a->vni != b->vni || a->port != b->port ||
			    (a->has_remote ? a->remote.family : AF_INET) !=
			        (b->has_remote ? b->remote.family : AF_INET))
				continue;
			if (all[i].owner)
				nsl_fmt(p, sizeof(p), "nodes.%s.interfaces.%s.vni", all[i].owner,
				        all[i].f->name);
			else
				nsl_fmt(p, sizeof(p), "host.interfaces.%s.vni", all[i].f->name);
			nsl_v_err(
			    c, p,
			    "VNI %u on port %u is taken in the host already (by %s%s%s, whose "
			    "UDP socket is there too)",
			    a->vni, a->port, all[j].owner ? all[j].owner : "host",
			    all[j].owner ? ":" : " interface ", all[j].f->name);
			break;
		}
	free(all);
}
