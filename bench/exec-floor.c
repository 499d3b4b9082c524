/* exec-floor: the least a program can do to run a command inside a node, for the benchmark's
 * exec line (what `nslab exec` is compared with besides nsenter and mnexec).
 *
 *   exec-floor HOLDER_PID CMD [ARG...]
 *
 * Built static (no dynamic loader, no libraries to map): a pidfd of the holder, its PID
 * namespace for our children, a vfork child that joins its network, mount and UTS namespaces
 * in one setns and execs CMD; we wait and return its status. No state read, no checks of
 * who the holder is, no signal forwarding: a measuring stick, not a model of nslab. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int pidfd, status;
	pid_t pid;

	if (argc < 3)
		return 2;
	pidfd = (int)syscall(SYS_pidfd_open, atoi(argv[1]), 0);
	if (pidfd < 0 || setns(pidfd, CLONE_NEWPID) < 0)
		return 125;
	pid = vfork();
	if (pid == 0) {
		if (setns(pidfd, CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWUTS) < 0)
			_exit(125);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 125;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
