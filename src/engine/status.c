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
#include "state/statedir.h"

static cJSON *node_interfaces(const char *lab, const struct nsl_labstate_node *n)
{
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
		if (nsl_nl_link_list(&nl, &links, &n_links, &err) == 0)
			(void)!nsl_nl_addr_list(&nl, 0, &addrs, &n_addrs, &err);
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

int nsl_status_lab(const char *lab, cJSON **ret, struct nsl_err *err)
{
	struct nsl_statedir sd;
	_cleanup_free_ char *text = NULL;
	struct nsl_labstate st;
	cJSON *o, *nodes;
	int rc;

	*ret = NULL;
	rc = nsl_state_root(&sd, err);
	if (rc == 0)
		rc = nsl_state_open(&sd, lab, false, err);
	if (rc > 0)
		rc = nsl_state_read_file(&sd, "state.json", &text, err) < 0 ? -EIO : 1;
	nsl_state_close(&sd);
	if (rc <= 0)
		return rc;
	o = cJSON_CreateObject();
	if (!o)
		return nsl_err_set(err, ENOMEM, "out of memory");
	cJSON_AddStringToObject(o, "name", lab);
	if (!text || nsl_labstate_parse(text, &st, NULL) < 0) {
		cJSON_AddStringToObject(o, "state", "building or broken");
		*ret = o;
		return 1;
	}
	cJSON_AddStringToObject(o, "state", "up");
	cJSON_AddStringToObject(o, "topology", st.topology);
	cJSON_AddStringToObject(o, "topology_sha256", st.sha256);
	cJSON_AddNumberToObject(o, "generation", st.generation);
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
		cJSON_AddItemToObject(no, "interfaces", node_interfaces(lab, n));
	}
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
