/* What a lab of root's, or a rootless one, cannot have (see nsl_topology_check_for in
 * topology.h). A user other than root owns the lab's namespaces and nothing of the host: every
 * key that would change the host's network namespace is refused, each where it is written,
 * with the reason; unless the lab has an uplink, and with it a host of its own (its keeper's
 * network namespace), where host ends, host interfaces, the host's NAT and sysctls live. Pure,
 * like the rest of validation: the caller says whose lab it is. */
#include <string.h>

#include "model/topology.h"
#include "model/validate.h"

#define WHY "a rootless lab owns its nodes' namespaces, nothing of the host"
#define OR_UPLINK "needs root, or a host of the lab's own: \"host\": {\"uplink\": \"slirp4netns\"}"

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
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct nsl_node *n = &t->nodes[i];
		for (size_t k = 0; k < n->n_ifaces; k++) {
			if (!n->ifaces[k].device[0])
				continue;
			nsl_fmt(p, sizeof(p), "nodes.%s.interfaces.%s.device", n->name,
			        n->ifaces[k].name);
			nsl_v_err(c, p, "moving host device '%s' into a node needs root: " WHY,
			          n->ifaces[k].device);
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
	/* The lab's host has the uplink's interface and network. */
	struct nsl_prefix net;
	(void)nsl_prefix_parse(NSL_UPLINK_PREFIX, &net);
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
