/* Teardown, shared by `down` and by a failed `up`. Most of a lab dies with its holders:
 * killing them and dropping the netns binds lets the kernel dismantle every namespace in
 * one batch. Only what lives in the host is undone one by one: moved devices go home
 * first (a namespace that dies destroys virtual devices in it), then host-side veth ends,
 * the host nft table and host sysctls. Works from the journal, and from the marks nslab
 * leaves when the journal is gone. "Already gone" is success everywhere. */
#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "engine/teardown.h"
#include "kernel/holder.h"
#include "kernel/netlink.h"
#include "kernel/nft.h"

#define WAIT_GONE_NS (5ull * 1000000000ull)

struct pidfds {
	int *fds;
	size_t n, cap;
};

static void pidfds_add(struct pidfds *p, int fd)
{
	if (!nsl_grow(&p->fds, &p->cap, p->n, sizeof(*p->fds))) {
		close(fd);
		return;
	}
	p->fds[p->n++] = fd;
}

static void kill_pidfd(struct pidfds *p, int fd)
{
	syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
	pidfds_add(p, fd);
}

/* Wait, bounded, until every killed process is gone. */
static void pidfds_wait(struct pidfds *p)
{
	uint64_t deadline = nsl_now_ns() + WAIT_GONE_NS;

	for (size_t i = 0; i < p->n; i++) {
		struct pollfd pfd = {.fd = p->fds[i], .events = POLLIN};
		uint64_t now = nsl_now_ns();
		int ms = now < deadline ? (int)((deadline - now) / 1000000) : 0;
		while (poll(&pfd, 1, ms) < 0 && errno == EINTR)
			;
		close(p->fds[i]);
	}
	free(p->fds);
	p->fds = NULL;
	p->n = p->cap = 0;
}

struct inodes {
	ino_t *v;
	size_t n, cap;
};

static void inodes_add(struct inodes *s, ino_t ino)
{
	if (nsl_grow(&s->v, &s->cap, s->n, sizeof(*s->v)))
		s->v[s->n++] = ino;
}

static bool inodes_has(const struct inodes *s, ino_t ino)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == ino)
			return true;
	return false;
}

/* The lab's bound namespaces: /run/netns/LAB.NODE. */
static int each_netns(const char *lab, int (*fn)(const char *path, const char *node, void *arg),
                      void *arg)
{
	DIR *d = opendir(NSL_NETNS_DIR);
	size_t ll = strlen(lab);
	struct dirent *e;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		char path[sizeof(NSL_NETNS_DIR) + 256];
		if (strncmp(e->d_name, lab, ll) || e->d_name[ll] != '.' ||
		    !nsl_name_valid(e->d_name + ll + 1))
			continue;
		nsl_fmt(path, sizeof(path), NSL_NETNS_DIR "/%s", e->d_name);
		fn(path, e->d_name + ll + 1, arg);
	}
	closedir(d);
	return 0;
}

static int collect_ino(const char *path, const char *node, void *arg)
{
	struct stat st;

	if (stat(path, &st) == 0 && st.st_dev != 0)
		inodes_add(arg, st.st_ino);
	return 0;
}

static int drop_bind(const char *path, const char *node, void *arg)
{
	umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW);
	unlink(path);
	return 0;
}

/* Every process that lives in one of the lab's network namespaces: holders, what they
 * run, and anything started there by `ip netns exec`. Checked again through a pidfd. */
static void kill_in_namespaces(const struct inodes *ns, struct pidfds *killed)
{
	DIR *d;
	struct dirent *e;

	if (!ns->n || !(d = opendir("/proc")))
		return;
	while ((e = readdir(d))) {
		char path[64];
		struct stat st;
		uint64_t pid;
		if (!nsl_parse_u64(e->d_name, INT32_MAX, &pid) || pid <= 1 ||
		    (pid_t)pid == getpid())
			continue;
		nsl_fmt(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
		if (stat(path, &st) < 0 || !inodes_has(ns, st.st_ino))
			continue;
		int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
		if (fd < 0)
			continue;
		/* Between the look and the pidfd the pid may have been reused: look again. */
		if (stat(path, &st) < 0 || !inodes_has(ns, st.st_ino)) {
			close(fd);
			continue;
		}
		kill_pidfd(killed, fd);
	}
	closedir(d);
}

/* ---- the journal ---- */

struct jdevice {
	char node[NSL_NAME_MAX + 1], key[NSL_IFNAME_MAX + 1], orig[NSL_IFNAME_MAX + 1];
	int ifindex;
	unsigned mtu, up, had_alias;
	uint8_t mac[6];
	char *addrs; /* rest of the line */
};

static int parse_device(char *rest, struct jdevice *d)
{
	unsigned m[6];
	int off = 0;

	memset(d, 0, sizeof(*d));
	if (sscanf(rest, "%32s %15s %15s %d %u %u %x:%x:%x:%x:%x:%x %u%n", d->node, d->key, d->orig,
	           &d->ifindex, &d->mtu, &d->up, &m[0], &m[1], &m[2], &m[3], &m[4], &m[5],
	           &d->had_alias, &off) != 13)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		d->mac[i] = (uint8_t)m[i];
	d->addrs = rest + off;
	return 0;
}

static int host_netns_fd(void) { return open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC); }

/* Bring one moved device home: out of the node under its first name, then its old MTU,
 * addresses and admin state. */
static int device_home(const char *lab, struct jdevice *d, struct nsl_nl *host, struct nsl_err *err)
{
	char path[sizeof(NSL_NETNS_DIR) + 2 * NSL_NAME_MAX + 4], what[96];
	_cleanup_close_ int ns = -1, self = host_netns_fd();
	struct nsl_link_info li;
	struct nsl_nl nl;
	int rc;

	nsl_fmt(path, sizeof(path), NSL_NETNS_DIR "/%s.%s", lab, d->node);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns >= 0) {
		rc = nsl_nl_open(&nl, ns, err);
		if (rc < 0)
			return rc;
		rc = nsl_nl_link_get(&nl, 0, d->key, &li, err);
		if (rc == 0) {
			struct nsl_link_change c = {.ifindex = li.ifindex,
			                            .up = 0,
			                            .new_name = d->orig,
			                            .netns_fd = self,
			                            .alias = d->had_alias ? NULL : ""};
			nsl_fmt(what, sizeof(what), "move %s home as %s", d->key, d->orig);
			rc = nsl_nl_link_change(&nl, &c, what, err);
			if (rc == 0)
				rc = nsl_nl_flush(&nl, err);
		}
		nsl_nl_close(&nl);
		if (rc < 0 && rc != -ENODEV)
			return rc;
	}
	/* Home now (or it never left): put back what it had. */
	rc = nsl_nl_link_get(host, 0, d->orig, &li, err);
	if (rc == -ENODEV)
		return 0; /* a virtual device dies with its namespace: nothing left to restore */
	if (rc < 0)
		return rc;
	bool mac_changed = li.has_mac && memcmp(li.mac, d->mac, 6) &&
	                   (d->mac[0] | d->mac[1] | d->mac[2] | d->mac[3] | d->mac[4] | d->mac[5]);
	struct nsl_link_change c = {.ifindex = li.ifindex,
	                            .up = -1,
	                            .netns_fd = -1,
	                            .mtu = d->mtu != li.mtu ? d->mtu : 0,
	                            .mac = mac_changed ? d->mac : NULL,
	                            .alias = d->had_alias ? NULL : ""};
	nsl_fmt(what, sizeof(what), "restore %s", d->orig);
	rc = nsl_nl_link_change(host, &c, what, err);
	for (char *tok = strtok(d->addrs, " \n"); tok && rc == 0; tok = strtok(NULL, " \n")) {
		struct nsl_prefix p;
		if (nsl_prefix_parse(tok, &p))
			rc = nsl_nl_addr_add(host, li.ifindex, d->orig, &p, err);
	}
	if (rc == 0 && d->up) {
		struct nsl_link_change upc = {.ifindex = li.ifindex, .up = 1, .netns_fd = -1};
		rc = nsl_nl_link_change(host, &upc, what, err);
	}
	if (rc == 0)
		rc = nsl_nl_flush(host, err);
	/* An address already back (the kernel kept it) is what we wanted. */
	return rc == -EEXIST ? 0 : rc;
}

/* Devices the journal lost: found by their alias in the lab's namespaces. */
static int orphan_devices_home(const char *path, const char *node, void *arg)
{
	struct {
		const char *lab;
		struct nsl_nl *host;
	} *a = arg;
	_cleanup_close_ int ns = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ struct nsl_link_info *links = NULL;
	char prefix[NSL_NAME_MAX + 16];
	size_t n_links = 0;
	struct nsl_err err;
	struct nsl_nl nl;

	if (ns < 0 || nsl_nl_open(&nl, ns, &err) < 0)
		return 0;
	if (nsl_nl_link_list(&nl, &links, &n_links, &err) < 0)
		n_links = 0;
	nsl_nl_close(&nl);
	nsl_fmt(prefix, sizeof(prefix), NSL_ALIAS_PREFIX "%s:", a->lab);
	for (size_t l = 0; l < n_links; l++) {
		struct nsl_link_info *li = &links[l];
		if (strncmp(li->alias, prefix, strlen(prefix)))
			continue;
		struct jdevice d = {.had_alias = 0};
		snprintf(d.node, sizeof(d.node), "%s", node);
		snprintf(d.key, sizeof(d.key), "%s", li->name);
		snprintf(d.orig, sizeof(d.orig), "%s", li->alias + strlen(prefix));
		d.mtu = li->mtu;
		d.addrs = (char[]){""};
		(void)device_home(a->lab, &d, a->host, &err);
	}
	return 0;
}

/* The rest of a journal line after N fields: a value that may hold blanks. */
static void line_rest(const char *p, char *out, size_t size)
{
	size_t len = strcspn(p, "\n");

	snprintf(out, size, "%.*s", (int)len, p);
}

/* When did a journal set KEY (its first "hostsysctl KEY TIME OLD" line)? 0 if never. */
static unsigned long long sysctl_set_time(const char *journal, const char *key, char *old,
                                          size_t size)
{
	for (const char *p = journal; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		char k[256];
		unsigned long long t;
		int off = 0;
		if (!strncmp(p, "hostsysctl ", 11) &&
		    sscanf(p + 11, "%255s %llu %n", k, &t, &off) == 2 && off > 0 &&
		    !strcmp(k, key)) {
			if (old)
				line_rest(p + 11 + off, old, size);
			return t;
		}
	}
	return 0;
}

/* Host sysctls: each key gets back the value it had before this lab set it, unless a lab
 * that is still up set it later: that lab recorded our value as its "old" one, so it
 * inherits our original instead (a "hostsysctl-orig" line in its journal) and the key
 * keeps its value. Under the root lock, so set and restore never interleave. */
static void restore_sysctls(struct nsl_statedir *sd, const char *journal, char **lines, size_t n)
{
	char **others = NULL;
	size_t n_others = 0;

	if (nsl_state_lock_root(sd, true) < 0)
		return;
	if (nsl_state_list(sd, &others, &n_others, NULL) < 0)
		others = NULL, n_others = 0;
	for (size_t i = n; i-- > 0;) {
		char key[256], old[256];
		unsigned long long ours;
		if (strncmp(lines[i], "hostsysctl ", 11) ||
		    sscanf(lines[i] + 11, "%255s", key) != 1)
			continue;
		ours = sysctl_set_time(journal, key, old, sizeof(old));
		if (!ours)
			continue;
		/* Handle each key once: at its first line. */
		bool first = true;
		for (size_t j = 0; j < i; j++) {
			char k2[256];
			if (!strncmp(lines[j], "hostsysctl ", 11) &&
			    sscanf(lines[j] + 11, "%255s", k2) == 1 && !strcmp(k2, key))
				first = false;
		}
		if (!first)
			continue;
		/* An original handed to us by a lab that went down before us wins. */
		for (size_t j = 0; j < n; j++) {
			char k2[256];
			int off = 0;
			if (!strncmp(lines[j], "hostsysctl-orig ", 16) &&
			    sscanf(lines[j] + 16, "%255s %n", k2, &off) == 1 && off > 0 &&
			    !strcmp(k2, key))
				line_rest(lines[j] + 16 + off, old, sizeof(old));
		}
		const char *heir = NULL;
		unsigned long long heir_time = 0;
		for (size_t o = 0; o < n_others; o++) {
			_cleanup_free_ char *j = NULL;
			unsigned long long t;
			if (!strcmp(others[o], sd->lab) ||
			    nsl_state_read_other(sd, others[o], "journal", &j) < 0)
				continue;
			t = sysctl_set_time(j, key, NULL, 0);
			if (t > ours && (!heir || t < heir_time)) {
				heir = others[o];
				heir_time = t;
			}
		}
		if (heir) {
			char line[600];
			nsl_fmt(line, sizeof(line), "hostsysctl-orig %s %s\n", key, old);
			if (nsl_state_append_other(sd, heir, line) == 0)
				continue;
		}
		if (nsl_sysctl_write(key, old, NULL) < 0)
			continue; /* best effort: the key may be gone with its interface */
	}
	nsl_strv_free(others, n_others);
	nsl_state_lock_root(sd, false);
}

static int delete_host_links(const char *lab, char **names, size_t n, bool journaled,
                             struct nsl_nl *host, struct nsl_err *err)
{
	char alias[NSL_NAME_MAX + 8];
	int rc;

	nsl_fmt(alias, sizeof(alias), NSL_ALIAS_PREFIX "%s", lab);
	for (size_t i = 0; i < n; i++) {
		struct nsl_link_info li;
		rc = nsl_nl_link_get(host, 0, names[i], &li, err);
		if (rc == -ENODEV)
			continue;
		if (rc < 0)
			return rc;
		/* Ours only: a name reused by someone else since is not touched. A veth of a
		 * journaled name without alias is ours too: up died before marking it. */
		if (strcmp(li.alias, alias) &&
		    (li.alias[0] || strcmp(li.kind, "veth") || !journaled))
			continue;
		rc = nsl_nl_link_del(host, li.ifindex, li.name, err);
		if (rc == 0)
			rc = nsl_nl_flush(host, err);
		if (rc < 0 && rc != -ENODEV)
			return rc;
	}
	return 0;
}

/* Host ends carrying the lab's mark, whatever the journal says. */
static int delete_marked_host_links(const char *lab, struct nsl_nl *host, struct nsl_err *err)
{
	_cleanup_free_ struct nsl_link_info *links = NULL;
	char alias[NSL_NAME_MAX + 8];
	size_t n_links = 0, n_del = 0;
	int rc;

	nsl_fmt(alias, sizeof(alias), NSL_ALIAS_PREFIX "%s", lab);
	rc = nsl_nl_link_list(host, &links, &n_links, err);
	for (size_t l = 0; rc == 0 && l < n_links; l++)
		if (!strcmp(links[l].alias, alias)) {
			rc = nsl_nl_link_del(host, links[l].ifindex, links[l].name, err);
			n_del++;
		}
	if (rc == 0 && n_del)
		rc = nsl_nl_flush(host, err);
	return rc == -ENODEV ? 0 : rc;
}

static int teardown(const char *lab, struct nsl_statedir *sd, char *journal, struct nsl_err *err)
{
	char **hostlinks = NULL, **sysctls = NULL;
	size_t n_hostlinks = 0, n_sysctls = 0, n_lines = 0;
	struct jdevice *devs = NULL;
	size_t n_devs = 0;
	struct pidfds killed = {0};
	struct inodes ns = {0};
	struct nsl_nl host;
	char table[NSL_NAME_MAX + 8];
	int rc, first = 0;
	bool has_hostnft = false;
	_cleanup_free_ char *journal_copy = journal ? strdup(journal) : NULL;

	for (char *p = journal; p && *p; p++)
		n_lines += *p == '\n';
	hostlinks = calloc(n_lines + 1, sizeof(char *));
	sysctls = calloc(n_lines + 1, sizeof(char *));
	devs = calloc(n_lines + 1, sizeof(*devs));
	if (!hostlinks || !sysctls || !devs) {
		rc = nsl_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	rc = nsl_nl_open(&host, -1, err);
	if (rc < 0)
		goto out;
	/* 1. Holders named by the journal: only if pid and start time still match. */
	for (char *save = NULL, *line = journal ? strtok_r(journal, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		int pid;
		unsigned long long start, ino;
		if (sscanf(line, "holder %63s %d %llu %llu", name, &pid, &start, &ino) == 4) {
			int fd = nsl_proc_pidfd(pid, start);
			if (fd >= 0)
				pidfds_add(&killed, fd); /* killed after devices are home */
		} else if (!strncmp(line, "hostnft ", 8)) {
			has_hostnft = true;
		} else if (!strncmp(line, "hostlink ", 9)) {
			hostlinks[n_hostlinks++] = line + 9;
		} else if (!strncmp(line, "hostsysctl", 10)) {
			sysctls[n_sysctls++] = line;
		} else if (!strncmp(line, "device ", 7)) {
			if (parse_device(line + 7, &devs[n_devs]) == 0)
				n_devs++;
		}
	}
	/* 2. Moved devices home, last moved first, while their namespaces still exist. */
	for (size_t i = n_devs; i-- > 0;) {
		rc = device_home(lab, &devs[i], &host, err);
		if (rc < 0 && !first)
			first = rc;
	}
	struct {
		const char *lab;
		struct nsl_nl *host;
	} oa = {lab, &host};
	if (!journal) /* the journal was lost: find moved devices by their alias */
		each_netns(lab, orphan_devices_home, &oa);
	/* 3. Every process in the lab's namespaces, holders first. */
	for (size_t i = 0; i < killed.n; i++)
		syscall(SYS_pidfd_send_signal, killed.fds[i], SIGKILL, NULL, 0);
	each_netns(lab, collect_ino, &ns);
	kill_in_namespaces(&ns, &killed);
	/* 4. Names free: binds dropped, host ends deleted (the kernel would take its time). */
	each_netns(lab, drop_bind, NULL);
	rc = delete_host_links(lab, hostlinks, n_hostlinks, true, &host, err);
	if (rc < 0 && !first)
		first = rc;
	/* Host ends the journal lost: found by their alias. */
	rc = delete_marked_host_links(lab, &host, err);
	if (rc < 0 && !first)
		first = rc;
	/* 5. The host's nft table, 6. host sysctls. */
	/* Deleting a table waits for a grace period: only when there may be one. */
	nsl_fmt(table, sizeof(table), NSL_NFT_HOST_PREFIX "%s", lab);
	if (!journal || has_hostnft) {
		rc = nsl_nft_delete(-1, table, err);
		if (rc < 0 && !first)
			first = rc;
	}
	if (sd && n_sysctls)
		restore_sysctls(sd, journal_copy, sysctls, n_sysctls);
	nsl_nl_close(&host);
	/* 7. Done when the processes are gone. */
	pidfds_wait(&killed);
	rc = first;
out:
	free(hostlinks);
	free(sysctls);
	free(devs);
	free(ns.v);
	return rc;
}

int nsl_teardown(struct nsl_statedir *sd, struct nsl_err *err)
{
	_cleanup_free_ char *journal = NULL;
	int rc = nsl_journal_read(sd, &journal, err);

	if (rc < 0)
		return rc;
	return teardown(sd->lab, sd, journal, err);
}

int nsl_teardown_marks(const char *lab, struct nsl_err *err)
{
	struct inodes ns = {0};
	int rc;

	each_netns(lab, collect_ino, &ns);
	free(ns.v);
	rc = teardown(lab, NULL, NULL, err);
	return rc < 0 ? rc : ns.n > 0;
}
