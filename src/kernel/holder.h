/* Holders: one process per node, PID 1 of the node's PID namespace, keeping its network,
 * mount and UTS namespaces alive. Until `up` commits, a holder dies by itself if `up` dies
 * (its lifeline pipe reaches EOF), so a killed `up` cannot leave orphan namespaces. */
#ifndef NSL_HOLDER_H
#define NSL_HOLDER_H

#include "engine/lab.h"

struct nsl_holders {
	struct nsl_holder *h; /* one per node, in topology order */
	size_t n;
	int lifeline_w; /* write end: one byte per holder commits it */
};

/* Spawn a holder for every node and wait until all are ready (mount tree private, own
 * /proc and /sys, hostname, defaults and early sysctls, node mounts). On failure, every
 * holder spawned is killed and err names the node and the step. */
int nsl_holders_spawn(const struct nsl_topology *t, struct nsl_holders *hs,
                      struct nsl_err *err) NSL_MUST_USE;
/* Tell the holders that up succeeded: from now on they outlive nslab. */
int nsl_holders_commit(struct nsl_holders *hs, struct nsl_err *err) NSL_MUST_USE;
/* SIGKILL every holder (pidfd) and wait until they are gone (bounded); closes fds. */
void nsl_holders_kill(struct nsl_holders *hs);
void nsl_holders_free(struct nsl_holders *hs);

/* Make /run/netns a mount point of its own, as iproute2 does. */
int nsl_netns_dir_prepare(struct nsl_err *err) NSL_MUST_USE;

/* Whether a sysctl key names one of this node's interfaces (applied after links exist). */
bool nsl_sysctl_is_per_iface(const struct nsl_node *n, const char *key);
/* Write one sysctl in the caller's current network namespace. */
int nsl_sysctl_write(const char *key, const char *value, struct nsl_err *err) NSL_MUST_USE;
/* Write a whole small file (/proc/sys): 0 or -errno. */
int nsl_file_write(const char *path, const char *value) NSL_MUST_USE;
/* Read one; *ret is malloc'd, trailing newline removed. */
int nsl_sysctl_read(const char *key, char **ret, struct nsl_err *err) NSL_MUST_USE;

#endif
