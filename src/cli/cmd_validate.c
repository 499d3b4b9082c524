/* nslab validate TOPO.json, nslab graph TOPO.json: no root, no kernel. */
#include <stdio.h>

#include "cli/cli.h"
#include "model/graph.h"

static struct nsl_topology *load_arg(const char *cmd, int argc, char **argv)
{
	if (argc != 2) {
		nsl_cli_error("%s: usage: nslab %s TOPO.json", cmd, cmd);
		return NULL;
	}
	return nsl_cli_load(argv[1]);
}

int nsl_cmd_validate(int argc, char **argv)
{
	if (argc == 2 && nsl_cli_is_help(argv[1])) {
		nsl_cli_usage("validate");
		return NSL_EXIT_OK;
	}
	struct nsl_topology *t = load_arg("validate", argc, argv);

	if (!t)
		return argc != 2 ? 2 : 1;
	printf("%s: valid: %zu nodes, %zu links\n", argv[1], t->n_nodes, t->n_links);
	nsl_topology_free(t);
	return 0;
}

int nsl_cmd_graph(int argc, char **argv)
{
	if (argc == 2 && nsl_cli_is_help(argv[1])) {
		nsl_cli_usage("graph");
		return NSL_EXIT_OK;
	}
	struct nsl_topology *t = load_arg("graph", argc, argv);

	if (!t)
		return argc != 2 ? 2 : 1;
	nsl_graph_dot(t, stdout);
	nsl_topology_free(t);
	return 0;
}
