/* The state directory (see statedir.h). */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "state/statedir.h"

static int lock_fd(int fd, int op)
{
	while (flock(fd, op) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/* Open (creating it 0700 if needed) a directory that must be uid's own, with no access for
 * anyone else, and no symlink anywhere in its last component. */
static int own_dir(const char *path, uid_t uid, bool create, struct nsl_err *err)
{
	struct stat st;
	int fd;

	if (create && mkdir(path, 0700) < 0 && errno != EEXIST)
		return nsl_err_set(err, errno, "create %s: %m", path);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return nsl_err_set(err, errno, "open %s: %m", path);
	if (fstat(fd, &st) < 0 || st.st_uid != uid || (st.st_mode & 077)) {
		close(fd);
		return nsl_err_set(err, EPERM,
		                   "%s must be a directory owned by %s (uid %u) with mode 0700",
		                   path, uid ? "you" : "root", (unsigned)uid);
	}
	return fd;
}

/* A user's own runtime directory, as a login session gives it: absolute, a directory (not
 * a symlink) owned by the user, closed to others. */
static bool xdg_usable(const char *xdg, uid_t uid)
{
	struct stat st;

	return xdg && xdg[0] == '/' && strlen(xdg) < PATH_MAX - 16 && lstat(xdg, &st) == 0 &&
	       S_ISDIR(st.st_mode) && st.st_uid == uid && !(st.st_mode & 077);
}

int nsl_state_root(struct nsl_statedir *sd, struct nsl_err *err)
{
	uid_t uid = geteuid();
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int fd;

	memset(sd, 0, sizeof(*sd));
	sd->root_fd = sd->lab_fd = -1;
	sd->rootless = uid != 0;
	if (!sd->rootless)
		nsl_fmt(sd->root, sizeof(sd->root), "%s", NSL_RUN_DIR);
	else if (xdg_usable(xdg, uid))
		nsl_fmt(sd->root, sizeof(sd->root), "%s/nslab", xdg);
	else
		nsl_fmt(sd->root, sizeof(sd->root), "/tmp/nslab-%u", (unsigned)uid);
	fd = own_dir(sd->root, uid, true, err);
	if (fd < 0)
		return fd;
	sd->root_fd = fd;
	return 0;
}

/* Whether the root fd we hold is still what the root's path names (not covered since by the
 * tmpfs another nslab mounted there). */
static bool root_current(const struct nsl_statedir *sd)
{
	struct stat held, named;

	return fstat(sd->root_fd, &held) == 0 && stat(sd->root, &named) == 0 &&
	       held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

static bool root_empty(const struct nsl_statedir *sd)
{
	DIR *d = opendir(sd->root);
	struct dirent *e;
	bool empty = d != NULL;

	while (d && empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return empty;
}

/* Whether we are in another mount namespace than PID 1's (a mount made in a private one
 * would hide the state from every other shell and vanish with it). Where PID 1's cannot be
 * read (some sandboxes hide it), as for /run/netns: not known to be private. */
static bool mntns_private(void)
{
	struct stat ours, init;

	return stat("/proc/self/ns/mnt", &ours) == 0 && stat("/proc/1/ns/mnt", &init) == 0 &&
	       (ours.st_dev != init.st_dev || ours.st_ino != init.st_ino);
}

/* Whether the root is worth a tmpfs of ours: root's, not a tmpfs, not a mount point already
 * (someone's own), empty, and not in a private mount namespace. */
static bool root_wants_tmpfs(const struct nsl_statedir *sd)
{
	struct statfs sf;
	struct statx stx;

	return !sd->rootless && fstatfs(sd->root_fd, &sf) == 0 && sf.f_type != TMPFS_MAGIC &&
	       statx(AT_FDCWD, sd->root, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) == 0 &&
	       (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	       !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) && !mntns_private() && root_empty(sd);
}

/* Root's root, locked, on a tmpfs: where /run is not one (some VMs keep it on ext4, whose
 * directories slow down with every create/delete cycle, and whose journal makes every node's
 * overlay root several times dearer, more with each lab), an empty root gets a tmpfs of its
 * own, as Debian's /run is (nosuid, nodev, noexec), once per boot, as /run/netns does. Called
 * with the root locked; returns with the root we hold current and locked, reopened if it was
 * covered meanwhile (by us, or by another nslab while we waited for the lock). */
static int root_locked_current(struct nsl_statedir *sd, struct nsl_err *err)
{
	for (int tries = 0;; tries++) {
		int rc, fd;

		if (root_current(sd)) {
			if (tries > 0 || !root_wants_tmpfs(sd))
				return 0;
			if (mount("tmpfs", sd->root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			          "mode=0700") < 0)
				return 0; /* a slower root, not a failure */
		} else if (tries > 3) {
			return nsl_err_set(err, ESTALE, "%s keeps changing under us", sd->root);
		}
		lock_fd(sd->root_fd, LOCK_UN);
		fd = own_dir(sd->root, geteuid(), false, err);
		if (fd < 0)
			return fd;
		close(sd->root_fd);
		sd->root_fd = fd;
		rc = lock_fd(sd->root_fd, LOCK_EX);
		if (rc < 0)
			return nsl_err_set(err, rc, "lock %s: %s", sd->root, strerror(-rc));
	}
}

static int open_lab_dir(struct nsl_statedir *sd, const char *lab)
{
	return openat(sd->root_fd, lab, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int nsl_state_create(struct nsl_statedir *sd, const char *lab, struct nsl_err *err)
{
	int rc, fd;

	if (!nsl_name_valid(lab))
		return nsl_err_set(err, EINVAL, "invalid lab name '%s'", lab);
	snprintf(sd->lab, sizeof(sd->lab), "%s", lab);
	rc = lock_fd(sd->root_fd, LOCK_EX);
	if (rc < 0)
		return nsl_err_set(err, rc, "lock %s: %s", sd->root, strerror(-rc));
	rc = root_locked_current(sd, err);
	if (rc < 0) {
		lock_fd(sd->root_fd, LOCK_UN);
		return rc;
	}
	if (mkdirat(sd->root_fd, lab, 0700) < 0) {
		rc = -errno;
		lock_fd(sd->root_fd, LOCK_UN);
		if (rc == -EEXIST)
			return nsl_err_set(err, EEXIST, "lab '%s' is already up (or being built)",
			                   lab);
		return nsl_err_set(err, rc, "create state of lab '%s': %s", lab, strerror(-rc));
	}
	fd = open_lab_dir(sd, lab);
	rc = fd < 0 ? -errno : 0;
	lock_fd(sd->root_fd, LOCK_UN);
	if (rc < 0)
		return nsl_err_set(err, rc, "open state of lab '%s': %s", lab, strerror(-rc));
	/* A reader (status, exec) may hold the fresh directory for a moment: wait for it,
	 * outside the root lock (a remover holds its lab's lock and wants the root's). A
	 * `down` that got in first removed it: then the lab is not ours to build. */
	struct stat st;
	rc = lock_fd(fd, LOCK_EX);
	if (rc == 0 && (fstat(fd, &st) < 0 || st.st_nlink == 0))
		rc = -EAGAIN;
	if (rc < 0) {
		close(fd);
		return nsl_err_set(
		    err, rc,
		    "lab '%s': its state was removed while up began (a concurrent down); try again",
		    lab);
	}
	sd->lab_fd = fd;
	return 0;
}

int nsl_state_open(struct nsl_statedir *sd, const char *lab, bool exclusive, struct nsl_err *err)
{
	struct stat st;
	int fd, rc;

	if (!nsl_name_valid(lab))
		return nsl_err_set(err, EINVAL, "invalid lab name '%s'", lab);
	snprintf(sd->lab, sizeof(sd->lab), "%s", lab);
	for (;;) {
		fd = open_lab_dir(sd, lab);
		if (fd < 0) {
			if (errno == ENOENT)
				return 0;
			return nsl_err_set(err, errno, "open state of lab '%s': %m", lab);
		}
		rc = lock_fd(fd, exclusive ? LOCK_EX : LOCK_SH);
		if (rc < 0) {
			close(fd);
			return nsl_err_set(err, rc, "lock lab '%s': %s", lab, strerror(-rc));
		}
		/* The holder of the lock before us may have removed the directory. */
		if (fstat(fd, &st) == 0 && st.st_nlink > 0)
			break;
		close(fd);
	}
	sd->lab_fd = fd;
	return 1;
}

static int remove_tree(int dirfd)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (e->d_type == DT_DIR) {
			int sub = openat(dirfd, e->d_name,
			                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				remove_tree(sub);
			if (unlinkat(dirfd, e->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
				rc = -errno;
		} else if (unlinkat(dirfd, e->d_name, 0) < 0 && errno != ENOENT) {
			rc = -errno;
		}
	}
	closedir(d);
	return rc;
}

int nsl_state_remove(struct nsl_statedir *sd, struct nsl_err *err)
{
	int rc, dup_fd;

	if (sd->lab_fd < 0)
		return 0;
	dup_fd = fcntl(sd->lab_fd, F_DUPFD_CLOEXEC, 3);
	if (dup_fd < 0)
		return nsl_err_set(err, errno, "remove state of lab '%s': %m", sd->lab);
	rc = remove_tree(dup_fd);
	lock_fd(sd->root_fd, LOCK_EX);
	if (unlinkat(sd->root_fd, sd->lab, AT_REMOVEDIR) < 0 && errno != ENOENT && !rc)
		rc = -errno;
	lock_fd(sd->root_fd, LOCK_UN);
	if (rc < 0)
		return nsl_err_set(err, rc, "remove state of lab '%s': %s", sd->lab, strerror(-rc));
	return 0;
}

void nsl_state_close(struct nsl_statedir *sd)
{
	if (sd->lab_fd >= 0)
		close(sd->lab_fd);
	if (sd->root_fd >= 0)
		close(sd->root_fd);
	sd->lab_fd = sd->root_fd = -1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int nsl_state_list(struct nsl_statedir *sd, char ***ret, size_t *ret_n, struct nsl_err *err)
{
	int fd = fcntl(sd->root_fd, F_DUPFD_CLOEXEC, 3);
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return nsl_err_set(err, errno, "list %s: %m", sd->root);
	}
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || !nsl_name_valid(e->d_name))
			continue;
		if (!nsl_grow(&v, &cap, n, sizeof(*v)))
			goto oom;
		if (!(v[n] = strdup(e->d_name)))
			goto oom;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*ret = v;
	*ret_n = n;
	return 0;
oom:
	closedir(d);
	nsl_strv_free(v, n);
	return nsl_err_set(err, ENOMEM, "out of memory");
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Records formatted into one buffer and appended with one write: a crash leaves whole lines
 * (a line cut short by a full disk is dropped by the parser). */
static int append_recs(int dir_fd, const char *lab, const struct nsl_rec *recs, size_t n,
                       struct nsl_err *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (cap - len < NSL_REC_LINE_MAX) {
			cap = cap ? cap * 2 : 2 * NSL_REC_LINE_MAX;
			char *nb = realloc(buf, cap);
			if (!nb)
				return nsl_err_set(err, ENOMEM, "out of memory");
			buf = nb;
		}
		rc = nsl_rec_format(&recs[i], buf + len, cap - len);
		if (rc < 0)
			return nsl_err_set(err, rc, "journal of lab '%s': record too long", lab);
		len += (size_t)rc;
	}
	fd =
	    openat(dir_fd, "journal", O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return nsl_err_set(err, errno, "journal of lab '%s': %m", lab);
	rc = write_all(fd, buf, len);
	if (rc < 0)
		return nsl_err_set(err, rc, "journal of lab '%s': %s", lab, strerror(-rc));
	return 0;
}

int nsl_journal_append(struct nsl_statedir *sd, const struct nsl_rec *recs, size_t n,
                       struct nsl_err *err)
{
	return append_recs(sd->lab_fd, sd->lab, recs, n, err);
}

int nsl_state_read_file(struct nsl_statedir *sd, const char *name, char **ret, struct nsl_err *err)
{
	_cleanup_close_ int fd = openat(sd->lab_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	*ret = NULL;
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return nsl_err_set(err, errno, "read %s of lab '%s': %m", name, sd->lab);
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			char *nb = realloc(buf, cap + 1);
			if (!nb)
				return nsl_err_set(err, ENOMEM, "out of memory");
			buf = nb;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return nsl_err_set(err, errno, "read %s of lab '%s': %m", name, sd->lab);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	*ret = TAKE_PTR(buf);
	return 1;
}

int nsl_journal_read(struct nsl_statedir *sd, struct nsl_journal *ret, struct nsl_err *err)
{
	char *text = NULL;
	int rc = nsl_state_read_file(sd, "journal", &text, err);

	if (rc < 0)
		return rc;
	if (!text && !(text = strdup("")))
		return nsl_err_set(err, ENOMEM, "out of memory");
	rc = nsl_journal_parse(text, ret, err);
	if (rc < 0)
		nsl_err_prefix(err, "lab '%s'", sd->lab);
	return rc;
}

int nsl_state_write_file(struct nsl_statedir *sd, const char *name, const char *data, size_t len,
                         struct nsl_err *err)
{
	char tmp[64];
	int fd, rc;

	if (!nsl_fmt(tmp, sizeof(tmp), ".%s.tmp", name))
		return nsl_err_set(err, ENAMETOOLONG, "state file name too long");
	fd = openat(sd->lab_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return nsl_err_set(err, errno, "write %s of lab '%s': %m", name, sd->lab);
	rc = write_all(fd, data, len);
	close(fd);
	if (rc == 0 && renameat(sd->lab_fd, tmp, sd->lab_fd, name) < 0)
		rc = -errno;
	if (rc < 0) {
		unlinkat(sd->lab_fd, tmp, 0);
		return nsl_err_set(err, rc, "write %s of lab '%s': %s", name, sd->lab,
		                   strerror(-rc));
	}
	return 0;
}

int nsl_state_lock_root(struct nsl_statedir *sd, bool lock, struct nsl_err *err)
{
	int rc = lock_fd(sd->root_fd, lock ? LOCK_EX : LOCK_UN);

	return rc < 0 ? nsl_err_set(err, rc, "lock %s: %s", sd->root, strerror(-rc)) : 0;
}

static int open_other(struct nsl_statedir *sd, const char *lab)
{
	if (!nsl_name_valid(lab))
		return -EINVAL;
	int fd = open_lab_dir(sd, lab);
	return fd < 0 ? -errno : fd;
}

int nsl_journal_read_other(struct nsl_statedir *sd, const char *lab, struct nsl_journal *ret,
                           struct nsl_err *err)
{
	struct nsl_statedir other = {.root_fd = sd->root_fd, .lab_fd = -1};
	char *text = NULL;
	int fd = open_other(sd, lab), rc;

	memset(ret, 0, sizeof(*ret));
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return nsl_err_set(err, fd, "open state of lab '%s': %s", lab, strerror(-fd));
	other.lab_fd = fd;
	nsl_fmt(other.lab, sizeof(other.lab), "%s", lab);
	rc = nsl_state_read_file(&other, "journal", &text, err);
	close(fd);
	if (rc <= 0)
		return rc;
	rc = nsl_journal_parse(text, ret, err);
	return rc < 0 ? rc : 1;
}

int nsl_journal_append_other(struct nsl_statedir *sd, const char *lab, const struct nsl_rec *r,
                             struct nsl_err *err)
{
	int fd = open_other(sd, lab), rc;

	if (fd < 0)
		return nsl_err_set(err, fd, "open state of lab '%s': %s", lab, strerror(-fd));
	rc = append_recs(fd, lab, r, 1, err);
	close(fd);
	return rc;
}
