/* The holder process and its spawning. A holder is cloned straight into new network, PID,
 * mount and UTS namespaces (clone3 with a pidfd), sets its node up from the inside (work
 * that runs on both cores, one process per node), reports on a shared pipe, then reaps. */
#include <fcntl.h>
#include <linux/sched.h>
#include <malloc.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kernel/holder.h"

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE 2
#endif

/* What a holder reports: sent in one write, smaller than PIPE_BUF, so never torn. */
struct report {
	int32_t node;
	int32_t error; /* positive errno, 0 when ready */
	int32_t step;
	int32_t index;
};

enum holder_step {
	STEP_READY,
	STEP_MOUNTS,
	STEP_PROC,
	STEP_SYS,
	STEP_HOSTNAME,
	STEP_DEFAULTS,
	STEP_LO,
	STEP_SYSCTL,
	STEP_NODE_MOUNT
};

static const char *step_name(int step)
{
	switch (step) {
	case STEP_MOUNTS:
		return "make mount tree private";
	case STEP_PROC:
		return "mount /proc";
	case STEP_SYS:
		return "mount /sys";
	case STEP_HOSTNAME:
		return "set hostname";
	case STEP_DEFAULTS:
		return "disable IPv6 duplicate address detection";
	case STEP_LO:
		return "bring lo up";
	case STEP_SYSCTL:
		return "sysctl";
	case STEP_NODE_MOUNT:
		return "mount";
	default:
		return "start";
	}
}

static int sysctl_path(const char *key, char *buf, size_t size)
{
	size_t len = strlen(key);

	if (len + sizeof("/proc/sys/") > size)
		return -ENAMETOOLONG;
	memcpy(buf, "/proc/sys/", 10);
	for (size_t i = 0; i <= len; i++)
		buf[10 + i] = key[i] == '.' ? '/' : key[i];
	return 0;
}

int nsl_file_write(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t len = strlen(value);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	return (size_t)n == len ? 0 : -EIO;
}

int nsl_sysctl_write(const char *key, const char *value, struct nsl_err *err)
{
	char path[512];
	int rc = sysctl_path(key, path, sizeof(path));

	if (rc == 0)
		rc = nsl_file_write(path, value);
	if (rc < 0)
		return nsl_err_set(err, rc, "sysctl %s=%s: %s", key, value, strerror(-rc));
	return 0;
}

int nsl_sysctl_read(const char *key, char **ret, struct nsl_err *err)
{
	char path[512], buf[256];
	int rc = sysctl_path(key, path, sizeof(path)), fd;
	ssize_t n;

	if (rc < 0)
		return nsl_err_set(err, rc, "sysctl %s: name too long", key);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return nsl_err_set(err, errno, "sysctl %s: %m", key);
	n = read(fd, buf, sizeof(buf) - 1);
	rc = errno;
	close(fd);
	if (n < 0)
		return nsl_err_set(err, rc, "sysctl %s: %s", key, strerror(rc));
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	*ret = strdup(buf);
	return *ret ? 0 : nsl_err_set(err, ENOMEM, "out of memory");
}

bool nsl_sysctl_is_per_iface(const struct nsl_node *n, const char *key)
{
	static const char *const scopes[] = {"net.ipv4.conf.", "net.ipv6.conf.", "net.ipv4.neigh.",
	                                     "net.ipv6.neigh.", "net.mpls.conf."};

	for (size_t i = 0; i < NSL_ARRAY_SIZE(scopes); i++) {
		size_t l = strlen(scopes[i]);
		if (strncmp(key, scopes[i], l))
			continue;
		const char *name = key + l, *dot = strchr(name, '.');
		size_t nl = dot ? (size_t)(dot - name) : strlen(name);
		for (size_t k = 0; k < n->n_ifaces; k++)
			if (n->ifaces[k].kind != NSL_IFACE_LO && strlen(n->ifaces[k].name) == nl &&
			    !strncmp(n->ifaces[k].name, name, nl))
				return true;
	}
	return false;
}

static void report(int fd, int node, int error, int step, int index)
{
	struct report r = {node, error < 0 ? -error : error, step, index};
	ssize_t n;

	do
		n = write(fd, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
}

static int lo_up(void)
{
	struct ifreq ifr = {.ifr_name = "lo"};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		rc = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!rc && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int node_mount(const struct nsl_mount *m)
{
	if (m->tmpfs) {
		if (mount("tmpfs", m->target, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
			return -errno;
	} else if (mount(m->source, m->target, NULL, MS_BIND | MS_REC, NULL) < 0) {
		return -errno;
	}
	if (m->read_only &&
	    mount(NULL, m->target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
	          NULL) < 0)
		return -errno;
	return 0;
}

/* Everything a holder does before it is ready; returns the failing step or STEP_READY. */
static int holder_setup(const struct nsl_node *n, int *ret_index, int *ret_err)
{
	int rc;

#define TRY(step, expr)                                                                            \
	do {                                                                                       \
		if ((rc = (expr)) < 0) {                                                           \
			*ret_err = rc;                                                             \
			return step;                                                               \
		}                                                                                  \
	} while (0)
#define SYS(call) ((call) < 0 ? -errno : 0)

	/* Private first: later mounts of the host (other nodes' binds) must not reach us. */
	TRY(STEP_MOUNTS, SYS(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)));
	TRY(STEP_PROC, SYS(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)));
	/* The host's /sys shows the host's interfaces: replace it, as `ip netns exec` does. */
	(void)umount2("/sys", MNT_DETACH);
	TRY(STEP_SYS, SYS(mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)));
	TRY(STEP_HOSTNAME, SYS(sethostname(n->hostname, strlen(n->hostname))));
	/* Addresses must be usable when up returns; users may turn DAD back on by sysctl. */
	TRY(STEP_DEFAULTS, nsl_file_write("/proc/sys/net/ipv6/conf/all/accept_dad", "0"));
	TRY(STEP_DEFAULTS, nsl_file_write("/proc/sys/net/ipv6/conf/default/accept_dad", "0"));
	TRY(STEP_LO, lo_up());
	for (size_t i = 0; i < n->n_sysctls; i++) {
		char path[512];
		if (nsl_sysctl_is_per_iface(n, n->sysctls[i].key))
			continue;
		*ret_index = (int)i;
		TRY(STEP_SYSCTL, sysctl_path(n->sysctls[i].key, path, sizeof(path)));
		TRY(STEP_SYSCTL, nsl_file_write(path, n->sysctls[i].value));
	}
	for (size_t i = 0; i < n->n_mounts; i++) {
		*ret_index = (int)i;
		TRY(STEP_NODE_MOUNT, node_mount(&n->mounts[i]));
	}
	*ret_index = 0;
	return STEP_READY;
#undef TRY
#undef SYS
}

static void close_all_but(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;

	if (lo > 3)
		syscall(SYS_close_range, 3, lo - 1, 0);
	if (hi > lo + 1)
		syscall(SYS_close_range, lo + 1, hi - 1, 0);
	syscall(SYS_close_range, hi + 1, ~0U, 0);
}

/* The holder's life after setup: reap every child; exit on SIGTERM/SIGINT/SIGHUP, or when
 * `up` dies before committing. PID 1 gets no default signal actions: handle them. */
static __attribute__((noreturn)) void holder_loop(int lifeline, int sfd)
{
	struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = lifeline, .events = POLLIN}};

	for (;;) {
		int n = poll(p, lifeline >= 0 ? 2 : 1, -1);
		if (n < 0)
			continue;
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGCHLD)
				_exit(0);
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
		}
		if (lifeline >= 0 && (p[1].revents & (POLLIN | POLLHUP))) {
			char c;
			ssize_t r = read(lifeline, &c, 1);
			if (r == 0)
				_exit(0); /* up died before committing: take the node with us */
			if (r == 1) {
				close(lifeline);
				lifeline = -1;
			}
		}
	}
}

static __attribute__((noreturn)) void holder_main(const struct nsl_node *n, int index, int ready_w,
                                                  int lifeline_r)
{
	int step, sub = 0, error = 0, nul, sfd;
	sigset_t mask;

	close_all_but(ready_w, lifeline_r);
	prctl(PR_SET_NAME, "nslab-holder");
	setsid();
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		if (nul > 2)
			close(nul);
	}
	sigfillset(&mask);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	step = holder_setup(n, &sub, &error);
	report(ready_w, index, error, step, sub);
	close(ready_w);
	if (step != STEP_READY || sfd < 0)
		_exit(1);
	holder_loop(lifeline_r, sfd);
}

static int spawn_all(const struct nsl_topology *t, struct nsl_holders *hs, struct nsl_err *err);

/* One thread's share of the holders: nodes from, from + step, ... below to. */
struct spawner {
	const struct nsl_topology *t;
	struct nsl_holders *hs;
	size_t from, to, step;
	int ready_w, life_r;
	int error;        /* errno of a failed clone */
	size_t failed_at; /* its node */
};

static void *spawn_range(void *arg);
static pid_t clone_holder(int *ret_pidfd);

/* The helper process's side: spawn its share, tell the parent each pid, wait until the
 * parent holds a pidfd for each (a pid stays ours while its parent has not reaped it). */
struct spawn_rec {
	int32_t index; /* -1: done */
	int32_t pid;   /* > 0, or -errno */
};

struct helper {
	pid_t pid;
	int chan; /* records from the helper */
	int go;   /* closed by the parent: the helper may exit */
};

static int helper_start(struct helper *hp, struct spawner *sp, int lifeline_w)
{
	int chan[2], go[2];

	if (pipe2(chan, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(go, O_CLOEXEC) < 0) {
		close(chan[0]);
		close(chan[1]);
		return -errno;
	}
	hp->pid = fork();
	if (hp->pid < 0) {
		for (int i = 0; i < 2; i++) {
			close(chan[i]);
			close(go[i]);
		}
		return -errno;
	}
	if (hp->pid == 0) {
		struct spawn_rec done = {-1, 0};
		char c;
		close(chan[0]);
		close(go[1]);
		close(lifeline_w); /* holders must see EOF if the parent dies */
		for (size_t i = sp->from; i < sp->to; i += sp->step) {
			int pidfd = -1;
			pid_t pid = clone_holder(&pidfd);
			if (pid == 0)
				holder_main(&sp->t->nodes[i], (int)i, sp->ready_w, sp->life_r);
			struct spawn_rec r = {(int32_t)i, pid > 0 ? pid : -errno};
			if (write(chan[1], &r, sizeof(r)) != sizeof(r) || pid < 0)
				break;
			close(pidfd);
		}
		close(sp->ready_w);
		close(sp->life_r);
		if (write(chan[1], &done, sizeof(done)) != sizeof(done))
			_exit(1);
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(chan[1]);
	close(go[0]);
	hp->chan = chan[0];
	hp->go = go[1];
	return 0;
}

static void helper_finish(struct helper *hp, struct spawner *sp)
{
	struct spawn_rec r;

	while (read(hp->chan, &r, sizeof(r)) == sizeof(r) && r.index >= 0) {
		if ((size_t)r.index >= sp->to)
			break;
		if (r.pid < 0) {
			sp->error = -r.pid;
			sp->failed_at = (size_t)r.index;
			break;
		}
		sp->hs->h[r.index].pid = r.pid;
		sp->hs->h[r.index].pidfd = (int)syscall(SYS_pidfd_open, r.pid, 0);
		if (sp->hs->h[r.index].pidfd < 0) { /* a holder we could not signal: fail now */
			sp->error = errno;
			sp->failed_at = (size_t)r.index;
		}
	}
	close(hp->chan);
	close(hp->go);
	while (waitpid(hp->pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static pid_t clone_holder(int *ret_pidfd)
{
	struct clone_args ca = {
	    .flags = CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID | CLONE_PIDFD,
	    .pidfd = (uint64_t)(uintptr_t)ret_pidfd,
	    .exit_signal = SIGCHLD,
	};

	return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
}

static void *spawn_range(void *arg)
{
	struct spawner *sp = arg;

	for (size_t i = sp->from; i < sp->to; i += sp->step) {
		int pidfd = -1;
		pid_t pid = clone_holder(&pidfd);
		if (pid < 0) {
			sp->error = errno;
			sp->failed_at = i;
			break;
		}
		if (pid == 0)
			holder_main(&sp->t->nodes[i], (int)i, sp->ready_w, sp->life_r);
		sp->hs->h[i].pid = pid;
		sp->hs->h[i].pidfd = pidfd;
	}
	return NULL;
}

static int open_netns(struct nsl_holder *h)
{
	char path[64];
	struct stat st;

	nsl_fmt(path, sizeof(path), "/proc/%d/ns/net", (int)h->pid);
	h->netns_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (h->netns_fd < 0 || fstat(h->netns_fd, &st) < 0)
		return -errno;
	h->netns_ino = st.st_ino;
	return 0;
}

/* A new mount namespace copies every mount of its parent, and the host may hold
 * thousands of netns binds (other labs'). Holders are therefore cloned from a template
 * namespace of our own, private and without /run/netns, then we go back to the host's. */
static int enter_template(int *ret_host_mnt, int *ret_cwd)
{
	int mnt = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (mnt < 0 || cwd < 0 || unshare(CLONE_NEWNS) < 0) {
		if (mnt >= 0)
			close(mnt);
		if (cwd >= 0)
			close(cwd);
		return -errno;
	}
	/* Private first: the detach below must not propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
		(void)umount2(NSL_NETNS_DIR, MNT_DETACH);
	*ret_host_mnt = mnt;
	*ret_cwd = cwd;
	return 0;
}

static void leave_template(int host_mnt, int cwd)
{
	if (host_mnt < 0)
		return;
	/* Binding namespaces in our private copy would hide them from everyone: never go on. */
	if (setns(host_mnt, CLONE_NEWNS) < 0 || fchdir(cwd) < 0)
		abort();
	close(host_mnt);
	close(cwd);
}

int nsl_holders_spawn(const struct nsl_topology *t, struct nsl_holders *hs, struct nsl_err *err)
{
	int host_mnt = -1, cwd = -1;
	int rc = enter_template(&host_mnt, &cwd);

	if (rc < 0)
		return nsl_err_set(err, rc, "private mount namespace for the holders: %s",
		                   strerror(-rc));
	rc = spawn_all(t, hs, err);
	leave_template(host_mnt, cwd);
	return rc;
}

static int spawn_all(const struct nsl_topology *t, struct nsl_holders *hs, struct nsl_err *err)
{
	int ready[2] = {-1, -1}, life[2] = {-1, -1}, rc = 0;
	size_t spawned = 0, got = 0;

	memset(hs, 0, sizeof(*hs));
	hs->lifeline_w = -1;
	hs->h = calloc(t->n_nodes ? t->n_nodes : 1, sizeof(*hs->h));
	if (!hs->h)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < t->n_nodes; i++)
		hs->h[i].pidfd = hs->h[i].netns_fd = -1;
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(life, O_CLOEXEC) < 0) {
		rc = nsl_err_set(err, errno, "pipe: %m");
		goto fail;
	}
	hs->lifeline_w = life[1];
	life[1] = -1;
	/* Every clone copies our memory map: give back what parsing left unused. */
	malloc_trim(0);
	/* Fault injection decides up front how many holders this run gets to start. */
	size_t limit = t->n_nodes;
	int step_rc = 0;
	for (size_t i = 0; i < t->n_nodes; i++) {
		char what[NSL_NAME_MAX + 32];
		nsl_fmt(what, sizeof(what), "node %s: start holder", t->nodes[i].name);
		step_rc = nsl_step(what, err);
		if (step_rc < 0) {
			limit = i;
			break;
		}
	}
	/* Namespace creation scales over both cores, but only from two processes: clone
	 * copies the caller's memory map under its lock, so two threads of one process would
	 * clone one at a time. A helper process starts every other holder. */
	struct spawner sp[2] = {
	    {.t = t,
	     .hs = hs,
	     .from = 0,
	     .to = limit,
	     .step = 2,
	     .ready_w = ready[1],
	     .life_r = life[0]},
	    {.t = t,
	     .hs = hs,
	     .from = 1,
	     .to = limit,
	     .step = 2,
	     .ready_w = ready[1],
	     .life_r = life[0]},
	};
	struct helper helper = {.pid = -1, .chan = -1, .go = -1};
	if (limit < 16 || helper_start(&helper, &sp[1], hs->lifeline_w) < 0)
		sp[0].step = 1;
	spawn_range(&sp[0]);
	if (helper.pid > 0)
		helper_finish(&helper, &sp[1]);
	hs->n = limit;
	spawned = 0;
	for (size_t i = 0; i < limit; i++)
		spawned += hs->h[i].pid > 0;
	for (int k = 0; k < 2 && rc == 0; k++)
		if (sp[k].error)
			rc = nsl_err_set(err, sp[k].error, "node %s: start holder: %s%s",
			                 t->nodes[sp[k].failed_at].name, strerror(sp[k].error),
			                 sp[k].error == ENOSPC
			                     ? " (a namespace limit in /proc/sys/user/ is reached)"
			                     : "");
	if (rc == 0 && step_rc < 0)
		rc = step_rc;
	close(ready[1]);
	ready[1] = -1;
	close(life[0]);
	life[0] = -1;
	if (rc < 0) {
		got = 0;
		goto fail;
	}
	/* Every holder reports once; EOF before that means one died without a word. */
	while (got < spawned) {
		struct report r;
		ssize_t n = read(ready[0], &r, sizeof(r));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(r)) {
			rc = nsl_err_set(err, EIO, "a holder died during setup");
			goto fail;
		}
		got++;
		if (r.error || r.step != STEP_READY || r.node < 0 || (size_t)r.node >= hs->n) {
			const struct nsl_node *nd =
			    &t->nodes[r.node >= 0 && (size_t)r.node < hs->n ? r.node : 0];
			if (r.step == STEP_SYSCTL)
				rc = nsl_err_set(err, r.error, "node %s: sysctl %s: %s", nd->name,
				                 nd->sysctls[r.index].key, strerror(r.error));
			else if (r.step == STEP_NODE_MOUNT)
				rc = nsl_err_set(err, r.error, "node %s: mount %s: %s", nd->name,
				                 nd->mounts[r.index].target, strerror(r.error));
			else
				rc = nsl_err_set(err, r.error, "node %s: %s: %s", nd->name,
				                 step_name(r.step), strerror(r.error));
			goto fail;
		}
	}
	for (size_t i = 0; i < hs->n; i++) {
		hs->h[i].start_time = nsl_proc_starttime(hs->h[i].pid);
		if (open_netns(&hs->h[i]) < 0 || !hs->h[i].start_time) {
			rc = nsl_err_set(err, errno ? errno : ESRCH, "node %s: holder vanished",
			                 t->nodes[i].name);
			goto fail;
		}
	}
	close(ready[0]);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
		if (life[i] >= 0)
			close(life[i]);
	}
	nsl_holders_kill(hs);
	return rc < 0 ? rc : -EIO;
}

int nsl_holders_commit(struct nsl_holders *hs, struct nsl_err *err)
{
	size_t left = hs->n;
	char buf[512];

	memset(buf, 'c', sizeof(buf));
	while (left) {
		ssize_t n = write(hs->lifeline_w, buf, left < sizeof(buf) ? left : sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return nsl_err_set(err, errno, "commit holders: %m");
		}
		left -= (size_t)n;
	}
	close(hs->lifeline_w);
	hs->lifeline_w = -1;
	return 0;
}

void nsl_holders_kill(struct nsl_holders *hs)
{
	if (hs->lifeline_w >= 0) {
		close(hs->lifeline_w);
		hs->lifeline_w = -1;
	}
	for (size_t i = 0; i < hs->n; i++)
		if (hs->h[i].pidfd >= 0)
			syscall(SYS_pidfd_send_signal, hs->h[i].pidfd, SIGKILL, NULL, 0);
	for (size_t i = 0; i < hs->n; i++) {
		/* Our own children: reap them so no zombie outlives the call; the helper's: wait
		 * until they are gone. */
		int w;
		if (hs->h[i].pid > 0) {
			while ((w = waitpid(hs->h[i].pid, NULL, 0)) < 0 && errno == EINTR)
				;
			if (w < 0 && hs->h[i].pidfd >= 0) {
				struct pollfd p = {.fd = hs->h[i].pidfd, .events = POLLIN};
				while (poll(&p, 1, 5000) < 0 && errno == EINTR)
					;
			}
		}
		if (hs->h[i].pidfd >= 0)
			close(hs->h[i].pidfd);
		if (hs->h[i].netns_fd >= 0)
			close(hs->h[i].netns_fd);
		hs->h[i].pidfd = hs->h[i].netns_fd = -1;
		hs->h[i].pid = 0;
	}
}

void nsl_holders_free(struct nsl_holders *hs)
{
	if (!hs->h)
		return;
	for (size_t i = 0; i < hs->n; i++) {
		if (hs->h[i].pidfd >= 0)
			close(hs->h[i].pidfd);
		if (hs->h[i].netns_fd >= 0)
			close(hs->h[i].netns_fd);
	}
	if (hs->lifeline_w >= 0)
		close(hs->lifeline_w);
	free(hs->h);
	hs->h = NULL;
	hs->n = 0;
}
