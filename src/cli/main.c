/* nslab's engine (nslab-engine.so): the command table, and the options every command takes.
 * The program (front.c) runs `exec` itself and loads this, with the libraries the other
 * commands link, only for them. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"

#ifndef NSL_VERSION
#error "NSL_VERSION (the Makefile's, from debian/changelog) is what the program checks us by"
#endif

/* The program loads only an engine of its own version (front.c): a NUL-terminated string, kept
 * so for programs of every version to compare. */
__attribute__((visibility("default"))) const char nsl_engine_version[] = NSL_VERSION;

static const struct nsl_command commands[] = {
    {"up", nsl_cmd_up, "up TOPO [--name LAB] [--host HOST] [--dry-run] [--timing] [--json]",
     "build a lab; on any failure nothing is left"},
    {"apply", nsl_cmd_apply, "apply TOPO [--name LAB] [--dry-run [--from OLD]] [--recreate]",
     "change a lab that is up to match its edited topology: only the difference"},
    {"down", nsl_cmd_down, "down [--keep-fs] [LAB | TOPO | --all] [--host HOST]",
     "tear a lab down (idempotent); --keep-fs keeps the nodes' own file systems"},
    {"exec", nsl_cmd_exec, NSL_EXEC_USAGE, NSL_EXEC_SUMMARY},
    {"status", nsl_cmd_status, "status [LAB] [--json]",
     "what is up: labs, nodes, holders, interfaces"},
    {"link", nsl_cmd_link, "link [-l LAB] NODE:IF down|up",
     "take a link down (its other end loses its carrier) or bring it back"},
    {"impair", nsl_cmd_impair,
     "impair [-l LAB] NODE:IF... [--delay T --loss P ...] | --clear | --reset",
     "change (or show) what the packets leaving an interface get, in place"},
    {"capture", nsl_cmd_capture, "capture [-l LAB] NODE:IF... [-w FILE|DIR|-] [-c N] [-p] [FILTER]",
     "capture packets on interfaces of nodes into pcap files"},
    {"validate", nsl_cmd_validate, "validate [--show] [--root | --rootless] [--json] TOPO",
     "check a topology (no root, no kernel) for a lab of this user (root's, or a rootless one) "
     "or of the one named; --show prints the model"},
    {"graph", nsl_cmd_graph, "graph [--format dot|mermaid] [--mermaid] TOPO",
     "print the topology as Graphviz DOT or Mermaid"},
    {"test", nsl_cmd_test, "test [LAB|TOPO] [--name LAB] [--junit FILE] [--json] [-j N]",
     "run the topology's checks against its lab: TAP on stdout, JUnit XML, JSON"},
    {"run", nsl_cmd_run,
     "run TOPO [--name LAB] [--host HOST] [--test] [--junit FILE] [--json] [-j N] [--] [CMD...]",
     "up, the checks and/or CMD (in the host, NSLAB_LAB set), then down whatever happens"},
    {"wait", nsl_cmd_wait, "wait [--interval D] [--timeout D] [-q] LAB NODE|LAB.NODE [--] CMD...",
     "re-run CMD in the node until it exits 0 (default every 100ms, at most 30s)"},
};

/* How main.c treats the options every command takes, for the commands that differ. */
#define CMD_JSON 0x1 /* takes --json: one JSON document on stdout, errors included */
#define CMD_RAW 0x2  /* reads -q/-v itself: its arguments carry a command of their own */
static const struct {
	const char *name;
	unsigned flags;
} traits[] = {
    {"up", CMD_JSON},  {"status", CMD_JSON}, {"validate", CMD_JSON},
    {"exec", CMD_RAW}, {"run", CMD_RAW},     {"wait", CMD_RAW},
};

static unsigned traits_of(const char *cmd)
{
	for (size_t i = 0; i < NSL_ARRAY_SIZE(traits); i++)
		if (!strcmp(traits[i].name, cmd))
			return traits[i].flags;
	return 0;
}

static void usage(FILE *out)
{
	int width = 0;

	fprintf(out, "usage: nslab [-q | -v] COMMAND [ARGS...]\n\nnetwork-namespace labs from a "
	             "topology file\n\n");
	for (size_t i = 0; i < NSL_ARRAY_SIZE(commands); i++)
		if ((int)strlen(commands[i].usage) > width)
			width = (int)strlen(commands[i].usage);
	for (size_t i = 0; i < NSL_ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-*s  %s\n", width, commands[i].usage, commands[i].summary);
	fprintf(
	    out,
	    "\noptions of every command (before or after it):\n"
	    "  -q, --quiet      errors only (and the data asked for)\n"
	    "  -v, --verbose    say more: what was done, with timings\n"
	    "  -h, --help       this help, or one command's (nslab COMMAND --help)\n"
	    "  --version        nslab's version (in place of a command: nslab --version)\n"
	    "\nman nslab: every command, option and exit status; man nslab-topology: the file.\n");
}

void nsl_cli_usage(const char *cmd)
{
	for (size_t c = 0; c < NSL_ARRAY_SIZE(commands); c++)
		if (!strcmp(commands[c].name, cmd))
			nsl_cli_print_usage(commands[c].usage, commands[c].summary);
}

/* The options every command takes, wherever they stand before a "--": -q and -v (taken out
 * of argv, unless the command reads them itself) and --json (left for the command, which
 * takes it; seen here so that even a bad command line is answered in JSON). */
static int common_options(const struct nsl_command *c, int argc, char **argv)
{
	unsigned flags = traits_of(c->name);
	int k = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < argc)
				argv[k++] = argv[i++];
			break;
		}
		if ((flags & CMD_JSON) && !strcmp(argv[i], "--json"))
			nsl_cli_json_begin(c->name);
		if (!(flags & CMD_RAW) && nsl_cli_common_opt(argv[i]))
			continue;
		argv[k++] = argv[i];
	}
	argv[k] = NULL;
	return k;
}

__attribute__((visibility("default"))) int nsl_engine_main(int argc, char **argv)
{
	int first = 1;

	/* nslab -q up ...: the options of every command also stand before it. */
	while (first < argc && nsl_cli_common_opt(argv[first]))
		first++;
	if (first >= argc || nsl_cli_is_help(argv[first]) || !strcmp(argv[first], "help")) {
		usage(first >= argc ? stderr : stdout);
		return first >= argc ? NSL_EXIT_USAGE : NSL_EXIT_OK;
	}
	if (!strcmp(argv[first], "__complete"))
		return nsl_cmd_complete(argc - first, argv + first);
	for (size_t i = 0; i < NSL_ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[first], commands[i].name)) {
			/* Each command reads its own options, --help among them (exec's come only
			 * before NODE: what follows belongs to the command). */
			int n = common_options(&commands[i], argc - first, argv + first);
			return nsl_cli_json_end(commands[i].run(n, argv + first));
		}
	nsl_cli_error("unknown command '%s' (try nslab --help)", argv[first]);
	return NSL_EXIT_USAGE;
}
