/* The executor's room for interfaces of a kind (in a node's batch, or sent from the host for
 * a macvlan on a host device: born in the node, nothing of it in the host) and for devices
 * made in the host (the management network's bridge, host VXLANs): journaled with a MAC of
 * our own choosing before they exist, marked with the lab's alias right after. */
#include <net/if.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "engine/apply_impl.h"
#include "engine/fault.h"
#include "engine/marks.h"
#include "kernel/sysctl.h"

static int host_index(struct nsl_apply *a, const char *name, struct nsl_err *err);

int nsl_apply_create(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err)
{
	const struct nsl_iface *f = nsl_plan_iface(a->plan, op->node, op->iface);
	struct nsl_link_spec s = {
	    .f = f,
	    .ifindex = nsl_apply_ifindex(a, op->node, op->iface),
	    .netns_fd = -1,
	    .mac = f->kind == NSL_IFACE_IPVLAN
	               ? NULL
	               : nsl_apply_mac(a, op->node, op->iface, f->has_mac ? f->mac : NULL)};
	struct nsl_nl *nl;
	int rc = nsl_apply_predelete(a, op->node, f->name, err);

	if (rc < 0)
		return rc;
	if (op->create.from_host && f->kind == NSL_IFACE_VXLAN) {
		/* its underlay is the host's: sent from there (its socket stays), born in the
		 * node */
		s.netns_fd = a->nodes[op->node].netns_fd;
		rc = 0;
		if (f->parent[0]) {
			rc = nsl_apply_settle(a, err);
			if (rc == 0)
				rc = host_index(a, f->parent, err);
			s.vxlan_dev = rc > 0 ? rc : 0;
			rc = rc > 0 ? 0 : rc;
		}
		if (rc == 0)
			rc = nsl_apply_socket(a, NSL_PLAN_HOST, &nl, err);
	} else if (op->create.from_host) {
		/* the lower device is the host's: sent from there, born in the node */
		s.netns_fd = a->nodes[op->node].netns_fd;
		s.link = nsl_host_lower(a->facts, op->node, op->iface);
		if (!s.link)
			return nsl_err_set(err, ENODEV, "%s %s: host device %s not checked",
			                   nsl_iface_kind_name(f->kind), f->name, f->device);
		rc = nsl_apply_socket(a, NSL_PLAN_HOST, &nl, err);
	} else {
		int lower =
		    op->create.lower >= 0 ? nsl_apply_ifindex(a, op->node, op->create.lower) : 0;
		if (f->kind == NSL_IFACE_VXLAN)
			s.vxlan_dev = lower;
		else
			s.link = lower;
		rc = nsl_apply_socket(a, op->node, &nl, err);
	}
	if (rc == 0)
		rc = nsl_nl_link_add(nl, &s, err);
	return nsl_apply_blame(a, op->node, rc, err);
}

/* A locally administered unicast MAC nobody else chose: what proves the device ours until it
 * carries the lab's mark (the kernel takes no alias in the message that creates a link). */
static int random_mac(uint8_t mac[6], struct nsl_err *err)
{
	ssize_t n;

	do
		n = getrandom(mac, 6, 0);
	while (n < 0 && errno == EINTR);
	if (n != 6)
		return nsl_err_set(err, n < 0 ? errno : EIO, "random MAC: %m");
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
	return 0;
}

/* The host index of a host interface by name: one the lab made (host_ifaces), or the host's. */
static int host_index(struct nsl_apply *a, const char *name, struct nsl_err *err)
{
	struct nsl_link_info li;
	int rc;

	/* the lab's host interfaces have the indexes it chose (they exist by now) */
	for (size_t k = 0; k < a->plan->n_host_ifaces; k++)
		if (!strcmp(a->plan->host_ifaces[k].name, name))
			return nsl_apply_ifindex(a, NSL_PLAN_HOST, (int)k);
	rc = nsl_nl_link_get(a->host, 0, name, &li, err);
	if (rc == 0)
		rc = nsl_err_set(err, ENODEV, "host interface %s: not found", name);
	return rc < 0 ? rc : li.ifindex;
}

int nsl_apply_host_dev(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err)
{
	const struct nsl_iface *f = nsl_plan_iface(a->plan, NSL_PLAN_HOST, op->iface);
	bool bridge = f->kind == NSL_IFACE_BRIDGE;
	struct nsl_rec r = {.kind = NSL_REC_HOSTDEV};
	char mark[NSL_MARK_MAX], what[64];
	struct nsl_link_info li;
	struct nsl_link_spec s = {.f = f, .netns_fd = -1};
	uint8_t mac[6];
	struct nsl_nl *nl;
	int rc = nsl_apply_settle(a, err);

	if (rc == 0 && f->has_mac)
		memcpy(mac, f->mac, 6);
	else if (rc == 0)
		rc = random_mac(mac, err);
	if (rc == 0 && !bridge && f->parent[0]) {
		rc = host_index(a, f->parent, err);
		s.vxlan_dev = rc > 0 ? rc : 0;
		rc = rc > 0 ? 0 : rc;
	}
	if (rc < 0)
		return nsl_apply_blame(a, NSL_PLAN_HOST, rc, err);
	r.hostdev.name = f->name;
	r.hostdev.kind = bridge ? "bridge" : "vxlan";
	memcpy(r.hostdev.mac, mac, 6);
	rc = nsl_apply_journal(a, &r, err);
	if (rc == 0)
		rc = nsl_apply_socket(a, NSL_PLAN_HOST, &nl, err);
	if (rc == 0 && bridge)
		rc = nsl_nl_bridge_add(nl, f->name, nsl_apply_ifindex(a, NSL_PLAN_HOST, op->iface),
		                       false, f->mtu, mac, err);
	else if (rc == 0) {
		s.mac = mac;
		s.ifindex = nsl_apply_ifindex(a, NSL_PLAN_HOST, op->iface);
		rc = nsl_nl_link_add(nl, &s, err);
	}
	if (rc == 0)
		rc = nsl_apply_settle(a, err);
	if (rc == 0)
		rc = nsl_nl_link_get(a->host, 0, f->name, &li, err);
	if (rc == 0)
		rc =
		    nsl_err_set(err, ENODEV, "host interface %s: gone after its creation", f->name);
	if (rc < 0)
		return nsl_apply_blame(a, NSL_PLAN_HOST, rc, err);
	a->host_ifindex[op->iface] = li.ifindex;
	/* a step between its birth and its mark: until the mark, the MAC proves it ours */
	nsl_fmt(what, sizeof(what), "host %s %s: mark", r.hostdev.kind, f->name);
	rc = nsl_step(what, err);
	if (rc < 0)
		return rc;
	/* the host's DAD would keep its link-local address tentative for seconds */
	if (access("/proc/sys/net/ipv6", F_OK) == 0) {
		rc = nsl_sysctl_iface_write("ipv6", f->name, "accept_dad", "0");
		if (rc < 0)
			return nsl_apply_blame(a, NSL_PLAN_HOST,
			                       nsl_err_set(err, -rc,
			                                   "host interface %s: disable DAD: %s",
			                                   f->name, strerror(-rc)),
			                       err);
	}
	nsl_mark(mark, sizeof(mark), a->plan->lab, NULL);
	/* a bridge comes up now, a vxlan when the lab is addressed (a link op of the plan) */
	struct nsl_link_change c = {
	    .ifindex = li.ifindex, .up = bridge && f->up ? 1 : -1, .netns_fd = -1, .alias = mark};
	nsl_fmt(what, sizeof(what), "host interface %s", f->name);
	rc = nsl_apply_socket(a, NSL_PLAN_HOST, &nl, err);
	if (rc == 0)
		rc = nsl_nl_link_change(nl, &c, what, err);
	return nsl_apply_blame(a, NSL_PLAN_HOST, rc, err);
}
