/* The route-netlink door: link requests and look-ups. */
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "kernel/netlink_impl.h"

struct nl_msg *nsl_nl_link_msg(int type, int flags, int ifindex, unsigned ifflags, unsigned change)
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

	msg = nsl_nl_link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, a->ifindex,
	                      a->up ? IFF_UP : 0, a->up ? IFF_UP : 0);
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
	struct nl_msg *msg = nsl_nl_link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifindex, 0, 0);

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
	struct nl_msg *msg = nsl_nl_link_msg(RTM_NEWLINK, 0, c->ifindex, flags, change);

	if (!msg)
		goto oom;
	if (!c->ifindex && c->match_name && nla_put_string(msg, IFLA_IFNAME, c->match_name) < 0)
		goto oom;
	if (c->new_name && nla_put_string(msg, IFLA_IFNAME, c->new_name) < 0)
		goto oom;
	if ((c->master || c->nomaster) &&
	    nla_put_u32(msg, IFLA_MASTER, c->nomaster ? 0 : (uint32_t)c->master) < 0)
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
	struct nl_msg *msg = nsl_nl_link_msg(RTM_DELLINK, 0, ifindex, 0, 0);

	if (!msg || (!ifindex && nla_put_string(msg, IFLA_IFNAME, name) < 0)) {
		nlmsg_free(msg);
		return nsl_err_set(err, ENOMEM, "delete %s: out of memory", name);
	}
	return nsl_nl_send(nl, msg, err, "delete link %s", name);
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
	li->lacp_state = -1;
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
		/* a bond port: where LACP is with it */
		struct nlattr *sd[IFLA_BOND_SLAVE_MAX + 1];
		if (li_tb[IFLA_INFO_SLAVE_KIND] && li_tb[IFLA_INFO_SLAVE_DATA] &&
		    !strcmp(nla_get_string(li_tb[IFLA_INFO_SLAVE_KIND]), "bond") &&
		    nla_parse_nested(sd, IFLA_BOND_SLAVE_MAX, li_tb[IFLA_INFO_SLAVE_DATA], NULL) ==
		        0 &&
		    sd[IFLA_BOND_SLAVE_AD_ACTOR_OPER_PORT_STATE])
			li->lacp_state = nla_get_u8(sd[IFLA_BOND_SLAVE_AD_ACTOR_OPER_PORT_STATE]);
	}
	return 0;
}

int nsl_nl_link_get(struct nsl_nl *nl, int ifindex, const char *name, struct nsl_link_info *ret,
                    struct nsl_err *err)
{
	struct nl_msg *msg = nsl_nl_link_msg(RTM_GETLINK, 0, ifindex, 0, 0);
	struct nsl_link_info li = {.ifindex = 0};
	char what[64];
	int rc;

	if (!msg || (!ifindex && nla_put_string(msg, IFLA_IFNAME, name) < 0)) {
		nlmsg_free(msg);
		return nsl_err_set(err, ENOMEM, "out of memory");
	}
	nsl_fmt(what, sizeof(what), "look up interface %s", name ? name : "");
	rc = nsl_nl_request_sync(nl, msg, false, ENODEV, parse_link, &li, what, err);
	if (rc < 0)
		return rc;
	if (!li.ifindex)
		return 0;
	*ret = li;
	return 1;
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
	struct nl_msg *msg = nsl_nl_link_msg(RTM_GETLINK, 0, 0, 0, 0);
	struct link_list l = {0};
	int rc;

	if (!msg)
		return nsl_err_set(err, ENOMEM, "out of memory");
	rc = nsl_nl_request_sync(nl, msg, true, 0, collect_link, &l, "list links", err);
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
	rc = nsl_nl_request_sync(nl, msg, false, 0, parse_nsid, &nsid, "namespace id", err);
	if (rc < 0)
		return rc;
	if (nsid < 0)
		return 0;
	*ret = nsid;
	return 1;
}
