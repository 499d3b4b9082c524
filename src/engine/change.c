/* `apply` (see change.h).
 *
 * Order, and what a crash at any point leaves:
 *  1. under the lab's exclusive lock, a commit cut short is finished (topology.next) and the
 *     nodes the journal names that the state does not (made by a change that never committed)
 *     are removed: a second apply completes a change cut short, `down` removes it whole;
 *  2. what goes is undone (routes, addresses, rules, qdiscs, NAT tables, links, interfaces)
 *     in the nodes that stay: each undo tolerates its object being gone already;
 *  3. nodes made again (--recreate) are killed, and the state written without them;
 *  4. what comes is made by the executor (engine/apply.c) in change mode: new nodes journaled
 *     before their names exist, as at up; in nodes that exist, what is there already is no
 *     error, and an interface about to be made is deleted first if a change cut short left it;
 *  5. commit: topology.next, state.json (the new digest, generation + 1), the copy replaced;
 *  6. nodes that go are killed (by their journaled identity), then the journal is rewritten
 *     to what the lab is now (until then it names more than the lab has: `down` is fine).
 * A failure in 2-5 rolls back: the nodes made are removed, then the inverse change (the diff
 * from the new model to the old, as a rollback) is carried out the same way. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/sha256.h"
#include "engine/apply.h"
#include "engine/cgroup_lab.h"
#include "engine/change.h"
#include "engine/fault.h"
#include "engine/lab.h"
#include "engine/marks.h"
#include "engine/runtime.h"
#include "engine/teardown.h"
#include "kernel/netlink.h"
#include "kernel/nft.h"
#include "kernel/ns.h"
#include "kernel/proc.h"
#include "state/labstate.h"
#include "state/statedir.h"

int nsl_change_current(const char *lab, struct nsl_topology **ret, struct nsl_err *err)
{
	struct nsl_diags d = {0};
	struct nsl_lab l;
	int rc = nsl_lab_open(lab, true, &l, err);

	*ret = NULL;
	if (rc < 0)
		return rc;
	if (!l.text) {
		nsl_lab_close(&l);
		return nsl_err_set(err, ENOENT, "lab %s keeps no copy of its topology", lab);
	}
	d.file = l.topology;
	rc = nsl_topology_parse(l.topology, l.text, l.text_len, ret, &d);
	if (rc == 0)
		rc = nsl_topology_validate(*ret, &d);
	if (rc < 0) {
		rc =
		    nsl_err_set(err, EBADMSG, "the topology kept with lab %s does not validate: %s",
		                lab, d.n ? d.items[0].message : "(no message)");
		nsl_topology_free(*ret);
		*ret = NULL;
	}
	nsl_diags_clear(&d);
	nsl_lab_close(&l);
	return rc;
}

/* ---- the lab as it is: its nodes by name ---- */

struct rnode {
	char name[NSL_NAME_MAX + 1];
	pid_t pid;
	uint64_t start_time;
	struct nsl_ns_id netns;
	int pidfd, netns_fd;
	struct nsl_nl nl;
	uint32_t uid_base; /* its user namespace's range, 0: none */
	bool alive;        /* false: killed (made again, or removed) */
	bool dying; /* its kill was cut short: maybe still there, its name maybe still bound */
};

/* An interface of a node that exists, as it was before the change. */
struct old_mac {
	char node[NSL_NAME_MAX + 1], ifname[NSL_IFNAME_MAX + 1];
	uint8_t mac[6];
};

struct ch {
	struct old_mac *macs;
	size_t n_macs, cap_macs;
	const char *lab;
	const struct nsl_change_opts *o;
	bool counted; /* the change's steps are counted (the rest are down steps) */
	struct nsl_statedir sd;
	struct nsl_labstate st;
	bool have_st;
	struct nsl_topology *old;
	struct nsl_nl host;
	struct rnode *nodes;
	size_t n_nodes, cap_nodes;
	struct nsl_progress_sink *progress;
};

static struct rnode *rnode(struct ch *c, const char *name)
{
	for (size_t i = 0; i < c->n_nodes; i++)
		if (!strcmp(c->nodes[i].name, name))
			return c->nodes[i].alive ? &c->nodes[i] : NULL;
	return NULL;
}

static struct rnode *rnode_add(struct ch *c, const char *name)
{
	for (size_t i = 0; i < c->n_nodes; i++)
		if (!strcmp(c->nodes[i].name, name))
			return &c->nodes[i];
	if (!nsl_grow(&c->nodes, &c->cap_nodes, c->n_nodes, sizeof(*c->nodes)))
		return NULL;
	struct rnode *r = &c->nodes[c->n_nodes++];
	memset(r, 0, sizeof(*r));
	nsl_fmt(r->name, sizeof(r->name), "%s", name);
	r->pidfd = r->netns_fd = r->nl.fd = -1;
	return r;
}

static void rnode_close(struct rnode *r)
{
	nsl_nl_close(&r->nl);
	if (r->pidfd >= 0)
		close(r->pidfd);
	if (r->netns_fd >= 0)
		close(r->netns_fd);
	r->pidfd = r->netns_fd = -1;
}

/* A node of the state: its holder by pidfd, its namespace by its bind, both checked. */
static int rnode_open(struct ch *c, struct rnode *r, struct nsl_err *err)
{
	char path[sizeof(NSL_NETNS_DIR) + 2 * NSL_NAME_MAX + 4];
	struct nsl_ns_id id;
	int fd = -1;

	r->pidfd = nsl_proc_pidfd(r->pid, r->start_time);
	if (r->pidfd < 0) {
		r->pidfd = -1;
		return nsl_err_set(
		    err, ESRCH,
		    "node %s: its holder (pid %d) is gone: the lab is damaged (nslab "
		    "down %s, then up)",
		    r->name, (int)r->pid, c->lab);
	}
	nsl_fmt(path, sizeof(path), NSL_NETNS_DIR "/%s.%s", c->lab, r->name);
	if (nsl_netns_open_bound(path, &fd, &id) <= 0 || !nsl_ns_id_eq(&id, &r->netns)) {
		if (fd >= 0)
			close(fd);
		return nsl_err_set(err, ESTALE, "node %s: %s is not the namespace the lab recorded",
		                   r->name, path);
	}
	r->netns_fd = fd;
	r->alive = true;
	return 0;
}

static void ch_close(struct ch *c)
{
	for (size_t i = 0; i < c->n_nodes; i++)
		rnode_close(&c->nodes[i]);
	free(c->nodes);
	free(c->macs);
	if (c->have_st)
		nsl_labstate_free(&c->st);
	nsl_topology_free(c->old);
	nsl_nl_close(&c->host);
	nsl_state_close(&c->sd);
}

/* Kill nodes (by the identity the lab recorded) and forget them. */
static int kill_nodes(struct ch *c, struct rnode **list, size_t n, struct nsl_err *err)
{
	_cleanup_free_ struct nsl_node_ident *ids = calloc(n + 1, sizeof(*ids));
	int rc;

	if (!ids)
		return nsl_err_set(err, ENOMEM, "out of memory");
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		ids[i] = (struct nsl_node_ident){.name = list[i]->name,
		                                 .pid = list[i]->pid,
		                                 .start_time = list[i]->start_time,
		                                 .netns_dev = list[i]->netns.dev,
		                                 .netns_ino = list[i]->netns.ino};
		rnode_close(list[i]);
	}
	rc = nsl_teardown_nodes(&c->sd, ids, n, err);
	/* Gone for what follows, even when the teardown was cut short: their fds are closed (and
	 * -1 is the host's namespace to every door), and a holder killed may be exiting. A
	 * rollback makes them again, or says it could not. */
	for (size_t i = 0; i < n; i++) {
		list[i]->alive = false;
		list[i]->dying = rc < 0;
	}
	return rc;
}

/* ---- the state ---- */

#define NEXT_FILE "topology.next"

/* A commit cut short between its files: the next text is the lab's if state.json has its
 * digest; else it never was. */
static int finish_commit(struct ch *c, struct nsl_err *err)
{
	_cleanup_free_ char *text = NULL;
	char sha[65];
	int rc = nsl_state_read_file(&c->sd, NEXT_FILE, &text, err);

	if (rc <= 0)
		return rc;
	nsl_sha256_hex(text, strlen(text), sha);
	if (!strcmp(sha, c->st.sha256)) {
		rc = nsl_state_write_file(&c->sd, "topology", text, strlen(text), err);
		if (rc < 0)
			return rc;
	}
	if (unlinkat(c->sd.lab_fd, NEXT_FILE, 0) < 0 && errno != ENOENT)
		return nsl_err_set(err, errno, "%s: %m", NEXT_FILE);
	return 0;
}

/* state.json for topology t (NULL: the old one, its file, digest and generation kept), its
 * nodes those of t that are alive. */
static int write_state(struct ch *c, const struct nsl_topology *t, bool new_text,
                       struct nsl_err *err)
{
	struct nsl_labstate s = {.version = NSL_LABSTATE_VERSION};
	_cleanup_free_ char *abs = new_text ? realpath(t->file, NULL) : NULL, *text = NULL;
	int rc;

	nsl_fmt(s.name, sizeof(s.name), "%s", c->lab);
	s.topology = new_text ? (abs ? abs : t->file) : c->st.topology;
	nsl_fmt(s.sha256, sizeof(s.sha256), "%s", new_text ? t->sha256 : c->st.sha256);
	s.generation = c->st.generation + (new_text ? 1 : 0);
	s.nodes = calloc(t->n_nodes + 1, sizeof(*s.nodes));
	char **made_cg = calloc(t->n_nodes + 1, sizeof(char *));
	if (!s.nodes || !made_cg) {
		free(s.nodes);
		free(made_cg);
		return nsl_err_set(err, ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct rnode *r = rnode(c, t->nodes[i].name);
		if (!r)
			continue;
		struct nsl_labstate_node *sn = &s.nodes[s.n_nodes++];
		nsl_fmt(sn->name, sizeof(sn->name), "%s", t->nodes[i].name);
		nsl_fmt(sn->hostname, sizeof(sn->hostname), "%s", t->nodes[i].hostname);
		sn->pid = r->pid;
		sn->start_time = r->start_time;
		sn->uid_base = r->uid_base;
		sn->netns_dev = r->netns.dev;
		sn->netns_ino = r->netns.ino;
		sn->env = t->nodes[i].env;
		sn->n_env = t->nodes[i].n_env;
		sn->namespaces = t->nodes[i].namespaces;
		sn->root = t->nodes[i].rootfs.kind == NSL_ROOTFS_OVERLAY ? (char *)"overlay"
		           : t->nodes[i].rootfs.kind == NSL_ROOTFS_DIR   ? t->nodes[i].rootfs.dir
		                                                         : NULL;
		sn->limits = t->nodes[i].limits;
		/* a node that stays keeps its cgroup; one made here with limits has its own */
		const struct nsl_labstate_node *was = nsl_labstate_node(&c->st, sn->name);
		sn->cgroup = was && was->pid == r->pid ? was->cgroup : NULL;
		if (!(was && was->pid == r->pid) && sn->limits.set)
			sn->cgroup = made_cg[i] = nsl_cgroup_node_path_of(c->lab, sn->name);
	}
	rc = nsl_labstate_format(&s, &text, err);
	for (size_t i = 0; i < t->n_nodes; i++)
		free(made_cg[i]);
	free(made_cg);
	free(s.nodes);
	if (rc == 0 && new_text)
		rc = nsl_state_write_file(&c->sd, NEXT_FILE, t->text, t->text_len, err);
	if (rc == 0)
		rc = nsl_state_write_file(&c->sd, "state.json", text, strlen(text), err);
	if (rc == 0 && new_text)
		rc = nsl_state_write_file(&c->sd, "topology", t->text, t->text_len, err);
	if (rc == 0 && new_text && unlinkat(c->sd.lab_fd, NEXT_FILE, 0) < 0)
		rc = nsl_err_set(err, errno, "%s: %m", NEXT_FILE);
	if (rc == 0 && new_text) {
		c->st.generation = s.generation;
		nsl_fmt(c->st.sha256, sizeof(c->st.sha256), "%s", t->sha256);
	}
	return rc;
}

/* The journal rewritten to what the lab is (one atomic replace): its header, a record per
 * node, the host links of plan p, and what the host keeps (devices, sysctls, tables). */
static int rewrite_journal(struct ch *c, const struct nsl_plan *p, struct nsl_err *err)
{
	const struct nsl_topology *t = p->t;
	struct nsl_journal j;
	char *text = NULL;
	size_t len = 0;
	FILE *m;
	int rc = nsl_journal_read(&c->sd, &j, err);

	if (rc < 0)
		return rc;
	m = open_memstream(&text, &len);
	if (!m) {
		nsl_journal_free(&j);
		return nsl_err_set(err, ENOMEM, "out of memory");
	}
	char line[NSL_REC_LINE_MAX];
	struct nsl_rec h = {.kind = NSL_REC_HEADER};
	h.header.lab = c->lab;
	h.header.topology = t->file;
	rc = nsl_rec_format(&h, line, sizeof(line));
	if (rc > 0)
		fputs(line, m);
	for (size_t i = 0; rc >= 0 && i < t->n_nodes; i++) {
		const struct rnode *r = rnode(c, t->nodes[i].name);
		if (!r)
			continue;
		struct nsl_rec nr = {.kind = NSL_REC_NODE};
		nr.node.name = r->name;
		nr.node.pid = r->pid;
		nr.node.start_time = r->start_time;
		nr.node.netns_dev = r->netns.dev;
		nr.node.netns_ino = r->netns.ino;
		rc = nsl_rec_format(&nr, line, sizeof(line));
		if (rc > 0)
			fputs(line, m);
	}
	for (size_t i = 0; rc >= 0 && i < j.n; i++) {
		const struct nsl_rec *r = &j.recs[i];
		bool keep = false, dup = false;
		switch (r->kind) {
		case NSL_REC_HOSTLINK:
			for (size_t k = 0; k < p->n_host_ifaces; k++)
				keep |= !strcmp(p->host_ifaces[k].name, r->hostlink.name);
			for (size_t k = 0; k < i; k++)
				dup |= j.recs[k].kind == NSL_REC_HOSTLINK &&
				       !strcmp(j.recs[k].hostlink.name, r->hostlink.name);
			keep &= !dup;
			break;
		case NSL_REC_HOSTNFT:
			for (size_t k = 0; k < i; k++)
				dup |= j.recs[k].kind == NSL_REC_HOSTNFT;
			keep = !dup;
			break;
		case NSL_REC_HEADER:
		case NSL_REC_NODE:
		case NSL_REC_COMMITTED:
			break;
		default: /* moved devices, host sysctls, host devices: as they were */
			keep = true;
		}
		if (!keep)
			continue;
		rc = nsl_rec_format(r, line, sizeof(line));
		if (rc > 0)
			fputs(line, m);
	}
	struct nsl_rec done = {.kind = NSL_REC_COMMITTED};
	if (rc >= 0)
		rc = nsl_rec_format(&done, line, sizeof(line));
	if (rc > 0)
		fputs(line, m);
	fclose(m);
	nsl_journal_free(&j);
	if (rc < 0)
		rc = nsl_err_set(err, -rc, "journal of lab %s: record too long", c->lab);
	else
		rc = nsl_state_write_file(&c->sd, "journal", text, len, err);
	free(text);
	return rc;
}

/* ---- what goes ---- */

static int host_link(struct ch *c, const char *name, struct nsl_link_info *li, struct nsl_err *err)
{
	char mark[NSL_MARK_MAX];
	int rc = nsl_nl_link_get(&c->host, 0, name, li, err);

	nsl_mark(mark, sizeof(mark), c->lab, NULL);
	if (rc > 0 && strcmp(li->alias, mark))
		rc = 0; /* not ours: left alone */
	return rc == -ENODEV ? 0 : rc;
}

/* The socket of a node that exists, or NULL (gone: what was in it went with it). */
static struct nsl_nl *node_socket(struct ch *c, const char *node, struct nsl_err *err, int *rc)
{
	struct rnode *r = node ? rnode(c, node) : NULL;

	*rc = 0;
	if (!node)
		return &c->host;
	if (!r)
		return NULL;
	if (r->netns_fd < 0) /* -1 would be the host's namespace */
		*rc = nsl_err_set(err, EBADF, "node %s: its namespace is not open", r->name);
	else if (r->nl.fd < 0)
		*rc = nsl_nl_open(&r->nl, r->netns_fd, err);
	return *rc < 0 ? NULL : &r->nl;
}

/* An interface's index in a namespace, 0 when it is gone. */
static int index_of(struct nsl_nl *nl, const char *name, struct nsl_err *err)
{
	struct nsl_link_info li;
	int rc;

	if (!name || !name[0])
		return 0;
	rc = nsl_nl_link_get(nl, 0, name, &li, err);
	return rc > 0 ? li.ifindex : rc == -ENODEV ? 0 : rc;
}

/* Sysctl values as they were before a change, for its rollback. */
struct saved {
	const struct nsl_saved_sysctl *v;
	size_t n;
	const struct nsl_topology *t; /* whose node indexes they use */
};

static int undo_one(struct ch *c, const struct nsl_plan *p, const struct nsl_op *op,
                    const struct saved *sv, struct nsl_err *err)
{
	const struct nsl_topology *t = p->t;
	const char *node = op->node == NSL_PLAN_HOST ? NULL : t->nodes[op->node].name;
	const struct nsl_iface *f = nsl_plan_iface(p, op->node, op->iface);
	struct nsl_link_info li;
	struct nsl_nl *nl;
	int rc, ifindex;

	if (op->kind == NSL_OP_VETH) {
		/* from an end whose node is alive; the host's if it carries our mark */
		for (int s = 0; s < 2; s++) {
			const struct nsl_op_end *e = &op->veth[s];
			const struct nsl_iface *ef = nsl_plan_iface(p, e->node, e->iface);
			if (e->node == NSL_PLAN_HOST || !rnode(c, t->nodes[e->node].name))
				continue;
			nl = node_socket(c, t->nodes[e->node].name, err, &rc);
			if (rc < 0)
				return rc;
			nl->tolerate = ENODEV;
			rc = nsl_nl_link_del(nl, 0, ef->name, err);
			nl->tolerate = 0;
			return rc < 0 ? rc : nsl_nl_flush(nl, err);
		}
		for (int s = 0; s < 2; s++) {
			const struct nsl_op_end *e = &op->veth[s];
			if (e->node != NSL_PLAN_HOST)
				continue;
			rc = host_link(c, nsl_plan_iface(p, e->node, e->iface)->name, &li, err);
			if (rc > 0)
				rc = nsl_nl_link_del(&c->host, li.ifindex, li.name, err);
			if (rc == 0)
				rc = nsl_nl_flush(&c->host, err);
			return rc == -ENODEV ? 0 : rc;
		}
		return 0;
	}
	nl = node_socket(c, node, err, &rc);
	if (!nl || rc < 0)
		return rc; /* the node is gone: so is all of it */
	switch (op->kind) {
	case NSL_OP_CREATE:
	case NSL_OP_BRIDGE:
		nl->tolerate = ENODEV;
		rc = nsl_nl_link_del(nl, 0, f->name, err);
		break;
	case NSL_OP_ADDR:
		if (op->node == NSL_PLAN_HOST) {
			rc = host_link(c, f->name, &li, err);
			ifindex = rc > 0 ? li.ifindex : 0;
		} else {
			rc = ifindex = index_of(nl, f->name, err);
		}
		if (rc <= 0)
			return rc;
		nl->tolerate = EADDRNOTAVAIL;
		rc = nsl_nl_addr_del(nl, ifindex, f->name, &f->addrs[op->item], err);
		break;
	case NSL_OP_ROUTE: {
		const struct nsl_route *r = &t->nodes[op->node].routes[op->item];
		_cleanup_free_ int *nh = calloc(r->n_nexthops + 1, sizeof(int));
		if (!nh)
			return nsl_err_set(err, ENOMEM, "out of memory");
		rc = ifindex = index_of(nl, r->dev, err);
		for (size_t h = 0; rc >= 0 && h < r->n_nexthops; h++)
			rc = nh[h] = index_of(nl, r->nexthops[h].dev, err);
		if (rc < 0)
			return rc;
		if ((r->dev[0] && !ifindex))
			return 0; /* gone with its device */
		nl->tolerate = ESRCH;
		rc = nsl_nl_route_del(nl, r, ifindex, nh, err);
		break;
	}
	case NSL_OP_RULE:
		nl->tolerate = ENOENT;
		rc = nsl_nl_rule_del(nl, &t->nodes[op->node].rules[op->item], op->rule.family, err);
		break;
	case NSL_OP_RATE:
	case NSL_OP_IMPAIR:
		rc = ifindex = index_of(nl, f->name, err);
		if (rc > 0)
			rc = nsl_nl_qdisc_clear(nl, ifindex, f->name, err);
		return rc;
	case NSL_OP_SYSCTL: {
		/* rollback only: the value seen before the change set it */
		const char *key = t->nodes[op->node].sysctls[op->item].key, *old = NULL;
		for (size_t i = 0; sv && i < sv->n; i++)
			if (!strcmp(sv->t->nodes[sv->v[i].node].name, node) &&
			    !strcmp(sv->v[i].key, key))
				old = sv->v[i].value;
		if (!old)
			return 0;
		rc = nsl_apply_sysctl_put(rnode(c, node)->netns_fd, p, op, old);
		return rc < 0 ? nsl_err_set(err, -rc, "sysctl %s=%s: %s", key, old, strerror(-rc))
		              : 0;
	}
	case NSL_OP_NAT: {
		char table[NSL_NAME_MAX + 8], mark[NSL_MARK_MAX];
		if (op->node != NSL_PLAN_HOST) {
			rc =
			    nsl_nft_delete(rnode(c, node)->netns_fd, NSL_NFT_NODE_TABLE, NULL, err);
			return rc < 0 ? rc : 0;
		}
		nsl_host_table(table, sizeof(table), c->lab);
		nsl_mark(mark, sizeof(mark), c->lab, NULL);
		rc = nsl_nft_delete(-1, table, mark, err);
		return rc < 0 ? rc : 0;
	}
	default:
		return 0;
	}
	nl->tolerate = 0;
	return rc < 0 ? rc : nsl_nl_flush(nl, err);
}

/* Undo a plan's operations, in its order, each a step. */
static int run_del(struct ch *c, const struct nsl_plan *p, const struct saved *sv,
                   struct nsl_err *err)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct nsl_op *op = &p->ops[i];
		char what[64];
		int rc;
		if (op->kind == NSL_OP_VETH && op->item >= 0)
			nsl_fmt(what, sizeof(what), "undo links[%d]", op->item);
		else
			nsl_fmt(what, sizeof(what), "undo in %s",
			        op->node == NSL_PLAN_HOST ? NSL_HOST_NODE
			                                  : p->t->nodes[op->node].name);
		nsl_progress_report(c->progress, "undo", i, p->n);
		rc = nsl_step(what, err);
		if (rc == 0)
			rc = undo_one(c, p, op, sv, err);
		if (rc < 0) {
			if (op->node != NSL_PLAN_HOST)
				nsl_err_prefix(err, "node %s", p->t->nodes[op->node].name);
			return rc;
		}
	}
	return 0;
}

/* ---- what comes ---- */

/* The MACs of the interfaces of the nodes that exist, before anything changes. */
static int save_macs(struct ch *c, struct nsl_err *err)
{
	for (size_t i = 0; i < c->n_nodes; i++) {
		struct rnode *r = &c->nodes[i];
		_cleanup_free_ struct nsl_link_info *links = NULL;
		size_t n_links = 0;
		int rc;
		if (!r->alive)
			continue;
		struct nsl_nl *nl = node_socket(c, r->name, err, &rc);
		if (rc == 0)
			rc = nsl_nl_link_list(nl, &links, &n_links, err);
		for (size_t l = 0; rc == 0 && l < n_links; l++) {
			if (!links[l].has_mac || !strcmp(links[l].name, "lo"))
				continue;
			if (!nsl_grow(&c->macs, &c->cap_macs, c->n_macs, sizeof(*c->macs)))
				return nsl_err_set(err, ENOMEM, "out of memory");
			struct old_mac *m = &c->macs[c->n_macs++];
			nsl_fmt(m->node, sizeof(m->node), "%s", r->name);
			nsl_fmt(m->ifname, sizeof(m->ifname), "%s", links[l].name);
			memcpy(m->mac, links[l].mac, 6);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The executor readied for plan p (on its topology) in a lab whose nodes exist: their
 * holders, namespaces and the indexes of their interfaces. */
static int prepare(struct ch *c, struct nsl_apply *a, const struct nsl_plan *p, const bool *made,
                   struct nsl_host_facts *facts, struct nsl_err *err)
{
	const struct nsl_topology *t = p->t;
	_cleanup_free_ struct nsl_link_info *hl = NULL;
	size_t n_hl = 0;
	int rc;

	rc = nsl_nl_link_list(&c->host, &hl, &n_hl, err);
	if (rc < 0)
		return rc;
	for (size_t l = 0; l < n_hl; l++)
		if (hl[l].ifindex > facts->host_max_ifindex)
			facts->host_max_ifindex = hl[l].ifindex;
	nsl_apply_init(a, p, facts, &c->sd, &c->host);
	a->progress = c->progress;
	a->change = true;
	a->made = made;
	rc = nsl_apply_alloc(a, err);
	for (size_t i = 0; rc == 0 && i < t->n_nodes; i++) {
		struct rnode *r = made[i] ? NULL : rnode(c, t->nodes[i].name);
		_cleanup_free_ struct nsl_link_info *links = NULL;
		size_t n_links = 0;
		if (!r)
			continue;
		struct nsl_node_rt *rt = &a->nodes[i];
		rt->keep_mac = calloc(t->nodes[i].n_ifaces + 1, sizeof(*rt->keep_mac));
		if (!rt->keep_mac)
			return nsl_err_set(err, ENOMEM, "out of memory");
		for (size_t m = 0; m < c->n_macs; m++) {
			const struct nsl_iface *mf =
			    !strcmp(c->macs[m].node, r->name)
			        ? nsl_node_iface(&t->nodes[i], c->macs[m].ifname)
			        : NULL;
			if (mf)
				rt->keep_mac[mf - t->nodes[i].ifaces] = c->macs[m].mac;
		}
		rt->pid = r->pid;
		rt->pidfd = r->pidfd;
		rt->start_time = r->start_time;
		rt->uid_base = r->uid_base;
		rt->netns_fd = r->netns_fd;
		rt->netns = r->netns;
		struct nsl_nl *nl = node_socket(c, r->name, err, &rc);
		if (rc == 0)
			rc = nsl_nl_link_list(nl, &links, &n_links, err);
		for (size_t l = 0; rc == 0 && l < n_links; l++) {
			const struct nsl_iface *f = nsl_node_iface(&t->nodes[i], links[l].name);
			if (links[l].ifindex > rt->max_ifindex)
				rt->max_ifindex = links[l].ifindex;
			if (links[l].ifindex > a->max_ifindex)
				a->max_ifindex = links[l].ifindex;
			if (f)
				rt->ifindex[f - t->nodes[i].ifaces] = links[l].ifindex;
		}
	}
	for (size_t k = 0; rc == 0 && k < p->n_host_ifaces; k++)
		for (size_t l = 0; l < n_hl; l++)
			if (!strcmp(hl[l].name, p->host_ifaces[k].name))
				a->host_ifindex[k] = hl[l].ifindex;
	return rc;
}

/* After the executor: the nodes it made join the lab's. */
static int adopt(struct ch *c, struct nsl_apply *a, const bool *made, struct nsl_err *err)
{
	const struct nsl_topology *t = a->plan->t;

	for (size_t i = 0; a->nodes && i < t->n_nodes; i++) {
		if (!made[i] || !a->nodes[i].pid)
			continue;
		struct rnode *r = rnode_add(c, t->nodes[i].name);
		if (!r)
			return nsl_err_set(err, ENOMEM, "out of memory");
		rnode_close(r);
		r->pid = a->nodes[i].pid;
		r->start_time = a->nodes[i].start_time;
		r->uid_base = a->nodes[i].uid_base;
		r->netns = a->nodes[i].netns;
		r->alive = true;
		r->pidfd = nsl_proc_pidfd(r->pid, r->start_time);
		r->netns_fd = a->nodes[i].netns_fd >= 0
		                  ? fcntl(a->nodes[i].netns_fd, F_DUPFD_CLOEXEC, 3)
		                  : -1;
	}
	return 0;
}

/* The executor's fds of nodes that exist are ours: not its to close. */
static void release(struct nsl_apply *a, const bool *made)
{
	for (size_t i = 0; a->nodes && i < a->plan->t->n_nodes; i++) {
		free(a->nodes[i].keep_mac);
		a->nodes[i].keep_mac = NULL;
		if (!made[i])
			a->nodes[i].pidfd = a->nodes[i].netns_fd = -1;
	}
}

/* ---- the whole ---- */

static void on_signal(int sig) { nsl_interrupted = sig; }

/* The change's steps, before the rollback's or the removal's (down steps) begin. */
static void count_steps(struct ch *c)
{
	if (c->o->steps && !c->counted)
		*c->o->steps = nsl_steps_taken();
	c->counted = true;
}

static int load(struct ch *c, struct nsl_err *err)
{
	_cleanup_free_ char *state = NULL, *topo = NULL;
	struct nsl_diags d = {0};
	int rc = nsl_state_root(&c->sd, err);

	if (rc == 0)
		rc = nsl_state_open(&c->sd, c->lab, true, err);
	if (rc == 0)
		return -ENOENT;
	if (rc > 0)
		rc = nsl_state_read_file(&c->sd, "state.json", &state, err);
	if (rc == 0)
		return nsl_err_set(err, EAGAIN, "lab %s is still being built (or its up failed)",
		                   c->lab);
	if (rc > 0)
		rc = nsl_labstate_parse(state, &c->st, err);
	if (rc < 0)
		return rc;
	c->have_st = true;
	rc = finish_commit(c, err);
	if (rc == 0)
		rc = nsl_state_read_file(&c->sd, "topology", &topo, err);
	if (rc == 0)
		return nsl_err_set(err, ENOENT, "lab %s keeps no copy of its topology", c->lab);
	if (rc < 0)
		return rc;
	d.file = c->st.topology;
	rc = nsl_topology_parse(c->st.topology, topo, strlen(topo), &c->old, &d);
	if (rc == 0)
		rc = nsl_topology_validate(c->old, &d);
	if (rc < 0)
		rc =
		    nsl_err_set(err, EBADMSG, "the topology kept with lab %s does not validate: %s",
		                c->lab, d.n ? d.items[0].message : "(no message)");
	nsl_diags_clear(&d);
	return rc;
}

/* The nodes of the state, opened; then what a change cut short left (nodes the journal names
 * and the state does not, or with another identity) is removed. */
static int open_nodes(struct ch *c, struct nsl_err *err)
{
	struct nsl_journal j;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < c->st.n_nodes; i++) {
		const struct nsl_labstate_node *sn = &c->st.nodes[i];
		struct rnode *r = rnode_add(c, sn->name);
		if (!r)
			return nsl_err_set(err, ENOMEM, "out of memory");
		r->pid = sn->pid;
		r->start_time = sn->start_time;
		r->uid_base = sn->uid_base;
		r->netns = (struct nsl_ns_id){.dev = sn->netns_dev, .ino = sn->netns_ino};
		rc = rnode_open(c, r, err);
	}
	if (rc == 0)
		rc = nsl_journal_read(&c->sd, &j, err);
	if (rc < 0)
		return rc;
	/* stale records get a table of their own: they are no nodes of the lab */
	_cleanup_free_ struct rnode *tmp = calloc(j.n + 1, sizeof(*tmp));
	_cleanup_free_ struct rnode **stale = calloc(j.n + 1, sizeof(*stale));
	size_t n_stale = 0;
	for (size_t i = 0; tmp && stale && i < j.n; i++) {
		const struct nsl_rec *r = &j.recs[i];
		if (r->kind != NSL_REC_NODE)
			continue;
		const struct nsl_labstate_node *sn = nsl_labstate_node(&c->st, r->node.name);
		if (sn && sn->pid == r->node.pid && sn->start_time == r->node.start_time &&
		    sn->netns_ino == r->node.netns_ino)
			continue;
		/* An earlier incarnation of a node of the state whose namespace identity its own
		 * has now (the kernel gives a freed namespace's inode to the next one made): that
		 * holder is gone with its namespace, and the name is bound to the live node's. */
		if (sn && sn->netns_dev == r->node.netns_dev && sn->netns_ino == r->node.netns_ino)
			continue;
		struct rnode *x = &tmp[n_stale];
		nsl_fmt(x->name, sizeof(x->name), "%s", r->node.name);
		x->pid = r->node.pid;
		x->start_time = r->node.start_time;
		x->netns = (struct nsl_ns_id){.dev = r->node.netns_dev, .ino = r->node.netns_ino};
		x->pidfd = x->netns_fd = x->nl.fd = -1;
		stale[n_stale++] = x;
	}
	nsl_journal_free(&j);
	if (!tmp || !stale)
		return nsl_err_set(err, ENOMEM, "out of memory");
	return kill_nodes(c, stale, n_stale, err);
}

/* Put the lab back as it was before a change that failed before its commit: the nodes it
 * made go, then the inverse change (new -> old, as a rollback). */
static int rollback(struct ch *c, const struct nsl_diff *fwd, struct nsl_apply *a,
                    struct nsl_err *err)
{
	const struct nsl_topology *to = fwd->to.t, *old = c->old;
	_cleanup_free_ struct rnode **made = calloc(to->n_nodes + c->n_nodes + 1, sizeof(*made));
	_cleanup_free_ bool *alive_from = calloc(to->n_nodes + 1, sizeof(bool));
	_cleanup_free_ bool *alive_to = calloc(old->n_nodes + 1, sizeof(bool));
	struct saved sv = {.v = a->saved, .n = a->n_saved, .t = to};
	struct nsl_diff_opts o = {.rollback = true};
	struct nsl_host_facts facts = {0};
	struct nsl_apply b = {0};
	struct nsl_diff back;
	size_t n_made = 0;
	bool created = false;
	int rc;

	count_steps(c);
	nsl_steps_begin(NSL_STEPS_DOWN);
	nsl_progress_report(c->progress, "rollback", 0, 0);
	if (!made || !alive_from || !alive_to)
		return nsl_err_set(err, ENOMEM, "out of memory");
	nsl_apply_abort(a);
	rc = adopt(c, a, fwd->fresh, err);
	for (size_t j = 0; rc == 0 && j < to->n_nodes; j++) {
		struct rnode *r = rnode(c, to->nodes[j].name);
		if (fwd->fresh[j] && r)
			made[n_made++] = r;
	}
	/* a node made again was killed first: what the change made of it goes too; and one
	 * whose kill was cut short is killed now, before the rollback makes it again */
	for (size_t i = 0; rc == 0 && i < c->n_nodes; i++)
		if (c->nodes[i].dying)
			made[n_made++] = &c->nodes[i];
	if (rc == 0)
		rc = kill_nodes(c, made, n_made, err);
	for (size_t j = 0; j < to->n_nodes; j++)
		alive_from[j] = rnode(c, to->nodes[j].name) != NULL;
	for (size_t i = 0; i < old->n_nodes; i++)
		alive_to[i] = rnode(c, old->nodes[i].name) != NULL;
	o.alive_from = alive_from;
	o.alive_to = alive_to;
	if (rc < 0)
		return rc;
	rc = nsl_diff_build(to, old, c->lab, &o, &back, NULL);
	if (rc < 0)
		return nsl_err_set(err, -rc, "the inverse change: %s", strerror(-rc));
	nsl_apply_init(&b, &back.add, &facts, &c->sd, &c->host);
	rc = run_del(c, &back.del, &sv, err);
	if (rc == 0)
		rc = prepare(c, &b, &back.add, back.fresh, &facts, err);
	if (rc == 0)
		rc = nsl_apply(&b, err);
	if (rc == 0)
		rc = adopt(c, &b, back.fresh, err);
	for (size_t i = 0; i < old->n_nodes; i++)
		created |= back.fresh[i];
	/* nodes made again by the rollback: the state names them */
	if (rc == 0 && created)
		rc = write_state(c, old, false, err);
	if (rc == 0 && created)
		rc = nsl_holders_commit(&b.hs, err);
	/* the journal names the nodes made again by their new identities, not the old ones */
	if (rc == 0 && created)
		rc = rewrite_journal(c, &fwd->from, err);
	if (rc < 0)
		nsl_apply_abort(&b);
	release(&b, back.fresh);
	nsl_apply_free(&b);
	nsl_diff_free(&back);
	return rc;
}

static void sum(struct nsl_change_result *res, const struct nsl_diff *d)
{
	res->nodes_added = d->nodes_added;
	res->nodes_removed = d->nodes_removed;
	res->nodes_recreated = d->nodes_recreated;
	res->links_added = d->links_added;
	res->links_removed = d->links_removed;
	res->ops = d->del.n + d->add.n;
}

static int change(struct ch *c, const struct nsl_topology *to, const struct nsl_change_opts *o,
                  struct nsl_change_result *res, struct nsl_err *err)
{
	_cleanup_free_ bool *alive = calloc(c->old->n_nodes + 1, sizeof(bool));
	_cleanup_free_ struct rnode **list = calloc(c->old->n_nodes + 1, sizeof(*list));
	struct nsl_diff_opts dopts = {.recreate = o->recreate};
	struct nsl_host_facts facts = {0};
	struct nsl_apply a = {0};
	struct nsl_diff d;
	size_t n = 0;
	bool committed = false;
	int rc;

	if (!alive || !list)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < c->old->n_nodes; i++)
		alive[i] = rnode(c, c->old->nodes[i].name) != NULL;
	dopts.alive_from = alive;
	rc = nsl_diff_build(c->old, to, c->lab, &dopts, &d, o->refused);
	if (rc == -EINVAL)
		return nsl_err_set(err, EINVAL, "cannot change in place");
	if (rc < 0)
		return nsl_err_set(err, -rc, "the change: %s", strerror(-rc));
	nsl_apply_init(&a, &d.add, &facts, &c->sd, &c->host);
	sum(res, &d);
	res->nothing = nsl_diff_empty(&d);
	if (res->nothing) {
		/* the text, or the file it comes from, is the lab's from now on */
		_cleanup_free_ char *abs = realpath(to->file, NULL);
		bool moved = !abs || strcmp(abs, c->st.topology);
		rc = d.changes_state || moved ? write_state(c, to, true, err) : 0;
		if (rc == 0 && (d.changes_state || moved))
			rc = rewrite_journal(c, &d.to, err);
		res->generation = c->st.generation;
		nsl_diff_free(&d);
		return rc;
	}
	/* 2. what goes; 3. nodes made again are killed, the state written without them */
	rc = save_macs(c, err);
	if (rc == 0)
		rc = run_del(c, &d.del, NULL, err);
	for (size_t i = 0; rc == 0 && i < c->old->n_nodes; i++) {
		int j = nsl_topology_node(to, c->old->nodes[i].name);
		if (d.gone[i] && j >= 0 && d.recreated[j])
			list[n++] = rnode(c, c->old->nodes[i].name);
	}
	if (rc == 0 && n)
		rc = kill_nodes(c, list, n, err);
	if (rc == 0 && n)
		rc = write_state(c, c->old, false, err);
	/* 4. what comes */
	if (rc == 0)
		rc = prepare(c, &a, &d.add, d.fresh, &facts, err);
	if (rc == 0)
		rc = nsl_apply(&a, err);
	/* 5. commit */
	if (rc == 0)
		rc = adopt(c, &a, d.fresh, err);
	if (rc == 0)
		rc = nsl_step("state", err);
	if (rc == 0)
		rc = write_state(c, to, true, err);
	committed = rc == 0;
	if (committed)
		rc = nsl_holders_commit(&a.hs, err);
	if (rc < 0 && !committed) {
		struct nsl_err rerr = {0};
		release(&a, d.fresh);
		if (rollback(c, &d, &a, &rerr) < 0)
			nsl_err_prefix(err, "(rollback incomplete: %s)", rerr.msg);
	}
	release(&a, d.fresh);
	nsl_apply_free(&a);
	/* 6. nodes that go; the journal as the lab is now */
	if (committed) {
		count_steps(c);
		nsl_steps_begin(NSL_STEPS_DOWN);
		n = 0;
		for (size_t i = 0; i < c->old->n_nodes; i++) {
			struct rnode *r = rnode(c, c->old->nodes[i].name);
			if (d.gone[i] && r && nsl_topology_node(to, r->name) < 0)
				list[n++] = r;
		}
		int krc = kill_nodes(c, list, n, err);
		if (krc == 0)
			krc = rewrite_journal(c, &d.to, err);
		if (krc == 0)
			krc = nsl_runtime_after_change(&c->sd, &d, err);
		if (krc < 0 && rc == 0) {
			nsl_err_prefix(err, "changed (generation %u), but", c->st.generation);
			rc = krc;
		}
	}
	res->generation = c->st.generation;
	nsl_diff_free(&d);
	return rc;
}

int nsl_change(const struct nsl_topology *to, const char *lab, const struct nsl_change_opts *o,
               struct nsl_change_result *res, struct nsl_err *err)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa = {.sa_handler = on_signal}, old[3];
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
	struct ch c = {.lab = lab,
	               .o = o,
	               .sd = {.root_fd = -1, .lab_fd = -1},
	               .host = {.fd = -1},
	               .progress = o->progress};
	int rc;

	memset(res, 0, sizeof(*res));
	nsl_steps_begin(NSL_STEPS_UP);
	nsl_interrupted = 0;
	for (size_t s = 0; s < NSL_ARRAY_SIZE(sigs); s++)
		sigaction(sigs[s], &sa, &old[s]);
	sigaction(SIGPIPE, &ign, &old_pipe);
	rc = load(&c, err);
	if (rc == 0)
		rc = nsl_nl_open(&c.host, -1, err);
	if (rc == 0)
		rc = open_nodes(&c, err);
	if (rc == 0)
		rc = change(&c, to, o, res, err);
	count_steps(&c);
	for (size_t s = 0; s < NSL_ARRAY_SIZE(sigs); s++)
		sigaction(sigs[s], &old[s], NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	ch_close(&c);
	return rc;
}
