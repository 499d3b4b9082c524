/* The topology as Graphviz DOT: nodes as boxes (with their addresses), links as edges
 * labelled with their interface names, the host as a separate shape. Pure. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void addrs(const struct nsl_iface *f, FILE *out)
{
	char buf[64];

	for (size_t a = 0; f && a < f->n_addrs; a++)
		fprintf(out, "\\n%s", nsl_prefix_str(&f->addrs[a], buf, sizeof(buf)));
}

static const struct nsl_iface *host_iface(const struct nsl_topology *t, const char *name)
{
	for (size_t k = 0; k < t->host.n_ifaces; k++)
		if (!strcmp(t->host.ifaces[k].name, name))
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
		for (size_t b = 0; b < n->n_bridges; b++)
			fprintf(out, "\\n[bridge %s]", n->bridges[b].name);
		const struct nsl_iface *lo = nsl_node_iface(n, "lo");
		addrs(lo, out);
		fprintf(out, "\"];\n");
	}
	for (size_t l = 0; l < t->n_links; l++)
		for (int s = 0; s < 2; s++)
			host |= t->links[l].ends[s].node == NSL_ENDPOINT_HOST;
	if (host)
		fprintf(out, "\t\"host\" [shape=house];\n");
	for (size_t l = 0; l < t->n_links; l++) {
		const struct nsl_link *lk = &t->links[l];
		const char *names[2];
		fprintf(out, "\t");
		for (int s = 0; s < 2; s++) {
			names[s] = lk->ends[s].node == NSL_ENDPOINT_HOST ? "host" : t->nodes[lk->ends[s].node].name;
			fprintf(out, "\"%s\"%s", names[s], s ? "" : " -- ");
		}
		fprintf(out, " [taillabel=\"%s", lk->ends[0].ifname);
		addrs(lk->ends[0].node == NSL_ENDPOINT_HOST ? host_iface(t, lk->ends[0].ifname)
							    : nsl_node_iface(&t->nodes[lk->ends[0].node], lk->ends[0].ifname), out);
		fprintf(out, "\", headlabel=\"%s", lk->ends[1].ifname);
		addrs(lk->ends[1].node == NSL_ENDPOINT_HOST ? host_iface(t, lk->ends[1].ifname)
							    : nsl_node_iface(&t->nodes[lk->ends[1].node], lk->ends[1].ifname), out);
		fprintf(out, "\"");
		if (lk->mtu)
			fprintf(out, ", label=\"mtu %u\"", lk->mtu);
		fprintf(out, "];\n");
	}
	fprintf(out, "}\n");
}
