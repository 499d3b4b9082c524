/* Teardown's processes and binds (see teardown_impl.h): the lab's namespaces proven, what
 * lives in them killed (holders first, then what a look through /proc finds, the keeper last),
 * the binds dropped, and, at the end, the wait until all of it is gone. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/fault.h"
#include "engine/progress.h"
#include "engine/teardown_impl.h"
#include "kernel/ns.h"
#include "kernel/proc.h"

#define WAIT_CHUNK 64         /* processes waited for between two progress reports */
#define LOOKS_MAX 8           /* looks through /proc again for what forked while down looked */
#define LOOK_WAIT_MIN_MS 1000 /* what a look again waits at least for what it killed */

/* A namespace the journal names that nothing of ours holds (its holder and its bind gone: a
 * down that failed after the unbind, a bind deleted by hand) lives on only in processes, if at
 * all. It is held again, through one of them, if lo there carries the node's mark (without
 * it, the number is another's now). Before anything is undone: a moved device in it goes home
 * too. */
void td_adopt_unheld(struct td *td)
{
	_cleanup_free_ struct nsl_ns_id *ids = calloc(td->n_ns + 1, sizeof(*ids));
	int *fds = NULL, rc;
	size_t n_ids = 0, n = 0, cap = 0;
	struct nsl_err e;

	if (!ids) {
		keep_first(td, nsl_err_set(&e, ENOMEM, "out of memory"), &e);
		return;
	}
	for (size_t i = 0; i < td->n_ns; i++)
		if (td->ns[i].fd < 0 && td->ns[i].id.ino && !nsl_netns_is_host(&td->ns[i].id))
			ids[n_ids++] = td->ns[i].id;
	if (!n_ids)
		return;
	struct nsl_proc_look look = {.kind = "net", .ids = ids, .n_ids = n_ids};
	rc = nsl_proc_in_ns(&look, &fds, &n, &cap);
	if (rc < 0)
		keep_first(td,
		           nsl_err_set(&e, -rc, "look for the lab's processes: %s", strerror(-rc)),
		           &e);
	for (size_t k = 0; k < n; k++) {
		struct nsl_ns_id id;
		int fd = nsl_proc_open_ns(fds[k], nsl_pidfd_pid(fds[k]), "net");
		for (size_t i = 0; fd >= 0 && i < td->n_ns; i++) {
			struct lab_ns *ns = &td->ns[i];
			if (ns->fd >= 0 || nsl_ns_id_of_fd(fd, &id) < 0 ||
			    !nsl_ns_id_eq(&id, &ns->id))
				continue;
			int marked = td_ns_marked(td, fd, ns->name);
			if (marked > 0)
				ns->fd = TAKE_FD(fd);
			else if (marked < 0)
				keep_first(td,
				           nsl_err_set(&e, -marked,
				                       "node %s: cannot read its mark: %s",
				                       ns->name, strerror(-marked)),
				           &e);
		}
		if (fd >= 0)
			close(fd);
		close(fds[k]);
	}
	free(fds);
}

/* Look through /proc for what else lives in the lab's network namespaces that we hold open
 * (`ip netns exec` included; for a rootless lab, anything in its user namespace, held once a
 * process of the lab proved it), the holders passed by, and kill it: its pidfds join
 * td->killed. How many were found, or -errno when the look failed (recorded). */
static int kill_the_rest(struct td *td)
{
	_cleanup_free_ struct nsl_ns_id *ids = calloc(td->n_ns + 1, sizeof(*ids));
	size_t n_ids = 0, from = td->n_killed;
	int found = 0;
	struct nsl_err e;

	if (!ids) {
		keep_first(td, nsl_err_set(&e, ENOMEM, "out of memory"), &e);
		return -ENOMEM;
	}
	/* Only namespaces we hold: one gone could have given its number to another's. */
	for (size_t i = 0; i < td->n_ns; i++)
		if (td->ns[i].fd >= 0 && td->ns[i].id.ino && !nsl_netns_is_host(&td->ns[i].id))
			ids[n_ids++] = td->ns[i].id;
	struct nsl_proc_look looks[2] = {
	    {.kind = "net",
	     .ids = ids,
	     .n_ids = n_ids,
	     .skip = td->holder_pids,
	     .n_skip = td->n_holder_pids},
	    {.kind = "user",
	     .ids = &td->userns,
	     .n_ids = td->userns_fd >= 0 ? 1 : 0,
	     .skip = td->holder_pids,
	     .n_skip = td->n_holder_pids},
	};
	for (int k = 0; k < 2 && found >= 0; k++) {
		int rc = nsl_proc_in_ns(&looks[k], &td->killed, &td->n_killed, &td->cap_killed);
		if (rc < 0)
			keep_first(
			    td,
			    nsl_err_set(&e, -rc, "look for the lab's processes: %s", strerror(-rc)),
			    &e);
		found = rc < 0 ? rc : found + rc;
	}
	for (size_t i = from; i < td->n_killed; i++)
		(void)nsl_pidfd_kill(td->killed[i], SIGKILL);
	return found;
}

/* Room in td->killed for more pidfds, made before anything is killed. */
static bool killed_room(struct td *td, size_t more)
{
	while (td->cap_killed < td->n_killed + more)
		if (!nsl_grow(&td->killed, &td->cap_killed, td->cap_killed, sizeof(*td->killed)))
			return false;
	return true;
}

/* Kill pidfd and keep it (taken) to wait for; without room for it, it stays where it was, and
 * the lab's state with it. */
static void kill_keep(struct td *td, int *pidfd)
{
	struct nsl_err e;

	(void)nsl_pidfd_kill(*pidfd, SIGKILL);
	if (!killed_room(td, 1)) {
		keep_first(td, nsl_err_set(&e, ENOMEM, "out of memory"), &e);
		return;
	}
	td->killed[td->n_killed++] = TAKE_FD(*pidfd);
}

void td_kill_and_unbind(struct td *td)
{
	struct nsl_err e;
	pid_t *pids;

	if (nsl_step("kill", &e) < 0) {
		keep_first(td, -EIO, &e);
		return;
	}
	/* Holders first (each the init of its node's PID namespace: all that runs in the node
	 * dies with it, while we look for the rest), then whatever else lives in the lab's
	 * namespaces, each reached through a pidfd checked after it was opened, and a rootless
	 * lab's keeper last. */
	pids = calloc(td->n_ns + 1, sizeof(*pids));
	if (!pids || !killed_room(td, td->n_ns + 2)) {
		free(pids);
		/* nothing killed: the lab is not gone, and its state must stay */
		keep_first(td, nsl_err_set(&e, ENOMEM, "out of memory"), &e);
		return; /* names stay with the processes that hold them */
	}
	free(td->holder_pids);
	td->holder_pids = pids;
	td->n_holder_pids = 0;
	for (size_t i = 0; i < td->n_ns; i++) {
		pid_t pid = td->ns[i].pid;
		if (td->ns[i].holder < 0)
			continue;
		kill_keep(td, &td->ns[i].holder);
		td->holder_pids[td->n_holder_pids++] = pid;
	}
	nsl_pids_sort(td->holder_pids, td->n_holder_pids);
	int found = kill_the_rest(td);
	/* Once gone, the holders' PIDs are free for others: no look again passes them by. */
	td->n_holder_pids = 0;
	td->look_again = found > 0;
	if (td->keeper.pidfd >= 0)
		kill_keep(td, &td->keeper.pidfd);
	if (td->keeper.uplink.pidfd >= 0)
		kill_keep(td, &td->keeper.uplink.pidfd);
	nsl_progress_report(td->progress, "processes", 0, td->n_killed);
	if (found < 0)
		return; /* names stay, with what the look could not find, for down to try again */
	if (nsl_step("unbind", &e) < 0) {
		keep_first(td, -EIO, &e);
		return;
	}
	/* Names free: the bind goes only if it is the namespace we know (a name proves nothing). */
	for (size_t i = 0; i < td->n_ns; i++) {
		nsl_progress_report(td->progress, "names", i, td->n_ns);
		char path[PATH_MAX];
		struct nsl_ns_id id;
		int fd;
		ns_path(td, td->ns[i].name, path, sizeof(path));
		if (nsl_netns_open_bound(path, &fd, &id) <= 0) {
			/* the empty file a bind goes on, left without it by an up cut short
			 * between the two: ours when the journal names the node */
			if (td->ns[i].id.ino)
				nsl_netns_drop_unbound(path);
			continue;
		}
		close(fd);
		if (nsl_ns_id_eq(&id, &td->ns[i].id) && !nsl_netns_is_host(&id))
			nsl_netns_unbind(path);
	}
}

void td_wait_killed(struct td *td)
{
	uint64_t start = nsl_now_ns(), deadline = start + WAIT_GONE_MS * 1000000ull;
	size_t alive = 0, last = 0;

	/* Done when the processes are gone. */
	for (size_t i = 0; i < td->n_killed; i += WAIT_CHUNK) {
		size_t k = td->n_killed - i < WAIT_CHUNK ? td->n_killed - i : WAIT_CHUNK;
		uint64_t now = nsl_now_ns();
		nsl_progress_report(td->progress, "exit", i, td->n_killed);
		alive += nsl_pidfds_kill_wait(
		    td->killed + i, k, now < deadline ? (int)((deadline - now) / 1000000) : 0);
	}
	/* What the look found may have forked while it looked: once all it killed is gone, look
	 * again (the lab's namespaces still held), until a look finds nothing. */
	bool found = td->look_again;
	for (int pass = 0; found && !alive && pass < LOOKS_MAX; pass++) {
		size_t from = td->n_killed;
		int rc = kill_the_rest(td);
		uint64_t now = nsl_now_ns();
		int ms = now < deadline ? (int)((deadline - now) / 1000000) : 0;
		alive += nsl_pidfds_kill_wait(td->killed + from, td->n_killed - from,
		                              ms > LOOK_WAIT_MIN_MS ? ms : LOOK_WAIT_MIN_MS);
		found = rc > 0;
		last = rc > 0 ? (size_t)rc : 0;
	}
	if (found && !alive) {
		struct nsl_err e;
		nsl_err_set(&e, EBUSY,
		            "processes kept appearing in the lab's namespaces through %d looks "
		            "for them (%zu in the last, killed); the state stays: run down again",
		            LOOKS_MAX + 1, last);
		keep_first(td, -EBUSY, &e);
	}
	if (alive) {
		struct nsl_err e;
		nsl_err_set(&e, EBUSY,
		            "%zu process%s of the lab still alive after SIGKILL (waited %llu s; "
		            "down again once %s gone)",
		            alive, alive == 1 ? "" : "es",
		            (unsigned long long)((nsl_now_ns() - start) / 1000000000ull),
		            alive == 1 ? "it is" : "they are");
		keep_first(td, -EBUSY, &e);
	}
	free(td->killed);
	free(td->holder_pids);
	td->killed = NULL;
	td->holder_pids = NULL;
	td->n_killed = td->cap_killed = td->n_holder_pids = 0;
}
