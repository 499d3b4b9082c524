/* Labs over several hosts: the VNIs of the links between hosts, and the part of the lab one
 * host builds. Each machine reads the same file and derives the same VNIs and addresses, so
 * its part needs nothing from the others: no coordinator, no exchange. Pure. */
#include <arpa/inet.h>
#include <string.h>

#include "base/arena.h"
#include "base/sha256.h"
#include "model/topology.h"

#define VNI_SPAN (0x1000000u - NSL_VNI_FIRST)

uint32_t nsl_vni_derive(const char *lab, const char *end_a, const char *end_b)
{
	char buf[3 * 64 + 16], hex[65];
	uint32_t v = 0;
	int len;

	if (strcmp(end_a, end_b) > 0) {
		const char *x = end_a;
		end_a = end_b;
		end_b = x;
	}
	len = snprintf(buf, sizeof(buf), "nslab-vni\n%s\n%s\n%s", lab, end_a, end_b);
	if (len < 0 || (size_t)len >= sizeof(buf))
		len = (int)sizeof(buf) - 1;
	nsl_sha256_hex(buf, (size_t)len, hex);
	for (int i = 0; i < 8; i++) {
		char c = hex[i];
		v = (v << 4) | (uint32_t)(c <= '9' ? c - '0' : c - 'a' + 10);
	}
	return NSL_VNI_FIRST + v % VNI_SPAN;
}

static bool is_cross(const struct nsl_topology *t, const struct nsl_link *l)
{
	int h0 = nsl_endpoint_host(t, l, 0), h1 = nsl_endpoint_host(t, l, 1);

	return t->n_hosts > 1 && l->ends[0].node >= 0 && l->ends[1].node >= 0 && h0 >= 0 &&
	       h1 >= 0 && h0 != h1;
}

/* A set of VNIs: open addressing, cap a power of two above twice the count. */
struct vset {
	uint32_t *v; /* 0xffffffff: free */
	size_t cap;
};

static bool vset_has(const struct vset *s, uint32_t vni)
{
	for (size_t i = (vni * 2654435761u) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (s->v[i] == UINT32_MAX)
			return false;
		if (s->v[i] == vni)
			return true;
	}
}

static void vset_add(struct vset *s, uint32_t vni)
{
	size_t i = (vni * 2654435761u) & (s->cap - 1);

	while (s->v[i] != UINT32_MAX && s->v[i] != vni)
		i = (i + 1) & (s->cap - 1);
	s->v[i] = vni;
}

int nsl_topology_vnis(const struct nsl_topology *t, const char *lab, uint32_t *ret)
{
	struct vset s = {0};
	size_t count = t->n_links + t->host.n_ifaces + 1;

	for (size_t i = 0; i < t->n_nodes; i++)
		count += t->nodes[i].n_ifaces;
	for (s.cap = 16; s.cap < 2 * count; s.cap *= 2)
		;
	s.v = malloc(s.cap * sizeof(*s.v));
	if (!s.v)
		return -ENOMEM;
	memset(s.v, 0xff, s.cap * sizeof(*s.v));
	for (size_t l = 0; l < t->n_links; l++) {
		ret[l] = 0;
		if (t->links[l].has_vni && is_cross(t, &t->links[l]))
			vset_add(&s, ret[l] = t->links[l].vni);
	}
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t k = 0; k < t->nodes[i].n_ifaces; k++)
			if (t->nodes[i].ifaces[k].kind == NSL_IFACE_VXLAN &&
			    t->nodes[i].ifaces[k].vxlan.host_underlay)
				vset_add(&s, t->nodes[i].ifaces[k].vxlan.vni);
	for (size_t k = 0; k < t->host.n_ifaces; k++)
		if (t->host.ifaces[k].kind == NSL_IFACE_VXLAN)
			vset_add(&s, t->host.ifaces[k].vxlan.vni);
	for (size_t l = 0; l < t->n_links; l++) {
		const struct nsl_link *k = &t->links[l];
		char a[2 * NSL_NAME_MAX + 2], b[2 * NSL_NAME_MAX + 2];
		uint32_t v;

		if (k->has_vni || !is_cross(t, k))
			continue;
		nsl_fmt(a, sizeof(a), "%s:%s", t->nodes[k->ends[0].node].name, k->ends[0].ifname);
		nsl_fmt(b, sizeof(b), "%s:%s", t->nodes[k->ends[1].node].name, k->ends[1].ifname);
		v = nsl_vni_derive(lab, a, b);
		while (vset_has(&s, v)) /* never full: at most 16384 links of 16 million */
			v = v + 1 < 0x1000000u ? v + 1 : NSL_VNI_FIRST;
		vset_add(&s, ret[l] = v);
	}
	free(s.v);
	return 0;
}

void nsl_cross_mac(const char *lab, const char *node, const char *ifname, uint8_t mac[6])
{
	char buf[3 * 64 + 16], hex[65];
	int len = snprintf(buf, sizeof(buf), "nslab-mac\n%s\n%s:%s", lab, node, ifname);

	if (len < 0 || (size_t)len >= sizeof(buf))
		len = (int)sizeof(buf) - 1;
	nsl_sha256_hex(buf, (size_t)len, hex);
	for (int i = 0; i < 6; i++) {
		unsigned v = 0;
		for (int k = 0; k < 2; k++) {
			char c = hex[2 * i + k];
			v = (v << 4) | (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
		}
		mac[i] = (uint8_t)v;
	}
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
}

/* The local end f of a link between hosts becomes the VXLAN that carries it. */
static void make_cross(const struct nsl_topology *t, const char *lab, const char *node,
                       struct nsl_iface *f, int here, int there, uint32_t vni)
{
	struct nsl_impair im;
	struct nsl_vxlan *x = &f->vxlan;

	nsl_iface_impair(t, f, &im); /* while f is still the link's end */
	if (im.rate)
		im.set |= NSL_IMP_RATE;
	f->impair = im;
	f->kind = NSL_IFACE_VXLAN;
	f->link = -1;
	f->parent[0] = '\0';
	memset(x, 0, sizeof(*x));
	x->vni = vni;
	x->port = 4789;
	x->has_remote = true;
	x->remote = t->hosts[there].underlay;
	x->has_local = true;
	x->local = t->hosts[here].underlay;
	x->host_underlay = true;
	x->cross = true;
	/* the same MAC each time this part comes up: the far end's neighbour entries stay
	 * right when one side goes down and up again while the other stays */
	if (!f->has_mac) {
		nsl_cross_mac(lab, node, f->name, f->mac);
		f->has_mac = true;
	}
	if (!f->mtu) /* the link's was copied in by validation */
		f->mtu = NSL_VXLAN_MTU_BASE -
		         (x->remote.family == AF_INET6 ? NSL_VXLAN_OVERHEAD6 : NSL_VXLAN_OVERHEAD4);
}

int nsl_topology_part(struct nsl_topology *t, int host, const char *lab)
{
	struct nsl_arena *a = t->arena;
	_cleanup_free_ int *nmap = NULL, *lmap = NULL;
	_cleanup_free_ uint32_t *vni = NULL;
	struct nsl_node *nodes;
	struct nsl_link *links;
	struct nsl_iface *hifs;
	size_t nn = 0, nl = 0, nh = 0, ne = 0, nc = 0;

	if (!t->n_hosts || host < 0 || (size_t)host >= t->n_hosts || t->part >= 0)
		return 0;
	nmap = calloc(t->n_nodes + 1, sizeof(*nmap));
	lmap = calloc(t->n_links + 1, sizeof(*lmap));
	vni = calloc(t->n_links + 1, sizeof(*vni));
	nodes = nsl_arena_array(a, t->n_nodes + 1, sizeof(*nodes));
	links = nsl_arena_array(a, t->n_links + 1, sizeof(*links));
	hifs = nsl_arena_array(a, t->host.n_ifaces + 1, sizeof(*hifs));
	t->elsewhere = nsl_arena_array(a, t->n_nodes + 1, sizeof(*t->elsewhere));
	if (!nmap || !lmap || !vni || !nodes || !links || !hifs || !t->elsewhere)
		return -ENOMEM;
	if (nsl_topology_vnis(t, lab, vni) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_nodes; i++) {
		if (t->nodes[i].host == host) {
			nmap[i] = (int)nn;
			nodes[nn++] = t->nodes[i];
		} else {
			nmap[i] = -1;
			nsl_fmt(t->elsewhere[ne].name, sizeof(t->elsewhere[ne].name), "%s",
			        t->nodes[i].name);
			nsl_fmt(t->elsewhere[ne].hostname, sizeof(t->elsewhere[ne].hostname), "%s",
			        t->nodes[i].hostname);
			const struct nsl_ip *ip = nsl_node_first_address(&t->nodes[i]);
			if (ip)
				t->elsewhere[ne].addr = *ip;
			t->elsewhere[ne++].host = t->nodes[i].host;
		}
	}
	/* links: kept within this host, made VXLANs between it and another, else gone */
	for (size_t l = 0; l < t->n_links; l++) {
		const struct nsl_link *k = &t->links[l];
		int h0 = nsl_endpoint_host(t, k, 0), h1 = nsl_endpoint_host(t, k, 1);

		lmap[l] = -1;
		if (is_cross(t, k) && (h0 == host || h1 == host)) {
			int e = h0 == host ? 0 : 1;
			struct nsl_iface *f =
			    nsl_node_iface(&t->nodes[k->ends[e].node], k->ends[e].ifname);
			if (f)
				make_cross(t, lab, t->nodes[k->ends[e].node].name, f, host,
				           e ? h0 : h1, vni[l]);
		} else if (h0 == host && h1 == host) {
			lmap[l] = (int)nl;
			links[nl] = *k;
			for (int e = 0; e < 2; e++)
				if (k->ends[e].node >= 0)
					links[nl].ends[e].node = nmap[k->ends[e].node];
			nl++;
		}
	}
	for (size_t i = 0; i < nn; i++)
		for (size_t k = 0; k < nodes[i].n_ifaces; k++)
			if (nodes[i].ifaces[k].link >= 0)
				nodes[i].ifaces[k].link = lmap[nodes[i].ifaces[k].link];
	/* the host's interfaces: its ends of the links kept, its VXLANs */
	for (size_t k = 0; k < t->host.n_ifaces; k++) {
		struct nsl_iface *f = &t->host.ifaces[k];
		if (f->link >= 0 && lmap[f->link] < 0)
			continue;
		hifs[nh] = *f;
		if (f->link >= 0)
			hifs[nh].link = lmap[f->link];
		nh++;
	}
	/* `after` stays on one host (validation); checks run where their node is */
	for (size_t i = 0; i < nn; i++)
		for (size_t k = 0; k < nodes[i].n_after; k++)
			if (nodes[i].after && nodes[i].after[k] >= 0)
				nodes[i].after[k] = nmap[nodes[i].after[k]];
	for (size_t i = 0; i < t->n_checks; i++) {
		if (t->checks[i].node >= 0 && nmap[t->checks[i].node] < 0)
			continue;
		t->checks[nc] = t->checks[i];
		if (t->checks[nc].node >= 0)
			t->checks[nc].node = nmap[t->checks[i].node];
		nc++;
	}
	t->n_checks = nc;
	t->nodes = nodes;
	t->n_nodes = nn;
	t->links = links;
	t->n_links = nl;
	t->host.ifaces = hifs;
	t->host.n_ifaces = nh;
	t->n_elsewhere = ne;
	t->part = host;
	return 0;
}
