/* Running commands inside a node (nslab exec). */
#ifndef NSL_EXEC_H
#define NSL_EXEC_H

#include "engine/lab.h"

struct nsl_node_ref {
	pid_t pid;
	int pidfd;     /* the holder, checked by start time */
	char *env[64]; /* the node's env, "K=V" */
	size_t n_env;
};

/* Find NODE of LAB and open its holder. */
int nsl_node_find(const char *lab, const char *node, struct nsl_node_ref *ret,
                  struct nsl_err *err) NSL_MUST_USE;
void nsl_node_ref_free(struct nsl_node_ref *r);
/* Join the node's net, mount, UTS and PID (for children) namespaces. */
int nsl_node_enter(const struct nsl_node_ref *r, struct nsl_err *err) NSL_MUST_USE;
/* Enter, fork, exec argv; forward signals; return the exit status (128+N on signal N), or a
 * negative errno for an nslab error. */
int nsl_node_run(const struct nsl_node_ref *r, char **argv, const char *cwd, struct nsl_err *err);

#endif
