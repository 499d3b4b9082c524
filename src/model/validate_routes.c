/* A node's routes against what the kernel does with them: the device exists and is up, the
 * gateway is on a subnet of an interface that is up, the source is the node's, and no route
 * duplicates another or one the kernel made for a connected subnet (same destination, same
 * metric as the kernel counts it). Sorted arrays: O(n log n) in routes and addresses. */
#include <arpa/inet.h>
#include <string.h>

#include "model/validate.h"

/* A subnet of a node's interface (or ::1/128 of lo), for gateways and connected routes. */
struct net {
	struct nsl_prefix p; /* host bits cleared */
	size_t iface;        /* index in the node's ifaces */
	bool route;          /* the kernel makes a route for it in the main table */
};

static int net_cmp(const void *x, const void *y)
{
	const struct net *a = x, *b = y;
	int r = a->p.ip.family - b->p.ip.family;

	if (!r)
		r = (int)a->p.len - (int)b->p.len;
	if (!r)
		r = memcmp(a->p.ip.bytes, b->p.ip.bytes, 16);
	if (!r)
		r = a->iface < b->iface ? -1 : a->iface > b->iface;
	return r;
}

static void mask(struct nsl_prefix *p)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bit = i * 8;

		if (bit >= p->len)
			p->ip.bytes[i] = 0;
		else if (p->len - bit < 8)
			p->ip.bytes[i] &= (uint8_t)(0xff << (8 - (p->len - bit)));
	}
}

/* The first net equal to (family, len, bytes) and, when iface != SIZE_MAX, of that iface. */
static const struct net *net_find(const struct net *nets, size_t n, const struct nsl_prefix *p,
                                  size_t iface)
{
	struct net key = {.p = *p, .iface = iface == SIZE_MAX ? 0 : iface};
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (net_cmp(&nets[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == n || nets[lo].p.ip.family != p->ip.family || nets[lo].p.len != p->len ||
	    memcmp(nets[lo].p.ip.bytes, p->ip.bytes, 16))
		return NULL;
	if (iface != SIZE_MAX && nets[lo].iface != iface)
		return NULL;
	return &nets[lo];
}

static bool prefix_eq(const struct nsl_prefix *a, const struct nsl_prefix *b)
{
	return a->ip.family == b->ip.family && a->len == b->len &&
	       !memcmp(a->ip.bytes, b->ip.bytes, 16);
}

static int ip_cmp(const void *x, const void *y)
{
	const struct nsl_ip *a = x, *b = y;

	if (a->family != b->family)
		return a->family - b->family;
	return memcmp(a->bytes, b->bytes, 16);
}

struct rkey {
	const struct nsl_route *r;
	size_t i;
	uint32_t metric;
};

static int rkey_cmp(const void *x, const void *y)
{
	const struct rkey *a = x, *b = y;
	int r = a->r->to.ip.family - b->r->to.ip.family;

	if (!r)
		r = (int)a->r->to.len - (int)b->r->to.len;
	if (!r)
		r = memcmp(a->r->to.ip.bytes, b->r->to.ip.bytes, 16);
	if (!r)
		r = a->metric < b->metric ? -1 : a->metric > b->metric;
	if (!r)
		r = a->i < b->i ? -1 : a->i > b->i;
	return r;
}

static bool is_link_local6(const struct nsl_ip *ip)
{
	return ip->family == AF_INET6 && ip->bytes[0] == 0xfe && (ip->bytes[1] & 0xc0) == 0x80;
}

/* Whether the gateway is on a subnet of an interface that is up (dev, when given): the
 * kernel refuses a gateway it cannot reach directly. O(prefix lengths * log n). */
static bool gateway_reachable(const struct net *nets, size_t n, const uint8_t *lens, size_t iface,
                              const struct nsl_ip *via)
{
	unsigned max = via->family == AF_INET ? 32 : 128;

	for (unsigned len = 0; len <= max; len++) {
		struct nsl_prefix p = {.ip = *via, .len = (uint8_t)len};

		if (!lens[len])
			continue;
		mask(&p);
		if (net_find(nets, n, &p, iface))
			return true;
	}
	return false;
}

/* Why two routes that read differently have one metric for the kernel. */
static const char *metric_hint(const struct nsl_route *a, const struct nsl_route *b)
{
	if (a->to.ip.family == AF_INET6)
		return a->has_metric && a->metric && b->has_metric && b->metric
		           ? ""
		           : " (no metric, or 0, is 1024 for IPv6)";
	return a->has_metric && b->has_metric ? "" : " (no metric is 0 for IPv4)";
}

int nsl_v_routes(struct vctx *c, int node)
{
	struct nsl_node *n = &c->t->nodes[node];
	size_t n_nets = 0, n_addrs = 0, cap = 1;
	struct nsl_ip *addrs = NULL;
	struct net *nets = NULL;
	struct rkey *keys = NULL;
	uint8_t lens[2][129] = {{0}};
	int r = -ENOMEM;

	if (!n->n_routes)
		return 0;
	for (size_t i = 0; i < n->n_ifaces; i++)
		cap += n->ifaces[i].n_addrs;
	nets = calloc(cap, sizeof(*nets));
	addrs = calloc(cap, sizeof(*addrs));
	keys = calloc(n->n_routes, sizeof(*keys));
	if (!nets || !addrs || !keys)
		goto out;
	for (size_t i = 0; i < n->n_ifaces; i++) {
		const struct nsl_iface *f = &n->ifaces[i];

		for (size_t j = 0; j < f->n_addrs; j++) {
			struct net *e = &nets[n_nets];

			addrs[n_addrs++] = f->addrs[j].ip;
			if (!f->up)
				continue; /* no subnet route, no gateway through it */
			e->p = f->addrs[j];
			mask(&e->p);
			e->iface = i;
			/* IPv4: a prefix route in main unless /32 (lo's go to the local table);
			 * IPv6: a route for every address, lo's too, metric 256 */
			e->route = f->addrs[j].ip.family == AF_INET6 ||
			           (f->kind != NSL_IFACE_LO && f->addrs[j].len < 32);
			lens[e->p.ip.family == AF_INET6][e->p.len] = 1;
			n_nets++;
		}
	}
	/* the kernel's own ::1/128 on lo */
	nets[n_nets].p.ip.family = AF_INET6;
	nets[n_nets].p.ip.bytes[15] = 1;
	nets[n_nets].p.len = 128;
	nets[n_nets].iface = SIZE_MAX - 1;
	nets[n_nets++].route = true;
	qsort(nets, n_nets, sizeof(*nets), net_cmp);
	qsort(addrs, n_addrs, sizeof(*addrs), ip_cmp);

	for (size_t i = 0; i < n->n_routes; i++) {
		struct nsl_route *rt = &n->routes[i];
		char p[PATH_LEN], b[INET6_ADDRSTRLEN + 8];
		struct nsl_iface *dev = rt->dev[0] ? nsl_v_iface(c, node, rt->dev) : NULL;
		size_t dev_i = dev ? (size_t)(dev - n->ifaces) : SIZE_MAX;
		uint32_t metric = nsl_route_metric(rt);
		const struct net *conn;

		keys[i] = (struct rkey){rt, i, metric};
		if (rt->dev[0] && (!dev || dev->kind == NSL_IFACE_UNKNOWN)) {
			nsl_fmt(p, sizeof(p), "nodes.%s.routes[%zu].dev", n->name, i);
			nsl_v_err(c, p, "node %s has no interface '%s'", n->name, rt->dev);
			continue;
		}
		if (dev && !dev->up) {
			nsl_fmt(p, sizeof(p), "nodes.%s.routes[%zu].dev", n->name, i);
			nsl_v_err(c, p,
			          "interface %s is down ('up': false): the kernel takes no route "
			          "through it",
			          rt->dev);
			continue;
		}
		nsl_fmt(p, sizeof(p), "nodes.%s.routes[%zu].via", n->name, i);
		if (rt->has_via && bsearch(&rt->via, addrs, n_addrs, sizeof(*addrs), ip_cmp)) {
			nsl_v_err(c, p, "%s is this node's own address",
			          nsl_ip_str(&rt->via, b, sizeof(b)));
		} else if (rt->has_via && is_link_local6(&rt->via)) {
			if (!rt->dev[0])
				nsl_v_err(c, p, "a link-local gateway needs 'dev'");
		} else if (rt->has_via &&
		           !gateway_reachable(nets, n_nets, lens[rt->via.family == AF_INET6], dev_i,
		                              &rt->via)) {
			nsl_v_err(
			    c, p, "gateway %s is on no subnet of %s%s%s that is up",
			    nsl_ip_str(&rt->via, b, sizeof(b)), rt->dev[0] ? "interface " : "node ",
			    rt->dev[0] ? rt->dev : n->name, rt->dev[0] ? "" : "'s interfaces");
		}
		if (rt->has_src && !bsearch(&rt->src, addrs, n_addrs, sizeof(*addrs), ip_cmp)) {
			nsl_fmt(p, sizeof(p), "nodes.%s.routes[%zu].src", n->name, i);
			nsl_v_err(c, p, "%s is not an address of node %s",
			          nsl_ip_str(&rt->src, b, sizeof(b)), n->name);
		}
		/* the kernel made a route to each connected subnet: a second one with the same
		 * metric is refused (EEXIST), whatever its gateway or device */
		conn = net_find(nets, n_nets, &rt->to, SIZE_MAX);
		while (conn && !conn->route && conn + 1 < nets + n_nets &&
		       prefix_eq(&conn[1].p, &rt->to))
			conn++;
		if (conn && conn->route && metric == (rt->to.ip.family == AF_INET6 ? 256u : 0u)) {
			nsl_fmt(p, sizeof(p), "nodes.%s.routes[%zu].to", n->name, i);
			nsl_v_err(c, p,
			          "%s is the subnet of %s: the kernel has that route already, with "
			          "metric %u (give this one another metric)",
			          nsl_prefix_str(&rt->to, b, sizeof(b)),
			          conn->iface < n->n_ifaces ? n->ifaces[conn->iface].name : "lo",
			          metric);
		}
	}
	/* the kernel refuses a second route to the same place with the same metric */
	qsort(keys, n->n_routes, sizeof(*keys), rkey_cmp);
	for (size_t i = 1, first = 0; i < n->n_routes; i++) {
		char p[PATH_LEN], b[INET6_ADDRSTRLEN + 8];

		if (rkey_cmp(&(struct rkey){keys[i].r, 0, keys[i].metric},
		             &(struct rkey){keys[first].r, 0, keys[first].metric})) {
			first = i;
			continue;
		}
		nsl_fmt(p, sizeof(p), "nodes.%s.routes[%zu].to", n->name, keys[i].i);
		nsl_v_err(c, p, "same destination %s and metric %u as routes[%zu]%s",
		          nsl_prefix_str(&keys[i].r->to, b, sizeof(b)), keys[i].metric,
		          keys[first].i, metric_hint(keys[i].r, keys[first].r));
	}
	r = 0;
out:
	free(nets);
	free(addrs);
	free(keys);
	return r;
}
