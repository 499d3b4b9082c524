/* What a rootless lab cannot have (see nsl_topology_check_rootless in topology.h). A user
 * other than root owns the lab's namespaces and nothing of the host: every key that would
 * change the host's network namespace is refused, each where it is written, with the reason.
 * Pure, like the rest of validation: the caller says whether the lab is rootless. */
#include <string.h>

#include "model/topology.h"
#include "model/validate.h"

#define WHY "a rootless lab owns its nodes' namespaces, nothing of the host"

int nsl_topology_check_rootless(const struct nsl_topology *t, struct nsl_diags *d)
{
	struct vctx c = {.t = (struct nsl_topology *)t, .d = d};
	char p[PATH_LEN];

	for (size_t i = 0; i < t->n_links; i++)
		for (int e = 0; e < 2; e++)
			if (t->links[i].ends[e].node == NSL_ENDPOINT_HOST) {
				nsl_fmt(p, sizeof(p), "links[%zu].endpoints[%d]", i, e);
				nsl_v_err(&c, p, "a host end of a link needs root: " WHY);
			}
	if (t->host.n_ifaces)
		nsl_v_err_key(&c, "host.interfaces", "host interfaces need root: " WHY);
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct nsl_node *n = &t->nodes[i];
		for (size_t k = 0; k < n->n_ifaces; k++) {
			if (!n->ifaces[k].device[0])
				continue;
			nsl_fmt(p, sizeof(p), "nodes.%s.interfaces.%s.device", n->name,
			        n->ifaces[k].name);
			nsl_v_err(&c, p, "moving host device '%s' into a node needs root: " WHY,
			          n->ifaces[k].device);
		}
	}
	if (t->host.n_nat)
		nsl_v_err_key(&c, "host.nat",
		              "NAT in the host needs root: " WHY " (a node's own \"nat\" works)");
	if (t->host.n_sysctls)
		nsl_v_err_key(&c, "host.sysctls",
		              "the host's sysctls need root: " WHY " (a node's own \"sysctls\" "
		              "work)");
	return c.errors ? -EINVAL : 0;
}
