/* The route-netlink door, look-ups for checks: a namespace's routes as the kernel holds them,
 * each with its next hops (gateway and device), whether written in the route, in a multipath
 * list, or in a nexthop object (as routing daemons install them). */
#include <arpa/inet.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "kernel/netlink_impl.h"

struct list {
	int family;
	uint32_t table;
	struct nsl_route_info *items;
	size_t n, cap;
};

static void gateway(const struct nlattr *gw, const struct nlattr *via, int family,
                    struct nsl_route_hop *hop)
{
	size_t len = family == AF_INET ? 4 : 16;

	if (gw && (size_t)nla_len(gw) == len) {
		hop->gw.family = family;
		memcpy(hop->gw.bytes, nla_data(gw), len);
	} else if (via && (size_t)nla_len(via) >= sizeof(struct rtvia)) {
		/* IPv4 through an IPv6 gateway (RFC 5549) */
		const struct rtvia *v = nla_data(via);
		size_t vl = v->rtvia_family == AF_INET ? 4 : 16;
		if ((size_t)nla_len(via) >= sizeof(*v) + vl) {
			hop->gw.family = v->rtvia_family;
			memcpy(hop->gw.bytes, v->rtvia_addr, vl);
		}
	}
}

static void multipath(const struct nlattr *mp, int family, struct nsl_route_info *r)
{
	const struct rtnexthop *nh = nla_data(mp);
	int len = nla_len(mp);

	while (len >= (int)sizeof(*nh) && nh->rtnh_len >= sizeof(*nh) && nh->rtnh_len <= len &&
	       r->n_hops < NSL_ROUTE_HOPS) {
		struct nsl_route_hop *hop = &r->hops[r->n_hops++];
		struct nlattr *tb[RTA_MAX + 1] = {0};
		int alen = nh->rtnh_len - (int)sizeof(*nh);
		hop->oif = nh->rtnh_ifindex;
		if (alen > 0 &&
		    nla_parse(tb, RTA_MAX, (struct nlattr *)RTNH_DATA(nh), alen, NULL) == 0)
			gateway(tb[RTA_GATEWAY], tb[RTA_VIA], family, hop);
		len -= RTNH_ALIGN(nh->rtnh_len);
		nh = RTNH_NEXT(nh);
	}
}

static int parse_route(const struct nlmsghdr *h, void *arg)
{
	struct list *l = arg;
	struct rtmsg *rtm = nlmsg_data(h);
	struct nlattr *tb[RTA_MAX + 1];
	struct nsl_route_info *r;
	uint32_t table;

	if (h->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != l->family)
		return 0;
	if (nlmsg_parse((struct nlmsghdr *)h, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return -EINVAL;
	table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (l->table && table != l->table)
		return 0;
	if (!nsl_grow(&l->items, &l->cap, l->n, sizeof(*l->items)))
		return -ENOMEM;
	r = &l->items[l->n++];
	memset(r, 0, sizeof(*r));
	r->dst.ip.family = rtm->rtm_family;
	r->dst.len = rtm->rtm_dst_len;
	if (tb[RTA_DST] && nla_len(tb[RTA_DST]) <= 16)
		memcpy(r->dst.ip.bytes, nla_data(tb[RTA_DST]), (size_t)nla_len(tb[RTA_DST]));
	r->table = table;
	r->type = rtm->rtm_type;
	r->protocol = rtm->rtm_protocol;
	r->metric = tb[RTA_PRIORITY] ? nla_get_u32(tb[RTA_PRIORITY]) : 0;
	r->nh_id = tb[RTA_NH_ID] ? nla_get_u32(tb[RTA_NH_ID]) : 0;
	if (tb[RTA_MULTIPATH]) {
		multipath(tb[RTA_MULTIPATH], rtm->rtm_family, r);
	} else if (!r->nh_id) {
		r->hops[0].oif = tb[RTA_OIF] ? (int)nla_get_u32(tb[RTA_OIF]) : 0;
		gateway(tb[RTA_GATEWAY], tb[RTA_VIA], rtm->rtm_family, &r->hops[0]);
		r->n_hops = 1;
	}
	return 0;
}

/* Nexthop objects: a gateway and device each, or a group of others. */
struct nexthop {
	uint32_t id;
	struct nsl_route_hop hop;
	uint32_t group[NSL_ROUTE_HOPS];
	size_t n_group;
};

struct nh_list {
	struct nexthop *items;
	size_t n, cap;
};

static int parse_nexthop(const struct nlmsghdr *h, void *arg)
{
	struct nh_list *l = arg;
	struct nhmsg *nhm = nlmsg_data(h);
	struct nlattr *tb[NHA_MAX + 1];
	struct nexthop *nh;

	if (h->nlmsg_type != RTM_NEWNEXTHOP)
		return 0;
	if (nlmsg_parse((struct nlmsghdr *)h, sizeof(*nhm), tb, NHA_MAX, NULL) < 0 || !tb[NHA_ID])
		return 0;
	if (!nsl_grow(&l->items, &l->cap, l->n, sizeof(*l->items)))
		return -ENOMEM;
	nh = &l->items[l->n++];
	memset(nh, 0, sizeof(*nh));
	nh->id = nla_get_u32(tb[NHA_ID]);
	nh->hop.oif = tb[NHA_OIF] ? (int)nla_get_u32(tb[NHA_OIF]) : 0;
	if (tb[NHA_GATEWAY]) {
		size_t len = (size_t)nla_len(tb[NHA_GATEWAY]);
		if (len == 4 || len == 16) {
			nh->hop.gw.family = len == 4 ? AF_INET : AF_INET6;
			memcpy(nh->hop.gw.bytes, nla_data(tb[NHA_GATEWAY]), len);
		}
	}
	if (tb[NHA_GROUP]) {
		const struct nexthop_grp *g = nla_data(tb[NHA_GROUP]);
		size_t n = (size_t)nla_len(tb[NHA_GROUP]) / sizeof(*g);
		for (size_t i = 0; i < n && nh->n_group < NSL_ROUTE_HOPS; i++)
			nh->group[nh->n_group++] = g[i].id;
	}
	return 0;
}

static const struct nexthop *nh_find(const struct nh_list *l, uint32_t id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].id == id)
			return &l->items[i];
	return NULL;
}

static int resolve_nexthops(struct nsl_nl *nl, struct list *l, struct nsl_err *err)
{
	struct nhmsg nhm = {.nh_family = AF_UNSPEC};
	struct nh_list nhl = {0};
	struct nl_msg *msg;
	bool any = false;
	int rc;

	for (size_t i = 0; i < l->n && !any; i++)
		any = l->items[i].nh_id != 0;
	if (!any)
		return 0;
	msg = nlmsg_alloc_simple(RTM_GETNEXTHOP, 0);
	if (!msg || nlmsg_append(msg, &nhm, sizeof(nhm), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return nsl_err_set(err, ENOMEM, "out of memory");
	}
	rc = nsl_nl_request_sync(nl, msg, true, 0, parse_nexthop, &nhl, "list nexthops", err);
	for (size_t i = 0; rc == 0 && i < l->n; i++) {
		struct nsl_route_info *r = &l->items[i];
		const struct nexthop *nh = r->nh_id ? nh_find(&nhl, r->nh_id) : NULL;
		if (!nh)
			continue;
		if (!nh->n_group) {
			r->hops[r->n_hops++] = nh->hop;
			continue;
		}
		for (size_t g = 0; g < nh->n_group && r->n_hops < NSL_ROUTE_HOPS; g++) {
			const struct nexthop *m = nh_find(&nhl, nh->group[g]);
			if (m)
				r->hops[r->n_hops++] = m->hop;
		}
	}
	free(nhl.items);
	return rc;
}

int nsl_nl_route_list(struct nsl_nl *nl, int family, uint32_t table, struct nsl_route_info **ret,
                      size_t *ret_n, struct nsl_err *err)
{
	struct rtmsg rtm = {.rtm_family = (unsigned char)family};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETROUTE, 0);
	struct list l = {.family = family, .table = table};
	int rc;

	if (!msg || nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return nsl_err_set(err, ENOMEM, "out of memory");
	}
	rc = nsl_nl_request_sync(nl, msg, true, 0, parse_route, &l, "list routes", err);
	if (rc == 0)
		rc = resolve_nexthops(nl, &l, err);
	if (rc < 0) {
		free(l.items);
		return rc;
	}
	*ret = l.items;
	*ret_n = l.n;
	return 0;
}
