/* Namespaces: identity, enter-and-return, /run/netns binds, the holders' template. */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "kernel/ns.h"
#include "kernel/proc.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

int nsl_ns_id_of_fd(int fd, struct nsl_ns_id *ret)
{
	struct statfs sf;
	struct stat st;

	if (fstatfs(fd, &sf) < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (sf.f_type != NSFS_MAGIC)
		return -EINVAL;
	ret->dev = (uint64_t)st.st_dev;
	ret->ino = (uint64_t)st.st_ino;
	return 0;
}

bool nsl_ns_id_eq(const struct nsl_ns_id *a, const struct nsl_ns_id *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}

bool nsl_netns_is_host(const struct nsl_ns_id *id)
{
	/* Ours and PID 1's, read once: teardown asks for every namespace of a lab. */
	static struct nsl_ns_id host[2];
	static int known = -1;

	if (known < 0) {
		const char *paths[2] = {"/proc/self/ns/net", "/proc/1/ns/net"};
		known = 0;
		for (int i = 0; i < 2; i++) {
			struct stat st;
			if (stat(paths[i], &st) == 0)
				host[known++] =
				    (struct nsl_ns_id){(uint64_t)st.st_dev, (uint64_t)st.st_ino};
		}
	}
	for (int i = 0; i < known; i++)
		if (nsl_ns_id_eq(&host[i], id))
			return true;
	return false;
}

int nsl_netns_call(int netns_fd, int (*fn)(void *arg), void *arg)
{
	_cleanup_close_ int self = -1;
	int rc;

	if (netns_fd < 0)
		return fn(arg);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return -errno;
	rc = fn(arg);
	if (setns(self, CLONE_NEWNET) < 0)
		/* Staying in a lab's namespace would misdirect every later call: give up. */
		abort();
	return rc;
}

struct socket_args {
	int domain, type, protocol;
};

static int make_socket(void *arg)
{
	struct socket_args *a = arg;
	int fd = socket(a->domain, a->type | SOCK_CLOEXEC, a->protocol);

	return fd < 0 ? -errno : fd;
}

/* A socket made in a rootless lab's namespace for a caller outside the lab (who may not
 * enter it: setns wants CAP_SYS_ADMIN in the caller's own user namespace): a child joins the
 * user namespace that owns it (the caller's user owns that one), then the namespace, makes
 * the socket and hands it over. */
static int socket_helped(int netns_fd, const struct socket_args *a)
{
	int32_t result = 0;
	int sv[2], fd = -1, n, userns = ioctl(netns_fd, NS_GET_USERNS);
	pid_t pid;

	if (userns < 0)
		return -errno;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		int e = errno;
		close(userns);
		return -e;
	}
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		/* (EINVAL: we are in it already) */
		if (setns(userns, CLONE_NEWUSER) < 0 && errno != EINVAL)
			result = -errno;
		else if (setns(netns_fd, CLONE_NEWNET) < 0)
			result = -errno;
		else
			result = fd = make_socket((void *)a);
		_exit(nsl_send_fd(sv[1], &result, sizeof(result), fd) < 0);
	}
	close(sv[1]);
	close(userns);
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		return -e;
	}
	n = nsl_recv_fd(sv[0], &result, sizeof(result), &fd);
	close(sv[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (n < 0 || result < 0 || fd < 0) {
		if (fd >= 0)
			close(fd);
		return n < 0 ? n : result < 0 ? result : -EPROTO;
	}
	return fd;
}

int nsl_netns_call_throwaway(int (*fn)(void *arg, struct nsl_err *err), void *arg,
                             struct nsl_err *err)
{
	struct {
		int32_t rc;
		struct nsl_err err;
	} r = {0};
	int p[2], status = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return nsl_err_set(err, errno, "pipe: %m");
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return nsl_err_set(err, e, "fork: %s", strerror(e));
	}
	if (pid == 0) {
		close(p[0]);
		bool user = false;
		if (unshare(CLONE_NEWNET) < 0 &&
		    (errno != EPERM || (user = true, unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0))) {
			int e = errno;
			r.rc = nsl_err_set(
			    &r.err, e, "a throwaway network namespace%s: %s%s",
			    user ? " in a user namespace of its own" : "", strerror(e),
			    user && (e == EPERM || e == ENOSPC || e == EUSERS) ? NSL_USERNS_HINT
			                                                       : "");
		} else
			r.rc = fn(arg, &r.err);
		_exit(write(p[1], &r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 1);
	}
	close(p[1]);
	do
		n = read(p[0], &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(r))
		return nsl_err_set(err, EIO, "the child that probes the kernel died (status %d)",
		                   status);
	if (r.rc < 0)
		*err = r.err;
	return r.rc;
}

int nsl_netns_socket(int netns_fd, int domain, int type, int protocol, struct nsl_err *err)
{
	struct socket_args a = {domain, type, protocol};
	_cleanup_close_ int self = -1;
	int fd;

	if (netns_fd < 0) {
		fd = make_socket(&a);
		return fd < 0 ? nsl_err_set(err, fd, "socket: %s", strerror(-fd)) : fd;
	}
	/* Checked first, so that a bad fd is told apart from a socket that failed. */
	errno = 0;
	if (ioctl(netns_fd, NS_GET_NSTYPE) != CLONE_NEWNET)
		return nsl_err_set(err, errno ? errno : EINVAL,
		                   "enter network namespace: fd %d is no network namespace",
		                   netns_fd);
	fd = nsl_netns_call(netns_fd, make_socket, &a);
	/* Not ours to enter: a rootless lab's, from outside it. */
	if (fd == -EPERM)
		fd = socket_helped(netns_fd, &a);
	return fd < 0 ? nsl_err_set(err, fd, "socket in a network namespace: %s", strerror(-fd))
	              : fd;
}

int nsl_ns_node_flags(void)
{
	static int flags;

	if (!flags) {
		int f = CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWUTS;
		if (access("/proc/self/ns/ipc", F_OK) == 0)
			f |= CLONE_NEWIPC;
		if (access("/proc/self/ns/cgroup", F_OK) == 0)
			f |= CLONE_NEWCGROUP;
		if (access("/proc/self/ns/time", F_OK) == 0)
			f |= CLONE_NEWTIME;
		flags = f;
	}
	return flags;
}

pid_t nsl_pidfd_pid(int pidfd)
{
	char path[64], line[128];
	pid_t pid = -1;
	FILE *f;

	nsl_fmt(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid: %d", &pid) == 1)
			break;
	fclose(f);
	return pid;
}

/* Whether /proc/PID/ns/KIND is our own namespace of that kind: 1, 0, or -errno. */
static int ns_same_as_ours(pid_t pid, const char *kind)
{
	char path[64];
	struct stat theirs, ours;

	nsl_fmt(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, kind);
	if (stat(path, &theirs) < 0)
		return -errno;
	nsl_fmt(path, sizeof(path), "/proc/self/ns/%s", kind);
	if (stat(path, &ours) < 0)
		return -errno;
	return theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
}

int nsl_ns_join_flags(int pidfd, bool user)
{
	static const struct {
		int flag;
		const char *kind;
	} shared[] = {{CLONE_NEWIPC, "ipc"}, {CLONE_NEWCGROUP, "cgroup"}, {CLONE_NEWTIME, "time"}};
	int flags = nsl_ns_node_flags(), same;
	pid_t pid = nsl_pidfd_pid(pidfd); /* one read, for every kind */

	if (pid <= 0)
		return -ESRCH;
	for (size_t i = 0; i < NSL_ARRAY_SIZE(shared); i++)
		if ((flags & shared[i].flag) && ns_same_as_ours(pid, shared[i].kind) == 1)
			flags &= ~shared[i].flag;
	if (user) {
		same = ns_same_as_ours(pid, "user");
		if (same < 0)
			return same;
		if (!same)
			flags |= CLONE_NEWUSER;
	}
	return flags;
}

int nsl_become_ns_root(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return -errno;
	/* Whatever fs.suid_dumpable says: what we came in with (fds of the host's) stays out of
	 * reach of the node's root, who may ptrace what is dumpable in its user namespace. */
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		return -errno;
	return 0;
}

static bool is_mount_point(const char *path)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	while (f && !found && getline(&line, &cap, f) > 0) {
		char mp[4096];
		/* id parent major:minor root mount-point ... */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && !strcmp(mp, path))
			found = true;
	}
	if (f)
		fclose(f);
	return found;
}

static bool dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool empty = true;

	while (d && empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return d && empty;
}

/* Shared, so that a new mount namespace can drop every netns bind in one detach. Where /run
 * is not a tmpfs (some VMs keep it on ext4, whose directories slow down with every
 * create/delete cycle) and the directory is empty, a small tmpfs instead of a bind on itself. */
int nsl_netns_dir_prepare(struct nsl_err *err)
{
	struct statfs sf;

	if (mkdir(NSL_NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return nsl_err_set(err, errno, "create %s: %m", NSL_NETNS_DIR);
	if (is_mount_point(NSL_NETNS_DIR))
		return 0;
	if (statfs(NSL_NETNS_DIR, &sf) == 0 && sf.f_type != TMPFS_MAGIC &&
	    dir_empty(NSL_NETNS_DIR)) {
		if (mount("tmpfs", NSL_NETNS_DIR, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		          "mode=0755") < 0)
			return nsl_err_set(err, errno, "mount a tmpfs on %s: %m", NSL_NETNS_DIR);
	} else if (mount(NSL_NETNS_DIR, NSL_NETNS_DIR, NULL, MS_BIND | MS_REC, NULL) < 0) {
		return nsl_err_set(err, errno, "bind %s on itself: %m", NSL_NETNS_DIR);
	}
	if (mount(NULL, NSL_NETNS_DIR, NULL, MS_SHARED | MS_REC, NULL) < 0)
		return nsl_err_set(err, errno, "make %s shared: %m", NSL_NETNS_DIR);
	return 0;
}

int nsl_netns_bind(int netns_fd, const char *path, struct nsl_err *err)
{
	char src[64];
	int fd;

	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
	if (fd < 0)
		return nsl_err_set(err, errno, "create %s: %m", path);
	close(fd);
	/* From the fd we hold, never from a /proc/PID path whose PID could be another's by now. */
	nsl_fmt(src, sizeof(src), "/proc/self/fd/%d", netns_fd);
	if (mount(src, path, NULL, MS_BIND, NULL) < 0) {
		int e = errno;
		unlink(path);
		return nsl_err_set(err, e, "bind %s: %s", path, strerror(e));
	}
	return 0;
}

int nsl_netns_open_bound(const char *path, int *ret_fd, struct nsl_ns_id *ret_id)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct nsl_ns_id id;

	if (fd < 0)
		return errno == ENOENT || errno == ELOOP || errno == ENXIO || errno == EACCES
		           ? 0
		           : -errno;
	if (nsl_ns_id_of_fd(fd, &id) < 0) {
		close(fd);
		return 0; /* a plain file, a fifo, anything but a namespace */
	}
	/* Only network namespaces: nsfs also names pid, mnt, user... namespaces. */
	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		close(fd);
		return 0;
	}
	*ret_fd = fd;
	*ret_id = id;
	return 1;
}

void nsl_netns_drop_unbound(const char *path)
{
	struct stat st, dir;

	/* only an empty regular file with nothing mounted on it (on its directory's device) */
	if (lstat(path, &st) == 0 && stat(NSL_NETNS_DIR, &dir) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size == 0 && st.st_dev == dir.st_dev)
		(void)unlink(path);
}

void nsl_netns_unbind(const char *path)
{
	(void)umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW);
	(void)unlink(path);
}

int nsl_mntns_enter_template(struct nsl_mntns_saved *s)
{
	s->mnt = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	/* setns into a mount namespace resets root and cwd to its root: both come back after,
	 * the root too, so that nslab run in a chroot stays in it. */
	s->root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	s->cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->mnt < 0 || s->root < 0 || s->cwd < 0 || unshare(CLONE_NEWNS) < 0) {
		int e = errno;
		if (s->mnt >= 0)
			close(s->mnt);
		if (s->root >= 0)
			close(s->root);
		if (s->cwd >= 0)
			close(s->cwd);
		s->mnt = s->root = s->cwd = -1;
		return -e;
	}
	/* Private first: the detach below must not propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
		(void)umount2(NSL_NETNS_DIR, MNT_DETACH);
	return 0;
}

void nsl_mntns_leave(struct nsl_mntns_saved *s)
{
	if (s->mnt < 0)
		return;
	/* Binding namespaces in our private copy would hide them from everyone, and going on
	 * outside a chroot we were in would act on the wrong tree: never go on. */
	if (setns(s->mnt, CLONE_NEWNS) < 0 || fchdir(s->root) < 0 || chroot(".") < 0 ||
	    fchdir(s->cwd) < 0)
		abort();
	close(s->mnt);
	close(s->root);
	close(s->cwd);
	s->mnt = s->root = s->cwd = -1;
}
