/* The route-netlink door: interfaces of a kind (dummy, vlan, vxlan, macvlan, ipvlan, vrf,
 * bond), one RTM_NEWLINK each, with the attributes iproute2 sends for them (ip-link(8)). */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "kernel/netlink_impl.h"

static int put_ip(struct nl_msg *msg, int attr4, int attr6, const struct nsl_ip *ip)
{
	if (ip->family == AF_INET)
		return nla_put(msg, attr4, 4, ip->bytes);
	return nla_put(msg, attr6, 16, ip->bytes);
}

static int put_data(struct nl_msg *msg, const struct nsl_link_spec *s)
{
	const struct nsl_iface *f = s->f;
	const struct nsl_vxlan *x = &f->vxlan;
	const struct nsl_bond_cfg *b = &f->bonding;

	switch (f->kind) {
	case NSL_IFACE_VLAN:
		if (nla_put_u16(msg, IFLA_VLAN_ID, f->vlan_id) < 0 ||
		    nla_put_u16(msg, IFLA_VLAN_PROTOCOL,
		                htons(f->vlan_8021ad ? ETH_P_8021AD : ETH_P_8021Q)) < 0)
			return -ENOMEM;
		return 0;
	case NSL_IFACE_VXLAN:
		if (nla_put_u32(msg, IFLA_VXLAN_ID, x->vni) < 0 ||
		    nla_put_u16(msg, IFLA_VXLAN_PORT, htons(x->port)) < 0)
			return -ENOMEM;
		if (x->has_remote &&
		    put_ip(msg, IFLA_VXLAN_GROUP, IFLA_VXLAN_GROUP6, &x->remote) < 0)
			return -ENOMEM;
		if (x->has_local && put_ip(msg, IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6, &x->local) < 0)
			return -ENOMEM;
		if (s->vxlan_dev && nla_put_u32(msg, IFLA_VXLAN_LINK, (uint32_t)s->vxlan_dev) < 0)
			return -ENOMEM;
		return 0;
	case NSL_IFACE_MACVLAN:
		return nla_put_u32(msg, IFLA_MACVLAN_MODE, f->mode) < 0 ? -ENOMEM : 0;
	case NSL_IFACE_IPVLAN:
		return nla_put_u16(msg, IFLA_IPVLAN_MODE, (uint16_t)f->mode) < 0 ? -ENOMEM : 0;
	case NSL_IFACE_VRF:
		return nla_put_u32(msg, IFLA_VRF_TABLE, f->table) < 0 ? -ENOMEM : 0;
	case NSL_IFACE_BOND:
		if (nla_put_u8(msg, IFLA_BOND_MODE, (uint8_t)b->mode) < 0 ||
		    nla_put_u32(msg, IFLA_BOND_MIIMON, b->miimon) < 0)
			return -ENOMEM;
		if (b->lacp_rate >= 0 &&
		    nla_put_u8(msg, IFLA_BOND_AD_LACP_RATE, (uint8_t)b->lacp_rate) < 0)
			return -ENOMEM;
		if (b->xmit_hash >= 0 &&
		    nla_put_u8(msg, IFLA_BOND_XMIT_HASH_POLICY, (uint8_t)b->xmit_hash) < 0)
			return -ENOMEM;
		return 0;
	default:
		return 0;
	}
}

int nsl_nl_link_add(struct nsl_nl *nl, const struct nsl_link_spec *s, struct nsl_err *err)
{
	const char *kind = nsl_iface_kind_name(s->f->kind);
	struct nl_msg *msg;
	struct nlattr *info, *data;

	if (!kind)
		return nsl_err_set(err, EINVAL, "%s: no kind to create", s->f->name);
	msg = nsl_nl_link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, s->ifindex, 0, 0);
	if (!msg || nla_put_string(msg, IFLA_IFNAME, s->f->name) < 0)
		goto oom;
	if (s->f->mtu && nla_put_u32(msg, IFLA_MTU, s->f->mtu) < 0)
		goto oom;
	if (s->mac && nla_put(msg, IFLA_ADDRESS, 6, s->mac) < 0)
		goto oom;
	if (s->link && nla_put_u32(msg, IFLA_LINK, (uint32_t)s->link) < 0)
		goto oom;
	if (s->netns_fd >= 0 && nla_put_u32(msg, IFLA_NET_NS_FD, (uint32_t)s->netns_fd) < 0)
		goto oom;
	if (!(info = nla_nest_start(msg, IFLA_LINKINFO)) ||
	    nla_put_string(msg, IFLA_INFO_KIND, kind) < 0)
		goto oom;
	if (!(data = nla_nest_start(msg, IFLA_INFO_DATA)) || put_data(msg, s) < 0)
		goto oom;
	nla_nest_end(msg, data);
	nla_nest_end(msg, info);
	return nsl_nl_send(nl, msg, err, "%s %s", kind, s->f->name);
oom:
	nlmsg_free(msg);
	return nsl_err_set(err, ENOMEM, "%s %s: out of memory", kind, s->f->name);
}
