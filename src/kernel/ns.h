/* Namespaces: their identity, entering one and coming back, and the binds under /run/netns
 * that name network namespaces for iproute2. Every setns() nslab makes for its own work goes
 * through here; failing to come back aborts, since every later call would land in a lab. */
#ifndef NSL_NS_H
#define NSL_NS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/util.h"

#define NSL_NETNS_DIR "/run/netns"

/* A namespace is named by the device and inode of its nsfs file. */
struct nsl_ns_id {
	uint64_t dev, ino;
};

/* Identity of the namespace behind an fd (an nsfs file); -EINVAL if it is no namespace. */
int nsl_ns_id_of_fd(int fd, struct nsl_ns_id *ret);
bool nsl_ns_id_eq(const struct nsl_ns_id *a, const struct nsl_ns_id *b);
/* Whether id is the network namespace of this process or of PID 1: the host's own. */
bool nsl_netns_is_host(const struct nsl_ns_id *id);
/* The PID behind a pidfd (its fdinfo's "Pid:"), or -1. */
pid_t nsl_pidfd_pid(int pidfd);

/* Call fn(arg) inside the network namespace of netns_fd (-1: here), then come back. */
int nsl_netns_call(int netns_fd, int (*fn)(void *arg), void *arg);

/* Why a user may not have made a user namespace (EPERM, ENOSPC, EUSERS), for messages. */
#define NSL_USERNS_HINT                                                                            \
	" (not from inside a chroot; and unprivileged user namespaces must be allowed: see "       \
	"/proc/sys/user/max_user_namespaces and, on some kernels, "                                \
	"kernel.unprivileged_userns_clone)"

/* Call fn(arg, err) in a child of ours inside a new, empty network namespace that dies with
 * it, and hand back its result and error: for a probe of the kernel. A caller that may not
 * make a network namespace (a user) gets one inside a new user namespace of the child's own,
 * where it has every power over that network namespace and none outside. */
int nsl_netns_call_throwaway(int (*fn)(void *arg, struct nsl_err *err), void *arg,
                             struct nsl_err *err);
/* A socket created inside the network namespace of netns_fd (-1: here). */
int nsl_netns_socket(int netns_fd, int domain, int type, int protocol, struct nsl_err *err);

/* The namespaces of a node a command joins (setns on the holder's pidfd), every kind this
 * kernel has but PID (entered apart) and user: network, mount, UTS, IPC, cgroup, time. Where
 * the node has no namespace of a kind of its own it shares ours, and joining it changes
 * nothing: so every command, of every node, joins the same set. */
int nsl_ns_node_flags(void);
/* The namespaces a command joins to enter the node behind pidfd: nsl_ns_node_flags() less
 * the kinds the holder shares with us (it has none of its own: joining those changes
 * nothing, and one owned by a user namespace we are not root in (the host's, for a rootless
 * lab's node entered from inside the lab's user namespace) may not be joined at all); with
 * user, CLONE_NEWUSER too when the holder has a user namespace of its own (a node's "user",
 * in a lab of root's: a command joins it first, then becomes its root, nsl_become_ns_root).
 * Negative when it cannot be told (never taken as "no user namespace": the command would be
 * the host's root in the node); -ESRCH: the holder is gone. */
int nsl_ns_join_flags(int pidfd, bool user);
/* In a user namespace whose id maps are written: become its uid and gid 0, no supplementary
 * groups, keeping its capabilities. 0 or -errno. */
int nsl_become_ns_root(void);

/* Make /run/netns a mount point of its own, shared, as iproute2 does (a small tmpfs where
 * /run is not one). Idempotent; callers serialize it (the state root lock). */
int nsl_netns_dir_prepare(struct nsl_err *err) NSL_MUST_USE;
/* Bind the network namespace of netns_fd at path, which must not exist (never follows or
 * reuses a name). */
int nsl_netns_bind(int netns_fd, const char *path, struct nsl_err *err) NSL_MUST_USE;
/* Open a netns bind without following symlinks: 1 with *ret_fd and *ret_id when path is a
 * network namespace, 0 when it is absent or anything else (a plain file, a symlink, another
 * kind of namespace), negative on error. */
int nsl_netns_open_bound(const char *path, int *ret_fd, struct nsl_ns_id *ret_id);
/* Drop a bind and its file, never following a symlink. */
/* Removes path if it is the empty file a bind mount goes on, with nothing mounted there. */
void nsl_netns_drop_unbound(const char *path);
void nsl_netns_unbind(const char *path);

/* Holders are cloned from a private template mount namespace that lacks /run/netns, so a
 * clone does not copy other labs' binds; the caller comes back with nsl_mntns_leave. */
struct nsl_mntns_saved {
	int mnt, root, cwd;
};
int nsl_mntns_enter_template(struct nsl_mntns_saved *s) NSL_MUST_USE;
void nsl_mntns_leave(struct nsl_mntns_saved *s);

#endif
