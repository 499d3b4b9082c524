/* state.json: what a lab that is up is made of, written once by `up` at commit and read by
 * exec, status and the commands that act on a running lab. This module owns the format
 * (typed, versioned, round-trip tested). Pure: no I/O. */
#ifndef NSL_LABSTATE_H
#define NSL_LABSTATE_H

#include <stdint.h>
#include <sys/types.h>

#include "base/util.h"
#include "model/topology.h"

#define NSL_LABSTATE_VERSION 1

struct nsl_labstate_node {
	char name[NSL_NAME_MAX + 1];
	char hostname[65];
	pid_t pid;
	uint64_t start_time;
	uint64_t netns_dev, netns_ino;
	char **env; /* "K=V" */
	size_t n_env;
	unsigned namespaces;      /* NSL_NS_*: entered by every command run in the node */
	char *root;               /* "host", "overlay" or the tree (malloc'd; NULL: "host") */
	struct nsl_limits limits; /* set: the node has a cgroup of its own */
	char *cgroup;             /* its path (malloc'd), NULL when none */
	uint32_t
	    uid_base; /* "user": its user namespace's root on the host ("userns_uid"), 0 none */
};

/* A node another machine builds (a lab over several hosts). */
struct nsl_labstate_remote {
	char name[NSL_NAME_MAX + 1];
	char host[NSL_NAME_MAX + 1];
};

/* A rootless lab's keeper: the process that owns the lab's user and mount namespaces. */
struct nsl_labstate_keeper {
	pid_t pid; /* 0: none, the lab is root's */
	uint64_t start_time;
	uint64_t userns_dev, userns_ino;
};

struct nsl_labstate {
	int version;
	char name[NSL_NAME_MAX + 1];
	char *topology;  /* absolute path of the file it was built from */
	char sha256[65]; /* of that file's text as it was read (a copy is in the lab's directory) */
	unsigned generation; /* 1 after up, one more after each apply */
	struct nsl_labstate_node *nodes;
	size_t n_nodes;
	struct nsl_labstate_keeper keeper; /* rootless labs only ("keeper" in the file) */
	char host[NSL_NAME_MAX + 1]; /* a lab over several hosts: the part built here ("" none) */
	struct nsl_labstate_remote *elsewhere; /* then the nodes of the other hosts */
	size_t n_elsewhere;
};

/* Text of a state (malloc'd). */
int nsl_labstate_format(const struct nsl_labstate *s, char **ret, struct nsl_err *err) NSL_MUST_USE;
/* Parse; a version newer than this nslab reads is an error that says so. */
int nsl_labstate_parse(const char *text, struct nsl_labstate *ret,
                       struct nsl_err *err) NSL_MUST_USE;
void nsl_labstate_free(struct nsl_labstate *s);
/* A node by name, NULL if none. */
const struct nsl_labstate_node *nsl_labstate_node(const struct nsl_labstate *s, const char *name);

#endif
