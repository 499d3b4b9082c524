/* The command-line layer: one file per command, one table in main.c, shared helpers in
 * cli.c. Only this layer prints; it prints each error once. */
#ifndef NSL_CLI_H
#define NSL_CLI_H

#include <stdbool.h>

#include "model/topology.h"

/* Exit statuses shared by every command (the README's table). */
#define NSL_EXIT_OK 0
#define NSL_EXIT_FAIL 1  /* the command failed; nothing was left behind */
#define NSL_EXIT_USAGE 2 /* bad command line */

struct nsl_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
	const char *summary;
};

int nsl_cmd_up(int argc, char **argv);
int nsl_cmd_down(int argc, char **argv);
int nsl_cmd_exec(int argc, char **argv);
int nsl_cmd_status(int argc, char **argv);
int nsl_cmd_validate(int argc, char **argv);
int nsl_cmd_graph(int argc, char **argv);
int nsl_cmd_link(int argc, char **argv);
int nsl_cmd_impair(int argc, char **argv);
int nsl_cmd_capture(int argc, char **argv);

/* Prints "nslab: " + message to stderr. */
void nsl_cli_error(const char *fmt, ...) NSL_PRINTF(1, 2);
/* Prints a command's usage line and summary to stdout (main.c has the table). */
void nsl_cli_usage(const char *cmd);
/* Whether an argument asks for help. */
bool nsl_cli_is_help(const char *arg);
/* Load and validate a topology, printing every problem; NULL if any. */
struct nsl_topology *nsl_cli_load(const char *path);
/* A lab named on the command line: a lab name, or (if files are allowed) a topology file
 * that names its lab, when the argument has a '/' or ends in .json, .yaml or .yml. Prints
 * the problem; -EINVAL. */
int nsl_cli_lab_arg(const char *arg, bool file_ok, char *buf, size_t size);
/* The labs that are up; prints the problem. */
int nsl_cli_labs(char ***ret, size_t *ret_n);
/* The lab to use when none is named: the only one that is up. */
int nsl_cli_only_lab(char *buf, size_t size);
/* The lab of commands that name interfaces as NODE:IF: lab (from -l) if set, else the one
 * that "LAB.NODE:IF" names (all alike; the "LAB." is cut off in place), else the only lab
 * that is up. Prints the problem; -EINVAL. */
int nsl_cli_end_lab(const char *cmd, char *lab, size_t size, char **specs, size_t n);
#endif
