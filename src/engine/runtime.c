/* Changing a lab that is up (see runtime.h). */
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "engine/fault.h"
#include "engine/marks.h"
#include "engine/ready.h"
#include "engine/rootless.h"
#include "engine/runtime.h"
#include "kernel/netlink.h"
#include "kernel/ns.h"
#include "kernel/proc.h"
#include "kernel/sysctl.h"
#include "model/diff.h"
#include "model/plan.h"

#define RUNTIME_FILE "runtime.json"
#ifndef IF_OPER_UP
#define IF_OPER_UP 6 /* RFC 2863, <linux/if.h> */
#endif

int nsl_lab_rt_open(const char *lab, struct nsl_lab_rt *l, struct nsl_err *err)
{
	_cleanup_free_ char *state = NULL, *topo = NULL, *rt = NULL;
	struct nsl_diags d = {0};
	int rc;

	memset(l, 0, sizeof(*l));
	l->sd.root_fd = l->sd.lab_fd = -1;
	rc = nsl_state_root(&l->sd, err);
	if (rc == 0)
		rc = nsl_state_open(&l->sd, lab, true, err);
	if (rc == 0) {
		nsl_state_close(&l->sd);
		return nsl_err_set(err, ENOENT, "lab %s is not up", lab);
	}
	if (rc > 0)
		rc = nsl_state_read_file(&l->sd, "state.json", &state, err);
	if (rc == 0) {
		nsl_state_close(&l->sd); /* and its lock */
		return nsl_err_set(err, EAGAIN, "lab %s is still being built (or its up failed)",
		                   lab);
	}
	if (rc > 0)
		rc = nsl_labstate_parse(state, &l->st, err);
	if (rc < 0)
		goto fail;
	l->have_st = true;
	/* A rootless lab is changed from inside: its keeper's namespaces, where its binds and
	 * its host are, and where the lab's user is root. */
	if (l->sd.rootless) {
		rc = nsl_rootless_join_lab(&l->sd, &l->st.keeper, err);
		if (rc < 0)
			goto fail;
	}
	rc = nsl_state_read_file(&l->sd, "topology", &topo, err);
	if (rc == 0)
		rc = nsl_err_set(err, ENOENT,
		                 "lab %s keeps no copy of its topology (an older nslab built it)",
		                 lab);
	if (rc < 0)
		goto fail;
	/* The copy kept with the lab is what was built, whatever became of the file since. */
	d.file = l->st.topology;
	rc = nsl_topology_parse(l->st.topology, topo, strlen(topo), &l->t, &d);
	if (rc == 0)
		rc = nsl_topology_validate(l->t, &d);
	/* a lab over several hosts: the part built here */
	if (rc == 0 && l->st.host[0]) {
		int h = nsl_topology_host(l->t, l->st.host);
		rc = h < 0 ? -EINVAL : nsl_topology_part(l->t, h, l->st.name);
		if (rc == -EINVAL)
			nsl_diags_add(&d, "hosts", "no host %s", l->st.host);
	}
	if (rc < 0) {
		rc =
		    nsl_err_set(err, EBADMSG, "the topology kept with lab %s does not validate: %s",
		                lab, d.n ? d.items[0].message : "(no message)");
		nsl_diags_clear(&d);
		goto fail;
	}
	nsl_diags_clear(&d);
	rc = nsl_state_read_file(&l->sd, RUNTIME_FILE, &rt, err);
	if (rc > 0)
		rc = nsl_runtime_parse(rt, &l->rt, err);
	if (rc < 0)
		goto fail;
	l->rt.version = NSL_RUNTIME_VERSION;
	return 0;
fail:
	nsl_err_prefix(err, "lab %s", lab);
	nsl_lab_rt_close(l);
	return rc;
}

void nsl_lab_rt_close(struct nsl_lab_rt *l)
{
	if (l->have_st)
		nsl_labstate_free(&l->st);
	nsl_topology_free(l->t);
	nsl_runtime_free(&l->rt);
	nsl_state_close(&l->sd);
	l->have_st = false;
	l->t = NULL;
}

static const char *node_name(const struct nsl_lab_rt *l, int node)
{
	return node == NSL_ENDPOINT_HOST ? NSL_HOST_NODE : l->t->nodes[node].name;
}

const char *nsl_end_name(const struct nsl_lab_rt *l, const struct nsl_end_ref *e, char *buf,
                         size_t size)
{
	nsl_fmt(buf, size, "%s:%s", node_name(l, e->node), e->f->name);
	return buf;
}

static const struct nsl_iface *find_iface(const struct nsl_topology *t, int node, const char *name)
{
	if (node != NSL_ENDPOINT_HOST)
		return nsl_node_iface(&t->nodes[node], name);
	for (size_t i = 0; i < t->host.n_ifaces; i++)
		if (!strcmp(t->host.ifaces[i].name, name))
			return &t->host.ifaces[i];
	return NULL;
}

int nsl_lab_end(const struct nsl_lab_rt *l, const char *spec, struct nsl_end_ref *ret,
                struct nsl_err *err)
{
	const char *colon = strchr(spec, ':');
	char node[NSL_NAME_MAX + 1];
	const struct nsl_iface *f;
	static const char *const kinds[] = {
	    [NSL_IFACE_UNKNOWN] = "unknown",       [NSL_IFACE_VETH] = "an end of a link",
	    [NSL_IFACE_DEVICE] = "a moved device", [NSL_IFACE_BRIDGE] = "a bridge",
	    [NSL_IFACE_LO] = "the loopback",
	};

	memset(ret, 0, sizeof(*ret));
	if (!colon || colon == spec || !colon[1] || (size_t)(colon - spec) > NSL_NAME_MAX)
		return nsl_err_set(err, EINVAL, "'%s' is not of the form NODE:INTERFACE", spec);
	memcpy(node, spec, (size_t)(colon - spec));
	node[colon - spec] = '\0';
	if (!strcmp(node, NSL_HOST_NODE)) {
		ret->node = NSL_ENDPOINT_HOST;
	} else {
		ret->node = nsl_topology_node(l->t, node);
		if (ret->node < 0)
			return nsl_err_set(err, ENOENT, "lab %s has no node '%s'", l->sd.lab, node);
	}
	f = find_iface(l->t, ret->node, colon + 1);
	if (!f)
		return nsl_err_set(err, ENOENT, "%s of lab %s has no interface '%s'",
		                   ret->node == NSL_ENDPOINT_HOST ? "the host" : node, l->sd.lab,
		                   colon + 1);
	if (f->kind != NSL_IFACE_VETH || f->link < 0)
		return nsl_err_set(err, EINVAL, "%s is %s, not an end of a link", spec,
		                   kinds[f->kind]);
	ret->f = f;
	ret->link = f->link;
	return 0;
}

void nsl_end_peer(const struct nsl_lab_rt *l, const struct nsl_end_ref *e, struct nsl_end_ref *ret)
{
	const struct nsl_link *k = &l->t->links[e->link];
	int side = k->ends[0].node == e->node && !strcmp(k->ends[0].ifname, e->f->name) ? 1 : 0;

	ret->node = k->ends[side].node;
	ret->f = find_iface(l->t, ret->node, k->ends[side].ifname);
	ret->link = e->link;
}

int nsl_lab_rt_netns(const struct nsl_lab_rt *l, int node, int *ret_netns, int *ret_pidfd,
                     struct nsl_err *err)
{
	const struct nsl_labstate_node *n;
	char path[PATH_MAX];
	struct nsl_ns_id id;
	int fd = -1, pidfd;

	*ret_netns = *ret_pidfd = -1;
	if (node == NSL_ENDPOINT_HOST)
		return 0;
	n = nsl_labstate_node(&l->st, l->t->nodes[node].name);
	if (!n)
		return nsl_err_set(err, ENOENT, "node %s is not in the state of lab %s",
		                   l->t->nodes[node].name, l->sd.lab);
	pidfd = nsl_proc_pidfd(n->pid, n->start_time);
	if (pidfd < 0)
		return nsl_err_set(
		    err, ESRCH,
		    "node %s of lab %s: its holder (pid %d) is gone; run 'nslab down "
		    "%s'",
		    n->name, l->sd.lab, (int)n->pid, l->sd.lab);
	nsl_lab_netns_path(&l->sd, n->name, path, sizeof(path));
	/* The bind, if it is the namespace the state names: a name alone proves nothing. */
	if (nsl_netns_open_bound(path, &fd, &id) <= 0 || id.dev != n->netns_dev ||
	    id.ino != n->netns_ino) {
		if (fd >= 0)
			close(fd);
		close(pidfd);
		return nsl_err_set(err, ESTALE,
		                   "node %s of lab %s: %s is not the namespace the lab recorded",
		                   n->name, l->sd.lab, path);
	}
	*ret_netns = fd;
	*ret_pidfd = pidfd;
	return 0;
}

/* A socket in e's namespace and e's index there, checked to be the lab's: a veth, and for a
 * host end the lab's mark. */
static int end_socket(const struct nsl_lab_rt *l, const struct nsl_end_ref *e, struct nsl_nl *nl,
                      int *ret_ifindex, int *ret_netns, struct nsl_err *err)
{
	struct nsl_link_info li;
	char name[2 * NSL_NAME_MAX + 8], mark[NSL_MARK_MAX];
	int netns, pidfd, rc;

	nsl_end_name(l, e, name, sizeof(name));
	rc = nsl_lab_rt_netns(l, e->node, &netns, &pidfd, err);
	if (rc < 0)
		return rc;
	rc = nsl_nl_open(nl, netns, err);
	if (ret_netns)
		*ret_netns = netns; /* the caller's now */
	else if (netns >= 0)
		close(netns);
	if (pidfd >= 0)
		close(pidfd);
	if (rc < 0)
		return rc;
	rc = nsl_nl_link_get(nl, 0, e->f->name, &li, err);
	if (rc == 0)
		rc = nsl_err_set(err, ENODEV, "%s is gone", name);
	if (rc > 0 && strcmp(li.kind, "veth"))
		rc = nsl_err_set(err, EINVAL, "%s is a %s now, not the lab's veth", name,
		                 li.kind[0] ? li.kind : "device of no kind");
	nsl_mark(mark, sizeof(mark), l->sd.lab, NULL);
	if (rc > 0 && e->node == NSL_ENDPOINT_HOST && strcmp(li.alias, mark))
		rc = nsl_err_set(err, EPERM, "host interface %s does not carry the mark of lab %s",
		                 e->f->name, l->sd.lab);
	if (rc < 0) {
		nsl_nl_close(nl);
		return rc;
	}
	*ret_ifindex = li.ifindex;
	return 0;
}

static int save(struct nsl_lab_rt *l, struct nsl_err *err)
{
	_cleanup_free_ char *text = NULL;
	int rc = nsl_runtime_format(&l->rt, &text, err);

	return rc < 0 ? rc : nsl_state_write_file(&l->sd, RUNTIME_FILE, text, strlen(text), err);
}

/* The entries of a and b (b may be NULL), made if needed; pointers valid until the next. */
static int entries(struct nsl_lab_rt *l, const struct nsl_end_ref *a, const struct nsl_end_ref *b,
                   struct nsl_runtime_iface **ra, struct nsl_runtime_iface **rb,
                   struct nsl_err *err)
{
	if (!nsl_runtime_iface(&l->rt, node_name(l, a->node), a->f->name, true) ||
	    (b && !nsl_runtime_iface(&l->rt, node_name(l, b->node), b->f->name, true)))
		return nsl_err_set(err, ENOMEM, "out of memory");
	*ra = nsl_runtime_iface(&l->rt, node_name(l, a->node), a->f->name, false);
	if (rb)
		*rb =
		    b ? nsl_runtime_iface(&l->rt, node_name(l, b->node), b->f->name, false) : NULL;
	return 0;
}

/* The device index of each next hop of a multipath route (0: none named): 1 and *ret (the
 * caller frees it), 0 when a device is gone, negative on errors. */
static int nexthop_indexes(struct nsl_nl *nl, const struct nsl_route *rt, int **ret,
                           struct nsl_err *err)
{
	int *nh = calloc(rt->n_nexthops, sizeof(*nh));
	int rc = 1;

	if (!nh)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t h = 0; rc > 0 && h < rt->n_nexthops; h++) {
		struct nsl_link_info li = {.ifindex = 0};
		if (!rt->nexthops[h].dev[0])
			continue;
		rc = nsl_nl_link_get(nl, 0, rt->nexthops[h].dev, &li, err);
		nh[h] = li.ifindex;
	}
	if (rc <= 0) {
		free(nh);
		return rc;
	}
	*ret = nh;
	return 1;
}

/* What setting an interface down took with it, put back from the topology: its IPv6
 * addresses (IPv4 ones stay) and the node's routes through it (a route waiting for another
 * link that is down comes back with that one). Already there is fine. */
static int restore(const struct nsl_lab_rt *l, const struct nsl_end_ref *e, struct nsl_nl *nl,
                   int ifindex, struct nsl_err *err)
{
	const struct nsl_node *n = e->node == NSL_ENDPOINT_HOST ? NULL : &l->t->nodes[e->node];
	int rc = 0;

	for (size_t a = 0; rc == 0 && a < e->f->n_addrs; a++) {
		rc = nsl_nl_addr_add(nl, ifindex, e->f->name, &e->f->addrs[a], err);
		if (rc == 0)
			rc = nsl_nl_flush(nl, err);
		if (rc == -EEXIST)
			rc = 0;
	}
	for (size_t r = 0; rc == 0 && n && r < n->n_routes; r++) {
		const struct nsl_route *rt = &n->routes[r];
		struct nsl_link_info li = {.ifindex = 0};
		if (rt->dev[0]) {
			rc = nsl_nl_link_get(nl, 0, rt->dev, &li, err);
			if (rc <= 0)
				continue; /* gone: nothing of ours to put back */
		}
		int *nh = NULL;
		if (rt->n_nexthops) {
			rc = nexthop_indexes(nl, rt, &nh, err);
			if (rc <= 0)
				continue; /* a next hop's device is gone, or an error */
		}
		rc = nsl_nl_route_add(nl, rt, li.ifindex, nh, err);
		free(nh);
		if (rc == 0)
			rc = nsl_nl_flush(nl, err);
		if (rc == -EEXIST || rc == -ENETUNREACH || rc == -ENETDOWN || rc == -EHOSTUNREACH)
			rc = 0;
	}
	if (rc < 0)
		nsl_err_prefix(err, "put back what the link's down removed");
	return rc;
}

/* An end's socket, index and namespace, kept for the wait. */
struct conn {
	struct nsl_nl nl;
	int ifindex;
	int netns; /* -1: the host */
};

/* The far end of a link that is down keeps its routes over it, marked linkdown, and the
 * kernel would go on using them: while the link is down, they are skipped
 * (ignore_routes_with_linkdown on that interface, IPv4 and IPv6), so that traffic fails over
 * both ways, as it does on the end that was set down, which lost them. Its old values are
 * recorded first and put back at up. A host end's are the host's: left alone. */
static const char *const families[2] = {"ipv4", "ipv6"};

struct skip_args {
	const char *ifname;
	int values[2]; /* read: out; write: in (-1: leave) */
	bool write;
};

static int skip_linkdown(void *arg)
{
	struct skip_args *a = arg;

	for (int i = 0; i < 2; i++) {
		int rc;
		char v[16];
		if (!a->write) {
			rc = nsl_sysctl_iface_read_int(
			    families[i], a->ifname, "ignore_routes_with_linkdown", &a->values[i]);
			if (rc == -ENOENT)
				a->values[i] = -1; /* no IPv6 here */
			else if (rc < 0)
				return rc;
			continue;
		}
		if (a->values[i] < 0)
			continue;
		nsl_fmt(v, sizeof(v), "%d", a->values[i]);
		rc = nsl_sysctl_iface_write(families[i], a->ifname, "ignore_routes_with_linkdown",
		                            v);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int skip_read(const struct nsl_end_ref *e, const struct conn *c, int ret[2],
                     struct nsl_err *err)
{
	struct skip_args a = {.ifname = e->f->name};
	int rc = nsl_netns_call(c->netns, skip_linkdown, &a);

	if (rc < 0)
		return nsl_err_set(err, rc, "%s: read ignore_routes_with_linkdown: %s", e->f->name,
		                   strerror(-rc));
	ret[0] = a.values[0];
	ret[1] = a.values[1];
	return 0;
}

/* Each family's value (values[i] < 0: leave that family alone). */
static int skip_write(const struct nsl_end_ref *e, const struct conn *c, const int values[2],
                      struct nsl_err *err)
{
	struct skip_args a = {.ifname = e->f->name, .write = true};
	int rc;

	a.values[0] = values[0];
	a.values[1] = values[1];
	rc = nsl_netns_call(c->netns, skip_linkdown, &a);
	if (rc < 0)
		return nsl_err_set(err, rc, "%s: write ignore_routes_with_linkdown: %s", e->f->name,
		                   strerror(-rc));
	return 0;
}

static int set_admin(const struct nsl_lab_rt *l, const struct nsl_end_ref *e, struct conn *c,
                     bool up, struct nsl_err *err)
{
	char what[2 * NSL_NAME_MAX + 16];
	struct nsl_link_change ch = {.ifindex = c->ifindex, .up = up ? 1 : 0, .netns_fd = -1};
	int rc = nsl_nl_link_change(&c->nl, &ch, nsl_end_name(l, e, what, sizeof(what)), err);

	if (rc == 0)
		rc = nsl_nl_flush(&c->nl, err);
	if (rc == 0 && up)
		rc = restore(l, e, &c->nl, c->ifindex, err);
	return rc;
}

/* Down: until the other end has lost its carrier (what a daemon there sees). Bounded. */
static int wait_carrier_lost(const struct nsl_lab_rt *l, const struct nsl_end_ref *peer,
                             struct conn *c, struct nsl_err *err)
{
	char name[2 * NSL_NAME_MAX + 8];

	for (int i = 0; i < 250; i++) {
		struct nsl_link_info li;
		int rc = nsl_nl_link_get(&c->nl, c->ifindex, NULL, &li, err);
		if (rc <= 0)
			return rc;
		if (!(li.flags & IFF_RUNNING) && li.operstate != IF_OPER_UP)
			return 0;
		usleep(20000);
	}
	return nsl_err_set(err, ETIMEDOUT, "%s still has its carrier after 5 s",
	                   nsl_end_name(l, peer, name, sizeof(name)));
}

/* Up: both ends running, with their link-local addresses, as up leaves a lab; unless an end
 * is down by other means (the topology's "up": false, a command in the node): then the link
 * cannot run, and there is nothing to wait for. */
static int wait_running(const struct nsl_lab_rt *l, const struct nsl_end_ref *ends, struct conn *c,
                        struct nsl_err *err)
{
	struct nsl_ready_ns ns[2];
	char names[2][2 * NSL_NAME_MAX + 8];

	for (int i = 0; i < 2; i++) {
		struct nsl_link_info li;
		int rc = nsl_nl_link_get(&c[i].nl, c[i].ifindex, NULL, &li, err);
		if (rc <= 0)
			return rc;
		if (!(li.flags & IFF_UP))
			return 0;
	}
	for (int i = 0; i < 2; i++) {
		const struct nsl_end_ref *e = &ends[i];
		bool v6 = access("/proc/sys/net/ipv6", F_OK) == 0 &&
		          (e->node == NSL_ENDPOINT_HOST || nsl_node_ipv6(&l->t->nodes[e->node]));
		ns[i] =
		    (struct nsl_ready_ns){.name = nsl_end_name(l, e, names[i], sizeof(names[i])),
		                          .nl = &c[i].nl,
		                          .ifindex = &c[i].ifindex,
		                          .n = 1,
		                          .ipv6 = v6};
	}
	return nsl_ready_wait(ns, 2, 10000, NULL, NULL, err);
}

static bool skips(const struct nsl_runtime_iface *r)
{
	return r->skip_linkdown[0] >= 0 || r->skip_linkdown[1] >= 0;
}

int nsl_lab_link_set(struct nsl_lab_rt *l, const struct nsl_end_ref *e, bool up,
                     struct nsl_err *err)
{
	struct nsl_end_ref ends[2];
	struct conn c[2] = {{.nl = {.fd = -1}, .netns = -1}, {.nl = {.fd = -1}, .netns = -1}};
	struct nsl_runtime_iface *r[2], old[2];
	int was[2] = {-1, -1};
	bool set[2], skip, touched = false;
	int rc;

	nsl_steps_begin(NSL_STEPS_RUNTIME);
	ends[0] = *e;
	nsl_end_peer(l, e, &ends[1]);
	if (!ends[1].f)
		return nsl_err_set(err, EINVAL, "the other end of links[%d] is unknown", e->link);
	rc = entries(l, &ends[0], &ends[1], &r[0], &r[1], err);
	for (int i = 0; rc == 0 && i < 2; i++)
		rc = end_socket(l, &ends[i], &c[i].nl, &c[i].ifindex, &c[i].netns, err);
	/* Down: the far end's routes over the link skipped (its old setting read first). */
	skip = !up && ends[1].node != NSL_ENDPOINT_HOST && !skips(r[1]);
	if (rc == 0 && skip)
		rc = skip_read(&ends[1], &c[1], was, err);
	if (rc < 0)
		goto out;
	/* Down: this end, so that the other loses its carrier, as when a cable is pulled out.
	 * Up: this end, and the other if a down set it down. */
	set[0] = true;
	set[1] = up && r[1]->admin_down;
	for (int i = 0; i < 2; i++) {
		old[i] = *r[i];
		r[i]->link_down = !up;
		r[i]->pending = true;
	}
	r[0]->admin_down = !up;
	if (up)
		r[1]->admin_down = false;
	if (skip) {
		r[1]->skip_linkdown[0] = was[0];
		r[1]->skip_linkdown[1] = was[1];
	}
	rc = nsl_step("runtime record", err);
	if (rc == 0)
		rc = save(l, err);
	if (rc == 0)
		rc = nsl_step("link", err);
	if (rc == 0 && !up && skips(r[1])) {
		int ones[2];
		for (int i = 0; i < 2; i++)
			ones[i] = r[1]->skip_linkdown[i] >= 0 ? 1 : -1;
		rc = skip_write(&ends[1], &c[1], ones, err);
		touched = true;
	}
	for (int i = 0; rc == 0 && i < 2; i++) {
		if (!set[i])
			continue;
		rc = set_admin(l, &ends[i], &c[i], up, err);
		touched = true;
	}
	if (rc == 0)
		rc =
		    up ? wait_running(l, ends, c, err) : wait_carrier_lost(l, &ends[1], &c[1], err);
	/* Up: the far end's setting as it was. */
	for (int i = 0; rc == 0 && up && i < 2; i++) {
		if (!skips(r[i]) || ends[i].node == NSL_ENDPOINT_HOST)
			continue;
		rc = skip_write(&ends[i], &c[i], r[i]->skip_linkdown, err);
		if (rc == 0)
			r[i]->skip_linkdown[0] = r[i]->skip_linkdown[1] = -1;
	}
	if (rc < 0) {
		/* The kernel unchanged: the record as it was. Else it stays pending, as it is. */
		if (!touched) {
			*r[0] = old[0];
			*r[1] = old[1];
		}
		(void)!save(l, NULL);
		goto out;
	}
	r[0]->pending = r[1]->pending = false;
	l->rt.changes++;
	rc = nsl_step("runtime record", err);
	if (rc == 0)
		rc = save(l, err);
out:
	for (int i = 0; i < 2; i++) {
		nsl_nl_close(&c[i].nl);
		if (c[i].netns >= 0)
			close(c[i].netns);
	}
	return rc;
}

void nsl_lab_impair_now(const struct nsl_lab_rt *l, const struct nsl_end_ref *e,
                        struct nsl_impair *ret)
{
	const struct nsl_runtime_iface *r = nsl_runtime_iface(
	    (struct nsl_runtime *)&l->rt, node_name(l, e->node), e->f->name, false);

	if (r && r->has_impair)
		*ret = r->impair;
	else
		nsl_iface_impair(l->t, e->f, ret);
}

static int replace_qdisc(const struct nsl_lab_rt *l, const struct nsl_end_ref *e,
                         const struct nsl_impair *im, struct nsl_err *err)
{
	struct nsl_nl nl = {.fd = -1};
	enum nsl_qdisc q = nsl_impair_qdisc(im);
	int ifindex, rc = end_socket(l, e, &nl, &ifindex, NULL, err);
	struct utsname u;

	if (rc < 0)
		return rc;
	if (q == NSL_QDISC_NETEM)
		rc =
		    nsl_nl_netem_set(&nl, ifindex, e->f->name, im, nsl_impair_limit(im), true, err);
	else if (q == NSL_QDISC_TBF)
		rc = nsl_nl_tbf_set(&nl, ifindex, e->f->name, im->rate, true, err);
	if (rc == 0 && q != NSL_QDISC_NONE)
		rc = nsl_nl_flush(&nl, err);
	if (rc == 0 && q == NSL_QDISC_NONE)
		rc = nsl_nl_qdisc_clear(&nl, ifindex, e->f->name, err);
	nsl_nl_close(&nl);
	if (rc == -ENOENT && q != NSL_QDISC_NONE) /* "Specified qdisc kind is unknown." */
		rc = nsl_err_set(err, EOPNOTSUPP,
		                 "%s need the kernel's %s qdisc (module sch_%s), and kernel %s has "
		                 "none",
		                 q == NSL_QDISC_NETEM ? "impairments" : "rates",
		                 q == NSL_QDISC_NETEM ? "netem" : "tbf",
		                 q == NSL_QDISC_NETEM ? "netem" : "tbf",
		                 uname(&u) == 0 ? u.release : "(unknown)");
	return rc;
}

int nsl_lab_impair_set(struct nsl_lab_rt *l, const struct nsl_end_ref *e,
                       const struct nsl_impair *im, struct nsl_err *err)
{
	struct nsl_runtime_iface *r, old;
	int rc;

	nsl_steps_begin(NSL_STEPS_RUNTIME);
	rc = entries(l, e, NULL, &r, NULL, err);
	if (rc < 0)
		return rc;
	old = *r;
	r->has_impair = true;
	r->impair = *im;
	r->impair.set = 0;
	r->pending = true;
	rc = nsl_step("runtime record", err);
	if (rc == 0)
		rc = save(l, err);
	if (rc == 0)
		rc = nsl_step("impair", err);
	if (rc == 0)
		rc = replace_qdisc(l, e, im, err);
	r = nsl_runtime_iface(&l->rt, node_name(l, e->node), e->f->name, false);
	if (rc < 0) {
		/* One request, refused: the kernel still has the old one. */
		*r = old;
		(void)!save(l, NULL);
		return rc;
	}
	r->pending = false;
	l->rt.changes++;
	rc = nsl_step("runtime record", err);
	return rc < 0 ? rc : save(l, err);
}

/* ---- after `apply` ---- */

static void forget_iface(struct nsl_runtime *r, const struct nsl_plan *p, int node, int iface)
{
	const struct nsl_topology *t = p->t;

	if (iface < 0)
		return;
	if (node == NSL_PLAN_HOST) {
		if ((size_t)iface < p->n_host_ifaces)
			nsl_runtime_forget(r, NSL_HOST_NODE, p->host_ifaces[iface].name);
		return;
	}
	if (node >= 0 && (size_t)node < t->n_nodes && (size_t)iface < t->nodes[node].n_ifaces)
		nsl_runtime_forget(r, t->nodes[node].name, t->nodes[node].ifaces[iface].name);
}

/* What an operation makes anew, or sets over what `nslab link` or `nslab impair` did. */
static void forget_op(struct nsl_runtime *r, const struct nsl_plan *p, const struct nsl_op *op)
{
	switch (op->kind) {
	case NSL_OP_VETH:
		forget_iface(r, p, op->veth[0].node, op->veth[0].iface);
		forget_iface(r, p, op->veth[1].node, op->veth[1].iface);
		break;
	case NSL_OP_DEVICE:
	case NSL_OP_HOST_END:
	case NSL_OP_HOST_DEV:
	case NSL_OP_CREATE:
	case NSL_OP_BRIDGE:
	case NSL_OP_RATE:
	case NSL_OP_IMPAIR:
		forget_iface(r, p, op->node, op->iface);
		break;
	default:
		break;
	}
}

int nsl_runtime_after_change(struct nsl_statedir *sd, const struct nsl_diff *d, struct nsl_err *err)
{
	_cleanup_free_ char *text = NULL, *out = NULL;
	struct nsl_runtime rt = {0};
	size_t before;
	int rc = nsl_state_read_file(sd, RUNTIME_FILE, &text, err);

	if (rc <= 0)
		return rc;
	rc = nsl_runtime_parse(text, &rt, err);
	if (rc < 0)
		return rc;
	before = rt.n;
	for (size_t i = 0; i < d->from.t->n_nodes; i++)
		if (d->gone[i])
			nsl_runtime_forget(&rt, d->from.t->nodes[i].name, NULL);
	for (size_t i = 0; i < d->del.n; i++)
		forget_op(&rt, &d->del, &d->del.ops[i]);
	for (size_t i = 0; i < d->add.n; i++)
		forget_op(&rt, &d->add, &d->add.ops[i]);
	if (rt.n != before) {
		rt.version = NSL_RUNTIME_VERSION;
		rc = nsl_runtime_format(&rt, &out, err);
		if (rc == 0)
			rc = nsl_state_write_file(sd, RUNTIME_FILE, out, strlen(out), err);
	}
	nsl_runtime_free(&rt);
	return rc;
}
