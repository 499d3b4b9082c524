/* The lab's cgroups (see cgroup_lab.h). */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/apply_impl.h"
#include "engine/cgroup_lab.h"
#include "engine/marks.h"
#include "kernel/cgroup.h"

struct nsl_cgroups {
	size_t n;
	char **path; /* [node]: NULL for a node without limits */
	int *fd;     /* [node] */
};

/* The controllers the lab's nodes need, for the lab cgroup's subtree_control. */
static void subtree_of(const struct nsl_topology *t, char *buf, size_t size)
{
	bool mem = false, pids = false, cpu = false;

	for (size_t i = 0; i < t->n_nodes; i++) {
		mem |= t->nodes[i].limits.memory != 0;
		pids |= t->nodes[i].limits.pids != 0;
		cpu |= t->nodes[i].limits.cpu_milli != 0;
	}
	nsl_fmt(buf, size, "%s%s%s", mem ? "+memory " : "", pids ? "+pids " : "",
	        cpu ? "+cpu " : "");
	if (*buf)
		buf[strlen(buf) - 1] = 0;
}

/* Journal it, then make it with its mark. */
static int make_one(struct nsl_apply *a, const char *path, const char *mark, const char *subtree,
                    struct nsl_err *err)
{
	struct nsl_rec r = {.kind = NSL_REC_CGROUP, .cgroup = {.path = path, .mark = mark}};
	int rc = nsl_apply_journal(a, &r, err);

	if (rc < 0)
		return rc;
	rc = nsl_cgroup_make(path, mark, subtree);
	if (rc == -EEXIST)
		return nsl_err_set(err, EEXIST,
		                   "cgroup %s exists already (left by a lab of that name? "
		                   "`nslab down` it)",
		                   path);
	if (rc < 0)
		return nsl_err_set(err, -rc, "make cgroup %s: %s", path, strerror(-rc));
	return 0;
}

int nsl_cgroups_create(struct nsl_apply *a, struct nsl_err *err)
{
	const struct nsl_topology *t = a->plan->t;
	char mp[PATH_MAX], ctl[512], lab_dir[PATH_MAX], mark[NSL_MARK_MAX], subtree[64];
	struct nsl_cgroups *cg;
	bool any = false;
	int rc;

	for (size_t i = 0; i < t->n_nodes; i++)
		any |= t->nodes[i].limits.set;
	if (!any)
		return 0;
	if (nsl_cgroup2_find(mp, sizeof(mp), ctl, sizeof(ctl)) <= 0)
		return nsl_err_set(err, ENOTSUP, "limits need cgroup v2, and none is mounted");
	cg = calloc(1, sizeof(*cg));
	if (!cg)
		return nsl_err_set(err, ENOMEM, "out of memory");
	a->cg = cg;
	cg->path = calloc(t->n_nodes, sizeof(*cg->path));
	cg->fd = malloc(t->n_nodes * sizeof(*cg->fd));
	if (!cg->path || !cg->fd)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < t->n_nodes; i++)
		cg->fd[i] = -1;
	cg->n = t->n_nodes;
	/* One cgroup per lab at the root of the hierarchy (a service manager's leaf cgroup,
	 * where nslab itself may run, cannot have children with controllers), one per node with
	 * limits under it. */
	nsl_fmt(lab_dir, sizeof(lab_dir), "%s/" NSL_CGROUP_PREFIX "%s", mp, a->plan->lab);
	nsl_mark(mark, sizeof(mark), a->plan->lab, NULL);
	subtree_of(t, subtree, sizeof(subtree));
	/* apply on a lab that is up: the lab's cgroup is there already (and proven ours). */
	if (nsl_cgroup_marked(lab_dir, mark) == 1) {
		rc = *subtree ? nsl_cgroup_enable(lab_dir, subtree) : 0;
		if (rc < 0)
			rc = nsl_err_set(err, -rc, "enable %s in cgroup %s: %s", subtree, lab_dir,
			                 strerror(-rc));
	} else
		rc = make_one(a, lab_dir, mark, subtree, err);
	for (size_t i = 0; rc == 0 && i < t->n_nodes; i++) {
		const struct nsl_node *n = &t->nodes[i];
		if (!n->limits.set || (a->change && !(a->made && a->made[i])))
			continue;
		if (asprintf(&cg->path[i], "%s/%s", lab_dir, n->name) < 0) {
			cg->path[i] = NULL;
			return nsl_err_set(err, ENOMEM, "out of memory");
		}
		nsl_mark(mark, sizeof(mark), a->plan->lab, n->name);
		/* Left by a node of that name that went (apply): ours, empty; made again. */
		if (nsl_cgroup_marked(cg->path[i], mark) == 1 &&
		    (rc = nsl_cgroup_remove(cg->path[i])) < 0)
			return nsl_err_set(err, -rc, "remove cgroup %s: %s", cg->path[i],
			                   strerror(-rc));
		rc = make_one(a, cg->path[i], mark, NULL, err);
		if (rc == 0) {
			rc = nsl_cgroup_limit(cg->path[i], &n->limits);
			if (rc < 0)
				rc = nsl_err_set(err, -rc, "node %s: write its limits in %s: %s",
				                 n->name, cg->path[i], strerror(-rc));
		}
		if (rc == 0) {
			cg->fd[i] = open(cg->path[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (cg->fd[i] < 0)
				rc = nsl_err_set(err, errno, "open cgroup %s: %m", cg->path[i]);
		}
	}
	return rc;
}

char *nsl_cgroup_node_path_of(const char *lab, const char *node)
{
	char mp[PATH_MAX], ctl[8], *ret;

	if (nsl_cgroup2_find(mp, sizeof(mp), ctl, sizeof(ctl)) <= 0)
		return NULL;
	return asprintf(&ret, "%s/" NSL_CGROUP_PREFIX "%s/%s", mp, lab, node) < 0 ? NULL : ret;
}

int nsl_cgroup_node_fd(struct nsl_apply *a, int node)
{
	return a->cg && node >= 0 && (size_t)node < a->cg->n ? a->cg->fd[node] : -1;
}

const char *nsl_cgroup_node_path(struct nsl_apply *a, int node)
{
	return a->cg && node >= 0 && (size_t)node < a->cg->n ? a->cg->path[node] : NULL;
}

void nsl_cgroups_free(struct nsl_apply *a)
{
	struct nsl_cgroups *cg = a->cg;

	if (!cg)
		return;
	for (size_t i = 0; i < cg->n; i++) {
		if (cg->fd && cg->fd[i] >= 0)
			close(cg->fd[i]);
		if (cg->path)
			free(cg->path[i]);
	}
	free(cg->fd);
	free(cg->path);
	free(cg);
	a->cg = NULL;
}
