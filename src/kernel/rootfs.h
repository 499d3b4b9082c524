/* A node's own root file system, built by its holder inside the node's new mount namespace
 * (so the host never sees a mount of it): an overlay over the host's file system (each of the
 * host's data mounts gets its own overlay too) or over a directory tree, whose upper layers
 * live in the node's directory of the lab's state (NSL_RUN_DIR/LAB/fs/NODE); then /proc,
 * /sys, a minimal /dev (null, zero, full, random, urandom, tty, net/tun, pts, shm) and, for a
 * tree, /tmp; the lab's /etc/hosts (one file, bound read-only) and the node's /etc/hostname;
 * the topology's `mounts`; and
 * pivot_root into it. Paths inside the new root are resolved inside it (openat2's
 * RESOLVE_IN_ROOT): a symlink of the tree never leads a write to the host. */
#ifndef NSL_ROOTFS_H
#define NSL_ROOTFS_H

#include "model/topology.h"

struct nsl_rootfs_setup {
	enum nsl_rootfs_kind kind;
	const char *tree;       /* NSL_ROOTFS_DIR: the lower layer */
	const char *dir;        /* the node's directory: root/, upper/, work/, m1/... made here */
	const char *hosts_file; /* the lab's /etc/hosts, bound read-only over the node's */
	const char *hostname_file; /* on the host's file system: /etc/hostname's source */
	const char *hostname;
	const char *state_root;         /* the labs' state (NULL: /run/nslab): hidden in the node */
	const struct nsl_mount *mounts; /* the topology's, applied on top */
	size_t n_mounts;
	bool userns; /* in a user namespace of the node's own ("user") */
};

/* What failed, for the holder's report. */
enum nsl_rootfs_part {
	NSL_RFS_OVERLAY,
	NSL_RFS_SUBMOUNT,
	NSL_RFS_ETC,
	NSL_RFS_PROC,
	NSL_RFS_SYS,
	NSL_RFS_DEV,
	NSL_RFS_TMP,
	NSL_RFS_MOUNT, /* a topology mount: its index in *ret_index */
	NSL_RFS_PIVOT,
	NSL_RFS_HOSTFILES,
};
const char *nsl_rootfs_part_name(int part);

/* In the holder, its mount tree already private: build the root and pivot into it.
 * 0, or -errno with the part (and the mount's index) that failed. */
int nsl_rootfs_enter(const struct nsl_rootfs_setup *r, int *ret_part, int *ret_index);

/* A node on the host's file system: the lab's /etc/hosts (read-only) and its /etc/hostname
 * (written in hostname_file) bound over the host's (in the node's mount namespace
 * only), where the host has them. */
int nsl_rootfs_host_files(const struct nsl_rootfs_setup *r);

#endif
