/* A rootless lab's keeper. A user other than root may create a user namespace and, inside it,
 * every other kind of namespace: the keeper is a process cloned into a new user, mount and
 * network namespace, which owns everything the lab is made of. `up` joins the keeper's
 * namespaces (it is root there: the user's id maps to 0, and, where newuidmap/newgidmap and a
 * range of /etc/subuid and /etc/subgid exist, 1.. map to that range) and builds the lab from
 * there: holders cloned inside are owned by the lab's user namespace, netns binds live in the
 * keeper's mount namespace only, veths are created through a socket of the keeper's network
 * namespace. Nothing of the host changes.
 *
 * Like a holder, until `up` commits the keeper exits when `up` dies (its lifeline pipe reaches
 * EOF); after, it lives until `down` kills it. It is named by its PID and start time and held
 * by a pidfd. Its mark, for a `down` that lost the lab's state: it listens on the abstract
 * unix socket "nslab/UID/LAB" of the host's network namespace; whoever answers there is
 * believed only when the kernel says (SO_PEERCRED) it runs as the same user, it is still the
 * one that answered after its pidfd was opened, its name is nslab-keeper and its user
 * namespace is a child of ours owned by the same user. */
#ifndef NSL_KEEPER_H
#define NSL_KEEPER_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/util.h"
#include "kernel/ns.h"
#include "model/topology.h"

#define NSL_KEEPER_COMM "nslab-keeper"

struct nsl_keeper {
	pid_t pid; /* 0: none */
	int pidfd;
	uint64_t start_time;
	struct nsl_ns_id userns;
	int lifeline_w; /* until commit */
	bool subids;    /* a subordinate id range is mapped beside the user's own id */
	struct {
		pid_t pid; /* 0: none */
		int pidfd;
		uint64_t start_time;
	} uplink; /* slirp4netns, when the lab has host.uplink */
};

/* Start LAB's keeper and map the user's ids into its user namespace (newuidmap/newgidmap
 * with the user's subordinate ranges when both exist, else the user's own id alone). Fails
 * when the mark is taken (a keeper of a lab whose state was lost, most likely). hold_w (or
 * -1): a pipe's write end the keeper keeps open as long as it lives. */
int nsl_keeper_start(const char *lab, int hold_w, struct nsl_keeper *k,
                     struct nsl_err *err) NSL_MUST_USE;
/* The lab's uplink: slirp4netns, run as the user in the host's namespaces, gives the keeper's
 * network namespace (the lab's host) the interface NSL_UPLINK_IFNAME in NSL_UPLINK_PREFIX, with
 * a default route to the host's networks; it exits when exit_r (the read end of the keeper's
 * hold pipe) says the keeper is gone. Its output goes to log_fd. Before joining the keeper:
 * it must be started from the host. Waits until the interface is up (at most 10 s). */
int nsl_keeper_uplink(struct nsl_keeper *k, int exit_r, int log_fd,
                      struct nsl_err *err) NSL_MUST_USE;
/* The uplink of (pid, start_time), into ret->uplink: 1, or 0 if it is gone. */
int nsl_uplink_open(pid_t pid, uint64_t start_time, struct nsl_keeper *ret);
/* Join the keeper's user, mount and network namespaces for good (the caller must be single
 * threaded), staying in the current directory; make its mount tree private. */
int nsl_keeper_join(const struct nsl_keeper *k, struct nsl_err *err) NSL_MUST_USE;
/* up succeeded: the keeper outlives it. */
int nsl_keeper_commit(struct nsl_keeper *k, struct nsl_err *err) NSL_MUST_USE;
/* SIGKILL the keeper and wait until it is gone (bounded); closes its fds. */
void nsl_keeper_kill(struct nsl_keeper *k);
void nsl_keeper_free(struct nsl_keeper *k);

/* LAB's keeper, the calling user's, found by its mark: 1 with *ret (pid, pidfd, start time,
 * user namespace; no lifeline), 0 when none answers or the one that does is not provably
 * ours. */
int nsl_keeper_find(const char *lab, struct nsl_keeper *ret);
/* The keeper of (pid, start_time), through a pidfd: 1 with *ret, 0 if it is gone. */
int nsl_keeper_open(pid_t pid, uint64_t start_time, struct nsl_keeper *ret);

#endif
