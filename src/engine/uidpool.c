/* Slots of ids for nodes' user namespaces (see uidpool.h). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/uidpool.h"
#include "model/topology.h"

/* Whether the slot's file (locked by us) names a lab whose state is still there; our own lab
 * does not count when it is being made (its name's earlier life is over), nor the slot of
 * this very node (made again: its holder is gone, the lock was free, and what it wrote in
 * its layers is that range's). */
static bool named_lab_lives(int root_fd, int fd, const char *lab, const char *node, bool fresh)
{
	char buf[2 * NSL_NAME_MAX + 8], *sp, *nl;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	struct stat st;

	if (n <= 0)
		return false;
	buf[n] = 0;
	sp = strchr(buf, ' ');
	if (sp) {
		*sp = 0;
		if ((nl = strchr(sp + 1, '\n')))
			*nl = 0;
	}
	if (!strcmp(buf, lab) && (fresh || (sp && !strcmp(sp + 1, node))))
		return false;
	return nsl_name_valid(buf) && fstatat(root_fd, buf, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(st.st_mode);
}

int nsl_uidpool_take(int root_fd, const char *lab, const char *node, bool fresh, unsigned *from,
                     uint32_t *ret_base, int *ret_fd, struct nsl_err *err)
{
	_cleanup_close_ int dir = -1;
	char text[2 * NSL_NAME_MAX + 8];

	*ret_fd = -1;
	if (mkdirat(root_fd, NSL_UIDPOOL_DIR, 0700) < 0 && errno != EEXIST)
		return nsl_err_set(err, errno, "node %s: create %s: %m", node, NSL_UIDPOOL_DIR);
	dir = openat(root_fd, NSL_UIDPOOL_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return nsl_err_set(err, errno, "node %s: open %s: %m", node, NSL_UIDPOOL_DIR);
	nsl_fmt(text, sizeof(text), "%s %s\n", lab, node);
	/* A node made again (apply) takes its own slot back first: the files it wrote are that
	 * range's. Slot files are made in order: the first missing one ends the search. */
	for (unsigned pass = fresh ? 1 : 0; pass < 2; pass++)
		for (unsigned slot = pass ? *from : 0; slot < NSL_UID_SLOTS; slot++) {
			char name[16], was[sizeof(text)];
			int fd;
			ssize_t n;
			nsl_fmt(name, sizeof(name), "%u", slot);
			fd = openat(dir, name,
			            O_RDWR | O_NOFOLLOW | O_CLOEXEC | (pass ? O_CREAT : 0), 0600);
			if (fd < 0 && !pass && errno == ENOENT)
				break;
			if (fd < 0)
				return nsl_err_set(err, errno, "node %s: open %s/%s: %m", node,
				                   NSL_UIDPOOL_DIR, name);
			if (!pass && ((n = pread(fd, was, sizeof(was) - 1, 0)) < 0 ||
			              (was[n] = 0, strcmp(was, text)))) {
				close(fd);
				continue;
			}
			if (flock(fd, LOCK_EX | LOCK_NB) < 0 ||
			    (pass && named_lab_lives(root_fd, fd, lab, node, fresh))) {
				close(fd);
				continue;
			}
			/* a lab's down unlinks its slots' files, locked: one we locked after that
			 * is no slot any more; the name is looked at again (made anew) */
			struct stat st;
			if (fstat(fd, &st) < 0 || st.st_nlink == 0) {
				close(fd);
				slot--;
				continue;
			}
			size_t len = strlen(text);
			if (ftruncate(fd, 0) < 0 || pwrite(fd, text, len, 0) != (ssize_t)len) {
				int e = errno ? errno : EIO;
				close(fd);
				return nsl_err_set(err, e, "node %s: write %s/%s: %s", node,
				                   NSL_UIDPOOL_DIR, name, strerror(e));
			}
			*ret_base = NSL_UID_BASE + slot * NSL_UID_COUNT;
			*ret_fd = fd;
			if (pass)
				*from = slot + 1;
			return 0;
		}
	return nsl_err_set(err, EBUSY,
	                   "node %s: all %u id ranges for user namespaces are taken (labs up with "
	                   "\"user\" nodes)",
	                   node, NSL_UID_SLOTS);
}

void nsl_uidpool_release(int root_fd, const char *lab)
{
	char text[NSL_NAME_MAX + 2];
	int dir = openat(root_fd, NSL_UIDPOOL_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = dir >= 0 ? fdopendir(dir) : NULL;
	struct dirent *e;

	if (!d) {
		if (dir >= 0)
			close(dir);
		return;
	}
	nsl_fmt(text, sizeof(text), "%s ", lab);
	while ((e = readdir(d))) {
		char was[2 * NSL_NAME_MAX + 8];
		ssize_t n;
		int fd = openat(dir, e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* free (no holder keeps it) and this lab's: gone, unlinked while locked */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 &&
		    (n = pread(fd, was, sizeof(was) - 1, 0)) > 0 &&
		    (was[n] = 0, !strncmp(was, text, strlen(text))))
			(void)unlinkat(dir, e->d_name, 0);
		close(fd);
	}
	closedir(d);
	(void)unlinkat(root_fd, NSL_UIDPOOL_DIR, AT_REMOVEDIR); /* when it is empty */
}
