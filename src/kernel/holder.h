/* Holders: one process per node, PID 1 of the node's PID namespace, keeping its network,
 * mount and UTS namespaces alive. A holder sets its node up from the inside (private mounts,
 * /proc, /sys, hostname, defaults, early sysctls, the node's mounts, the ownership mark on
 * lo), reports on a shared pipe, then reaps orphans. Until `up` commits, a holder dies by
 * itself if `up` dies (its lifeline pipe reaches EOF), so a killed `up` leaves no namespace
 * behind. Each holder is reached through a pidfd from its birth. */
#ifndef NSL_HOLDER_H
#define NSL_HOLDER_H

#include <sys/types.h>

#include "kernel/ns.h"
#include "model/topology.h"

/* What a holder sets up in its node. */
struct nsl_holder_spec {
	const char *name; /* the node, for messages */
	const char *hostname;
	const char *mark; /* lo's alias: proof, inside the namespace, that nslab made it */
	const struct nsl_sysctl **sysctls; /* written before any interface exists */
	size_t n_sysctls;
	const struct nsl_mount *mounts;
	size_t n_mounts;
	/* Its file system: the kind, the tree, its directory in the lab's state (made by the
	 * caller; NULL for a node on the host's file system), the lab's /etc/hosts (a file,
	 * bound read-only), on the host's file system the file its /etc/hostname is written in
	 * (and bound from). */
	enum nsl_rootfs_kind rootfs;
	const char *tree;
	const char *dir;
	const char *hosts_file;
	const char *hostname_file;
	const char *state_root; /* where the labs' state lives (/run/nslab, or a user's own) */
	unsigned namespaces;    /* NSL_NS_*: more than net, mnt, pid and uts */
	int64_t time_monotonic, time_boottime;
	int cgroup_fd; /* the node's cgroup (born in it), -1: ours */
	/* A user namespace of its own ("user"): its root is host uid and gid uid_base, for
	 * NSL_UID_COUNT ids (engine/uidpool.h); 0: none. uid_lock_fd: what the holder keeps
	 * open for its life (the range's lock), -1: none. */
	uint32_t uid_base;
	int uid_lock_fd;
};

/* How many ids a node's user namespace maps. */
#define NSL_HOLDER_UID_COUNT 65536u

struct nsl_holder {
	pid_t pid;
	int pidfd;
	uint64_t start_time;
	int netns_fd;
	struct nsl_ns_id netns;
	int max_ifindex; /* the highest interface index the namespace was born with */
};

struct nsl_holders {
	struct nsl_holder *h; /* one per spec, in order */
	size_t n;
	int lifeline_w; /* write end: one byte per holder commits it */
	/* Set by the caller before nsl_holders_spawn (or left NULL): called in this process
	 * while holders are cloned, with about how many are started so far. */
	void (*progress)(void *arg, size_t started, size_t total);
	void *progress_arg;
	/* Set by the caller before nsl_holders_spawn (or left 0): a descriptor of ours (> 2)
	 * each holder keeps open until it is committed or gone, so that whoever watches it
	 * (`nslab run`'s reaper, on its pipe) sees its end only once no uncommitted holder is
	 * left: a holder the journal does not know yet dies of up's death, but not at once. */
	int witness_fd;
};

/* Start a holder for each spec and wait until every one is ready. On failure, every holder
 * started is killed and err names the node and the step. */
int nsl_holders_spawn(const struct nsl_holder_spec *specs, size_t n, struct nsl_holders *hs,
                      struct nsl_err *err) NSL_MUST_USE;
/* Tell the holders that up succeeded: from now on they outlive nslab. */
int nsl_holders_commit(struct nsl_holders *hs, struct nsl_err *err) NSL_MUST_USE;
/* SIGKILL every holder and wait until they are gone (bounded); closes their fds. */
void nsl_holders_kill(struct nsl_holders *hs);
void nsl_holders_free(struct nsl_holders *hs);

/* The name holders carry (comm), how the residue checks recognise them. */
#define NSL_HOLDER_COMM "nslab-holder"

#endif
