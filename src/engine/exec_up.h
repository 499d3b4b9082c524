/* The `exec` commands of a node, run by `up` once the lab is built. */
#ifndef NSL_EXEC_UP_H
#define NSL_EXEC_UP_H

#include "base/util.h"
#include "model/topology.h"

/* Run node->exec[index] inside the node of the holder behind pidfd, stdin from /dev/null,
 * output appended to log_fd, and wait for it. A non-zero status is an error that shows the
 * end of the log. Daemons it starts live on in the node. */
int nsl_exec_at_up(int pidfd, const struct nsl_node *node, size_t index, int log_fd,
                   struct nsl_err *err) NSL_MUST_USE;
/* The end of a log file into buf, trailing newlines cut. */
void nsl_log_tail(int log_fd, char *buf, size_t size);

#endif
