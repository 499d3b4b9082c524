/* A rootless lab's keeper (see keeper.h). */
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <linux/sched.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "base/subid.h"
#include "kernel/keeper.h"
#include "kernel/ns.h"
#include "kernel/proc.h"
#include "kernel/sysctl.h"

#define WAIT_GONE_MS 5000

/* "\0nslab/UID/LAB": an abstract name, in the network namespace of whoever binds it. */
static socklen_t mark_addr(struct sockaddr_un *sa, const char *lab)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "nslab/%u/%s", (unsigned)geteuid(),
	             lab);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

/* ---- the keeper itself ---- */

static void close_all_but(const int *keep, size_t n)
{
	int next = 3;

	/* keep is small and sorted by the caller */
	for (size_t i = 0; i < n; i++) {
		if (keep[i] > next)
			syscall(SYS_close_range, next, keep[i] - 1, 0);
		next = keep[i] + 1;
	}
	syscall(SYS_close_range, next, ~0U, 0);
}

static size_t sort_fds(int *v, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i] >= 0)
			v[k++] = v[i];
	for (size_t i = 0; i < k; i++)
		for (size_t j = i + 1; j < k; j++)
			if (v[j] < v[i]) {
				int t = v[i];
				v[i] = v[j];
				v[j] = t;
			}
	return k;
}

/* Listen at the mark, say so, then wait: for `up`'s commit (a byte) or its death (EOF) on
 * the lifeline, and for those who look at the mark (accepted and closed at once). hold_w, if
 * any, is only kept open: whoever reads its pipe learns of the keeper's end. */
static __attribute__((noreturn)) void keeper_main(int life_r, int ready_w, int sock, int hold_w)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	int keep[4] = {life_r, ready_w, sock, hold_w}, nul;
	sigset_t none;

	close_all_but(keep, sort_fds(keep, 4));
	prctl(PR_SET_NAME, NSL_KEEPER_COMM);
	setsid();
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		if (nul > 2)
			close(nul);
	}
	/* up's handlers came along with the clone: the keeper dies of what kills a process. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGPIPE)
			(void)sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (listen(sock, 64) < 0)
		_exit(1);
	while (write(ready_w, "k", 1) < 0 && errno == EINTR)
		;
	close(ready_w);
	struct pollfd p[2] = {{.fd = sock, .events = POLLIN}, {.fd = life_r, .events = POLLIN}};
	for (;;) {
		if (poll(p, p[1].fd >= 0 ? 2 : 1, -1) < 0)
			continue;
		if (p[0].revents & POLLIN) {
			int c = accept4(sock, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (c >= 0)
				close(c);
		}
		if (p[1].fd >= 0 && (p[1].revents & (POLLIN | POLLHUP))) {
			char c;
			ssize_t r = read(p[1].fd, &c, 1);
			if (r == 0)
				_exit(0); /* up died before committing: take the lab with us */
			if (r == 1) {
				close(p[1].fd);
				p[1].fd = -1;
			}
		}
	}
}

/* ---- id maps ---- */

/* An executable named name in $PATH, or in the system's directories. */
static bool find_tool(const char *name, char *buf, size_t size)
{
	const char *path = getenv("PATH");
	char dirs[4096];

	nsl_fmt(dirs, sizeof(dirs), "%s:/usr/bin:/bin:/usr/sbin:/sbin", path ? path : "");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save))
		if (d[0] == '/' && nsl_fmt(buf, size, "%s/%s", d, name) && access(buf, X_OK) == 0)
			return true;
	return false;
}

static bool subid_range(const char *file, const char *user, uid_t uid, struct nsl_subid *ret)
{
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0)
		return false;
	for (;;) {
		if (cap - len < 4096) {
			if (cap >= (1u << 20))
				return false;
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap + 1);
			if (!nb)
				return false;
			buf = nb;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (!buf)
		return false;
	buf[len] = 0;
	return nsl_subid_find(buf, user, uid, ret);
}

/* Run TOOL PID 0 ID 1 1 START COUNT; its complaint, if any, goes into err. */
static int run_map_tool(const char *tool, pid_t pid, unsigned id, const struct nsl_subid *r,
                        struct nsl_err *err)
{
	char a[5][24], out[512];
	int pipefd[2], status;
	ssize_t got = 0, n;
	pid_t child;

	nsl_fmt(a[0], sizeof(a[0]), "%d", (int)pid);
	nsl_fmt(a[1], sizeof(a[1]), "%u", id);
	nsl_fmt(a[2], sizeof(a[2]), "%u", r->start);
	nsl_fmt(a[3], sizeof(a[3]), "%u", r->count);
	char *argv[] = {(char *)tool, a[0], "0", a[1], "1", "1", a[2], a[3], NULL};
	char *envp[] = {"PATH=/usr/bin:/bin:/usr/sbin:/sbin", NULL};
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return nsl_err_set(err, errno, "pipe: %m");
	child = fork();
	if (child < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return nsl_err_set(err, errno, "fork: %m");
	}
	if (child == 0) {
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (nul < 0 || dup2(nul, 0) < 0 || dup2(pipefd[1], 1) < 0 || dup2(pipefd[1], 2) < 0)
			_exit(127);
		nsl_proc_reset_for_exec(2);
		execve(tool, argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], out + got, sizeof(out) - 1 - (size_t)got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (got += n) >= (ssize_t)sizeof(out) - 1)
			break;
	}
	close(pipefd[0]);
	out[got] = 0;
	while (got > 0 && (out[got - 1] == '\n' || out[got - 1] == ' '))
		out[--got] = 0;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return nsl_err_set(err, errno, "wait for %s: %m", tool);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return nsl_err_set(err, EPERM, "%s %s 0 %u 1 1 %u %u failed (%s %d)%s%s", tool, a[0], id,
	                   r->start, r->count, WIFEXITED(status) ? "exit" : "signal",
	                   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
	                   out[0] ? ": " : "", out);
}

static int write_proc(pid_t pid, const char *file, const char *value, struct nsl_err *err)
{
	char path[64];
	int rc;

	nsl_fmt(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	rc = nsl_file_write(path, value);
	return rc < 0 ? nsl_err_set(err, rc, "write %s: %s", path, strerror(-rc)) : 0;
}

/* The user's own id maps to 0; with newuidmap, newgidmap and ranges for both, 1.. map to the
 * user's subordinate ranges (so that daemons that switch to a user of their own work). */
static int write_maps(struct nsl_keeper *k, struct nsl_err *err)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char uidmap[PATH_MAX], gidmap[PATH_MAX], line[64], pwbuf[4096];
	struct passwd pw, *pwp = NULL;
	struct nsl_subid su, sg;
	int rc;

	(void)!getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &pwp);
	if (find_tool("newuidmap", uidmap, sizeof(uidmap)) &&
	    find_tool("newgidmap", gidmap, sizeof(gidmap)) &&
	    subid_range("/etc/subuid", pwp ? pwp->pw_name : NULL, uid, &su) &&
	    subid_range("/etc/subgid", pwp ? pwp->pw_name : NULL, uid, &sg)) {
		rc = run_map_tool(uidmap, k->pid, (unsigned)uid, &su, err);
		if (rc == 0)
			rc = run_map_tool(gidmap, k->pid, (unsigned)gid, &sg, err);
		k->subids = rc == 0;
		return rc;
	}
	/* Alone, a user may map its own ids, and only after giving up setgroups. */
	nsl_fmt(line, sizeof(line), "0 %u 1\n", (unsigned)uid);
	rc = write_proc(k->pid, "uid_map", line, err);
	if (rc == 0)
		rc = write_proc(k->pid, "setgroups", "deny", err);
	nsl_fmt(line, sizeof(line), "0 %u 1\n", (unsigned)gid);
	if (rc == 0)
		rc = write_proc(k->pid, "gid_map", line, err);
	return rc;
}

/* ---- up's side ---- */

static int mark_bind(const char *lab, struct nsl_err *err)
{
	struct sockaddr_un sa;
	socklen_t len = mark_addr(&sa, lab);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return nsl_err_set(err, errno, "socket: %m");
	if (bind(fd, (struct sockaddr *)&sa, len) < 0) {
		int e = errno;
		close(fd);
		if (e == EADDRINUSE)
			return nsl_err_set(
			    err, EEXIST,
			    "the keeper's mark @%s is taken: a lab %s whose state was "
			    "lost is still running (run 'nslab down %s'), or another "
			    "process holds that name",
			    sa.sun_path + 1, lab, lab);
		return nsl_err_set(err, e, "bind @%s: %s", sa.sun_path + 1, strerror(e));
	}
	return fd;
}

static int identify(struct nsl_keeper *k, struct nsl_err *err)
{
	int fd;

	k->start_time = nsl_pidfd_starttime(k->pidfd, k->pid);
	fd = nsl_proc_open_ns(k->pidfd, k->pid, "user");
	if (!k->start_time || fd < 0) {
		if (fd >= 0)
			close(fd);
		return nsl_err_set(err, ESRCH, "the keeper vanished");
	}
	int rc = nsl_ns_id_of_fd(fd, &k->userns);
	close(fd);
	return rc < 0 ? nsl_err_set(err, rc, "the keeper's user namespace: %s", strerror(-rc)) : 0;
}

int nsl_keeper_start(const char *lab, int hold_w, struct nsl_keeper *k, struct nsl_err *err)
{
	int life[2] = {-1, -1}, ready[2] = {-1, -1}, sock, rc = 0;
	char c;

	memset(k, 0, sizeof(*k));
	k->pidfd = k->lifeline_w = k->uplink.pidfd = -1;
	sock = mark_bind(lab, err);
	if (sock < 0)
		return sock;
	if (pipe2(life, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0) {
		rc = nsl_err_set(err, errno, "pipe: %m");
		goto out;
	}
	struct clone_args ca = {
	    .flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_PIDFD,
	    .pidfd = (uint64_t)(uintptr_t)&k->pidfd,
	    .exit_signal = SIGCHLD,
	};
	pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0) {
		int e = errno;
		rc = nsl_err_set(err, e, "create the lab's user namespace: %s%s", strerror(e),
		                 e == EPERM || e == ENOSPC || e == EUSERS ? NSL_USERNS_HINT : "");
		goto out;
	}
	if (pid == 0)
		keeper_main(life[0], ready[1], sock, hold_w);
	k->pid = pid;
	k->lifeline_w = TAKE_FD(life[1]);
	close(ready[1]);
	ready[1] = -1;
	rc = write_maps(k, err);
	if (rc == 0) {
		ssize_t n;
		while ((n = read(ready[0], &c, 1)) < 0 && errno == EINTR)
			;
		if (n != 1)
			rc = nsl_err_set(err, EIO, "the keeper died while starting");
	}
	if (rc == 0)
		rc = identify(k, err);
	if (rc < 0)
		nsl_keeper_kill(k);
out:
	close(sock);
	for (int i = 0; i < 2; i++) {
		if (life[i] >= 0)
			close(life[i]);
		if (ready[i] >= 0)
			close(ready[i]);
	}
	return rc;
}

int nsl_keeper_join(const struct nsl_keeper *k, struct nsl_err *err)
{
	_cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (setns(k->pidfd, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) < 0)
		return nsl_err_set(err, errno, "enter the lab's user namespace: %m");
	/* Joining a mount namespace moves us to its root: back to where we were. */
	if (cwd >= 0 && fchdir(cwd) < 0)
		return nsl_err_set(err, errno, "back to the working directory: %m");
	/* Private: mounts on the host (other labs' binds) need not reach the lab. A user
	 * namespace without the powers it should give (an LSM's restriction on unprivileged
	 * ones) fails here first. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		int e = errno;
		return nsl_err_set(err, e, "make the lab's mount tree private: %s%s", strerror(e),
		                   e == EPERM || e == EACCES
		                       ? " (are unprivileged user namespaces restricted here? e.g. "
		                         "kernel.apparmor_restrict_unprivileged_userns)"
		                       : "");
	}
	return 0;
}

int nsl_keeper_commit(struct nsl_keeper *k, struct nsl_err *err)
{
	if (k->lifeline_w < 0)
		return 0;
	while (write(k->lifeline_w, "c", 1) < 0)
		if (errno != EINTR)
			return nsl_err_set(err, errno, "commit the keeper: %m");
	close(k->lifeline_w);
	k->lifeline_w = -1;
	return 0;
}

void nsl_keeper_kill(struct nsl_keeper *k)
{
	siginfo_t si;

	if (k->lifeline_w >= 0)
		close(k->lifeline_w);
	k->lifeline_w = -1;
	if (k->uplink.pidfd >= 0) {
		(void)nsl_pidfd_kill(k->uplink.pidfd, SIGKILL);
		if (waitid(P_PIDFD, (id_t)k->uplink.pidfd, &si, WEXITED) < 0)
			(void)nsl_pidfd_wait(k->uplink.pidfd, WAIT_GONE_MS);
	}
	if (k->pidfd >= 0) {
		(void)nsl_pidfd_kill(k->pidfd, SIGKILL);
		/* Our child if we started it: reap it; else wait until it is gone. */
		if (waitid(P_PIDFD, (id_t)k->pidfd, &si, WEXITED) < 0)
			(void)nsl_pidfd_wait(k->pidfd, WAIT_GONE_MS);
	}
	nsl_keeper_free(k);
}

void nsl_keeper_free(struct nsl_keeper *k)
{
	if (k->pidfd >= 0)
		close(k->pidfd);
	if (k->lifeline_w >= 0)
		close(k->lifeline_w);
	if (k->uplink.pidfd >= 0)
		close(k->uplink.pidfd);
	k->pidfd = k->lifeline_w = k->uplink.pidfd = -1;
	k->pid = k->uplink.pid = 0;
}

/* ---- the uplink ---- */

int nsl_keeper_uplink(struct nsl_keeper *k, int exit_r, int log_fd, struct nsl_err *err)
{
	char tool[PATH_MAX], a_pid[24], a_exit[24], a_ready[24];
	int ready[2], rc = 0;
	struct pollfd p;
	pid_t pid;
	char c;

	if (!find_tool("slirp4netns", tool, sizeof(tool)))
		return nsl_err_set(err, ENOENT,
		                   "host.uplink: slirp4netns is not installed (Debian: apt-get "
		                   "install slirp4netns)");
	if (pipe2(ready, O_CLOEXEC) < 0)
		return nsl_err_set(err, errno, "pipe: %m");
	/* In the child, the exit pipe is fd 3 and the ready pipe fd 4. */
	nsl_fmt(a_pid, sizeof(a_pid), "%d", (int)k->pid);
	nsl_fmt(a_exit, sizeof(a_exit), "--exit-fd=3");
	nsl_fmt(a_ready, sizeof(a_ready), "--ready-fd=4");
	char *argv[] = {tool,    "--configure", "--mtu=65520",     a_exit,
	                a_ready, a_pid,         NSL_UPLINK_IFNAME, NULL};
	char *envp[] = {"PATH=/usr/bin:/bin:/usr/sbin:/sbin", NULL};
	pid = fork();
	if (pid < 0) {
		rc = nsl_err_set(err, errno, "fork: %m");
		goto out;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
		/* Through fds above 4 first: the targets may be where the sources are. */
		int e = fcntl(exit_r, F_DUPFD, 10), r = fcntl(ready[1], F_DUPFD, 10);
		int l = log_fd >= 0 ? fcntl(log_fd, F_DUPFD, 10) : -1;
		if (nul < 0 || e < 0 || r < 0 || dup2(nul, 0) < 0 ||
		    dup2(l >= 0 ? l : nul, 1) < 0 || dup2(l >= 0 ? l : nul, 2) < 0 ||
		    dup2(e, 3) < 0 || dup2(r, 4) < 0)
			_exit(127);
		/* A command of its own: default signals, its own session, fds 0-4 only. */
		nsl_proc_reset_for_exec(4);
		setsid();
		execve(tool, argv, envp);
		_exit(127);
	}
	k->uplink.pid = pid;
	k->uplink.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	k->uplink.start_time = nsl_proc_starttime(pid);
	close(ready[1]);
	ready[1] = -1;
	if (k->uplink.pidfd < 0 || !k->uplink.start_time) {
		/* Our child, not reaped: its PID is still its own. Not left running untracked. */
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (k->uplink.pidfd >= 0)
			close(k->uplink.pidfd);
		k->uplink.pidfd = -1;
		k->uplink.pid = 0;
		rc = nsl_err_set(err, ESRCH, "host.uplink: slirp4netns vanished");
		goto out;
	}
	/* It says "1" once the lab's host has its interface, address and route. */
	p = (struct pollfd){.fd = ready[0], .events = POLLIN};
	if (poll(&p, 1, 10000) <= 0 || read(ready[0], &c, 1) != 1) {
		int status = 0;
		siginfo_t si = {0};
		if (waitid(P_PIDFD, (id_t)k->uplink.pidfd, &si, WEXITED | WNOHANG) == 0 &&
		    si.si_pid == pid)
			status = si.si_status;
		rc = nsl_err_set(err, EIO,
		                 "host.uplink: slirp4netns did not set the lab's host up (%s %d); "
		                 "its output is in the lab's uplink.log",
		                 si.si_pid == pid ? (si.si_code == CLD_EXITED ? "exit" : "signal")
		                                  : "still running after",
		                 si.si_pid == pid ? status : 10);
	}
out:
	for (int i = 0; i < 2; i++)
		if (ready[i] >= 0)
			close(ready[i]);
	return rc;
}

int nsl_uplink_open(pid_t pid, uint64_t start_time, struct nsl_keeper *ret)
{
	ret->uplink.pidfd = nsl_proc_pidfd(pid, start_time);
	if (ret->uplink.pidfd < 0) {
		ret->uplink.pidfd = -1;
		return 0;
	}
	ret->uplink.pid = pid;
	ret->uplink.start_time = start_time;
	return 1;
}

/* ---- down's side ---- */

/* Who listens at LAB's mark: its credentials, by the kernel's word. A full backlog (many
 * looking at once) is waited out, for a moment. */
static bool peer_at_mark(const char *lab, struct ucred *ret)
{
	struct sockaddr_un sa;
	socklen_t len = mark_addr(&sa, lab), cl = sizeof(*ret);

	for (int tries = 0; tries < 100; tries++) {
		_cleanup_close_ int fd =
		    socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return false;
		if (connect(fd, (struct sockaddr *)&sa, len) == 0)
			return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, ret, &cl) == 0 &&
			       cl == sizeof(*ret);
		if (errno != EAGAIN && errno != EINTR)
			return false;
		usleep(10000);
	}
	return false;
}

static bool comm_is(pid_t pid, const char *want)
{
	char path[64], buf[32];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	nsl_fmt(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return false;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return !strcmp(buf, want);
}

int nsl_keeper_find(const char *lab, struct nsl_keeper *ret)
{
	struct ucred c1, c2;
	uid_t owner;
	int fd;

	memset(ret, 0, sizeof(*ret));
	ret->pidfd = ret->lifeline_w = ret->uplink.pidfd = -1;
	if (!peer_at_mark(lab, &c1) || c1.uid != geteuid() || c1.pid <= 1)
		return 0;
	ret->pidfd = (int)syscall(SYS_pidfd_open, c1.pid, 0);
	if (ret->pidfd < 0)
		return 0;
	ret->pid = c1.pid;
	/* Still the one at the mark, now that the pidfd holds its PID: a live process keeps its
	 * PID, and answers for the same socket. */
	if (!peer_at_mark(lab, &c2) || c2.pid != c1.pid || c2.uid != c1.uid ||
	    !nsl_pidfd_alive(ret->pidfd) || !comm_is(c1.pid, NSL_KEEPER_COMM))
		goto not_ours;
	fd = nsl_proc_open_ns(ret->pidfd, ret->pid, "user");
	if (fd < 0)
		goto not_ours;
	/* A user namespace owned by the same user, and not ours: a lab's. */
	bool owned = ioctl(fd, NS_GET_OWNER_UID, &owner) == 0 && owner == geteuid() &&
	             nsl_ns_id_of_fd(fd, &ret->userns) == 0;
	close(fd);
	ret->start_time = nsl_pidfd_starttime(ret->pidfd, ret->pid);
	if (owned && ret->start_time)
		return 1;
not_ours:
	nsl_keeper_free(ret);
	return 0;
}

int nsl_keeper_open(pid_t pid, uint64_t start_time, struct nsl_keeper *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->lifeline_w = ret->uplink.pidfd = -1;
	ret->pidfd = nsl_proc_pidfd(pid, start_time);
	if (ret->pidfd < 0) {
		ret->pidfd = -1;
		return 0;
	}
	ret->pid = pid;
	ret->start_time = start_time;
	return 1;
}
