/* Labs over several hosts ("hosts", a node's "host", a link's "vni"): each node on a host of
 * the file, one underlay per host, links between hosts of one underlay family, their VNIs
 * once in the lab, and no node waiting for one of another host (it could not see it). */
#include <arpa/inet.h>
#include <string.h>

#include "model/topology.h"
#include "model/validate.h"

int nsl_topology_host(const struct nsl_topology *t, const char *name)
{
	for (size_t h = 0; h < t->n_hosts; h++)
		if (!strcmp(t->hosts[h].name, name))
			return (int)h;
	return -1;
}

int nsl_endpoint_host(const struct nsl_topology *t, const struct nsl_link *l, int end)
{
	int node = l->ends[end].node;

	if (node == NSL_ENDPOINT_HOST) /* a host end is on its node's machine */
		node = l->ends[1 - end].node;
	if (node < 0 || (size_t)node >= t->n_nodes)
		return -1;
	return t->nodes[node].host;
}

static void host_list(const struct nsl_topology *t, char *buf, size_t size)
{
	size_t len;

	buf[0] = '\0';
	for (size_t h = 0; h < t->n_hosts && (len = strlen(buf)) + 4 < size; h++)
		nsl_fmt(buf + len, size - len, "%s%s", h ? ", " : "", t->hosts[h].name);
}

static void check_placement(struct vctx *c)
{
	struct nsl_topology *t = c->t;
	char list[256], p[PATH_LEN];

	host_list(t, list, sizeof(list));
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct nsl_node *n = &t->nodes[i];

		n->host = t->n_hosts ? 0 : -1;
		if (!n->host_name[0])
			continue;
		nsl_fmt(p, sizeof(p), "nodes.%s.host", n->name);
		if (!t->n_hosts) {
			nsl_v_err(c, p,
			          "no \"hosts\" in the file: a node's \"host\" names one of them");
			continue;
		}
		n->host = nsl_topology_host(t, n->host_name);
		if (n->host < 0) {
			nsl_v_err(c, p, "no host '%s' (hosts: %s)", n->host_name, list);
			n->host = 0;
		}
	}
	for (size_t h = 0; h < t->n_hosts; h++)
		for (size_t g = 0; g < h; g++)
			if (t->hosts[h].underlay.family &&
			    nsl_ip_equal(&t->hosts[h].underlay, &t->hosts[g].underlay)) {
				char b[64];
				nsl_fmt(p, sizeof(p), "hosts.%s.underlay", t->hosts[h].name);
				nsl_v_err(c, p, "%s is host %s's underlay already",
				          nsl_ip_str(&t->hosts[h].underlay, b, sizeof(b)),
				          t->hosts[g].name);
				break;
			}
}

/* A VNI of the lab and who has it: a link (owner NULL) or a VXLAN whose socket is a host's. */
struct vni_use {
	uint32_t vni;
	int link; /* -1 for an interface */
	const char *owner, *iface;
};

static int vni_cmp(const void *x, const void *y)
{
	const struct vni_use *a = x, *b = y;

	if (a->vni != b->vni)
		return a->vni < b->vni ? -1 : 1;
	/* interfaces first, then links in file order: the later link is the one reported */
	return (a->link > b->link) - (a->link < b->link);
}

static void check_links(struct vctx *c)
{
	const struct nsl_topology *t = c->t;
	struct vni_use *uses;
	size_t n = 0, cap = t->n_links + t->host.n_ifaces;
	char p[PATH_LEN];

	for (size_t i = 0; i < t->n_nodes; i++)
		cap += t->nodes[i].n_ifaces;
	uses = calloc(cap + 1, sizeof(*uses));
	if (!uses)
		return; /* the kernel will say it */
	for (size_t l = 0; l < t->n_links; l++) {
		const struct nsl_link *k = &t->links[l];
		int h0 = nsl_endpoint_host(t, k, 0), h1 = nsl_endpoint_host(t, k, 1);
		bool cross =
		    k->ends[0].node >= 0 && k->ends[1].node >= 0 && h0 >= 0 && h1 >= 0 && h0 != h1;

		if (k->has_vni && !cross) {
			nsl_fmt(p, sizeof(p), "links[%zu].vni", l);
			if (!t->n_hosts)
				nsl_v_err_key(c, p,
				              "'vni' is for links between hosts: the file has no "
				              "\"hosts\"");
			else
				nsl_v_err_key(c, p,
				              "'vni' is for links between hosts: both ends of this "
				              "one are on host %s",
				              h0 >= 0 ? t->hosts[h0].name : "?");
			continue;
		}
		if (!cross)
			continue;
		if (t->hosts[h0].underlay.family && t->hosts[h1].underlay.family &&
		    t->hosts[h0].underlay.family != t->hosts[h1].underlay.family) {
			nsl_fmt(p, sizeof(p), "links[%zu].endpoints", l);
			nsl_v_err(c, p,
			          "hosts %s and %s have underlays of different families (IPv4 and "
			          "IPv6): no VXLAN joins them",
			          t->hosts[h0].name, t->hosts[h1].name);
		}
		if (k->has_vni)
			uses[n++] = (struct vni_use){k->vni, (int)l, NULL, NULL};
	}
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t f = 0; f < t->nodes[i].n_ifaces; f++) {
			const struct nsl_iface *x = &t->nodes[i].ifaces[f];
			if (x->kind == NSL_IFACE_VXLAN && x->vxlan.host_underlay)
				uses[n++] =
				    (struct vni_use){x->vxlan.vni, -1, t->nodes[i].name, x->name};
		}
	for (size_t f = 0; f < t->host.n_ifaces; f++)
		if (t->host.ifaces[f].kind == NSL_IFACE_VXLAN)
			uses[n++] = (struct vni_use){t->host.ifaces[f].vxlan.vni, -1, NULL,
			                             t->host.ifaces[f].name};
	qsort(uses, n, sizeof(*uses), vni_cmp);
	for (size_t i = 1, first = 0; i < n; i++) {
		const struct vni_use *a = &uses[first], *b = &uses[i];

		if (a->vni != b->vni) {
			first = i;
			continue;
		}
		if (b->link < 0)
			continue; /* two VXLANs of the host: validate_kinds.c tells */
		nsl_fmt(p, sizeof(p), "links[%d].vni", b->link);
		if (a->link >= 0) {
			nsl_v_err(
			    c, p,
			    "VNI %u is links[%d]'s already (a link between hosts has a VNI of "
			    "its own in the lab)",
			    b->vni, a->link);
			continue;
		}
		char who[PATH_LEN];
		if (a->owner)
			nsl_fmt(who, sizeof(who), "nodes.%s.interfaces.%s", a->owner, a->iface);
		else
			nsl_fmt(who, sizeof(who), "host.interfaces.%s", a->iface);
		nsl_v_err(c, p,
		          "VNI %u is %s's already (a VXLAN whose socket is in the host, as a link "
		          "between hosts has)",
		          b->vni, who);
	}
	free(uses);
}

/* A node's exec waits for the readiness of nodes of its own machine only. */
static void check_after(struct vctx *c)
{
	const struct nsl_topology *t = c->t;

	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct nsl_node *n = &t->nodes[i];
		for (size_t k = 0; k < n->n_after; k++) {
			int d = n->after ? n->after[k] : -1;
			char p[PATH_LEN];
			if (d < 0 || t->nodes[d].host == n->host)
				continue;
			nsl_fmt(p, sizeof(p), "nodes.%s.after[%zu]", n->name, k);
			nsl_v_err(
			    c, p,
			    "node %s is on host %s, node %s on host %s: a node waits only for "
			    "nodes of its own host",
			    t->nodes[d].name, t->hosts[t->nodes[d].host].name, n->name,
			    t->hosts[n->host].name);
		}
	}
}

void nsl_v_hosts(struct vctx *c)
{
	check_placement(c);
	check_links(c);
	if (c->t->n_hosts > 1)
		check_after(c);
}
