/* A lab that is up (see lab.h). */
#include <stdio.h>
#include <string.h>

#include "engine/lab.h"
#include "kernel/proc.h"
#include "state/labstate.h"
#include "state/statedir.h"

int nsl_lab_open(const char *lab, bool want_text, struct nsl_lab *ret, struct nsl_err *err)
{
	struct nsl_statedir sd;
	_cleanup_free_ char *text = NULL;
	struct nsl_labstate st;
	int rc;

	memset(ret, 0, sizeof(*ret));
	rc = nsl_state_root(&sd, err);
	if (rc < 0)
		return rc;
	rc = nsl_state_open(&sd, lab, false, err);
	if (rc == 0)
		rc = nsl_err_set(err, ENOENT, "lab %s is not up", lab);
	if (rc > 0) {
		rc = nsl_state_read_file(&sd, "state.json", &text, err);
		if (rc == 0)
			rc = nsl_err_set(err, EAGAIN,
			                 "lab %s is still being built (or its up failed)", lab);
		/* the topology as it was when the lab was built (labs of older nslab lack it) */
		if (rc > 0 && want_text &&
		    nsl_state_read_file(&sd, "topology", &ret->text, NULL) > 0)
			ret->text_len = strlen(ret->text);
	}
	nsl_state_close(&sd); /* the lock is not held while commands run */
	if (rc < 0) {
		nsl_lab_close(ret);
		return rc;
	}
	rc = nsl_labstate_parse(text, &st, err);
	if (rc < 0) {
		nsl_lab_close(ret);
		nsl_err_prefix(err, "lab %s", lab);
		return rc;
	}
	ret->nodes = calloc(st.n_nodes + 1, sizeof(*ret->nodes));
	if (!ret->nodes) {
		nsl_labstate_free(&st);
		nsl_lab_close(ret);
		return nsl_err_set(err, ENOMEM, "out of memory");
	}
	nsl_fmt(ret->name, sizeof(ret->name), "%s", st.name);
	nsl_fmt(ret->host, sizeof(ret->host), "%s", st.host);
	ret->topology = st.topology;
	st.topology = NULL;
	for (size_t i = 0; i < st.n_nodes; i++) {
		struct nsl_lab_node *n = &ret->nodes[i];
		nsl_fmt(n->name, sizeof(n->name), "%s", st.nodes[i].name);
		n->pid = st.nodes[i].pid;
		n->start_time = st.nodes[i].start_time;
		n->pidfd = n->netns_fd = -1;
		/* the env moves over from the state */
		n->env = st.nodes[i].env;
		n->n_env = st.nodes[i].n_env;
		st.nodes[i].env = NULL;
		st.nodes[i].n_env = 0;
	}
	ret->n_nodes = st.n_nodes;
	nsl_labstate_free(&st);
	return 0;
}

struct nsl_lab_node *nsl_lab_node(struct nsl_lab *l, const char *name)
{
	for (size_t i = 0; i < l->n_nodes; i++)
		if (!strcmp(l->nodes[i].name, name))
			return &l->nodes[i];
	return NULL;
}

int nsl_lab_node_open(const struct nsl_lab *l, struct nsl_lab_node *n, struct nsl_err *err)
{
	if (n->pidfd < 0) {
		n->pidfd = nsl_proc_pidfd(n->pid, n->start_time);
		if (n->pidfd < 0) {
			n->pidfd = -1;
			return nsl_err_set(
			    err, ESRCH,
			    "node %s of lab %s: its holder (pid %d) is gone; run 'nslab down %s'",
			    n->name, l->name, (int)n->pid, l->name);
		}
	}
	if (n->netns_fd < 0) {
		n->netns_fd = nsl_proc_open_ns(n->pidfd, n->pid, "net");
		if (n->netns_fd < 0) {
			int e = -n->netns_fd;
			n->netns_fd = -1;
			return nsl_err_set(err, e, "node %s of lab %s: its network namespace: %s",
			                   n->name, l->name, strerror(e));
		}
	}
	return 0;
}

void nsl_lab_close(struct nsl_lab *l)
{
	for (size_t i = 0; l->nodes && i < l->n_nodes; i++) {
		if (l->nodes[i].pidfd >= 0)
			close(l->nodes[i].pidfd);
		if (l->nodes[i].netns_fd >= 0)
			close(l->nodes[i].netns_fd);
		nsl_strv_free(l->nodes[i].env, l->nodes[i].n_env);
	}
	free(l->nodes);
	free(l->topology);
	free(l->text);
	memset(l, 0, sizeof(*l));
}

int nsl_lab_list(char ***ret, size_t *ret_n, struct nsl_err *err)
{
	struct nsl_statedir sd;
	int rc = nsl_state_root(&sd, err);

	if (rc == 0)
		rc = nsl_state_list(&sd, ret, ret_n, err);
	nsl_state_close(&sd);
	return rc;
}
