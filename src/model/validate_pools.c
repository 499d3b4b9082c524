/* Addresses the file does not write: the management network's (mgmt) and the pools' (pools).
 * Deterministic: the same file always gives the same addresses, taken in file order.
 *
 *   p2p, p2p6   each link between two nodes whose ends have no "addresses" (and are no bridge
 *               or bond ports) gets the next block (/30, /64 unless "prefix" says otherwise):
 *               endpoints[0] the first address (.1; .0 in a /31 or /127), endpoints[1] the next
 *   lan, lan6   each LAN (a bridge, with the bridges joined to it by links between their
 *               ports) whose bridges have no "addresses" gets the next block (/24, /64): its
 *               bridges the first addresses, then the interfaces at the far end of its ports'
 *               links that have no "addresses", in the order of the bridges and their ports
 *   loopback(6) each node's lo without "addresses" gets the next /32 (/128), from .1
 *   mgmt        the host's bridge the first address of each subnet, the nodes the next ones
 *
 * A block that holds an address written anywhere in the file is skipped. Pools of one
 * family must not overlap each other nor the management subnets; a pool that runs out is
 * an error. Sorted arrays: O(n log n). */
#include <arpa/inet.h>
#include <string.h>

#include "base/arena.h"
#include "model/doc.h"
#include "model/validate.h"

typedef unsigned __int128 u128;

static unsigned bits_of(int family) { return family == AF_INET ? 32 : 128; }

/* ip + (off << shift), within the family's width. */
static struct nsl_ip ip_add(const struct nsl_ip *base, u128 off, unsigned shift)
{
	struct nsl_ip r = *base;
	unsigned nbytes = bits_of(base->family) / 8;
	u128 carry = 0;

	off <<= shift;
	for (unsigned i = nbytes; i-- > 0;) {
		u128 sum = (u128)r.bytes[i] + (off & 0xff) + carry;

		r.bytes[i] = (uint8_t)sum;
		carry = sum >> 8;
		off >>= 8;
	}
	return r;
}

static int ip_cmp(const void *x, const void *y)
{
	const struct nsl_ip *a = x, *b = y;

	if (a->family != b->family)
		return a->family - b->family;
	return memcmp(a->bytes, b->bytes, 16);
}

struct numbering {
	struct vctx *c;
	struct nsl_ip *written; /* every address the file writes, sorted */
	size_t n_written;
	struct cursor {
		u128 next, count; /* blocks taken, blocks in the pool */
		bool reported;
	} cur[NSL_POOLS];
};

/* Whether a written address lies in p. */
static bool holds_written(const struct numbering *nb, const struct nsl_prefix *p)
{
	size_t lo = 0, hi = nb->n_written;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ip_cmp(&nb->written[mid], &p->ip) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nb->n_written && nsl_prefix_contains(p, &nb->written[lo]);
}

/* The next free block of a pool; false (reported once) when none is left. */
static bool next_block(struct numbering *nb, enum nsl_pool_id id, const char *who,
                       struct nsl_prefix *ret)
{
	const struct nsl_pool *pool = &nb->c->t->pools[id];
	struct cursor *cu = &nb->cur[id];
	unsigned shift = bits_of(pool->net.ip.family) - pool->block;

	while (cu->next < cu->count) {
		struct nsl_prefix b = {.ip = ip_add(&pool->net.ip, cu->next++, shift),
		                       .len = pool->block};

		if (!holds_written(nb, &b)) {
			*ret = b;
			return true;
		}
	}
	if (!cu->reported) {
		char p[PATH_LEN], buf[64];

		cu->reported = true;
		nsl_fmt(p, sizeof(p), "pools.%s", nsl_pool_name(id));
		nsl_v_err(nb->c, p, "pool %s (%s) has no /%u left for %s", nsl_pool_name(id),
		          nsl_prefix_str(&pool->net, buf, sizeof(buf)), pool->block, who);
	}
	return false;
}

/* Give f one more address, marked as the pool's. */
static int append(struct vctx *c, struct nsl_iface *f, const struct nsl_prefix *p,
                  enum nsl_pool_id id)
{
	struct nsl_prefix *addrs = nsl_arena_array(c->t->arena, f->n_addrs + 1, sizeof(*addrs));
	uint8_t *from = nsl_arena_array(c->t->arena, f->n_addrs + 1, 1);

	if (!addrs || !from)
		return -ENOMEM;
	if (f->n_addrs)
		memcpy(addrs, f->addrs, f->n_addrs * sizeof(*addrs));
	for (size_t i = 0; i < f->n_addrs; i++)
		from[i] = f->addr_pool ? f->addr_pool[i] : 0;
	addrs[f->n_addrs] = *p;
	from[f->n_addrs] = (uint8_t)(id + 1);
	f->addrs = addrs;
	f->addr_pool = from;
	f->n_addrs++;
	f->n_pool++;
	return 0;
}

/* The address at offset off of block b, with b's prefix length. */
static struct nsl_prefix host_of(const struct nsl_prefix *b, u128 off)
{
	struct nsl_prefix p = {.ip = ip_add(&b->ip, off, 0), .len = b->len};

	return p;
}

/* Addresses a block of length len holds for interfaces: all of a /31 or /127 (RFC 3021,
 * RFC 6164), else all but the subnet's own (and IPv4's broadcast). */
static u128 first_host(int family, unsigned len) { return len >= bits_of(family) - 1 ? 0 : 1; }

static u128 hosts(int family, unsigned len)
{
	unsigned free_bits = bits_of(family) - len;
	u128 all = free_bits >= 127 ? ~(u128)0 : (u128)1 << free_bits;

	if (len >= bits_of(family) - 1)
		return all;
	return family == AF_INET ? all - 2 : all - 1;
}

static int number_links(struct numbering *nb)
{
	struct nsl_topology *t = nb->c->t;
	static const enum nsl_pool_id ids[] = {NSL_POOL_P2P, NSL_POOL_P2P6};

	for (size_t l = 0; l < t->n_links; l++) {
		const struct nsl_link *k = &t->links[l];
		struct nsl_iface *f[2];
		char who[32];

		if (k->ends[0].node == NSL_ENDPOINT_HOST || k->ends[1].node == NSL_ENDPOINT_HOST)
			continue;
		f[0] = nsl_v_iface(nb->c, k->ends[0].node, k->ends[0].ifname);
		f[1] = nsl_v_iface(nb->c, k->ends[1].node, k->ends[1].ifname);
		if (!f[0] || !f[1] || f[0]->kind != NSL_IFACE_VETH ||
		    f[1]->kind != NSL_IFACE_VETH || f[0]->link != (int)l || f[1]->link != (int)l)
			continue; /* refused already */
		if (f[0]->addrs_given || f[1]->addrs_given || f[0]->bridge >= 0 ||
		    f[1]->bridge >= 0 || f[0]->bond >= 0 || f[1]->bond >= 0)
			continue;
		nsl_fmt(who, sizeof(who), "links[%zu]", l);
		for (size_t i = 0; i < NSL_ARRAY_SIZE(ids); i++) {
			const struct nsl_pool *pool = &t->pools[ids[i]];
			struct nsl_prefix b;
			u128 first;

			if (!pool->set || !next_block(nb, ids[i], who, &b))
				continue;
			first = first_host(b.ip.family, b.len);
			for (int e = 0; e < 2; e++) {
				struct nsl_prefix a = host_of(&b, first + (u128)e);

				if (append(nb->c, f[e], &a, ids[i]) < 0)
					return -ENOMEM;
			}
		}
	}
	return 0;
}

/* LANs: bridges joined by links between their ports are one (union-find over bridges). */
struct lan_bridge {
	int node, bridge;
	size_t parent;
};

static size_t find(struct lan_bridge *b, size_t i)
{
	while (b[i].parent != i) {
		b[i].parent = b[b[i].parent].parent;
		i = b[i].parent;
	}
	return i;
}

/* The interface at the far end of the link of a port of node, when it is a node's. */
static struct nsl_iface *far_end(struct vctx *c, int node, const struct nsl_iface *port)
{
	const struct nsl_link *k;
	const struct nsl_endpoint *ep;

	if (port->kind != NSL_IFACE_VETH || port->link < 0)
		return NULL;
	k = &c->t->links[port->link];
	ep = &k->ends[k->ends[0].node == node && !strcmp(k->ends[0].ifname, port->name) ? 1 : 0];
	return ep->node == NSL_ENDPOINT_HOST ? NULL : nsl_v_iface(c, ep->node, ep->ifname);
}

/* One LAN: its bridges are br[m[0]], br[m[1]]... (m[0] is its root), in file order. */
static int number_lan(struct numbering *nb, struct lan_bridge *br, const size_t *m, size_t n_m)
{
	size_t root = m[0];
	struct vctx *c = nb->c;
	static const enum nsl_pool_id ids[] = {NSL_POOL_LAN, NSL_POOL_LAN6};
	const struct nsl_node *rn = &c->t->nodes[br[root].node];
	char who[96];

	/* a LAN whose bridges write addresses is the file's own */
	for (size_t j = 0; j < n_m; j++) {
		size_t i = m[j];
		const struct nsl_node *n = &c->t->nodes[br[i].node];
		const struct nsl_iface *f =
		    nsl_v_iface(c, br[i].node, n->bridges[br[i].bridge].name);

		if (f && f->addrs_given)
			return 0;
	}
	nsl_fmt(who, sizeof(who), "nodes.%s.bridges.%s", rn->name,
	        rn->bridges[br[root].bridge].name);
	for (size_t k = 0; k < NSL_ARRAY_SIZE(ids); k++) {
		const struct nsl_pool *pool = &c->t->pools[ids[k]];
		struct nsl_prefix b;
		u128 off, max;

		if (!pool->set || !next_block(nb, ids[k], who, &b))
			continue;
		off = first_host(b.ip.family, b.len);
		max = off + hosts(b.ip.family, b.len);
		/* the bridges first, then the far ends of their ports */
		for (int pass = 0; pass < 2; pass++)
			for (size_t j = 0; j < n_m; j++) {
				size_t i = m[j];
				struct nsl_node *n = &c->t->nodes[br[i].node];
				const struct nsl_bridge *bd = &n->bridges[br[i].bridge];

				for (size_t p = 0; p < (pass ? bd->n_ports : 1); p++) {
					struct nsl_iface *f;
					struct nsl_prefix a;
					int node = br[i].node;

					if (!pass) {
						f = nsl_v_iface(c, node, bd->name);
					} else {
						const struct nsl_iface *port =
						    nsl_v_iface(c, node, bd->ports[p]);

						f = port ? far_end(c, node, port) : NULL;
						if (!f || f->addrs_given || f->bridge >= 0 ||
						    f->bond >= 0 || f->kind != NSL_IFACE_VETH)
							continue;
					}
					if (!f)
						continue;
					if (off >= max) {
						char pp[PATH_LEN], buf[64];

						nsl_fmt(pp, sizeof(pp), "pools.%s",
						        nsl_pool_name(ids[k]));
						nsl_v_err(
						    c, pp,
						    "the LAN of %s has more interfaces than a %s "
						    "holds",
						    who, nsl_prefix_str(&b, buf, sizeof(buf)));
						goto next_pool;
					}
					a = host_of(&b, off++);
					if (append(c, f, &a, ids[k]) < 0)
						return -ENOMEM;
				}
			}
	next_pool:;
	}
	return 0;
}

static int number_lans(struct numbering *nb)
{
	struct nsl_topology *t = nb->c->t;
	struct lan_bridge *br = NULL;
	size_t n_br = 0, *first, *start = NULL, *members = NULL, *count = NULL, *placed = NULL;
	int r = 0;

	if (!t->pools[NSL_POOL_LAN].set && !t->pools[NSL_POOL_LAN6].set)
		return 0;
	first = calloc(t->n_nodes + 1, sizeof(*first));
	if (!first)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_nodes; i++) {
		first[i] = n_br;
		n_br += t->nodes[i].n_bridges;
	}
	br = calloc(n_br + 1, sizeof(*br));
	start = calloc(n_br + 1, sizeof(*start));
	members = calloc(n_br + 1, sizeof(*members));
	count = calloc(n_br + 1, sizeof(*count));
	placed = calloc(n_br + 1, sizeof(*placed));
	if (!br || !start || !members || !count || !placed) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0, k = 0; i < t->n_nodes; i++)
		for (size_t b = 0; b < t->nodes[i].n_bridges; b++, k++)
			br[k] = (struct lan_bridge){(int)i, (int)b, k};
	/* links between two bridge ports join their bridges */
	for (size_t l = 0; l < t->n_links; l++) {
		const struct nsl_link *k = &t->links[l];
		const struct nsl_iface *a, *b;

		if (k->ends[0].node == NSL_ENDPOINT_HOST || k->ends[1].node == NSL_ENDPOINT_HOST)
			continue;
		a = nsl_v_iface(nb->c, k->ends[0].node, k->ends[0].ifname);
		b = nsl_v_iface(nb->c, k->ends[1].node, k->ends[1].ifname);
		if (!a || !b || a->bridge < 0 || b->bridge < 0)
			continue;
		size_t x = find(br, first[k->ends[0].node] + (size_t)a->bridge);
		size_t y = find(br, first[k->ends[1].node] + (size_t)b->bridge);
		/* the root is the LAN's first bridge in file order */
		if (x < y)
			br[y].parent = x;
		else if (y < x)
			br[x].parent = y;
	}
	/* each LAN's bridges together, in file order: a counting sort by root; the group of a
	 * root r is members[start[r]], ... members[start[r] + count[r] - 1] */
	for (size_t i = 0; i < n_br; i++)
		count[find(br, i)]++;
	for (size_t i = 0, sum = 0; i < n_br; i++) {
		start[i] = sum;
		sum += count[i];
	}
	for (size_t i = 0; i < n_br; i++) {
		size_t root = find(br, i);
		members[start[root] + placed[root]++] = i;
	}
	for (size_t i = 0; i < n_br && !r; i++)
		if (find(br, i) == i)
			r = number_lan(nb, br, members + start[i], count[i]);
out:
	free(first);
	free(br);
	free(start);
	free(members);
	free(count);
	free(placed);
	return r;
}

static int number_loopbacks(struct numbering *nb)
{
	struct nsl_topology *t = nb->c->t;
	static const enum nsl_pool_id ids[] = {NSL_POOL_LOOPBACK, NSL_POOL_LOOPBACK6};

	for (size_t i = 0; i < t->n_nodes; i++) {
		struct nsl_iface *lo = nsl_v_iface(nb->c, (int)i, "lo");
		char who[64];

		if (!lo || lo->addrs_given)
			continue;
		nsl_fmt(who, sizeof(who), "nodes.%s.interfaces.lo", t->nodes[i].name);
		for (size_t k = 0; k < NSL_ARRAY_SIZE(ids); k++) {
			struct nsl_prefix b;

			if (!t->pools[ids[k]].set || !next_block(nb, ids[k], who, &b))
				continue;
			if (append(nb->c, lo, &b, ids[k]) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

/* Pools of one family that overlap, and pools that overlap the management subnets. */
static void check_overlaps(struct vctx *c)
{
	const struct nsl_topology *t = c->t;

	for (int i = 0; i < NSL_POOLS; i++) {
		const struct nsl_pool *a = &t->pools[i];
		char p[PATH_LEN], b1[64], b2[64];

		if (!a->set)
			continue;
		nsl_fmt(p, sizeof(p), "pools.%s", nsl_pool_name((enum nsl_pool_id)i));
		for (int j = 0; j < i; j++)
			if (t->pools[j].set && t->pools[j].net.ip.family == a->net.ip.family &&
			    nsl_prefix_overlap(&t->pools[j].net, &a->net)) {
				nsl_v_err(c, p, "%s overlaps pool %s (%s)",
				          nsl_prefix_str(&a->net, b1, sizeof(b1)),
				          nsl_pool_name((enum nsl_pool_id)j),
				          nsl_prefix_str(&t->pools[j].net, b2, sizeof(b2)));
				break;
			}
		if (t->mgmt.has4 && nsl_prefix_overlap(&t->mgmt.subnet, &a->net))
			nsl_v_err(c, p, "%s overlaps the management subnet %s",
			          nsl_prefix_str(&a->net, b1, sizeof(b1)),
			          nsl_prefix_str(&t->mgmt.subnet, b2, sizeof(b2)));
		if (t->mgmt.has6 && nsl_prefix_overlap(&t->mgmt.subnet6, &a->net))
			nsl_v_err(c, p, "%s overlaps the management subnet %s",
			          nsl_prefix_str(&a->net, b1, sizeof(b1)),
			          nsl_prefix_str(&t->mgmt.subnet6, b2, sizeof(b2)));
	}
}

/* Every address the file writes, sorted (pool addresses were taken away by the reset). */
static int collect_written(struct numbering *nb)
{
	struct nsl_topology *t = nb->c->t;
	size_t n = 0, k = 0;

	for (size_t i = 0; i < t->host.n_ifaces; i++)
		n += t->host.ifaces[i].n_addrs;
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t j = 0; j < t->nodes[i].n_ifaces; j++)
			n += t->nodes[i].ifaces[j].n_addrs;
	nb->written = calloc(n + 1, sizeof(*nb->written));
	if (!nb->written)
		return -ENOMEM;
	for (size_t i = 0; i < t->host.n_ifaces; i++)
		for (size_t a = 0; a < t->host.ifaces[i].n_addrs; a++)
			nb->written[k++] = t->host.ifaces[i].addrs[a].ip;
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t j = 0; j < t->nodes[i].n_ifaces; j++) {
			const struct nsl_iface *f = &t->nodes[i].ifaces[j];

			for (size_t a = 0; a < f->n_addrs; a++)
				if (!f->addr_pool || !f->addr_pool[a])
					nb->written[k++] = f->addrs[a].ip;
		}
	qsort(nb->written, k, sizeof(*nb->written), ip_cmp);
	nb->n_written = k;
	return 0;
}

int nsl_v_pools(struct vctx *c)
{
	struct numbering nb = {.c = c};
	bool any = false;
	int r;

	for (int i = 0; i < NSL_POOLS; i++) {
		const struct nsl_pool *p = &c->t->pools[i];
		unsigned free_bits = p->block - p->net.len;

		any |= p->set;
		nb.cur[i].next = i == NSL_POOL_LOOPBACK || i == NSL_POOL_LOOPBACK6 ? 1 : 0;
		nb.cur[i].count = free_bits >= 127 ? ~(u128)0 : (u128)1 << free_bits;
	}
	if (!any)
		return 0;
	check_overlaps(c);
	r = collect_written(&nb);
	if (!r)
		r = number_links(&nb);
	if (!r)
		r = number_lans(&nb);
	if (!r)
		r = number_loopbacks(&nb);
	free(nb.written);
	return r;
}

/* ---- the management network ---- */

static void mgmt_overlaps(struct vctx *c, const char *key, const struct nsl_prefix *subnet)
{
	const struct nsl_topology *t = c->t;
	char p[PATH_LEN], b1[64], b2[64];

	nsl_fmt(p, sizeof(p), "mgmt.%s", key);
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t j = 0; j < t->nodes[i].n_ifaces; j++) {
			const struct nsl_iface *f = &t->nodes[i].ifaces[j];

			for (size_t a = 0; a < f->n_addrs; a++)
				if ((!f->addr_pool || !f->addr_pool[a]) &&
				    nsl_prefix_contains(subnet, &f->addrs[a].ip)) {
					nsl_v_err(
					    c, p,
					    "%s holds %s, an address of nodes.%s.interfaces.%s",
					    nsl_prefix_str(subnet, b1, sizeof(b1)),
					    nsl_ip_str(&f->addrs[a].ip, b2, sizeof(b2)),
					    t->nodes[i].name, f->name);
					return;
				}
		}
	for (size_t j = 0; j < t->host.n_ifaces; j++) {
		const struct nsl_iface *f = &t->host.ifaces[j];

		for (size_t a = 0; a < f->n_addrs; a++)
			if (nsl_prefix_contains(subnet, &f->addrs[a].ip)) {
				nsl_v_err(c, p, "%s holds %s, an address of host.interfaces.%s",
				          nsl_prefix_str(subnet, b1, sizeof(b1)),
				          nsl_ip_str(&f->addrs[a].ip, b2, sizeof(b2)), f->name);
				return;
			}
	}
}

/* The offset of ip in net (ip inside net). */
static u128 offset_in(const struct nsl_prefix *net, const struct nsl_ip *ip)
{
	unsigned nbytes = bits_of(ip->family) / 8;
	u128 off = 0;

	for (unsigned i = 0; i < nbytes; i++)
		off = off << 8 | (uint8_t)(ip->bytes[i] & ~net->ip.bytes[i]);
	return off;
}

static int u128_cmp(const void *x, const void *y)
{
	const u128 *a = x, *b = y;

	return *a < *b ? -1 : *a > *b;
}

/* A node's own address on the management network ("nodes.N.mgmt"): in the subnet, a host
 * address, not the host's, not another node's (taken: the sorted offsets so far). */
static bool own_mgmt(struct vctx *c, const struct nsl_node *n, int s, u128 *ret)
{
	const struct nsl_mgmt *m = &c->t->mgmt;
	const struct nsl_prefix *net = s ? &m->subnet6 : &m->subnet;
	const struct nsl_ip *ip = s ? &n->mgmt6 : &n->mgmt4;
	char p[PATH_LEN], b[64], nb[64];
	u128 off;

	nsl_fmt(p, sizeof(p), "nodes.%s.mgmt.%s", n->name, s ? "address6" : "address");
	if (!(s ? m->has6 : m->has4)) {
		nsl_v_err(c, p, "the management network has no %s",
		          s ? "IPv6 subnet (mgmt.subnet6)" : "IPv4 subnet (mgmt.subnet)");
		return false;
	}
	if (!nsl_prefix_contains(net, ip)) {
		nsl_v_err(c, p, "%s is not in the management subnet %s",
		          nsl_ip_str(ip, b, sizeof(b)), nsl_prefix_str(net, nb, sizeof(nb)));
		return false;
	}
	off = offset_in(net, ip);
	if (off == 1) {
		nsl_v_err(c, p, "%s is the host's (the gateway)", nsl_ip_str(ip, b, sizeof(b)));
		return false;
	}
	if (off < first_host(ip->family, net->len) || off > hosts(ip->family, net->len)) {
		nsl_v_err(c, p, "%s is not a host address of %s", nsl_ip_str(ip, b, sizeof(b)),
		          nsl_prefix_str(net, nb, sizeof(nb)));
		return false;
	}
	*ret = off;
	return true;
}

int nsl_v_mgmt(struct vctx *c)
{
	struct nsl_topology *t = c->t;
	struct nsl_mgmt *m = &t->mgmt;
	const struct nsl_prefix *subnets[2] = {&m->subnet, &m->subnet6};
	struct nsl_prefix *gws[2] = {&m->gw4, &m->gw6};
	bool has[2] = {m->has4, m->has6};
	u128 *taken[2] = {NULL, NULL}, *own = NULL;
	size_t n_taken[2] = {0, 0}, members = 0;
	bool ok[2] = {true, true};
	int r = -ENOMEM;

	if (!m->set) {
		for (size_t i = 0; i < t->n_nodes; i++)
			if (t->nodes[i].has_mgmt4 || t->nodes[i].has_mgmt6) {
				char p[PATH_LEN];

				nsl_fmt(p, sizeof(p), "nodes.%s.mgmt", t->nodes[i].name);
				nsl_v_err(c, p, "the lab has no management network (\"mgmt\")");
			}
		return 0;
	}
	taken[0] = calloc(t->n_nodes + 1, sizeof(u128));
	taken[1] = calloc(t->n_nodes + 1, sizeof(u128));
	own = calloc(2 * t->n_nodes + 1, sizeof(u128));
	if (!taken[0] || !taken[1] || !own)
		goto out;
	/* the nodes' own addresses first: the others are numbered around them */
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct nsl_node *n = &t->nodes[i];
		bool mine[2] = {n->has_mgmt4, n->has_mgmt6};

		members += !n->no_mgmt;
		for (int s = 0; s < 2; s++) {
			u128 off;

			if (!mine[s] || n->no_mgmt || !own_mgmt(c, n, s, &off)) {
				ok[s] &= !mine[s] || n->no_mgmt;
				continue;
			}
			for (size_t k = 0; k < n_taken[s]; k++)
				if (taken[s][k] == off) {
					char p[PATH_LEN], b[64];

					nsl_fmt(p, sizeof(p), "nodes.%s.mgmt.%s", n->name,
					        s ? "address6" : "address");
					nsl_v_err(
					    c, p, "%s is another node's already",
					    nsl_ip_str(s ? &n->mgmt6 : &n->mgmt4, b, sizeof(b)));
					ok[s] = false;
				}
			own[2 * i + (size_t)s] = off;
			taken[s][n_taken[s]++] = off;
		}
	}
	for (int s = 0; s < 2; s++) {
		char p[PATH_LEN];

		qsort(taken[s], n_taken[s], sizeof(u128), u128_cmp);
		if (!has[s])
			continue;
		mgmt_overlaps(c, s ? "subnet6" : "subnet", subnets[s]);
		nsl_fmt(p, sizeof(p), "mgmt.%s", s ? "subnet6" : "subnet");
		if (hosts(subnets[s]->ip.family, subnets[s]->len) < (u128)members + 1) {
			char b[64];

			nsl_v_err(c, p,
			          "%s holds fewer addresses than the host and the %zu nodes need",
			          nsl_prefix_str(subnets[s], b, sizeof(b)), members);
			ok[s] = false;
			continue;
		}
		*gws[s] = host_of(subnets[s], 1);
	}
	u128 next[2] = {2, 2};
	size_t skip[2] = {0, 0};
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct nsl_node *n = &t->nodes[i];
		struct nsl_iface *f = nsl_v_iface(c, (int)i, m->iface);
		char p[PATH_LEN];

		if (n->no_mgmt)
			continue;
		if (f && f->declared != NSL_IFACE_MGMT) {
			const struct nsl_dnode *at;

			nsl_fmt(p, sizeof(p), "nodes.%s.interfaces.%s", n->name, m->iface);
			at = nsl_doc_locate(t->doc, p);
			if (!at || !at->key || strcmp(at->key, m->iface))
				nsl_fmt(p, sizeof(p), "mgmt.interface");
			nsl_v_err_key(c, p,
			              "node %s has an interface %s already: the management network "
			              "needs that name (mgmt.interface)",
			              n->name, m->iface);
			continue;
		}
		if (!f)
			f = nsl_v_iface_add(c, (int)i, n->ifaces, &n->n_ifaces, m->iface);
		f->declared = f->kind = NSL_IFACE_MGMT;
		f->addrs_given = true;
		for (int s = 0; s < 2; s++) {
			bool mine = s ? n->has_mgmt6 : n->has_mgmt4;
			struct nsl_prefix a;
			u128 off;

			if (!has[s] || !ok[s])
				continue;
			if (mine) {
				off = own[2 * i + (size_t)s];
			} else {
				/* the next offset no node took for itself */
				while (skip[s] < n_taken[s] && taken[s][skip[s]] <= next[s]) {
					if (taken[s][skip[s]] == next[s])
						next[s]++;
					skip[s]++;
				}
				off = next[s]++;
			}
			a = host_of(subnets[s], off);
			if (append(c, f, &a, NSL_POOL_MGMT) < 0)
				goto out;
		}
	}
	r = 0;
out:
	free(taken[0]);
	free(taken[1]);
	free(own);
	return r;
}
