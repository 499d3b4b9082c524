/* Teardown: what `down` does and what a failed `up` unwinds through. It touches only what
 * nslab can prove it made: a namespace whose identity (device, inode) the journal recorded,
 * or, when the state is lost, one that carries the lab's mark inside (lo's alias); a host link
 * or a moved device carrying the lab's alias; the host nft table carrying the lab's comment.
 * Never a name alone, never the host's own namespaces, never through a symlink. Each action
 * is a step (NSLAB_FAIL_DOWN_STEP); every action is idempotent, so a teardown that failed
 * half-way completes when it runs again. */
#ifndef NSL_TEARDOWN_H
#define NSL_TEARDOWN_H

#include <sys/types.h>

#include "engine/progress.h"
#include "state/statedir.h"

/* Undo everything of the lab whose directory sd has open and locked, from its journal.
 * Returns when the lab's names are free again. Does not remove the state directory. Phases
 * and counts go to progress (may be NULL): "devices", "processes", "names", "host links",
 * "host", "exit" (processes gone). */
int nsl_teardown(struct nsl_statedir *sd, struct nsl_progress_sink *progress,
                 struct nsl_err *err) NSL_MUST_USE;
/* The same when the lab's state was lost (sd: a directory of our own, locked, to keep an `up`
 * of that lab out meanwhile): marks only. 1 if anything of the lab was found, 0 if not. */
int nsl_teardown_marks(struct nsl_statedir *sd, struct nsl_progress_sink *progress,
                       struct nsl_err *err) NSL_MUST_USE;

/* Nodes of a lab that stays (apply): each by the identity its journal record holds. Their
 * interfaces are deleted first, from inside (so their names, their peers' in the nodes that
 * stay, and the host ends are free when this returns; moved devices go home), then their
 * processes are killed and their names dropped, as teardown does. Steps are down steps. */
struct nsl_node_ident {
	const char *name;
	pid_t pid;
	uint64_t start_time, netns_dev, netns_ino;
};
int nsl_teardown_nodes(struct nsl_statedir *sd, const struct nsl_node_ident *nodes, size_t n,
                       struct nsl_err *err) NSL_MUST_USE;

#endif
