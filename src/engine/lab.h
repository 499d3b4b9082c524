/* A lab that is up, as the commands that act on it see it: its state read once (state.json,
 * under the lab's shared lock), each node's holder opened by pidfd and checked by its start
 * time, never reached by a bare PID. */
#ifndef NSL_LAB_H
#define NSL_LAB_H

#include <sys/types.h>

#include "base/util.h"
#include "model/topology.h"

struct nsl_lab_node {
	char name[NSL_NAME_MAX + 1];
	pid_t pid;
	uint64_t start_time;
	int pidfd;    /* -1 until opened */
	int netns_fd; /* -1 until opened */
	char **env;   /* "K=V", NULL-terminated */
	size_t n_env;
};

struct nsl_lab {
	char name[NSL_NAME_MAX + 1];
	char *topology; /* the absolute path of the file it was built from */
	char *text;     /* that file's text as up read it (kept with the lab), or NULL */
	size_t text_len;
	struct nsl_lab_node *nodes;
	size_t n_nodes;
	char host[NSL_NAME_MAX + 1]; /* a lab over several hosts: the part built here ("" none) */
};

/* Read LAB's state (and, with text, the topology kept with it): -ENOENT (not up), -EAGAIN
 * (still being built), or 0. */
int nsl_lab_open(const char *lab, bool text, struct nsl_lab *ret, struct nsl_err *err) NSL_MUST_USE;
/* A node by name, NULL if the lab has none. */
struct nsl_lab_node *nsl_lab_node(struct nsl_lab *l, const char *name);
/* Open a node's holder (its pidfd, checked) and its network namespace; -ESRCH when the holder
 * is gone. Idempotent. */
int nsl_lab_node_open(const struct nsl_lab *l, struct nsl_lab_node *n,
                      struct nsl_err *err) NSL_MUST_USE;
void nsl_lab_close(struct nsl_lab *l);
/* Names of the labs that are up (state directories); free with nsl_strv_free. */
int nsl_lab_list(char ***ret, size_t *ret_n, struct nsl_err *err) NSL_MUST_USE;

#endif
