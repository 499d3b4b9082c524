/* Which routes wait for the VXLANs. A node's VXLAN comes up last (plan.c, plan_vxlans_up): a
 * VXLAN that is up sends at once, and must wait for its underlay. A route through one, or
 * through what sits on one, cannot be added before: the kernel refuses a next hop on an
 * interface that is down ("Nexthop device is not up") and, for IPv4, finds no connected
 * route for a gateway on the subnet of one ("Nexthop has invalid gateway"). Pure. */
#include <string.h>

#include "model/plan.h"

/* Whether interface k of node n runs only once the VXLANs are up: a VXLAN of the node that
 * is meant to be up (not one of a link between hosts: that one is up with the others), or
 * an interface over one: a vlan, macvlan or ipvlan whose parent is, a bridge or a bond with
 * such a port. depth bounds the walk (validation refuses loops; this never trusts it). */
static bool late_iface(const struct nsl_node *n, int k, size_t depth)
{
	const struct nsl_iface *f;

	if (k < 0 || (size_t)k >= n->n_ifaces || depth > n->n_ifaces)
		return false;
	f = &n->ifaces[k];
	if (!f->up)
		return false; /* never up: validation takes no route through it */
	switch (f->kind) {
	case NSL_IFACE_VXLAN:
		return !f->vxlan.cross;
	case NSL_IFACE_VLAN:
	case NSL_IFACE_MACVLAN:
	case NSL_IFACE_IPVLAN:
		return !f->device[0] && late_iface(n, f->lower, depth + 1);
	case NSL_IFACE_BRIDGE:
		for (size_t br = 0; br < n->n_bridges; br++) {
			if (strcmp(n->bridges[br].name, f->name))
				continue;
			for (size_t p = 0; p < n->n_ifaces; p++)
				if (n->ifaces[p].bridge == (int)br &&
				    late_iface(n, (int)p, depth + 1))
					return true;
		}
		return false;
	case NSL_IFACE_BOND:
		for (size_t p = 0; p < n->n_ifaces; p++)
			if (n->ifaces[p].bond == k && late_iface(n, (int)p, depth + 1))
				return true;
		return false;
	default:
		return false;
	}
}

bool nsl_iface_after_vxlans(const struct nsl_node *n, int k) { return late_iface(n, k, 0); }

/* The table an interface's connected routes go to: its VRF's, else main. */
static uint32_t iface_table(const struct nsl_node *n, const struct nsl_iface *f)
{
	if (f->kind == NSL_IFACE_VRF)
		return f->table;
	if (f->master_vrf >= 0)
		return n->ifaces[f->master_vrf].table;
	return NSL_TABLE_MAIN;
}

/* Whether the interface the kernel finds a gateway on is late: the one whose connected
 * subnet holds it with the longest prefix (what the lookup picks), among the interfaces that
 * are up and whose connected routes a lookup in table finds (its own, or main's: as
 * validate_routes.c judges reachability). On a tie, late if any of them is. */
static bool late_gateway(const struct nsl_node *n, uint32_t table, const struct nsl_ip *via)
{
	int best = -1;
	bool late = false;

	for (size_t k = 0; k < n->n_ifaces; k++) {
		const struct nsl_iface *f = &n->ifaces[k];
		uint32_t tb;

		if (!f->up || f->kind == NSL_IFACE_LO)
			continue;
		tb = iface_table(n, f);
		if (tb != table && tb != NSL_TABLE_MAIN)
			continue;
		for (size_t a = 0; a < f->n_addrs; a++) {
			const struct nsl_prefix *p = &f->addrs[a];
			if (!nsl_prefix_contains(p, via) || (int)p->len < best)
				continue;
			bool l = late_iface(n, (int)k, 0);
			late = (int)p->len > best ? l : late || l;
			best = p->len;
		}
	}
	return late;
}

/* One way out: its device decides when it names one (the gateway must be on it), else the
 * interface of the gateway's subnet. */
static bool late_hop(const struct nsl_node *n, const struct nsl_route *rt, bool has_via,
                     const struct nsl_ip *via, const char *devname)
{
	const struct nsl_iface *dev = devname[0] ? nsl_node_iface(n, devname) : NULL;

	if (dev)
		return late_iface(n, (int)(dev - n->ifaces), 0);
	return has_via && late_gateway(n, rt->table, via);
}

bool nsl_route_after_vxlans(const struct nsl_node *n, const struct nsl_route *rt)
{
	if (rt->type != NSL_RT_UNICAST)
		return false;
	if (!rt->n_nexthops)
		return late_hop(n, rt, rt->has_via, &rt->via, rt->dev);
	for (size_t h = 0; h < rt->n_nexthops; h++)
		if (late_hop(n, rt, rt->nexthops[h].has_via, &rt->nexthops[h].via,
		             rt->nexthops[h].dev))
			return true;
	return false;
}
