/* The holder process and its spawning. A holder is cloned straight into new network, PID,
 * mount and UTS namespaces (clone3 with a pidfd), sets its node up from the inside (work that
 * runs on both cores, one process per node; the requests it makes to its node's kernel are in
 * holder_node.c), reports on a shared pipe, then reaps. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sched.h>
#include <malloc.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kernel/holder.h"
#include "kernel/holder_impl.h"
#include "kernel/mount.h"
#include "kernel/proc.h"
#include "kernel/rootfs.h"
#include "kernel/sysctl.h"

/* What a holder reports: one write, smaller than PIPE_BUF, so never torn. */
struct report {
	int32_t node;
	int32_t error; /* positive errno, 0 when ready */
	int32_t step;
	int32_t index;
	int32_t max_ifindex;
};

enum holder_step {
	STEP_READY,
	STEP_MOUNTS,
	STEP_PROC,
	STEP_SYS,
	STEP_HOSTNAME,
	STEP_DEFAULTS,
	STEP_LO,
	STEP_MARK,
	STEP_SYSCTL,
	STEP_NODE_MOUNT,
	STEP_TIME,
	STEP_CGROUPNS,
	STEP_ROOTFS, /* index: the part (enum nsl_rootfs_part), in the high bits the mount */
	STEP_OOM,
	STEP_USERNS,
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
	case STEP_MARK:
		return "mark lo";
	case STEP_TIME:
		return "time namespace with its offsets";
	case STEP_CGROUPNS:
		return "cgroup namespace";
	case STEP_OOM:
		return "keep the holder from the OOM killer";
	case STEP_USERNS:
		return "user namespace (its id maps, or becoming its root)";
	default:
		return "start";
	}
}

/* Open path (kept for the holder's life), and name it by /proc/self/fd in buf. */
static int open_as(char buf[static 32], const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	nsl_fmt(buf, 32, "/proc/self/fd/%d", fd);
	return 0;
}

/* Everything a holder does before it is ready; returns the failing step or STEP_READY. */
static int holder_setup(const struct nsl_holder_spec *s, int *ret_index, int *ret_err)
{
	int rc;

#define TRY(step, expr)                                                                            \
	do {                                                                                       \
		if ((rc = (expr)) < 0) {                                                           \
			*ret_err = rc;                                                             \
			return step;                                                               \
		}                                                                                  \
	} while (0)

	/* The holder is the node: the OOM killer takes what runs in it, never the node itself
	 * (in a user namespace of its own, the parent wrote it: that needs the host's root). */
	if (s->cgroup_fd >= 0 && !s->uid_base)
		TRY(STEP_OOM, nsl_file_write("/proc/self/oom_score_adj", "-1000"));
	if (s->namespaces & NSL_NS_TIME)
		TRY(STEP_TIME, nsl_holder_time_ns(s));
	/* In its cgroup from birth (CLONE_INTO_CGROUP): that cgroup is the node's "/". */
	if (s->namespaces & NSL_NS_CGROUP)
		TRY(STEP_CGROUPNS, unshare(CLONE_NEWCGROUP) < 0 ? -errno : 0);
	/* Private first: later mounts of the host (other nodes' binds) must not reach us. */
	TRY(STEP_MOUNTS, nsl_mount_private_root());
	struct nsl_rootfs_setup r = {.kind = s->rootfs,
	                             .tree = s->tree,
	                             .dir = s->dir,
	                             .hosts_file = s->hosts_file,
	                             .hostname_file = s->hostname_file,
	                             .state_root = s->state_root,
	                             .hostname = s->hostname,
	                             .mounts = s->mounts,
	                             .n_mounts = s->n_mounts,
	                             .userns = s->uid_base != 0};
	bool root = false;
	char dir[32], hosts[32], tree[32];
	if (s->rootfs != NSL_ROOTFS_HOST && s->uid_base) {
		/* overlayfs works as the one who mounted it: the node's root, who owns the layers
		 * (made by the parent). The lab's state is closed to that root: what the root
		 * needs of it is opened first, as the host's uid 0 (their owner), and reached
		 * through /proc/self/fd. */
		TRY(STEP_USERNS, open_as(dir, s->dir, O_PATH | O_DIRECTORY));
		TRY(STEP_USERNS, open_as(hosts, s->hosts_file, O_PATH));
		if (s->rootfs == NSL_ROOTFS_DIR)
			TRY(STEP_USERNS, open_as(tree, s->tree, O_PATH | O_DIRECTORY));
		r.dir = dir;
		r.hosts_file = hosts;
		r.tree = s->rootfs == NSL_ROOTFS_DIR ? tree : r.tree;
		TRY(STEP_USERNS, nsl_become_ns_root());
		root = true;
	}
	if (s->rootfs != NSL_ROOTFS_HOST) {
		int part = 0, idx = 0;
		rc = nsl_rootfs_enter(&r, &part, &idx);
		if (rc < 0) {
			*ret_index = part | idx << 8;
			*ret_err = rc;
			return STEP_ROOTFS;
		}
	} else {
		TRY(STEP_PROC, nsl_mount_proc());
		TRY(STEP_SYS, nsl_mount_sysfs());
		if (s->hostname_file && s->hosts_file) {
			rc = nsl_rootfs_host_files(&r);
			if (rc < 0) {
				*ret_index = NSL_RFS_HOSTFILES;
				*ret_err = rc;
				return STEP_ROOTFS;
			}
		}
	}
	TRY(STEP_HOSTNAME, sethostname(s->hostname, strlen(s->hostname)) < 0 ? -errno : 0);
	/* Addresses must be usable when up returns; users may turn DAD back on by sysctl. */
	TRY(STEP_DEFAULTS, nsl_file_write("/proc/sys/net/ipv6/conf/all/accept_dad", "0"));
	TRY(STEP_DEFAULTS, nsl_file_write("/proc/sys/net/ipv6/conf/default/accept_dad", "0"));
	TRY(STEP_LO, nsl_holder_lo_up());
	TRY(STEP_MARK, s->uid_base ? nsl_holder_lo_mark(s->mark)
	                           : nsl_file_write("/sys/class/net/lo/ifalias", s->mark));
	for (size_t i = 0; i < s->n_sysctls; i++) {
		char path[512];
		*ret_index = (int)i;
		TRY(STEP_SYSCTL, nsl_sysctl_path(s->sysctls[i]->key, path, sizeof(path)));
		TRY(STEP_SYSCTL, nsl_file_write(path, s->sysctls[i]->value));
	}
	for (size_t i = 0; s->rootfs == NSL_ROOTFS_HOST && i < s->n_mounts; i++) {
		*ret_index = (int)i;
		TRY(STEP_NODE_MOUNT, nsl_mount_node(&s->mounts[i]));
	}
	*ret_index = 0;
	/* Set up as the host's uid 0 (which the node's user namespace does not map: files of the
	 * lab's state are reached as their owner), the holder now becomes the node's root, its
	 * range's first id on the host. */
	if (s->uid_base && !root)
		TRY(STEP_USERNS, nsl_become_ns_root());
	return STEP_READY;
#undef TRY
}

/* Close every descriptor from 3 up but those of keep (-1 or < 3: none), in any order. */
#define KEEP 4
static void close_all_but(int keep[KEEP])
{
	int lo = 3;

	for (int i = 0; i < KEEP; i++) /* sort them */
		for (int j = i + 1; j < KEEP; j++)
			if (keep[j] < keep[i]) {
				int x = keep[i];
				keep[i] = keep[j];
				keep[j] = x;
			}
	for (int i = 0; i < KEEP; i++) {
		if (keep[i] < lo)
			continue;
		if (keep[i] > lo)
			syscall(SYS_close_range, lo, keep[i] - 1, 0);
		lo = keep[i] + 1;
	}
	syscall(SYS_close_range, lo, ~0U, 0);
}

/* The holder's life after setup: reap every child; exit on SIGTERM/SIGINT/SIGHUP, or when
 * `up` dies before committing. PID 1 gets no default signal actions: handle them. */
static __attribute__((noreturn)) void holder_loop(int lifeline, int witness, int sfd)
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
				if (witness > 2)
					close(witness); /* committed: the journal knows us */
			}
		}
	}
}

static __attribute__((noreturn)) void holder_main(const struct nsl_holder_spec *s, int index,
                                                  int ready_w, int lifeline_r, int witness,
                                                  int go_r)
{
	int step, sub = 0, error = 0, nul, sfd;
	int keep[KEEP] = {ready_w, lifeline_r, witness, s->uid_lock_fd};
	sigset_t mask;
	char go = 0;

	/* In a user namespace of its own: nothing before the parent has written its id maps. */
	if (go_r >= 0) {
		while (read(go_r, &go, 1) < 0 && errno == EINTR)
			;
		if (go != 'g') {
			struct report r = {index, EPERM, STEP_USERNS, 0, 0};
			while (write(ready_w, &r, sizeof(r)) < 0 && errno == EINTR)
				;
			_exit(1);
		}
	}
	close_all_but(keep);
	prctl(PR_SET_NAME, NSL_HOLDER_COMM);
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
	step = holder_setup(s, &sub, &error);
	struct report r = {index, error < 0 ? -error : error, step, sub,
	                   step == STEP_READY ? nsl_holder_highest_ifindex() : 0};
	while (write(ready_w, &r, sizeof(r)) < 0 && errno == EINTR)
		;
	close(ready_w);
	if (step != STEP_READY || sfd < 0)
		_exit(1);
	holder_loop(lifeline_r, witness, sfd);
}

static pid_t clone_holder(const struct nsl_holder_spec *s, int *ret_pidfd)
{
	struct clone_args ca = {
	    .flags = CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID | CLONE_PIDFD,
	    .pidfd = (uint64_t)(uintptr_t)ret_pidfd,
	    .exit_signal = SIGCHLD,
	};

	if (s->namespaces & NSL_NS_IPC)
		ca.flags |= CLONE_NEWIPC;
	/* Made first by the kernel: every other new namespace belongs to it, so the node's root
	 * has CAP_NET_ADMIN (and the rest) over its own namespaces, and nothing more. */
	if (s->uid_base)
		ca.flags |= CLONE_NEWUSER;
	if (s->cgroup_fd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)s->cgroup_fd;
	}
	return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
}

/* The parent's share of a holder in a user namespace of its own: its id maps (we are the
 * host's root: any range of the host's may be mapped), its OOM exemption, then the go. */
static int release_holder(const struct nsl_holder_spec *s, pid_t pid, int go_w)
{
	char path[64], map[64];
	int rc;

	nsl_fmt(map, sizeof(map), "0 %u %u\n", s->uid_base, NSL_HOLDER_UID_COUNT);
	nsl_fmt(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	rc = nsl_file_write(path, map);
	nsl_fmt(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	if (rc == 0)
		rc = nsl_file_write(path, map);
	nsl_fmt(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
	if (rc == 0 && s->cgroup_fd >= 0)
		rc = nsl_file_write(path, "-1000");
	if (rc == 0 && write(go_w, "g", 1) != 1)
		rc = -errno;
	return rc;
}

/* Clone one holder (the child never returns); in the parent, its PID or -errno. */
static pid_t start_holder(const struct nsl_holder_spec *s, int index, int ready_w, int life_r,
                          int witness, int *ret_pidfd)
{
	int go[2] = {-1, -1};
	pid_t pid;

	if (s->uid_base && pipe2(go, O_CLOEXEC) < 0)
		return -errno;
	pid = clone_holder(s, ret_pidfd);
	if (pid == 0) {
		/* ours closed: the parent's death is EOF, never a wait for good */
		if (go[1] >= 0)
			close(go[1]);
		holder_main(s, index, ready_w, life_r, witness, go[0]);
	}
	int e = pid < 0 ? -errno : 0;
	if (go[0] >= 0)
		close(go[0]);
	/* A failed release: the holder reads EOF and reports the step. */
	if (pid > 0 && go[1] >= 0)
		(void)release_holder(s, pid, go[1]);
	if (go[1] >= 0)
		close(go[1]);
	return pid > 0 ? pid : e;
}

/* One process's share of the holders: specs from, from + step, ... below to. */
struct spawner {
	const struct nsl_holder_spec *specs;
	struct nsl_holders *hs;
	size_t from, to, step;
	int ready_w, life_r;
	int witness;      /* kept by each holder until committed (struct nsl_holders) */
	int error;        /* errno of a failed clone */
	size_t failed_at; /* its spec */
	bool report;      /* this process's share: call hs->progress */
};

static void spawn_range(struct spawner *sp)
{
	for (size_t i = sp->from; i < sp->to; i += sp->step) {
		int pidfd = -1;
		pid_t pid = start_holder(&sp->specs[i], (int)i, sp->ready_w, sp->life_r,
		                         sp->witness, &pidfd);
		if (pid < 0) {
			sp->error = -pid;
			sp->failed_at = i;
			break;
		}
		sp->hs->h[i].pid = pid;
		sp->hs->h[i].pidfd = pidfd;
		/* The helper clones the other share at about the same pace. */
		if (sp->report && sp->hs->progress)
			sp->hs->progress(sp->hs->progress_arg, i + 1 < sp->to ? i + 1 : sp->to,
			                 sp->to);
	}
}

/* The helper process clones its share and hands each holder's pidfd to us over a socket
 * (SCM_RIGHTS): we hold every holder by a pidfd from birth, never by a bare PID. */
struct spawn_rec {
	int32_t index; /* -1: done */
	int32_t pid;   /* > 0, or -errno */
};

struct helper {
	pid_t pid;
	int sock; /* records (with their pidfds) from the helper */
};

static int helper_start(struct helper *hp, struct spawner *sp, int lifeline_w)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	hp->pid = fork();
	if (hp->pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (hp->pid == 0) {
		struct spawn_rec done = {-1, 0};
		close(sv[0]);
		close(lifeline_w); /* holders must see EOF if the parent dies */
		for (size_t i = sp->from; i < sp->to; i += sp->step) {
			int pidfd = -1;
			pid_t pid = start_holder(&sp->specs[i], (int)i, sp->ready_w, sp->life_r,
			                         sp->witness, &pidfd);
			struct spawn_rec r = {(int32_t)i, pid};
			if (nsl_send_fd(sv[1], &r, sizeof(r), pidfd) < 0 || pid < 0)
				break;
			close(pidfd);
		}
		_exit(nsl_send_fd(sv[1], &done, sizeof(done), -1) < 0);
	}
	close(sv[1]);
	hp->sock = sv[0];
	return 0;
}

static void helper_finish(struct helper *hp, struct spawner *sp)
{
	struct spawn_rec r;
	int fd;

	while (nsl_recv_fd(hp->sock, &r, sizeof(r), &fd) == 0 && r.index >= 0) {
		if ((size_t)r.index >= sp->to || (r.pid > 0 && fd < 0)) {
			if (fd >= 0)
				close(fd);
			sp->error = EPROTO;
			sp->failed_at = sp->from;
			break;
		}
		if (r.pid < 0) {
			sp->error = -r.pid;
			sp->failed_at = (size_t)r.index;
			break;
		}
		sp->hs->h[r.index].pid = r.pid;
		sp->hs->h[r.index].pidfd = fd;
	}
	close(hp->sock);
	while (waitpid(hp->pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static int report_error(const struct nsl_holder_spec *specs, size_t n, const struct report *r,
                        struct nsl_err *err)
{
	const struct nsl_holder_spec *s = &specs[r->node >= 0 && (size_t)r->node < n ? r->node : 0];
	int e = r->error ? r->error : EIO;

	if (r->step == STEP_SYSCTL && (size_t)r->index < s->n_sysctls)
		return nsl_err_set(err, e, "node %s: sysctl %s: %s", s->name,
		                   s->sysctls[r->index]->key, strerror(e));
	if (r->step == STEP_ROOTFS && (r->index & 0xff) == NSL_RFS_MOUNT &&
	    (size_t)(r->index >> 8) < s->n_mounts)
		return nsl_err_set(err, e, "node %s: mount %s: %s", s->name,
		                   s->mounts[r->index >> 8].target, strerror(e));
	if (r->step == STEP_ROOTFS && (r->index & 0xff) == NSL_RFS_SUBMOUNT)
		return nsl_err_set(err, e, "node %s: %s (the %dth of /proc/self/mountinfo's): %s",
		                   s->name, nsl_rootfs_part_name(NSL_RFS_SUBMOUNT), r->index >> 8,
		                   strerror(e));
	if (r->step == STEP_ROOTFS)
		return nsl_err_set(err, e, "node %s: %s: %s", s->name,
		                   nsl_rootfs_part_name(r->index & 0xff), strerror(e));
	if (r->step == STEP_NODE_MOUNT && (size_t)r->index < s->n_mounts)
		return nsl_err_set(err, e, "node %s: mount %s: %s", s->name,
		                   s->mounts[r->index].target, strerror(e));
	return nsl_err_set(err, e, "node %s: %s: %s", s->name, step_name(r->step), strerror(e));
}

/* The namespaces and identity of each ready holder, through its pidfd. */
static int holder_identity(struct nsl_holder *h, const char *name, struct nsl_err *err)
{
	h->start_time = nsl_pidfd_starttime(h->pidfd, h->pid);
	h->netns_fd = nsl_proc_open_ns(h->pidfd, h->pid, "net");
	if (!h->start_time || h->netns_fd < 0)
		return nsl_err_set(err, ESRCH, "node %s: holder vanished", name);
	int rc = nsl_ns_id_of_fd(h->netns_fd, &h->netns);
	return rc < 0 ? nsl_err_set(err, rc, "node %s: network namespace: %s", name, strerror(-rc))
	              : 0;
}

static int spawn_all(const struct nsl_holder_spec *specs, size_t n, struct nsl_holders *hs,
                     struct nsl_err *err)
{
	int ready[2] = {-1, -1}, life[2] = {-1, -1}, rc = 0;
	size_t spawned = 0, got = 0;

	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(life, O_CLOEXEC) < 0) {
		rc = nsl_err_set(err, errno, "pipe: %m");
		goto fail;
	}
	hs->lifeline_w = life[1];
	life[1] = -1;
	/* Every clone copies our memory map: give back what parsing left unused. */
	malloc_trim(0);
	/* Namespace creation scales over both cores, but only from two processes: clone copies
	 * the caller's memory map under its lock, so two threads of one process would clone one
	 * at a time. A helper process starts every other holder. */
	struct spawner sp[2] = {
	    {.specs = specs,
	     .hs = hs,
	     .from = 0,
	     .to = n,
	     .step = 2,
	     .ready_w = ready[1],
	     .life_r = life[0],
	     .witness = hs->witness_fd,
	     .report = true},
	    {.specs = specs,
	     .hs = hs,
	     .from = 1,
	     .to = n,
	     .step = 2,
	     .ready_w = ready[1],
	     .life_r = life[0],
	     .witness = hs->witness_fd},
	};
	struct helper helper = {.pid = -1, .sock = -1};
	if (n < 16 || helper_start(&helper, &sp[1], hs->lifeline_w) < 0)
		sp[0].step = 1;
	spawn_range(&sp[0]);
	if (helper.pid > 0)
		helper_finish(&helper, &sp[1]);
	hs->n = n;
	for (size_t i = 0; i < n; i++)
		spawned += hs->h[i].pid > 0;
	for (int k = 0; k < 2 && rc == 0; k++)
		if (sp[k].error)
			rc = nsl_err_set(err, sp[k].error, "node %s: start holder: %s%s",
			                 specs[sp[k].failed_at].name, strerror(sp[k].error),
			                 sp[k].error == ENOSPC
			                     ? " (a namespace limit in /proc/sys/user/ is reached)"
			                     : "");
	close(ready[1]);
	ready[1] = -1;
	close(life[0]);
	life[0] = -1;
	if (rc < 0)
		goto fail;
	/* Every holder reports once; EOF before that means one died without a word. */
	while (got < spawned) {
		struct report r;
		ssize_t k = read(ready[0], &r, sizeof(r));
		if (k < 0 && errno == EINTR)
			continue;
		if (k != (ssize_t)sizeof(r)) {
			rc = nsl_err_set(err, EIO, "a holder died during setup");
			goto fail;
		}
		got++;
		if (r.error || r.step != STEP_READY || r.node < 0 || (size_t)r.node >= n) {
			rc = report_error(specs, n, &r, err);
			goto fail;
		}
		hs->h[r.node].max_ifindex = r.max_ifindex;
	}
	for (size_t i = 0; i < n; i++) {
		rc = holder_identity(&hs->h[i], specs[i].name, err);
		if (rc < 0)
			goto fail;
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

int nsl_holders_spawn(const struct nsl_holder_spec *specs, size_t n, struct nsl_holders *hs,
                      struct nsl_err *err)
{
	void (*progress)(void *, size_t, size_t) = hs->progress;
	void *progress_arg = hs->progress_arg;
	int witness = hs->witness_fd;
	struct nsl_mntns_saved saved;
	int rc;

	memset(hs, 0, sizeof(*hs));
	hs->progress = progress;
	hs->progress_arg = progress_arg;
	hs->witness_fd = witness;
	hs->lifeline_w = -1;
	hs->h = calloc(n ? n : 1, sizeof(*hs->h));
	if (!hs->h)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		hs->h[i].pidfd = hs->h[i].netns_fd = -1;
	rc = nsl_mntns_enter_template(&saved);
	if (rc < 0)
		return nsl_err_set(err, rc, "private mount namespace for the holders: %s",
		                   strerror(-rc));
	rc = spawn_all(specs, n, hs, err);
	nsl_mntns_leave(&saved);
	return rc;
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
			(void)nsl_pidfd_kill(hs->h[i].pidfd, SIGKILL);
	for (size_t i = 0; i < hs->n; i++) {
		/* Our own children: reap them so no zombie outlives the call; the helper's: wait
		 * until they are gone. */
		if (hs->h[i].pid > 0 && hs->h[i].pidfd >= 0) {
			siginfo_t si;
			if (waitid(P_PIDFD, (id_t)hs->h[i].pidfd, &si, WEXITED) < 0)
				(void)nsl_pidfd_wait(hs->h[i].pidfd, 5000);
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
