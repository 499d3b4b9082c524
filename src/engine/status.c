/* Lab status (see status.h). */
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "engine/rootless.h"
#include "engine/status.h"
#include "engine/uidpool.h"
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

/* The node's network namespace: its bind (root) or its holder's own (a rootless lab's binds
 * are in the lab's mount namespace); 1 with *ret_fd and *ret_id, 0 if there is none. */
static int node_netns(const struct nsl_statedir *sd, const struct nsl_labstate_node *n, int pidfd,
                      int *ret_fd, struct nsl_ns_id *ret_id)
{
	char path[PATH_MAX];
	int fd;

	if (!sd->rootless) {
		nsl_lab_netns_path(sd, n->name, path, sizeof(path));
		return nsl_netns_open_bound(path, ret_fd, ret_id);
	}
	if (pidfd < 0 || (fd = nsl_proc_open_ns(pidfd, n->pid, "net")) < 0)
		return 0;
	if (nsl_ns_id_of_fd(fd, ret_id) < 0) {
		close(fd);
		return 0;
	}
	*ret_fd = fd;
	return 1;
}

static cJSON *node_interfaces(const struct nsl_statedir *sd, const struct nsl_labstate_node *n,
                              int pidfd, const struct nsl_runtime *rt)
{
	_cleanup_free_ struct nsl_qdisc_info *qd = NULL;
	size_t n_qd = 0;
	_cleanup_free_ struct nsl_link_info *links = NULL;
	_cleanup_free_ struct nsl_addr_info *addrs = NULL;
	size_t n_links = 0, n_addrs = 0;
	struct nsl_ns_id id;
	struct nsl_err err;
	struct nsl_nl nl;
	cJSON *arr = cJSON_CreateArray();
	int fd = -1;

	/* Only the namespace the state names: a name alone proves nothing. */
	if (!arr || node_netns(sd, n, pidfd, &fd, &id) <= 0)
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
	if (n->uid_base) {
		cJSON *u = cJSON_AddObjectToObject(no, "userns");
		cJSON_AddNumberToObject(u, "uid", n->uid_base);
		cJSON_AddNumberToObject(u, "gid", n->uid_base);
		cJSON_AddNumberToObject(u, "count", NSL_UID_COUNT);
	}
}

static cJSON *lab_object(const struct nsl_statedir *sd, const struct nsl_labstate *st,
                         const int *pidfds, const struct nsl_runtime *rt)
{
	cJSON *o = cJSON_CreateObject(), *nodes;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "name", sd->lab);
	cJSON_AddStringToObject(o, "state", "up");
	cJSON_AddStringToObject(o, "topology", st->topology);
	cJSON_AddStringToObject(o, "topology_sha256", st->sha256);
	cJSON_AddNumberToObject(o, "generation", st->generation);
	if (st->host[0]) /* a lab over several hosts: the part built here */
		cJSON_AddStringToObject(o, "host", st->host);
	cJSON_AddBoolToObject(o, "rootless", sd->rootless);
	if (st->keeper.pid > 0) {
		int fd = nsl_proc_pidfd(st->keeper.pid, st->keeper.start_time);
		cJSON *k = cJSON_AddObjectToObject(o, "keeper");
		cJSON_AddNumberToObject(k, "pid", st->keeper.pid);
		cJSON_AddBoolToObject(k, "alive", fd >= 0);
		if (fd >= 0)
			close(fd);
	}
	cJSON_AddStringToObject(o, "state_dir", sd->root);
	nodes = cJSON_AddArrayToObject(o, "nodes");
	for (size_t i = 0; i < st->n_nodes; i++) {
		const struct nsl_labstate_node *n = &st->nodes[i];
		cJSON *no = cJSON_CreateObject();
		char ns[2 * NSL_NAME_MAX + 2];
		cJSON_AddItemToArray(nodes, no);
		nsl_fmt(ns, sizeof(ns), "%s.%s", sd->lab, n->name);
		cJSON_AddStringToObject(no, "name", n->name);
		cJSON_AddNumberToObject(no, "pid", n->pid);
		cJSON_AddBoolToObject(no, "alive", pidfds[i] >= 0);
		cJSON_AddStringToObject(no, "netns", ns);
		cJSON_AddStringToObject(no, "hostname", n->hostname);
		node_isolation(no, n);
		if (st->host[0])
			cJSON_AddStringToObject(no, "host", st->host);
		cJSON_AddItemToObject(no, "interfaces", node_interfaces(sd, n, pidfds[i], rt));
	}
	if (st->host[0]) {
		cJSON *el = cJSON_AddArrayToObject(o, "elsewhere");
		for (size_t i = 0; el && i < st->n_elsewhere; i++) {
			cJSON *no = cJSON_CreateObject();
			cJSON_AddItemToArray(el, no);
			cJSON_AddStringToObject(no, "name", st->elsewhere[i].name);
			cJSON_AddStringToObject(no, "host", st->elsewhere[i].host);
		}
	}
	if (rt)
		cJSON_AddNumberToObject(o, "runtime_changes", rt->changes);
	return o;
}

/* A rootless lab's interfaces can be read only from inside its user namespace: a child joins
 * it (through a holder that is alive), builds the lab's object and hands it over as text. */
static cJSON *lab_object_rootless(const struct nsl_statedir *sd, const struct nsl_labstate *st,
                                  const int *pidfds, const struct nsl_runtime *rt)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0, cap = 0;
	int holder = -1, p[2], status;
	cJSON *o;
	pid_t pid;

	for (size_t i = 0; holder < 0 && i < st->n_nodes; i++)
		holder = pidfds[i];
	if (holder < 0 || pipe2(p, O_CLOEXEC) < 0)
		return lab_object(sd, st, pidfds, rt);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return lab_object(sd, st, pidfds, rt);
	}
	if (pid == 0) {
		char *s = NULL;
		close(p[0]);
		if (nsl_rootless_join_holder(holder, NULL) == 0 &&
		    (o = lab_object(sd, st, pidfds, rt)) != NULL)
			s = cJSON_PrintUnformatted(o);
		for (size_t off = 0, n = s ? strlen(s) : 0; off < n;) {
			ssize_t w = write(p[1], s + off, n - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				_exit(1);
			off += (size_t)w;
		}
		_exit(s ? 0 : 1);
	}
	close(p[1]);
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(text, cap = cap ? cap * 2 : 16384);
			if (!nb)
				break;
			text = nb;
		}
		ssize_t n = read(p[0], text + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (text)
		text[len] = 0;
	if (!text || !WIFEXITED(status) || WEXITSTATUS(status) || !(o = cJSON_Parse(text)))
		return lab_object(sd, st, pidfds, rt); /* the lab without its interfaces */
	return o;
}

int nsl_status_lab(const char *lab, cJSON **ret, struct nsl_err *err)
{
	struct nsl_statedir sd;
	_cleanup_free_ char *text = NULL, *rtext = NULL;
	_cleanup_free_ int *pidfds = NULL;
	struct nsl_runtime rt = {0};
	bool have_rt = false;
	struct nsl_labstate st;
	cJSON *o;
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
	if (!text || nsl_labstate_parse(text, &st, NULL) < 0) {
		nsl_runtime_free(&rt);
		o = cJSON_CreateObject();
		if (!o)
			return nsl_err_set(err, ENOMEM, "out of memory");
		cJSON_AddStringToObject(o, "name", lab);
		cJSON_AddStringToObject(o, "state", "building or broken");
		*ret = o;
		return 1;
	}
	pidfds = calloc(st.n_nodes + 1, sizeof(int));
	if (!pidfds) {
		nsl_runtime_free(&rt);
		nsl_labstate_free(&st);
		return nsl_err_set(err, ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < st.n_nodes; i++) {
		pidfds[i] = nsl_proc_pidfd(st.nodes[i].pid, st.nodes[i].start_time);
		pidfds[i] = pidfds[i] < 0 ? -1 : pidfds[i];
	}
	o = sd.rootless ? lab_object_rootless(&sd, &st, pidfds, have_rt ? &rt : NULL)
	                : lab_object(&sd, &st, pidfds, have_rt ? &rt : NULL);
	for (size_t i = 0; i < st.n_nodes; i++)
		if (pidfds[i] >= 0)
			close(pidfds[i]);
	nsl_runtime_free(&rt);
	nsl_labstate_free(&st);
	if (!o)
		return nsl_err_set(err, ENOMEM, "out of memory");
	*ret = o;
	return 1;
}
