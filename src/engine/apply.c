/* The executor (see apply.h). Each operation: a step, its journal record if it has one, then
 * the change through a door of src/kernel. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/apply.h"
#include "engine/apply_impl.h"
#include "engine/cgroup_lab.h"
#include "engine/exec_up.h"
#include "engine/fault.h"
#include "engine/marks.h"
#include "engine/probe.h"
#include "engine/ready.h"
#include "engine/rootless.h"
#include "kernel/nft.h"
#include "kernel/ns.h"
#include "kernel/sysctl.h"
#include "state/labstate.h"

#define READY_TIMEOUT_MS 10000
#define READY_LACP_TIMEOUT_MS 30000 /* LACP agrees in seconds (more under emulation) */

const char *const nsl_phase_names[NSL_PHASES] = {
    "holders", "netns binds", "devices", "links", "nodes", "host", "exec", "ready", "commit",
};

const char *const nsl_phase_progress[NSL_PHASES] = {
    "nodes", "names", "devices", "links", "interfaces", "host", "exec", "ready", "commit",
};

static enum nsl_phase phase_of(const struct nsl_op *op)
{
	switch (op->kind) {
	case NSL_OP_NODE:
		return NSL_PHASE_HOLDERS;
	case NSL_OP_BIND:
		return NSL_PHASE_BINDS;
	case NSL_OP_DEVICE:
		return NSL_PHASE_DEVICES;
	case NSL_OP_VETH:
	case NSL_OP_HOST_END:
		return NSL_PHASE_LINKS;
	case NSL_OP_EXEC:
		return NSL_PHASE_EXEC;
	case NSL_OP_WAIT:
	case NSL_OP_READY:
		return NSL_PHASE_READY;
	case NSL_OP_COMMIT:
		return NSL_PHASE_COMMIT;
	default:
		return op->node == NSL_PLAN_HOST ? NSL_PHASE_HOST : NSL_PHASE_NODES;
	}
}

static const struct nsl_topology *topo(const struct nsl_apply *a) { return a->plan->t; }

static const char *lab(const struct nsl_apply *a) { return a->plan->lab; }

static const char *node_name(const struct nsl_apply *a, int node)
{
	return node == NSL_PLAN_HOST ? NSL_HOST_NODE : topo(a)->nodes[node].name;
}

/* "node r1" or "host", in front of an error. */
static int blame(const struct nsl_apply *a, int node, int rc, struct nsl_err *err)
{
	/* once: an error that names its node already (a batch settled when the next node's
	 * socket was asked for is told by the node that sent it, not by the one asking) */
	if (rc < 0 && (!strncmp(err->msg, "node ", 5) || !strncmp(err->msg, "host: ", 6)))
		return rc;
	if (rc < 0) {
		if (node == NSL_PLAN_HOST)
			nsl_err_prefix(err, "host");
		else
			nsl_err_prefix(err, "node %s", node_name(a, node));
	}
	return rc;
}

static int journal(struct nsl_apply *a, const struct nsl_rec *r, size_t n, struct nsl_err *err)
{
	int rc = nsl_step("journal", err);

	return rc < 0 ? rc : nsl_journal_append(a->sd, r, n, err);
}

/* ---- netlink batching ---- */

/* Read the ACKs of what was sent on the pending socket. */
static int settle(struct nsl_apply *a, struct nsl_err *err)
{
	struct nsl_nl *nl = a->pending;

	a->pending = NULL;
	return nl ? blame(a, a->pending_node, nsl_nl_flush(nl, err), err) : 0;
}

/* Whether a node's namespace and holder are open: -1 is the host's to every door (a netns fd
 * of -1 means "here"), so an operation of a node without them must fail, never run here. */
static int node_open(const struct nsl_apply *a, int node, struct nsl_err *err)
{
	if (node == NSL_PLAN_HOST || (a->nodes[node].netns_fd >= 0 && a->nodes[node].pidfd >= 0))
		return 0;
	return nsl_err_set(err, EBADF, "node %s: its namespace is not open (nothing done)",
	                   node_name(a, node));
}

/* The socket for a namespace; the previous namespace's requests settle first, so an error
 * is told by the namespace that caused it. */
static int socket_for(struct nsl_apply *a, int node, struct nsl_nl **ret, struct nsl_err *err)
{
	struct nsl_nl *nl = node == NSL_PLAN_HOST ? a->host : &a->nodes[node].nl;
	int rc;

	if (a->pending && a->pending != nl) {
		rc = settle(a, err);
		if (rc < 0)
			return rc;
	}
	if (nl->fd < 0) {
		rc = node_open(a, node, err);
		if (rc == 0)
			rc = nsl_nl_open(nl, node == NSL_PLAN_HOST ? -1 : a->nodes[node].netns_fd,
			                 err);
		if (rc < 0)
			return blame(a, node, rc, err);
	}
	a->pending = nl;
	a->pending_node = node;
	*ret = nl;
	return 0;
}

/* Interface indexes are chosen by nslab, unique across the lab, above every index a new
 * namespace was born with (a new namespace is not always empty: tunnel modules put fallback
 * devices in each), and never a moved device's own. Numbered across the lab, not per node: a
 * veth whose index equals its peer's is taken by the kernel's link watcher for a non-urgent
 * event, and its operstate then comes up to a second late. lo is 1 everywhere.
 * Above the host's indexes too, and the devices the lab makes in the host (host ends, the
 * management network, host VXLANs) get theirs from the same count: before Linux 6.3 the
 * kernel looks up the index a creation request names in the namespace of the socket that
 * sends it, and says EEXIST when an interface there has it; macvlans, ipvlans and VXLANs born
 * in nodes from the host are sent from the host (veths from their first end's namespace). */
static void assign_ifindexes(struct nsl_apply *a)
{
	const struct nsl_topology *t = topo(a);
	int counter = 1;

	for (size_t i = 0; i < t->n_nodes; i++)
		if (a->nodes[i].max_ifindex > counter)
			counter = a->nodes[i].max_ifindex;
	if (a->facts->host_max_ifindex > counter)
		counter = a->facts->host_max_ifindex;
	if (a->max_ifindex > counter)
		counter = a->max_ifindex;
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t k = 0; k < t->nodes[i].n_ifaces; k++) {
			const struct nsl_iface *f = &t->nodes[i].ifaces[k];
			const struct nsl_device_fact *d;
			if (a->change && a->nodes[i].ifindex[k])
				continue; /* it exists: its own */
			if (f->kind == NSL_IFACE_LO) {
				a->nodes[i].ifindex[k] = 1;
				continue;
			}
			d = nsl_host_device(a->facts, (int)i, (int)k);
			if (d) {
				a->nodes[i].ifindex[k] =
				    d->info.ifindex; /* it keeps its index when it moves */
				continue;
			}
			bool taken;
			do {
				taken = false;
				counter++;
				for (size_t x = 0; x < a->facts->n_devs; x++)
					taken |= a->facts->devs[x].node == (int)i &&
					         a->facts->devs[x].info.ifindex == counter;
			} while (taken);
			a->nodes[i].ifindex[k] = counter;
		}
	for (size_t k = 0; k < a->plan->n_host_ifaces; k++)
		if (!a->change || !a->host_ifindex[k])
			a->host_ifindex[k] = ++counter;
	a->indexed = true;
}

static int ifindex_of(struct nsl_apply *a, int node, int iface)
{
	if (!a->indexed)
		assign_ifindexes(a);
	if (iface < 0)
		return 0;
	return node == NSL_PLAN_HOST ? a->host_ifindex[iface] : a->nodes[node].ifindex[iface];
}

/* ---- holders' names ---- */

static int do_binds(struct nsl_apply *a, size_t from, size_t to, struct nsl_err *err)
{
	size_t n = to - from;
	_cleanup_free_ struct nsl_rec *recs = calloc(n + 1, sizeof(*recs));
	int rc;

	if (!recs)
		return nsl_err_set(err, ENOMEM, "out of memory");
	if (a->sd->rootless) {
		rc = nsl_rootless_netns_dir(a->sd, err);
	} else {
		/* Two labs coming up on a fresh host must not both mount /run/netns. */
		rc = nsl_state_lock_root(a->sd, true, err);
		if (rc < 0)
			return rc;
		rc = nsl_netns_dir_prepare(err);
		(void)!nsl_state_lock_root(a->sd, false, NULL);
	}
	if (rc < 0)
		return rc;
	/* One journal write for all: each names a holder and the namespace it holds, the proof
	 * that /run/netns/LAB.NODE is ours when teardown comes. */
	for (size_t i = 0; i < n; i++) {
		int node = a->plan->ops[from + i].node;
		const struct nsl_node_rt *h = &a->nodes[node];
		recs[i].kind = NSL_REC_NODE;
		recs[i].node.name = topo(a)->nodes[node].name;
		recs[i].node.pid = h->pid;
		recs[i].node.start_time = h->start_time;
		recs[i].node.netns_dev = h->netns.dev;
		recs[i].node.netns_ino = h->netns.ino;
	}
	rc = journal(a, recs, n, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		int node = a->plan->ops[from + i].node;
		char path[PATH_MAX];
		nsl_lab_netns_path(a->sd, node_name(a, node), path, sizeof(path));
		rc = nsl_step(path, err);
		if (rc == 0)
			rc =
			    blame(a, node, nsl_netns_bind(a->nodes[node].netns_fd, path, err), err);
		nsl_progress_report(a->progress, nsl_phase_progress[NSL_PHASE_BINDS], i + 1, n);
	}
	return rc;
}

/* ---- operations ---- */

static int do_device(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err)
{
	const struct nsl_device_fact *d = nsl_host_device(a->facts, op->node, op->iface);
	const struct nsl_iface *f = nsl_plan_iface(a->plan, op->node, op->iface);
	_cleanup_free_ struct nsl_prefix *addrs = calloc(d->n_addrs + 1, sizeof(*addrs));
	char mark[NSL_MARK_MAX], what[128];
	int rc;

	if (!addrs)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < d->n_addrs; i++)
		addrs[i] = d->addrs[i].prefix;
	struct nsl_rec r = {.kind = NSL_REC_DEVICE};
	r.device.node = node_name(a, op->node);
	r.device.key = f->name;
	r.device.orig = d->info.name;
	r.device.alias = d->info.alias;
	r.device.ifindex = d->info.ifindex;
	r.device.mtu = d->info.mtu;
	r.device.up = d->info.flags & IFF_UP;
	memcpy(r.device.mac, d->info.mac, 6);
	r.device.addrs = addrs;
	r.device.n_addrs = d->n_addrs;
	rc = journal(a, &r, 1, err);
	if (rc < 0)
		return rc;
	nsl_mark(mark, sizeof(mark), lab(a), d->info.name);
	nsl_fmt(what, sizeof(what), "node %s: move host device %s in as %s", node_name(a, op->node),
	        d->info.name, f->name);
	struct nsl_link_change c = {.ifindex = d->info.ifindex,
	                            .up = 0,
	                            .new_name = f->name,
	                            .netns_fd = a->nodes[op->node].netns_fd,
	                            .alias = mark};
	struct nsl_nl *nl;
	rc = socket_for(a, NSL_PLAN_HOST, &nl, err);
	if (rc == 0)
		rc = nsl_nl_link_change(nl, &c, what, err);
	return rc < 0 ? rc : settle(a, err);
}

const uint8_t *nsl_apply_mac(const struct nsl_apply *a, int node, int iface, const uint8_t *mac)
{
	if (mac || !a->change || node == NSL_PLAN_HOST || iface < 0 || !a->nodes[node].keep_mac)
		return mac;
	return a->nodes[node].keep_mac[iface];
}

/* Whether an operation acts in a node that exists already (apply). */
static bool existing(const struct nsl_apply *a, int node)
{
	return a->change && (node == NSL_PLAN_HOST || !a->made[node]);
}

/* apply: an interface about to be made in a node that exists may be there from a change that
 * was cut short: deleted first (the namespace is the lab's, so is all in it; in the host, only
 * what carries the lab's mark). */
int nsl_apply_predelete(struct nsl_apply *a, int node, const char *name, struct nsl_err *err)
{
	struct nsl_nl *nl;
	int rc;

	if (!existing(a, node))
		return 0;
	if (node == NSL_PLAN_HOST) {
		struct nsl_link_info li;
		char mark[NSL_MARK_MAX];
		rc = settle(a, err);
		if (rc == 0)
			rc = nsl_nl_link_get(a->host, 0, name, &li, err);
		nsl_mark(mark, sizeof(mark), lab(a), NULL);
		if (rc <= 0 || strcmp(li.alias, mark))
			return rc < 0 && rc != -ENODEV ? rc : 0;
	}
	rc = socket_for(a, node, &nl, err);
	if (rc < 0)
		return rc;
	nl->tolerate = ENODEV;
	rc = nsl_nl_link_del(nl, 0, name, err);
	nl->tolerate = 0;
	return rc;
}

static int do_veth(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err)
{
	struct nsl_veth_end e[2];
	struct nsl_nl *nl;
	int rc;

	/* Sent from the first end's own namespace: the kernel (6.1 at least) checks a requested
	 * index in the namespace of the socket that creates the device, whatever namespace it is
	 * born in, and the host's indexes are not ours to know. The peer's index is checked in
	 * its own namespace. */
	for (int s = 0; s < 2; s++) {
		const struct nsl_op_end *pe = &op->veth[s];
		const struct nsl_iface *f = nsl_plan_iface(a->plan, pe->node, pe->iface);
		e[s] = (struct nsl_veth_end){.name = f->name,
		                             .mtu = pe->mtu,
		                             .mac = nsl_apply_mac(a, pe->node, pe->iface, pe->mac),
		                             .up = pe->up,
		                             .netns_fd = -1};
		/* every end at the index the lab chose, the host's too (see assign_ifindexes) */
		e[s].ifindex = ifindex_of(a, pe->node, pe->iface);
		if (s == 0)
			continue; /* born in the socket's namespace */
		if (pe->node != NSL_PLAN_HOST) {
			e[s].netns_fd = a->nodes[pe->node].netns_fd;
		} else {
			if (a->host_netns_fd < 0 &&
			    (a->host_netns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) <
			        0)
				return nsl_err_set(err, errno,
				                   "open the host's network namespace: %m");
			e[s].netns_fd = a->host_netns_fd;
		}
	}
	for (int s = 1; a->change && s >= 0; s--) {
		rc = nsl_apply_predelete(a, op->veth[s].node, e[s].name, err);
		if (rc < 0)
			return rc;
	}
	if (op->undo == NSL_UNDO_HOSTLINK) {
		struct nsl_rec r = {.kind = NSL_REC_HOSTLINK};
		r.hostlink.name = e[1].name;
		r.hostlink.node = node_name(a, op->veth[0].node);
		rc = journal(a, &r, 1, err);
		if (rc < 0)
			return rc;
	}
	rc = socket_for(a, op->veth[0].node, &nl, err);
	return rc < 0 ? rc : nsl_nl_veth_add(nl, &e[0], &e[1], err);
}

/* Host ends are born down: the host's DAD defaults would keep their link-local address
 * tentative for seconds. Off for these interfaces only, then up, with the lab's mark (the
 * kernel takes no alias in the message that creates a veth). */
static int do_host_end(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err)
{
	const struct nsl_iface *f = nsl_plan_iface(a->plan, NSL_PLAN_HOST, op->iface);
	struct nsl_link_info li;
	char what[64];
	int rc = settle(a, err);

	if (rc == 0)
		rc = nsl_nl_link_get(a->host, 0, f->name, &li, err);
	if (rc == 0)
		rc =
		    nsl_err_set(err, ENODEV, "host interface %s: gone after its creation", f->name);
	if (rc < 0)
		return rc;
	a->host_ifindex[op->iface] = li.ifindex;
	if (access("/proc/sys/net/ipv6", F_OK) == 0) {
		rc = nsl_sysctl_iface_write("ipv6", f->name, "accept_dad", "0");
		if (rc < 0)
			return nsl_err_set(err, rc, "host interface %s: disable DAD: %s", f->name,
			                   strerror(-rc));
	}
	char mark[NSL_MARK_MAX];
	nsl_mark(mark, sizeof(mark), lab(a), NULL);
	struct nsl_link_change c = {
	    .ifindex = li.ifindex, .up = f->up ? 1 : -1, .netns_fd = -1, .alias = mark};
	if (op->host_end.master >= 0)
		c.master = a->host_ifindex[op->host_end.master];
	nsl_fmt(what, sizeof(what), "host interface %s", f->name);
	struct nsl_nl *nl;
	rc = socket_for(a, NSL_PLAN_HOST, &nl, err);
	return rc < 0 ? rc : nsl_nl_link_change(nl, &c, what, err);
}

static int do_request(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err)
{
	const struct nsl_topology *t = topo(a);
	const struct nsl_iface *f = nsl_plan_iface(a->plan, op->node, op->iface);
	int ifindex = ifindex_of(a, op->node, op->iface);
	struct nsl_nl *nl;
	char what[64];
	int rc = socket_for(a, op->node, &nl, err);

	if (rc < 0)
		return rc;
	/* apply: what is there already in a node that exists (a change cut short, a route the
	 * kernel kept) is what we want */
	nl->tolerate = existing(a, op->node) ? EEXIST : 0;
	switch (op->kind) {
	case NSL_OP_BRIDGE:
		rc = nsl_apply_predelete(a, op->node, f->name, err);
		if (rc == 0)
			rc = socket_for(a, op->node, &nl, err);
		if (rc == 0)
			rc = nsl_nl_bridge_add(nl, f->name, ifindex,
			                       t->nodes[op->node].bridges[op->item].stp, f->mtu,
			                       f->has_mac ? f->mac : NULL, err);
		break;
	case NSL_OP_LINK: {
		struct nsl_link_change c = {.ifindex = ifindex,
		                            .up = op->link.up,
		                            .netns_fd = -1,
		                            .mtu = op->link.mtu,
		                            .mac = op->link.mac};
		if (op->link.master >= 0)
			c.master = ifindex_of(a, op->node, op->link.master);
		c.nomaster = op->link.master == NSL_LINK_NOMASTER;
		nsl_fmt(what, sizeof(what), "interface %s", f->name);
		rc = nsl_nl_link_change(nl, &c, what, err);
		break;
	}
	case NSL_OP_ADDR:
		rc = nsl_nl_addr_add(nl, ifindex, f->name, &f->addrs[op->item], err);
		break;
	case NSL_OP_ROUTE: {
		const struct nsl_route *r = &t->nodes[op->node].routes[op->item];
		_cleanup_free_ int *nh = calloc(r->n_nexthops + 1, sizeof(int));
		if (!nh)
			return nsl_err_set(err, ENOMEM, "out of memory");
		for (size_t h = 0; h < r->n_nexthops; h++)
			nh[h] = ifindex_of(a, op->node, op->route.nh_ifaces[h]);
		rc = nsl_nl_route_add(nl, r, ifindex, nh, err);
		break;
	}
	case NSL_OP_RULE:
		rc = nsl_nl_rule_add(nl, &t->nodes[op->node].rules[op->item], op->rule.family, err);
		break;
	case NSL_OP_RATE: /* apply: one replace of whatever is there */
		rc = nsl_nl_tbf_set(nl, ifindex, f->name, op->rate, a->change, err);
		break;
	case NSL_OP_IMPAIR:
		rc = nsl_nl_netem_set(nl, ifindex, f->name, &op->impair.im, op->impair.limit,
		                      a->change, err);
		break;
	default:
		rc = nsl_err_set(err, EINVAL, "plan: operation %d is no request", op->kind);
	}
	nl->tolerate = 0;
	return blame(a, op->node, rc, err);
}

struct sysctl_write {
	const char *scope, *ifname, *leaf, *value;
	size_t scope_len;
	char *old; /* apply: the value before, read first (when there is one) */
	bool save;
};

static int read_small(const char *path, char **ret)
{
	char buf[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = 0;
	for (char *c = buf; *c; c++)
		*c = *c == '\t' ? ' ' : *c;
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

static int write_iface_sysctl(void *arg)
{
	struct sysctl_write *w = arg;
	char path[512];
	size_t len = 0;

	if (!w->ifname) { /* a sysctl of the node (apply) */
		int rc = nsl_sysctl_path(w->scope, path, sizeof(path));
		if (rc < 0)
			return rc;
	} else {
		/* By path, not by key: the interface's name may hold dots. */
		len += (size_t)snprintf(path, sizeof(path), "/proc/sys/%.*s", (int)w->scope_len,
		                        w->scope);
		len +=
		    (size_t)snprintf(path + len, sizeof(path) - len, "%s/%s", w->ifname, w->leaf);
		if (len >= sizeof(path))
			return -ENAMETOOLONG;
		for (size_t i = 10; i < 10 + w->scope_len; i++)
			path[i] = path[i] == '.' ? '/' : path[i];
		for (size_t i = 10 + w->scope_len + strlen(w->ifname) + 1; i < len; i++)
			path[i] = path[i] == '.' ? '/' : path[i];
	}
	if (w->save && read_small(path, &w->old) < 0)
		w->old = NULL;
	return nsl_file_write(path, w->value);
}

static int do_sysctl(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err)
{
	const struct nsl_sysctl *s = &topo(a)->nodes[op->node].sysctls[op->item];
	const struct nsl_iface *f = nsl_plan_iface(a->plan, op->node, op->iface);
	struct sysctl_write w = {.scope = s->key, .value = s->value, .save = existing(a, op->node)};
	int rc = settle(a, err);

	if (f) {
		w.scope_len = op->sysctl.scope_len;
		w.ifname = f->name;
		w.leaf = s->key + op->sysctl.scope_len + strlen(f->name) + 1;
	}
	if (rc < 0)
		return rc;
	if (w.save && !nsl_grow(&a->saved, &a->cap_saved, a->n_saved, sizeof(*a->saved)))
		return nsl_err_set(err, ENOMEM, "out of memory");
	rc = nsl_netns_call(a->nodes[op->node].netns_fd, write_iface_sysctl, &w);
	if (w.old)
		a->saved[a->n_saved++] =
		    (struct nsl_saved_sysctl){.node = op->node, .key = s->key, .value = w.old};
	if (rc < 0)
		return blame(
		    a, op->node,
		    nsl_err_set(err, rc, "sysctl %s=%s: %s", s->key, s->value, strerror(-rc)), err);
	return 0;
}

int nsl_apply_sysctl_put(int netns_fd, const struct nsl_plan *p, const struct nsl_op *op,
                         const char *value)
{
	const struct nsl_sysctl *s = &p->t->nodes[op->node].sysctls[op->item];
	const struct nsl_iface *f = nsl_plan_iface(p, op->node, op->iface);
	struct sysctl_write w = {.scope = s->key, .value = value};

	if (f) {
		w.scope_len = op->sysctl.scope_len;
		w.ifname = f->name;
		w.leaf = s->key + op->sysctl.scope_len + strlen(f->name) + 1;
	}
	return nsl_netns_call(netns_fd, write_iface_sysctl, &w);
}

static int do_nat(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err)
{
	const struct nsl_topology *t = topo(a);
	char table[NSL_NAME_MAX + 8], mark[NSL_MARK_MAX];
	int rc = settle(a, err);

	if (rc < 0)
		return rc;
	if (op->node != NSL_PLAN_HOST) {
		const struct nsl_node *n = &t->nodes[op->node];
		/* apply: the node's table, whatever it holds, goes first */
		if (existing(a, op->node))
			rc = nsl_nft_delete(a->nodes[op->node].netns_fd, NSL_NFT_NODE_TABLE, NULL,
			                    err);
		if (rc >= 0)
			rc = nsl_nft_apply(a->nodes[op->node].netns_fd, NSL_NFT_NODE_TABLE, NULL,
			                   n->nat, n->n_nat, err);
		return blame(a, op->node, rc, err);
	}
	nsl_host_table(table, sizeof(table), lab(a));
	nsl_mark(mark, sizeof(mark), lab(a), NULL);
	struct nsl_rec r = {.kind = NSL_REC_HOSTNFT, .hostnft.name = table};
	rc = journal(a, &r, 1, err);
	if (rc == 0 && a->change)
		rc = nsl_nft_delete(-1, table, mark, err);
	if (rc >= 0)
		rc = nsl_nft_apply(-1, table, mark, t->host.nat, t->host.n_nat, err);
	return blame(a, NSL_PLAN_HOST, rc, err);
}

/* Read-then-set under the root lock: a lab going down at the same moment may be restoring the
 * same key (engine/teardown.c). The old value is journaled before the new one is written. */
static int do_host_sysctls(struct nsl_apply *a, size_t from, size_t to, struct nsl_err *err)
{
	const struct nsl_host *h = &topo(a)->host;
	int rc = settle(a, err);

	if (rc == 0)
		rc = nsl_state_lock_root(a->sd, true, err);
	if (rc < 0)
		return rc;
	for (size_t i = from; rc == 0 && i < to; i++) {
		const struct nsl_sysctl *s = &h->sysctls[a->plan->ops[i].item];
		_cleanup_free_ char *old = NULL;
		rc = nsl_step("host sysctl", err);
		if (rc == 0)
			rc = nsl_sysctl_read(s->key, &old, err);
		if (rc == 0) {
			struct nsl_rec r = {.kind = NSL_REC_HOSTSYSCTL};
			r.sysctl.key = s->key;
			r.sysctl.value = old;
			r.sysctl.time = nsl_now_ns();
			rc = journal(a, &r, 1, err);
		}
		if (rc == 0)
			rc = nsl_sysctl_write(s->key, s->value, err);
	}
	(void)!nsl_state_lock_root(a->sd, false, NULL);
	return blame(a, NSL_PLAN_HOST, rc, err);
}

static int do_exec(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err)
{
	const struct nsl_node *n = &topo(a)->nodes[op->node];
	int rc = settle(a, err);

	if (rc < 0)
		return rc;
	if (a->log_fd < 0) {
		a->log_fd = openat(a->sd->lab_fd, "exec.log",
		                   O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (a->log_fd < 0)
			return nsl_err_set(err, errno, "exec log: %m");
	}
	return nsl_exec_at_up(a->nodes[op->node].pidfd, n, op->item, a->log_fd, err);
}

static int do_wait(struct nsl_apply *a, size_t from, size_t to, struct nsl_err *err)
{
	size_t n = to - from;
	_cleanup_free_ struct nsl_ready_ns *ns = calloc(n + 1, sizeof(*ns));
	_cleanup_free_ int *idx = NULL;
	size_t total = 0, used = 0;
	int rc = settle(a, err);

	if (rc < 0)
		return rc;
	for (size_t i = from; i < to; i++)
		total += a->plan->ops[i].wait.n + a->plan->ops[i].wait.n_lacp;
	idx = calloc(total + 1, sizeof(int));
	if (!ns || !idx)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct nsl_op *op = &a->plan->ops[from + i];
		struct nsl_nl *nl;
		rc = nsl_step("wait", err);
		if (rc == 0)
			rc = socket_for(a, op->node, &nl, err);
		if (rc < 0)
			return rc;
		ns[i] = (struct nsl_ready_ns){.name = node_name(a, op->node),
		                              .nl = nl,
		                              .ifindex = idx + used,
		                              .n = op->wait.n,
		                              .ipv6 = op->wait.ipv6 &&
		                                      access("/proc/sys/net/ipv6", F_OK) == 0};
		for (size_t k = 0; k < op->wait.n; k++)
			idx[used++] = ifindex_of(a, op->node, op->wait.ifaces[k]);
		ns[i].lacp = idx + used;
		ns[i].n_lacp = op->wait.n_lacp;
		for (size_t k = 0; k < op->wait.n_lacp; k++)
			idx[used++] = ifindex_of(a, op->node, op->wait.lacp[k]);
	}
	rc = settle(a, err);
	bool lacp = false;
	for (size_t i = 0; i < n; i++)
		lacp |= ns[i].n_lacp > 0;
	return rc < 0 ? rc
	              : nsl_ready_wait(ns, n, lacp ? READY_LACP_TIMEOUT_MS : READY_TIMEOUT_MS,
	                               a->progress, nsl_phase_progress[NSL_PHASE_READY], err);
}

/* Ready commands of a batch, every node at once: each re-run in its node every `interval`
 * until it exits 0, for at most `timeout` (no attempt outlives it). */
static int do_ready(struct nsl_apply *a, size_t from, size_t to, struct nsl_err *err)
{
	const struct nsl_topology *t = topo(a);
	size_t n = to - from;
	_cleanup_free_ struct nsl_check *checks = calloc(n + 1, sizeof(*checks));
	_cleanup_free_ struct nsl_probe *probes = calloc(n + 1, sizeof(*probes));
	int rc = settle(a, err);

	if (rc < 0)
		return rc;
	if (!checks || !probes)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct nsl_op *op = &a->plan->ops[from + i];
		const struct nsl_node *nd = &t->nodes[op->node];
		rc = nsl_step("ready", err);
		if (rc == 0)
			rc = node_open(a, op->node, err);
		if (rc < 0)
			return blame(a, op->node, rc, err);
		checks[i] = (struct nsl_check){.kind = NSL_CHECK_CMD,
		                               .node = op->node,
		                               .cmd = nd->ready.cmd,
		                               .within_ms = nd->ready.timeout_ms,
		                               .interval_ms = nd->ready.interval_ms,
		                               .timeout_ms = nd->ready.timeout_ms};
		nsl_fmt(checks[i].node_name, sizeof(checks[i].node_name), "%s", nd->name);
		probes[i] = (struct nsl_probe){.check = &checks[i],
		                               .node = nd->name,
		                               .pidfd = a->nodes[op->node].pidfd,
		                               .netns_fd = a->nodes[op->node].netns_fd,
		                               .env = nd->env,
		                               .after = -1,
		                               .hard_deadline = true};
	}
	rc = nsl_probes_run(probes, n, 0, NULL, NULL, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct nsl_probe *p = &probes[i];
		char cmd[256], tail[512], took[32];
		if (p->verdict == NSL_VERDICT_PASS)
			continue;
		nsl_argv_str(&checks[i].cmd, cmd, sizeof(cmd));
		nsl_text_tail(p->output ? p->output : "", p->output_len, tail, sizeof(tail));
		nsl_ms_str(took, sizeof(took), checks[i].within_ms);
		rc = nsl_err_set(err, p->verdict == NSL_VERDICT_ERROR ? EIO : ETIMEDOUT,
		                 "node %s: not ready within %s (%u attempt%s): ready command `%s` "
		                 "%s%s%s",
		                 p->node, took, p->attempts, p->attempts == 1 ? "" : "s", cmd,
		                 p->saw, tail[0] ? "; its last output ends with:\n" : "", tail);
	}
	nsl_probes_free(probes, n);
	return rc;
}

static int write_state(struct nsl_apply *a, struct nsl_err *err)
{
	const struct nsl_topology *t = topo(a);
	struct nsl_labstate s = {.version = NSL_LABSTATE_VERSION};
	_cleanup_free_ char *abs = realpath(t->file, NULL), *text = NULL;
	int rc;

	nsl_fmt(s.name, sizeof(s.name), "%s", lab(a));
	s.topology = abs ? abs : t->file;
	nsl_fmt(s.sha256, sizeof(s.sha256), "%s", t->sha256);
	s.generation = 1;
	if (a->keeper)
		s.keeper = (struct nsl_labstate_keeper){.pid = a->keeper->pid,
		                                        .start_time = a->keeper->start_time,
		                                        .userns_dev = a->keeper->userns.dev,
		                                        .userns_ino = a->keeper->userns.ino};
	s.n_nodes = t->n_nodes;
	s.nodes = calloc(t->n_nodes + 1, sizeof(*s.nodes));
	if (!s.nodes)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct nsl_labstate_node *sn = &s.nodes[i];
		const struct nsl_node_rt *h = &a->nodes[i];
		nsl_fmt(sn->name, sizeof(sn->name), "%s", t->nodes[i].name);
		nsl_fmt(sn->hostname, sizeof(sn->hostname), "%s", t->nodes[i].hostname);
		sn->pid = h->pid;
		sn->start_time = h->start_time;
		sn->uid_base = h->uid_base;
		sn->netns_dev = h->netns.dev;
		sn->netns_ino = h->netns.ino;
		sn->env = t->nodes[i].env;
		sn->n_env = t->nodes[i].n_env;
		sn->namespaces = t->nodes[i].namespaces;
		sn->root = t->nodes[i].rootfs.kind == NSL_ROOTFS_OVERLAY ? (char *)"overlay"
		           : t->nodes[i].rootfs.kind == NSL_ROOTFS_DIR   ? t->nodes[i].rootfs.dir
		                                                         : NULL;
		sn->limits = t->nodes[i].limits;
		sn->cgroup = (char *)nsl_cgroup_node_path(a, (int)i);
	}
	if (t->part >= 0) {
		nsl_fmt(s.host, sizeof(s.host), "%s", t->hosts[t->part].name);
		s.elsewhere = calloc(t->n_elsewhere + 1, sizeof(*s.elsewhere));
		if (!s.elsewhere) {
			free(s.nodes);
			return nsl_err_set(err, ENOMEM, "out of memory");
		}
		s.n_elsewhere = t->n_elsewhere;
		for (size_t i = 0; i < t->n_elsewhere; i++) {
			nsl_fmt(s.elsewhere[i].name, sizeof(s.elsewhere[i].name), "%s",
			        t->elsewhere[i].name);
			nsl_fmt(s.elsewhere[i].host, sizeof(s.elsewhere[i].host), "%s",
			        t->hosts[t->elsewhere[i].host].name);
		}
	}
	rc = nsl_labstate_format(&s, &text, err);
	free(s.nodes);
	free(s.elsewhere);
	/* The text the lab was built from, as it was read: what a later apply compares with. */
	if (rc == 0)
		rc = nsl_state_write_file(a->sd, "topology", t->text, t->text_len, err);
	return rc < 0 ? rc : nsl_state_write_file(a->sd, "state.json", text, strlen(text), err);
}

static int do_commit(struct nsl_apply *a, struct nsl_err *err)
{
	struct nsl_rec r = {.kind = NSL_REC_COMMITTED};
	int rc = settle(a, err);

	if (rc == 0)
		rc = nsl_step("state", err);
	if (rc == 0)
		rc = write_state(a, err);
	if (rc == 0)
		rc = journal(a, &r, 1, err);
	if (rc == 0)
		rc = nsl_step("commit", err);
	if (rc == 0 && a->keeper)
		rc = nsl_keeper_commit(a->keeper, err);
	if (rc == 0)
		rc = nsl_holders_commit(&a->hs, err);
	return rc;
}

/* Operations that run as one batch: all of one kind in a row. */
static size_t run_end(const struct nsl_plan *p, size_t i)
{
	size_t j = i + 1;

	while (j < p->n && p->ops[j].kind == p->ops[i].kind)
		j++;
	return j;
}

static int do_one(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err)
{
	char what[64];
	int rc;

	nsl_fmt(what, sizeof(what), "%s", node_name(a, op->node));
	rc = nsl_step(what, err);
	if (rc == 0)
		rc = node_open(a, op->node, err);
	if (rc == 0 && op->kind == NSL_OP_VETH)
		rc = node_open(a, op->veth[0].node, err);
	if (rc == 0 && op->kind == NSL_OP_VETH)
		rc = node_open(a, op->veth[1].node, err);
	if (rc < 0)
		return rc;
	switch (op->kind) {
	case NSL_OP_DEVICE:
		return do_device(a, op, err);
	case NSL_OP_VETH:
		return do_veth(a, op, err);
	case NSL_OP_HOST_END:
		return do_host_end(a, op, err);
	case NSL_OP_HOST_DEV:
		return nsl_apply_host_dev(a, op, err);
	case NSL_OP_CREATE:
		return nsl_apply_create(a, op, err);
	case NSL_OP_SYSCTL:
		return do_sysctl(a, op, err);
	case NSL_OP_NAT:
		return do_nat(a, op, err);
	case NSL_OP_EXEC:
		return do_exec(a, op, err);
	case NSL_OP_COMMIT:
		return do_commit(a, err);
	default:
		return do_request(a, op, err);
	}
}

int nsl_apply_alloc(struct nsl_apply *a, struct nsl_err *err)
{
	const struct nsl_topology *t = topo(a);

	a->nodes = calloc(t->n_nodes + 1, sizeof(*a->nodes));
	a->host_ifindex = calloc(a->plan->n_host_ifaces + 1, sizeof(int));
	if (!a->nodes || !a->host_ifindex)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < t->n_nodes; i++) {
		a->nodes[i].pidfd = a->nodes[i].netns_fd = a->nodes[i].nl.fd = -1;
		a->nodes[i].ifindex = calloc(t->nodes[i].n_ifaces + 1, sizeof(int));
		if (!a->nodes[i].ifindex)
			return nsl_err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

int nsl_apply(struct nsl_apply *a, struct nsl_err *err)
{
	const struct nsl_plan *p = a->plan;
	int rc;

	a->pending = NULL;
	rc = a->nodes ? 0 : nsl_apply_alloc(a, err);
	for (size_t i = 0; i < p->n; i++)
		a->phase_total[phase_of(&p->ops[i])]++;
	for (size_t i = 0; rc == 0 && i < p->n;) {
		const struct nsl_op *op = &p->ops[i];
		enum nsl_phase ph = phase_of(op);
		uint64_t t0 = nsl_now_ns();
		size_t next = i + 1;
		nsl_progress_report(a->progress, nsl_phase_progress[ph], a->phase_done[ph],
		                    a->phase_total[ph]);
		switch (op->kind) {
		case NSL_OP_NODE:
			next = run_end(p, i);
			rc = nsl_apply_nodes(a, i, next, err);
			break;
		case NSL_OP_BIND:
			next = run_end(p, i);
			rc = do_binds(a, i, next, err);
			break;
		case NSL_OP_HOST_SYSCTL:
			next = run_end(p, i);
			rc = do_host_sysctls(a, i, next, err);
			break;
		case NSL_OP_WAIT:
			next = run_end(p, i);
			rc = do_wait(a, i, next, err);
			break;
		case NSL_OP_READY:
			next = run_end(p, i);
			rc = do_ready(a, i, next, err);
			break;
		default:
			rc = do_one(a, op, err);
		}
		a->phase_ns[ph] += nsl_now_ns() - t0;
		a->phase_done[ph] += next - i;
		i = next;
	}
	if (rc == 0)
		rc = settle(a, err);
	return rc;
}

void nsl_apply_init(struct nsl_apply *a, const struct nsl_plan *plan,
                    const struct nsl_host_facts *facts, struct nsl_statedir *sd,
                    struct nsl_nl *host)
{
	memset(a, 0, sizeof(*a));
	a->plan = plan;
	a->facts = facts;
	a->sd = sd;
	a->host = host;
	a->hs.lifeline_w = -1;
	a->log_fd = -1;
	a->host_netns_fd = -1;
}

void nsl_apply_abort(struct nsl_apply *a)
{
	nsl_holders_kill(&a->hs);
	if (a->keeper)
		nsl_keeper_kill(a->keeper);
}

void nsl_apply_free(struct nsl_apply *a)
{
	const struct nsl_topology *t = topo(a);

	/* The pidfds and namespace fds of the nodes started here are the holders'. */
	nsl_holders_free(&a->hs);
	for (size_t i = 0; a->nodes && i < t->n_nodes; i++) {
		nsl_nl_close(&a->nodes[i].nl);
		free(a->nodes[i].ifindex);
	}
	free(a->nodes);
	free(a->host_ifindex);
	nsl_cgroups_free(a);
	for (size_t i = 0; i < a->n_saved; i++)
		free(a->saved[i].value);
	free(a->saved);
	a->saved = NULL;
	a->n_saved = 0;
	if (a->log_fd >= 0)
		close(a->log_fd);
	if (a->host_netns_fd >= 0)
		close(a->host_netns_fd);
	a->host_netns_fd = -1;
	a->nodes = NULL;
	a->host_ifindex = NULL;
	a->log_fd = -1;
}

/* ---- for the other rooms of the executor (apply_impl.h) ---- */

int nsl_apply_socket(struct nsl_apply *a, int node, struct nsl_nl **ret, struct nsl_err *err)
{
	return socket_for(a, node, ret, err);
}

int nsl_apply_settle(struct nsl_apply *a, struct nsl_err *err) { return settle(a, err); }

int nsl_apply_ifindex(struct nsl_apply *a, int node, int iface)
{
	return ifindex_of(a, node, iface);
}

int nsl_apply_journal(struct nsl_apply *a, const struct nsl_rec *r, struct nsl_err *err)
{
	return journal(a, r, 1, err);
}

int nsl_apply_blame(struct nsl_apply *a, int node, int rc, struct nsl_err *err)
{
	return blame(a, node, rc, err);
}
