/* `nslab capture` (see capture.h). */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "engine/capture.h"
#include "engine/marks.h"
#include "engine/runtime.h"
#include "kernel/capture.h"
#include "kernel/netlink.h"
#include "state/statedir.h"

struct cap {
	struct nsl_capture *c;
	pcap_t *p;
	pcap_dumper_t *d;
	int pidfd; /* its node's holder; -1 for a host end */
	bool made; /* its file was made by this run */
	unsigned long limit;
	bool done;
	int relay; /* a rootless lab's capturer: packets go there, not to d (-1: none) */
	uint32_t idx;
};

/* A rootless lab's captures are opened from inside the lab (its user namespace), by a
 * capturer child that relays the packets to us: a process of the lab's user namespace dies
 * when the lab goes down, and the files must outlive it, complete. Its messages, on a stream:
 * one "opened", then packets, and one "end" per capture when it stops by itself. */
enum { MSG_OPENED = 1, MSG_PACKET, MSG_END };
struct msg {
	uint32_t type, idx;
	int32_t rc; /* opened: 0 or the error; end: 1 if its node went down, 2 if the interface */
	uint32_t dlt, dropped;
	int64_t sec, usec;
	uint32_t caplen, len; /* a packet: caplen bytes follow */
};

/* The host end of a link of the lab, proven by its mark. */
static int host_end(const struct nsl_lab_rt *l, const char *ifname, struct nsl_err *err)
{
	struct nsl_nl nl = {.fd = -1};
	struct nsl_link_info li;
	char mark[NSL_MARK_MAX];
	bool known = false;
	int rc;

	for (size_t i = 0; i < l->t->host.n_ifaces; i++)
		known |= !strcmp(l->t->host.ifaces[i].name, ifname);
	if (!known)
		return nsl_err_set(err, ENOENT, "lab %s has no host end '%s'", l->sd.lab, ifname);
	rc = nsl_nl_open(&nl, -1, err);
	if (rc == 0)
		rc = nsl_nl_link_get(&nl, 0, ifname, &li, err);
	nsl_nl_close(&nl);
	if (rc == 0)
		return nsl_err_set(err, ENODEV, "host end %s is gone", ifname);
	nsl_mark(mark, sizeof(mark), l->sd.lab, NULL);
	if (rc > 0 && strcmp(li.alias, mark))
		return nsl_err_set(err, EPERM,
		                   "host interface %s does not carry the mark of lab %s", ifname,
		                   l->sd.lab);
	return rc < 0 ? rc : 0;
}

/* Every capture opened in its node, under the lab's lock; the lock goes after. */
static int open_all(const char *lab, struct cap *caps, size_t n, const struct nsl_capture_opts *o,
                    struct nsl_err *err)
{
	struct nsl_lab_rt l;
	int rc = nsl_lab_rt_open(lab, &l, err);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		char node[NSL_NAME_MAX + 1];
		const char *spec = caps[i].c->spec, *colon = strchr(spec, ':');
		int idx, netns = -1;
		if (!colon || (size_t)(colon - spec) > NSL_NAME_MAX) {
			rc = nsl_err_set(err, EINVAL, "'%s' is not of the form NODE:INTERFACE",
			                 spec);
			break;
		}
		memcpy(node, spec, (size_t)(colon - spec));
		node[colon - spec] = 0;
		if (!strcmp(node, NSL_HOST_NODE)) {
			rc = host_end(&l, colon + 1, err);
		} else if ((idx = nsl_topology_node(l.t, node)) < 0) {
			rc = nsl_err_set(err, ENOENT, "lab %s has no node '%s'", lab, node);
		} else {
			rc = nsl_lab_rt_netns(&l, idx, &netns, &caps[i].pidfd, err);
		}
		if (rc == 0)
			rc =
			    nsl_pcap_open(netns, colon + 1, o->promisc, o->filter, &caps[i].p, err);
		if (netns >= 0)
			close(netns);
		if (rc < 0)
			nsl_err_prefix(err, "%s", spec);
	}
	nsl_lab_rt_close(&l);
	return rc;
}

static int open_outputs(struct cap *caps, size_t n, struct nsl_err *err)
{
	for (size_t i = 0; i < n; i++) {
		struct nsl_capture *c = caps[i].c;
		int dlt = nsl_pcap.datalink(caps[i].p);
		const char *name = nsl_pcap.datalink_val_to_name(dlt);
		const char *desc = nsl_pcap.datalink_val_to_description(dlt);
		FILE *f;
		nsl_fmt(c->link_type, sizeof(c->link_type), "%s (%s)", name ? name : "?",
		        desc ? desc : "?");
		if (!strcmp(c->path, "-")) {
			f = stdout;
		} else {
			int fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (fd < 0)
				return nsl_err_set(err, errno, "%s: %m", c->path);
			caps[i].made = true;
			f = fdopen(fd, "w");
			if (!f) {
				close(fd);
				return nsl_err_set(err, errno, "%s: %m", c->path);
			}
		}
		caps[i].d = nsl_pcap.dump_fopen(caps[i].p, f);
		if (!caps[i].d) {
			if (f != stdout)
				fclose(f);
			return nsl_err_set(err, EIO, "%s: %s", c->path, nsl_pcap.geterr(caps[i].p));
		}
	}
	return 0;
}

/* The whole message, or false (the reader is gone). */
static bool send_all(int fd, struct msghdr *mh, size_t len)
{
	while (len) {
		ssize_t n = sendmsg(fd, mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		len -= (size_t)n;
		while (n > 0 && mh->msg_iovlen) {
			size_t k =
			    (size_t)n < mh->msg_iov->iov_len ? (size_t)n : mh->msg_iov->iov_len;
			mh->msg_iov->iov_base = (char *)mh->msg_iov->iov_base + k;
			mh->msg_iov->iov_len -= k;
			n -= (ssize_t)k;
			if (!mh->msg_iov->iov_len) {
				mh->msg_iov++;
				mh->msg_iovlen--;
			}
		}
	}
	return true;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct cap *cap = (struct cap *)user;

	if (cap->relay >= 0) {
		struct msg m = {.type = MSG_PACKET,
		                .idx = cap->idx,
		                .sec = h->ts.tv_sec,
		                .usec = h->ts.tv_usec,
		                .caplen = h->caplen,
		                .len = h->len};
		struct iovec iov[2] = {{&m, sizeof(m)}, {(void *)bytes, h->caplen}};
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
		if (!send_all(cap->relay, &mh, sizeof(m) + h->caplen)) {
			cap->c->end = "its output was closed";
			cap->done = true;
		}
	} else {
		nsl_pcap.dump((u_char *)cap->d, h, bytes);
	}
	cap->c->packets++;
}

/* Read what is there; ends the capture on its count, an error or a closed output. */
static void drain(struct cap *cap)
{
	while (!cap->done) {
		int max = cap->limit ? (int)(cap->limit - cap->c->packets) : -1;
		int k = nsl_pcap.dispatch(cap->p, max, on_packet, (u_char *)cap);
		if (k < 0) {
			cap->c->end = "the interface went away";
			cap->done = true;
		}
		if (cap->d && nsl_pcap.dump_flush(cap->d) < 0) {
			cap->c->end = "its output was closed";
			cap->done = true;
		}
		if (cap->limit && cap->c->packets >= cap->limit)
			cap->done = true;
		if (k <= 0)
			break;
	}
}

static void loop(struct cap *caps, size_t n, int sfd)
{
	struct pollfd *pfd = calloc(2 * n + 1, sizeof(*pfd));
	size_t active = n;

	if (!pfd)
		return;
	while (active) {
		size_t k = 0;
		pfd[k++] = (struct pollfd){.fd = sfd, .events = POLLIN};
		for (size_t i = 0; i < n; i++) {
			pfd[k++] = (struct pollfd){
			    .fd = caps[i].done ? -1 : nsl_pcap.get_selectable_fd(caps[i].p),
			    .events = POLLIN};
			pfd[k++] = (struct pollfd){.fd = caps[i].done ? -1 : caps[i].pidfd,
			                           .events = POLLIN};
		}
		if (poll(pfd, k, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents) {
			/* SIGINT, SIGTERM, SIGHUP: stop, files complete (the signal taken) */
			struct signalfd_siginfo si;
			(void)!read(sfd, &si, sizeof(si));
			break;
		}
		for (size_t i = 0; i < n; i++) {
			struct pollfd *pp = &pfd[1 + 2 * i], *hp = &pfd[2 + 2 * i];
			if (caps[i].done)
				continue;
			if (pp->revents || hp->revents)
				drain(&caps[i]);
			if (!caps[i].done && hp->revents) {
				caps[i].c->end = "its node went down";
				caps[i].done = true;
			}
			if (caps[i].done)
				active--;
		}
	}
	/* What arrived before the stop. */
	for (size_t i = 0; i < n; i++)
		if (!caps[i].done)
			drain(&caps[i]);
	free(pfd);
}

static bool read_all(int fd, void *buf, size_t len)
{
	for (char *p = buf; len;) {
		ssize_t k = read(fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		p += k;
		len -= (size_t)k;
	}
	return true;
}

/* The capturer, inside the lab: opens every capture (the lab's lock held meanwhile), says so
 * (or why not), then relays packets until each capture ends, or SIGTERM, or the lab goes
 * down, which kills it. */
static void capturer(const char *lab, struct cap *caps, size_t n, const struct nsl_capture_opts *o,
                     const sigset_t *stop, int fd)
{
	struct msg m = {.type = MSG_OPENED};
	struct nsl_err e = {0};
	struct iovec iov[3];
	uint32_t *dlts = calloc(n + 1, sizeof(*dlts));
	int sfd;

	for (size_t i = 0; i < n; i++)
		caps[i].relay = fd;
	m.rc = dlts ? open_all(lab, caps, n, o, &e) : nsl_err_set(&e, ENOMEM, "out of memory");
	for (size_t i = 0; m.rc == 0 && i < n; i++)
		dlts[i] = (uint32_t)nsl_pcap.datalink(caps[i].p);
	iov[0] = (struct iovec){&m, sizeof(m)};
	iov[1] = (struct iovec){&e, sizeof(e)};
	iov[2] = (struct iovec){dlts, n * sizeof(*dlts)};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = dlts ? 3 : 2};
	if (!send_all(fd, &mh, sizeof(m) + sizeof(e) + (dlts ? n * sizeof(*dlts) : 0)) || m.rc < 0)
		_exit(1);
	sfd = signalfd(-1, stop, SFD_CLOEXEC);
	if (sfd < 0)
		_exit(1);
	loop(caps, n, sfd);
	for (size_t i = 0; i < n; i++) {
		struct pcap_stat st;
		struct msg end = {.type = MSG_END, .idx = (uint32_t)i};
		end.rc = !caps[i].c->end                                 ? 0
		         : !strcmp(caps[i].c->end, "its node went down") ? 1
		                                                         : 2;
		if (nsl_pcap.stats(caps[i].p, &st) == 0)
			end.dropped = st.ps_drop;
		struct iovec v = {&end, sizeof(end)};
		struct msghdr eh = {.msg_iov = &v, .msg_iovlen = 1};
		if (!send_all(fd, &eh, sizeof(end)))
			break;
	}
	_exit(0);
}

/* We, outside the lab: the files, written from what the capturer relays. */
static int relay_read(pid_t pid, int fd, struct cap *caps, size_t n,
                      const struct nsl_capture_opts *o, const sigset_t *stop, struct nsl_err *err)
{
	_cleanup_free_ uint32_t *dlts = calloc(n + 1, sizeof(*dlts));
	_cleanup_free_ u_char *buf = malloc(NSL_SNAPLEN);
	_cleanup_close_ int sfd = -1;
	struct nsl_err e = {0};
	struct msg m;
	size_t active = n;
	bool told = false;
	int rc;

	if (!dlts || !buf)
		return nsl_err_set(err, ENOMEM, "out of memory");
	rc = nsl_pcap_load(err); /* the files are written here */
	if (rc < 0)
		return rc;
	if (!read_all(fd, &m, sizeof(m)) || m.type != MSG_OPENED || !read_all(fd, &e, sizeof(e)))
		return nsl_err_set(err, EIO, "the capturer inside the lab died");
	if (m.rc < 0) {
		*err = e;
		return m.rc;
	}
	if (!read_all(fd, dlts, n * sizeof(*dlts)))
		return nsl_err_set(err, EIO, "the capturer inside the lab died");
	for (size_t i = 0; i < n; i++) {
		caps[i].p = nsl_pcap.open_dead((int)dlts[i], NSL_SNAPLEN);
		if (!caps[i].p)
			return nsl_err_set(err, ENOMEM, "out of memory");
	}
	rc = open_outputs(caps, n, err);
	if (rc == 0) {
		sfd = signalfd(-1, stop, SFD_CLOEXEC);
		if (sfd < 0)
			rc = nsl_err_set(err, errno, "signalfd: %m");
	}
	if (rc < 0)
		return rc;
	if (o->started)
		o->started(caps[0].c, n, o->arg);
	for (;;) {
		struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN},
		                        {.fd = sfd, .events = POLLIN}};
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents) {
			/* Stop: the capturer sends what it has, then ends. */
			struct signalfd_siginfo si;
			(void)!read(sfd, &si, sizeof(si));
			told = told || kill(pid, SIGTERM) == 0;
		}
		if (!pfd[0].revents)
			continue;
		if (!read_all(fd, &m, sizeof(m)) || m.idx >= n)
			break; /* the lab went down, and the capturer with it */
		struct cap *cap = &caps[m.idx];
		if (m.type == MSG_PACKET) {
			struct pcap_pkthdr h = {.ts = {.tv_sec = m.sec, .tv_usec = m.usec},
			                        .caplen = m.caplen,
			                        .len = m.len};
			if (m.caplen > NSL_SNAPLEN || !read_all(fd, buf, m.caplen))
				break;
			if (cap->done)
				continue;
			nsl_pcap.dump((u_char *)cap->d, &h, buf);
			cap->c->packets++;
			if (nsl_pcap.dump_flush(cap->d) < 0) {
				cap->c->end = "its output was closed";
				cap->done = true;
				active--;
			}
		} else if (m.type == MSG_END) {
			cap->c->dropped = m.dropped;
			if (!cap->done) {
				cap->c->end = m.rc == 1   ? "its node went down"
				              : m.rc == 2 ? "the interface went away"
				                          : NULL;
				cap->done = true;
				active--;
			}
		}
		if (!active && !told)
			told = kill(pid, SIGTERM) == 0;
	}
	/* Killed with the lab: every capture still going ends as its node did. */
	for (size_t i = 0; i < n; i++)
		if (!caps[i].done) {
			caps[i].c->end = "its node went down";
			caps[i].done = true;
		}
	return 0;
}

/* A rootless lab's captures: a capturer of ours joins the lab and relays (see struct msg). */
static int run_relayed(const char *lab, struct cap *caps, size_t n,
                       const struct nsl_capture_opts *o, const sigset_t *stop, struct nsl_err *err)
{
	pid_t parent = getpid(), pid;
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return nsl_err_set(err, errno, "socketpair: %m");
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		return nsl_err_set(err, e, "fork: %s", strerror(e));
	}
	if (pid == 0) {
		close(sv[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		capturer(lab, caps, n, o, stop, sv[1]);
	}
	close(sv[1]);
	rc = relay_read(pid, sv[0], caps, n, o, stop, err);
	if (rc < 0)
		kill(pid, SIGKILL);
	close(sv[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return rc;
}

int nsl_capture_run(const char *lab, struct nsl_capture *c, size_t n,
                    const struct nsl_capture_opts *o, struct nsl_err *err)
{
	struct cap *caps = calloc(n + 1, sizeof(*caps));
	struct nsl_statedir sd = {.root_fd = -1, .lab_fd = -1};
	sigset_t stop, old;
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
	int rc, sfd = -1;

	if (!caps)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		caps[i] = (struct cap){
		    .c = &c[i], .pidfd = -1, .limit = o->count, .relay = -1, .idx = (uint32_t)i};
		c[i].packets = 0;
		c[i].end = NULL;
	}
	/* Signals are read, not handled: a stop ends the loop between two packets. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, &old);
	sigaction(SIGPIPE, &ign, &old_pipe);
	rc = nsl_state_root(&sd, err);
	bool rootless = sd.rootless;
	nsl_state_close(&sd);
	if (rc == 0 && rootless) {
		rc = run_relayed(lab, caps, n, o, &stop, err);
		for (size_t i = 0; rc < 0 && i < n; i++)
			if (caps[i].made)
				unlink(c[i].path);
		goto done;
	}
	if (rc == 0)
		rc = open_all(lab, caps, n, o, err);
	if (rc == 0) {
		rc = open_outputs(caps, n, err);
		for (size_t i = 0; rc < 0 && i < n; i++)
			if (caps[i].made)
				unlink(c[i].path); /* all or nothing */
	}
	if (rc == 0) {
		sfd = signalfd(-1, &stop, SFD_CLOEXEC);
		if (sfd < 0)
			rc = nsl_err_set(err, errno, "signalfd: %m");
	}
	if (rc == 0) {
		if (o->started)
			o->started(c, n, o->arg);
		loop(caps, n, sfd);
	}
done:
	for (size_t i = 0; i < n; i++) {
		struct pcap_stat st;
		if (caps[i].p && caps[i].d && nsl_pcap.stats(caps[i].p, &st) == 0)
			c[i].dropped = st.ps_drop;
		if (caps[i].d)
			nsl_pcap.dump_close(caps[i].d);
		if (caps[i].p)
			nsl_pcap.close(caps[i].p);
		if (caps[i].pidfd >= 0)
			close(caps[i].pidfd);
	}
	if (sfd >= 0)
		close(sfd);
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(caps);
	return rc;
}
