/* cgroup v2 (see cgroup.h). */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>

#include "kernel/cgroup.h"
#include "kernel/sysctl.h"

#define MARK_XATTR "trusted.nslab"
#define NSL_CGROUP_MARK_PREFIX "nslab:"

static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

int nsl_cgroup2_find(char *path, size_t size, char *controllers, size_t csize)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, found[PATH_MAX] = "";
	size_t cap = 0;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char root[PATH_MAX], mp[PATH_MAX], type[32];
		const char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*d %*d %*s %4095s %4095s", root, mp) != 2 ||
		    sscanf(sep, " - %31s", type) != 1 || strcmp(type, "cgroup2") ||
		    strcmp(root, "/"))
			continue;
		/* /sys/fs/cgroup itself, where a host has v2 alone, wins over a hybrid's. */
		if (!found[0] || !strcmp(mp, "/sys/fs/cgroup"))
			nsl_fmt(found, sizeof(found), "%s", mp);
	}
	free(line);
	fclose(f);
	controllers[0] = 0;
	if (!found[0])
		return 0;
	nsl_fmt(path, size, "%s", found);
	char p[PATH_MAX + 32];
	nsl_fmt(p, sizeof(p), "%s/cgroup.controllers", found);
	(void)read_small(p, controllers, csize);
	return 1;
}

bool nsl_cgroup_has(const char *controllers, const char *name)
{
	size_t n = strlen(name);

	for (const char *s = controllers; (s = strstr(s, name)); s += n)
		if ((s == controllers || s[-1] == ' ') && (s[n] == 0 || s[n] == ' '))
			return true;
	return false;
}

void nsl_cgroup_missing(const struct nsl_limits *l, const char *controllers, const char **ret)
{
	*ret = "";
	if (l->memory && !nsl_cgroup_has(controllers, "memory"))
		*ret = "memory";
	else if (l->pids && !nsl_cgroup_has(controllers, "pids"))
		*ret = "pids";
	else if (l->cpu_milli && !nsl_cgroup_has(controllers, "cpu"))
		*ret = "cpu";
}

int nsl_cgroup_read(const char *dir, const char *file, char *buf, size_t size)
{
	char p[PATH_MAX];

	if (!nsl_fmt(p, sizeof(p), "%s/%s", dir, file))
		return -ENAMETOOLONG;
	return read_small(p, buf, size);
}

static int write_in(const char *dir, const char *file, const char *value)
{
	char p[PATH_MAX];

	if (!nsl_fmt(p, sizeof(p), "%s/%s", dir, file))
		return -ENAMETOOLONG;
	return nsl_file_write(p, value);
}

int nsl_cgroup_make(const char *dir, const char *mark, const char *subtree)
{
	int rc;

	if (mkdir(dir, 0755) < 0)
		return -errno;
	if (setxattr(dir, MARK_XATTR, mark, strlen(mark), 0) < 0) {
		rc = -errno;
		(void)rmdir(dir); /* ours, just made, empty */
		return rc;
	}
	rc = subtree && *subtree ? write_in(dir, "cgroup.subtree_control", subtree) : 0;
	return rc;
}

int nsl_cgroup_enable(const char *dir, const char *subtree)
{
	return write_in(dir, "cgroup.subtree_control", subtree);
}

int nsl_cgroup_limit(const char *dir, const struct nsl_limits *l)
{
	char buf[64];
	int rc = 0;

	if (l->memory) {
		nsl_fmt(buf, sizeof(buf), "%llu", (unsigned long long)l->memory);
		rc = write_in(dir, "memory.max", buf);
		/* Past its memory the node's processes are OOM-killed, not swapped out. */
		if (rc == 0)
			(void)!write_in(dir, "memory.swap.max", "0");
	}
	if (rc == 0 && l->pids) {
		nsl_fmt(buf, sizeof(buf), "%llu", (unsigned long long)l->pids);
		rc = write_in(dir, "pids.max", buf);
	}
	if (rc == 0 && l->cpu_milli) {
		nsl_fmt(buf, sizeof(buf), "%u 100000", l->cpu_milli * 100);
		rc = write_in(dir, "cpu.max", buf);
	}
	return rc;
}

int nsl_cgroup_marked(const char *dir, const char *mark)
{
	char buf[256];
	ssize_t n = getxattr(dir, MARK_XATTR, buf, sizeof(buf));

	if (n < 0)
		return errno == ENOENT ? -ENOENT : 0;
	return (size_t)n == strlen(mark) && !memcmp(buf, mark, (size_t)n);
}

/* The PID behind a pidfd, from /proc/self/fdinfo. */
static pid_t pidfd_pid(int pidfd)
{
	char p[64], buf[1024], *s;
	int fd;
	ssize_t n;

	nsl_fmt(p, sizeof(p), "/proc/self/fdinfo/%d", pidfd);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	s = strstr(buf, "\nPid:");
	return s ? (pid_t)strtol(s + 5, NULL, 10) : -ENOENT;
}

int nsl_cgroup_of_pidfd(int pidfd, int *ret_fd)
{
	char p[64], mp[PATH_MAX], ctl[8], *line = NULL, dir[2 * PATH_MAX];
	size_t cap = 0;
	pid_t pid = pidfd_pid(pidfd);
	FILE *f;
	int fd, rc = 0;

	*ret_fd = -1;
	if (pid <= 0)
		return 0; /* gone: the spawn itself tells */
	nsl_fmt(p, sizeof(p), "/proc/%d/cgroup", (int)pid);
	f = fopen(p, "re");
	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0)
		if (!strncmp(line, "0::/", 4)) {
			line[strcspn(line, "\n")] = 0;
			rc = 1;
			break;
		}
	fclose(f);
	/* The root, or no cgroup v2 at all: never one of ours. */
	if (rc == 0 || !line[4] || nsl_cgroup2_find(mp, sizeof(mp), ctl, sizeof(ctl)) <= 0) {
		free(line);
		return 0;
	}
	nsl_fmt(dir, sizeof(dir), "%s%s", mp, line + 3);
	free(line);
	char mark[256];
	ssize_t n = getxattr(dir, MARK_XATTR, mark, sizeof(mark));
	if (n <= 0 || (size_t)n < sizeof(NSL_CGROUP_MARK_PREFIX) - 1 ||
	    memcmp(mark, NSL_CGROUP_MARK_PREFIX, sizeof(NSL_CGROUP_MARK_PREFIX) - 1))
		return 0;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	*ret_fd = fd;
	return 1;
}

/* Remove dir and the cgroups under it (a node with its own cgroup namespace may have made
 * some), deepest first: each is ours, being inside ours. */
static int remove_tree(const char *dir, int depth)
{
	struct timespec ts = {0, 5 * 1000 * 1000};
	struct dirent *e;
	DIR *d;

	if (depth > 16)
		return -ELOOP;
	(void)!write_in(dir, "cgroup.kill", "1");
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		char sub[PATH_MAX];
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (nsl_fmt(sub, sizeof(sub), "%s/%s", dir, e->d_name))
			(void)remove_tree(sub, depth + 1);
	}
	if (d)
		closedir(d);
	for (int i = 0; i < 400; i++) { /* two seconds for what cgroup.kill killed to go */
		if (rmdir(dir) == 0)
			return 0;
		if (errno != EBUSY)
			return -errno;
		nanosleep(&ts, NULL);
	}
	return -EBUSY;
}

int nsl_cgroup_remove(const char *dir) { return remove_tree(dir, 0); }
