/* Entering a node: find its holder in the lab's state, check it is still the process that
 * was started (pid + start time, through a pidfd), join its network, mount, UTS and PID
 * namespaces with one setns, fork (a PID namespace applies to children), exec. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "engine/exec.h"
#include "kernel/ns.h"
#include "kernel/proc.h"
#include "state/labstate.h"
#include "state/statedir.h"

int nsl_node_find(const char *lab, const char *node, struct nsl_node_ref *ret, struct nsl_err *err)
{
	struct nsl_statedir sd;
	_cleanup_free_ char *text = NULL;
	struct nsl_labstate st;
	const struct nsl_labstate_node *n;
	int rc;

	memset(ret, 0, sizeof(*ret));
	ret->pidfd = -1;
	rc = nsl_state_root(&sd, err);
	if (rc < 0)
		return rc;
	rc = nsl_state_open(&sd, lab, false, err);
	if (rc == 0)
		rc = nsl_err_set(err, ENOENT, "lab %s is not up", lab);
	if (rc > 0) {
		rc = nsl_state_read_file(&sd, "state.json", &text, err);
		if (rc == 0)
			rc = nsl_err_set(err, EAGAIN,
			                 "lab %s is still being built (or its up failed)", lab);
	}
	nsl_state_close(&sd); /* the lock is not held while the command runs */
	if (rc < 0)
		return rc;
	rc = nsl_labstate_parse(text, &st, err);
	if (rc < 0) {
		nsl_err_prefix(err, "lab %s", lab);
		return rc;
	}
	n = nsl_labstate_node(&st, node);
	if (!n) {
		rc = nsl_err_set(err, ENOENT, "lab %s has no node '%s'", lab, node);
	} else {
		ret->pid = n->pid;
		ret->pidfd = nsl_proc_pidfd(n->pid, n->start_time);
		if (ret->pidfd < 0)
			rc = nsl_err_set(
			    err, ESRCH,
			    "node %s of lab %s: its holder (pid %d) is gone; run 'nslab down %s'",
			    node, lab, (int)n->pid, lab);
	}
	if (rc == 0) {
		/* Take the node's env over from the state. */
		struct nsl_labstate_node *mn = (struct nsl_labstate_node *)n;
		ret->env = mn->env;
		ret->n_env = mn->n_env;
		mn->env = NULL;
		mn->n_env = 0;
	}
	nsl_labstate_free(&st);
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

static int node_enter(const struct nsl_node_ref *r, struct nsl_err *err)
{
	int rc = nsl_ns_join_node(r->pidfd);
	if (rc < 0)
		return nsl_err_set(err, rc, "enter the node's namespaces: %s", strerror(-rc));
	return 0;
}

static pid_t child_pid;

/* Signals sent to us by someone (not by the terminal, which signals the whole foreground
 * group, the command included) are passed on. */
static void forward(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (child_pid > 0 && si->si_code <= 0)
		kill(child_pid, sig);
}

int nsl_node_run(const struct nsl_node_ref *r, char **argv, const char *cwd, struct nsl_err *err)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	struct sigaction sa = {.sa_sigaction = forward, .sa_flags = SA_SIGINFO | SA_RESTART};
	int status, rc;
	pid_t pid;

	rc = node_enter(r, err);
	if (rc < 0)
		return rc;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NSL_ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	pid = fork();
	if (pid < 0)
		return nsl_err_set(err, errno, "fork: %m");
	if (pid == 0) {
		/* The command starts clean: default signals, empty mask, fds 0-2 only. */
		nsl_proc_reset_for_exec();
		/* Joining a mount namespace moves us to its root: go back where we were if the
		 * node sees that directory too. */
		if (!cwd || chdir(cwd) < 0)
			if (chdir("/") < 0)
				_exit(125);
		for (size_t i = 0; i < r->n_env; i++)
			putenv(r->env[i]);
		execvp(argv[0], argv);
		int e = errno;
		dprintf(2, "nslab: exec %s: %s\n", argv[0], strerror(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	child_pid = pid;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return nsl_err_set(err, errno, "wait: %m");
	child_pid = 0;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
