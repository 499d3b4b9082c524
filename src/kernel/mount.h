/* Mounts inside a node's own mount namespace (called by its holder). */
#ifndef NSL_MOUNT_H
#define NSL_MOUNT_H

#include "base/util.h"
#include "model/topology.h"

/* Make the whole tree private: later mounts of the host must not reach the node. */
int nsl_mount_private_root(void);
/* A /proc of the node's PID namespace, and a /sys of its network namespace. */
int nsl_mount_proc(void);
int nsl_mount_sysfs(void);
/* One of the node's `mounts`: a bind of a host path or a tmpfs, read-only if asked. */
int nsl_mount_node(const struct nsl_mount *m);

#endif
