/* Readiness of links (see ready.h): one dump per namespace per pass, passes over the
 * namespaces not ready yet with one short sleep between. */
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <time.h>

#include "engine/fault.h"
#include "engine/ready.h"

#ifndef IF_OPER_UP
#define IF_OPER_UP 6 /* RFC 2863, <linux/if.h> */
#endif
#define LACP_FLOWING 0x30 /* AD_STATE_COLLECTING | AD_STATE_DISTRIBUTING (802.3ad) */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* <linux/if.h>, which clashes with <net/if.h> */
#endif

/* Whether the kernel ever joins a solicited-node group on ifindex: never on an interface
 * without neighbour discovery (IFF_NOARP: an ipvlan in l3 or l3s mode) or a loopback. Asked
 * only of an address whose group is missing, the links dumped once. */
static int never_joins(const struct nsl_ready_ns *ns, int ifindex, struct nsl_link_info **links,
                       size_t *n_links, struct nsl_err *err)
{
	if (!*links) {
		int rc = nsl_nl_link_list(ns->nl, links, n_links, err);
		if (rc < 0)
			return rc;
	}
	for (size_t l = 0; l < *n_links; l++)
		if ((*links)[l].ifindex == ifindex)
			return ((*links)[l].flags & (IFF_NOARP | IFF_LOOPBACK)) != 0;
	return 0;
}

/* An address given without duplicate detection (nslab's own: IFA_F_NODAD) is usable at once,
 * but the kernel joins its solicited-node group (ff02::1:ffXX:XXXX) later, from its address
 * work: until then a neighbour solicitation for it is dropped, and the asker tries again only
 * a second later (a first ping lost). 1 if every such address of ours has its group. */
static int groups_joined(const struct nsl_ready_ns *ns, const struct nsl_addr_info *addrs,
                         size_t n_addrs, struct nsl_err *err)
{
	_cleanup_free_ struct nsl_mcast6_info *groups = NULL;
	_cleanup_free_ struct nsl_link_info *links = NULL;
	size_t n_groups = 0, n_links = 0;
	bool listed = false;

	for (size_t a = 0; a < n_addrs; a++) {
		const struct nsl_addr_info *ad = &addrs[a];
		bool ours = false, joined = false;
		uint8_t want[16] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};

		for (size_t i = 0; i < ns->n && !ours; i++)
			ours = ad->ifindex == ns->ifindex[i];
		if (!ours || ad->prefix.ip.family != AF_INET6 || !(ad->flags & IFA_F_NODAD))
			continue;
		if (!listed) {
			int rc = nsl_nl_mcast6_list(ns->nl, &groups, &n_groups, err);
			if (rc < 0)
				return rc;
			listed = true;
		}
		memcpy(want + 13, ad->prefix.ip.bytes + 13, 3);
		for (size_t g = 0; g < n_groups && !joined; g++)
			joined =
			    groups[g].ifindex == ad->ifindex && !memcmp(groups[g].group, want, 16);
		if (!joined) {
			int rc = never_joins(ns, ad->ifindex, &links, &n_links, err);
			if (rc <= 0)
				return rc;
		}
	}
	return 1;
}

/* 1 ready, 0 not yet, negative on error. */
static int ns_ready(const struct nsl_ready_ns *ns, struct nsl_err *err)
{
	_cleanup_free_ struct nsl_link_info *links = NULL;
	_cleanup_free_ struct nsl_addr_info *addrs = NULL;
	size_t n_links = 0, n_addrs = 0;
	int rc = 0, ready = 1;

	/* The kernel adds the link-local address only once its link watcher has set the
	 * operstate and activated the qdisc: with IPv6, the addresses say it all. */
	if (ns->ipv6)
		rc = nsl_nl_addr_list(ns->nl, 0, &addrs, &n_addrs, err);
	if (rc == 0 && (!ns->ipv6 || ns->n_lacp))
		rc = nsl_nl_link_list(ns->nl, &links, &n_links, err);
	if (rc < 0)
		return rc;
	/* LACP: both ends agree the port carries traffic */
	for (size_t i = 0; i < ns->n_lacp; i++) {
		bool on = false;
		for (size_t l = 0; l < n_links; l++)
			if (links[l].ifindex == ns->lacp[i])
				on = links[l].lacp_state >= 0 &&
				     (links[l].lacp_state & LACP_FLOWING) == LACP_FLOWING;
		if (!on)
			return 0;
	}
	/* Only the lab's interfaces: the host may have tentative addresses of its own forever
	 * (an IPv6 address on a cable-less NIC). */
	for (size_t a = 0; a < n_addrs; a++) {
		bool ours = false;
		for (size_t i = 0; i < ns->n && !ours; i++)
			ours = addrs[a].ifindex == ns->ifindex[i];
		if (ours && (addrs[a].flags & IFA_F_TENTATIVE) &&
		    !(addrs[a].flags & IFA_F_DADFAILED))
			ready = 0;
	}
	for (size_t i = 0; ready && i < ns->n; i++) {
		bool running = ns->ipv6, lladdr = !ns->ipv6;
		/* with IPv6 the link dump is for LACP only */
		for (size_t l = 0; !ns->ipv6 && l < n_links; l++)
			if (links[l].ifindex == ns->ifindex[i])
				running = (links[l].flags & (IFF_UP | IFF_LOWER_UP)) ==
				              (IFF_UP | IFF_LOWER_UP) &&
				          links[l].operstate == IF_OPER_UP;
		for (size_t a = 0; !lladdr && a < n_addrs; a++)
			lladdr = addrs[a].ifindex == ns->ifindex[i] &&
			         addrs[a].prefix.ip.family == AF_INET6 &&
			         addrs[a].scope == RT_SCOPE_LINK;
		ready = running && lladdr;
	}
	if (ready && ns->ipv6)
		ready = groups_joined(ns, addrs, n_addrs, err);
	return ready;
}

int nsl_ready_wait(struct nsl_ready_ns *ns, size_t n, int timeout_ms,
                   struct nsl_progress_sink *progress, const char *phase, struct nsl_err *err)
{
	uint64_t deadline = nsl_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	size_t pending = n;

	for (;;) {
		size_t still = 0;
		for (size_t p = 0; p < pending; p++) {
			int rc = ns_ready(&ns[p], err);
			if (rc < 0) {
				nsl_err_prefix(err, "%s", ns[p].name);
				return rc;
			}
			if (rc == 0)
				ns[still++] = ns[p];
		}
		pending = still;
		nsl_progress_report(progress, phase, n - pending, n);
		if (!pending)
			return 0;
		if (nsl_now_ns() > deadline)
			return nsl_err_set(
			    err, ETIMEDOUT,
			    "%s: links not up, IPv6 addresses still tentative or without their "
			    "solicited-node group, or LACP not agreed, after %d s",
			    ns[0].name, timeout_ms / 1000);
		if (nsl_interrupted)
			return nsl_err_set(err, EINTR, "interrupted");
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
}
