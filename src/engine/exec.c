/* Entering a node: find its holder in the lab's state, check it is still the process that
 * was started (pid + start time, through a pidfd), and run the command there through the
 * spawn door (kernel/spawn.c), stdio passed through, signals forwarded. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "engine/exec.h"
#include "engine/lab.h"
#include "kernel/ns.h"
#include "kernel/proc.h"
#include "kernel/spawn.h"

int nsl_node_find(const char *lab, const char *node, struct nsl_node_ref *ret, struct nsl_err *err)
{
	struct nsl_lab l;
	struct nsl_lab_node *n;
	int rc;

	memset(ret, 0, sizeof(*ret));
	ret->pidfd = -1;
	rc = nsl_lab_open(lab, false, &l, err);
	if (rc < 0)
		return rc;
	n = nsl_lab_node(&l, node);
	if (!n) {
		rc = nsl_err_set(err, ENOENT, "lab %s has no node '%s'", lab, node);
	} else {
		n->pidfd = nsl_proc_pidfd(n->pid, n->start_time);
		if (n->pidfd < 0) {
			n->pidfd = -1;
			rc = nsl_err_set(
			    err, ESRCH,
			    "node %s of lab %s: its holder (pid %d) is gone; run 'nslab down %s'",
			    node, lab, (int)n->pid, lab);
		}
	}
	if (rc == 0) {
		/* The holder and the env move over to the reference. */
		ret->pid = n->pid;
		ret->pidfd = n->pidfd;
		ret->env = n->env;
		ret->n_env = n->n_env;
		n->pidfd = -1;
		n->env = NULL;
		n->n_env = 0;
	}
	nsl_lab_close(&l);
	return rc;
}

void nsl_node_ref_free(struct nsl_node_ref *r)
{
	if (r->pidfd >= 0)
		close(r->pidfd);
	nsl_strv_free(r->env, r->n_env);
	r->pidfd = -1;
	r->env = NULL;
	r->n_env = 0;
}

static volatile int child_pidfd = -1; /* a pidfd: never a PID someone else has now */
static volatile sig_atomic_t pending_sig;

/* Signals sent to us by someone (not by the terminal, which signals the whole foreground
 * group, the command included) are passed on; one that comes while the command starts (it may
 * run before nsl_spawn returns: a rootless lab's is started by a helper) is passed on once we
 * know its PID. */
static void forward(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (si->si_code > 0)
		return;
	if (child_pidfd >= 0)
		(void)nsl_pidfd_kill(child_pidfd, sig);
	else
		pending_sig = sig;
}

int nsl_node_run(const struct nsl_node_ref *r, char **argv, const char *cwd, struct nsl_err *err)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	struct sigaction sa = {.sa_sigaction = forward, .sa_flags = SA_SIGINFO | SA_RESTART};
	struct nsl_spawn s = {.holder_pidfd = r->pidfd,
	                      .argv = argv,
	                      .env = r->env,
	                      .cwd = cwd,
	                      .fd_in = 0,
	                      .fd_out = 1,
	                      .fd_err = 2};
	struct nsl_child c;
	int status = 0, rc;

	sigemptyset(&sa.sa_mask);
	pending_sig = 0;
	for (size_t i = 0; i < NSL_ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	rc = nsl_spawn(&s, &c, err);
	if (rc < 0)
		return rc;
	child_pidfd = c.pidfd;
	if (pending_sig)
		(void)nsl_pidfd_kill(c.pidfd, (int)pending_sig);
	while ((rc = nsl_child_wait(&c, -1, &status)) == 0)
		;
	child_pidfd = -1;
	if (rc < 0) {
		nsl_child_kill(&c);
		nsl_child_close(&c);
		return nsl_err_set(err, -rc, "wait: %s", strerror(-rc));
	}
	nsl_child_close(&c);
	return status;
}
