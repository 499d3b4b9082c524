/* What a lab of root's, or a rootless one, cannot have (see nsl_topology_check_for in
 * topology.h). A user other than root owns the lab's namespaces and nothing of the host: every
 * key that would change the host's network namespace is refused, each where it is written,
 * with the reason; unless the lab has an uplink, and with it a host of its own (its keeper's
 * network namespace), where host ends, host interfaces (VXLANs too), the management network,
 * VXLANs whose underlay is the host's, the host's NAT and sysctls live. Moved devices, and
 * macvlans and ipvlans on host devices, need the real host: refused. Pure, like the rest of
 * validation: the caller says whose lab it is. */
#include <string.h>

#include "model/doc.h"
#include "model/topology.h"
#include "model/validate.h"

#define WHY "a rootless lab owns its nodes' namespaces, nothing of the host"
#define OR_UPLINK "needs root, or a host of the lab's own: \"host\": {\"uplink\": \"slirp4netns\"}"

/* A VXLAN made in a rootless lab's own host (a host VXLAN, or a node's whose underlay is the
 * host's): its dev must be there, a host end of the lab or the uplink's interface. */
static void check_host_dev(struct vctx *c, const char *owner, const struct nsl_iface *f)
{
	const struct nsl_topology *t = c->t;
	char p[PATH_LEN];

	if (!f->parent[0] || !strcmp(f->parent, NSL_UPLINK_IFNAME))
		return;
	for (size_t j = 0; j < t->host.n_ifaces; j++)
		if (t->host.ifaces[j].kind == NSL_IFACE_VETH &&
		    !strcmp(t->host.ifaces[j].name, f->parent))
			return;
	nsl_fmt(p, sizeof(p), "%s.%s.dev", owner, f->name);
	nsl_v_err(c, p,
	          "'%s' is not in the lab's host (a rootless lab's host has its host ends and "
	          "'%s' only)",
	          f->parent, NSL_UPLINK_IFNAME);
}

static void check_rootless(struct vctx *c)
{
	const struct nsl_topology *t = c->t;
	bool uplink = t->host.uplink != NSL_UPLINK_NONE;
	char p[PATH_LEN];

	for (size_t i = 0; !uplink && i < t->n_links; i++)
		for (int e = 0; e < 2; e++)
			if (t->links[i].ends[e].node == NSL_ENDPOINT_HOST) {
				nsl_fmt(p, sizeof(p), "links[%zu].endpoints[%d]", i, e);
				nsl_v_err(c, p, "a host end of a link " OR_UPLINK);
			}
	if (t->host.n_ifaces && !uplink)
		nsl_v_err_key(c, "host.interfaces", "a host interface " OR_UPLINK);
	/* An overlay over the host's root: the kernel lets no user namespace clone "/" (its
	 * mounts are locked to it) as an overlay's lower layer. A tree of one's own works. */
	bool top = false;
	for (size_t i = 0; i < t->n_nodes; i++) {
		if (t->nodes[i].rootfs.kind != NSL_ROOTFS_OVERLAY)
			continue;
		nsl_fmt(p, sizeof(p), "nodes.%s.rootfs", t->nodes[i].name);
		const struct nsl_dnode *d = t->doc ? nsl_doc_locate(t->doc, p) : NULL;
		if (t->doc && !(d && d->key && !strcmp(d->key, "rootfs"))) { /* the lab's default */
			if (top)
				continue;
			top = true;
			nsl_fmt(p, sizeof(p), "rootfs");
		}
		nsl_v_err(c, p,
		          "\"overlay\" (the host's file system under a layer of the node's own) "
		          "needs root: the kernel gives a user namespace no overlay over the "
		          "host's root, whose mounts are locked to it; a directory tree works "
		          "(\"rootfs\": \"DIR\")");
	}
	/* A user namespace per node: the lab's nodes all live in the lab's own already, whose
	 * root is the user; ranges of the host's ids are root's to give. */
	for (size_t i = 0; i < t->n_nodes; i++)
		if (t->nodes[i].namespaces & NSL_NS_USER) {
			nsl_fmt(p, sizeof(p), "nodes.%s.namespaces", t->nodes[i].name);
			nsl_v_err(
			    c, p,
			    "\"user\" needs root: a rootless lab's nodes live in the lab's own "
			    "user namespace already, whose root is the user");
		}
	/* Limits: cgroups made in the host's hierarchy, which gives a user none of its own. */
	for (size_t i = 0; i < t->n_nodes; i++)
		if (t->nodes[i].limits.set) {
			nsl_fmt(p, sizeof(p), "nodes.%s.limits", t->nodes[i].name);
			nsl_v_err_key(
			    c, p,
			    "limits need root: they are cgroups of the host's cgroup tree, "
			    "where a user has none of its own");
		}
	/* A lab over several hosts: the other machines send its links' VXLANs to this one's
	 * underlay address, a socket in the real host (an uplink's host cannot be reached). */
	if (t->n_hosts)
		nsl_v_err_key(c, "hosts",
		              "a lab over several hosts needs root: its links between hosts are "
		              "VXLANs whose sockets are in the host, where the other hosts send");
	if (t->mgmt.set && !uplink)
		nsl_v_err_key(c, "mgmt",
		              "a management network (a bridge in the host, a port of it for each "
		              "node) " OR_UPLINK);
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct nsl_node *n = &t->nodes[i];
		for (size_t k = 0; k < n->n_ifaces; k++) {
			const struct nsl_iface *f = &n->ifaces[k];
			if (f->declared == NSL_IFACE_VXLAN && f->vxlan.host_underlay && !uplink) {
				nsl_fmt(p, sizeof(p), "nodes.%s.interfaces.%s.underlay", n->name,
				        f->name);
				nsl_v_err(c, p, "a VXLAN whose underlay is the host's " OR_UPLINK);
			}
			if (!f->device[0])
				continue;
			nsl_fmt(p, sizeof(p), "nodes.%s.interfaces.%s.device", n->name, f->name);
			if (f->declared == NSL_IFACE_MACVLAN || f->declared == NSL_IFACE_IPVLAN)
				nsl_v_err(
				    c, p,
				    "%s on host device '%s' needs root (it is made from the "
				    "host, on the host's interface): " WHY "; give it a \"parent\" "
				    "of the node",
				    f->declared == NSL_IFACE_MACVLAN ? "a macvlan" : "an ipvlan",
				    f->device);
			else
				nsl_v_err(c, p,
				          "moving host device '%s' into a node needs root: " WHY,
				          f->device);
		}
	}
	if (t->host.n_nat && !uplink)
		nsl_v_err_key(c, "host.nat",
		              "NAT in the host " OR_UPLINK " (a node's own \"nat\" works)");
	if (t->host.n_sysctls && !uplink)
		nsl_v_err_key(c, "host.sysctls",
		              "a sysctl of the host " OR_UPLINK " (a node's own \"sysctls\" work)");
	if (!uplink)
		return;
	/* The lab's host is a network namespace of its own: the host ends of its links and the
	 * uplink's interface are all it has. */
	for (size_t k = 0; k < t->host.n_ifaces; k++)
		if (t->host.ifaces[k].kind == NSL_IFACE_VXLAN)
			check_host_dev(c, "host.interfaces", &t->host.ifaces[k]);
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t k = 0; k < t->nodes[i].n_ifaces; k++)
			if (t->nodes[i].ifaces[k].vxlan.host_underlay) {
				nsl_fmt(p, sizeof(p), "nodes.%s.interfaces", t->nodes[i].name);
				check_host_dev(c, p, &t->nodes[i].ifaces[k]);
			}
	if (t->mgmt.set && !strcmp(t->mgmt.bridge, NSL_UPLINK_IFNAME))
		nsl_v_err(c, "mgmt.bridge", "'%s' is the uplink's interface in the lab's host",
		          NSL_UPLINK_IFNAME);
	/* The lab's host has the uplink's interface and network. */
	struct nsl_prefix net;
	(void)nsl_prefix_parse(NSL_UPLINK_PREFIX, &net);
	if (t->mgmt.set && t->mgmt.has4 && nsl_prefix_overlap(&t->mgmt.subnet, &net)) {
		char b[64];
		nsl_v_err(c, "mgmt.subnet", "%s overlaps the uplink's network " NSL_UPLINK_PREFIX,
		          nsl_prefix_str(&t->mgmt.subnet, b, sizeof(b)));
	}
	for (size_t k = 0; k < t->host.n_ifaces; k++) {
		const struct nsl_iface *f = &t->host.ifaces[k];
		char b[64];
		if (!strcmp(f->name, NSL_UPLINK_IFNAME)) {
			nsl_fmt(p, sizeof(p), "host.interfaces.%s", f->name);
			nsl_v_err_key(c, p, "'%s' is the uplink's interface in the lab's host",
			              NSL_UPLINK_IFNAME);
		}
		for (size_t a = 0; a < f->n_addrs; a++)
			if (nsl_prefix_overlap(&f->addrs[a], &net)) {
				nsl_fmt(p, sizeof(p), "host.interfaces.%s.addresses[%zu]", f->name,
				        a);
				nsl_v_err(c, p,
				          "%s overlaps the uplink's network " NSL_UPLINK_PREFIX,
				          nsl_prefix_str(&f->addrs[a], b, sizeof(b)));
			}
	}
}

int nsl_topology_check_for(const struct nsl_topology *t, bool rootless, struct nsl_diags *d)
{
	struct vctx c = {.t = (struct nsl_topology *)t, .d = d};

	if (rootless)
		check_rootless(&c);
	else if (t->host.uplink != NSL_UPLINK_NONE)
		nsl_v_err(
		    &c, "host.uplink",
		    "an uplink is for rootless labs (a user's): root's lab has the host itself");
	return c.errors ? -EINVAL : 0;
}
