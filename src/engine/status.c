/* Lab status (see status.h). */
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "engine/status.h"
#include "kernel/netlink.h"
#include "kernel/ns.h"
#include "kernel/proc.h"
#include "state/labstate.h"
#include "state/runtime.h"
#include "state/statedir.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* <linux/if.h> */
#endif

static const char *const operstates[] = {"unknown", "notpresent", "down", "lowerlayerdown",
                                         "testing", "dormant",    "up"};

/* An impairment as the topology writes one: its non-zero keys. */
static cJSON *impair_json(const struct nsl_impair *im)
{
	cJSON *o = cJSON_CreateObject();

	for (unsigned k = 0; o && k < NSL_IMP_KEYS; k++) {
		char v[32];
		if (nsl_impair_value(im, 1u << k))
			cJSON_AddStringToObject(o, nsl_impair_keys[k],
			                        nsl_impair_value_str(im, 1u << k, v, sizeof(v)));
	}
	return o;
}

/* What the kernel does to the packets leaving an interface and what `nslab link` and
 * `nslab impair` did to it. */
static void iface_runtime(cJSON *o, const struct nsl_link_info *li, const struct nsl_qdisc_info *q,
                          size_t n_q, const struct nsl_runtime *rt, const char *node)
{
	const struct nsl_runtime_iface *r =
	    rt ? nsl_runtime_iface((struct nsl_runtime *)rt, node, li->name, false) : NULL;

	cJSON_AddBoolToObject(o, "carrier", (li->flags & IFF_LOWER_UP) != 0);
	cJSON_AddStringToObject(
	    o, "operstate",
	    li->operstate < NSL_ARRAY_SIZE(operstates) ? operstates[li->operstate] : "unknown");
	for (size_t i = 0; i < n_q; i++) {
		if (q[i].ifindex != li->ifindex)
			continue;
		if (!strcmp(q[i].kind, "netem") || !strcmp(q[i].kind, "tbf")) {
			cJSON_AddItemToObject(o, "impair", impair_json(&q[i].impair));
			cJSON_AddStringToObject(o, "qdisc", q[i].kind);
		}
	}
	if (r && r->link_down)
		cJSON_AddStringToObject(o, "link", "down");
	if (r && r->pending)
		cJSON_AddBoolToObject(o, "change_pending", true);
}

static cJSON *node_interfaces(const char *lab, const struct nsl_labstate_node *n,
                              const struct nsl_runtime *rt)
{
	_cleanup_free_ struct nsl_qdisc_info *qd = NULL;
	size_t n_qd = 0;
	char path[sizeof(NSL_NETNS_DIR) + 2 * NSL_NAME_MAX + 4];
	_cleanup_free_ struct nsl_link_info *links = NULL;
	_cleanup_free_ struct nsl_addr_info *addrs = NULL;
	size_t n_links = 0, n_addrs = 0;
	struct nsl_ns_id id;
	struct nsl_err err;
	struct nsl_nl nl;
	cJSON *arr = cJSON_CreateArray();
	int fd = -1;

	nsl_fmt(path, sizeof(path), NSL_NETNS_DIR "/%s.%s", lab, n->name);
	/* Only the namespace the state names: a name alone proves nothing. */
	if (!arr || nsl_netns_open_bound(path, &fd, &id) <= 0)
		return arr;
	if (id.ino == n->netns_ino && id.dev == n->netns_dev && nsl_nl_open(&nl, fd, &err) == 0) {
		if (nsl_nl_link_list(&nl, &links, &n_links, &err) == 0 &&
		    nsl_nl_addr_list(&nl, 0, &addrs, &n_addrs, &err) == 0)
			(void)!nsl_nl_qdisc_list(&nl, &qd, &n_qd, &err);
		nsl_nl_close(&nl);
	}
	close(fd);
	for (size_t i = 0; i < n_links; i++) {
		cJSON *o = cJSON_CreateObject(), *a;
		char mac[18];
		cJSON_AddItemToArray(arr, o);
		cJSON_AddStringToObject(o, "name", links[i].name);
		cJSON_AddStringToObject(o, "state", links[i].flags & IFF_UP ? "up" : "down");
		cJSON_AddNumberToObject(o, "mtu", links[i].mtu);
		if (links[i].has_mac) {
			const uint8_t *m = links[i].mac;
			snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
			         m[2], m[3], m[4], m[5]);
			cJSON_AddStringToObject(o, "mac", mac);
		}
		if (links[i].kind[0])
			cJSON_AddStringToObject(o, "kind", links[i].kind);
		iface_runtime(o, &links[i], qd, n_qd, rt, n->name);
		a = cJSON_AddArrayToObject(o, "addresses");
		for (size_t k = 0; k < n_addrs; k++) {
			char buf[64];
			if (addrs[k].ifindex != links[i].ifindex || addrs[k].scope == RT_SCOPE_LINK)
				continue;
			cJSON_AddItemToArray(a, cJSON_CreateString(nsl_prefix_str(
			                            &addrs[k].prefix, buf, sizeof(buf))));
		}
	}
	return arr;
}

/* What the node is isolated by: its root, its namespaces, its limits and cgroup. */
static void node_isolation(cJSON *no, const struct nsl_labstate_node *n)
{
	static const char *const always[] = {"net", "mnt", "pid", "uts"};
	cJSON *ns;

	cJSON_AddStringToObject(no, "root", n->root ? n->root : "host");
	ns = cJSON_AddArrayToObject(no, "namespaces");
	for (size_t i = 0; i < NSL_ARRAY_SIZE(always); i++)
		cJSON_AddItemToArray(ns, cJSON_CreateString(always[i]));
	for (unsigned bit = 1; bit & NSL_NS_ALL; bit <<= 1)
		if (n->namespaces & bit)
			cJSON_AddItemToArray(ns, cJSON_CreateString(nsl_ns_name(bit)));
	if (n->limits.set) {
		cJSON *l = cJSON_AddObjectToObject(no, "limits");
		if (n->limits.memory)
			cJSON_AddNumberToObject(l, "memory", (double)n->limits.memory);
		if (n->limits.pids)
			cJSON_AddNumberToObject(l, "pids", (double)n->limits.pids);
		if (n->limits.cpu_milli)
			cJSON_AddNumberToObject(l, "cpu", n->limits.cpu_milli / 1000.0);
	}
	if (n->cgroup)
		cJSON_AddStringToObject(no, "cgroup", n->cgroup);
}

int nsl_status_lab(const char *lab, cJSON **ret, struct nsl_err *err)
{
	struct nsl_statedir sd;
	_cleanup_free_ char *text = NULL, *rtext = NULL;
	struct nsl_runtime rt = {0};
	bool have_rt = false;
	struct nsl_labstate st;
	cJSON *o, *nodes;
	int rc;

	*ret = NULL;
	rc = nsl_state_root(&sd, err);
	if (rc == 0)
		rc = nsl_state_open(&sd, lab, false, err);
	if (rc > 0)
		rc = nsl_state_read_file(&sd, "state.json", &text, err) < 0 ? -EIO : 1;
	if (rc > 0 && nsl_state_read_file(&sd, "runtime.json", &rtext, NULL) > 0)
		have_rt = nsl_runtime_parse(rtext, &rt, NULL) == 0;
	nsl_state_close(&sd);
	if (rc <= 0)
		return rc;
	o = cJSON_CreateObject();
	if (!o)
		return nsl_err_set(err, ENOMEM, "out of memory");
	cJSON_AddStringToObject(o, "name", lab);
	if (!text || nsl_labstate_parse(text, &st, NULL) < 0) {
		nsl_runtime_free(&rt);
		cJSON_AddStringToObject(o, "state", "building or broken");
		*ret = o;
		return 1;
	}
	cJSON_AddStringToObject(o, "state", "up");
	cJSON_AddStringToObject(o, "topology", st.topology);
	cJSON_AddStringToObject(o, "topology_sha256", st.sha256);
	cJSON_AddNumberToObject(o, "generation", st.generation);
	if (st.host[0]) /* a lab over several hosts: the part built here */
		cJSON_AddStringToObject(o, "host", st.host);
	nodes = cJSON_AddArrayToObject(o, "nodes");
	for (size_t i = 0; i < st.n_nodes; i++) {
		const struct nsl_labstate_node *n = &st.nodes[i];
		cJSON *no = cJSON_CreateObject();
		char ns[2 * NSL_NAME_MAX + 2];
		int fd = nsl_proc_pidfd(n->pid, n->start_time);
		cJSON_AddItemToArray(nodes, no);
		nsl_fmt(ns, sizeof(ns), "%s.%s", lab, n->name);
		cJSON_AddStringToObject(no, "name", n->name);
		cJSON_AddNumberToObject(no, "pid", n->pid);
		cJSON_AddBoolToObject(no, "alive", fd >= 0);
		if (fd >= 0)
			close(fd);
		cJSON_AddStringToObject(no, "netns", ns);
		cJSON_AddStringToObject(no, "hostname", n->hostname);
		node_isolation(no, n);
		if (st.host[0])
			cJSON_AddStringToObject(no, "host", st.host);
		cJSON_AddItemToObject(no, "interfaces",
		                      node_interfaces(lab, n, have_rt ? &rt : NULL));
	}
	if (st.host[0]) {
		cJSON *el = cJSON_AddArrayToObject(o, "elsewhere");
		for (size_t i = 0; el && i < st.n_elsewhere; i++) {
			cJSON *no = cJSON_CreateObject();
			cJSON_AddItemToArray(el, no);
			cJSON_AddStringToObject(no, "name", st.elsewhere[i].name);
			cJSON_AddStringToObject(no, "host", st.elsewhere[i].host);
		}
	}
	if (have_rt)
		cJSON_AddNumberToObject(o, "runtime_changes", rt.changes);
	nsl_runtime_free(&rt);
	nsl_labstate_free(&st);
	*ret = o;
	return 1;
}

int nsl_status_labs(char ***ret, size_t *ret_n, struct nsl_err *err)
{
	struct nsl_statedir sd;
	int rc = nsl_state_root(&sd, err);

	if (rc == 0)
		rc = nsl_state_list(&sd, ret, ret_n, err);
	nsl_state_close(&sd);
	return rc;
}
