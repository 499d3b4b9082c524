/* The executor (see apply.h). Each operation: a step, its journal record if it has one, then
 * the change through a door of src/kernel. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/apply.h"
#include "engine/apply_impl.h"
#include "engine/cgroup_lab.h"
#include "engine/fault.h"
#include "engine/probe.h"
#include "engine/ready.h"
#include "engine/rootless.h"
#include "kernel/ns.h"
#include "state/labstate.h"

#define READY_TIMEOUT_MS 10000
#define READY_LACP_TIMEOUT_MS 30000 /* LACP agrees in seconds (more under emulation) */

const char *const nsl_phase_names[NSL_PHASES] = {
    "holders", "netns binds", "devices", "links", "nodes", "host", "exec", "ready", "commit",
};

const char *const nsl_phase_progress[NSL_PHASES] = {
    "nodes", "names", "devices", "links", "interfaces", "host", "exec", "ready", "commit",
};

static enum nsl_phase phase_of(const struct nsl_op *op)
{
	switch (op->kind) {
	case NSL_OP_NODE:
		return NSL_PHASE_HOLDERS;
	case NSL_OP_BIND:
		return NSL_PHASE_BINDS;
	case NSL_OP_DEVICE:
		return NSL_PHASE_DEVICES;
	case NSL_OP_VETH:
	case NSL_OP_HOST_END:
		return NSL_PHASE_LINKS;
	case NSL_OP_EXEC:
		return NSL_PHASE_EXEC;
	case NSL_OP_WAIT:
	case NSL_OP_READY:
		return NSL_PHASE_READY;
	case NSL_OP_COMMIT:
		return NSL_PHASE_COMMIT;
	default:
		return op->node == NSL_PLAN_HOST ? NSL_PHASE_HOST : NSL_PHASE_NODES;
	}
}

/* "node r1" or "host", in front of an error. */
static int blame(const struct nsl_apply *a, int node, int rc, struct nsl_err *err)
{
	/* once: an error that names its node already (a batch settled when the next node's
	 * socket was asked for is told by the node that sent it, not by the one asking) */
	if (rc < 0 && (!strncmp(err->msg, "node ", 5) || !strncmp(err->msg, "host: ", 6)))
		return rc;
	if (rc < 0) {
		if (node == NSL_PLAN_HOST)
			nsl_err_prefix(err, "host");
		else
			nsl_err_prefix(err, "node %s", node_name(a, node));
	}
	return rc;
}

static int journal(struct nsl_apply *a, const struct nsl_rec *r, size_t n, struct nsl_err *err)
{
	int rc = nsl_step("journal", err);

	return rc < 0 ? rc : nsl_journal_append(a->sd, r, n, err);
}

/* ---- netlink batching ---- */

/* Read the ACKs of what was sent on the pending socket. */
static int settle(struct nsl_apply *a, struct nsl_err *err)
{
	struct nsl_nl *nl = a->pending;

	a->pending = NULL;
	return nl ? blame(a, a->pending_node, nsl_nl_flush(nl, err), err) : 0;
}

/* Whether a node's namespace and holder are open: -1 is the host's to every door (a netns fd
 * of -1 means "here"), so an operation of a node without them must fail, never run here. */
static int node_open(const struct nsl_apply *a, int node, struct nsl_err *err)
{
	if (node == NSL_PLAN_HOST || (a->nodes[node].netns_fd >= 0 && a->nodes[node].pidfd >= 0))
		return 0;
	return nsl_err_set(err, EBADF, "node %s: its namespace is not open (nothing done)",
	                   node_name(a, node));
}

/* The socket for a namespace; the previous namespace's requests settle first, so an error
 * is told by the namespace that caused it. */
static int socket_for(struct nsl_apply *a, int node, struct nsl_nl **ret, struct nsl_err *err)
{
	struct nsl_nl *nl = node == NSL_PLAN_HOST ? a->host : &a->nodes[node].nl;
	int rc;

	if (a->pending && a->pending != nl) {
		rc = settle(a, err);
		if (rc < 0)
			return rc;
	}
	if (nl->fd < 0) {
		rc = node_open(a, node, err);
		if (rc == 0)
			rc = nsl_nl_open(nl, node == NSL_PLAN_HOST ? -1 : a->nodes[node].netns_fd,
			                 err);
		if (rc < 0)
			return blame(a, node, rc, err);
	}
	a->pending = nl;
	a->pending_node = node;
	*ret = nl;
	return 0;
}

/* Interface indexes are chosen by nslab, unique across the lab, above every index a new
 * namespace was born with (a new namespace is not always empty: tunnel modules put fallback
 * devices in each), and never a moved device's own. Numbered across the lab, not per node: a
 * veth whose index equals its peer's is taken by the kernel's link watcher for a non-urgent
 * event, and its operstate then comes up to a second late. lo is 1 everywhere.
 * Above the host's indexes too, and the devices the lab makes in the host (host ends, the
 * management network, host VXLANs) get theirs from the same count: before Linux 6.3 the
 * kernel looks up the index a creation request names in the namespace of the socket that
 * sends it, and says EEXIST when an interface there has it; macvlans, ipvlans and VXLANs born
 * in nodes from the host are sent from the host (veths from their first end's namespace). */
static void assign_ifindexes(struct nsl_apply *a)
{
	const struct nsl_topology *t = topo(a);
	int counter = 1;

	for (size_t i = 0; i < t->n_nodes; i++)
		if (a->nodes[i].max_ifindex > counter)
			counter = a->nodes[i].max_ifindex;
	if (a->facts->host_max_ifindex > counter)
		counter = a->facts->host_max_ifindex;
	if (a->max_ifindex > counter)
		counter = a->max_ifindex;
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t k = 0; k < t->nodes[i].n_ifaces; k++) {
			const struct nsl_iface *f = &t->nodes[i].ifaces[k];
			const struct nsl_device_fact *d;
			if (a->change && a->nodes[i].ifindex[k])
				continue; /* it exists: its own */
			if (f->kind == NSL_IFACE_LO) {
				a->nodes[i].ifindex[k] = 1;
				continue;
			}
			d = nsl_host_device(a->facts, (int)i, (int)k);
			if (d) {
				a->nodes[i].ifindex[k] =
				    d->info.ifindex; /* it keeps its index when it moves */
				continue;
			}
			bool taken;
			do {
				taken = false;
				counter++;
				for (size_t x = 0; x < a->facts->n_devs; x++)
					taken |= a->facts->devs[x].node == (int)i &&
					         a->facts->devs[x].info.ifindex == counter;
			} while (taken);
			a->nodes[i].ifindex[k] = counter;
		}
	for (size_t k = 0; k < a->plan->n_host_ifaces; k++)
		if (!a->change || !a->host_ifindex[k])
			a->host_ifindex[k] = ++counter;
	a->indexed = true;
}

static int ifindex_of(struct nsl_apply *a, int node, int iface)
{
	if (!a->indexed)
		assign_ifindexes(a);
	if (iface < 0)
		return 0;
	return node == NSL_PLAN_HOST ? a->host_ifindex[iface] : a->nodes[node].ifindex[iface];
}

/* ---- holders' names ---- */

static int do_binds(struct nsl_apply *a, size_t from, size_t to, struct nsl_err *err)
{
	size_t n = to - from;
	_cleanup_free_ struct nsl_rec *recs = calloc(n + 1, sizeof(*recs));
	int rc;

	if (!recs)
		return nsl_err_set(err, ENOMEM, "out of memory");
	if (a->sd->rootless) {
		rc = nsl_rootless_netns_dir(a->sd, err);
	} else {
		/* Two labs coming up on a fresh host must not both mount /run/netns. */
		rc = nsl_state_lock_root(a->sd, true, err);
		if (rc < 0)
			return rc;
		rc = nsl_netns_dir_prepare(err);
		(void)!nsl_state_lock_root(a->sd, false, NULL);
	}
	if (rc < 0)
		return rc;
	/* One journal write for all: each names a holder and the namespace it holds, the proof
	 * that /run/netns/LAB.NODE is ours when teardown comes. */
	for (size_t i = 0; i < n; i++) {
		int node = a->plan->ops[from + i].node;
		const struct nsl_node_rt *h = &a->nodes[node];
		recs[i].kind = NSL_REC_NODE;
		recs[i].node.name = topo(a)->nodes[node].name;
		recs[i].node.pid = h->pid;
		recs[i].node.start_time = h->start_time;
		recs[i].node.netns_dev = h->netns.dev;
		recs[i].node.netns_ino = h->netns.ino;
	}
	rc = journal(a, recs, n, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		int node = a->plan->ops[from + i].node;
		char path[PATH_MAX];
		nsl_lab_netns_path(a->sd, node_name(a, node), path, sizeof(path));
		rc = nsl_step(path, err);
		if (rc == 0)
			rc =
			    blame(a, node, nsl_netns_bind(a->nodes[node].netns_fd, path, err), err);
		nsl_progress_report(a->progress, nsl_phase_progress[NSL_PHASE_BINDS], i + 1, n);
	}
	return rc;
}

static int do_wait(struct nsl_apply *a, size_t from, size_t to, struct nsl_err *err)
{
	size_t n = to - from;
	_cleanup_free_ struct nsl_ready_ns *ns = calloc(n + 1, sizeof(*ns));
	_cleanup_free_ int *idx = NULL;
	size_t total = 0, used = 0;
	int rc = settle(a, err);

	if (rc < 0)
		return rc;
	for (size_t i = from; i < to; i++)
		total += a->plan->ops[i].wait.n + a->plan->ops[i].wait.n_lacp;
	idx = calloc(total + 1, sizeof(int));
	if (!ns || !idx)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct nsl_op *op = &a->plan->ops[from + i];
		struct nsl_nl *nl;
		rc = nsl_step("wait", err);
		if (rc == 0)
			rc = socket_for(a, op->node, &nl, err);
		if (rc < 0)
			return rc;
		ns[i] = (struct nsl_ready_ns){.name = node_name(a, op->node),
		                              .nl = nl,
		                              .ifindex = idx + used,
		                              .n = op->wait.n,
		                              .ipv6 = op->wait.ipv6 &&
		                                      access("/proc/sys/net/ipv6", F_OK) == 0};
		for (size_t k = 0; k < op->wait.n; k++)
			idx[used++] = ifindex_of(a, op->node, op->wait.ifaces[k]);
		ns[i].lacp = idx + used;
		ns[i].n_lacp = op->wait.n_lacp;
		for (size_t k = 0; k < op->wait.n_lacp; k++)
			idx[used++] = ifindex_of(a, op->node, op->wait.lacp[k]);
	}
	rc = settle(a, err);
	bool lacp = false;
	for (size_t i = 0; i < n; i++)
		lacp |= ns[i].n_lacp > 0;
	return rc < 0 ? rc
	              : nsl_ready_wait(ns, n, lacp ? READY_LACP_TIMEOUT_MS : READY_TIMEOUT_MS,
	                               a->progress, nsl_phase_progress[NSL_PHASE_READY], err);
}

/* Ready commands of a batch, every node at once: each re-run in its node every `interval`
 * until it exits 0, for at most `timeout` (no attempt outlives it). */
static int do_ready(struct nsl_apply *a, size_t from, size_t to, struct nsl_err *err)
{
	const struct nsl_topology *t = topo(a);
	size_t n = to - from;
	_cleanup_free_ struct nsl_check *checks = calloc(n + 1, sizeof(*checks));
	_cleanup_free_ struct nsl_probe *probes = calloc(n + 1, sizeof(*probes));
	int rc = settle(a, err);

	if (rc < 0)
		return rc;
	if (!checks || !probes)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct nsl_op *op = &a->plan->ops[from + i];
		const struct nsl_node *nd = &t->nodes[op->node];
		rc = nsl_step("ready", err);
		if (rc == 0)
			rc = node_open(a, op->node, err);
		if (rc < 0)
			return blame(a, op->node, rc, err);
		checks[i] = (struct nsl_check){.kind = NSL_CHECK_CMD,
		                               .node = op->node,
		                               .cmd = nd->ready.cmd,
		                               .within_ms = nd->ready.timeout_ms,
		                               .interval_ms = nd->ready.interval_ms,
		                               .timeout_ms = nd->ready.timeout_ms};
		nsl_fmt(checks[i].node_name, sizeof(checks[i].node_name), "%s", nd->name);
		probes[i] = (struct nsl_probe){.check = &checks[i],
		                               .node = nd->name,
		                               .pidfd = a->nodes[op->node].pidfd,
		                               .netns_fd = a->nodes[op->node].netns_fd,
		                               .env = nd->env,
		                               .after = -1,
		                               .hard_deadline = true};
	}
	rc = nsl_probes_run(probes, n, 0, NULL, NULL, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct nsl_probe *p = &probes[i];
		char cmd[256], tail[512], took[32];
		if (p->verdict == NSL_VERDICT_PASS)
			continue;
		nsl_argv_str(&checks[i].cmd, cmd, sizeof(cmd));
		nsl_text_tail(p->output ? p->output : "", p->output_len, tail, sizeof(tail));
		nsl_ms_str(took, sizeof(took), checks[i].within_ms);
		rc = nsl_err_set(err, p->verdict == NSL_VERDICT_ERROR ? EIO : ETIMEDOUT,
		                 "node %s: not ready within %s (%u attempt%s): ready command `%s` "
		                 "%s%s%s",
		                 p->node, took, p->attempts, p->attempts == 1 ? "" : "s", cmd,
		                 p->saw, tail[0] ? "; its last output ends with:\n" : "", tail);
	}
	nsl_probes_free(probes, n);
	return rc;
}

void nsl_apply_state_node(struct nsl_labstate_node *sn, const struct nsl_node *n, pid_t pid,
                          uint64_t start_time, const struct nsl_ns_id *netns)
{
	nsl_fmt(sn->name, sizeof(sn->name), "%s", n->name);
	nsl_fmt(sn->hostname, sizeof(sn->hostname), "%s", n->hostname);
	sn->pid = pid;
	sn->start_time = start_time;
	sn->netns_dev = netns->dev;
	sn->netns_ino = netns->ino;
	sn->env = n->env;
	sn->n_env = n->n_env;
	sn->namespaces = n->namespaces;
	sn->root = n->rootfs.kind == NSL_ROOTFS_OVERLAY ? (char *)"overlay"
	           : n->rootfs.kind == NSL_ROOTFS_DIR   ? n->rootfs.dir
	                                                : NULL;
	sn->limits = n->limits;
}

static int write_state(struct nsl_apply *a, struct nsl_err *err)
{
	const struct nsl_topology *t = topo(a);
	struct nsl_labstate s = {.version = NSL_LABSTATE_VERSION};
	_cleanup_free_ char *abs = realpath(t->file, NULL), *text = NULL;
	int rc;

	nsl_fmt(s.name, sizeof(s.name), "%s", lab(a));
	s.topology = abs ? abs : t->file;
	nsl_fmt(s.sha256, sizeof(s.sha256), "%s", t->sha256);
	s.generation = 1;
	if (a->keeper)
		s.keeper = (struct nsl_labstate_keeper){.pid = a->keeper->pid,
		                                        .start_time = a->keeper->start_time,
		                                        .userns_dev = a->keeper->userns.dev,
		                                        .userns_ino = a->keeper->userns.ino};
	s.n_nodes = t->n_nodes;
	s.nodes = calloc(t->n_nodes + 1, sizeof(*s.nodes));
	if (!s.nodes)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct nsl_labstate_node *sn = &s.nodes[i];
		const struct nsl_node_rt *h = &a->nodes[i];
		nsl_apply_state_node(sn, &t->nodes[i], h->pid, h->start_time, &h->netns);
		sn->uid_base = h->uid_base;
		sn->cgroup = (char *)nsl_cgroup_node_path(a, (int)i);
	}
	if (t->part >= 0) {
		nsl_fmt(s.host, sizeof(s.host), "%s", t->hosts[t->part].name);
		s.elsewhere = calloc(t->n_elsewhere + 1, sizeof(*s.elsewhere));
		if (!s.elsewhere) {
			free(s.nodes);
			return nsl_err_set(err, ENOMEM, "out of memory");
		}
		s.n_elsewhere = t->n_elsewhere;
		for (size_t i = 0; i < t->n_elsewhere; i++) {
			nsl_fmt(s.elsewhere[i].name, sizeof(s.elsewhere[i].name), "%s",
			        t->elsewhere[i].name);
			nsl_fmt(s.elsewhere[i].host, sizeof(s.elsewhere[i].host), "%s",
			        t->hosts[t->elsewhere[i].host].name);
		}
	}
	rc = nsl_labstate_format(&s, &text, err);
	free(s.nodes);
	free(s.elsewhere);
	/* The text the lab was built from, as it was read: what a later apply compares with. */
	if (rc == 0)
		rc = nsl_state_write_file(a->sd, "topology", t->text, t->text_len, err);
	return rc < 0 ? rc : nsl_state_write_file(a->sd, "state.json", text, strlen(text), err);
}

static int do_commit(struct nsl_apply *a, struct nsl_err *err)
{
	struct nsl_rec r = {.kind = NSL_REC_COMMITTED};
	int rc = settle(a, err);

	if (rc == 0)
		rc = nsl_step("state", err);
	if (rc == 0)
		rc = write_state(a, err);
	if (rc == 0)
		rc = journal(a, &r, 1, err);
	if (rc == 0)
		rc = nsl_step("commit", err);
	if (rc == 0 && a->keeper)
		rc = nsl_keeper_commit(a->keeper, err);
	if (rc == 0)
		rc = nsl_holders_commit(&a->hs, err);
	return rc;
}

/* Operations that run as one batch: all of one kind in a row. */
static size_t run_end(const struct nsl_plan *p, size_t i)
{
	size_t j = i + 1;

	while (j < p->n && p->ops[j].kind == p->ops[i].kind)
		j++;
	return j;
}

static int do_one(struct nsl_apply *a, const struct nsl_op *op, struct nsl_err *err)
{
	char what[64];
	int rc;

	nsl_fmt(what, sizeof(what), "%s", node_name(a, op->node));
	rc = nsl_step(what, err);
	if (rc == 0)
		rc = node_open(a, op->node, err);
	if (rc == 0 && op->kind == NSL_OP_VETH)
		rc = node_open(a, op->veth[0].node, err);
	if (rc == 0 && op->kind == NSL_OP_VETH)
		rc = node_open(a, op->veth[1].node, err);
	if (rc < 0)
		return rc;
	switch (op->kind) {
	case NSL_OP_DEVICE:
		return nsl_apply_device(a, op, err);
	case NSL_OP_VETH:
		return nsl_apply_veth(a, op, err);
	case NSL_OP_HOST_END:
		return nsl_apply_host_end(a, op, err);
	case NSL_OP_HOST_DEV:
		return nsl_apply_host_dev(a, op, err);
	case NSL_OP_CREATE:
		return nsl_apply_create(a, op, err);
	case NSL_OP_SYSCTL:
		return nsl_apply_sysctl(a, op, err);
	case NSL_OP_NAT:
		return nsl_apply_nat(a, op, err);
	case NSL_OP_EXEC:
		return nsl_apply_exec(a, op, err);
	case NSL_OP_COMMIT:
		return do_commit(a, err);
	default:
		return nsl_apply_request(a, op, err);
	}
}

int nsl_apply_alloc(struct nsl_apply *a, struct nsl_err *err)
{
	const struct nsl_topology *t = topo(a);

	a->nodes = calloc(t->n_nodes + 1, sizeof(*a->nodes));
	a->host_ifindex = calloc(a->plan->n_host_ifaces + 1, sizeof(int));
	if (!a->nodes || !a->host_ifindex)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < t->n_nodes; i++) {
		a->nodes[i].pidfd = a->nodes[i].netns_fd = a->nodes[i].nl.fd = -1;
		a->nodes[i].ifindex = calloc(t->nodes[i].n_ifaces + 1, sizeof(int));
		if (!a->nodes[i].ifindex)
			return nsl_err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

int nsl_apply(struct nsl_apply *a, struct nsl_err *err)
{
	const struct nsl_plan *p = a->plan;
	int rc;

	a->pending = NULL;
	rc = a->nodes ? 0 : nsl_apply_alloc(a, err);
	for (size_t i = 0; i < p->n; i++)
		a->phase_total[phase_of(&p->ops[i])]++;
	for (size_t i = 0; rc == 0 && i < p->n;) {
		const struct nsl_op *op = &p->ops[i];
		enum nsl_phase ph = phase_of(op);
		uint64_t t0 = nsl_now_ns();
		size_t next = i + 1;
		nsl_progress_report(a->progress, nsl_phase_progress[ph], a->phase_done[ph],
		                    a->phase_total[ph]);
		switch (op->kind) {
		case NSL_OP_NODE:
			next = run_end(p, i);
			rc = nsl_apply_nodes(a, i, next, err);
			break;
		case NSL_OP_BIND:
			next = run_end(p, i);
			rc = do_binds(a, i, next, err);
			break;
		case NSL_OP_HOST_SYSCTL:
			next = run_end(p, i);
			rc = nsl_apply_host_sysctls(a, i, next, err);
			break;
		case NSL_OP_WAIT:
			next = run_end(p, i);
			rc = do_wait(a, i, next, err);
			break;
		case NSL_OP_READY:
			next = run_end(p, i);
			rc = do_ready(a, i, next, err);
			break;
		default:
			rc = do_one(a, op, err);
		}
		a->phase_ns[ph] += nsl_now_ns() - t0;
		a->phase_done[ph] += next - i;
		i = next;
	}
	if (rc == 0)
		rc = settle(a, err);
	return rc;
}

void nsl_apply_init(struct nsl_apply *a, const struct nsl_plan *plan,
                    const struct nsl_host_facts *facts, struct nsl_statedir *sd,
                    struct nsl_nl *host)
{
	memset(a, 0, sizeof(*a));
	a->plan = plan;
	a->facts = facts;
	a->sd = sd;
	a->host = host;
	a->hs.lifeline_w = -1;
	a->log_fd = -1;
	a->host_netns_fd = -1;
}

void nsl_apply_abort(struct nsl_apply *a)
{
	/* The nodes' copies of their holders' fds close with them: the numbers must not be used
	 * after (pid, start time and namespace identity stay, to find what was made). */
	for (size_t i = 0; a->nodes && i < topo(a)->n_nodes; i++)
		for (size_t h = 0; h < a->hs.n; h++)
			if (a->nodes[i].pidfd >= 0 && a->nodes[i].pidfd == a->hs.h[h].pidfd)
				a->nodes[i].pidfd = a->nodes[i].netns_fd = -1;
	nsl_holders_kill(&a->hs);
	if (a->keeper)
		nsl_keeper_kill(a->keeper);
}

void nsl_apply_free(struct nsl_apply *a)
{
	const struct nsl_topology *t = topo(a);

	/* The pidfds and namespace fds of the nodes started here are the holders'. */
	nsl_holders_free(&a->hs);
	for (size_t i = 0; a->nodes && i < t->n_nodes; i++) {
		nsl_nl_close(&a->nodes[i].nl);
		free(a->nodes[i].ifindex);
	}
	free(a->nodes);
	free(a->host_ifindex);
	nsl_cgroups_free(a);
	for (size_t i = 0; i < a->n_saved; i++)
		free(a->saved[i].value);
	free(a->saved);
	a->saved = NULL;
	a->n_saved = 0;
	if (a->log_fd >= 0)
		close(a->log_fd);
	if (a->host_netns_fd >= 0)
		close(a->host_netns_fd);
	a->host_netns_fd = -1;
	a->nodes = NULL;
	a->host_ifindex = NULL;
	a->log_fd = -1;
}

/* ---- for the other rooms of the executor (apply_impl.h) ---- */

int nsl_apply_socket(struct nsl_apply *a, int node, struct nsl_nl **ret, struct nsl_err *err)
{
	return socket_for(a, node, ret, err);
}

int nsl_apply_settle(struct nsl_apply *a, struct nsl_err *err) { return settle(a, err); }

int nsl_apply_ifindex(struct nsl_apply *a, int node, int iface)
{
	return ifindex_of(a, node, iface);
}

int nsl_apply_journal(struct nsl_apply *a, const struct nsl_rec *r, struct nsl_err *err)
{
	return journal(a, r, 1, err);
}

int nsl_apply_blame(struct nsl_apply *a, int node, int rc, struct nsl_err *err)
{
	return blame(a, node, rc, err);
}
