/* Running a command (see spawn.h). Into a node: the parent points its children's PID
 * namespace at the holder's (setns of CLONE_NEWPID changes only where children are born),
 * clones the child with a pidfd, then points it back; the child joins the node's network,
 * mount and UTS namespaces itself. So the command is a child of ours, in the node's PID
 * namespace, and never runs a line of nslab in a namespace it should not be in. A node whose
 * holder nslab put in a cgroup of its own (limits) gets its commands born in that cgroup too
 * (clone3's CLONE_INTO_CGROUP): its limits hold whatever runs in it.
 *
 * Where we could not point our children back (a rootless lab: from outside it we may not
 * enter its PID namespaces, and from inside it, not come back to ours), a helper does the
 * pointing: it joins the lab's user namespace (unless it is in it already) and the node's
 * PID namespace for children, then clones the command as our child (CLONE_PARENT) and hands
 * us its pidfd. The command is still ours to wait for. */
#include <fcntl.h>
#include <linux/nsfs.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kernel/cgroup.h"
#include "kernel/ns.h"
#include "kernel/proc.h"
#include "kernel/spawn.h"

/* A line on the command's stderr from the child: formatted on the stack (a vfork child may
 * not allocate, and dprintf does). */
static __attribute__((noreturn)) void child_fail(int code, const char *what, const char *arg, int e)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "nslab: %s%s%s: %s\n", what, arg ? " " : "",
	                 arg ? arg : "", strerror(e));

	if (n > 0)
		(void)!write(2, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	_exit(code);
}

/* The child, from its birth to the command. It may share our memory (a vfork child, until
 * it execs): it writes nothing of ours, allocates nothing; environ is the command's already
 * (set around the birth: see nsl_spawn). */
static __attribute__((noreturn)) void child(const struct nsl_spawn *s, pid_t parent, int flags)
{
	int fds[3] = {s->fd_in, s->fd_out, s->fd_err}, nul = -1;

	/* The command's stdio first (above 2, then into place), so that what fails next is
	 * told on its own stderr. */
	for (int i = 0; i < 3; i++) {
		if (fds[i] < 0) {
			if (nul < 0)
				nul = open("/dev/null", O_RDWR | O_CLOEXEC);
			if (nul < 0)
				_exit(125);
			fds[i] = nul;
		}
		fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
		if (fds[i] < 0)
			_exit(125);
	}
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			_exit(125);
	if (s->new_session)
		setsid();
	if (s->parent_death_signal) {
		prctl(PR_SET_PDEATHSIG, s->parent_death_signal);
		/* (in a node, our parent is outside the PID namespace: getppid() says 0) */
		if (s->holder_pidfd < 0 && getppid() != parent)
			_exit(125); /* the parent is already gone */
	}
	/* Into a node's own user namespace, we are still the host's uid 0 until we become the
	 * node's root: not dumpable meanwhile, or the node's root (CAP_SYS_PTRACE over its user
	 * namespace) could ptrace us or take our fds (pidfd_getfd) in that window; and nothing of
	 * nslab's open but the holder's pidfd. exec makes the command dumpable again. */
	if (flags & CLONE_NEWUSER) {
		if (prctl(PR_SET_DUMPABLE, 0) < 0)
			child_fail(125, "not dumpable", NULL, errno);
		if (s->holder_pidfd > 3)
			syscall(SYS_close_range, 3, (unsigned)s->holder_pidfd - 1, 0);
		syscall(SYS_close_range, (unsigned)s->holder_pidfd + 1, ~0U, 0);
	}
	/* The one place a command enters a node: every namespace of it at once (ns.h). */
	if (s->holder_pidfd >= 0 && setns(s->holder_pidfd, flags) < 0)
		child_fail(125, "enter the node's namespaces", NULL, errno);
	/* A node's own user namespace (joined first by that setns): the command is its root,
	 * the first id of the node's range on the host, never the host's root. */
	if (flags & CLONE_NEWUSER) {
		int rc = nsl_become_ns_root();
		if (rc < 0)
			child_fail(125, "become the node's root", NULL, -rc);
	}
	/* The command starts clean: default signals, empty mask, fds 0-2 only. */
	nsl_proc_reset_for_exec(2);
	/* Joining a mount namespace moved us to its root: back where we were if the node
	 * sees that directory too. */
	if (!s->cwd || chdir(s->cwd) < 0)
		if (chdir("/") < 0)
			child_fail(125, "chdir /", NULL, errno);
	/* (environ is the command's: PATH, the node's own when it sets one, finds it) */
	execvp(s->argv[0], s->argv);
	child_fail(errno == ENOENT ? 127 : 126, "exec", s->argv[0], errno);
}

/* Whether two "K=V" (or "K") entries name the same variable. */
static bool same_key(const char *a, const char *b)
{
	size_t ka = strcspn(a, "="), kb = strcspn(b, "=");
	return ka == kb && !memcmp(a, b, ka);
}

/* The command's environment, made before its birth (a vfork child may not allocate): ours,
 * with s->env's entries in order, as putenv() would leave it ("K" alone removes K). NULL when
 * s->env adds nothing (the command gets ours), or out of memory (*ret_err). The strings are
 * borrowed; the array is the caller's to free. */
static char **command_env(const struct nsl_spawn *s, int *ret_err)
{
	size_t n_own = 0, n_add = 0, k = 0;
	char **envp;

	*ret_err = 0;
	for (; s->env && s->env[n_add]; n_add++)
		;
	if (!n_add)
		return NULL;
	for (; environ && environ[n_own]; n_own++)
		;
	envp = calloc(n_own + n_add + 1, sizeof(*envp));
	if (!envp) {
		*ret_err = ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < n_own; i++) {
		bool replaced = false;
		for (size_t j = 0; j < n_add && !replaced; j++)
			replaced = same_key(environ[i], s->env[j]);
		if (!replaced)
			envp[k++] = environ[i];
	}
	for (size_t j = 0; j < n_add; j++) {
		bool later = false;
		for (size_t l = j + 1; l < n_add && !later; l++)
			later = same_key(s->env[j], s->env[l]);
		if (!later && strchr(s->env[j], '='))
			envp[k++] = s->env[j];
	}
	return envp;
}

/* Whether we may point our children's PID namespace at a node's and back: we are root in
 * the user namespace that owns our own PID namespace (root, in the host). Read once. */
static bool can_come_back(void)
{
	static int yes = -1;

	if (yes < 0) {
		struct stat mine, owner;
		int pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC), userns = -1;
		yes = geteuid() == 0 && pidns >= 0 && (userns = ioctl(pidns, NS_GET_USERNS)) >= 0 &&
		      fstat(userns, &owner) == 0 && stat("/proc/self/ns/user", &mine) == 0 &&
		      mine.st_ino == owner.st_ino && mine.st_dev == owner.st_dev;
		if (userns >= 0)
			close(userns);
		if (pidns >= 0)
			close(pidns);
	}
	return yes;
}

struct helped {
	int32_t pid; /* > 0, or -errno */
	int32_t step;
};

/* The helper: into the lab's user namespace (if not there yet) and the node's PID namespace
 * for children, then the command, a child of the helper's parent. */
static __attribute__((noreturn)) void helper(const struct nsl_spawn *s, int sock, pid_t parent,
                                             int flags, char *const *envp)
{
	struct clone_args ca = {.flags = CLONE_PIDFD | CLONE_PARENT};
	struct helped h = {0, 0};

	environ = (char **)envp; /* our own copy's: the command's environment */
	int pidfd = -1;
	pid_t pid;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	if (setns(s->holder_pidfd, CLONE_NEWUSER | CLONE_NEWPID) < 0 &&
	    (errno != EINVAL || setns(s->holder_pidfd, CLONE_NEWPID) < 0)) {
		h.pid = -errno;
		h.step = 1;
		_exit(nsl_send_fd(sock, &h, sizeof(h), -1) < 0);
	}
	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0) {
		close(sock);
		child(s, parent, flags);
	}
	h.pid = pid > 0 ? pid : -errno;
	h.step = 2;
	_exit(nsl_send_fd(sock, &h, sizeof(h), pidfd) < 0);
}

static int spawn_helped(const struct nsl_spawn *s, char *const *envp, struct nsl_child *ret,
                        struct nsl_err *err)
{
	struct helped h = {0, 0};
	pid_t parent = getpid(), hp;
	int sv[2], pidfd = -1, n;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return nsl_err_set(err, errno, "socketpair: %m");
	hp = fork();
	if (hp < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		return nsl_err_set(err, e, "fork: %s", strerror(e));
	}
	if (hp == 0) {
		close(sv[0]);
		int flags = nsl_ns_join_flags(s->holder_pidfd, false);
		/* (holder gone: the helper's setns says so) */
		helper(s, sv[1], parent, flags < 0 ? nsl_ns_node_flags() : flags, envp);
	}
	close(sv[1]);
	n = nsl_recv_fd(sv[0], &h, sizeof(h), &pidfd);
	close(sv[0]);
	while (waitpid(hp, NULL, 0) < 0 && errno == EINTR)
		;
	if (n < 0 || h.pid <= 0 || pidfd < 0) {
		int e = n < 0 ? -n : h.pid < 0 ? -h.pid : EPROTO;
		if (pidfd >= 0)
			close(pidfd);
		if (h.step == 1)
			return nsl_err_set(err, e, "enter the node's PID namespace: %s",
			                   e == ESRCH ? "its holder is gone" : strerror(e));
		return nsl_err_set(err, e, "start %s: %s", s->argv[0], strerror(e));
	}
	ret->pid = h.pid;
	ret->pidfd = pidfd;
	ret->session = s->new_session;
	return 0;
}

/* Our child, born as a copy of us (clone3: it can be born in a cgroup, and join a time or
 * user namespace, which the kernel refuses to a process that shares its parent's memory). */
static pid_t birth_copied(const struct nsl_spawn *s, pid_t parent, int flags, int cgroup,
                          int *ret_pidfd)
{
	struct clone_args ca = {.flags = CLONE_PIDFD, .exit_signal = SIGCHLD};
	pid_t pid;

	if (cgroup >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)cgroup;
	}
	ca.pidfd = (uint64_t)(uintptr_t)ret_pidfd;
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		child(s, parent, flags);
	return pid;
}

/* Our child, born sharing our memory until it execs (vfork: no page tables copied, no
 * copy-on-write faults; about a third of `exec`'s time here). Our own child stays ours to
 * wait for, so its PID names it until then: pidfd_open cannot take another process. */
static pid_t birth_shared(const struct nsl_spawn *s, pid_t parent, int flags, int *ret_pidfd)
{
	pid_t pid = vfork();

	if (pid == 0)
		child(s, parent, flags);
	if (pid > 0) {
		*ret_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (*ret_pidfd < 0) {
			int e = errno;
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			errno = e;
			return -1;
		}
	}
	return pid;
}

int nsl_spawn(const struct nsl_spawn *s, struct nsl_child *ret, struct nsl_err *err)
{
	_cleanup_close_ int self = -1, cgroup = -1;
	pid_t parent = getpid(), pid;
	int pidfd = -1, e, flags = 0; /* the namespaces the child joins: none for the host */
	sigset_t all, old;
	_cleanup_free_ char **own_env = NULL;
	char **our_env = environ;
	struct sigaction chld;

	ret->pid = 0;
	ret->pidfd = -1;
	ret->session = false;
	if (!s->argv || !s->argv[0])
		return nsl_err_set(err, EINVAL, "no command");
	own_env = command_env(s, &e);
	if (e)
		return nsl_err_set(err, e, "environment: %s", strerror(e));
	char *const *envp = own_env ? own_env : environ;
	if (s->holder_pidfd >= 0 && !can_come_back())
		return spawn_helped(s, envp, ret, err);
	if (s->holder_pidfd >= 0) {
		/* Only the namespaces that differ from ours: joining one's own time namespace is
		 * refused to a vfork child all the same. */
		flags = nsl_ns_join_flags(s->holder_pidfd, true);
		if (flags < 0)
			return nsl_err_set(err, -flags, "the node's namespaces: %s",
			                   flags == -ESRCH ? "its holder is gone"
			                                   : strerror(-flags));
		self = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (self < 0)
			return nsl_err_set(err, errno, "open our PID namespace: %m");
		if (setns(s->holder_pidfd, CLONE_NEWPID) < 0)
			return nsl_err_set(err, errno, "enter the node's PID namespace: %s",
			                   errno == ESRCH ? "its holder is gone" : strerror(errno));
		int rc = nsl_cgroup_of_pidfd(s->holder_pidfd, &cgroup);
		if (rc < 0) {
			if (setns(self, CLONE_NEWPID) < 0)
				abort();
			return nsl_err_set(err, -rc, "open the node's cgroup: %s", strerror(-rc));
		}
	}
	/* No handler of ours may run in the child (a vfork child's would write our memory): it
	 * is born with every signal blocked and unblocks them once they are back to default. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	/* Our children must stay ours to wait for (pidfd_open names an unreaped child only): not
	 * reaped behind our back because whoever started us ignored SIGCHLD. */
	if (sigaction(SIGCHLD, NULL, &chld) == 0 && chld.sa_handler == SIG_IGN) {
		chld.sa_handler = SIG_DFL;
		sigaction(SIGCHLD, &chld, NULL);
	}
	/* The command's environment is environ for the moment of its birth (execvp looks the
	 * command up in environ's PATH); no code of ours runs meanwhile. */
	environ = (char **)envp;
	if (cgroup >= 0 || (flags & (CLONE_NEWUSER | CLONE_NEWTIME)))
		pid = birth_copied(s, parent, flags, cgroup, &pidfd);
	else
		pid = birth_shared(s, parent, flags, &pidfd);
	e = errno;
	environ = our_env;
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* Our own active namespace is always one we may return to; staying would put every
	 * later child of ours in a node. */
	if (self >= 0 && setns(self, CLONE_NEWPID) < 0)
		abort();
	if (pid < 0)
		return nsl_err_set(err, e, "start %s: %s", s->argv[0], strerror(e));
	ret->pid = pid;
	ret->pidfd = pidfd;
	ret->session = s->new_session;
	return 0;
}

int nsl_child_wait(struct nsl_child *c, int timeout_ms, int *ret_status)
{
	struct pollfd p = {.fd = c->pidfd, .events = POLLIN};
	siginfo_t si;
	int rc;

	if (c->pidfd < 0 || c->pid <= 0)
		return -ECHILD;
	rc = poll(&p, 1, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	if (rc == 0)
		return 0;
	memset(&si, 0, sizeof(si));
	while (waitid(P_PIDFD, (id_t)c->pidfd, &si, WEXITED) < 0)
		if (errno != EINTR)
			return -errno;
	c->pid = 0;
	*ret_status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
	return 1;
}

void nsl_child_kill(struct nsl_child *c)
{
	siginfo_t si;

	if (c->pid <= 0 || c->pidfd < 0)
		return;
	/* Not reaped yet: the PID and its process group are still the child's. */
	if (c->session)
		kill(-c->pid, SIGKILL);
	(void)nsl_pidfd_kill(c->pidfd, SIGKILL);
	while (waitid(P_PIDFD, (id_t)c->pidfd, &si, WEXITED) < 0 && errno == EINTR)
		;
	c->pid = 0;
}

void nsl_child_close(struct nsl_child *c)
{
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
}
