/* nslab: the command table. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct nsl_command commands[] = {
    {"up", nsl_cmd_up, "up TOPO.json [--name LAB] [--timing]",
     "build a lab; on any failure nothing is left"},
    {"down", nsl_cmd_down, "down [LAB | TOPO.json | --all]", "tear a lab down (idempotent)"},
    {"exec", nsl_cmd_exec, "exec [-l LAB] NODE [--] CMD [ARG...]", "run a command inside a node"},
    {"status", nsl_cmd_status, "status [LAB] [--json]",
     "what is up: labs, nodes, holders, interfaces"},
    {"validate", nsl_cmd_validate, "validate [--show] TOPO.json|TOPO.yaml",
     "check a topology (no root, no kernel); --show prints the model"},
    {"graph", nsl_cmd_graph, "graph TOPO.json", "print the topology as Graphviz DOT"},
};

void nsl_cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("nslab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: nslab COMMAND [ARGS...]\n\nnetwork-namespace labs from a topology file\n\n");
	for (size_t i = 0; i < NSL_ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-40s %s\n", commands[i].usage, commands[i].summary);
	fprintf(out, "\nnslab COMMAND --help shows one command's help.\n");
}

bool nsl_cli_help(const char *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (strcmp(argv[i], "--help") && strcmp(argv[i], "-h"))
			continue;
		/* exec's own arguments belong to the command after NODE. */
		if (!strcmp(cmd, "exec") && i > 1 && argv[i - 1][0] != '-')
			break;
		for (size_t c = 0; c < NSL_ARRAY_SIZE(commands); c++)
			if (!strcmp(commands[c].name, cmd))
				printf("usage: nslab %s\n%s\n", commands[c].usage,
				       commands[c].summary);
		return true;
	}
	return false;
}

struct nsl_topology *nsl_cli_load(const char *path)
{
	struct nsl_diags d = {.file = path};
	struct nsl_topology *t = NULL;

	if (nsl_topology_load(path, &t, &d) < 0 || nsl_topology_validate(t, &d) < 0) {
		nsl_diags_print(&d, stderr);
		nsl_diags_clear(&d);
		nsl_topology_free(t);
		return NULL;
	}
	nsl_diags_clear(&d);
	return t;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("nslab 0.1\n");
		return 0;
	}
	for (size_t i = 0; i < NSL_ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name)) {
			if (nsl_cli_help(commands[i].name, argc - 1, argv + 1))
				return 0;
			return commands[i].run(argc - 1, argv + 1);
		}
	nsl_cli_error("unknown command '%s' (try nslab --help)", argv[1]);
	return 2;
}
