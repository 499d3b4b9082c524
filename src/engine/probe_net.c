/* The network kinds of probes: ping and no_ping (ICMP/ICMPv6 echo, kernel/icmp.c), connect
 * (a TCP connection or a UDP datagram answered, from a socket made in the node's network
 * namespace) and route (a netlink dump of the node's table). Nothing runs in the node: no
 * tool of the node is needed. */
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "engine/probe_impl.h"
#include "kernel/icmp.h"
#include "kernel/netlink.h"
#include "kernel/ns.h"

#define PING_GAP_NS 100000000ull /* between the echo requests of one attempt */
#define UDP_PAYLOAD "nslab\n"

static uint16_t id_base;

/* ---- ping, no_ping ---- */

static enum outcome ping_verdict(struct attempt *a, bool final)
{
	struct nsl_probe *p = a->p;
	bool want_reply = p->check->kind == NSL_CHECK_PING;
	char extra[160] = "";

	if (a->send_err)
		nsl_fmt(extra, sizeof(extra), "; sending: %s", strerror(a->send_err));
	nsl_fmt(p->saw, sizeof(p->saw), "%u echo request%s sent, %u answered%s", a->sent,
	        a->sent == 1 ? "" : "s", a->received, extra);
	if (!want_reply && a->received)
		return FAILS; /* one answer is enough to fail */
	if (want_reply && a->received == p->check->count)
		return HOLDS;
	/* none could be sent (no route: the kernel said so at once): no answer can come */
	if (a->sent == p->check->count && a->send_fails == a->sent)
		return want_reply ? FAILS : HOLDS;
	if (!final)
		return GOING;
	return want_reply == (a->received > 0) ? HOLDS : FAILS;
}

static void ping_send(struct attempt *a, uint64_t now)
{
	int rc = nsl_echo_send(a->sock, &a->p->check->ip, a->id, (uint16_t)(a->sent + 1));

	if (rc < 0 && !a->send_err)
		a->send_err = -rc;
	if (rc < 0)
		a->send_fails++;
	a->sent++;
	if (a->sent < a->p->check->count) {
		a->next_send = now + PING_GAP_NS;
		a->wake = a->next_send;
	} else {
		a->wake = 0;
		a->deadline = now + (uint64_t)nsl_check_timeout_ms(a->p->check) * 1000000ull;
	}
}

static enum outcome ping_start(struct attempt *a, uint64_t now)
{
	struct nsl_probe *p = a->p;
	struct nsl_err err = {0};

	if (!id_base)
		id_base = (uint16_t)(getpid() ^ (nsl_now_ns() >> 10));
	a->sock = nsl_echo_open(p->netns_fd, p->check->ip.family, &err);
	if (a->sock < 0) {
		nsl_fmt(p->saw, sizeof(p->saw), "%s", err.msg);
		return BROKEN;
	}
	free(a->seen);
	a->seen = calloc(p->check->count + 1, 1);
	if (!a->seen) {
		nsl_fmt(p->saw, sizeof(p->saw), "out of memory");
		return BROKEN;
	}
	/* An identifier per probe and attempt: replies to another ping are not ours. */
	a->id = (uint16_t)(id_base + a->index * 131 + p->attempts);
	a->sent = a->received = a->send_fails = 0;
	a->send_err = 0;
	a->deadline = 0; /* set when the last request is out */
	a->fds[0] = (struct pollfd){.fd = a->sock, .events = POLLIN};
	ping_send(a, now);
	return ping_verdict(a, false);
}

static enum outcome ping_event(struct attempt *a)
{
	uint16_t seq;
	int rc;

	while ((rc = nsl_echo_recv(a->sock, &a->p->check->ip, a->id, &seq)) >= 0) {
		if (rc == 1 && seq >= 1 && seq <= a->sent && !a->seen[seq]) {
			a->seen[seq] = 1;
			a->received++;
		}
	}
	return ping_verdict(a, false);
}

static enum outcome ping_timer(struct attempt *a, uint64_t now)
{
	if (a->wake && now >= a->wake)
		ping_send(a, now);
	if (a->deadline && now >= a->deadline)
		return ping_verdict(a, true);
	return ping_verdict(a, false);
}

/* ---- connect ---- */

static socklen_t sockaddr_of(const struct nsl_ip *ip, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ip->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;
		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, ip->bytes, 4);
		return sizeof(*s);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	memcpy(&s6->sin6_addr, ip->bytes, 16);
	return sizeof(*s6);
}

static enum outcome connect_start(struct attempt *a)
{
	struct nsl_probe *p = a->p;
	const struct nsl_check *k = p->check;
	bool udp = k->proto == IPPROTO_UDP;
	struct nsl_err err = {0};
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(&k->ip, k->port, &ss);

	a->sock = nsl_netns_socket(p->netns_fd, k->ip.family,
	                           (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK, 0, &err);
	if (a->sock < 0) {
		nsl_fmt(p->saw, sizeof(p->saw), "%s", err.msg);
		return BROKEN;
	}
	if (connect(a->sock, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		nsl_fmt(p->saw, sizeof(p->saw), "connect: %s", strerror(errno));
		return FAILS;
	}
	if (udp) {
		if (send(a->sock, UDP_PAYLOAD, sizeof(UDP_PAYLOAD) - 1, MSG_NOSIGNAL) < 0) {
			nsl_fmt(p->saw, sizeof(p->saw), "send: %s", strerror(errno));
			return FAILS;
		}
		a->fds[0] = (struct pollfd){.fd = a->sock, .events = POLLIN};
	} else {
		a->fds[0] = (struct pollfd){.fd = a->sock, .events = POLLOUT};
	}
	return GOING;
}

static enum outcome connect_event(struct attempt *a, uint64_t now)
{
	struct nsl_probe *p = a->p;
	char took[32];
	int e = 0;
	socklen_t el = sizeof(e);

	nsl_ms_str(took, sizeof(took), (now - a->start) / 1000000);
	if (p->check->proto == IPPROTO_UDP) {
		char buf[2048];
		ssize_t n = recv(a->sock, buf, sizeof(buf), 0);
		if (n >= 0) {
			nsl_fmt(p->saw, sizeof(p->saw),
			        "a datagram of %zd bytes came back after %s", n, took);
			return HOLDS;
		}
		if (errno == EAGAIN || errno == EINTR)
			return GOING;
		nsl_fmt(p->saw, sizeof(p->saw), "%s%s", strerror(errno),
		        errno == ECONNREFUSED ? " (ICMP port unreachable: nothing listens)" : "");
		return FAILS;
	}
	if (getsockopt(a->sock, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
		e = errno;
	if (!e) {
		nsl_fmt(p->saw, sizeof(p->saw), "connected after %s", took);
		return HOLDS;
	}
	/* A reset after the handshake is an accepted connection the server then dropped (a
	 * server busy with another one, as iperf3): a SYN answered by a reset is ECONNREFUSED. */
	if (e == ECONNRESET || e == EPIPE) {
		nsl_fmt(p->saw, sizeof(p->saw), "accepted after %s, then reset by the server",
		        took);
		return HOLDS;
	}
	nsl_fmt(p->saw, sizeof(p->saw), "%s", strerror(e));
	return FAILS;
}

static enum outcome connect_timer(struct attempt *a, uint64_t now)
{
	char t[32];

	nsl_ms_str(t, sizeof(t), (now - a->start) / 1000000);
	nsl_fmt(a->p->saw, sizeof(a->p->saw), "no answer within %s", t);
	return FAILS;
}

/* ---- route ---- */

static void hop_str(const struct nsl_route_hop *h, const struct nsl_link_info *links,
                    size_t n_links, char *buf, size_t size)
{
	char gw[INET6_ADDRSTRLEN + 8] = "", ip[INET6_ADDRSTRLEN], dev[32] = "";

	if (h->gw.family)
		nsl_fmt(gw, sizeof(gw), " via %s", nsl_ip_str(&h->gw, ip, sizeof(ip)));
	if (h->oif) {
		const char *name = NULL;
		for (size_t i = 0; i < n_links; i++)
			if (links[i].ifindex == h->oif)
				name = links[i].name;
		if (name)
			nsl_fmt(dev, sizeof(dev), " dev %s", name);
		else
			nsl_fmt(dev, sizeof(dev), " dev #%d", h->oif);
	}
	nsl_fmt(buf, size, "%s%s", gw, dev);
}

static const char *route_type(unsigned char t)
{
	switch (t) {
	case RTN_UNICAST:
		return "";
	case RTN_BLACKHOLE:
		return "blackhole ";
	case RTN_UNREACHABLE:
		return "unreachable ";
	case RTN_PROHIBIT:
		return "prohibit ";
	case RTN_LOCAL:
		return "local ";
	default:
		return "other ";
	}
}

static enum outcome route_check(struct attempt *a, struct nsl_nl *nl)
{
	struct nsl_probe *p = a->p;
	const struct nsl_check *k = p->check;
	_cleanup_free_ struct nsl_route_info *routes = NULL;
	_cleanup_free_ struct nsl_link_info *links = NULL;
	size_t n = 0, n_links = 0, o = 0, found = 0;
	struct nsl_err err = {0};
	char dst[INET6_ADDRSTRLEN + 8];
	int dev = 0;

	if (nsl_nl_route_list(nl, k->route.ip.family, k->table, &routes, &n, &err) < 0 ||
	    nsl_nl_link_list(nl, &links, &n_links, &err) < 0) {
		nsl_fmt(p->saw, sizeof(p->saw), "%s", err.msg);
		return BROKEN;
	}
	for (size_t i = 0; k->dev[0] && i < n_links; i++)
		if (!strcmp(links[i].name, k->dev))
			dev = links[i].ifindex;
	if (k->route.len)
		nsl_prefix_str(&k->route, dst, sizeof(dst));
	else
		nsl_fmt(dst, sizeof(dst), "default");
	for (size_t i = 0; i < n; i++) {
		const struct nsl_route_info *r = &routes[i];
		if (r->dst.len != k->route.len ||
		    memcmp(r->dst.ip.bytes, k->route.ip.bytes, sizeof(r->dst.ip.bytes)))
			continue;
		found++;
		for (size_t h = 0; h < r->n_hops; h++) {
			const struct nsl_route_hop *hop = &r->hops[h];
			bool via_ok = !k->has_via || nsl_ip_equal(&hop->gw, &k->via);
			bool dev_ok = !k->dev[0] || (dev && hop->oif == dev);
			if (via_ok && dev_ok && r->type == RTN_UNICAST) {
				char hs[96];
				hop_str(hop, links, n_links, hs, sizeof(hs));
				nsl_fmt(p->saw, sizeof(p->saw), "%s%s in table %u, metric %u", dst,
				        hs, r->table, r->metric);
				return HOLDS;
			}
		}
		/* not this one: say what it is */
		o += (size_t)snprintf(p->saw + o, o < sizeof(p->saw) ? sizeof(p->saw) - o : 0,
		                      "%s%s%s", o ? "; " : "found: ", route_type(r->type), dst);
		for (size_t h = 0; h < r->n_hops && o < sizeof(p->saw); h++) {
			char hs[96];
			hop_str(&r->hops[h], links, n_links, hs, sizeof(hs));
			o += (size_t)snprintf(p->saw + o, sizeof(p->saw) - o, "%s", hs);
		}
		if (o < sizeof(p->saw))
			o += (size_t)snprintf(p->saw + o, sizeof(p->saw) - o, " metric %u",
			                      r->metric);
	}
	if (!found)
		nsl_fmt(p->saw, sizeof(p->saw), "no route to %s in table %u (%zu route%s there)",
		        dst, k->table, n, n == 1 ? "" : "s");
	else if (k->dev[0] && !dev)
		nsl_fmt(p->saw + (o < sizeof(p->saw) ? o : sizeof(p->saw) - 1),
		        o < sizeof(p->saw) ? sizeof(p->saw) - o : 1, "; the node has no %s",
		        k->dev);
	return FAILS;
}

static enum outcome route_start(struct attempt *a)
{
	struct nsl_nl nl = {.fd = -1};
	struct nsl_err err = {0};
	enum outcome o;

	if (nsl_nl_open(&nl, a->p->netns_fd, &err) < 0) {
		nsl_fmt(a->p->saw, sizeof(a->p->saw), "%s", err.msg);
		return BROKEN;
	}
	o = route_check(a, &nl);
	nsl_nl_close(&nl);
	return o;
}

/* ---- dispatch ---- */

enum outcome nsl_net_start(struct attempt *a, uint64_t now)
{
	switch (a->p->check->kind) {
	case NSL_CHECK_PING:
	case NSL_CHECK_NO_PING:
		return ping_start(a, now);
	case NSL_CHECK_CONNECT:
		return connect_start(a);
	case NSL_CHECK_ROUTE:
		return route_start(a);
	case NSL_CHECK_CMD:
		break;
	}
	nsl_fmt(a->p->saw, sizeof(a->p->saw), "no such check");
	return BROKEN;
}

enum outcome nsl_net_event(struct attempt *a, uint64_t now)
{
	if (a->p->check->kind == NSL_CHECK_CONNECT)
		return connect_event(a, now);
	return ping_event(a);
}

enum outcome nsl_net_timer(struct attempt *a, uint64_t now)
{
	if (a->p->check->kind == NSL_CHECK_CONNECT)
		return connect_timer(a, now);
	return ping_timer(a, now);
}

void nsl_net_stop(struct attempt *a)
{
	if (a->sock >= 0)
		close(a->sock);
	a->sock = -1;
}
