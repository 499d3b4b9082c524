/* `nslab capture` (see capture.h). */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>

#include "engine/capture.h"
#include "engine/marks.h"
#include "engine/runtime.h"
#include "kernel/capture.h"
#include "kernel/netlink.h"

struct cap {
	struct nsl_capture *c;
	pcap_t *p;
	pcap_dumper_t *d;
	int pidfd; /* its node's holder; -1 for a host end */
	bool made; /* its file was made by this run */
	unsigned long limit;
	bool done;
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

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct cap *cap = (struct cap *)user;

	nsl_pcap.dump((u_char *)cap->d, h, bytes);
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
		if (nsl_pcap.dump_flush(cap->d) < 0) {
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

int nsl_capture_run(const char *lab, struct nsl_capture *c, size_t n,
                    const struct nsl_capture_opts *o, struct nsl_err *err)
{
	struct cap *caps = calloc(n + 1, sizeof(*caps));
	sigset_t stop, old;
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
	int rc, sfd = -1;

	if (!caps)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		caps[i] = (struct cap){.c = &c[i], .pidfd = -1, .limit = o->count};
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
