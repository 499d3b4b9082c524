/* Readiness: `up` returns a usable lab. The kernel's link work is asynchronous (carrier,
 * operstate, the link-local address come a moment after the request), so `up` waits, bounded,
 * until every interface the plan names is running with its IPv6 link-local address, no
 * address of the lab is tentative, and each of its IPv6 addresses answers neighbour solicitation
 * (its solicited-node group joined). */
#ifndef NSL_READY_H
#define NSL_READY_H

#include <stdbool.h>

#include "engine/progress.h"
#include "kernel/netlink.h"

/* One namespace to watch. */
struct nsl_ready_ns {
	const char *name; /* "node r1", "host": for the message */
	struct nsl_nl *nl;
	const int *ifindex;
	size_t n;
	bool ipv6;
	const int *lacp; /* bond ports that must be collecting and distributing (LACP) */
	size_t n_lacp;
};

/* Poll until all are ready, at most timeout_ms; -ETIMEDOUT names the first not ready. Each
 * pass reports how many namespaces are ready to progress (may be NULL) as phase. */
int nsl_ready_wait(struct nsl_ready_ns *ns, size_t n, int timeout_ms,
                   struct nsl_progress_sink *progress, const char *phase,
                   struct nsl_err *err) NSL_MUST_USE;

#endif
