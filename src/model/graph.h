/* Pictures of a topology: pure text output, no kernel. */
#ifndef NSL_GRAPH_H
#define NSL_GRAPH_H

#include <stdio.h>

#include "model/topology.h"

/* Graphviz DOT: nodes as boxes, links as edges labelled with interface names and addresses. */
void nsl_graph_dot(const struct nsl_topology *t, FILE *out);

#endif
