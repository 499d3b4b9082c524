/* exec at up: a waiter process joins the node and forks the command, so that the command is
 * a child of the node's PID namespace and holds nothing of up (its lock, its lifeline). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "engine/exec_up.h"
#include "engine/fault.h"
#include "kernel/ns.h"
#include "kernel/proc.h"

static __attribute__((noreturn)) void waiter(int pidfd, const struct nsl_node *n, size_t index,
                                             int log_fd)
{
	int nul = open("/dev/null", O_RDONLY | O_CLOEXEC), status;

	if (nul < 0 || nsl_ns_join_node(pidfd) < 0)
		_exit(125);
	/* This process holds none of up's fds and does not outlive up. */
	if (dup2(log_fd, 3) < 0 || dup2(nul, 4) < 0)
		_exit(125);
	syscall(SYS_close_range, 5, ~0U, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(125);
	pid_t child = fork();
	if (child < 0)
		_exit(125);
	if (child == 0) {
		setsid();
		if (dup2(4, 0) < 0 || dup2(3, 1) < 0 || dup2(3, 2) < 0 || chdir("/") < 0)
			_exit(125);
		/* The command owns nothing but its stdio, and starts with a clean slate. */
		nsl_proc_reset_for_exec();
		for (size_t e = 0; e < n->n_env; e++)
			putenv(n->env[e]);
		execvp(n->exec[index].argv[0], n->exec[index].argv);
		_exit(errno == ENOENT ? 127 : 126);
	}
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			_exit(125);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* The end of the log, trailing newlines cut. */
static void log_tail(int log_fd, char *buf, size_t size)
{
	off_t end = lseek(log_fd, 0, SEEK_END);
	off_t from = end > (off_t)size - 1 ? end - (off_t)size + 1 : 0;
	ssize_t got = end > 0 ? pread(log_fd, buf, (size_t)(end - from), from) : 0;

	buf[got > 0 ? got : 0] = 0;
	while (got > 0 && buf[got - 1] == '\n')
		buf[--got] = 0;
}

int nsl_exec_at_up(int pidfd, const struct nsl_node *n, size_t index, int log_fd,
                   struct nsl_err *err)
{
	const char *cmd = n->exec[index].argv[0];
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return nsl_err_set(err, errno, "fork: %m");
	if (pid == 0)
		waiter(pidfd, n, index, log_fd);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return nsl_err_set(err, errno, "wait: %m");
		if (nsl_interrupted) {
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			return nsl_err_set(err, EINTR, "node %s: exec[%zu] (%s): interrupted",
			                   n->name, index, cmd);
		}
	}
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (!status)
		return 0;
	/* The log goes with the rollback: show the end of it now. */
	char tail[512];
	log_tail(log_fd, tail, sizeof(tail));
	return nsl_err_set(err, ECANCELED, "node %s: exec[%zu] (%s) exited with status %d%s%s%s",
	                   n->name, index, cmd, status,
	                   status == 127   ? " (not found)"
	                   : status == 126 ? " (not executable)"
	                                   : "",
	                   tail[0] ? "; its output ends with:\n" : "", tail);
}
