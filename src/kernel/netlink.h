/* The route-netlink door: one socket per network namespace, requests sent in batches and
 * their ACKs read together, errors carrying the kernel's errno and extended-ACK text plus
 * what we were doing ("route 10.9.0.0/16 via 10.0.1.1: Network is unreachable"). */
#ifndef NSL_NETLINK_H
#define NSL_NETLINK_H

#include <stdint.h>

#include "base/util.h"
#include "model/topology.h"

struct nl_msg;

struct nsl_nl_req {
	uint32_t seq;
	int tolerate; /* an errno that counts as success */
	char what[160];
};

struct nsl_nl {
	int fd;
	uint32_t seq;
	int tolerate; /* set before a send: that request's errno that counts as success (apply:
	               * EEXIST of what is there already, ENODEV of what is gone already) */
	struct nsl_nl_req *reqs; /* sent, not yet acknowledged */
	size_t n_reqs, cap_reqs;
};

/* Open a route-netlink socket in the namespace of netns_fd (-1: the current one). */
int nsl_nl_open(struct nsl_nl *nl, int netns_fd, struct nsl_err *err) NSL_MUST_USE;
void nsl_nl_close(struct nsl_nl *nl);

/* Queue one request (sent now, ACK read by nsl_nl_flush). Takes ownership of msg. */
int nsl_nl_send(struct nsl_nl *nl, struct nl_msg *msg, struct nsl_err *err, const char *fmt, ...)
    NSL_PRINTF(4, 5) NSL_MUST_USE;
/* Read every outstanding ACK; the first failure is returned, described. */
int nsl_nl_flush(struct nsl_nl *nl, struct nsl_err *err) NSL_MUST_USE;

/* Requests. Indexes are the interface's ifindex in that socket's namespace. */
struct nsl_veth_end {
	const char *name;
	int netns_fd;       /* -1: the socket's namespace */
	int ifindex;        /* 0: kernel's choice */
	uint32_t mtu;       /* 0: default */
	const uint8_t *mac; /* NULL: random */
	const char *alias;  /* NULL: none */
	bool up;            /* only honoured on the first end: the kernel refuses it on the peer */
};
int nsl_nl_veth_add(struct nsl_nl *nl, const struct nsl_veth_end *a, const struct nsl_veth_end *b,
                    struct nsl_err *err) NSL_MUST_USE;
int nsl_nl_bridge_add(struct nsl_nl *nl, const char *name, int ifindex, bool stp, uint32_t mtu,
                      const uint8_t *mac, struct nsl_err *err) NSL_MUST_USE;
/* Set flags/master/mtu/mac/name/namespace of an existing link (0/NULL leaves a field alone). */
struct nsl_link_change {
	int ifindex;
	const char *match_name; /* when ifindex is 0: the link to change, by name */
	int up;                 /* -1 leave, 0 down, 1 up */
	int master;             /* 0 leave */
	bool nomaster;          /* out of its master (IFLA_MASTER 0) */
	uint32_t mtu;
	const uint8_t *mac;
	const char *new_name;
	int netns_fd;      /* -1 leave */
	const char *alias; /* NULL leave, "" clear */
};
int nsl_nl_link_change(struct nsl_nl *nl, const struct nsl_link_change *c, const char *what,
                       struct nsl_err *err) NSL_MUST_USE;
int nsl_nl_link_del(struct nsl_nl *nl, int ifindex, const char *name,
                    struct nsl_err *err) NSL_MUST_USE;
/* The inverses of the adds below, for apply: the same request as RTM_DEL* (an address
 * absent: EADDRNOTAVAIL; a route: ESRCH; a rule: ENOENT). */
int nsl_nl_addr_del(struct nsl_nl *nl, int ifindex, const char *ifname, const struct nsl_prefix *p,
                    struct nsl_err *err) NSL_MUST_USE;
int nsl_nl_route_del(struct nsl_nl *nl, const struct nsl_route *r, int ifindex,
                     const int *nh_ifindex, struct nsl_err *err) NSL_MUST_USE;
int nsl_nl_rule_del(struct nsl_nl *nl, const struct nsl_rule *r, int family,
                    struct nsl_err *err) NSL_MUST_USE;
int nsl_nl_addr_add(struct nsl_nl *nl, int ifindex, const char *ifname, const struct nsl_prefix *p,
                    struct nsl_err *err) NSL_MUST_USE;
/* A route of any type, in its table: single (via/dev, dev's index ifindex) or multipath
 * (next hop h's device index nh_ifindex[h], 0 none). */
int nsl_nl_route_add(struct nsl_nl *nl, const struct nsl_route *r, int ifindex,
                     const int *nh_ifindex, struct nsl_err *err) NSL_MUST_USE;
/* A policy rule, of one family (AF_INET or AF_INET6). */
int nsl_nl_rule_add(struct nsl_nl *nl, const struct nsl_rule *r, int family,
                    struct nsl_err *err) NSL_MUST_USE;
/* An interface of a kind (f->kind: dummy, vlan, vxlan, macvlan, ipvlan, vrf, bond), made
 * with f's name, MTU and kind parameters. */
struct nsl_link_spec {
	const struct nsl_iface *f;
	int ifindex;        /* 0: the kernel's choice */
	int netns_fd;       /* -1: born in the socket's namespace */
	int link;           /* IFLA_LINK: the lower device's index in the socket's namespace */
	int vxlan_dev;      /* a vxlan's dev, its index in the socket's namespace; 0 none */
	const uint8_t *mac; /* NULL: the kernel's */
};
int nsl_nl_link_add(struct nsl_nl *nl, const struct nsl_link_spec *s,
                    struct nsl_err *err) NSL_MUST_USE;
/* What leaves an interface (netlink_qdisc.c): its root qdisc. replace false: created where
 * the interface has none (up); true: one atomic replace of whatever is there (a change in
 * place for the same kind). nsl_nl_tbf_add is nsl_nl_tbf_set at up. */
int nsl_nl_tbf_add(struct nsl_nl *nl, int ifindex, const char *ifname, uint64_t bytes_per_sec,
                   struct nsl_err *err) NSL_MUST_USE;
int nsl_nl_tbf_set(struct nsl_nl *nl, int ifindex, const char *ifname, uint64_t bytes_per_sec,
                   bool replace, struct nsl_err *err) NSL_MUST_USE;
int nsl_nl_netem_set(struct nsl_nl *nl, int ifindex, const char *ifname,
                     const struct nsl_impair *im, uint32_t limit, bool replace,
                     struct nsl_err *err) NSL_MUST_USE;
/* Back to the kernel's default qdisc (synchronous; none to remove is no error). */
int nsl_nl_qdisc_clear(struct nsl_nl *nl, int ifindex, const char *ifname,
                       struct nsl_err *err) NSL_MUST_USE;
/* The root qdiscs of the socket's namespace, netem's and tbf's read back as impairments. */
struct nsl_qdisc_info {
	int ifindex;
	char kind[16];
	struct nsl_impair impair;
};
int nsl_nl_qdisc_list(struct nsl_nl *nl, struct nsl_qdisc_info **ret, size_t *ret_n,
                      struct nsl_err *err) NSL_MUST_USE;
/* Whether the kernel has the qdisc "netem" or "tbf": 1 yes, 0 no (tried in a throwaway
 * namespace, which loads its module where the kernel can), negative on other errors. */
int nsl_nl_qdisc_probe(const char *kind, struct nsl_err *err) NSL_MUST_USE;

/* Synchronous look-ups (flushes first). */
struct nsl_link_info {
	int ifindex;
	char name[NSL_IFNAME_MAX + 1];
	unsigned flags;
	unsigned char operstate; /* IF_OPER_* */
	uint32_t mtu;
	uint8_t mac[6];
	int has_mac;
	char alias[256]; /* IFALIASZ */
	char kind[16];
	bool has_link_netnsid; /* a veth's peer lives in the namespace of this nsid */
	int link_netnsid;
	int link_ifindex; /* its index there */
	int lacp_state;   /* a bond port's LACP actor state (AD_STATE_* bits), -1 none */
};
/* By name (ifindex 0) or by index. -ENODEV when absent. */
int nsl_nl_link_get(struct nsl_nl *nl, int ifindex, const char *name, struct nsl_link_info *ret,
                    struct nsl_err *err) NSL_MUST_USE;
/* Every address of one interface (ifindex > 0) or all (0); caller frees *ret. */
struct nsl_addr_info {
	int ifindex;
	struct nsl_prefix prefix;
	unsigned flags; /* IFA_F_* */
	unsigned char scope;
};
int nsl_nl_addr_list(struct nsl_nl *nl, int ifindex, struct nsl_addr_info **ret, size_t *ret_n,
                     struct nsl_err *err) NSL_MUST_USE;
/* Every IPv6 multicast group joined, per interface; caller frees *ret. */
struct nsl_mcast6_info {
	int ifindex;
	uint8_t group[16];
};
int nsl_nl_mcast6_list(struct nsl_nl *nl, struct nsl_mcast6_info **ret, size_t *ret_n,
                       struct nsl_err *err) NSL_MUST_USE;
/* Whether any IPv4 default route leaves through ifindex (refuse to move that device). */
int nsl_nl_default_route_dev(struct nsl_nl *nl, int ifindex, struct nsl_err *err) NSL_MUST_USE;
/* Every route of the main table, both families, as prefixes (for overlap checks). */
int nsl_nl_route_prefixes(struct nsl_nl *nl, struct nsl_prefix **ret, size_t *ret_n,
                          struct nsl_err *err) NSL_MUST_USE;

/* The id the socket's namespace gives the namespace of netns_fd (what IFLA_LINK_NETNSID
 * says): 1 with *ret, 0 if it has none. */
int nsl_nl_netns_id(struct nsl_nl *nl, int netns_fd, int *ret, struct nsl_err *err) NSL_MUST_USE;

/* Routes of one family, as the kernel holds them (netlink_dump.c): each with its next hops,
 * from the route itself, its multipath list or its nexthop object. table 0: every table. */
#define NSL_ROUTE_HOPS 16
struct nsl_route_hop {
	struct nsl_ip gw; /* family 0: none */
	int oif;          /* 0: none */
};
struct nsl_route_info {
	struct nsl_prefix dst;
	uint32_t table, metric, nh_id;
	unsigned char type, protocol; /* RTN_*, RTPROT_* */
	struct nsl_route_hop hops[NSL_ROUTE_HOPS];
	size_t n_hops;
};
int nsl_nl_route_list(struct nsl_nl *nl, int family, uint32_t table, struct nsl_route_info **ret,
                      size_t *ret_n, struct nsl_err *err) NSL_MUST_USE;

/* Every link of the socket's namespace; caller frees *ret. */
int nsl_nl_link_list(struct nsl_nl *nl, struct nsl_link_info **ret, size_t *ret_n,
                     struct nsl_err *err) NSL_MUST_USE;
#endif
