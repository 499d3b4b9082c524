/* The topology as Graphviz DOT: nodes as boxes (with their bridges and lo addresses), links
 * as edges labelled with their interface names and addresses, the host as a house. Pure. */
#include <stdio.h>
#include <string.h>

#include "model/graph.h"

/* Interface names may hold '"' and '\' (the kernel allows them): escape for DOT. */
static void put(const char *s, FILE *out)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
}

static void addrs(const struct nsl_iface *f, FILE *out)
{
	char buf[64];

	for (size_t a = 0; f && a < f->n_addrs; a++)
		fprintf(out, "\\n%s", nsl_prefix_str(&f->addrs[a], buf, sizeof(buf)));
}

static const struct nsl_iface *end_iface(const struct nsl_topology *t,
                                         const struct nsl_endpoint *ep)
{
	if (ep->node != NSL_ENDPOINT_HOST)
		return nsl_node_iface(&t->nodes[ep->node], ep->ifname);
	for (size_t k = 0; k < t->host.n_ifaces; k++)
		if (!strcmp(t->host.ifaces[k].name, ep->ifname))
			return &t->host.ifaces[k];
	return NULL;
}

void nsl_graph_dot(const struct nsl_topology *t, FILE *out)
{
	bool host = false;

	fprintf(out, "graph \"%s\" {\n\tnode [shape=box];\n", t->name[0] ? t->name : "lab");
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct nsl_node *n = &t->nodes[i];
		fprintf(out, "\t\"%s\" [label=\"%s", n->name, n->name);
		for (size_t b = 0; b < n->n_bridges; b++) {
			fputs("\\n[bridge ", out);
			put(n->bridges[b].name, out);
			fputc(']', out);
		}
		addrs(nsl_node_iface(n, "lo"), out);
		fprintf(out, "\"];\n");
	}
	for (size_t l = 0; l < t->n_links; l++)
		for (int s = 0; s < 2; s++)
			host |= t->links[l].ends[s].node == NSL_ENDPOINT_HOST;
	if (host)
		fprintf(out, "\t\"host\" [shape=house];\n");
	for (size_t l = 0; l < t->n_links; l++) {
		const struct nsl_link *lk = &t->links[l];
		for (int s = 0; s < 2; s++) {
			const struct nsl_endpoint *ep = &lk->ends[s];
			fprintf(out, s ? " -- \"%s\"" : "\t\"%s\"",
			        ep->node == NSL_ENDPOINT_HOST ? "host" : t->nodes[ep->node].name);
		}
		for (int s = 0; s < 2; s++) {
			fputs(s ? "\", headlabel=\"" : " [taillabel=\"", out);
			put(lk->ends[s].ifname, out);
			addrs(end_iface(t, &lk->ends[s]), out);
		}
		fputc('"', out);
		if (lk->mtu)
			fprintf(out, ", label=\"mtu %u\"", lk->mtu);
		fprintf(out, "];\n");
	}
	fprintf(out, "}\n");
}
