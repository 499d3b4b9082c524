/* The holder's own requests to its node's kernel, made from inside the node (holder_node.c);
 * for holder.c only. Each returns 0 or -errno (highest_ifindex: the index). */
#ifndef NSL_HOLDER_IMPL_H
#define NSL_HOLDER_IMPL_H

#include "kernel/holder.h"

int nsl_holder_lo_up(void);
/* lo's alias set to mark by rtnetlink (its sysfs file may be closed to a node's own root) */
int nsl_holder_lo_mark(const char *mark);
int nsl_holder_highest_ifindex(void);
/* a time namespace with the node's offsets, joined */
int nsl_holder_time_ns(const struct nsl_holder_spec *s);

#endif
