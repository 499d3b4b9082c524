/* The route-netlink door: addresses, routes, and what the host's routes say. */
#include <arpa/inet.h>
#include <linux/fib_rules.h>
#include <linux/nexthop.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/addr.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>

#include "kernel/netlink_impl.h"

static struct nl_addr *to_nl_addr(const struct nsl_ip *ip, unsigned prefixlen)
{
	struct nl_addr *a = nl_addr_build(ip->family, ip->bytes, ip->family == AF_INET ? 4 : 16);

	if (a)
		nl_addr_set_prefixlen(a, (int)prefixlen);
	return a;
}

static int addr_req(struct nsl_nl *nl, bool del, int ifindex, const char *ifname,
                    const struct nsl_prefix *p, struct nsl_err *err)
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
		rc = del ? rtnl_addr_build_delete_request(ra, 0, &msg)
		         : rtnl_addr_build_add_request(ra, NLM_F_CREATE | NLM_F_EXCL, &msg);
	}
	nl_addr_put(local);
	rtnl_addr_put(ra);
	if (rc < 0)
		return nsl_err_set(err, ENOMEM, "address %s: cannot build request",
		                   nsl_prefix_str(p, buf, sizeof(buf)));
	return nsl_nl_send(nl, msg, err, "%saddress %s on %s", del ? "delete " : "",
	                   nsl_prefix_str(p, buf, sizeof(buf)), ifname);
}

int nsl_nl_addr_add(struct nsl_nl *nl, int ifindex, const char *ifname, const struct nsl_prefix *p,
                    struct nsl_err *err)
{
	return addr_req(nl, false, ifindex, ifname, p, err);
}

int nsl_nl_addr_del(struct nsl_nl *nl, int ifindex, const char *ifname, const struct nsl_prefix *p,
                    struct nsl_err *err)
{
	return addr_req(nl, true, ifindex, ifname, p, err);
}

/* A gateway: RTA_GATEWAY in the route's family, RTA_VIA for an IPv6 gateway of an IPv4 route. */
static int put_gateway(struct nl_msg *msg, int family, const struct nsl_ip *via)
{
	if (via->family == family)
		return nla_put(msg, RTA_GATEWAY, family == AF_INET ? 4 : 16, via->bytes);
	struct {
		uint16_t family;
		uint8_t addr[16];
	} __attribute__((packed)) v = {.family = (uint16_t)via->family};
	memcpy(v.addr, via->bytes, 16);
	return nla_put(msg, RTA_VIA, (int)sizeof(v.family) + (via->family == AF_INET ? 4 : 16), &v);
}

static int put_multipath(struct nl_msg *msg, const struct nsl_route *r, const int *nh_ifindex)
{
	struct nlattr *mp = nla_nest_start(msg, RTA_MULTIPATH);

	if (!mp)
		return -ENOMEM;
	for (size_t h = 0; h < r->n_nexthops; h++) {
		const struct nsl_nexthop *nh = &r->nexthops[h];
		struct rtnexthop *rtnh = nlmsg_reserve(msg, sizeof(*rtnh), NLMSG_ALIGNTO);

		if (!rtnh)
			return -ENOMEM;
		memset(rtnh, 0, sizeof(*rtnh));
		rtnh->rtnh_hops = (unsigned char)(nh->weight - 1);
		rtnh->rtnh_ifindex = nh_ifindex ? nh_ifindex[h] : 0;
		if (nh->has_via && put_gateway(msg, r->to.ip.family, &nh->via) < 0)
			return -ENOMEM;
		rtnh->rtnh_len =
		    (unsigned short)((char *)nlmsg_tail(nlmsg_hdr(msg)) - (char *)rtnh);
	}
	nla_nest_end(msg, mp);
	return 0;
}

static const unsigned char route_types[] = {
    [NSL_RT_UNICAST] = RTN_UNICAST,
    [NSL_RT_BLACKHOLE] = RTN_BLACKHOLE,
    [NSL_RT_UNREACHABLE] = RTN_UNREACHABLE,
    [NSL_RT_PROHIBIT] = RTN_PROHIBIT,
    [NSL_RT_THROW] = RTN_THROW,
};

static int route_req(struct nsl_nl *nl, bool del, const struct nsl_route *r, int ifindex,
                     const int *nh_ifindex, struct nsl_err *err)
{
	static const char *const names[] = {"", "blackhole ", "unreachable ", "prohibit ",
	                                    "throw "};
	bool gw = r->has_via;
	struct rtmsg rtm = {
	    .rtm_family = (unsigned char)r->to.ip.family,
	    .rtm_dst_len = r->to.len,
	    .rtm_table = r->table < 256 ? (unsigned char)r->table : RT_TABLE_UNSPEC,
	    .rtm_protocol = RTPROT_STATIC,
	    .rtm_type = route_types[r->type],
	};
	struct nl_msg *msg = del ? nlmsg_alloc_simple(RTM_DELROUTE, 0)
	                         : nlmsg_alloc_simple(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	char what[160], a[64], b[64];
	int bytes = r->to.ip.family == AF_INET ? 4 : 16;

	for (size_t h = 0; h < r->n_nexthops; h++)
		gw |= r->nexthops[h].has_via;
	/* a route through a device alone reaches its link only */
	rtm.rtm_scope = r->type == NSL_RT_UNICAST && !gw ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	nsl_fmt(what, sizeof(what), "%sroute %s%s%s%s%s%s%s", del ? "delete " : "", names[r->type],
	        r->is_default ? "default" : nsl_prefix_str(&r->to, a, sizeof(a)),
	        r->has_via ? " via " : "", r->has_via ? nsl_ip_str(&r->via, b, sizeof(b)) : "",
	        r->dev[0] ? " dev " : "", r->dev, r->n_nexthops ? " (multipath)" : "");
	if (r->table != RT_TABLE_MAIN) {
		size_t len = strlen(what);
		nsl_fmt(what + len, sizeof(what) - len, " table %u", r->table);
	}
	if (!msg || nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0)
		goto oom;
	if (nla_put_u32(msg, RTA_TABLE, r->table) < 0)
		goto oom;
	if (r->to.len && nla_put(msg, RTA_DST, bytes, r->to.ip.bytes) < 0)
		goto oom;
	if (r->has_metric && nla_put_u32(msg, RTA_PRIORITY, r->metric) < 0)
		goto oom;
	if (r->has_src && nla_put(msg, RTA_PREFSRC, bytes, r->src.bytes) < 0)
		goto oom;
	if (r->has_via && put_gateway(msg, r->to.ip.family, &r->via) < 0)
		goto oom;
	if (ifindex > 0 && nla_put_u32(msg, RTA_OIF, (uint32_t)ifindex) < 0)
		goto oom;
	if (r->n_nexthops && put_multipath(msg, r, nh_ifindex) < 0)
		goto oom;
	return nsl_nl_send(nl, msg, err, "%s", what);
oom:
	nlmsg_free(msg);
	return nsl_err_set(err, ENOMEM, "%s: cannot build request", what);
}

int nsl_nl_route_add(struct nsl_nl *nl, const struct nsl_route *r, int ifindex,
                     const int *nh_ifindex, struct nsl_err *err)
{
	return route_req(nl, false, r, ifindex, nh_ifindex, err);
}

int nsl_nl_route_del(struct nsl_nl *nl, const struct nsl_route *r, int ifindex,
                     const int *nh_ifindex, struct nsl_err *err)
{
	return route_req(nl, true, r, ifindex, nh_ifindex, err);
}

static int rule_req(struct nsl_nl *nl, bool del, const struct nsl_rule *r, int family,
                    struct nsl_err *err)
{
	struct fib_rule_hdr frh = {
	    .family = (unsigned char)family,
	    .action = FR_ACT_TO_TBL,
	    .table = r->table < 256 ? (unsigned char)r->table : RT_TABLE_UNSPEC,
	    .src_len = r->has_from ? r->from.len : 0,
	    .dst_len = r->has_to ? r->to.len : 0,
	};
	struct nl_msg *msg = del ? nlmsg_alloc_simple(RTM_DELRULE, 0)
	                         : nlmsg_alloc_simple(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL);
	int bytes = family == AF_INET ? 4 : 16;
	char what[160], a[64];

	nsl_fmt(what, sizeof(what), "%srule%s%s lookup %u (%s)", del ? "delete " : "",
	        r->has_from ? " from " : "",
	        r->has_from ? nsl_prefix_str(&r->from, a, sizeof(a)) : "", r->table,
	        family == AF_INET ? "IPv4" : "IPv6");
	if (!msg || nlmsg_append(msg, &frh, sizeof(frh), NLMSG_ALIGNTO) < 0)
		goto oom;
	if (nla_put_u32(msg, FRA_TABLE, r->table) < 0)
		goto oom;
	if (r->has_priority && nla_put_u32(msg, FRA_PRIORITY, r->priority) < 0)
		goto oom;
	if (r->has_from && nla_put(msg, FRA_SRC, bytes, r->from.ip.bytes) < 0)
		goto oom;
	if (r->has_to && nla_put(msg, FRA_DST, bytes, r->to.ip.bytes) < 0)
		goto oom;
	if (r->iif[0] && nla_put_string(msg, FRA_IIFNAME, r->iif) < 0)
		goto oom;
	if (r->oif[0] && nla_put_string(msg, FRA_OIFNAME, r->oif) < 0)
		goto oom;
	if (r->has_fwmark && (nla_put_u32(msg, FRA_FWMARK, r->fwmark) < 0 ||
	                      nla_put_u32(msg, FRA_FWMASK, r->fwmask) < 0))
		goto oom;
	return nsl_nl_send(nl, msg, err, "%s", what);
oom:
	nlmsg_free(msg);
	return nsl_err_set(err, ENOMEM, "%s: cannot build request", what);
}

int nsl_nl_rule_add(struct nsl_nl *nl, const struct nsl_rule *r, int family, struct nsl_err *err)
{
	return rule_req(nl, false, r, family, err);
}

int nsl_nl_rule_del(struct nsl_nl *nl, const struct nsl_rule *r, int family, struct nsl_err *err)
{
	return rule_req(nl, true, r, family, err);
}

/* ---- look-ups: one request, read until its answer is complete ---- */

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
	rc = nsl_nl_request_sync(nl, msg, true, 0, parse_addr, &l, "list addresses", err);
	if (rc < 0) {
		free(l.items);
		return rc;
	}
	*ret = l.items;
	*ret_n = l.n;
	return 0;
}

struct mcast6_list {
	struct nsl_mcast6_info *items;
	size_t n, cap;
};

static int parse_mcast6(const struct nlmsghdr *h, void *arg)
{
	struct mcast6_list *l = arg;
	struct ifaddrmsg *ifa = nlmsg_data(h);
	struct nlattr *tb[IFA_MAX + 1];

	/* RTM_GETMULTICAST, or RTM_NEWMULTICAST in kernels that have it (6.13) */
	if (nlmsg_parse((struct nlmsghdr *)h, sizeof(*ifa), tb, IFA_MAX, NULL) < 0)
		return -EINVAL;
	if (!tb[IFA_MULTICAST] || nla_len(tb[IFA_MULTICAST]) != 16)
		return 0;
	if (!nsl_grow(&l->items, &l->cap, l->n, sizeof(*l->items)))
		return -ENOMEM;
	l->items[l->n].ifindex = (int)ifa->ifa_index;
	memcpy(l->items[l->n].group, nla_data(tb[IFA_MULTICAST]), 16);
	l->n++;
	return 0;
}

int nsl_nl_mcast6_list(struct nsl_nl *nl, struct nsl_mcast6_info **ret, size_t *ret_n,
                       struct nsl_err *err)
{
	struct ifaddrmsg ifa = {.ifa_family = AF_INET6};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETMULTICAST, 0);
	struct mcast6_list l = {0};
	int rc;

	if (!msg || nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return nsl_err_set(err, ENOMEM, "out of memory");
	}
	rc = nsl_nl_request_sync(nl, msg, true, 0, parse_mcast6, &l, "list IPv6 multicast groups",
	                         err);
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
	return nsl_nl_request_sync(nl, msg, true, 0, parse_route, l, "list routes", err);
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
			rc = nsl_nl_request_sync(nl, msg, true, 0, parse_nexthop, &nhl,
			                         "list nexthops", err);
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
