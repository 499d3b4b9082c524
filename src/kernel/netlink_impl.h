/* Shared by the files of the route-netlink door (netlink*.c), not by its callers. */
#ifndef NSL_NETLINK_IMPL_H
#define NSL_NETLINK_IMPL_H

#include <linux/netlink.h>

#include "kernel/netlink.h"

/* One request answered at once: a get (an object, then an ACK) or a dump (objects, then
 * DONE); fn sees each object. absent: an errno that means "no such object", which is an
 * answer (0), not an error. Flushes what was queued first. */
typedef int (*nsl_nl_reply_fn)(const struct nlmsghdr *h, void *arg);
int nsl_nl_request_sync(struct nsl_nl *nl, struct nl_msg *msg, bool dump, int absent,
                        nsl_nl_reply_fn fn, void *arg, const char *what, struct nsl_err *err);

/* An RTM_*LINK message with its ifinfomsg. */
struct nl_msg *nsl_nl_link_msg(int type, int flags, int ifindex, unsigned ifflags, unsigned change);

#endif
