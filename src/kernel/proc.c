/* Process identity: a PID alone can be recycled, so a holder is named by pid plus start
 * time, and signalled only through a pidfd opened after checking both. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "engine/lab.h"

uint64_t nsl_proc_starttime(pid_t pid)
{
	char path[64], buf[1024];
	_cleanup_close_ int fd = -1;
	ssize_t n;
	char *p;

	if (!nsl_fmt(path, sizeof(path), "/proc/%d/stat", (int)pid))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* comm may hold spaces and parentheses: fields resume after the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	/* p is at the space before field 3; field 22 is 19 spaces on. */
	for (int field = 3; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return 0;
	return strtoull(p + 1, NULL, 10);
}

int nsl_proc_pidfd(pid_t pid, uint64_t start_time)
{
	int fd;

	if (pid <= 1)
		return -ESRCH;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -errno;
	/* The pidfd pins the process: checked after opening, the identity cannot change. */
	if (nsl_proc_starttime(pid) != start_time) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}
