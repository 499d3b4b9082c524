/* The command-line layer: one file per command, one table in main.c (the engine's entry
 * point), shared helpers in cli.c (those that read a topology in cli_load.c), and the program
 * itself in front.c, which runs `exec` and loads the engine for the rest. Only this layer
 * prints; it prints each error once. */
#ifndef NSL_CLI_H
#define NSL_CLI_H

#include <stdbool.h>

#include "model/topology.h"

/* Exit statuses shared by every command (the README's table). */
#define NSL_EXIT_OK 0
#define NSL_EXIT_FAIL 1    /* the command failed; nothing was left behind */
#define NSL_EXIT_USAGE 2   /* bad command line */
#define NSL_EXIT_NSLAB 125 /* exec, wait, test, run: nslab itself failed (lab not up...) */

/* Exit statuses of `nslab exec` (the command's own status otherwise, 128+N for signal N). */
#define NSL_EXIT_EXEC_NSLAB 125    /* nslab itself failed: no command ran */
#define NSL_EXIT_EXEC_CANNOT 126   /* the command exists and cannot be executed */
#define NSL_EXIT_EXEC_NOTFOUND 127 /* the command was not found */

struct nsl_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
	const char *summary;
};

/* exec's usage and summary: the engine's command table, and `nslab exec --help`, which the
 * program answers without the engine. */
#define NSL_EXEC_USAGE "exec [-l LAB] NODE|LAB.NODE [--] CMD [ARG...]"
#define NSL_EXEC_SUMMARY "run a command inside a node"

/* The engine's entry point (main.c, in nslab-engine.so, its one exported symbol): every
 * command, from the program's argv as main got it (front.c). */
int nsl_engine_main(int argc, char **argv);

int nsl_cmd_up(int argc, char **argv);
int nsl_cmd_down(int argc, char **argv);
int nsl_cmd_apply(int argc, char **argv);
int nsl_cmd_exec(int argc, char **argv);
int nsl_cmd_status(int argc, char **argv);
int nsl_cmd_validate(int argc, char **argv);
int nsl_cmd_graph(int argc, char **argv);
int nsl_cmd_complete(int argc, char **argv); /* hidden: for the shell completion scripts */
int nsl_cmd_test(int argc, char **argv);
int nsl_cmd_wait(int argc, char **argv);
int nsl_cmd_run(int argc, char **argv);
int nsl_cmd_link(int argc, char **argv);
int nsl_cmd_impair(int argc, char **argv);
int nsl_cmd_capture(int argc, char **argv);

/* `nslab test` and `nslab run --test` (cmd_test.c). */
struct nsl_test_opts {
	const char *junit; /* --junit FILE */
	bool json;         /* --json: JSON on stdout instead of TAP */
	unsigned jobs;     /* -j N: checks at a time (0: the default) */
};
/* Run t's checks against lab LAB (topo: the file, for reports); prints TAP or JSON and writes
 * JUnit; the exit status (0 all passed, 1 some did not, 125 could not run, 128+N signal). */
int nsl_cli_test(const struct nsl_topology *t, const char *lab, const char *topo,
                 const struct nsl_test_opts *o);
/* A test option at argv[*i] (consuming its value): true if it was one; *bad when its value is
 * wrong (printed). */
bool nsl_cli_test_option(int argc, char **argv, int *i, struct nsl_test_opts *o, bool *bad);
/* SIGINT, SIGTERM and SIGHUP set nsl_interrupted (to the signal's number), or back to the
 * defaults. */
void nsl_cli_catch_signals(bool on);

/* Prints "nslab: " + message to stderr; with --json, one object of the document's errors. */
void nsl_cli_error(const char *fmt, ...) NSL_PRINTF(1, 2);
/* Prints a command's usage line and summary to stdout (main.c has the table). */
void nsl_cli_usage(const char *cmd);
/* Prints "usage: nslab USAGE" and the summary on stdout. */
void nsl_cli_print_usage(const char *usage, const char *summary);
/* Whether an argument asks for help. */
bool nsl_cli_is_help(const char *arg);
/* Load and validate a topology, printing every problem; NULL if any. */
struct nsl_topology *nsl_cli_load(const char *path);
/* The same for a lab to build, root's or rootless (a user other than root builds it): what
 * such a lab cannot have is a problem too (keys that need the host, for a rootless lab). */
struct nsl_topology *nsl_cli_load_lab(const char *path, bool rootless);
/* The part of a lab over several hosts ("hosts") this machine builds: --host's (opt), else
 * $NSLAB_HOST's, else the host named like this machine (its hostname or the hostname's first
 * label); a file of one host is that host's. t becomes that part (nsl_topology_part), its VNIs
 * derived under the name lab. A file without "hosts" stays as it is, and --host is refused.
 * 0, or -EINVAL with the problem printed (cmd names the command). */
int nsl_cli_part(struct nsl_topology *t, const char *opt, const char *lab, const char *cmd);
/* --host H or --host=H at argv[*i] (consuming its value): true if it was one. */
bool nsl_cli_host_option(int argc, char **argv, int *i, const char **ret);
/* A lab named on the command line: a lab name, or (if files are allowed) a topology file
 * that names its lab, when the argument has a '/' or ends in .json, .yaml or .yml. Prints
 * the problem; -EINVAL. */
int nsl_cli_lab_arg(const char *arg, bool file_ok, char *buf, size_t size);
/* A lab's name alone (nsl_cli_lab_arg without files): prints the problem; -EINVAL. */
int nsl_cli_lab_name(const char *arg, char *buf, size_t size);
/* The labs that are up; prints the problem. */
int nsl_cli_labs(char ***ret, size_t *ret_n);
/* The lab to use when none is named: the only one that is up. */
int nsl_cli_only_lab(char *buf, size_t size);
/* The lab of commands that name interfaces as NODE:IF: lab (from -l) if set, else the one
 * that "LAB.NODE:IF" names (all alike; the "LAB." is cut off in place), else the only lab
 * that is up. Prints the problem; -EINVAL. */
int nsl_cli_end_lab(const char *cmd, char *lab, size_t size, char **specs, size_t n);
#endif
