/* The operations one at a time: each one's change through its door of src/kernel (moved
 * devices, veths, host ends, netlink requests, sysctls, NAT, host sysctls, exec). */
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "engine/apply_impl.h"
#include "engine/exec_up.h"
#include "engine/fault.h"
#include "engine/marks.h"
#include "kernel/nft.h"
#include "kernel/ns.h"
#include "kernel/sysctl.h"

int nsl_apply_device(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err)
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
	rc = nsl_apply_journal(a, &r, err);
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
	rc = nsl_apply_socket(a, NSL_PLAN_HOST, &nl, err);
	if (rc == 0)
		rc = nsl_nl_link_change(nl, &c, what, err);
	return rc < 0 ? rc : nsl_apply_settle(a, err);
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
		rc = nsl_apply_settle(a, err);
		if (rc == 0)
			rc = nsl_nl_link_get(a->host, 0, name, &li, err);
		nsl_mark(mark, sizeof(mark), lab(a), NULL);
		if (rc <= 0 || strcmp(li.alias, mark))
			return rc < 0 && rc != -ENODEV ? rc : 0;
	}
	rc = nsl_apply_socket(a, node, &nl, err);
	if (rc < 0)
		return rc;
	nl->tolerate = ENODEV;
	rc = nsl_nl_link_del(nl, 0, name, err);
	nl->tolerate = 0;
	return rc;
}

int nsl_apply_veth(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err)
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
		e[s].ifindex = nsl_apply_ifindex(a, pe->node, pe->iface);
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
		rc = nsl_apply_journal(a, &r, err);
		if (rc < 0)
			return rc;
	}
	rc = nsl_apply_socket(a, op->veth[0].node, &nl, err);
	return rc < 0 ? rc : nsl_nl_veth_add(nl, &e[0], &e[1], err);
}

/* Host ends are born down: the host's DAD defaults would keep their link-local address
 * tentative for seconds. Off for these interfaces only, then up, with the lab's mark (the
 * kernel takes no alias in the message that creates a veth). */
int nsl_apply_host_end(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err)
{
	const struct nsl_iface *f = nsl_plan_iface(a->plan, NSL_PLAN_HOST, op->iface);
	struct nsl_link_info li;
	char what[64];
	int rc = nsl_apply_settle(a, err);

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
	rc = nsl_apply_socket(a, NSL_PLAN_HOST, &nl, err);
	return rc < 0 ? rc : nsl_nl_link_change(nl, &c, what, err);
}

int nsl_apply_request(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err)
{
	const struct nsl_topology *t = topo(a);
	const struct nsl_iface *f = nsl_plan_iface(a->plan, op->node, op->iface);
	int ifindex = nsl_apply_ifindex(a, op->node, op->iface);
	struct nsl_nl *nl;
	char what[64];
	int rc = nsl_apply_socket(a, op->node, &nl, err);

	if (rc < 0)
		return rc;
	/* apply: what is there already in a node that exists (a change cut short, a route the
	 * kernel kept) is what we want */
	nl->tolerate = existing(a, op->node) ? EEXIST : 0;
	switch (op->kind) {
	case NSL_OP_BRIDGE:
		rc = nsl_apply_predelete(a, op->node, f->name, err);
		if (rc == 0)
			rc = nsl_apply_socket(a, op->node, &nl, err);
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
			c.master = nsl_apply_ifindex(a, op->node, op->link.master);
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
			nh[h] = nsl_apply_ifindex(a, op->node, op->route.nh_ifaces[h]);
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
	return nsl_apply_blame(a, op->node, rc, err);
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

int nsl_apply_sysctl(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err)
{
	const struct nsl_sysctl *s = &topo(a)->nodes[op->node].sysctls[op->item];
	const struct nsl_iface *f = nsl_plan_iface(a->plan, op->node, op->iface);
	struct sysctl_write w = {.scope = s->key, .value = s->value, .save = existing(a, op->node)};
	int rc = nsl_apply_settle(a, err);

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
		return nsl_apply_blame(
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

int nsl_apply_nat(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err)
{
	const struct nsl_topology *t = topo(a);
	char table[NSL_NAME_MAX + 8], mark[NSL_MARK_MAX];
	int rc = nsl_apply_settle(a, err);

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
		return nsl_apply_blame(a, op->node, rc, err);
	}
	nsl_host_table(table, sizeof(table), lab(a));
	nsl_mark(mark, sizeof(mark), lab(a), NULL);
	struct nsl_rec r = {.kind = NSL_REC_HOSTNFT, .hostnft.name = table};
	rc = nsl_apply_journal(a, &r, err);
	if (rc == 0 && a->change)
		rc = nsl_nft_delete(-1, table, mark, err);
	if (rc >= 0)
		rc = nsl_nft_apply(-1, table, mark, t->host.nat, t->host.n_nat, err);
	return nsl_apply_blame(a, NSL_PLAN_HOST, rc, err);
}

/* Read-then-set under the root lock: a lab going down at the same moment may be restoring the
 * same key (engine/teardown.c). The old value is journaled before the new one is written. */
int nsl_apply_host_sysctls(struct nsl_apply *a, size_t from, size_t to, struct nsl_err *err)
{
	const struct nsl_host *h = &topo(a)->host;
	int rc = nsl_apply_settle(a, err);

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
			rc = nsl_apply_journal(a, &r, err);
		}
		if (rc == 0)
			rc = nsl_sysctl_write(s->key, s->value, err);
	}
	(void)!nsl_state_lock_root(a->sd, false, NULL);
	return nsl_apply_blame(a, NSL_PLAN_HOST, rc, err);
}

int nsl_apply_exec(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err)
{
	const struct nsl_node *n = &topo(a)->nodes[op->node];
	int rc = nsl_apply_settle(a, err);

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
