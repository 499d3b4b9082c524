/* Checks against a lab that is up (see test.h). */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "engine/test.h"

int nsl_test_prepare(const struct nsl_topology *t, const char *lab, struct nsl_test *ret,
                     struct nsl_err *err)
{
	int rc;

	memset(ret, 0, sizeof(*ret));
	ret->t = t;
	/* Two fds per node checked (holder, namespace), up to three per running check. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	rc = nsl_lab_open(lab, false, &ret->lab, err);
	if (rc < 0)
		return rc;
	ret->n = t->n_checks;
	ret->probes = calloc(t->n_checks + 1, sizeof(*ret->probes));
	if (!ret->probes) {
		nsl_test_free(ret);
		return nsl_err_set(err, ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < t->n_checks; i++) {
		const struct nsl_check *k = &t->checks[i];
		struct nsl_probe *p = &ret->probes[i];
		struct nsl_lab_node *n = nsl_lab_node(&ret->lab, k->node_name);
		struct nsl_err nerr = {0};

		p->check = k;
		p->node = k->node_name;
		p->pidfd = p->netns_fd = -1;
		p->after = -1;
		if (!n) {
			p->verdict = NSL_VERDICT_ERROR;
			nsl_fmt(p->saw, sizeof(p->saw), "lab %s has no node '%s'", lab,
			        k->node_name);
			continue;
		}
		if (nsl_lab_node_open(&ret->lab, n, &nerr) < 0) {
			p->verdict = NSL_VERDICT_ERROR;
			nsl_fmt(p->saw, sizeof(p->saw), "%s", nerr.msg);
			continue;
		}
		p->pidfd = n->pidfd;
		p->netns_fd = n->netns_fd;
		p->env = n->env;
		/* a node's commands one after the other: they may share what they look at */
		for (size_t j = i; k->kind == NSL_CHECK_CMD && j-- > 0;)
			if (t->checks[j].kind == NSL_CHECK_CMD &&
			    !strcmp(t->checks[j].node_name, k->node_name)) {
				p->after = (int)j;
				break;
			}
	}
	return 0;
}

int nsl_test_run(struct nsl_test *x, unsigned jobs, nsl_probe_done_fn done, void *arg,
                 struct nsl_err *err)
{
	return nsl_probes_run(x->probes, x->n, jobs, done, arg, err);
}

void nsl_test_free(struct nsl_test *x)
{
	nsl_probes_free(x->probes, x->n);
	free(x->probes);
	nsl_lab_close(&x->lab);
	memset(x, 0, sizeof(*x));
}

int nsl_wait(const char *lab, const char *node, char **argv, uint32_t interval_ms,
             uint32_t timeout_ms, struct nsl_probe *ret, struct nsl_err *err)
{
	struct nsl_check k = {.kind = NSL_CHECK_CMD,
	                      .within_ms = timeout_ms,
	                      .interval_ms = interval_ms,
	                      .timeout_ms = timeout_ms};
	struct nsl_lab l;
	struct nsl_lab_node *n;
	size_t argc = 0;
	int rc;

	memset(ret, 0, sizeof(*ret));
	while (argv[argc])
		argc++;
	k.cmd = (struct nsl_argv){argv, argc};
	nsl_fmt(k.node_name, sizeof(k.node_name), "%s", node);
	rc = nsl_lab_open(lab, false, &l, err);
	if (rc < 0)
		return rc;
	n = nsl_lab_node(&l, node);
	if (!n)
		rc = nsl_err_set(err, ENOENT, "lab %s has no node '%s'", lab, node);
	if (rc == 0)
		rc = nsl_lab_node_open(&l, n, err);
	if (rc == 0) {
		*ret = (struct nsl_probe){.check = &k,
		                          .node = node,
		                          .pidfd = n->pidfd,
		                          .netns_fd = n->netns_fd,
		                          .env = n->env,
		                          .after = -1,
		                          .hard_deadline = true};
		rc = nsl_probes_run(ret, 1, 1, NULL, NULL, err);
		ret->check = NULL;
		ret->node = NULL;
		ret->env = NULL;
	}
	nsl_lab_close(&l);
	return rc;
}
