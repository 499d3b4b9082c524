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

#include "engine/apply.h"
#include "engine/change.h"
#include "engine/change_impl.h"
#include "engine/fault.h"
#include "engine/lab.h"
#include "engine/runtime.h"
#include "engine/teardown.h"
#include "kernel/netlink.h"
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

struct rnode *nsl_change_node(struct ch *c, const char *name)
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

/* The socket of a node that exists, or NULL (gone: what was in it went with it). */
struct nsl_nl *nsl_change_socket(struct ch *c, const char *node, struct nsl_err *err, int *rc)
{
	struct rnode *r = node ? nsl_change_node(c, node) : NULL;

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
		struct nsl_nl *nl = nsl_change_socket(c, r->name, err, &rc);
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
		struct rnode *r = made[i] ? NULL : nsl_change_node(c, t->nodes[i].name);
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
		struct nsl_nl *nl = nsl_change_socket(c, r->name, err, &rc);
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
		if (r->pidfd < 0)
			r->pidfd = -1;
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
	rc = nsl_change_finish_commit(c, err);
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
	struct nsl_apply b = {.hs.lifeline_w = -1, .log_fd = -1, .host_netns_fd = -1};
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
		struct rnode *r = nsl_change_node(c, to->nodes[j].name);
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
		alive_from[j] = nsl_change_node(c, to->nodes[j].name) != NULL;
	for (size_t i = 0; i < old->n_nodes; i++)
		alive_to[i] = nsl_change_node(c, old->nodes[i].name) != NULL;
	o.alive_from = alive_from;
	o.alive_to = alive_to;
	if (rc < 0)
		return rc;
	rc = nsl_diff_build(to, old, c->lab, &o, &back, NULL);
	if (rc < 0)
		return nsl_err_set(err, -rc, "the inverse change: %s", strerror(-rc));
	nsl_apply_init(&b, &back.add, &facts, &c->sd, &c->host);
	rc = nsl_change_undo(c, &back.del, &sv, err);
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
		rc = nsl_change_write_state(c, old, false, err);
	if (rc == 0 && created)
		rc = nsl_holders_commit(&b.hs, err);
	/* the journal names the nodes made again by their new identities, not the old ones */
	if (rc == 0 && created)
		rc = nsl_change_rewrite_journal(c, &fwd->from, err);
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
	struct nsl_apply a = {.hs.lifeline_w = -1, .log_fd = -1, .host_netns_fd = -1};
	struct nsl_diff d;
	size_t n = 0;
	bool committed = false;
	int rc;

	if (!alive || !list)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < c->old->n_nodes; i++)
		alive[i] = nsl_change_node(c, c->old->nodes[i].name) != NULL;
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
		rc = d.changes_state || moved ? nsl_change_write_state(c, to, true, err) : 0;
		if (rc == 0 && (d.changes_state || moved))
			rc = nsl_change_rewrite_journal(c, &d.to, err);
		res->generation = c->st.generation;
		nsl_diff_free(&d);
		return rc;
	}
	/* 2. what goes; 3. nodes made again are killed, the state written without them */
	rc = save_macs(c, err);
	if (rc == 0)
		rc = nsl_change_undo(c, &d.del, NULL, err);
	for (size_t i = 0; rc == 0 && i < c->old->n_nodes; i++) {
		int j = nsl_topology_node(to, c->old->nodes[i].name);
		if (d.gone[i] && j >= 0 && d.recreated[j])
			list[n++] = nsl_change_node(c, c->old->nodes[i].name);
	}
	if (rc == 0 && n)
		rc = kill_nodes(c, list, n, err);
	if (rc == 0 && n)
		rc = nsl_change_write_state(c, c->old, false, err);
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
		rc = nsl_change_write_state(c, to, true, err);
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
			struct rnode *r = nsl_change_node(c, c->old->nodes[i].name);
			if (d.gone[i] && r && nsl_topology_node(to, r->name) < 0)
				list[n++] = r;
		}
		int krc = kill_nodes(c, list, n, err);
		if (krc == 0)
			krc = nsl_change_rewrite_journal(c, &d.to, err);
		/* committed: what it made anew is not what runtime.json says, whatever failed */
		struct nsl_err rerr;
		int rrc = nsl_runtime_after_change(&c->sd, &d, krc < 0 ? &rerr : err);
		if (krc == 0)
			krc = rrc;
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
