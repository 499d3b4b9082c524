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
	bool route;          /* the kernel makes a route for it, in table */
	uint32_t table;      /* main, or the table of the VRF the interface is in */
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
	int r = a->r->table < b->r->table ? -1 : a->r->table > b->r->table;

	if (!r)
		r = a->r->to.ip.family - b->r->to.ip.family;
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

/* The net of prefix p (on iface, when not SIZE_MAX) that a lookup in table can use: the
 * table's own, or main's (the kernel falls back to a full lookup), NULL if none. */
static const struct net *net_usable(const struct net *nets, size_t n, const struct nsl_prefix *p,
                                    size_t iface, uint32_t table)
{
	const struct net *e = net_find(nets, n, p, SIZE_MAX);

	for (; e && e < nets + n && prefix_eq(&e->p, p); e++)
		if (iface != SIZE_MAX ? e->iface == iface
		                      : e->table == table || e->table == NSL_TABLE_MAIN)
			return e;
	return NULL;
}

/* Whether the gateway is on a subnet of an interface that is up (dev, when given) and whose
 * connected routes a lookup in table finds: the kernel refuses a gateway it cannot reach
 * directly. O(prefix lengths * log n). */
static bool gateway_reachable(const struct net *nets, size_t n, const uint8_t *lens, size_t iface,
                              uint32_t table, const struct nsl_ip *via)
{
	unsigned max = via->family == AF_INET ? 32 : 128;

	for (unsigned len = 0; len <= max; len++) {
		struct nsl_prefix p = {.ip = *via, .len = (uint8_t)len};

		if (!lens[len])
			continue;
		mask(&p);
		if (net_usable(nets, n, &p, iface, table))
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

/* The table an interface's connected routes go to: its VRF's, else main. */
static uint32_t iface_table(const struct nsl_node *n, const struct nsl_iface *f)
{
	if (f->kind == NSL_IFACE_VRF)
		return f->table;
	if (f->master_vrf >= 0)
		return n->ifaces[f->master_vrf].table;
	return NSL_TABLE_MAIN;
}

struct route_ctx {
	struct vctx *c;
	struct nsl_node *n;
	int node;
	const struct net *nets;
	size_t n_nets;
	const struct nsl_ip *addrs;
	size_t n_addrs;
	uint8_t (*lens)[129];
};

/* One way out of a route: its device (exists, up), its gateway (not ours, reachable). path
 * is the route's or the next hop's. False when something was reported. */
static bool check_hop(const struct route_ctx *x, const struct nsl_route *rt, const char *path,
                      bool has_via, const struct nsl_ip *via, const char *devname)
{
	struct vctx *c = x->c;
	struct nsl_node *n = x->n;
	struct nsl_iface *dev = devname[0] ? nsl_v_iface(c, x->node, devname) : NULL;
	size_t dev_i = dev ? (size_t)(dev - n->ifaces) : SIZE_MAX;
	char p[PATH_LEN], b[INET6_ADDRSTRLEN + 8];

	if (devname[0] && (!dev || dev->kind == NSL_IFACE_UNKNOWN)) {
		nsl_fmt(p, sizeof(p), "%s.dev", path);
		nsl_v_err(c, p, "node %s has no interface '%s'", n->name, devname);
		return false;
	}
	if (dev && !dev->up) {
		nsl_fmt(p, sizeof(p), "%s.dev", path);
		nsl_v_err(c, p,
		          "interface %s is down ('up': false): the kernel takes no route "
		          "through it",
		          devname);
		return false;
	}
	if (!has_via)
		return true;
	nsl_fmt(p, sizeof(p), "%s.via", path);
	if (bsearch(via, x->addrs, x->n_addrs, sizeof(*x->addrs), ip_cmp)) {
		nsl_v_err(c, p, "%s is this node's own address", nsl_ip_str(via, b, sizeof(b)));
		return false;
	}
	if (is_link_local6(via)) {
		if (devname[0])
			return true;
		nsl_v_err(c, p, "a link-local gateway needs 'dev'");
		return false;
	}
	if (!gateway_reachable(x->nets, x->n_nets, x->lens[via->family == AF_INET6], dev_i,
	                       rt->table, via)) {
		nsl_v_err(c, p, "gateway %s is on no subnet of %s%s%s that is up%s",
		          nsl_ip_str(via, b, sizeof(b)), devname[0] ? "interface " : "node ",
		          devname[0] ? devname : n->name, devname[0] ? "" : "'s interfaces",
		          rt->table != NSL_TABLE_MAIN && !devname[0]
		              ? " (and in main or this route's table)"
		              : "");
		return false;
	}
	return true;
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
			e->table = iface_table(n, f);
			/* IPv4: a prefix route unless /32 (lo's go to the local table);
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
	nets[n_nets].table = NSL_TABLE_MAIN;
	nets[n_nets++].route = true;
	qsort(nets, n_nets, sizeof(*nets), net_cmp);
	qsort(addrs, n_addrs, sizeof(*addrs), ip_cmp);

	struct route_ctx x = {c, n, node, nets, n_nets, addrs, n_addrs, lens};
	for (size_t i = 0; i < n->n_routes; i++) {
		struct nsl_route *rt = &n->routes[i];
		char p[PATH_LEN], b[INET6_ADDRSTRLEN + 8];
		uint32_t metric = nsl_route_metric(rt);
		const struct net *conn;

		keys[i] = (struct rkey){rt, i, metric};
		nsl_fmt(p, sizeof(p), "nodes.%s.routes[%zu]", n->name, i);
		if (rt->type == NSL_RT_UNICAST && !rt->n_nexthops &&
		    !check_hop(&x, rt, p, rt->has_via, &rt->via, rt->dev))
			continue;
		for (size_t h = 0; h < rt->n_nexthops; h++) {
			char hp[PATH_LEN];

			nsl_fmt(hp, sizeof(hp), "%s.nexthops[%zu]", p, h);
			check_hop(&x, rt, hp, rt->nexthops[h].has_via, &rt->nexthops[h].via,
			          rt->nexthops[h].dev);
		}
		if (rt->has_src && !bsearch(&rt->src, addrs, n_addrs, sizeof(*addrs), ip_cmp)) {
			nsl_fmt(p, sizeof(p), "nodes.%s.routes[%zu].src", n->name, i);
			nsl_v_err(c, p, "%s is not an address of node %s",
			          nsl_ip_str(&rt->src, b, sizeof(b)), n->name);
		}
		/* the kernel made a route to each connected subnet, in the table of its
		 * interface: a second one with the same metric is refused (EEXIST), whatever
		 * its gateway, device or type */
		conn = net_find(nets, n_nets, &rt->to, SIZE_MAX);
		while (conn && conn < nets + n_nets && prefix_eq(&conn->p, &rt->to) &&
		       !(conn->route && conn->table == rt->table))
			conn++;
		if (conn && conn < nets + n_nets && prefix_eq(&conn->p, &rt->to) &&
		    metric == (rt->to.ip.family == AF_INET6 ? 256u : 0u)) {
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
		nsl_v_err(c, p, "same destination %s and metric %u as routes[%zu]%s%s",
		          nsl_prefix_str(&keys[i].r->to, b, sizeof(b)), keys[i].metric,
		          keys[first].i,
		          keys[i].r->table != NSL_TABLE_MAIN ? ", in the same table" : "",
		          metric_hint(keys[i].r, keys[first].r));
	}
	r = 0;
out:
	free(nets);
	free(addrs);
	free(keys);
	return r;
}

/* ---- table names ---- */

/* The number a table name stands for in node n: 0 when it names nothing. */
static uint32_t table_by_name(const struct vctx *c, int node, const char *name, bool vrf_only)
{
	const struct nsl_node *n = &c->t->nodes[node];
	const struct nsl_iface *f;

	if (!vrf_only) {
		if (!strcmp(name, "main"))
			return NSL_TABLE_MAIN;
		if (!strcmp(name, "default"))
			return NSL_TABLE_DEFAULT;
	}
	f = strlen(name) <= NSL_IFNAME_MAX ? nsl_v_iface(c, node, name) : NULL;
	if (f && f->kind == NSL_IFACE_VRF)
		return f->table;
	if (vrf_only)
		return 0;
	for (size_t i = 0; i < n->n_tables; i++)
		if (!strcmp(n->tables[i].name, name))
			return n->tables[i].id;
	return 0;
}

void nsl_v_tables(struct vctx *c, int node)
{
	struct nsl_node *n = &c->t->nodes[node];
	char p[PATH_LEN];

	for (size_t i = 0; i < n->n_tables; i++) {
		const struct nsl_iface *f = strlen(n->tables[i].name) <= NSL_IFNAME_MAX
		                                ? nsl_v_iface(c, node, n->tables[i].name)
		                                : NULL;

		if (f && f->kind == NSL_IFACE_VRF) {
			nsl_fmt(p, sizeof(p), "nodes.%s.tables.%s", n->name, n->tables[i].name);
			nsl_v_err_key(c, p,
			              "'%s' is a VRF of the node: its table has that name already",
			              n->tables[i].name);
		}
	}
	for (size_t i = 0; i < n->n_routes; i++) {
		struct nsl_route *rt = &n->routes[i];

		if (!rt->table_name[0])
			continue;
		rt->table = table_by_name(c, node, rt->table_name, rt->table_is_vrf);
		if (rt->table)
			continue;
		rt->table = NSL_TABLE_MAIN; /* refused: checked as if in main */
		nsl_fmt(p, sizeof(p), "nodes.%s.routes[%zu].%s", n->name, i,
		        rt->table_is_vrf ? "vrf" : "table");
		if (rt->table_is_vrf)
			nsl_v_err(c, p,
			          "node %s has no VRF '%s' (an interface of \"kind\": \"vrf\")",
			          n->name, rt->table_name);
		else
			nsl_v_err(
			    c, p,
			    "unknown table '%s' (a number, main, default, a VRF of node %s or a "
			    "name from its \"tables\")",
			    rt->table_name, n->name);
	}
	for (size_t i = 0; i < n->n_rules; i++) {
		struct nsl_rule *ru = &n->rules[i];

		if (!ru->table_name[0])
			continue;
		ru->table = table_by_name(c, node, ru->table_name, false);
		if (ru->table)
			continue;
		nsl_fmt(p, sizeof(p), "nodes.%s.rules[%zu].table", n->name, i);
		nsl_v_err(c, p,
		          "unknown table '%s' (a number, main, default, a VRF of node %s or a "
		          "name from its \"tables\")",
		          ru->table_name, n->name);
	}
}
