/* Process identity: PID + start time, pidfds, and finding the processes of a namespace. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "kernel/proc.h"

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

bool nsl_pidfd_alive(int pidfd) { return syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0; }

int nsl_pidfd_kill(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0 ? 0 : -errno;
}

bool nsl_pidfd_wait(int pidfd, int timeout_ms)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	uint64_t deadline = nsl_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	int rc;

	for (;;) {
		uint64_t now = nsl_now_ns();
		int ms = now < deadline ? (int)((deadline - now) / 1000000) : 0;
		rc = poll(&p, 1, ms);
		if (rc >= 0 || errno != EINTR)
			return rc > 0;
	}
}

int nsl_proc_pidfd(pid_t pid, uint64_t start_time)
{
	int fd;

	if (pid <= 1 || !start_time) /* 0 is also what an unreadable start time reads as */
		return -ESRCH;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -errno;
	/* The pidfd pins the process: checked after opening, the identity cannot change. */
	if (nsl_proc_starttime(pid) != start_time || !nsl_pidfd_alive(fd)) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

uint64_t nsl_pidfd_starttime(int pidfd, pid_t pid)
{
	uint64_t t = nsl_proc_starttime(pid);

	return t && nsl_pidfd_alive(pidfd) ? t : 0;
}

int nsl_proc_open_ns(int pidfd, pid_t pid, const char *kind)
{
	char path[64];
	int fd;

	nsl_fmt(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, kind);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!nsl_pidfd_alive(pidfd)) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

static bool in_ids(const struct nsl_ns_id *ids, size_t n, const struct stat *st)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i].dev == (uint64_t)st->st_dev && ids[i].ino == (uint64_t)st->st_ino)
			return true;
	return false;
}

static int pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

void nsl_pids_sort(pid_t *pids, size_t n) { qsort(pids, n, sizeof(*pids), pid_cmp); }

void nsl_nofile_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int nsl_proc_in_ns(const struct nsl_proc_look *look, int **fds, size_t *n, size_t *cap)
{
	pid_t self = getpid();
	size_t found = 0;
	struct dirent *e;
	DIR *d;

	if (!look->n_ids)
		return 0;
	d = opendir("/proc");
	if (!d)
		return -errno;
	/* Every process of the machine is looked at (down pays for it): each by a walk from the
	 * open /proc, not from the root. */
	while ((e = readdir(d))) {
		char path[64];
		struct stat st;
		uint64_t v;
		pid_t pid;
		int fd;
		if (!nsl_parse_u64(e->d_name, INT32_MAX, &v) || v <= 1 || (pid_t)v == self)
			continue;
		pid = (pid_t)v;
		if (look->n_skip && bsearch(&pid, look->skip, look->n_skip, sizeof(pid), pid_cmp))
			continue;
		nsl_fmt(path, sizeof(path), "%s/ns/%s", e->d_name, look->kind);
		if (fstatat(dirfd(d), path, &st, 0) < 0 || !in_ids(look->ids, look->n_ids, &st))
			continue;
		fd = (int)syscall(SYS_pidfd_open, pid, 0);
		/* gone, or its PID now a thread's: passed by; out of fds: found but not reached */
		if (fd < 0 && errno != ESRCH && errno != EINVAL) {
			int rc = -errno;
			closedir(d);
			return rc;
		}
		if (fd < 0)
			continue;
		/* Between the look and the pidfd the PID may have been reused: look again. A zombie
		 * is passed by (it keeps its user namespace until reaped, and PID 1 may never reap
		 * it): its pidfd is readable once it has exited. */
		if (fstatat(dirfd(d), path, &st, 0) < 0 || !in_ids(look->ids, look->n_ids, &st) ||
		    nsl_pidfd_wait(fd, 0)) {
			close(fd);
			continue;
		}
		if (!nsl_grow(fds, cap, *n, sizeof(**fds))) {
			close(fd);
			closedir(d);
			return -ENOMEM;
		}
		(*fds)[(*n)++] = fd;
		found++;
	}
	closedir(d);
	return (int)(found > INT32_MAX ? INT32_MAX : found);
}

size_t nsl_pidfds_kill_wait(int *fds, size_t n, int timeout_ms)
{
	uint64_t deadline = nsl_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	size_t alive = 0;

	for (size_t i = 0; i < n; i++)
		(void)nsl_pidfd_kill(fds[i], SIGKILL);
	for (size_t i = 0; i < n; i++) {
		uint64_t now = nsl_now_ns();
		if (!nsl_pidfd_wait(fds[i], now < deadline ? (int)((deadline - now) / 1000000) : 0))
			alive++;
		close(fds[i]);
	}
	return alive;
}

void nsl_proc_reset_for_exec(unsigned int last_fd)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	syscall(SYS_close_range, last_fd + 1, ~0U, 0);
}

int nsl_send_fd(int sock, const void *data, size_t len, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (fd >= 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

int nsl_recv_fd(int sock, void *data, size_t len, int *ret_fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = data, .iov_len = len};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	ssize_t n;

	*ret_fd = -1;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
	if (n != (ssize_t)len) {
		if (*ret_fd >= 0)
			close(*ret_fd);
		*ret_fd = -1;
		return -EIO;
	}
	return 0;
}
