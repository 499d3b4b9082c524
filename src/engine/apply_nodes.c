/* The executor's first operations: the holders, all started at once, each with what it
 * needs to set its node up from the inside: its file system's directory in the lab's state
 * (upper layers of its overlays, its /etc/hostname), the lab's /etc/hosts (one file for every
 * node), its cgroup, its namespaces. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/apply_impl.h"
#include "engine/cgroup_lab.h"
#include "engine/fault.h"
#include "engine/marks.h"
#include "engine/uidpool.h"
#include "state/statedir.h"

static void holders_progress(void *arg, size_t started, size_t total)
{
	struct nsl_apply *a = arg;

	nsl_progress_report(a->progress, nsl_phase_progress[NSL_PHASE_HOLDERS], started, total);
}

/* ROOT/LAB/hosts (ROOT: /run/nslab, or a rootless lab's user's own): the same text for every
 * node, so written once (a lab of N nodes writes N lines, not N times N) and bound read-only
 * into each. */
static int hosts_file(struct nsl_apply *a, char **ret, struct nsl_err *err)
{
	_cleanup_free_ char *text = nsl_hosts_text(a->plan->t, a->plan->lab);
	_cleanup_close_ int fd = -1;
	size_t len, off = 0;

	if (!text)
		return nsl_err_set(err, ENOMEM, "out of memory");
	fd = openat(a->sd->lab_fd, NSL_HOSTS_FILE,
	            O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return nsl_err_set(err, errno, "create the lab's hosts file: %m");
	for (len = strlen(text); off < len;) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return nsl_err_set(err, errno, "write the lab's hosts file: %m");
		off += (size_t)w;
	}
	if (asprintf(ret, "%s/%s/" NSL_HOSTS_FILE, a->sd->root, a->plan->lab) < 0) {
		*ret = NULL;
		return nsl_err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

/* ROOT/LAB/fs/NODE: a node's own files (its root's layers, its /etc/hostname), gone with the
 * state directory; ROOT/LAB/hostnames/NODE: the /etc/hostname of a node on
 * the host's file system (a file in one directory: a directory per node would cost every
 * node of a big lab, at up and at down, for one small file). */
static int node_path(struct nsl_apply *a, int dir_fd, const char *sub, const char *node, bool dir,
                     char **ret, struct nsl_err *err)
{
	if (dir && mkdirat(dir_fd, node, 0700) < 0 && errno != EEXIST)
		return nsl_err_set(err, errno, "node %s: create its directory: %m", node);
	if (asprintf(ret, "%s/%s/%s/%s", a->sd->root, a->plan->lab, sub, node) < 0) {
		*ret = NULL;
		return nsl_err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

/* The lab's directory DIR (made), open; -1 when no node needs it. */
static int lab_subdir(struct nsl_apply *a, const char *dir, bool needed, int *ret,
                      struct nsl_err *err)
{
	*ret = -1;
	if (!needed)
		return 0;
	if (mkdirat(a->sd->lab_fd, dir, 0700) < 0 && errno != EEXIST)
		return nsl_err_set(err, errno, "create the lab's directory %s: %m", dir);
	*ret = openat(a->sd->lab_fd, dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*ret < 0)
		return nsl_err_set(err, errno, "open the lab's directory %s: %m", dir);
	return 0;
}

/* A node with a user namespace of its own and a root of its own: the directories of its
 * root's layers made here, the node's root's own (the holder mounts the overlay before it
 * becomes that root, and the node writes its upper layer as that root). */
static int own_layers(int fs_fd, const char *node, uint32_t uid, struct nsl_err *err)
{
	static const char *const dirs[] = {"", "/root", "/rw", "/rw/upper", "/rw/work"};

	for (size_t i = 0; i < NSL_ARRAY_SIZE(dirs); i++) {
		char p[NSL_NAME_MAX + 16];
		nsl_fmt(p, sizeof(p), "%s%s", node, dirs[i]);
		if (mkdirat(fs_fd, p, i ? 0755 : 0700) < 0 && errno != EEXIST)
			return nsl_err_set(err, errno, "node %s: create %s: %m", node, p);
		if (fchownat(fs_fd, p, uid, uid, AT_SYMLINK_NOFOLLOW) < 0)
			return nsl_err_set(err, errno, "node %s: chown %s to %u: %m", node, p, uid);
	}
	return 0;
}

int nsl_apply_nodes(struct nsl_apply *a, size_t from, size_t to, struct nsl_err *err)
{
	const struct nsl_topology *t = a->plan->t;
	size_t n = to - from, limit = n;
	_cleanup_free_ struct nsl_holder_spec *specs = calloc(n + 1, sizeof(*specs));
	_cleanup_free_ char *marks = calloc(n + 1, NSL_MARK_MAX);
	_cleanup_free_ char *hosts = NULL;
	_cleanup_free_ char **dirs = calloc(n + 1, sizeof(char *));
	_cleanup_free_ int *locks = calloc(n + 1, sizeof(int));
	_cleanup_close_ int fs_fd = -1, hn_fd = -1;
	int step_rc = 0, rc = 0;
	unsigned slot = 0; /* the next id range to try */

	if (!specs || !marks || !dirs || !locks)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		locks[i] = -1;
	rc = hosts_file(a, &hosts, err);
	if (rc < 0)
		return rc;
	bool roots = false, host = false;
	for (size_t i = 0; i < n; i++) {
		bool own = t->nodes[a->plan->ops[from + i].node].rootfs.kind != NSL_ROOTFS_HOST;
		roots |= own;
		host |= !own;
	}
	rc = lab_subdir(a, NSL_FS_DIR, roots, &fs_fd, err);
	if (rc == 0)
		rc = lab_subdir(a, NSL_HOSTNAMES_DIR, host, &hn_fd, err);
	if (rc == 0)
		rc = nsl_cgroups_create(a, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct nsl_op *op = &a->plan->ops[from + i];
		const struct nsl_node *nd = &t->nodes[op->node];
		char *mark = marks + i * NSL_MARK_MAX, what[NSL_NAME_MAX + 32];
		if (!a->change && op->node != (int)i) {
			rc = nsl_err_set(err, EINVAL, "plan: holders out of order");
			break;
		}
		if (nd->rootfs.kind != NSL_ROOTFS_HOST)
			rc = node_path(a, fs_fd, NSL_FS_DIR, nd->name, true, &dirs[i], err);
		else
			rc = node_path(a, hn_fd, NSL_HOSTNAMES_DIR, nd->name, false, &dirs[i], err);
		uint32_t uid = 0;
		if (rc == 0 && (nd->namespaces & NSL_NS_USER))
			rc = nsl_uidpool_take(a->sd->root_fd, a->plan->lab, nd->name, !a->change,
			                      &slot, &uid, &locks[i], err);
		if (rc == 0 && uid && nd->rootfs.kind != NSL_ROOTFS_HOST)
			rc = own_layers(fs_fd, nd->name, uid, err);
		if (rc < 0)
			break;
		a->nodes[op->node].uid_base = uid;
		nsl_mark(mark, NSL_MARK_MAX, a->plan->lab, nd->name);
		specs[i] = (struct nsl_holder_spec){
		    .name = nd->name,
		    .hostname = nd->hostname,
		    .mark = mark,
		    .sysctls = op->holder.early,
		    .n_sysctls = op->holder.n_early,
		    .mounts = nd->mounts,
		    .n_mounts = nd->n_mounts,
		    .rootfs = nd->rootfs.kind,
		    .tree = nd->rootfs.dir,
		    .dir = nd->rootfs.kind != NSL_ROOTFS_HOST ? dirs[i] : NULL,
		    .hostname_file = nd->rootfs.kind == NSL_ROOTFS_HOST ? dirs[i] : NULL,
		    .hosts_file = hosts,
		    .state_root = a->sd->root,
		    .namespaces = nd->namespaces,
		    .time_monotonic = nd->time_monotonic,
		    .time_boottime = nd->time_boottime,
		    .cgroup_fd = nsl_cgroup_node_fd(a, op->node),
		    .uid_base = uid,
		    .uid_lock_fd = locks[i]};
		/* A fault decides up front how many holders this run gets to start. */
		nsl_fmt(what, sizeof(what), "node %s: start holder", nd->name);
		step_rc = nsl_step(what, err);
		if (step_rc < 0) {
			limit = i;
			break;
		}
	}
	if (rc == 0) {
		a->hs.progress = holders_progress;
		a->hs.progress_arg = a;
		rc = nsl_holders_spawn(specs, limit, &a->hs, err);
	}
	for (size_t i = 0; rc == 0 && i < limit; i++) {
		struct nsl_node_rt *rt = &a->nodes[a->plan->ops[from + i].node];
		const struct nsl_holder *h = &a->hs.h[i];
		rt->pid = h->pid;
		rt->pidfd = h->pidfd;
		rt->start_time = h->start_time;
		rt->netns_fd = h->netns_fd;
		rt->netns = h->netns;
		rt->max_ifindex = h->max_ifindex;
	}
	for (size_t i = 0; i < n; i++) {
		free(dirs[i]);
		/* each holder keeps its own; a range of a holder that failed is free again */
		if (locks[i] >= 0)
			close(locks[i]);
	}
	return rc < 0 ? rc : step_rc;
}
