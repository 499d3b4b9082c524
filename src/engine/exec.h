/* Entering a node: `nslab exec`. */
#ifndef NSL_EXEC_H
#define NSL_EXEC_H

#include <sys/types.h>

#include "base/util.h"

struct nsl_node_ref {
	pid_t pid;
	int pidfd;  /* the holder, checked by its start time */
	char **env; /* the node's env, "K=V" */
	size_t n_env;
};

/* Find NODE of LAB in the lab's state and open its holder. */
int nsl_node_find(const char *lab, const char *node, struct nsl_node_ref *ret,
                  struct nsl_err *err) NSL_MUST_USE;
void nsl_node_ref_free(struct nsl_node_ref *r);
/* Run argv in the node (spawn door: its net, mount, UTS and PID namespaces, default signal
 * dispositions, an empty mask, only fds 0-2, ours), forward signals, wait; return the exit
 * status (128+N on signal N), or a negative errno for an nslab error. */
int nsl_node_run(const struct nsl_node_ref *r, char **argv, const char *cwd, struct nsl_err *err);

#endif
