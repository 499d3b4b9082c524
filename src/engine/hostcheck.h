/* Checks against the host before `up` changes anything, and the facts `up` needs from it:
 * namespace and file limits, devices to move (they exist, are not lo, do not carry the host's
 * default route, belong to no lab; their properties, to restore them later), names of ours
 * that someone already has, host ends whose addresses would overlap the host's subnets. */
#ifndef NSL_HOSTCHECK_H
#define NSL_HOSTCHECK_H

#include "kernel/netlink.h"
#include "model/topology.h"
#include "state/statedir.h"

/* A host device as it was before it moved. */
struct nsl_device_fact {
	int node, iface;
	struct nsl_link_info info;
	struct nsl_addr_info *addrs; /* its addresses, link-local ones excluded */
	size_t n_addrs;
};

/* A host device a macvlan or ipvlan of a node sits on (it stays in the host). */
struct nsl_lower_fact {
	int node, iface;
	int ifindex; /* in the host */
};

struct nsl_host_facts {
	struct nsl_device_fact *devs;
	size_t n_devs;
	struct nsl_lower_fact *lowers;
	size_t n_lowers, cap_lowers;
	int host_max_ifindex; /* the highest interface index in the host before up */
};

/* Errors name the JSON path where one applies; the caller says which file. */
int nsl_host_check(const struct nsl_topology *t, const char *lab, const struct nsl_statedir *sd,
                   struct nsl_nl *host, struct nsl_host_facts *ret,
                   struct nsl_err *err) NSL_MUST_USE;
void nsl_host_facts_free(struct nsl_host_facts *f);
/* The fact of the device moved in as node's iface, NULL if none. */
const struct nsl_device_fact *nsl_host_device(const struct nsl_host_facts *f, int node, int iface);
/* The host index of the device node's iface (a macvlan, an ipvlan) sits on, 0 if none. */
int nsl_host_lower(const struct nsl_host_facts *f, int node, int iface);

/* hostcheck_node.c: each node's rootfs tree (a directory with /bin/sh), the namespaces it
 * asks for (the kernel has them), cgroup v2 with the controllers its limits need. */
int nsl_host_check_nodes(const struct nsl_topology *t, struct nsl_err *err) NSL_MUST_USE;

struct nsl_plan;
/* What the plan adds to the host besides the topology's host ends (the management network's
 * bridge and ports): names free, addresses clear of the host's subnets; the host VXLANs' devs
 * exist (or are host ends of the lab). */
int nsl_host_check_plan(const struct nsl_plan *p, struct nsl_nl *host,
                        struct nsl_err *err) NSL_MUST_USE;

#endif
