/* nslab validate [--show] [--json] TOPO, nslab graph [--format dot|mermaid] TOPO: no root, no
 * kernel. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "model/graph.h"

static void json_model(const struct nsl_topology *t, bool show)
{
	cJSON *doc = nsl_cli_json_doc();

	cJSON_AddStringToObject(doc, "lab", t->name);
	cJSON_AddNumberToObject(doc, "nodes", (double)t->n_nodes);
	cJSON_AddNumberToObject(doc, "links", (double)t->n_links);
	if (show) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		if (f) {
			nsl_topology_dump(t, f);
			fclose(f);
		}
		nsl_cli_json_lines(doc, "model", text);
		free(text);
	}
}

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
		} else if (!strcmp(argv[i], "--json")) {
			nsl_cli_json_begin("validate");
		} else if (!file && (argv[i][0] != '-' || !argv[i][1])) {
			file = argv[i];
		} else {
			nsl_cli_error("validate: usage: nslab validate [--show] [--json] TOPO");
			return NSL_EXIT_USAGE;
		}
	}
	if (!file) {
		nsl_cli_error("validate: usage: nslab validate [--show] [--json] TOPO");
		return NSL_EXIT_USAGE;
	}
	if (nsl_cli_json())
		cJSON_AddStringToObject(nsl_cli_json_doc(), "file", file);
	t = nsl_cli_load(file);
	if (!t)
		return NSL_EXIT_FAIL;
	if (nsl_cli_json())
		json_model(t, show);
	else if (show)
		nsl_topology_dump(t, stdout);
	else if (nsl_cli_verbosity() != NSL_QUIET)
		printf("%s: valid: %zu nodes, %zu links\n", file, t->n_nodes, t->n_links);
	nsl_topology_free(t);
	return NSL_EXIT_OK;
}

int nsl_cmd_graph(int argc, char **argv)
{
	void (*draw)(const struct nsl_topology *, FILE *) = nsl_graph_dot;
	const char *file = NULL;
	struct nsl_topology *t;

	for (int i = 1; i < argc; i++) {
		const char *fmt = NULL;
		if (nsl_cli_is_help(argv[i])) {
			nsl_cli_usage("graph");
			return NSL_EXIT_OK;
		} else if (!strcmp(argv[i], "--mermaid")) {
			fmt = "mermaid";
		} else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			fmt = argv[++i];
		} else if (!strncmp(argv[i], "--format=", 9)) {
			fmt = argv[i] + 9;
		} else if (!file && (argv[i][0] != '-' || !argv[i][1])) {
			file = argv[i];
			continue;
		} else {
			file = NULL;
			break;
		}
		if (!strcmp(fmt, "dot")) {
			draw = nsl_graph_dot;
		} else if (!strcmp(fmt, "mermaid")) {
			draw = nsl_graph_mermaid;
		} else {
			nsl_cli_error("graph: unknown format '%s' (dot or mermaid)", fmt);
			return NSL_EXIT_USAGE;
		}
	}
	if (!file) {
		nsl_cli_error("graph: usage: nslab graph [--format dot|mermaid] [--mermaid] TOPO");
		return NSL_EXIT_USAGE;
	}
	t = nsl_cli_load(file);
	if (!t)
		return NSL_EXIT_FAIL;
	draw(t, stdout);
	nsl_topology_free(t);
	return NSL_EXIT_OK;
}
