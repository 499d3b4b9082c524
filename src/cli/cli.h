/* The command-line layer: one file per command, one table in main.c. Only this layer
 * prints; it prints each error once. */
#ifndef NSL_CLI_H
#define NSL_CLI_H

#include "model/topology.h"

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

/* Prints "nslab: " + message to stderr. */
void nsl_cli_error(const char *fmt, ...) NSL_PRINTF(1, 2);
/* Whether argv[i] asks for help; prints the command's usage then. */
bool nsl_cli_help(const char *cmd, int argc, char **argv);
/* Load and validate a topology, printing every problem; NULL if any. */
struct nsl_topology *nsl_cli_load(const char *path);

int nsl_cli_labs(char ***ret, size_t *ret_n);
int nsl_cli_lab_arg(const char *arg, char *buf, size_t size);
/* The lab to use when none is named: the only one that is up. */
int nsl_cli_only_lab(char *buf, size_t size);
#endif
