/* The executor: carries out a plan, operation by operation, batching what it can (holders
 * spawned together, netlink requests of one namespace sent back to back and acknowledged
 * together), journaling each operation's undo record before the operation, and counting
 * every operation as a step (engine/fault.h). On failure it stops and returns the error; the
 * caller rolls back from the journal (engine/teardown.c), the same way `down` does. */
#ifndef NSL_APPLY_H
#define NSL_APPLY_H

#include "engine/hostcheck.h"
#include "engine/progress.h"
#include "kernel/holder.h"
#include "kernel/keeper.h"
#include "kernel/netlink.h"
#include "model/plan.h"
#include "state/statedir.h"

/* Where `up` spent its time, by phase. */
enum nsl_phase {
	NSL_PHASE_HOLDERS,
	NSL_PHASE_BINDS,
	NSL_PHASE_DEVICES,
	NSL_PHASE_LINKS,
	NSL_PHASE_NODES,
	NSL_PHASE_HOST,
	NSL_PHASE_EXEC,
	NSL_PHASE_READY,
	NSL_PHASE_COMMIT,
	NSL_PHASES
};
extern const char *const nsl_phase_names[NSL_PHASES];
/* The same phases as a person watching a long `up` sees them: "nodes 412/1000". */
extern const char *const nsl_phase_progress[NSL_PHASES];

/* A node at run time: its holder, its namespace, its interfaces' indexes, its socket. Filled
 * when its holder starts (or, for a lab that is up, from the lab's state). */
struct nsl_node_rt {
	pid_t pid;
	int pidfd;
	uint64_t start_time;
	int netns_fd;
	struct nsl_ns_id netns;
	int max_ifindex;   /* the highest interface index its namespace was born with */
	uint32_t uid_base; /* its user namespace's root on the host (engine/uidpool.h), 0: none */
	int *ifindex;      /* [iface] */
	struct nsl_nl nl;
	/* apply: [iface] the MAC an interface of a node that exists had before the change (one
	 * made again keeps it, so its neighbours' caches stay right), NULL none */
	const uint8_t **keep_mac;
};

struct nsl_apply {
	const struct nsl_plan *plan;
	const struct nsl_host_facts *facts;
	struct nsl_statedir *sd;
	struct nsl_nl *host;       /* a route-netlink socket in the host (rootless: the keeper's) */
	struct nsl_keeper *keeper; /* a rootless lab's, NULL for root's */
	uint64_t phase_ns[NSL_PHASES];
	struct nsl_progress_sink *progress; /* NULL: no reports */

	/* Run time, filled by nsl_apply; released by nsl_apply_free. */
	struct nsl_holders hs;     /* the holders this run started */
	struct nsl_node_rt *nodes; /* [node] */
	int *host_ifindex;         /* [host iface] */
	bool indexed;
	struct nsl_nl *pending; /* the socket whose requests are not acknowledged yet */
	int pending_node;
	int log_fd;
	int host_netns_fd; /* the host's network namespace, for veth peers born there */
	size_t phase_done[NSL_PHASES], phase_total[NSL_PHASES]; /* operations, for progress */
	struct nsl_cgroups *cg; /* the lab's cgroups (engine/cgroup_lab.c), NULL: none */

	/* apply (engine/change.c): a plan of what changes in a lab that is up. The caller fills
	 * nodes (nsl_apply_alloc) for the nodes that exist: holder, namespace and the index of
	 * every interface that exists (0: made here); what is there already is no error. */
	bool change;
	const bool *made; /* [node]: made by this run */
	int max_ifindex;  /* the highest index in use in the lab's namespaces and the host */
	struct nsl_saved_sysctl *saved; /* sysctls of nodes that exist, as they were before */
	size_t n_saved, cap_saved;
};

struct nsl_saved_sysctl {
	int node;
	const char *key; /* the topology's */
	char *value;
};

/* The MAC an interface is made with: the topology's, else (apply) the one it had. */
const uint8_t *nsl_apply_mac(const struct nsl_apply *a, int node, int iface, const uint8_t *mac);

/* The entry of state.json for node n, held by the holder of this identity (its cgroup left to
 * the caller): up's and apply's. */
struct nsl_labstate_node;
void nsl_apply_state_node(struct nsl_labstate_node *sn, const struct nsl_node *n, pid_t pid,
                          uint64_t start_time, const struct nsl_ns_id *netns);

/* Ready an executor (every fd it may hold closed, so that abort and free are always safe). */
void nsl_apply_init(struct nsl_apply *a, const struct nsl_plan *plan,
                    const struct nsl_host_facts *facts, struct nsl_statedir *sd,
                    struct nsl_nl *host);
int nsl_apply(struct nsl_apply *a, struct nsl_err *err) NSL_MUST_USE;
/* Write the sysctl a SYSCTL operation of p names, with value, in a namespace: 0 or -errno. */
int nsl_apply_sysctl_put(int netns_fd, const struct nsl_plan *p, const struct nsl_op *op,
                         const char *value) NSL_MUST_USE;
/* The run-time tables of a plan (done by nsl_apply when not done before). */
int nsl_apply_alloc(struct nsl_apply *a, struct nsl_err *err) NSL_MUST_USE;
/* Kill the holders started, and the keeper (before commit: the lab is being rolled back). */
void nsl_apply_abort(struct nsl_apply *a);
void nsl_apply_free(struct nsl_apply *a);

#endif
