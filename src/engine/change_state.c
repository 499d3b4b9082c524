/* apply's records: a commit cut short finished, state.json written, the journal rewritten to
 * what the lab is. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/sha256.h"
#include "engine/cgroup_lab.h"
#include "engine/change_impl.h"

#define NEXT_FILE "topology.next"

/* A commit cut short between its files: the next text is the lab's if state.json has its
 * digest; else it never was. */
int nsl_change_finish_commit(struct ch *c, struct nsl_err *err)
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
int nsl_change_write_state(struct ch *c, const struct nsl_topology *t, bool new_text,
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
		const struct rnode *r = nsl_change_node(c, t->nodes[i].name);
		if (!r)
			continue;
		struct nsl_labstate_node *sn = &s.nodes[s.n_nodes++];
		nsl_apply_state_node(sn, &t->nodes[i], r->pid, r->start_time, &r->netns);
		sn->uid_base = r->uid_base;
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
int nsl_change_rewrite_journal(struct ch *c, const struct nsl_plan *p, struct nsl_err *err)
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
		const struct rnode *r = nsl_change_node(c, t->nodes[i].name);
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
