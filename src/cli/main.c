/* nslab: the command table. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct nsl_command commands[] = {
    {"up", nsl_cmd_up, "up TOPO [--name LAB] [--dry-run] [--timing] [-q]",
     "build a lab; on any failure nothing is left"},
    {"down", nsl_cmd_down, "down [LAB | TOPO | --all]", "tear a lab down (idempotent)"},
    {"exec", nsl_cmd_exec, "exec [-l LAB] NODE|LAB.NODE [--] CMD [ARG...]",
     "run a command inside a node"},
    {"status", nsl_cmd_status, "status [LAB] [--json]",
     "what is up: labs, nodes, holders, interfaces"},
    {"link", nsl_cmd_link, "link [-l LAB] NODE:IF down|up",
     "take a link down (its other end loses its carrier) or bring it back"},
    {"impair", nsl_cmd_impair,
     "impair [-l LAB] NODE:IF... [--delay T --loss P ...] | --clear | --reset",
     "change (or show) what the packets leaving an interface get, in place"},
    {"capture", nsl_cmd_capture, "capture [-l LAB] NODE:IF... [-w FILE|DIR|-] [-c N] [-p] [FILTER]",
     "capture packets on interfaces of nodes into pcap files"},
    {"validate", nsl_cmd_validate, "validate [--show] TOPO",
     "check a topology (no root, no kernel); --show prints the model"},
    {"graph", nsl_cmd_graph, "graph TOPO", "print the topology as Graphviz DOT"},
};

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: nslab COMMAND [ARGS...]\n\nnetwork-namespace labs from a topology file\n\n");
	for (size_t i = 0; i < NSL_ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-48s %s\n", commands[i].usage, commands[i].summary);
	fprintf(out, "\nnslab COMMAND --help shows one command's help.\n");
}

void nsl_cli_usage(const char *cmd)
{
	for (size_t c = 0; c < NSL_ARRAY_SIZE(commands); c++)
		if (!strcmp(commands[c].name, cmd))
			printf("usage: nslab %s\n%s\n", commands[c].usage, commands[c].summary);
}

int main(int argc, char **argv)
{
	if (argc < 2 || nsl_cli_is_help(argv[1]) || !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? NSL_EXIT_USAGE : NSL_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("nslab 0.2\n");
		return NSL_EXIT_OK;
	}
	for (size_t i = 0; i < NSL_ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name)) {
			/* Each command reads its own options, --help among them (exec's come only
			 * before NODE: what follows belongs to the command). */
			return commands[i].run(argc - 1, argv + 1);
		}
	nsl_cli_error("unknown command '%s' (try nslab --help)", argv[1]);
	return NSL_EXIT_USAGE;
}
