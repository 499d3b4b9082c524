/* exec at up: each command through the spawn door, in its own session (a daemon it starts
 * never sees our terminal), stdin from /dev/null, output appended to the lab's exec.log. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "engine/exec_up.h"
#include "engine/fault.h"
#include "kernel/spawn.h"

void nsl_log_tail(int log_fd, char *buf, size_t size)
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
	struct nsl_spawn s = {.holder_pidfd = pidfd,
	                      .argv = n->exec[index].argv,
	                      .env = n->env,
	                      .cwd = "/",
	                      .fd_in = -1,
	                      .fd_out = log_fd,
	                      .fd_err = log_fd,
	                      .new_session = true};
	struct nsl_child c;
	int status = 0, rc;

	rc = nsl_spawn(&s, &c, err);
	if (rc < 0) {
		nsl_err_prefix(err, "node %s: exec[%zu]", n->name, index);
		return rc;
	}
	while ((rc = nsl_child_wait(&c, -1, &status)) == 0) {
		if (nsl_interrupted) {
			nsl_child_kill(&c);
			nsl_child_close(&c);
			return nsl_err_set(err, EINTR, "node %s: exec[%zu] (%s): interrupted",
			                   n->name, index, cmd);
		}
	}
	if (rc < 0) {
		nsl_child_kill(&c);
		nsl_child_close(&c);
		return nsl_err_set(err, -rc, "node %s: exec[%zu] (%s): wait: %s", n->name, index,
		                   cmd, strerror(-rc));
	}
	nsl_child_close(&c);
	if (!status)
		return 0;
	/* The log goes with the rollback: show the end of it now. */
	char tail[512];
	nsl_log_tail(log_fd, tail, sizeof(tail));
	return nsl_err_set(err, ECANCELED, "node %s: exec[%zu] (%s) exited with status %d%s%s%s",
	                   n->name, index, cmd, status,
	                   status == 127   ? " (not found)"
	                   : status == 126 ? " (not executable)"
	                                   : "",
	                   tail[0] ? "; its output ends with:\n" : "", tail);
}
