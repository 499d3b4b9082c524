/* nslab validate [--show] TOPO, nslab graph TOPO: no root, no kernel. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "model/graph.h"

int nsl_cmd_validate(int argc, char **argv)
{
	const char *file = NULL;
	struct nsl_topology *t;
	bool show = false;

	for (int i = 1; i < argc; i++) {
		if (nsl_cli_is_help(argv[i])) {
			nsl_cli_usage("validate");
			return NSL_EXIT_OK;
		} else if (!strcmp(argv[i], "--show") && !show) {
			show = true;
		} else if (!file && (argv[i][0] != '-' || !argv[i][1])) {
			file = argv[i];
		} else {
			nsl_cli_error("validate: usage: nslab validate [--show] TOPO");
			return 2;
		}
	}
	if (!file) {
		nsl_cli_error("validate: usage: nslab validate [--show] TOPO");
		return 2;
	}
	t = nsl_cli_load(file);
	if (!t)
		return 1;
	if (show)
		nsl_topology_dump(t, stdout);
	else
		printf("%s: valid: %zu nodes, %zu links\n", file, t->n_nodes, t->n_links);
	nsl_topology_free(t);
	return 0;
}

int nsl_cmd_graph(int argc, char **argv)
{
	struct nsl_topology *t;

	if (argc == 2 && nsl_cli_is_help(argv[1])) {
		nsl_cli_usage("graph");
		return NSL_EXIT_OK;
	}
	if (argc != 2) {
		nsl_cli_error("graph: usage: nslab graph TOPO");
		return 2;
	}
	t = nsl_cli_load(argv[1]);
	if (!t)
		return 1;
	nsl_graph_dot(t, stdout);
	nsl_topology_free(t);
	return 0;
}
