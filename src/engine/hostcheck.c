/* Host checks before anything changes (see hostcheck.h). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include "engine/hostcheck.h"
#include "kernel/ns.h"
#include "kernel/proc.h"
#include "kernel/sysctl.h"
#include "state/statedir.h"

#include "engine/marks.h"
#include "model/plan.h"

/* What nslab needs of the kernel, the oldest that has it all: clone3 with CLONE_PIDFD and
 * pidfd_open (5.3), setns on a pidfd (5.8), close_range (5.9), nft table comments (5.10). */
#define KERNEL_MIN_MAJOR 5
#define KERNEL_MIN_MINOR 10

static int check_kernel(struct nsl_err *err)
{
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return 0; /* unknown: let the calls themselves tell */
	if (major > KERNEL_MIN_MAJOR || (major == KERNEL_MIN_MAJOR && minor >= KERNEL_MIN_MINOR))
		return 0;
	return nsl_err_set(err, ENOSYS,
	                   "kernel %s is too old: nslab needs Linux %d.%d or later (clone3 with "
	                   "pidfds, setns on a pidfd, close_range, nftables table comments)",
	                   u.release, KERNEL_MIN_MAJOR, KERNEL_MIN_MINOR);
}

/* Each node takes one namespace of each kind, a rootless lab one user namespace and, for its
 * keeper, one more mount and network namespace, a node with "user" one user namespace: fail
 * before building half a lab. */
static int check_ns_limits(const struct nsl_topology *t, bool rootless, struct nsl_err *err)
{
	static const char *const kinds[] = {"net", "mnt", "pid", "uts", "user"};
	uint64_t users = rootless;

	for (size_t i = 0; i < t->n_nodes; i++)
		users += (t->nodes[i].namespaces & NSL_NS_USER) != 0;

	for (size_t i = 0; i < NSL_ARRAY_SIZE(kinds); i++) {
		char key[64];
		_cleanup_free_ char *v = NULL;
		uint64_t max, need = !strcmp(kinds[i], "user") ? users : t->n_nodes;
		need += rootless && (!strcmp(kinds[i], "net") || !strcmp(kinds[i], "mnt"));
		nsl_fmt(key, sizeof(key), "user.max_%s_namespaces", kinds[i]);
		if (!need || nsl_sysctl_read(key, &v, NULL) < 0 ||
		    !nsl_parse_u64(v, UINT64_MAX, &max))
			continue;
		if (max < need)
			return nsl_err_set(err, ENOSPC,
			                   "%zu nodes%s need %llu %s namespaces, but "
			                   "/proc/sys/user/max_%s_namespaces is %llu",
			                   t->n_nodes, rootless ? " of a rootless lab" : "",
			                   (unsigned long long)need, kinds[i], kinds[i],
			                   (unsigned long long)max);
	}
	return 0;
}

/* Three fds per node while building (netns, pidfd, netlink socket): lift the soft limit. */
static int check_fds(const struct nsl_topology *t, struct nsl_err *err)
{
	struct rlimit rl;

	nsl_nofile_raise();
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 3 * t->n_nodes + 64)
		return nsl_err_set(
		    err, EMFILE,
		    "%zu nodes need about %zu open files; the limit is %llu (ulimit -n)",
		    t->n_nodes, 3 * t->n_nodes + 64, (unsigned long long)rl.rlim_cur);
	return 0;
}

/* Whether f's packets need the qdisc `want`; its JSON path if so. */
static bool end_needs(const struct nsl_topology *t, const char *owner, const struct nsl_iface *f,
                      enum nsl_qdisc want, char *path, size_t size)
{
	struct nsl_impair im;

	nsl_iface_impair(t, f, &im);
	if (nsl_impair_qdisc(&im) != want)
		return false;
	if (f->impair.set)
		nsl_fmt(path, size, "%s.interfaces.%s.impair", owner, f->name);
	else if (want == NSL_QDISC_TBF && t->links[f->link].rate)
		nsl_fmt(path, size, "links[%d].rate", t->links[f->link].index);
	else
		nsl_fmt(path, size, "links[%d].impair", t->links[f->link].index);
	return true;
}

/* The first link end whose packets need the qdisc `want`, as a JSON path; false if none. */
static bool needs_qdisc(const struct nsl_topology *t, enum nsl_qdisc want, char *path, size_t size)
{
	char owner[NSL_NAME_MAX + 8];

	for (size_t i = 0; i < t->n_nodes; i++) {
		nsl_fmt(owner, sizeof(owner), "nodes.%s", t->nodes[i].name);
		for (size_t k = 0; k < t->nodes[i].n_ifaces; k++)
			if (end_needs(t, owner, &t->nodes[i].ifaces[k], want, path, size))
				return true;
	}
	for (size_t k = 0; k < t->host.n_ifaces; k++)
		if (end_needs(t, "host", &t->host.ifaces[k], want, path, size))
			return true;
	return false;
}

/* netem for impairments, tbf for rates: before anything is built. */
static int check_qdiscs(const struct nsl_topology *t, struct nsl_err *err)
{
	static const struct {
		enum nsl_qdisc q;
		const char *kind, *what;
	} need[] = {{NSL_QDISC_NETEM, "netem", "impairments"}, {NSL_QDISC_TBF, "tbf", "rates"}};
	struct utsname u;

	for (size_t i = 0; i < NSL_ARRAY_SIZE(need); i++) {
		char path[2 * NSL_NAME_MAX + 64];
		int rc;
		if (!needs_qdisc(t, need[i].q, path, sizeof(path)))
			continue;
		rc = nsl_nl_qdisc_probe(need[i].kind, err);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return nsl_err_set(err, EOPNOTSUPP,
			                   "%s: %s need the kernel's %s qdisc (module sch_%s), and "
			                   "kernel %s has none",
			                   path, need[i].what, need[i].kind, need[i].kind,
			                   uname(&u) == 0 ? u.release : "(unknown)");
	}
	return 0;
}

/* The host interface a node's interface names as its device: it must exist. */
static int host_device(const struct nsl_node *n, const struct nsl_iface *f, struct nsl_nl *host,
                       struct nsl_link_info *li, struct nsl_err *err)
{
	int rc = nsl_nl_link_get(host, 0, f->device, li, err);

	if (rc == 0)
		return nsl_err_set(err, ENODEV,
		                   "nodes.%s.interfaces.%s.device: no such host interface '%s'",
		                   n->name, f->name, f->device);
	return rc < 0 ? rc : 0;
}

static int check_device(const struct nsl_node *n, const struct nsl_iface *f, struct nsl_nl *host,
                        struct nsl_device_fact *d, struct nsl_err *err)
{
	int rc = host_device(n, f, host, &d->info, err);

	if (rc < 0)
		return rc;
	if (d->info.ifindex == 1 || (d->info.flags & IFF_LOOPBACK))
		return nsl_err_set(
		    err, EINVAL,
		    "nodes.%s.interfaces.%s.device: refusing to move the loopback device", n->name,
		    f->name);
	rc = nsl_nl_default_route_dev(host, d->info.ifindex, err);
	if (rc < 0)
		return rc;
	if (rc > 0)
		return nsl_err_set(err, EBUSY,
		                   "nodes.%s.interfaces.%s.device: '%s' carries the host's default "
		                   "route; refusing to move it",
		                   n->name, f->name, f->device);
	if (!strncmp(d->info.alias, NSL_MARK_PREFIX, strlen(NSL_MARK_PREFIX)))
		return nsl_err_set(
		    err, EBUSY, "nodes.%s.interfaces.%s.device: '%s' belongs to an nslab lab (%s)",
		    n->name, f->name, f->device, d->info.alias);
	rc = nsl_nl_addr_list(host, d->info.ifindex, &d->addrs, &d->n_addrs, err);
	if (rc < 0)
		return rc;
	/* The kernel makes link-local addresses itself: not ours to restore. */
	size_t k = 0;
	for (size_t a = 0; a < d->n_addrs; a++)
		if (!(d->addrs[a].prefix.ip.family == AF_INET6 &&
		      d->addrs[a].scope == RT_SCOPE_LINK))
			d->addrs[k++] = d->addrs[a];
	d->n_addrs = k;
	return 0;
}

/* A macvlan's or ipvlan's host device: there, not lo, no lab's. */
static int check_lower(const struct nsl_topology *t, int node, int iface, struct nsl_nl *host,
                       struct nsl_host_facts *ret, struct nsl_err *err)
{
	const struct nsl_node *n = &t->nodes[node];
	const struct nsl_iface *f = &n->ifaces[iface];
	struct nsl_lower_fact *l;
	struct nsl_link_info li;
	int rc;

	if (!nsl_grow(&ret->lowers, &ret->cap_lowers, ret->n_lowers, sizeof(*ret->lowers)))
		return nsl_err_set(err, ENOMEM, "out of memory");
	rc = host_device(n, f, host, &li, err);
	if (rc < 0)
		return rc;
	if (li.ifindex == 1 || (li.flags & IFF_LOOPBACK))
		return nsl_err_set(err, EINVAL,
		                   "nodes.%s.interfaces.%s.device: a %s cannot sit on the loopback",
		                   n->name, f->name, nsl_iface_kind_name(f->kind));
	if (!strncmp(li.alias, NSL_MARK_PREFIX, strlen(NSL_MARK_PREFIX)))
		return nsl_err_set(
		    err, EBUSY, "nodes.%s.interfaces.%s.device: '%s' belongs to an nslab lab (%s)",
		    n->name, f->name, f->device, li.alias);
	l = &ret->lowers[ret->n_lowers++];
	l->node = node;
	l->iface = iface;
	l->ifindex = li.ifindex;
	return 0;
}

static int check_names_free(const struct nsl_topology *t, const char *lab,
                            const struct nsl_statedir *sd, struct nsl_err *err)
{
	char path[sizeof(NSL_NETNS_DIR) + 2 * NSL_NAME_MAX + 16];

	if (faccessat(sd->root_fd, lab, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return nsl_err_set(err, EEXIST, "lab '%s' is already up (or being built)", lab);
	/* A rootless lab's names live in its own mount namespace (engine/rootless.h). */
	for (size_t i = 0; !sd->rootless && i < t->n_nodes; i++) {
		nsl_fmt(path, sizeof(path), NSL_NETNS_DIR "/%s.%s", lab, t->nodes[i].name);
		if (faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			return nsl_err_set(
			    err, EEXIST,
			    "nodes.%s: network namespace name %s.%s is taken (%s exists)",
			    t->nodes[i].name, lab, t->nodes[i].name, path);
	}
	return 0;
}

static bool everywhere_route(const struct nsl_prefix *r)
{
	/* Link-local and multicast routes exist on every IPv6 interface: not a host subnet. */
	return r->ip.family == AF_INET6 && (r->ip.bytes[0] == 0xfe || r->ip.bytes[0] == 0xff);
}

/* The first of the host's routes (a subnet of its own) that p overlaps, -1 if none. */
static ssize_t host_subnet(const struct nsl_prefix *routes, size_t n_routes,
                           const struct nsl_prefix *p)
{
	for (size_t r = 0; r < n_routes; r++)
		if (routes[r].ip.family == p->ip.family && !everywhere_route(&routes[r]) &&
		    nsl_prefix_overlap(&routes[r], p))
			return (ssize_t)r;
	return -1;
}

/* Host interfaces [from, to) of ifaces, which the lab makes: none may exist yet, and none of
 * their addresses may overlap a subnet of the host's (mgmt: the management network's, else
 * the topology's host.interfaces). */
static int check_new_host_ifaces(struct nsl_nl *host, const struct nsl_iface *ifaces, size_t from,
                                 size_t to, bool mgmt, struct nsl_err *err)
{
	_cleanup_free_ struct nsl_prefix *routes = NULL;
	size_t n_routes = 0;
	int rc;

	if (from >= to)
		return 0;
	rc = nsl_nl_route_prefixes(host, &routes, &n_routes, err);
	if (rc < 0)
		return rc;
	for (size_t k = from; k < to; k++) {
		const struct nsl_iface *f = &ifaces[k];
		struct nsl_link_info li;
		char buf[64], rb[64];
		ssize_t r;
		rc = nsl_nl_link_get(host, 0, f->name, &li, err);
		if (rc < 0)
			return rc;
		if (rc > 0 && mgmt)
			return nsl_err_set(
			    err, EEXIST,
			    "mgmt: the host already has an interface named '%s' (the "
			    "management network's %s); give another \"bridge\" or "
			    "lab name",
			    f->name, f->kind == NSL_IFACE_BRIDGE ? "bridge" : "port");
		if (rc > 0)
			return nsl_err_set(
			    err, EEXIST,
			    "host.interfaces.%s: the host already has an interface named '%s'",
			    f->name, f->name);
		for (size_t a = 0; a < f->n_addrs; a++) {
			if ((r = host_subnet(routes, n_routes, &f->addrs[a])) < 0)
				continue;
			nsl_prefix_str(&f->addrs[a], buf, sizeof(buf));
			nsl_prefix_str(&routes[r], rb, sizeof(rb));
			if (mgmt)
				return nsl_err_set(err, EADDRINUSE,
				                   "mgmt: %s overlaps the host's subnet %s", buf,
				                   rb);
			return nsl_err_set(err, EADDRINUSE,
			                   "host.interfaces.%s.addresses[%zu]: %s overlaps the "
			                   "host's subnet %s",
			                   f->name, a, buf, rb);
		}
	}
	return 0;
}

/* A lab over several hosts: this machine has the underlay of the part it builds (its VXLANs
 * send from it, the other hosts send to it). */
static int check_underlay(const struct nsl_topology *t, struct nsl_nl *host, struct nsl_err *err)
{
	_cleanup_free_ struct nsl_addr_info *addrs = NULL;
	const struct nsl_labhost *h;
	size_t n = 0;
	char b[64];
	int rc;

	if (t->part < 0)
		return 0;
	h = &t->hosts[t->part];
	rc = nsl_nl_addr_list(host, 0, &addrs, &n, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (nsl_ip_equal(&addrs[i].prefix.ip, &h->underlay))
			return 0;
	return nsl_err_set(err, EADDRNOTAVAIL,
	                   "hosts.%s.underlay: %s is not an address of this machine (is this "
	                   "host %s? --host or NSLAB_HOST names the part this machine builds)",
	                   h->name, nsl_ip_str(&h->underlay, b, sizeof(b)), h->name);
}

int nsl_host_check(const struct nsl_topology *t, const char *lab, const struct nsl_statedir *sd,
                   struct nsl_nl *host, struct nsl_host_facts *ret, struct nsl_err *err)
{
	size_t n_dev = 0;
	int rc;

	memset(ret, 0, sizeof(*ret));
	rc = check_kernel(err);
	if (rc == 0)
		rc = check_ns_limits(t, sd->rootless, err);
	if (rc == 0)
		rc = check_fds(t, err);
	if (rc == 0)
		rc = check_qdiscs(t, err);
	if (rc == 0)
		rc = nsl_host_check_nodes(t, err);
	if (rc == 0)
		rc = check_underlay(t, host, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t k = 0; k < t->nodes[i].n_ifaces; k++)
			n_dev += t->nodes[i].ifaces[k].kind == NSL_IFACE_DEVICE;
	ret->devs = calloc(n_dev + 1, sizeof(*ret->devs));
	if (!ret->devs)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct nsl_node *n = &t->nodes[i];
		for (size_t k = 0; k < n->n_ifaces; k++) {
			if (n->ifaces[k].kind != NSL_IFACE_DEVICE)
				continue;
			struct nsl_device_fact *d = &ret->devs[ret->n_devs++];
			d->node = (int)i;
			d->iface = (int)k;
			rc = check_device(n, &n->ifaces[k], host, d, err);
			if (rc < 0)
				return rc;
		}
	}
	for (size_t i = 0; i < t->n_nodes && rc == 0; i++)
		for (size_t k = 0; k < t->nodes[i].n_ifaces && rc == 0; k++)
			if (t->nodes[i].ifaces[k].kind != NSL_IFACE_DEVICE &&
			    t->nodes[i].ifaces[k].device[0])
				rc = check_lower(t, (int)i, (int)k, host, ret, err);
	if (rc < 0)
		return rc;
	/* The host's interface indexes: those the lab picks lie above them (before Linux 6.3,
	 * the kernel looks up the index a creation request names in the namespace of the socket
	 * that sends it, the host's, not in the one the device is made in). */
	{
		_cleanup_free_ struct nsl_link_info *links = NULL;
		size_t n_links = 0;
		rc = nsl_nl_link_list(host, &links, &n_links, err);
		if (rc < 0)
			return rc;
		for (size_t l = 0; l < n_links; l++)
			if (links[l].ifindex > ret->host_max_ifindex)
				ret->host_max_ifindex = links[l].ifindex;
	}
	/* Names of ours that someone already has: refuse now, before a rollback could take them
	 * for ours. */
	rc = check_names_free(t, lab, sd, err);
	/* A rootless lab's host ends are in the lab's own host (host.uplink), not in this one. */
	if (rc == 0 && !sd->rootless)
		rc = check_new_host_ifaces(host, t->host.ifaces, 0, t->host.n_ifaces, false, err);
	return rc;
}

void nsl_host_facts_free(struct nsl_host_facts *f)
{
	for (size_t d = 0; f->devs && d < f->n_devs; d++)
		free(f->devs[d].addrs);
	free(f->devs);
	free(f->lowers);
	memset(f, 0, sizeof(*f));
}

int nsl_host_lower(const struct nsl_host_facts *f, int node, int iface)
{
	for (size_t l = 0; l < f->n_lowers; l++)
		if (f->lowers[l].node == node && f->lowers[l].iface == iface)
			return f->lowers[l].ifindex;
	return 0;
}

/* A VXLAN's dev in the host: a host end of the lab, or an interface the host has. */
static int check_vxlan_dev(const struct nsl_topology *t, struct nsl_nl *host, const char *node,
                           const struct nsl_iface *f, struct nsl_err *err)
{
	struct nsl_link_info li;
	int rc;

	if (!f->parent[0])
		return 0;
	for (size_t j = 0; j < t->host.n_ifaces; j++)
		if (t->host.ifaces[j].kind == NSL_IFACE_VETH &&
		    !strcmp(t->host.ifaces[j].name, f->parent))
			return 0;
	rc = nsl_nl_link_get(host, 0, f->parent, &li, err);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (!node)
		return nsl_err_set(err, ENODEV,
		                   "host.interfaces.%s.dev: no such host interface '%s'", f->name,
		                   f->parent);
	return nsl_err_set(
	    err, ENODEV,
	    "nodes.%s.interfaces.%s.dev: no such host interface '%s' (its underlay is "
	    "the host's)",
	    node, f->name, f->parent);
}

int nsl_host_check_plan(const struct nsl_plan *p, struct nsl_nl *host, struct nsl_err *err)
{
	const struct nsl_topology *t = p->t;
	int rc = check_new_host_ifaces(host, p->host_ifaces, t->host.n_ifaces, p->n_host_ifaces,
	                               true, err);

	if (rc < 0)
		return rc;
	/* a host VXLAN's dev, or a node VXLAN's whose underlay is the host */
	for (size_t k = 0; k < t->host.n_ifaces; k++)
		if (t->host.ifaces[k].kind == NSL_IFACE_VXLAN &&
		    (rc = check_vxlan_dev(t, host, NULL, &t->host.ifaces[k], err)) < 0)
			return rc;
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t k = 0; k < t->nodes[i].n_ifaces; k++)
			if (t->nodes[i].ifaces[k].vxlan.host_underlay &&
			    (rc = check_vxlan_dev(t, host, t->nodes[i].name, &t->nodes[i].ifaces[k],
			                          err)) < 0)
				return rc;
	return 0;
}

const struct nsl_device_fact *nsl_host_device(const struct nsl_host_facts *f, int node, int iface)
{
	for (size_t d = 0; d < f->n_devs; d++)
		if (f->devs[d].node == node && f->devs[d].iface == iface)
			return &f->devs[d];
	return NULL;
}
