/* Route netlink: messages built with libnl, sent on our own socket so that many requests
 * go out before their ACKs are read (the kernel answers in order), and every error keeps
 * the kernel's errno and extended-ACK message. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/nexthop.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/addr.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/route.h>

#include "kernel/netlink.h"
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

static struct nl_msg *link_msg(int type, int flags, int ifindex, unsigned ifflags, unsigned change)
{
	struct ifinfomsg ifi = {
	    .ifi_family = AF_UNSPEC,
	    .ifi_index = ifindex,
	    .ifi_flags = ifflags,
	    .ifi_change = change,
	};
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (msg && nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int put_end_attrs(struct nl_msg *msg, const struct nsl_veth_end *e)
{
	if (nla_put_string(msg, IFLA_IFNAME, e->name) < 0)
		return -ENOMEM;
	if (e->mtu && nla_put_u32(msg, IFLA_MTU, e->mtu) < 0)
		return -ENOMEM;
	if (e->mac && nla_put(msg, IFLA_ADDRESS, 6, e->mac) < 0)
		return -ENOMEM;
	if (e->netns_fd >= 0 && nla_put_u32(msg, IFLA_NET_NS_FD, (uint32_t)e->netns_fd) < 0)
		return -ENOMEM;
	if (e->alias && nla_put_string(msg, IFLA_IFALIAS, e->alias) < 0)
		return -ENOMEM;
	return 0;
}

int nsl_nl_veth_add(struct nsl_nl *nl, const struct nsl_veth_end *a, const struct nsl_veth_end *b,
                    struct nsl_err *err)
{
	struct ifinfomsg peer = {.ifi_family = AF_UNSPEC, .ifi_index = b->ifindex};
	struct nlattr *info, *data, *pe;
	struct nl_msg *msg;

	msg = link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, a->ifindex, a->up ? IFF_UP : 0,
	               a->up ? IFF_UP : 0);
	if (!msg)
		goto oom;
	if (put_end_attrs(msg, a) < 0)
		goto oom;
	if (!(info = nla_nest_start(msg, IFLA_LINKINFO)))
		goto oom;
	if (nla_put_string(msg, IFLA_INFO_KIND, "veth") < 0)
		goto oom;
	if (!(data = nla_nest_start(msg, IFLA_INFO_DATA)))
		goto oom;
	if (!(pe = nla_nest_start(msg, VETH_INFO_PEER)))
		goto oom;
	if (nlmsg_append(msg, &peer, sizeof(peer), NLMSG_ALIGNTO) < 0 || put_end_attrs(msg, b) < 0)
		goto oom;
	nla_nest_end(msg, pe);
	nla_nest_end(msg, data);
	nla_nest_end(msg, info);
	return nsl_nl_send(nl, msg, err, "veth %s - %s", a->name, b->name);
oom:
	nlmsg_free(msg);
	return nsl_err_set(err, ENOMEM, "veth %s: out of memory", a->name);
}

int nsl_nl_bridge_add(struct nsl_nl *nl, const char *name, int ifindex, bool stp, uint32_t mtu,
                      const uint8_t *mac, struct nsl_err *err)
{
	struct nlattr *info, *data;
	struct nl_msg *msg = link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifindex, 0, 0);

	if (!msg || nla_put_string(msg, IFLA_IFNAME, name) < 0)
		goto oom;
	if (mtu && nla_put_u32(msg, IFLA_MTU, mtu) < 0)
		goto oom;
	if (mac && nla_put(msg, IFLA_ADDRESS, 6, mac) < 0)
		goto oom;
	if (!(info = nla_nest_start(msg, IFLA_LINKINFO)) ||
	    nla_put_string(msg, IFLA_INFO_KIND, "bridge") < 0)
		goto oom;
	if (!(data = nla_nest_start(msg, IFLA_INFO_DATA)) ||
	    nla_put_u32(msg, IFLA_BR_STP_STATE, stp ? 1 : 0) < 0)
		goto oom;
	/* Without STP a port forwards at once; with it, honour the kernel's timers. */
	if (!stp && nla_put_u32(msg, IFLA_BR_FORWARD_DELAY, 0) < 0)
		goto oom;
	nla_nest_end(msg, data);
	nla_nest_end(msg, info);
	return nsl_nl_send(nl, msg, err, "bridge %s", name);
oom:
	nlmsg_free(msg);
	return nsl_err_set(err, ENOMEM, "bridge %s: out of memory", name);
}

int nsl_nl_link_change(struct nsl_nl *nl, const struct nsl_link_change *c, const char *what,
                       struct nsl_err *err)
{
	unsigned flags = c->up > 0 ? IFF_UP : 0, change = c->up >= 0 ? IFF_UP : 0;
	struct nl_msg *msg = link_msg(RTM_NEWLINK, 0, c->ifindex, flags, change);

	if (!msg)
		goto oom;
	if (!c->ifindex && c->match_name && nla_put_string(msg, IFLA_IFNAME, c->match_name) < 0)
		goto oom;
	if (c->new_name && nla_put_string(msg, IFLA_IFNAME, c->new_name) < 0)
		goto oom;
	if (c->master && nla_put_u32(msg, IFLA_MASTER, (uint32_t)c->master) < 0)
		goto oom;
	if (c->mtu && nla_put_u32(msg, IFLA_MTU, c->mtu) < 0)
		goto oom;
	if (c->mac && nla_put(msg, IFLA_ADDRESS, 6, c->mac) < 0)
		goto oom;
	if (c->netns_fd >= 0 && nla_put_u32(msg, IFLA_NET_NS_FD, (uint32_t)c->netns_fd) < 0)
		goto oom;
	if (c->alias && nla_put_string(msg, IFLA_IFALIAS, c->alias) < 0)
		goto oom;
	return nsl_nl_send(nl, msg, err, "%s", what);
oom:
	nlmsg_free(msg);
	return nsl_err_set(err, ENOMEM, "%s: out of memory", what);
}

int nsl_nl_link_del(struct nsl_nl *nl, int ifindex, const char *name, struct nsl_err *err)
{
	struct nl_msg *msg = link_msg(RTM_DELLINK, 0, ifindex, 0, 0);

	if (!msg || (!ifindex && nla_put_string(msg, IFLA_IFNAME, name) < 0)) {
		nlmsg_free(msg);
		return nsl_err_set(err, ENOMEM, "delete %s: out of memory", name);
	}
	return nsl_nl_send(nl, msg, err, "delete link %s", name);
}

static struct nl_addr *to_nl_addr(const struct nsl_ip *ip, unsigned prefixlen)
{
	struct nl_addr *a = nl_addr_build(ip->family, ip->bytes, ip->family == AF_INET ? 4 : 16);

	if (a)
		nl_addr_set_prefixlen(a, (int)prefixlen);
	return a;
}

int nsl_nl_addr_add(struct nsl_nl *nl, int ifindex, const char *ifname, const struct nsl_prefix *p,
                    struct nsl_err *err)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local = to_nl_addr(&p->ip, p->len);
	struct nl_msg *msg = NULL;
	char buf[64];
	int rc = -ENOMEM;

	if (ra && local) {
		rtnl_addr_set_ifindex(ra, ifindex);
		rtnl_addr_set_family(ra, p->ip.family);
		rtnl_addr_set_local(ra, local);
		rtnl_addr_set_prefixlen(ra, p->len);
		/* Usable at once: duplicate detection would hold IPv6 tentative for 1-2 s,
		 * and the lab's addresses were already checked for duplicates. */
		if (p->ip.family == AF_INET6)
			rtnl_addr_set_flags(ra, IFA_F_NODAD);
		rc = rtnl_addr_build_add_request(ra, NLM_F_CREATE | NLM_F_EXCL, &msg);
	}
	nl_addr_put(local);
	rtnl_addr_put(ra);
	if (rc < 0)
		return nsl_err_set(err, ENOMEM, "address %s: cannot build request",
		                   nsl_prefix_str(p, buf, sizeof(buf)));
	return nsl_nl_send(nl, msg, err, "address %s on %s", nsl_prefix_str(p, buf, sizeof(buf)),
	                   ifname);
}

int nsl_nl_route_add(struct nsl_nl *nl, const struct nsl_route *r, int ifindex, struct nsl_err *err)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = to_nl_addr(&r->to.ip, r->to.len);
	struct nl_addr *gw = NULL, *src = NULL;
	struct nl_msg *msg = NULL;
	char what[160], a[64], b[64];
	int rc = -ENOMEM;

	nsl_fmt(what, sizeof(what), "route %s%s%s%s%s",
	        r->is_default ? "default" : nsl_prefix_str(&r->to, a, sizeof(a)),
	        r->has_via ? " via " : "", r->has_via ? nsl_ip_str(&r->via, b, sizeof(b)) : "",
	        r->dev[0] ? " dev " : "", r->dev);
	if (!rt || !nh || !dst)
		goto out;
	rtnl_route_set_family(rt, (uint8_t)r->to.ip.family);
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, RTPROT_STATIC);
	rtnl_route_set_type(rt, RTN_UNICAST);
	rtnl_route_set_scope(rt, r->has_via ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
	if (rtnl_route_set_dst(rt, dst) < 0)
		goto out;
	if (r->has_metric)
		rtnl_route_set_priority(rt, r->metric);
	if (r->has_src) {
		src = to_nl_addr(&r->src, r->src.family == AF_INET ? 32 : 128);
		if (!src || rtnl_route_set_pref_src(rt, src) < 0)
			goto out;
	}
	if (r->has_via) {
		gw = to_nl_addr(&r->via, r->via.family == AF_INET ? 32 : 128);
		if (!gw)
			goto out;
		rtnl_route_nh_set_gateway(nh, gw);
	}
	if (ifindex > 0)
		rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_add_nexthop(rt, nh);
	nh = NULL;
	rc = rtnl_route_build_add_request(rt, NLM_F_CREATE | NLM_F_EXCL, &msg);
out:
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(dst);
	nl_addr_put(gw);
	nl_addr_put(src);
	rtnl_route_put(rt);
	if (rc < 0)
		return nsl_err_set(err, ENOMEM, "%s: cannot build request", what);
	return nsl_nl_send(nl, msg, err, "%s", what);
}

int nsl_nl_tbf_add(struct nsl_nl *nl, int ifindex, const char *ifname, uint64_t bytes_per_sec,
                   struct nsl_err *err)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	struct nl_msg *msg = NULL;
	int rc = -ENOMEM;
	/* Bucket: enough for 10 ms at the rate, never less than a few full frames. */
	uint64_t bucket = bytes_per_sec / 100;

	if (bucket < 16384)
		bucket = 16384;
	if (bytes_per_sec > INT32_MAX)
		return nsl_err_set(err, ERANGE, "rate on %s: above what tbf takes (%d bytes/s)",
		                   ifname, INT32_MAX);
	if (q) {
		rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
		rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
		rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(1, 0));
		if (rtnl_tc_set_kind(TC_CAST(q), "tbf") == 0) {
			rtnl_qdisc_tbf_set_rate(q, (int)bytes_per_sec, (int)bucket, 0);
			rtnl_qdisc_tbf_set_limit_by_latency(q, 50000); /* 50 ms of queue */
			rc = rtnl_qdisc_build_add_request(q, NLM_F_CREATE | NLM_F_EXCL, &msg);
		}
	}
	rtnl_qdisc_put(q);
	if (rc < 0)
		return nsl_err_set(err, ENOMEM, "rate on %s: cannot build request", ifname);
	return nsl_nl_send(nl, msg, err, "rate limit on %s", ifname);
}

/* ---- look-ups: one request, read until its answer is complete ---- */

typedef int (*reply_fn)(const struct nlmsghdr *h, void *arg);

/* absent: an errno that means "no such object", which is an answer, not an error (0). */
static int request_sync(struct nsl_nl *nl, struct nl_msg *msg, bool dump, int absent, reply_fn fn,
                        void *arg, const char *what, struct nsl_err *err)
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

static int parse_link(const struct nlmsghdr *h, void *arg)
{
	struct nsl_link_info *li = arg;
	struct nlattr *tb[IFLA_MAX + 1];
	struct ifinfomsg *ifi = nlmsg_data(h);

	if (h->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (nlmsg_parse((struct nlmsghdr *)h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
		return -EINVAL;
	memset(li, 0, sizeof(*li));
	li->ifindex = ifi->ifi_index;
	li->flags = ifi->ifi_flags;
	if (tb[IFLA_IFNAME])
		nla_strlcpy(li->name, tb[IFLA_IFNAME], sizeof(li->name));
	if (tb[IFLA_MTU])
		li->mtu = nla_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_OPERSTATE])
		li->operstate = nla_get_u8(tb[IFLA_OPERSTATE]);
	if (tb[IFLA_ADDRESS] && nla_len(tb[IFLA_ADDRESS]) == 6) {
		memcpy(li->mac, nla_data(tb[IFLA_ADDRESS]), 6);
		li->has_mac = 1;
	}
	if (tb[IFLA_IFALIAS])
		nla_strlcpy(li->alias, tb[IFLA_IFALIAS], sizeof(li->alias));
	if (tb[IFLA_LINK_NETNSID]) {
		li->has_link_netnsid = true;
		li->link_netnsid = (int)nla_get_s32(tb[IFLA_LINK_NETNSID]);
	}
	if (tb[IFLA_LINK])
		li->link_ifindex = (int)nla_get_u32(tb[IFLA_LINK]);
	if (tb[IFLA_LINKINFO]) {
		struct nlattr *li_tb[IFLA_INFO_MAX + 1];
		if (nla_parse_nested(li_tb, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) == 0 &&
		    li_tb[IFLA_INFO_KIND])
			nla_strlcpy(li->kind, li_tb[IFLA_INFO_KIND], sizeof(li->kind));
	}
	return 0;
}

int nsl_nl_link_get(struct nsl_nl *nl, int ifindex, const char *name, struct nsl_link_info *ret,
                    struct nsl_err *err)
{
	struct nl_msg *msg = link_msg(RTM_GETLINK, 0, ifindex, 0, 0);
	struct nsl_link_info li = {.ifindex = 0};
	char what[64];
	int rc;

	if (!msg || (!ifindex && nla_put_string(msg, IFLA_IFNAME, name) < 0)) {
		nlmsg_free(msg);
		return nsl_err_set(err, ENOMEM, "out of memory");
	}
	nsl_fmt(what, sizeof(what), "look up interface %s", name ? name : "");
	rc = request_sync(nl, msg, false, ENODEV, parse_link, &li, what, err);
	if (rc < 0)
		return rc;
	if (!li.ifindex)
		return 0;
	*ret = li;
	return 1;
}

struct addr_list {
	int ifindex;
	struct nsl_addr_info *items;
	size_t n, cap;
};

static int parse_addr(const struct nlmsghdr *h, void *arg)
{
	struct addr_list *l = arg;
	struct ifaddrmsg *ifa = nlmsg_data(h);
	struct nlattr *tb[IFA_MAX + 1];
	struct nlattr *a;
	struct nsl_addr_info *it;

	if (h->nlmsg_type != RTM_NEWADDR)
		return 0;
	if (l->ifindex && (int)ifa->ifa_index != l->ifindex)
		return 0;
	if (nlmsg_parse((struct nlmsghdr *)h, sizeof(*ifa), tb, IFA_MAX, NULL) < 0)
		return -EINVAL;
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a)
		return 0;
	if (!nsl_grow(&l->items, &l->cap, l->n, sizeof(*l->items)))
		return -ENOMEM;
	it = &l->items[l->n];
	memset(it, 0, sizeof(*it));
	it->ifindex = (int)ifa->ifa_index;
	it->prefix.ip.family = ifa->ifa_family;
	it->prefix.len = ifa->ifa_prefixlen;
	it->scope = ifa->ifa_scope;
	it->flags = tb[IFA_FLAGS] ? nla_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
	if (nla_len(a) != (ifa->ifa_family == AF_INET ? 4 : 16))
		return 0;
	memcpy(it->prefix.ip.bytes, nla_data(a), (size_t)nla_len(a));
	l->n++;
	return 0;
}

int nsl_nl_addr_list(struct nsl_nl *nl, int ifindex, struct nsl_addr_info **ret, size_t *ret_n,
                     struct nsl_err *err)
{
	struct ifaddrmsg ifa = {.ifa_family = AF_UNSPEC};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETADDR, 0);
	struct addr_list l = {.ifindex = ifindex};
	int rc;

	if (!msg || nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return nsl_err_set(err, ENOMEM, "out of memory");
	}
	rc = request_sync(nl, msg, true, 0, parse_addr, &l, "list addresses", err);
	if (rc < 0) {
		free(l.items);
		return rc;
	}
	*ret = l.items;
	*ret_n = l.n;
	return 0;
}

struct route_list {
	int dev; /* for the default-route check */
	int found;
	uint32_t *nh_ids; /* default routes through nexthop objects */
	size_t n_nh, cap_nh;
	struct nsl_prefix *items;
	size_t n, cap;
};

/* Does a default route's RTA_MULTIPATH list name dev? */
static bool multipath_has(const struct nlattr *mp, int dev)
{
	const struct rtnexthop *nh = nla_data(mp);
	int len = nla_len(mp);

	while (len >= (int)sizeof(*nh) && nh->rtnh_len >= sizeof(*nh) && nh->rtnh_len <= len) {
		if (nh->rtnh_ifindex == dev)
			return true;
		len -= RTNH_ALIGN(nh->rtnh_len);
		nh = RTNH_NEXT(nh);
	}
	return false;
}

static int parse_route(const struct nlmsghdr *h, void *arg)
{
	struct route_list *l = arg;
	struct rtmsg *rtm = nlmsg_data(h);
	struct nlattr *tb[RTA_MAX + 1];

	if (h->nlmsg_type != RTM_NEWROUTE || rtm->rtm_table != RT_TABLE_MAIN)
		return 0;
	if (nlmsg_parse((struct nlmsghdr *)h, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return -EINVAL;
	if (l->dev) {
		if (rtm->rtm_dst_len != 0)
			return 0;
		if ((tb[RTA_OIF] && (int)nla_get_u32(tb[RTA_OIF]) == l->dev) ||
		    (tb[RTA_MULTIPATH] && multipath_has(tb[RTA_MULTIPATH], l->dev)))
			l->found = 1;
		if (tb[RTA_NH_ID]) {
			if (!nsl_grow(&l->nh_ids, &l->cap_nh, l->n_nh, sizeof(*l->nh_ids)))
				return -ENOMEM;
			l->nh_ids[l->n_nh++] = nla_get_u32(tb[RTA_NH_ID]);
		}
		return 0;
	}
	if (!nsl_grow(&l->items, &l->cap, l->n, sizeof(*l->items)))
		return -ENOMEM;
	struct nsl_prefix *p = &l->items[l->n];
	memset(p, 0, sizeof(*p));
	p->ip.family = rtm->rtm_family;
	p->len = rtm->rtm_dst_len;
	if (tb[RTA_DST] && nla_len(tb[RTA_DST]) <= 16)
		memcpy(p->ip.bytes, nla_data(tb[RTA_DST]), (size_t)nla_len(tb[RTA_DST]));
	if (p->len == 0)
		return 0; /* a default route overlaps everything: not a subnet of the host */
	l->n++;
	return 0;
}

static int dump_routes(struct nsl_nl *nl, struct route_list *l, struct nsl_err *err)
{
	struct rtmsg rtm = {.rtm_family = AF_UNSPEC};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETROUTE, 0);

	if (!msg || nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return nsl_err_set(err, ENOMEM, "out of memory");
	}
	return request_sync(nl, msg, true, 0, parse_route, l, "list routes", err);
}

/* Nexthop objects: each one's device, or a group's members. */
struct nexthop {
	uint32_t id;
	int oif;
	uint32_t group[32];
	size_t n_group;
};

struct nexthop_list {
	struct nexthop *items;
	size_t n, cap;
};

static int parse_nexthop(const struct nlmsghdr *h, void *arg)
{
	struct nexthop_list *l = arg;
	struct nlattr *tb[NHA_MAX + 1];
	struct nexthop *nh;

	if (h->nlmsg_type != RTM_NEWNEXTHOP)
		return 0;
	if (nlmsg_parse((struct nlmsghdr *)h, sizeof(struct nhmsg), tb, NHA_MAX, NULL) < 0 ||
	    !tb[NHA_ID])
		return 0;
	if (!nsl_grow(&l->items, &l->cap, l->n, sizeof(*l->items)))
		return -ENOMEM;
	nh = &l->items[l->n++];
	memset(nh, 0, sizeof(*nh));
	nh->id = nla_get_u32(tb[NHA_ID]);
	nh->oif = tb[NHA_OIF] ? (int)nla_get_u32(tb[NHA_OIF]) : 0;
	if (tb[NHA_GROUP]) {
		const struct nexthop_grp *g = nla_data(tb[NHA_GROUP]);
		size_t n = (size_t)nla_len(tb[NHA_GROUP]) / sizeof(*g);
		for (size_t i = 0; i < n && nh->n_group < NSL_ARRAY_SIZE(nh->group); i++)
			nh->group[nh->n_group++] = g[i].id;
	}
	return 0;
}

static const struct nexthop *nexthop_find(const struct nexthop_list *l, uint32_t id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].id == id)
			return &l->items[i];
	return NULL;
}

static bool nexthop_uses(const struct nexthop_list *l, uint32_t id, int dev)
{
	const struct nexthop *nh = nexthop_find(l, id);

	if (!nh)
		return false;
	if (nh->oif == dev)
		return true;
	for (size_t i = 0; i < nh->n_group; i++) {
		const struct nexthop *m = nexthop_find(l, nh->group[i]);
		if (m && m->oif == dev)
			return true;
	}
	return false;
}

int nsl_nl_default_route_dev(struct nsl_nl *nl, int ifindex, struct nsl_err *err)
{
	struct route_list l = {.dev = ifindex};
	struct nexthop_list nhl = {0};
	int rc = dump_routes(nl, &l, err);

	if (rc == 0 && !l.found && l.n_nh) {
		struct nhmsg nhm = {.nh_family = AF_UNSPEC};
		struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETNEXTHOP, 0);
		if (!msg || nlmsg_append(msg, &nhm, sizeof(nhm), NLMSG_ALIGNTO) < 0) {
			nlmsg_free(msg);
			rc = nsl_err_set(err, ENOMEM, "out of memory");
		} else {
			rc = request_sync(nl, msg, true, 0, parse_nexthop, &nhl, "list nexthops",
			                  err);
		}
		for (size_t i = 0; rc == 0 && i < l.n_nh; i++)
			if (nexthop_uses(&nhl, l.nh_ids[i], ifindex))
				l.found = 1;
	}
	free(l.items);
	free(l.nh_ids);
	free(nhl.items);
	return rc < 0 ? rc : l.found;
}

int nsl_nl_route_prefixes(struct nsl_nl *nl, struct nsl_prefix **ret, size_t *ret_n,
                          struct nsl_err *err)
{
	struct route_list l = {.dev = 0};
	int rc = dump_routes(nl, &l, err);

	if (rc < 0) {
		free(l.items);
		return rc;
	}
	*ret = l.items;
	*ret_n = l.n;
	return 0;
}

struct link_list {
	struct nsl_link_info *items;
	size_t n, cap;
};

static int collect_link(const struct nlmsghdr *h, void *arg)
{
	struct link_list *l = arg;
	struct nsl_link_info li;
	int rc;

	if (h->nlmsg_type != RTM_NEWLINK)
		return 0;
	rc = parse_link(h, &li);
	if (rc < 0)
		return rc;
	if (!nsl_grow(&l->items, &l->cap, l->n, sizeof(*l->items)))
		return -ENOMEM;
	l->items[l->n++] = li;
	return 0;
}

int nsl_nl_link_list(struct nsl_nl *nl, struct nsl_link_info **ret, size_t *ret_n,
                     struct nsl_err *err)
{
	struct nl_msg *msg = link_msg(RTM_GETLINK, 0, 0, 0, 0);
	struct link_list l = {0};
	int rc;

	if (!msg)
		return nsl_err_set(err, ENOMEM, "out of memory");
	rc = request_sync(nl, msg, true, 0, collect_link, &l, "list links", err);
	if (rc < 0) {
		free(l.items);
		return rc;
	}
	*ret = l.items;
	*ret_n = l.n;
	return 0;
}

static int parse_nsid(const struct nlmsghdr *h, void *arg)
{
	struct nlattr *tb[NETNSA_MAX + 1];
	int *nsid = arg;

	if (h->nlmsg_type != RTM_NEWNSID)
		return 0;
	if (nlmsg_parse((struct nlmsghdr *)h, sizeof(struct rtgenmsg), tb, NETNSA_MAX, NULL) < 0)
		return -EINVAL;
	if (tb[NETNSA_NSID])
		*nsid = (int)nla_get_s32(tb[NETNSA_NSID]);
	return 0;
}

int nsl_nl_netns_id(struct nsl_nl *nl, int netns_fd, int *ret, struct nsl_err *err)
{
	struct rtgenmsg g = {.rtgen_family = AF_UNSPEC};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETNSID, 0);
	int nsid = -1, rc;

	if (!msg || nlmsg_append(msg, &g, sizeof(g), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, NETNSA_FD, (uint32_t)netns_fd) < 0) {
		nlmsg_free(msg);
		return nsl_err_set(err, ENOMEM, "out of memory");
	}
	rc = request_sync(nl, msg, false, 0, parse_nsid, &nsid, "namespace id", err);
	if (rc < 0)
		return rc;
	if (nsid < 0)
		return 0;
	*ret = nsid;
	return 1;
}
