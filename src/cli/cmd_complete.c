/* nslab __complete labs | nodes [LAB] | ifaces [LAB] | hosts TOPO: candidates for shell completion,
 * one a line (the scripts in completion/ call it; not in the command table: not a command for
 * people). Silent: a Tab shows nothing rather than an error. Without LAB, nodes lists
 * LAB.NODE of every lab and ifaces the NODE:IF of the only lab up; hosts the "hosts" of a
 * topology file (for --host). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/complete.h"

int nsl_cmd_complete(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "", *lab = argc > 2 ? argv[2] : NULL;
	char **v = NULL;
	size_t n = 0;
	int rc;

	if (!strcmp(what, "hosts") && argc == 3) {
		struct nsl_diags d = {0};
		struct nsl_topology *t = NULL;
		if (nsl_topology_load(argv[2], &t, &d) == 0)
			for (size_t h = 0; h < t->n_hosts; h++)
				printf("%s\n", t->hosts[h].name);
		nsl_topology_free(t);
		nsl_diags_clear(&d);
		return NSL_EXIT_OK;
	}
	if (argc > 3 || (lab && !nsl_name_valid(lab)))
		return NSL_EXIT_USAGE;
	if (!strcmp(what, "labs")) {
		rc = nsl_complete_labs(&v, &n);
	} else if (!strcmp(what, "nodes")) {
		rc = nsl_complete_nodes(lab, &v, &n);
	} else if (!strcmp(what, "ifaces")) {
		char **labs = NULL;
		size_t n_labs = 0;
		if (!lab && nsl_complete_labs(&labs, &n_labs) == 0 && n_labs == 1)
			lab = labs[0];
		rc = lab ? nsl_complete_ifaces(lab, &v, &n) : 0;
		nsl_strv_free(labs, n_labs);
	} else {
		return NSL_EXIT_USAGE;
	}
	for (size_t i = 0; i < n; i++)
		printf("%s\n", v[i]);
	nsl_strv_free(v, n);
	return rc < 0 ? NSL_EXIT_FAIL : NSL_EXIT_OK;
}
