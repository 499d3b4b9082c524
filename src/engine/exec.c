/* Entering a node: find its holder in the lab's state, check it is still the process that
 * was started (pid + start time, through a pidfd), join its network, mount, UTS and PID
 * namespaces with one setns, fork (a PID namespace applies to children), exec. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>

#include "engine/exec.h"

int nsl_node_find(const char *lab, const char *node, struct nsl_node_ref *ret, struct nsl_err *err)
{
	struct nsl_statedir sd;
	_cleanup_free_ char *text = NULL;
	cJSON *root = NULL, *nodes, *it;
	int rc;

	memset(ret, 0, sizeof(*ret));
	ret->pidfd = -1;
	rc = nsl_state_root(&sd, err);
	if (rc < 0)
		return rc;
	rc = nsl_state_open(&sd, lab, false, err);
	if (rc == -ENOENT)
		rc = nsl_err_set(err, ENOENT, "lab %s is not up", lab);
	if (rc == 0) {
		rc = nsl_state_read_file(&sd, "state.json", &text, err);
		if (rc == -ENOENT)
			rc = nsl_err_set(err, EAGAIN,
			                 "lab %s is still being built (or its up failed)", lab);
	}
	nsl_state_close(&sd); /* the lock is not held while the command runs */
	if (rc < 0)
		return rc;
	root = cJSON_Parse(text);
	nodes = cJSON_GetObjectItemCaseSensitive(root, "nodes");
	rc = nsl_err_set(err, ENOENT, "lab %s has no node '%s'", lab, node);
	cJSON_ArrayForEach(it, nodes)
	{
		cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
		cJSON *pid = cJSON_GetObjectItemCaseSensitive(it, "pid");
		cJSON *start = cJSON_GetObjectItemCaseSensitive(it, "start_time");
		cJSON *env = cJSON_GetObjectItemCaseSensitive(it, "env"), *e;
		uint64_t st = 0;
		if (!cJSON_IsString(name) || strcmp(name->valuestring, node))
			continue;
		if (!cJSON_IsNumber(pid) || !cJSON_IsString(start) ||
		    !nsl_parse_u64(start->valuestring, UINT64_MAX, &st)) {
			rc = nsl_err_set(err, EINVAL, "lab %s: state of node %s is damaged", lab,
			                 node);
			break;
		}
		ret->pid = (pid_t)pid->valueint;
		ret->pidfd = nsl_proc_pidfd(ret->pid, st);
		if (ret->pidfd < 0) {
			rc = nsl_err_set(
			    err, ESRCH,
			    "node %s of lab %s: its holder (pid %d) is gone; run 'nslab down %s'",
			    node, lab, (int)ret->pid, lab);
			break;
		}
		cJSON_ArrayForEach(e, env)
		{
			if (cJSON_IsString(e) && ret->n_env < NSL_ARRAY_SIZE(ret->env) &&
			    (ret->env[ret->n_env] = strdup(e->valuestring)))
				ret->n_env++;
		}
		rc = 0;
		break;
	}
	cJSON_Delete(root);
	return rc;
}

void nsl_node_ref_free(struct nsl_node_ref *r)
{
	if (r->pidfd >= 0)
		close(r->pidfd);
	for (size_t i = 0; i < r->n_env; i++)
		free(r->env[i]);
	r->pidfd = -1;
	r->n_env = 0;
}

int nsl_node_enter(const struct nsl_node_ref *r, struct nsl_err *err)
{
	if (setns(r->pidfd, CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID) < 0)
		return nsl_err_set(err, errno, "enter the node's namespaces: %m");
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

	rc = nsl_node_enter(r, err);
	if (rc < 0)
		return rc;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NSL_ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	pid = fork();
	if (pid < 0)
		return nsl_err_set(err, errno, "fork: %m");
	if (pid == 0) {
		struct sigaction dfl = {.sa_handler = SIG_DFL};
		for (size_t i = 0; i < NSL_ARRAY_SIZE(sigs); i++)
			sigaction(sigs[i], &dfl, NULL);
		/* Joining a mount namespace moves us to its root: go back where we were if the
		 * node sees that directory too. */
		if (!cwd || chdir(cwd) < 0)
			if (chdir("/") < 0)
				_exit(125);
		for (size_t i = 0; i < r->n_env; i++)
			putenv(r->env[i]);
		execvp(argv[0], argv);
		int e = errno;
		fprintf(stderr, "nslab: exec %s: %s\n", argv[0], strerror(e));
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
