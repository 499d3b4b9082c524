/* nslab up TOPO [--name LAB] [--host HOST] [--dry-run] [--timing] [--json] */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
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
	if (nsl_cli_json()) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		if (f) {
			nsl_plan_print(&plan, f);
			fclose(f);
		}
		nsl_cli_json_lines(nsl_cli_json_doc(), "plan", text);
		free(text);
	} else {
		nsl_plan_print(&plan, stdout);
	}
	nsl_plan_free(&plan);
	return NSL_EXIT_OK;
}

/* What a lab is made of, as the model says it: the "built" of up --json. */
static cJSON *built(const struct nsl_topology *t)
{
	size_t bridges = 0, devices = 0, addrs = 0, routes = 0, nat = 0,
	       sysctls = t->host.n_sysctls, exec = 0, mounts = 0, rates = 0, host_links = 0,
	       impairs = 0;
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct nsl_node *n = &t->nodes[i];
		bridges += n->n_bridges;
		routes += n->n_routes;
		nat += n->n_nat;
		sysctls += n->n_sysctls;
		exec += n->n_exec;
		mounts += n->n_mounts;
		for (size_t f = 0; f < n->n_ifaces; f++) {
			struct nsl_impair im;
			addrs += n->ifaces[f].n_addrs;
			devices += n->ifaces[f].device[0] != 0;
			nsl_iface_impair(t, &n->ifaces[f], &im);
			impairs += nsl_impair_qdisc(&im) == NSL_QDISC_NETEM;
		}
	}
	for (size_t f = 0; f < t->host.n_ifaces; f++) {
		struct nsl_impair im;
		addrs += t->host.ifaces[f].n_addrs;
		nsl_iface_impair(t, &t->host.ifaces[f], &im);
		impairs += nsl_impair_qdisc(&im) == NSL_QDISC_NETEM;
	}
	nat += t->host.n_nat;
	for (size_t l = 0; l < t->n_links; l++) {
		rates += t->links[l].rate != 0;
		host_links += t->links[l].ends[0].node == NSL_ENDPOINT_HOST ||
		              t->links[l].ends[1].node == NSL_ENDPOINT_HOST;
	}
	cJSON_AddNumberToObject(o, "nodes", (double)t->n_nodes);
	cJSON_AddNumberToObject(o, "links", (double)t->n_links);
	cJSON_AddNumberToObject(o, "host_links", (double)host_links);
	cJSON_AddNumberToObject(o, "bridges", (double)bridges);
	cJSON_AddNumberToObject(o, "devices", (double)devices);
	cJSON_AddNumberToObject(o, "addresses", (double)addrs);
	cJSON_AddNumberToObject(o, "routes", (double)routes);
	cJSON_AddNumberToObject(o, "nat", (double)nat);
	cJSON_AddNumberToObject(o, "sysctls", (double)sysctls);
	cJSON_AddNumberToObject(o, "rates", (double)rates);
	cJSON_AddNumberToObject(o, "impairments", (double)impairs); /* link ends with netem */
	cJSON_AddNumberToObject(o, "mounts", (double)mounts);
	cJSON_AddNumberToObject(o, "exec", (double)exec);
	return o;
}

static void json_result(const struct nsl_topology *t, const char *lab, bool ok, uint64_t ns,
                        const uint64_t *phase_ns)
{
	cJSON *doc = nsl_cli_json_doc(), *nodes, *phases;

	if (ok) {
		cJSON_AddItemToObject(doc, "built", built(t));
		nodes = cJSON_AddArrayToObject(doc, "nodes");
		for (size_t i = 0; i < t->n_nodes; i++) {
			char ns_name[2 * NSL_NAME_MAX + 2];
			cJSON *o = cJSON_CreateObject();
			nsl_fmt(ns_name, sizeof(ns_name), "%s.%s", lab, t->nodes[i].name);
			cJSON_AddStringToObject(o, "name", t->nodes[i].name);
			cJSON_AddStringToObject(o, "netns", ns_name);
			cJSON_AddItemToArray(nodes, o);
		}
	}
	cJSON_AddNumberToObject(doc, "ms", (double)(ns / 1000) / 1000.0);
	phases = cJSON_AddObjectToObject(doc, "phases_ms");
	for (size_t p = 0; p < NSL_PHASES; p++)
		cJSON_AddNumberToObject(phases, nsl_phase_progress[p],
		                        (double)(phase_ns[p] / 1000) / 1000.0);
}

int nsl_cmd_up(int argc, char **argv)
{
	uint64_t phase_ns[NSL_PHASES] = {0};
	unsigned long steps = 0;
	struct nsl_up_opts o = {.steps = &steps, .phase_ns = phase_ns};
	bool timing = false, plan_only = false;
	struct nsl_cli_progress progress;
	struct nsl_err err = {0};
	const char *file = NULL, *lab, *host = NULL;
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
		else if (nsl_cli_host_option(argc, argv, &i, &host))
			;
		else if (!strcmp(argv[i], "--timing"))
			timing = true;
		else if (!strcmp(argv[i], "--json"))
			nsl_cli_json_begin("up");
		else if (!strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "-n"))
			plan_only = true;
		else if (argv[i][0] == '-' || file) {
			nsl_cli_error("up: unexpected argument '%s'", argv[i]);
			return NSL_EXIT_USAGE;
		} else
			file = argv[i];
	}
	if (!file) {
		nsl_cli_error(
		    "up: usage: nslab up TOPO [--name LAB] [--host HOST] [--dry-run] [--json]");
		return NSL_EXIT_USAGE;
	}
	if (o.name && !nsl_name_valid(o.name)) {
		nsl_cli_error(
		    "up: --name '%s': 1 to 32 characters of [A-Za-z0-9_-], not starting with '-'",
		    o.name);
		return NSL_EXIT_USAGE;
	}
	if (nsl_cli_json())
		cJSON_AddStringToObject(nsl_cli_json_doc(), "file", file);
	t = nsl_cli_load(file);
	if (!t)
		return NSL_EXIT_FAIL;
	lab = o.name ? o.name : t->name;
	if (nsl_cli_part(t, host, lab, "up") < 0) {
		nsl_topology_free(t);
		return NSL_EXIT_FAIL;
	}
	if (nsl_cli_json())
		cJSON_AddStringToObject(nsl_cli_json_doc(), "lab", lab);
	if (nsl_cli_json() && t->part >= 0)
		cJSON_AddStringToObject(nsl_cli_json_doc(), "host", t->hosts[t->part].name);
	if (plan_only) {
		rc = dry_run(t, lab);
		nsl_topology_free(t);
		return rc;
	}
	if (geteuid() != 0) {
		nsl_cli_error("up: needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN)");
		nsl_topology_free(t);
		return NSL_EXIT_FAIL;
	}
	o.progress = nsl_cli_progress_start(&progress, "up %s", lab);
	rc = nsl_up(t, &o, &err);
	nsl_cli_progress_end(&progress);
	/* Tests count the steps of up to inject a fault at each one. */
	if (getenv("NSLAB_COUNT_STEPS"))
		fprintf(stderr, "nslab: %lu steps\n", steps);
	if (rc < 0) {
		char msg[sizeof(err.msg) + 64];
		nsl_fmt(msg, sizeof(msg), "up %s: %s", lab, err.msg);
		nsl_cli_problem(t->file, NULL, 0, 0, msg);
	} else if (nsl_cli_verbosity() != NSL_QUIET && !nsl_cli_json()) {
		printf("lab %s up%s%s%s: %zu nodes, %zu links in %.0f ms\n", lab,
		       t->part >= 0 ? " (host " : "", t->part >= 0 ? t->hosts[t->part].name : "",
		       t->part >= 0 ? ")" : "", t->n_nodes, t->n_links,
		       (double)(nsl_now_ns() - t0) / 1e6);
	}
	if (nsl_cli_json())
		json_result(t, lab, rc == 0, nsl_now_ns() - t0, phase_ns);
	for (size_t p = 0; (timing || nsl_cli_verbosity() == NSL_VERBOSE) && p < NSL_PHASES; p++)
		fprintf(stderr, "  %-12s %8.2f ms\n", nsl_phase_names[p],
		        (double)phase_ns[p] / 1e6);
	nsl_topology_free(t);
	return rc < 0 ? NSL_EXIT_FAIL : NSL_EXIT_OK;
}
