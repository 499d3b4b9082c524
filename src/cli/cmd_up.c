/* nslab up TOPO.json [--name LAB] */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/lab.h"

int nsl_cmd_up(int argc, char **argv)
{
	struct nsl_up_stats stats = {.n = 0};
	struct nsl_up_opts o = {0};
	bool timing = false;
	struct nsl_err err = {0};
	const char *file = NULL;
	struct nsl_topology *t;
	uint64_t t0 = nsl_now_ns();
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--name") && i + 1 < argc)
			o.name = argv[++i];
		else if (!strncmp(argv[i], "--name=", 7))
			o.name = argv[i] + 7;
		else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
			o.quiet = true;
		else if (!strcmp(argv[i], "--timing"))
			o.stats = &stats, timing = true;
		else if (argv[i][0] == '-' || file) {
			nsl_cli_error("up: unexpected argument '%s'", argv[i]);
			return 2;
		} else
			file = argv[i];
	}
	if (!file) {
		nsl_cli_error("up: usage: nslab up TOPO.json [--name LAB]");
		return 2;
	}
	if (o.name && !nsl_name_valid(o.name)) {
		nsl_cli_error(
		    "up: --name '%s': 1 to 32 characters of [A-Za-z0-9_-], not starting with '-'",
		    o.name);
		return 2;
	}
	t = nsl_cli_load(file);
	if (!t)
		return 1;
	if (geteuid() != 0) {
		nsl_cli_error("up: needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN)");
		nsl_topology_free(t);
		return 1;
	}
	/* Tests count the steps of up to inject a fault at each one. */
	bool count = getenv("NSLAB_COUNT_STEPS") != NULL;
	if (count && !o.stats)
		o.stats = &stats;
	rc = nsl_up(t, &o, &err);
	if (count)
		fprintf(stderr, "nslab: %lu steps\n", stats.steps);
	if (rc < 0)
		nsl_cli_error("up %s: %s", o.name ? o.name : t->name, err.msg);
	else if (!o.quiet)
		printf("lab %s up: %zu nodes, %zu links in %.0f ms\n", o.name ? o.name : t->name,
		       t->n_nodes, t->n_links, (double)(nsl_now_ns() - t0) / 1e6);
	for (size_t p = 0; timing && p < stats.n; p++)
		fprintf(stderr, "  %-12s %8.2f ms\n", stats.phase[p], (double)stats.ns[p] / 1e6);
	nsl_topology_free(t);
	return rc < 0 ? 1 : 0;
}
