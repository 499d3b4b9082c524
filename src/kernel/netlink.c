/* The route-netlink door, transport: our own socket, so that many requests go out before
 * their ACKs are read (the kernel answers in order), and every error keeps the kernel's errno
 * and extended-ACK message. Requests: netlink_link.c (links), netlink_route.c (addresses,
 * routes, qdiscs). */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "kernel/netlink_impl.h"
#include "kernel/ns.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

#define RCVBUF_SIZE (8 << 20)
#define RECV_CHUNK (64 << 10)

int nsl_nl_open(struct nsl_nl *nl, int netns_fd, struct nsl_err *err)
{
	int one = 1, size = RCVBUF_SIZE, fd;

	memset(nl, 0, sizeof(*nl));
	nl->fd = -1;
	fd = nsl_netns_socket(netns_fd, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, err);
	if (fd < 0)
		return fd;
	/* Big batches: many ACKs may queue before we read them. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->fd = fd;
	nl->seq = 1;
	return 0;
}

void nsl_nl_close(struct nsl_nl *nl)
{
	if (!nl)
		return;
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
	free(nl->reqs);
	nl->reqs = NULL;
	nl->n_reqs = nl->cap_reqs = 0;
}

static int send_all(int fd, const void *buf, size_t len)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};

	for (;;) {
		ssize_t n = sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa));
		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

int nsl_nl_send(struct nsl_nl *nl, struct nl_msg *msg, struct nsl_err *err, const char *fmt, ...)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nsl_nl_req *r;
	va_list ap;
	int rc;

	if (!nsl_grow(&nl->reqs, &nl->cap_reqs, nl->n_reqs, sizeof(*nl->reqs))) {
		nlmsg_free(msg);
		return nsl_err_set(err, ENOMEM, "out of memory");
	}
	r = &nl->reqs[nl->n_reqs];
	h->nlmsg_seq = nl->seq++;
	h->nlmsg_pid = 0;
	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	va_start(ap, fmt);
	vsnprintf(r->what, sizeof(r->what), fmt, ap);
	va_end(ap);
	r->seq = h->nlmsg_seq;
	r->tolerate = nl->tolerate;
	rc = send_all(nl->fd, h, h->nlmsg_len);
	nlmsg_free(msg);
	if (rc < 0)
		return nsl_err_set(err, rc, "%s: send: %s", r->what, strerror(-rc));
	nl->n_reqs++;
	return 0;
}

/* The text of an extended ACK, if the kernel sent one. */
static const char *ext_ack_msg(const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	size_t off = sizeof(*e);
	const struct nlattr *a;
	size_t len;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (NLMSG_HDRLEN + off > h->nlmsg_len)
		return NULL;
	len = h->nlmsg_len - NLMSG_HDRLEN - off;
	a = (const struct nlattr *)((const char *)e + off);
	while (len >= sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= len) {
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG && a->nla_len > NLA_HDRLEN) {
			const char *s = (const char *)a + NLA_HDRLEN;
			if (memchr(s, 0, a->nla_len - NLA_HDRLEN))
				return s;
		}
		size_t step = NLA_ALIGN(a->nla_len);
		if (step >= len)
			break;
		len -= step;
		a = (const struct nlattr *)((const char *)a + step);
	}
	return NULL;
}

static struct nsl_nl_req *find_req(struct nsl_nl *nl, uint32_t seq)
{
	for (size_t i = 0; i < nl->n_reqs; i++)
		if (nl->reqs[i].seq == seq)
			return &nl->reqs[i];
	return NULL;
}

int nsl_nl_flush(struct nsl_nl *nl, struct nsl_err *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t answered = 0;
	int first = 0;

	if (nl->n_reqs == 0)
		return 0;
	buf = malloc(RECV_CHUNK);
	if (!buf)
		return nsl_err_set(err, ENOMEM, "out of memory");
	while (answered < nl->n_reqs) {
		ssize_t n = recv(nl->fd, buf, RECV_CHUNK, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			nl->n_reqs = 0;
			/* ENOBUFS: ACKs were dropped; we cannot tell which requests worked. */
			return nsl_err_set(err, e, "netlink receive: %s", strerror(e));
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			struct nlmsgerr *e = NLMSG_DATA(h);
			struct nsl_nl_req *r = find_req(nl, h->nlmsg_seq);
			if (!r)
				continue;
			answered++;
			if (e->error && r->tolerate && e->error == -r->tolerate)
				continue;
			if (e->error && !first) {
				const char *ext = ext_ack_msg(h);
				first = e->error;
				if (ext && *ext)
					nsl_err_set(err, -e->error, "%s: %s (%s)", r->what,
					            strerror(-e->error), ext);
				else
					nsl_err_set(err, -e->error, "%s: %s", r->what,
					            strerror(-e->error));
			}
		}
	}
	nl->n_reqs = 0;
	return first;
}

int nsl_nl_request_sync(struct nsl_nl *nl, struct nl_msg *msg, bool dump, int absent,
                        nsl_nl_reply_fn fn, void *arg, const char *what, struct nsl_err *err)
{
	_cleanup_free_ char *buf = NULL;
	struct nlmsghdr *req = nlmsg_hdr(msg);
	uint32_t seq;
	int rc;

	rc = nsl_nl_flush(nl, err);
	if (rc < 0) {
		nlmsg_free(msg);
		return rc;
	}
	seq = req->nlmsg_seq = nl->seq++;
	req->nlmsg_flags |= NLM_F_REQUEST | (dump ? NLM_F_DUMP : NLM_F_ACK);
	rc = send_all(nl->fd, req, req->nlmsg_len);
	nlmsg_free(msg);
	if (rc < 0)
		return nsl_err_set(err, rc, "%s: send: %s", what, strerror(-rc));
	buf = malloc(RECV_CHUNK * 4);
	if (!buf)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (;;) {
		ssize_t n = recv(nl->fd, buf, RECV_CHUNK * 4, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return nsl_err_set(err, errno, "%s: receive: %m", what);
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				if (e->error == 0 || (absent && e->error == -absent))
					return 0;
				return nsl_err_set(err, -e->error, "%s: %s", what,
				                   strerror(-e->error));
			}
			rc = fn(h, arg);
			if (rc < 0)
				return nsl_err_set(err, rc, "%s: %s", what, strerror(-rc));
			if (!dump) {
				/* A get answers with the object, then (with NLM_F_ACK) an ACK. */
				continue;
			}
		}
	}
}
