/* Pictures of a topology: pure text output, no kernel. Both formats show every node with its
 * kind (node, router, switch; the host), its bridges and lo addresses, and every link as one
 * edge labelled with its interface names and addresses, MTU and rate. */
#ifndef NSL_GRAPH_H
#define NSL_GRAPH_H

#include <stdio.h>

#include "model/topology.h"

/* What a node is, for a picture: a router forwards (net.ipv4.ip_forward,
 * net.ipv4.conf.all.forwarding or net.ipv6.conf.all.forwarding set to 1), a switch has
 * bridges and does not forward, a node is anything else. */
const char *nsl_graph_node_kind(const struct nsl_node *n);

/* Graphviz DOT: nodes as boxes, the host as a house, links as edges with head and tail
 * labels. */
void nsl_graph_dot(const struct nsl_topology *t, FILE *out);
/* A Mermaid flowchart (GitHub renders it in a ```mermaid block): nodes n0, n1... labelled
 * with their names, the host as a hexagon, one edge label per link. */
void nsl_graph_mermaid(const struct nsl_topology *t, FILE *out);

#endif
