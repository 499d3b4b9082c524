/* nslab up TOPO [--name LAB] [--dry-run] [--timing] [-q] */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/up.h"
#include "model/plan.h"

/* --dry-run: the plan, without root and without touching anything. */
static int dry_run(const struct nsl_topology *t, const char *lab)
{
	struct nsl_plan plan;

	if (!lab || !*lab) {
		nsl_cli_error("up %s: the lab has no name: add \"name\" or use --name", t->file);
		return NSL_EXIT_FAIL;
	}
	if (nsl_plan_build(t, lab, &plan) < 0) {
		nsl_cli_error("up %s: out of memory", lab);
		return NSL_EXIT_FAIL;
	}
	nsl_plan_print(&plan, stdout);
	nsl_plan_free(&plan);
	return NSL_EXIT_OK;
}

int nsl_cmd_up(int argc, char **argv)
{
	uint64_t phase_ns[NSL_PHASES] = {0};
	unsigned long steps = 0;
	struct nsl_up_opts o = {.steps = &steps};
	bool timing = false, quiet = false, plan_only = false;
	struct nsl_err err = {0};
	const char *file = NULL;
	struct nsl_topology *t;
	uint64_t t0 = nsl_now_ns();
	int rc;

	for (int i = 1; i < argc; i++) {
		if (nsl_cli_is_help(argv[i])) {
			nsl_cli_usage("up");
			return NSL_EXIT_OK;
		} else if (!strcmp(argv[i], "--name") && i + 1 < argc)
			o.name = argv[++i];
		else if (!strncmp(argv[i], "--name=", 7))
			o.name = argv[i] + 7;
		else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
			quiet = true;
		else if (!strcmp(argv[i], "--timing"))
			timing = true;
		else if (!strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "-n"))
			plan_only = true;
		else if (argv[i][0] == '-' || file) {
			nsl_cli_error("up: unexpected argument '%s'", argv[i]);
			return NSL_EXIT_USAGE;
		} else
			file = argv[i];
	}
	if (!file) {
		nsl_cli_error("up: usage: nslab up TOPO [--name LAB] [--dry-run]");
		return NSL_EXIT_USAGE;
	}
	if (o.name && !nsl_name_valid(o.name)) {
		nsl_cli_error(
		    "up: --name '%s': 1 to 32 characters of [A-Za-z0-9_-], not starting with '-'",
		    o.name);
		return NSL_EXIT_USAGE;
	}
	t = nsl_cli_load(file);
	if (!t)
		return NSL_EXIT_FAIL;
	if (plan_only) {
		rc = dry_run(t, o.name ? o.name : t->name);
		nsl_topology_free(t);
		return rc;
	}
	if (geteuid() != 0) {
		nsl_cli_error("up: needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN)");
		nsl_topology_free(t);
		return NSL_EXIT_FAIL;
	}
	if (timing)
		o.phase_ns = phase_ns;
	rc = nsl_up(t, &o, &err);
	/* Tests count the steps of up to inject a fault at each one. */
	if (getenv("NSLAB_COUNT_STEPS"))
		fprintf(stderr, "nslab: %lu steps\n", steps);
	if (rc < 0)
		nsl_cli_error("up %s: %s", o.name ? o.name : t->name, err.msg);
	else if (!quiet)
		printf("lab %s up: %zu nodes, %zu links in %.0f ms\n", o.name ? o.name : t->name,
		       t->n_nodes, t->n_links, (double)(nsl_now_ns() - t0) / 1e6);
	for (size_t p = 0; timing && p < NSL_PHASES; p++)
		fprintf(stderr, "  %-12s %8.2f ms\n", nsl_phase_names[p],
		        (double)phase_ns[p] / 1e6);
	nsl_topology_free(t);
	return rc < 0 ? NSL_EXIT_FAIL : NSL_EXIT_OK;
}
