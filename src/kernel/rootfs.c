/* A node's own root (see rootfs.h). Runs in the holder, before it reports ready. */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

#include "kernel/rootfs.h"
#include "state/statedir.h"

#define SYS(call) ((call) < 0 ? -errno : 0)

const char *nsl_rootfs_part_name(int part)
{
	static const char *const names[] = {
	    [NSL_RFS_OVERLAY] = "mount the overlay of its root",
	    [NSL_RFS_SUBMOUNT] = "mount an overlay over a mount of the host",
	    [NSL_RFS_ETC] = "bind /etc/hosts, write /etc/hostname",
	    [NSL_RFS_PROC] = "mount /proc",
	    [NSL_RFS_SYS] = "mount /sys",
	    [NSL_RFS_DEV] = "set up /dev",
	    [NSL_RFS_TMP] = "mount /tmp",
	    [NSL_RFS_MOUNT] = "mount",
	    [NSL_RFS_PIVOT] = "pivot_root into its root",
	    [NSL_RFS_HOSTFILES] = "bind /etc/hosts and /etc/hostname",
	};
	return part >= 0 && (size_t)part < NSL_ARRAY_SIZE(names) && names[part]
	           ? names[part]
	           : "root file system";
}

/* Set in the holder of a node with a user namespace of its own: overlayfs mounted there keeps
 * its own attributes in user.* xattrs ("userxattr", Linux 5.11), trusted.* being the host's. */
static bool in_userns;

/* ---- paths inside the new root ---- */

static int open_in(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC),
	    .mode = (flags & O_CREAT) ? mode : 0,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	do
		fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	return fd < 0 ? -errno : fd;
}

/* An O_PATH fd of path inside the root, made (a directory, or an empty file) if missing. */
static int make_in(int rootfd, const char *path, bool dir)
{
	char buf[PATH_MAX], *slash;
	int fd = open_in(rootfd, path, O_PATH, 0), parent, rc;

	if (fd != -ENOENT)
		return fd;
	if (!nsl_fmt(buf, sizeof(buf), "%s", path))
		return -ENAMETOOLONG;
	while ((slash = strrchr(buf, '/')) && !slash[1])
		*slash = 0; /* trailing slashes */
	slash = strrchr(buf, '/');
	if (!slash || slash == buf)
		parent = open_in(rootfd, "/", O_PATH | O_DIRECTORY, 0);
	else {
		*slash = 0;
		parent = make_in(rootfd, buf, true);
		*slash = '/';
	}
	if (parent < 0)
		return parent;
	if (dir)
		rc = SYS(mkdirat(parent, slash ? slash + 1 : buf, 0755));
	else {
		int f = openat(parent, slash ? slash + 1 : buf,
		               O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		rc = f < 0 ? -errno : 0;
		if (f >= 0)
			close(f);
	}
	close(parent);
	if (rc < 0 && rc != -EEXIST)
		return rc;
	return open_in(rootfd, path, O_PATH, 0);
}

static void fd_path(char buf[static 32], int fd) { nsl_fmt(buf, 32, "/proc/self/fd/%d", fd); }

/* mount(2) onto a path inside the root. */
static int mount_in(int rootfd, const char *target, bool dir, const char *src, const char *type,
                    unsigned long flags, const char *data)
{
	char p[32];
	int fd = make_in(rootfd, target, dir), rc;

	if (fd < 0)
		return fd;
	fd_path(p, fd);
	rc = SYS(mount(src, p, type, flags, data));
	close(fd);
	return rc;
}

/* A read-only remount of the mount at p (fd: it, O_PATH). What the mount had stays: in a
 * user namespace, flags of the host's mounts are locked (noexec on /run, say), and leaving
 * one out is refused. */
static int remount_ro(const char *p, int fd, unsigned long extra)
{
	struct statvfs sv;
	unsigned long keep = 0;

	if (fstatvfs(fd, &sv) == 0)
		keep = (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0) |
		       (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) |
		       (sv.f_flag & ST_NODEV ? MS_NODEV : 0) |
		       (sv.f_flag & ST_NOATIME ? MS_NOATIME : 0) |
		       (sv.f_flag & ST_NODIRATIME ? MS_NODIRATIME : 0) |
		       (sv.f_flag & ST_RELATIME ? MS_RELATIME : 0);
	return SYS(mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep | extra, NULL));
}

static int remount_ro_in(int rootfd, const char *target)
{
	char p[32];
	int fd = open_in(rootfd, target, O_PATH, 0), rc;

	if (fd < 0)
		return fd;
	fd_path(p, fd);
	/* nosuid, nodev: a file of the lab's state is no device nor a SUID program */
	rc = remount_ro(p, fd, MS_NOSUID | MS_NODEV);
	close(fd);
	return rc;
}

static int write_in(int rootfd, const char *path, const char *text)
{
	int fd, rc = 0;
	size_t len = strlen(text), off = 0;

	fd = make_in(rootfd, "/etc", true);
	if (fd < 0)
		return fd;
	close(fd);
	fd = open_in(rootfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY, 0644);
	if (fd < 0)
		return fd;
	while (off < len && rc == 0) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno != EINTR)
			rc = -errno;
		else if (n > 0)
			off += (size_t)n;
	}
	close(fd);
	return rc;
}

static int write_file(const char *path, const char *text);

/* In a user namespace of the node's own, the node's root cannot create in the tree's (or
 * the host's) /etc, owned by ids it does not map: its /etc/hostname is a file of the node's
 * directory bound over the tree's, and a file the tree lacks is left out. */
static int etc_bind(int rootfd, const char *target, const char *src)
{
	int rc = mount_in(rootfd, target, false, src, NULL, MS_BIND, NULL);
	if (rc == -EACCES || rc == -EOVERFLOW || rc == -EPERM || rc == -EROFS) {
		int fd = open_in(rootfd, target, O_PATH, 0);
		if (fd == -ENOENT)
			return 1;
		if (fd >= 0)
			close(fd);
	}
	return rc;
}

static int etc_files(int rootfd, const struct nsl_rootfs_setup *r, const char *hn)
{
	char src[PATH_MAX];
	int rc;

	if (!in_userns) {
		rc = write_in(rootfd, "/etc/hostname", hn);
		if (rc == 0)
			rc = mount_in(rootfd, "/etc/hosts", false, r->hosts_file, NULL, MS_BIND,
			              NULL);
		return rc < 0 ? rc : remount_ro_in(rootfd, "/etc/hosts");
	}
	if (!nsl_fmt(src, sizeof(src), "%s/hostname", r->dir))
		return -ENAMETOOLONG;
	rc = write_file(src, hn);
	if (rc == 0)
		rc = etc_bind(rootfd, "/etc/hostname", src);
	if (rc >= 0)
		rc = etc_bind(rootfd, "/etc/hosts", r->hosts_file);
	return rc < 0 ? rc : rc == 0 ? remount_ro_in(rootfd, "/etc/hosts") : 0;
}

/* ---- the layers ---- */

static int make_dir(const char *path)
{
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	if (ftw->level == 0) /* the work directory itself stays */
		return 0;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -errno : 0;
}

/* Empty an overlay's work directory (its scratch space, never data), symlinks not followed. */
static int clear_work(const char *work)
{
	int rc = nftw(work, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	return rc < 0 ? (errno ? -errno : -EIO) : rc;
}

/* An overlay at target: lower read-only, upper and work in dir/name. */
static int overlay(const char *lower, const char *dir, const char *name, const char *target)
{
	char up[PATH_MAX], work[PATH_MAX], opts[3 * PATH_MAX + 64];
	int rc;

	if (!nsl_fmt(up, sizeof(up), "%s/%s", dir, name))
		return -ENAMETOOLONG;
	if ((rc = make_dir(up)) < 0)
		return rc;
	nsl_fmt(up, sizeof(up), "%s/%s/upper", dir, name);
	nsl_fmt(work, sizeof(work), "%s/%s/work", dir, name);
	if ((rc = make_dir(up)) < 0 || (rc = make_dir(work)) < 0)
		return rc;
	/* A node made again (apply --recreate) finds its layers as the last one left them: a
	 * volatile overlay marks its work directory, and the kernel mounts none over the mark
	 * until it is removed (its upper layer is whole: the old mount is gone with its node). */
	if ((rc = clear_work(work)) < 0)
		return rc;
	/* Nothing of the upper layer outlives the lab but with --keep-fs: no syncs for it
	 * (volatile, Linux 5.10). */
	if (!nsl_fmt(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s%s,volatile", lower, up,
	             work, in_userns ? ",userxattr" : ""))
		return -ENAMETOOLONG;
	rc = SYS(mount("overlay", target, "overlay", 0, opts));
	if (rc == -EINVAL) {
		opts[strlen(opts) - strlen(",volatile")] = 0;
		rc = SYS(mount("overlay", target, "overlay", 0, opts));
	}
	return rc;
}

/* A mount of the host the node's overlay of / does not show (overlayfs does not cross
 * mounts), and which is data: pseudo file systems are the node's own or left out. */
static bool pseudo_fs(const char *type)
{
	static const char *const pseudo[] = {
	    "proc",     "sysfs",     "devtmpfs",  "devpts",      "cgroup",     "cgroup2",
	    "nsfs",     "mqueue",    "debugfs",   "tracefs",     "securityfs", "pstore",
	    "bpf",      "configfs",  "fusectl",   "binfmt_misc", "autofs",     "hugetlbfs",
	    "efivarfs", "selinuxfs", "rpc_pipefs"};
	for (size_t i = 0; i < NSL_ARRAY_SIZE(pseudo); i++)
		if (!strcmp(type, pseudo[i]))
			return true;
	return false;
}

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && (path[n] == 0 || path[n] == '/');
}

/* mountinfo's octal escapes (\040 for a space) undone in place. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

/* The host's other data mounts, each an overlay of its own at the same place in the root (a
 * file bound alone, or a path overlayfs options cannot carry, read-only instead). */
static int host_submounts(int rootfd, const char *dir, const char *state_root, int *ret_index)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	int rc = 0, k = 0;

	if (!f)
		return -errno;
	while (rc == 0 && getline(&line, &cap, f) > 0) {
		char mp[PATH_MAX], type[64], name[32], p[32];
		const char *sep = strstr(line, " - ");
		struct stat st;
		int fd;
		if (!sep || sscanf(line, "%*d %*d %*s %*s %4095s", mp) != 1 ||
		    sscanf(sep, " - %63s", type) != 1)
			continue;
		unescape(mp);
		if (!strcmp(mp, "/") || under(mp, "/proc") || under(mp, "/sys") ||
		    under(mp, "/dev") || under(mp, NSL_RUN_DIR) || under(mp, state_root) ||
		    under(mp, "/run/netns") || pseudo_fs(type))
			continue;
		if (stat(mp, &st) < 0)
			continue;
		fd = open_in(rootfd, mp, O_PATH, 0);
		if (fd < 0)
			continue; /* hidden under another mount: the node does not see it either */
		fd_path(p, fd);
		*ret_index = ++k;
		if (S_ISDIR(st.st_mode) && !strpbrk(mp, ",:\\")) {
			nsl_fmt(name, sizeof(name), "m%d", k);
			rc = overlay(mp, dir, name, p);
		} else {
			rc = SYS(mount(mp, p, NULL, MS_BIND, NULL));
			if (rc == 0)
				rc = remount_ro(p, fd, 0);
		}
		close(fd);
	}
	free(line);
	fclose(f);
	return rc;
}

/* A minimal /dev, as container runtimes make it: a tmpfs with the host's harmless devices
 * bound in, its own pts and shm. */
static int make_dev(int rootfd)
{
	static const char *const devs[] = {"null",    "zero", "full",   "random",
	                                   "urandom", "tty",  "net/tun"};
	static const char *const links[][2] = {{"ptmx", "pts/ptmx"},
	                                       {"fd", "/proc/self/fd"},
	                                       {"stdin", "/proc/self/fd/0"},
	                                       {"stdout", "/proc/self/fd/1"},
	                                       {"stderr", "/proc/self/fd/2"}};
	char host[64], in[64];
	int rc, devfd;

	rc = mount_in(rootfd, "/dev", true, "tmpfs", "tmpfs", MS_NOSUID | MS_NOEXEC,
	              "mode=0755,size=65536k");
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < NSL_ARRAY_SIZE(devs); i++) {
		struct stat st;
		nsl_fmt(host, sizeof(host), "/dev/%s", devs[i]);
		if (stat(host, &st) < 0 || !(S_ISCHR(st.st_mode)))
			continue; /* no tun on this host: none in the node */
		nsl_fmt(in, sizeof(in), "/dev/%s", devs[i]);
		rc = mount_in(rootfd, in, false, host, NULL, MS_BIND, NULL);
		if (rc < 0)
			return rc;
	}
	rc = mount_in(rootfd, "/dev/pts", true, "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
	              "newinstance,ptmxmode=0666,mode=0620");
	if (rc == 0)
		rc = mount_in(rootfd, "/dev/shm", true, "shm", "tmpfs", MS_NOSUID | MS_NODEV,
		              "mode=1777,size=65536k");
	if (rc < 0)
		return rc;
	devfd = open_in(rootfd, "/dev", O_PATH | O_DIRECTORY, 0);
	if (devfd < 0)
		return devfd;
	for (size_t i = 0; i < NSL_ARRAY_SIZE(links) && rc == 0; i++)
		if (symlinkat(links[i][1], devfd, links[i][0]) < 0 && errno != EEXIST)
			rc = -errno;
	close(devfd);
	return rc;
}

static int user_mount(int rootfd, const struct nsl_mount *m)
{
	struct stat st;
	int rc;

	if (m->tmpfs)
		rc = mount_in(rootfd, m->target, true, "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV,
		              "mode=0755,uid=0,gid=0");
	else if (stat(m->source, &st) < 0)
		return -errno;
	else
		rc = mount_in(rootfd, m->target, S_ISDIR(st.st_mode), m->source, NULL,
		              MS_BIND | MS_REC, NULL);
	if (rc == 0 && m->read_only)
		rc = remount_ro_in(rootfd, m->target);
	return rc;
}

int nsl_rootfs_enter(const struct nsl_rootfs_setup *r, int *ret_part, int *ret_index)
{
	char root[PATH_MAX], hn[80];
	const char *state_root = r->state_root ? r->state_root : NSL_RUN_DIR;
	int rootfd = -1, rc;

#define TRY(part, expr)                                                                            \
	do {                                                                                       \
		*ret_part = (part);                                                                \
		if ((rc = (expr)) < 0)                                                             \
			goto out;                                                                  \
	} while (0)

	*ret_index = 0;
	in_userns = r->userns;
	nsl_fmt(root, sizeof(root), "%s/root", r->dir);
	TRY(NSL_RFS_OVERLAY, make_dir(root));
	TRY(NSL_RFS_OVERLAY,
	    overlay(r->kind == NSL_ROOTFS_DIR ? r->tree : "/", r->dir, "rw", root));
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	TRY(NSL_RFS_OVERLAY, rootfd < 0 ? -errno : 0);
	if (r->kind == NSL_ROOTFS_OVERLAY)
		TRY(NSL_RFS_SUBMOUNT, host_submounts(rootfd, r->dir, state_root, ret_index));
	*ret_index = 0;
	/* Before anything of the kernel's is mounted in the root: a symlink of the tree at
	 * /etc/hosts or /etc/hostname can only lead to the tree's own files. */
	nsl_fmt(hn, sizeof(hn), "%s\n", r->hostname);
	TRY(NSL_RFS_ETC, etc_files(rootfd, r, hn));
	TRY(NSL_RFS_PROC, mount_in(rootfd, "/proc", true, "proc", "proc",
	                           MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
	TRY(NSL_RFS_SYS, mount_in(rootfd, "/sys", true, "sysfs", "sysfs",
	                          MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
	TRY(NSL_RFS_DEV, make_dev(rootfd));
	if (r->kind == NSL_ROOTFS_DIR)
		TRY(NSL_RFS_TMP, mount_in(rootfd, "/tmp", true, "tmpfs", "tmpfs",
		                          MS_NOSUID | MS_NODEV, "mode=1777"));
	if (r->kind == NSL_ROOTFS_OVERLAY) {
		/* Other labs' state, other nodes' layers: not the node's business. */
		int fd = open_in(rootfd, state_root, O_PATH | O_DIRECTORY, 0);
		if (fd >= 0) {
			char p[32];
			fd_path(p, fd);
			rc = SYS(mount("tmpfs", p, "tmpfs",
			               MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
			               "mode=0700,size=4k"));
			close(fd);
			TRY(NSL_RFS_TMP, rc);
		}
	}
	for (size_t i = 0; i < r->n_mounts; i++) {
		*ret_index = (int)i;
		TRY(NSL_RFS_MOUNT, user_mount(rootfd, &r->mounts[i]));
	}
	*ret_index = 0;
	TRY(NSL_RFS_PIVOT, fchdir(rootfd) < 0 ? -errno : 0);
	TRY(NSL_RFS_PIVOT, SYS(syscall(SYS_pivot_root, ".", ".")));
	TRY(NSL_RFS_PIVOT, SYS(umount2(".", MNT_DETACH)));
	TRY(NSL_RFS_PIVOT, chdir("/") < 0 ? -errno : 0);
	rc = 0;
out:
	if (rootfd >= 0)
		close(rootfd);
	return rc;
#undef TRY
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644), rc = 0;
	size_t len = strlen(text);

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		rc = errno ? -errno : -EIO;
	close(fd);
	return rc;
}

int nsl_rootfs_host_files(const struct nsl_rootfs_setup *r)
{
	static const char *const names[] = {"hosts", "hostname"};
	char dst[32], hn[80];
	struct stat st;
	int rc;

	nsl_fmt(hn, sizeof(hn), "%s\n", r->hostname);
	for (size_t i = 0; i < NSL_ARRAY_SIZE(names); i++) {
		nsl_fmt(dst, sizeof(dst), "/etc/%s", names[i]);
		if (stat(dst, &st) < 0 || !S_ISREG(st.st_mode))
			continue; /* never made on the host */
		if (i == 0) {
			rc = SYS(mount(r->hosts_file, dst, NULL, MS_BIND, NULL));
			if (rc == 0) {
				/* (the state root's flags kept: a tmpfs /run is noexec) */
				int fd = open(dst, O_PATH | O_CLOEXEC);
				rc = fd < 0 ? -errno : remount_ro(dst, fd, MS_NOSUID | MS_NODEV);
				if (fd >= 0)
					close(fd);
			}
		} else {
			rc = write_file(r->hostname_file, hn);
			if (rc == 0)
				rc = SYS(mount(r->hostname_file, dst, NULL, MS_BIND, NULL));
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}
