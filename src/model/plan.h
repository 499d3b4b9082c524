/* The plan: what `up` will do, decided before anything is done. A pure function turns a
 * validated model into an ordered list of operations; the executor (engine/apply.c) carries
 * them out, batching what it can, and journals each operation's undo record before the
 * operation. Every decision lives here (which end of a veth is created first, each end's MTU,
 * MAC and state, what goes up when, which sysctls wait for their interface, which interfaces
 * `up` waits for); the executor only adds what the kernel tells it at run time (interface
 * indexes, the properties of a device before it moves). `nslab up --dry-run` prints a plan. */
#ifndef NSL_PLAN_H
#define NSL_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model/topology.h"

#define NSL_PLAN_HOST (-1)     /* an operation in the host's namespace */
#define NSL_LINK_NOMASTER (-2) /* LINK: released from its master (apply) */

enum nsl_op_kind {
	NSL_OP_NODE,     /* start the node's holder: namespaces, hostname, early sysctls, mounts */
	NSL_OP_BIND,     /* name its network namespace LAB.NODE under /run/netns */
	NSL_OP_DEVICE,   /* move a host device into the node, renamed */
	NSL_OP_VETH,     /* one link: a veth pair, both ends born in their namespaces */
	NSL_OP_HOST_END, /* a host end of a link: DAD off, up, marked as the lab's */
	NSL_OP_HOST_DEV, /* a device made in the host (mgmt bridge, vxlan): DAD off, marked, up */
	NSL_OP_CREATE,   /* an interface of a kind (dummy, vlan, vxlan, macvlan, vrf, bond...) */
	NSL_OP_BRIDGE,   /* a bridge of a node */
	NSL_OP_LINK,     /* an interface: master, MTU and MAC (moved devices), admin state */
	NSL_OP_ADDR,     /* an address */
	NSL_OP_ROUTE,    /* a route */
	NSL_OP_RULE,     /* a policy routing rule, of one family */
	NSL_OP_RATE,     /* a token bucket on an interface: a rate and no other impairment */
	NSL_OP_IMPAIR,   /* netem on an interface: its impairment, with its rate */
	NSL_OP_SYSCTL,   /* a per-interface sysctl of a node, once the interface exists (iface -1:
	                  * a sysctl of the node, written in place by apply) */
	NSL_OP_NAT,      /* the nft table of a node or of the host */
	NSL_OP_HOST_SYSCTL, /* a sysctl of the host */
	NSL_OP_EXEC,        /* a command of a node's exec list */
	NSL_OP_READY,       /* a node's ready command, re-run until it exits 0 (a run of these
	                     * is one batch: every node checked at once) */
	NSL_OP_WAIT,        /* links running and addresses usable, in one namespace */
	NSL_OP_COMMIT,      /* state written; holders outlive nslab from now on */
};

/* The journal record written before an operation (engine/apply.c formats it). Operations
 * inside a node need none: they go with the node. */
enum nsl_undo {
	NSL_UNDO_NONE,
	NSL_UNDO_NODE,       /* the holder and its namespace's identity */
	NSL_UNDO_DEVICE,     /* the device's name, MTU, MAC, alias, state and addresses */
	NSL_UNDO_HOSTLINK,   /* a host end, deleted at teardown if it carries our mark */
	NSL_UNDO_HOSTSYSCTL, /* the old value */
	NSL_UNDO_HOSTNFT,    /* the host table, deleted at teardown if it carries our mark */
	NSL_UNDO_HOSTDEV,    /* a host device: its name, kind and MAC (ours if they match) */
};

/* One end of a veth, as it is born. */
struct nsl_op_end {
	int node; /* or NSL_PLAN_HOST */
	int iface;
	uint32_t mtu;       /* 0: the kernel's */
	const uint8_t *mac; /* NULL: random */
	bool up;            /* only the first end: the kernel refuses it on the peer */
};

struct nsl_op {
	enum nsl_op_kind kind;
	enum nsl_undo undo;
	int node;  /* index in t->nodes, or NSL_PLAN_HOST */
	int iface; /* in that node's (or the host's) interfaces, -1 if none */
	int item;  /* address, route, sysctl, exec or link index; -1 if none */
	union {
		struct nsl_op_end veth[2]; /* VETH: [0] is created first */
		struct {
			int up;     /* -1 leave, 0 down, 1 up */
			int master; /* iface index of its bridge, bond or VRF, -1 none,
			             * NSL_LINK_NOMASTER: out of any (apply) */
			uint32_t mtu;
			const uint8_t *mac;
		} link;
		struct {
			int master; /* HOST_END: the host bridge it joins (a host iface), -1 none */
		} host_end;
		struct {
			int lower;      /* CREATE: the node's iface it sits on, -1 none */
			bool from_host; /* a macvlan/ipvlan on a host device: made from the host,
			                 * born in the node */
		} create;
		struct {
			int *nh_ifaces; /* ROUTE: each next hop's device (iface index, -1 none) */
		} route;
		struct {
			int family; /* RULE: AF_INET or AF_INET6 */
		} rule;
		struct {
			const struct nsl_sysctl **early; /* NODE: written by the holder */
			size_t n_early;
		} holder;
		struct {
			size_t scope_len; /* SYSCTL: "net.ipv4.conf." then the interface's name */
		} sysctl;
		struct {
			int *ifaces; /* WAIT: interfaces that must run */
			size_t n;
			bool ipv6;     /* and have their link-local address, none tentative */
			int *lacp;     /* ports of 802.3ad bonds facing LACP: collecting and */
			size_t n_lacp; /* distributing */
		} wait;
		uint64_t rate; /* RATE: bytes per second */
		struct {
			struct nsl_impair im; /* what leaves the interface gets */
			uint32_t limit;       /* netem's queue, packets */
		} impair;
	};
};

struct nsl_plan {
	const struct nsl_topology *t;
	const char *lab;
	struct nsl_op *ops;
	size_t n;
	struct nsl_arena *arena; /* every array of the plan */
	/* The host's interfaces as the lab makes them: the topology's (same indexes), then the
	 * management network's bridge and its ports, named after the lab. */
	struct nsl_iface *host_ifaces;
	size_t n_host_ifaces;
	int mgmt_bridge; /* its index in host_ifaces, -1 none */
};

/* The plan of `up` for a validated model under the lab name `lab`. 0 or -ENOMEM. */
int nsl_plan_build(const struct nsl_topology *t, const char *lab,
                   struct nsl_plan *ret) NSL_MUST_USE;
void nsl_plan_free(struct nsl_plan *p);
/* Human-readable, stable text: one line per operation (golden-file tested). */
void nsl_plan_print(const struct nsl_plan *p, FILE *out);
/* One operation's line without its number or journal note, no newline. With key: compact,
 * and a link named by its ends, not by its index (what apply compares two plans by). */
void nsl_plan_print_op(const struct nsl_plan *p, const struct nsl_op *op, bool key, FILE *out);

/* Whether a node keeps IPv6 on (its sysctls do not turn it off): links wait for their
 * link-local addresses. */
bool nsl_node_ipv6(const struct nsl_node *n);
/* The name of the management network's bridge in the host, and of its port for node i:
 * mgmt.bridge, else derived from the lab's name ("mgmt-LAB", or a hash when long). */
void nsl_plan_mgmt_names(const struct nsl_topology *t, const char *lab, int node, char *buf,
                         size_t size);

/* Whether a route of node n needs an interface that runs only once the VXLANs are up (its
 * dev, a next hop's dev, or the interface of its gateway's subnet is a VXLAN of the node, or
 * sits on one): such routes come after plan_vxlans_up (model/plan_late.c). */
bool nsl_route_after_vxlans(const struct nsl_node *n, const struct nsl_route *rt);
/* Whether interface k of node n runs only once the VXLANs are up: a VXLAN of the node (not
 * one of a link between hosts), or a vlan, macvlan, ipvlan, bridge or bond over one. */
bool nsl_iface_after_vxlans(const struct nsl_node *n, int k);
/* The interface of a node (or the host) an operation names. */
const struct nsl_iface *nsl_plan_iface(const struct nsl_plan *p, int node, int iface);
/* Whether a sysctl key of a node names one of its interfaces (written after they exist):
 * the length of its scope ("net.ipv4.conf."), 0 if it is not per-interface. */
size_t nsl_sysctl_iface_scope(const struct nsl_node *n, const char *key, int *ret_iface);

#endif
