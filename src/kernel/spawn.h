/* The one door for running a command: in a node (the network, mount, UTS and PID namespaces
 * of a holder) or in the host. The command is our own child, held by a pidfd from birth, so
 * its exit status is ours to read; it starts clean: default signal dispositions, an empty
 * signal mask, no fd but 0, 1 and 2 (from the caller's fds, or /dev/null), its own session
 * if asked. Every command nslab starts goes through here: `exec` at up, ready commands,
 * checks, `nslab exec`, `nslab wait`, the command of `nslab run`. */
#ifndef NSL_SPAWN_H
#define NSL_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/util.h"

struct nsl_spawn {
	int holder_pidfd;  /* the node to run in; -1: the host, as we are */
	char *const *argv; /* argv[0] is looked up in PATH (inside the node) */
	char *const *env;  /* "K=V" added to the inherited environment; NULL-terminated or NULL */
	const char *cwd;   /* NULL: "/"; a directory the node lacks also gives "/" */
	int fd_in, fd_out, fd_err; /* become 0, 1, 2; -1: /dev/null */
	bool new_session;          /* setsid(): away from our terminal; its group can be killed */
	int parent_death_signal;   /* 0, or a signal the command gets when we die */
};

struct nsl_child {
	pid_t pid; /* in our PID namespace */
	int pidfd;
	bool session; /* leads its own session (and process group) */
};

/* Start the command. Failing to find or run argv[0] is no error here: the child writes
 * "nslab: exec NAME: REASON" on its stderr and exits 127 (not found) or 126. */
int nsl_spawn(const struct nsl_spawn *s, struct nsl_child *ret, struct nsl_err *err) NSL_MUST_USE;
/* Whether the child has exited: 1 with *ret_status (its status, or 128+N when killed by signal
 * N), 0 if it runs on after timeout_ms (-1: wait for good), negative on error. Reaps it. */
int nsl_child_wait(struct nsl_child *c, int timeout_ms, int *ret_status) NSL_MUST_USE;
/* SIGKILL the child (its whole process group when it leads a session) and reap it. */
void nsl_child_kill(struct nsl_child *c);
/* Close the pidfd (the child must have been reaped). */
void nsl_child_close(struct nsl_child *c);

#endif
