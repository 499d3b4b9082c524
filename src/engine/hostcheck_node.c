/* Host checks of the nodes' isolation (see hostcheck.h): rootfs trees, namespaces the kernel
 * has, cgroup v2 for limits. */
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "engine/hostcheck.h"
#include "kernel/cgroup.h"

static int check_tree(const struct nsl_node *n, struct nsl_err *err)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
	                       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	const char *dir = n->rootfs.dir;
	struct stat st;
	int fd, sh;

	if (strpbrk(dir, ",:\\"))
		return nsl_err_set(err, EINVAL,
		                   "nodes.%s.rootfs: '%s' has a ',', ':' or '\\', which overlayfs "
		                   "options cannot carry: move or link the tree",
		                   n->name, dir);
	if (stat(dir, &st) < 0)
		return nsl_err_set(err, errno, "nodes.%s.rootfs: '%s': %m", n->name, dir);
	if (!S_ISDIR(st.st_mode))
		return nsl_err_set(err, ENOTDIR, "nodes.%s.rootfs: '%s' is not a directory",
		                   n->name, dir);
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return nsl_err_set(err, errno, "nodes.%s.rootfs: '%s': %m", n->name, dir);
	/* Inside the tree, as the node will see it: a symlink /bin/sh -> busybox is fine. */
	sh = (int)syscall(SYS_openat2, fd, "bin/sh", &how, sizeof(how));
	close(fd);
	if (sh < 0 || fstat(sh, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
		if (sh >= 0)
			close(sh);
		return nsl_err_set(err, ENOENT,
		                   "nodes.%s.rootfs: '%s' has no /bin/sh (exec commands, ready "
		                   "commands and nslab exec run in the tree)",
		                   n->name, dir);
	}
	close(sh);
	return 0;
}

static int check_namespaces(const struct nsl_node *n, struct nsl_err *err)
{
	struct utsname u;
	unsigned major, minor;

	/* The tree's overlay is mounted in the node's user namespace: "userxattr", Linux 5.11. */
	if ((n->namespaces & NSL_NS_USER) && n->rootfs.kind == NSL_ROOTFS_DIR && uname(&u) == 0 &&
	    sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
	    (major < 5 || (major == 5 && minor < 11)))
		return nsl_err_set(
		    err, ENOTSUP,
		    "nodes.%s.namespaces: \"user\" with a root of its own needs Linux "
		    "5.11 (overlayfs in a user namespace), and this kernel is %s",
		    n->name, u.release);
	for (unsigned bit = 1; bit & NSL_NS_ALL; bit <<= 1) {
		char p[64];
		if (!(n->namespaces & bit))
			continue;
		nsl_fmt(p, sizeof(p), "/proc/self/ns/%s", nsl_ns_name(bit));
		if (access(p, F_OK) == 0)
			continue;
		if (bit == NSL_NS_TIME && n->has_time_offsets)
			return nsl_err_set(
			    err, ENOSYS,
			    "nodes.%s.time_offsets: this kernel has no time namespaces "
			    "(Linux 5.6 and CONFIG_TIME_NS)",
			    n->name);
		return nsl_err_set(err, ENOSYS,
		                   "nodes.%s.namespaces: this kernel has no %s namespaces", n->name,
		                   nsl_ns_name(bit));
	}
	return 0;
}

static int check_limits(const struct nsl_topology *t, struct nsl_err *err)
{
	char mp[512], ctl[512];
	const char *missing;
	int found = -1;

	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct nsl_node *n = &t->nodes[i];
		if (!n->limits.set)
			continue;
		if (found < 0)
			found = nsl_cgroup2_find(mp, sizeof(mp), ctl, sizeof(ctl));
		if (found <= 0)
			return nsl_err_set(
			    err, ENOTSUP,
			    "nodes.%s.limits: limits need cgroup v2, and this host has "
			    "no cgroup2 file system mounted",
			    n->name);
		nsl_cgroup_missing(&n->limits, ctl, &missing);
		if (*missing)
			return nsl_err_set(
			    err, ENOTSUP,
			    "nodes.%s.limits: limits need cgroup v2 with the %s controller, and "
			    "%s (cgroup2) offers %s%s",
			    n->name, missing, mp, *ctl ? ctl : "none",
			    *ctl ? "" : " (a hybrid host: the controllers are bound to cgroup v1)");
		/* The lab's cgroup sits under the root: the root must hand the controllers down
		 * (nslab does not change the host's hierarchy). */
		char sub[512] = "";
		(void)nsl_cgroup_read(mp, "cgroup.subtree_control", sub, sizeof(sub));
		nsl_cgroup_missing(&n->limits, sub, &missing);
		if (*missing)
			return nsl_err_set(
			    err, ENOTSUP,
			    "nodes.%s.limits: limits need the %s controller enabled for the "
			    "children "
			    "of %s (cgroup2), and it is not (its cgroup.subtree_control: %s); "
			    "enable it: echo +%s > %s/cgroup.subtree_control",
			    n->name, missing, mp, *sub ? sub : "empty", missing, mp);
	}
	return 0;
}

int nsl_host_check_nodes(const struct nsl_topology *t, struct nsl_err *err)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < t->n_nodes; i++) {
		const struct nsl_node *n = &t->nodes[i];
		if (n->rootfs.kind == NSL_ROOTFS_DIR)
			rc = check_tree(n, err);
		if (rc == 0)
			rc = check_namespaces(n, err);
	}
	return rc ? rc : check_limits(t, err);
}
