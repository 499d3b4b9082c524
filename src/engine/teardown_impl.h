/* Teardown's rooms: teardown.c (the journal's and the marks' way, nodes of a lab that stays)
 * shares this with teardown_procs.c (the lab's processes and binds) and teardown_sysctl.c.
 * Not for callers of teardown. */
#ifndef NSL_TEARDOWN_IMPL_H
#define NSL_TEARDOWN_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/rootless.h"
#include "kernel/keeper.h"
#include "kernel/netlink.h"
#include "kernel/ns.h"
#include "model/topology.h"
#include "state/statedir.h"

struct nsl_progress_sink;

/* How long down waits for the processes it killed (a holder exits once every process of its
 * PID namespace is gone, some of them reaped by their parents outside: slow under load);
 * one still alive then fails down, which must not say a lab is gone while it runs. */
#define WAIT_GONE_MS 30000

/* A namespace of the lab, as teardown found it. */
struct lab_ns {
	char name[NSL_NAME_MAX + 1];
	struct nsl_ns_id id;
	uint64_t want_dev, want_ino; /* from the journal (dev 0: any) */
	int fd;                      /* open, when it still exists */
	int holder;                  /* its holder's pidfd, -1 if gone */
	pid_t pid;                   /* and its PID */
};

struct td {
	struct nsl_statedir *sd;
	const char *lab;
	bool rootless;            /* nothing of the host to undo: the lab lives in its keeper */
	struct nsl_keeper keeper; /* rootless: the lab's keeper, if it is still there */
	struct nsl_ns_id userns;  /* rootless: the lab's user namespace (ino 0: unknown) */
	struct nsl_nl host;
	struct lab_ns *ns;
	size_t n_ns, cap_ns;
	int first;   /* the first error, kept while the rest goes on */
	int *killed; /* pidfds of processes killed, waited for at the end */
	size_t n_killed, cap_killed;
	pid_t *holder_pids; /* sorted: the look through /proc passes them by */
	size_t n_holder_pids;
	bool look_again; /* the look found processes: look again once they are gone */
	int userns_fd;   /* rootless: the lab's user namespace, held once a process proved it */
	struct nsl_err *err;
	struct nsl_progress_sink *progress;
};

static inline void keep_first(struct td *td, int rc, struct nsl_err *e)
{
	if (rc < 0 && !td->first) {
		td->first = rc;
		*td->err = *e;
	}
}

static inline void ns_path(const struct td *td, const char *node, char *buf, size_t size)
{
	nsl_lab_netns_path(td->sd, node, buf, size);
}

/* Whether lo in the network namespace fd carries node's mark: 1, 0, or -errno. */
int td_ns_marked(const struct td *td, int fd, const char *node);

/* Namespaces the journal names that nothing holds, held again through a process in them that
 * shows the node's mark (before anything is undone). */
void td_adopt_unheld(struct td *td);
/* Kill the lab's processes (holders, what a look finds, the keeper) and drop its binds. */
void td_kill_and_unbind(struct td *td);
/* Wait until what was killed is gone, looking again for what forked meanwhile; frees the
 * lists of what was killed. */
void td_wait_killed(struct td *td);

/* The host sysctls lab's journal set: each given back the value it had, or handed to a lab
 * still up that set it later (under the root lock; a step each). */
int nsl_teardown_host_sysctls(struct nsl_statedir *sd, const char *lab, struct nsl_err *err);

#endif
