/* Rootless labs, the engine's side (the keeper itself is kernel/keeper.h). A lab is rootless
 * when its state root is a user's (state/statedir.h): `up` starts the lab's keeper, journals
 * it and joins its namespaces before applying the plan; a node's network namespace is bound
 * under the lab's state directory (ROOT/LAB/netns/NODE), inside the keeper's mount namespace
 * only, where /run/netns/LAB.NODE would be for root. */
#ifndef NSL_ROOTLESS_H
#define NSL_ROOTLESS_H

#include "kernel/keeper.h"
#include "kernel/netlink.h"
#include "state/labstate.h"
#include "state/statedir.h"

/* Where a node's network namespace is bound: /run/netns/LAB.NODE, or ROOT/LAB/netns/NODE. */
void nsl_lab_netns_path(const struct nsl_statedir *sd, const char *node, char *buf, size_t size);

/* up, rootless: start LAB's keeper (a step), journal it, with the lab's uplink when it has
 * one (slirp4netns, journaled too; the keeper's network namespace is then the lab's host: it
 * forwards, and masquerades what leaves by the uplink), join its namespaces, and open *inner,
 * the socket of the keeper's network namespace through which links (and host ends) are
 * created. On failure what was started is left to the caller's rollback (it is journaled, or
 * dies with up). */
int nsl_rootless_enter(struct nsl_statedir *sd, struct nsl_keeper *k, enum nsl_uplink uplink,
                       struct nsl_nl *inner, struct nsl_err *err) NSL_MUST_USE;
/* The directory of the lab's binds, made before the first bind. */
int nsl_rootless_netns_dir(struct nsl_statedir *sd, struct nsl_err *err) NSL_MUST_USE;

/* Join, for good, the user, mount and network namespaces of a rootless lab's keeper (the
 * state's: its PID and start time, through a pidfd, and its user namespace the one recorded):
 * from then on the caller sees the lab as root sees its own (the binds under ROOT/LAB/netns/,
 * the lab's host) and may change it (`nslab link`, `impair`, `capture`). The caller must be
 * single threaded; its descriptors (the lab's lock) stay. */
int nsl_rootless_join_lab(const struct nsl_statedir *sd, const struct nsl_labstate_keeper *k,
                          struct nsl_err *err) NSL_MUST_USE;

/* Join, for good, the user and network namespaces of a holder of a rootless lab (pidfd): from
 * then on the caller may enter the lab's other namespaces and come back (a status reading the
 * nodes' interfaces). */
int nsl_rootless_join_holder(int pidfd, struct nsl_err *err) NSL_MUST_USE;

#endif
