/* Cross-checks of a parsed topology, and the completion of its model: after this every
 * interface a node will have is in its ifaces with its kind, link, bridge and MTU, so the
 * planner iterates the model and never re-derives it. Safe to run twice. */
#include <arpa/inet.h>
#include <string.h>

#include "base/arena.h"
#include "model/topology.h"

#define PATH_LEN 256

struct vctx {
	struct nsl_topology *t;
	struct nsl_diags *d;
	unsigned errors;
};

static void verr(struct vctx *c, const char *path, const char *fmt, ...) NSL_PRINTF(3, 4);
static void verr(struct vctx *c, const char *path, const char *fmt, ...)
{
	va_list ap;

	c->errors++;
	va_start(ap, fmt);
	nsl_diags_addv(c->d, path, fmt, ap);
	va_end(ap);
}

static const char *end_node_name(const struct nsl_topology *t, int node)
{
	return node == NSL_ENDPOINT_HOST ? NSL_HOST_NODE : t->nodes[node].name;
}

static void iface_reset(struct nsl_iface *f)
{
	f->kind = NSL_IFACE_UNKNOWN;
	f->link = -1;
	f->bridge = -1;
}

static struct nsl_iface *iface_add(struct nsl_iface *arr, size_t *n, const char *name)
{
	struct nsl_iface *f = &arr[(*n)++];

	memset(f, 0, sizeof(*f));
	nsl_fmt(f->name, sizeof(f->name), "%s", name);
	f->up = true;
	iface_reset(f);
	return f;
}

static const char *kind_what(const struct nsl_iface *f, char *buf, size_t size)
{
	switch (f->kind) {
	case NSL_IFACE_VETH:
		nsl_fmt(buf, size, "an end of links[%d]", f->link);
		break;
	case NSL_IFACE_DEVICE:
		nsl_fmt(buf, size, "the moved device '%s'", f->device);
		break;
	case NSL_IFACE_BRIDGE:
		nsl_fmt(buf, size, "a bridge");
		break;
	case NSL_IFACE_LO:
		nsl_fmt(buf, size, "the loopback");
		break;
	default:
		nsl_fmt(buf, size, "in use");
	}
	return buf;
}

/* Room for every interface a node can end up with, entries of `interfaces` copied in. */
static int grow_ifaces(struct nsl_topology *t, struct nsl_iface **ifaces, size_t n, size_t extra)
{
	struct nsl_iface *arr;

	if (!extra)
		return 0;
	arr = nsl_arena_array(t->arena, n + extra, sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	if (n)
		memcpy(arr, *ifaces, n * sizeof(*arr));
	*ifaces = arr;
	return 0;
}

/* Link ends: each (node, ifname) once; entries created for ends not under `interfaces`. */
static void check_link_ends(struct vctx *c)
{
	struct nsl_topology *t = c->t;

	for (size_t l = 0; l < t->n_links; l++) {
		struct nsl_link *k = &t->links[l];

		for (int e = 0; e < 2; e++) {
			struct nsl_endpoint *ep = &k->ends[e];
			struct nsl_iface *f, **arr;
			size_t *n;
			char p[PATH_LEN], what[64];

			nsl_fmt(p, sizeof(p), "links[%zu].endpoints[%d]", l, e);
			if (ep->node != NSL_ENDPOINT_HOST &&
			    (ep->node < 0 || (size_t)ep->node >= t->n_nodes)) {
				verr(c, p, "no such node");
				continue;
			}
			if (e == 1 && ep->node == k->ends[0].node &&
			    !strcmp(ep->ifname, k->ends[0].ifname)) {
				verr(c, p, "both ends are %s:%s: a link joins two interfaces",
				     end_node_name(t, ep->node), ep->ifname);
				continue;
			}
			if (ep->node == NSL_ENDPOINT_HOST) {
				arr = &t->host.ifaces;
				n = &t->host.n_ifaces;
				if (!strcmp(ep->ifname, "lo")) {
					verr(c, p, "the host's lo cannot be a link end");
					continue;
				}
			} else {
				arr = &t->nodes[ep->node].ifaces;
				n = &t->nodes[ep->node].n_ifaces;
			}
			f = nsl_node_iface(&(struct nsl_node){.ifaces = *arr, .n_ifaces = *n},
			                   ep->ifname);
			if (!f)
				f = iface_add(*arr, n, ep->ifname);
			if (f->kind != NSL_IFACE_UNKNOWN) {
				verr(c, p, "%s:%s is already %s", end_node_name(t, ep->node),
				     ep->ifname, kind_what(f, what, sizeof(what)));
				continue;
			}
			f->kind = NSL_IFACE_VETH;
			f->link = (int)l;
			/* both ends get the link's MTU unless their entry says otherwise */
			if (!f->mtu)
				f->mtu = k->mtu;
		}
	}
}

static void check_bridges(struct vctx *c, struct nsl_node *n)
{
	for (size_t b = 0; b < n->n_bridges; b++) {
		struct nsl_bridge *br = &n->bridges[b];
		struct nsl_iface *f = nsl_node_iface(n, br->name);
		char p[PATH_LEN], what[64];

		nsl_fmt(p, sizeof(p), "nodes.%s.bridges.%s", n->name, br->name);
		if (!f)
			f = iface_add(n->ifaces, &n->n_ifaces, br->name);
		if (f->kind != NSL_IFACE_UNKNOWN) {
			verr(c, p, "%s is already %s", br->name, kind_what(f, what, sizeof(what)));
			continue;
		}
		f->kind = NSL_IFACE_BRIDGE;
	}
	/* ports after every bridge is known, so "is a bridge" is told apart from "unknown" */
	for (size_t b = 0; b < n->n_bridges; b++) {
		struct nsl_bridge *br = &n->bridges[b];

		for (size_t i = 0; i < br->n_ports; i++) {
			struct nsl_iface *f = nsl_node_iface(n, br->ports[i]);
			char p[PATH_LEN];

			nsl_fmt(p, sizeof(p), "nodes.%s.bridges.%s.ports[%zu]", n->name, br->name,
			        i);
			if (!f || f->kind == NSL_IFACE_UNKNOWN) {
				verr(c, p,
				     "node %s has no interface '%s' (a port is a link end or "
				     "a moved device of the same node)",
				     n->name, br->ports[i]);
			} else if (f->kind == NSL_IFACE_LO) {
				verr(c, p, "lo cannot be a bridge port");
			} else if (f->kind == NSL_IFACE_BRIDGE) {
				verr(c, p, "'%s' is a bridge; bridges do not nest", f->name);
			} else if (f->bridge == (int)b) {
				verr(c, p, "'%s' is listed twice", f->name);
			} else if (f->bridge >= 0) {
				verr(c, p, "'%s' is already a port of bridge %s", f->name,
				     n->bridges[f->bridge].name);
			} else {
				f->bridge = (int)b;
			}
		}
	}
}

static bool node_has_addr(const struct nsl_node *n, const struct nsl_ip *ip)
{
	for (size_t i = 0; i < n->n_ifaces; i++)
		for (size_t j = 0; j < n->ifaces[i].n_addrs; j++)
			if (nsl_ip_equal(&n->ifaces[i].addrs[j].ip, ip))
				return true;
	return false;
}

/* Whether the gateway is on a subnet of the node (of dev, when given): the kernel refuses a
 * gateway it cannot reach directly, and that must be found here, not half-way through up. */
static bool gateway_reachable(const struct nsl_node *n, const struct nsl_route *r)
{
	for (size_t i = 0; i < n->n_ifaces; i++) {
		const struct nsl_iface *f = &n->ifaces[i];

		if (r->dev[0] && strcmp(f->name, r->dev))
			continue;
		for (size_t j = 0; j < f->n_addrs; j++)
			if (nsl_prefix_contains(&f->addrs[j], &r->via))
				return true;
	}
	return false;
}

static bool is_link_local6(const struct nsl_ip *ip)
{
	return ip->family == AF_INET6 && ip->bytes[0] == 0xfe && (ip->bytes[1] & 0xc0) == 0x80;
}

static void check_routes(struct vctx *c, struct nsl_node *n)
{
	for (size_t i = 0; i < n->n_routes; i++) {
		struct nsl_route *r = &n->routes[i];
		char p[PATH_LEN], b[INET6_ADDRSTRLEN + 8];
		struct nsl_iface *dev = r->dev[0] ? nsl_node_iface(n, r->dev) : NULL;

		if (r->dev[0] && (!dev || dev->kind == NSL_IFACE_UNKNOWN)) {
			nsl_fmt(p, sizeof(p), "nodes.%s.routes[%zu].dev", n->name, i);
			verr(c, p, "node %s has no interface '%s'", n->name, r->dev);
			continue;
		}
		nsl_fmt(p, sizeof(p), "nodes.%s.routes[%zu].via", n->name, i);
		if (r->has_via && node_has_addr(n, &r->via)) {
			verr(c, p, "%s is this node's own address",
			     nsl_ip_str(&r->via, b, sizeof(b)));
		} else if (r->has_via && is_link_local6(&r->via)) {
			if (!r->dev[0])
				verr(c, p, "a link-local gateway needs 'dev'");
		} else if (r->has_via && !gateway_reachable(n, r)) {
			verr(c, p, "gateway %s is on no subnet of %s%s%s",
			     nsl_ip_str(&r->via, b, sizeof(b)), r->dev[0] ? "interface " : "node ",
			     r->dev[0] ? r->dev : n->name, r->dev[0] ? "" : "'s interfaces");
		}
		if (r->has_src && !node_has_addr(n, &r->src)) {
			nsl_fmt(p, sizeof(p), "nodes.%s.routes[%zu].src", n->name, i);
			verr(c, p, "%s is not an address of node %s",
			     nsl_ip_str(&r->src, b, sizeof(b)), n->name);
		}
		/* the kernel refuses a second route to the same place with the same metric */
		for (size_t j = 0; j < i; j++) {
			const struct nsl_route *o = &n->routes[j];

			if (o->to.ip.family == r->to.ip.family && o->to.len == r->to.len &&
			    nsl_ip_equal(&o->to.ip, &r->to.ip) && o->metric == r->metric &&
			    o->has_metric == r->has_metric) {
				nsl_fmt(p, sizeof(p), "nodes.%s.routes[%zu].to", n->name, i);
				verr(c, p, "same destination %s and metric as routes[%zu]",
				     nsl_prefix_str(&r->to, b, sizeof(b)), j);
				break;
			}
		}
	}
}

static void check_mtu(struct vctx *c, const char *owner, struct nsl_iface *ifaces, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct nsl_iface *f = &ifaces[i];

		if (!f->mtu || f->mtu >= 1280)
			continue;
		for (size_t j = 0; j < f->n_addrs; j++) {
			char p[PATH_LEN];

			if (f->addrs[j].ip.family != AF_INET6)
				continue;
			nsl_fmt(p, sizeof(p), "%s.interfaces.%s.mtu", owner, f->name);
			verr(c, p, "MTU %u is below 1280, the minimum for IPv6 addresses%s", f->mtu,
			     f->link >= 0 ? " (it may come from the link)" : "");
			break;
		}
	}
}

static void check_nat(struct vctx *c, const char *owner, const struct nsl_node *n,
                      const struct nsl_nat *nat, size_t n_nat)
{
	for (size_t i = 0; i < n_nat; i++) {
		const struct nsl_iface *f;
		char p[PATH_LEN];

		if (!n || !nat[i].out[0])
			continue;
		f = nsl_node_iface(n, nat[i].out);
		if (!f || f->kind == NSL_IFACE_UNKNOWN) {
			nsl_fmt(p, sizeof(p), "%s.nat[%zu].out", owner, i);
			verr(c, p, "node %s has no interface '%s'", n->name, nat[i].out);
		}
	}
}

static void check_mounts(struct vctx *c, const struct nsl_node *n)
{
	for (size_t i = 0; i < n->n_mounts; i++) {
		for (size_t j = 0; j < i; j++) {
			char p[PATH_LEN];

			if (strcmp(n->mounts[i].target, n->mounts[j].target))
				continue;
			nsl_fmt(p, sizeof(p), "nodes.%s.mounts[%zu]", n->name, i);
			verr(c, p, "%s is already mounted by mounts[%zu]", n->mounts[i].target, j);
			break;
		}
	}
}

static void check_devices(struct vctx *c)
{
	struct nsl_topology *t = c->t;

	for (size_t a = 0; a < t->n_nodes; a++) {
		struct nsl_node *n = &t->nodes[a];

		for (size_t i = 0; i < n->n_ifaces; i++) {
			struct nsl_iface *f = &n->ifaces[i];
			char p[PATH_LEN];
			bool dup = false;

			if (!f->device[0])
				continue;
			nsl_fmt(p, sizeof(p), "nodes.%s.interfaces.%s.device", n->name, f->name);
			/* the same host device moved into two places */
			for (size_t b = 0; b <= a && !dup; b++) {
				const struct nsl_node *o = &t->nodes[b];
				size_t lim = b == a ? i : o->n_ifaces;

				for (size_t j = 0; j < lim; j++) {
					if (o->ifaces[j].device[0] &&
					    !strcmp(o->ifaces[j].device, f->device)) {
						verr(c, p,
						     "host device '%s' is already moved by "
						     "nodes.%s.interfaces.%s",
						     f->device, o->name, o->ifaces[j].name);
						dup = true;
						break;
					}
				}
			}
			for (size_t l = 0; l < t->n_links && !dup; l++) {
				for (int e = 0; e < 2; e++) {
					const struct nsl_endpoint *ep = &t->links[l].ends[e];

					if (ep->node == NSL_ENDPOINT_HOST &&
					    !strcmp(ep->ifname, f->device)) {
						verr(c, p,
						     "'%s' is the host end of links[%zu], not "
						     "a host device",
						     f->device, l);
						dup = true;
						break;
					}
				}
			}
			/* a device even when refused, so nothing else reports it again */
			f->kind = NSL_IFACE_DEVICE;
		}
	}
}

int nsl_topology_validate(struct nsl_topology *t, struct nsl_diags *diags)
{
	struct vctx c = {.t = t, .d = diags};
	size_t *extra_host = NULL;
	size_t *extra;
	int r;

	if (!t)
		return -EINVAL;
	if (diags && !diags->file)
		diags->file = t->file;
	/* how many entries each node can gain: lo, one per link end, one per bridge */
	extra = calloc(t->n_nodes + 1, sizeof(*extra));
	if (!extra)
		return -ENOMEM;
	extra_host = &extra[t->n_nodes];
	for (size_t l = 0; l < t->n_links; l++)
		for (int e = 0; e < 2; e++) {
			int nd = t->links[l].ends[e].node;

			if (nd == NSL_ENDPOINT_HOST)
				(*extra_host)++;
			else if (nd >= 0 && (size_t)nd < t->n_nodes)
				extra[nd]++;
		}
	r = grow_ifaces(t, &t->host.ifaces, t->host.n_ifaces, *extra_host);
	for (size_t i = 0; i < t->n_nodes && !r; i++) {
		struct nsl_node *n = &t->nodes[i];

		r = grow_ifaces(t, &n->ifaces, n->n_ifaces, extra[i] + 1 + n->n_bridges);
	}
	free(extra);
	if (r)
		return r;

	/* start from the parsed entries only, so a second run finds the same */
	for (size_t i = 0; i < t->host.n_ifaces; i++)
		iface_reset(&t->host.ifaces[i]);
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct nsl_node *n = &t->nodes[i];
		struct nsl_iface *lo;

		for (size_t j = 0; j < n->n_ifaces; j++)
			iface_reset(&n->ifaces[j]);
		lo = nsl_node_iface(n, "lo");
		if (!lo)
			lo = iface_add(n->ifaces, &n->n_ifaces, "lo");
		lo->kind = NSL_IFACE_LO;
		lo->up = true;
	}

	check_devices(&c);
	check_link_ends(&c);
	for (size_t i = 0; i < t->n_nodes; i++)
		check_bridges(&c, &t->nodes[i]);

	for (size_t i = 0; i < t->n_nodes; i++) {
		struct nsl_node *n = &t->nodes[i];
		char owner[PATH_LEN];

		for (size_t j = 0; j < n->n_ifaces; j++) {
			char p[PATH_LEN];

			if (n->ifaces[j].kind != NSL_IFACE_UNKNOWN)
				continue;
			nsl_fmt(p, sizeof(p), "nodes.%s.interfaces.%s", n->name, n->ifaces[j].name);
			verr(&c, p, "no link, device or bridge gives this interface");
		}
		nsl_fmt(owner, sizeof(owner), "nodes.%s", n->name);
		check_mtu(&c, owner, n->ifaces, n->n_ifaces);
		check_routes(&c, n);
		check_nat(&c, owner, n, n->nat, n->n_nat);
		check_mounts(&c, n);
	}
	for (size_t j = 0; j < t->host.n_ifaces; j++) {
		char p[PATH_LEN];

		if (t->host.ifaces[j].kind != NSL_IFACE_UNKNOWN)
			continue;
		nsl_fmt(p, sizeof(p), "host.interfaces.%s", t->host.ifaces[j].name);
		verr(&c, p, "no link has this host end");
	}
	check_mtu(&c, "host", t->host.ifaces, t->host.n_ifaces);
	return c.errors ? -EINVAL : 0;
}
