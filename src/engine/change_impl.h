/* apply's rooms: change.c (the whole, the lab's nodes by name, what comes) shares these with
 * change_state.c (state.json and the journal rewritten) and change_undo.c (what goes). Not
 * for callers of apply. */
#ifndef NSL_CHANGE_IMPL_H
#define NSL_CHANGE_IMPL_H

#include "engine/apply.h"
#include "engine/change.h"
#include "kernel/netlink.h"
#include "kernel/ns.h"
#include "state/labstate.h"
#include "state/statedir.h"

/* A node of the lab as it is. */
struct rnode {
	char name[NSL_NAME_MAX + 1];
	pid_t pid;
	uint64_t start_time;
	struct nsl_ns_id netns;
	int pidfd, netns_fd;
	struct nsl_nl nl;
	uint32_t uid_base; /* its user namespace's range, 0: none */
	bool alive;        /* false: killed (made again, or removed) */
	bool dying; /* its kill was cut short: maybe still there, its name maybe still bound */
};

/* An interface of a node that exists, as it was before the change. */
struct old_mac {
	char node[NSL_NAME_MAX + 1], ifname[NSL_IFNAME_MAX + 1];
	uint8_t mac[6];
};

struct ch {
	struct old_mac *macs;
	size_t n_macs, cap_macs;
	const char *lab;
	const struct nsl_change_opts *o;
	bool counted; /* the change's steps are counted (the rest are down steps) */
	struct nsl_statedir sd;
	struct nsl_labstate st;
	bool have_st;
	struct nsl_topology *old;
	struct nsl_nl host;
	struct rnode *nodes;
	size_t n_nodes, cap_nodes;
	struct nsl_progress_sink *progress;
};

/* Sysctl values as they were before a change, for its rollback. */
struct saved {
	const struct nsl_saved_sysctl *v;
	size_t n;
	const struct nsl_topology *t; /* whose node indexes they use */
};

/* change.c: a node that is alive by name (NULL: none, or killed); the socket of a node that
 * exists (node NULL: the host's), or NULL (gone: what was in it went with it). */
struct rnode *nsl_change_node(struct ch *c, const char *name);
struct nsl_nl *nsl_change_socket(struct ch *c, const char *node, struct nsl_err *err, int *rc);

/* change_state.c: a commit cut short finished; state.json for topology t (new_text false: the
 * old one's file, digest and generation kept), its nodes those of t that are alive; the
 * journal rewritten to what the lab is, with the host links of plan p. */
int nsl_change_finish_commit(struct ch *c, struct nsl_err *err);
int nsl_change_write_state(struct ch *c, const struct nsl_topology *t, bool new_text,
                           struct nsl_err *err);
int nsl_change_rewrite_journal(struct ch *c, const struct nsl_plan *p, struct nsl_err *err);

/* change_undo.c: undo a plan's operations, in its order, each a step (sv: the sysctl values
 * to put back, rollback only). */
int nsl_change_undo(struct ch *c, const struct nsl_plan *p, const struct saved *sv,
                    struct nsl_err *err);

#endif
