/* Teardown (see teardown.h). Most of a lab dies with its holders: killing them and dropping
 * the netns binds lets the kernel dismantle every namespace in one batch. Only what lives in
 * the host is undone one by one: moved devices go home first (a namespace that dies destroys
 * the virtual devices in it), then host ends of links, the host nft table, host sysctls. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "engine/fault.h"
#include "engine/marks.h"
#include "engine/rootless.h"
#include "engine/teardown.h"
#include "engine/teardown_impl.h"
#include "engine/uidpool.h"
#include "kernel/cgroup.h"
#include "kernel/keeper.h"
#include "kernel/netlink.h"
#include "kernel/nft.h"
#include "kernel/ns.h"
#include "kernel/proc.h"

/* Every fd of a td starts closed: a zeroed one would be fd 0, and td_close would wait on and
 * close our stdin as if it were a pidfd (apply's rollback of a node did: 5 s, every time). */
static struct td td_init(struct nsl_statedir *sd, struct nsl_progress_sink *progress,
                         struct nsl_err *err)
{
	/* Two fds a node (its namespace, its holder): a big lab's need more than 1024. */
	nsl_nofile_raise();
	return (struct td){.sd = sd,
	                   .lab = sd->lab,
	                   .err = err,
	                   .progress = progress,
	                   .rootless = sd->rootless,
	                   .keeper = {.pidfd = -1, .lifeline_w = -1, .uplink.pidfd = -1},
	                   .userns_fd = -1,
	                   .host = {.fd = -1}};
}

static bool ns_matches(const struct lab_ns *n, const struct nsl_ns_id *id)
{
	return (n->want_dev == 0 || n->want_dev == id->dev) && n->want_ino == id->ino &&
	       !nsl_netns_is_host(id);
}

/* Whether lo in the network namespace fd carries node's mark: the proof a namespace is the
 * lab's when no live holder of ours vouches for it (its number alone does not: a freed
 * namespace's number is given to the next one made). */
int td_ns_marked(const struct td *td, int fd, const char *node)
{
	char mark[NSL_MARK_MAX];
	struct nsl_link_info lo;
	struct nsl_err err;
	struct nsl_nl nl;
	int rc;

	rc = nsl_nl_open(&nl, fd, &err);
	if (rc < 0)
		return rc;
	rc = nsl_nl_link_get(&nl, 1, NULL, &lo, &err);
	nsl_nl_close(&nl);
	if (rc < 0)
		return rc;
	nsl_mark(mark, sizeof(mark), td->lab, node);
	return rc > 0 && !strcmp(lo.alias, mark);
}

/* The lab's namespace by the journal: the bind, if it is the recorded namespace (and, with
 * its holder gone, carries the node's mark), or else the holder's own (through its pidfd). */
static void ns_open_journaled(struct td *td, struct lab_ns *n, pid_t pid, uint64_t start)
{
	char path[PATH_MAX];
	struct nsl_ns_id id;
	int fd = -1;

	n->fd = -1;
	n->holder = nsl_proc_pidfd(pid, start);
	n->pid = pid;
	ns_path(td, n->name, path, sizeof(path));
	if (nsl_netns_open_bound(path, &fd, &id) > 0) {
		/* A holder alive now (not a zombie: one no longer holds its namespace) held the
		 * recorded namespace all along: the bind opened before it is that one. */
		bool vouched = n->holder >= 0 && !nsl_pidfd_wait(n->holder, 0);
		int marked = ns_matches(n, &id) && !vouched ? td_ns_marked(td, fd, n->name) : 1;
		if (ns_matches(n, &id) && marked > 0) {
			n->fd = fd;
			n->id = id;
			return;
		}
		close(fd);
		if (ns_matches(n, &id)) {
			/* The recorded number, with nothing to vouch for it: ours, its lo's alias
			 * changed from inside, or a namespace made since that was given the number.
			 * Neither is touched, and the state stays, so that down says so each time.
			 */
			struct nsl_err e;
			int rc;
			n->id = (struct nsl_ns_id){0};
			if (marked < 0)
				rc = nsl_err_set(&e, -marked,
				                 "node %s: %s: cannot read its mark: %s", n->name,
				                 path, strerror(-marked));
			else
				rc = nsl_err_set(
				    &e, EPERM,
				    "node %s: %s has the namespace the lab recorded, but its "
				    "holder "
				    "is gone and its lo does not carry the mark nslab:%s:%s: it "
				    "cannot be proven the lab's and is left alone (if it is, "
				    "remove it: ip netns delete %s.%s)",
				    n->name, path, td->lab, n->name, td->lab, n->name);
			keep_first(td, rc, &e);
			return;
		}
	}
	if (n->holder >= 0) {
		fd = nsl_proc_open_ns(n->holder, pid, "net");
		if (fd >= 0 && nsl_ns_id_of_fd(fd, &id) == 0 && ns_matches(n, &id)) {
			n->fd = fd;
			n->id = id;
			return;
		}
		if (fd >= 0)
			close(fd);
	}
	n->id.dev = n->want_dev;
	n->id.ino = n->want_ino;
}

/* The user namespace of the live process behind pidfd, held, if it is want; else -1. */
static int userns_held(int pidfd, pid_t pid, const struct nsl_ns_id *want)
{
	struct nsl_ns_id id;
	int fd = nsl_proc_open_ns(pidfd, pid, "user");

	if (fd >= 0 && nsl_ns_id_of_fd(fd, &id) == 0 && nsl_ns_id_eq(&id, want))
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

static struct lab_ns *ns_add(struct td *td)
{
	if (!nsl_grow(&td->ns, &td->cap_ns, td->n_ns, sizeof(*td->ns)))
		return NULL;
	struct lab_ns *n = &td->ns[td->n_ns++];
	memset(n, 0, sizeof(*n));
	n->fd = n->holder = -1;
	return n;
}

static const struct lab_ns *ns_find(const struct td *td, const char *node)
{
	for (size_t i = 0; i < td->n_ns; i++)
		if (!strcmp(td->ns[i].name, node))
			return &td->ns[i];
	return NULL;
}

/* ---- moved devices ---- */

struct device_home {
	const char *node, *key, *orig;
	const char *alias; /* to restore; NULL: clear ours */
	bool restore;      /* MTU, MAC, addresses and state known */
	uint32_t mtu;
	bool up;
	const uint8_t *mac;
	const struct nsl_prefix *addrs;
	size_t n_addrs;
};

/* Out of the node under its first name, then its old MTU, MAC, alias, addresses and state. */
static int device_home(struct td *td, const struct device_home *d, struct nsl_err *err)
{
	const struct lab_ns *n = ns_find(td, d->node);
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct nsl_link_info li;
	char what[96];
	int rc;

	if (self < 0) /* -1 would say "stay where you are" to the move */
		return nsl_err_set(err, errno, "open /proc/self/ns/net: %m");
	if (n && n->fd >= 0) {
		struct nsl_nl nl;
		rc = nsl_nl_open(&nl, n->fd, err);
		if (rc < 0)
			return rc;
		rc = nsl_nl_link_get(&nl, 0, d->key, &li, err);
		/* Ours only: the alias we gave it when it moved in. */
		if (rc > 0 && nsl_mark_suffix(li.alias, td->lab) &&
		    !strcmp(nsl_mark_suffix(li.alias, td->lab), d->orig)) {
			struct nsl_link_change c = {
			    .ifindex = li.ifindex, .up = 0, .new_name = d->orig, .netns_fd = self};
			nsl_fmt(what, sizeof(what), "move %s home as %s", d->key, d->orig);
			rc = nsl_nl_link_change(&nl, &c, what, err);
			if (rc == 0)
				rc = nsl_nl_flush(&nl, err);
		}
		nsl_nl_close(&nl);
		if (rc < 0)
			return rc;
	}
	/* Home now (or it never left): put back what it had, if it is the one we marked. */
	rc = nsl_nl_link_get(&td->host, 0, d->orig, &li, err);
	if (rc <= 0)
		return rc; /* a virtual device dies with its namespace: nothing left to restore */
	const char *suffix = nsl_mark_suffix(li.alias, td->lab);
	if (!suffix || strcmp(suffix, d->orig))
		return 0; /* not ours, or already restored */
	bool mac_changed = d->restore && li.has_mac && memcmp(li.mac, d->mac, 6) &&
	                   (d->mac[0] | d->mac[1] | d->mac[2] | d->mac[3] | d->mac[4] | d->mac[5]);
	struct nsl_link_change c = {.ifindex = li.ifindex,
	                            .up = d->restore && d->up ? 1 : -1,
	                            .netns_fd = -1,
	                            .mtu = d->restore && d->mtu != li.mtu ? d->mtu : 0,
	                            .mac = mac_changed ? d->mac : NULL};
	nsl_fmt(what, sizeof(what), "restore %s", d->orig);
	rc = nsl_nl_link_change(&td->host, &c, what, err);
	for (size_t a = 0; rc == 0 && a < d->n_addrs; a++)
		rc = nsl_nl_addr_add(&td->host, li.ifindex, d->orig, &d->addrs[a], err);
	if (rc == 0)
		rc = nsl_nl_flush(&td->host, err);
	/* An address already back (the kernel kept it) is what we wanted. */
	if (rc < 0 && rc != -EEXIST)
		return rc;
	/* The mark goes last: until then, a teardown run again knows the device for ours. */
	struct nsl_link_change ac = {
	    .ifindex = li.ifindex, .up = -1, .netns_fd = -1, .alias = d->alias ? d->alias : ""};
	rc = nsl_nl_link_change(&td->host, &ac, what, err);
	return rc < 0 ? rc : nsl_nl_flush(&td->host, err);
}

/* Each of the lab's namespaces that opens, with its links (none when they cannot be listed):
 * fn gets a socket open there, or NULL with close_first (closed before fn runs). */
typedef void links_fn(struct td *td, size_t i, struct nsl_nl *nl, const struct nsl_link_info *links,
                      size_t n_links, struct nsl_err *e);
static void each_ns_links(struct td *td, bool close_first, links_fn *fn)
{
	for (size_t i = 0; i < td->n_ns; i++) {
		_cleanup_free_ struct nsl_link_info *links = NULL;
		size_t n_links = 0;
		struct nsl_err e;
		struct nsl_nl nl;
		if (td->ns[i].fd < 0 || nsl_nl_open(&nl, td->ns[i].fd, &e) < 0)
			continue;
		if (nsl_nl_link_list(&nl, &links, &n_links, &e) < 0)
			n_links = 0;
		if (close_first)
			nsl_nl_close(&nl);
		fn(td, i, close_first ? NULL : &nl, links, n_links, &e);
		if (!close_first)
			nsl_nl_close(&nl);
	}
}

static void devices_home_in(struct td *td, size_t i, struct nsl_nl *nl,
                            const struct nsl_link_info *links, size_t n_links, struct nsl_err *e)
{
	for (size_t l = 0; l < n_links; l++) {
		const char *orig = nsl_mark_suffix(links[l].alias, td->lab);
		if (!orig || links[l].ifindex == 1 || (links[l].flags & IFF_LOOPBACK) ||
		    !nsl_ifname_valid(orig))
			continue;
		struct device_home d = {.node = td->ns[i].name, .key = links[l].name, .orig = orig};
		if (nsl_step("device home", e) == 0)
			keep_first(td, device_home(td, &d, e), e);
	}
}

/* Devices the journal lost: found by their mark in the lab's namespaces. */
static void orphan_devices_home(struct td *td) { each_ns_links(td, true, devices_home_in); }

/* ---- the host ---- */

/* Is this host link the end of a veth whose peer lives in the lab's namespace of node? */
static bool peer_in(struct td *td, const struct nsl_link_info *li, const char *node)
{
	const struct lab_ns *n = node ? ns_find(td, node) : NULL;
	int nsid;

	if (!n || n->fd < 0 || strcmp(li->kind, "veth") || !li->has_link_netnsid)
		return false;
	return nsl_nl_netns_id(&td->host, n->fd, &nsid, NULL) > 0 && nsid == li->link_netnsid;
}

static int delete_host_link(struct td *td, const char *name, const char *node, struct nsl_err *err)
{
	char mark[NSL_MARK_MAX];
	struct nsl_link_info li;
	int rc = nsl_nl_link_get(&td->host, 0, name, &li, err);

	if (rc <= 0)
		return rc;
	/* Ours only: it carries the lab's mark, or (up died before marking it) it is a veth
	 * whose peer is in the lab's namespace, which we hold open. A name proves nothing. */
	nsl_mark(mark, sizeof(mark), td->lab, NULL);
	if (strcmp(li.alias, mark) && !peer_in(td, &li, node))
		return 0;
	rc = nsl_nl_link_del(&td->host, li.ifindex, li.name, err);
	if (rc == 0)
		rc = nsl_nl_flush(&td->host, err);
	return rc == -ENODEV ? 0 : rc;
}

/* A device made in the host (hostdev record): ours if it carries the lab's mark, or (up died
 * before marking it) it is of the recorded kind with the MAC up chose at random for it. */
static int delete_host_dev(struct td *td, const struct nsl_rec *r, struct nsl_err *err)
{
	char mark[NSL_MARK_MAX];
	struct nsl_link_info li;
	int rc = nsl_nl_link_get(&td->host, 0, r->hostdev.name, &li, err);

	if (rc <= 0)
		return rc;
	nsl_mark(mark, sizeof(mark), td->lab, NULL);
	if (strcmp(li.alias, mark) &&
	    (strcmp(li.kind, r->hostdev.kind) || !li.has_mac || memcmp(li.mac, r->hostdev.mac, 6)))
		return 0;
	rc = nsl_nl_link_del(&td->host, li.ifindex, li.name, err);
	if (rc == 0)
		rc = nsl_nl_flush(&td->host, err);
	return rc == -ENODEV ? 0 : rc;
}

/* A cgroup of the lab (cgroup record): removed if it carries the recorded mark and that mark
 * is the lab's; gone already, or another's, is left alone. */
static int remove_cgroup(struct td *td, const char *path, const char *mark, struct nsl_err *err)
{
	char want[NSL_MARK_MAX];
	int rc;

	nsl_mark(want, sizeof(want), td->lab, NULL);
	if (strcmp(mark, want) && !nsl_mark_suffix(mark, td->lab))
		return 0;
	rc = nsl_cgroup_marked(path, mark);
	if (rc <= 0)
		return 0;
	rc = nsl_cgroup_remove(path);
	if (rc < 0 && rc != -ENOENT)
		return nsl_err_set(err, -rc, "remove cgroup %s: %s", path, strerror(-rc));
	return 0;
}

/* The lab's cgroups without a journal: CGROUP2/nslab-LAB and its children, by their marks. */
static int remove_marked_cgroups(struct td *td, struct nsl_err *err)
{
	char mp[PATH_MAX], ctl[8], dir[PATH_MAX + NSL_NAME_MAX + 16], mark[NSL_MARK_MAX];
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (nsl_cgroup2_find(mp, sizeof(mp), ctl, sizeof(ctl)) <= 0)
		return 0;
	nsl_fmt(dir, sizeof(dir), "%s/" NSL_CGROUP_PREFIX "%s", mp, td->lab);
	nsl_mark(mark, sizeof(mark), td->lab, NULL);
	if (nsl_cgroup_marked(dir, mark) <= 0)
		return 0;
	d = opendir(dir);
	while (d && (e = readdir(d)) && rc == 0) {
		char sub[sizeof(dir) + 256], m[NSL_MARK_MAX];
		if (e->d_type != DT_DIR || !nsl_name_valid(e->d_name))
			continue;
		nsl_fmt(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		nsl_mark(m, sizeof(m), td->lab, e->d_name);
		rc = remove_cgroup(td, sub, m, err);
	}
	if (d)
		closedir(d);
	return rc < 0 ? rc : remove_cgroup(td, dir, mark, err);
}

/* Host ends carrying the lab's mark, whatever the journal says. */
static int delete_marked_host_links(struct td *td, struct nsl_err *err)
{
	_cleanup_free_ struct nsl_link_info *links = NULL;
	char mark[NSL_MARK_MAX];
	size_t n_links = 0;
	int rc;

	nsl_mark(mark, sizeof(mark), td->lab, NULL);
	rc = nsl_nl_link_list(&td->host, &links, &n_links, err);
	for (size_t l = 0; rc == 0 && l < n_links; l++)
		if (!strcmp(links[l].alias, mark)) {
			rc = nsl_step("host link", err);
			if (rc == 0)
				rc = nsl_nl_link_del(&td->host, links[l].ifindex, links[l].name,
				                     err);
			if (rc == 0)
				rc = nsl_nl_flush(&td->host, err);
			if (rc == -ENODEV)
				rc = 0;
		}
	return rc;
}

static int delete_host_table(struct td *td, struct nsl_err *err)
{
	char table[NSL_NAME_MAX + 8], mark[NSL_MARK_MAX];
	int rc = nsl_step("host nft table", err);

	nsl_host_table(table, sizeof(table), td->lab);
	nsl_mark(mark, sizeof(mark), td->lab, NULL);
	if (rc == 0)
		rc = nsl_nft_delete(-1, table, mark, err);
	return rc < 0 ? rc : 0;
}

/* ---- the whole ---- */

static void td_close(struct td *td)
{
	td_wait_killed(td);
	if (td->userns_fd >= 0)
		close(td->userns_fd);
	for (size_t i = 0; i < td->n_ns; i++) {
		if (td->ns[i].fd >= 0)
			close(td->ns[i].fd);
		if (td->ns[i].holder >= 0)
			close(td->ns[i].holder);
	}
	free(td->ns);
	nsl_keeper_free(&td->keeper);
	nsl_nl_close(&td->host);
}

int nsl_teardown(struct nsl_statedir *sd, struct nsl_progress_sink *progress, struct nsl_err *err)
{
	struct td td = td_init(sd, progress, err);
	struct nsl_journal j;
	struct nsl_ns_id userns = {0};
	bool hostnft = false;
	size_t n_devices = 0, n_hostlinks = 0, done = 0;
	struct nsl_err e;
	int rc;

	nsl_steps_begin(NSL_STEPS_DOWN);
	rc = nsl_journal_read(sd, &j, err);
	if (rc < 0)
		return rc;
	/* A rootless lab changed nothing of the host, nor may it: the host is not touched. */
	rc = td.rootless ? 0 : nsl_nl_open(&td.host, -1, err);
	if (rc < 0) {
		nsl_journal_free(&j);
		return rc;
	}
	/* 1. The lab's namespaces and holders, by the identities the journal recorded. */
	for (size_t i = 0; i < j.n; i++) {
		const struct nsl_rec *r = &j.recs[i];
		hostnft |= r->kind == NSL_REC_HOSTNFT;
		if (r->kind == NSL_REC_KEEPER && td.rootless) {
			userns.dev = r->keeper.userns_dev;
			userns.ino = r->keeper.userns_ino;
			nsl_keeper_free(&td.keeper);
			if (nsl_keeper_open(r->keeper.pid, r->keeper.start_time, &td.keeper) > 0 &&
			    td.userns_fd < 0)
				td.userns_fd = userns_held(td.keeper.pidfd, r->keeper.pid, &userns);
		}
		if (r->kind == NSL_REC_UPLINK && td.rootless && td.keeper.uplink.pidfd < 0)
			(void)nsl_uplink_open(r->uplink.pid, r->uplink.start_time, &td.keeper);
		if (r->kind != NSL_REC_NODE)
			continue;
		struct lab_ns *n = ns_add(&td);
		if (!n)
			break;
		nsl_fmt(n->name, sizeof(n->name), "%s", r->node.name);
		n->want_dev = r->node.netns_dev;
		n->want_ino = r->node.netns_ino;
		ns_open_journaled(&td, n, r->node.pid, r->node.start_time);
		if (td.rootless && td.userns_fd < 0 && n->holder >= 0)
			td.userns_fd = userns_held(n->holder, r->node.pid, &userns);
	}
	/* Everything in the lab's user namespace goes too, once a process of the lab (its keeper,
	 * a holder) proves that namespace is still the one journaled: an identity alone may have
	 * been given to a namespace born since. */
	if (td.userns_fd >= 0)
		td.userns = userns;
	td_adopt_unheld(&td);
	for (size_t i = 0; i < j.n; i++) {
		n_devices += j.recs[i].kind == NSL_REC_DEVICE;
		n_hostlinks += j.recs[i].kind == NSL_REC_HOSTLINK;
	}
	/* 2. Moved devices home, last moved first, while their namespaces still exist. */
	for (size_t i = j.n; !td.rootless && i-- > 0;) {
		const struct nsl_rec *r = &j.recs[i];
		if (r->kind != NSL_REC_DEVICE)
			continue;
		nsl_progress_report(progress, "devices", done++, n_devices);
		struct device_home d = {.node = r->device.node,
		                        .key = r->device.key,
		                        .orig = r->device.orig,
		                        .alias = r->device.alias,
		                        .restore = true,
		                        .mtu = r->device.mtu,
		                        .up = r->device.up,
		                        .mac = r->device.mac,
		                        .addrs = r->device.addrs,
		                        .n_addrs = r->device.n_addrs};
		rc = nsl_step("device home", &e);
		if (rc == 0)
			rc = device_home(&td, &d, &e);
		keep_first(&td, rc, &e);
	}
	/* 3. Every process in the lab's namespaces, holders first; 4. the names. */
	if (!td.first)
		td_kill_and_unbind(&td);
	/* 4b. The lab's cgroups, nodes' first (each must be empty: the holders are dead, and
	 * what is left in it is killed), only those that carry the recorded mark. */
	for (size_t i = j.n; !td.first && i-- > 0;)
		if (j.recs[i].kind == NSL_REC_CGROUP) {
			rc = nsl_step("cgroup", &e);
			if (rc == 0)
				rc = remove_cgroup(&td, j.recs[i].cgroup.path,
				                   j.recs[i].cgroup.mark, &e);
			keep_first(&td, rc, &e);
		}
	/* 5. Host ends (the kernel would take its time) and devices made in the host, by name and
	 * proof (mark, peer, MAC), then whatever carries the mark. */
	done = 0;
	for (size_t i = 0; !td.first && !td.rootless && i < j.n; i++)
		if (j.recs[i].kind == NSL_REC_HOSTLINK) {
			nsl_progress_report(progress, "host links", done++, n_hostlinks);
			rc = nsl_step("host link", &e);
			if (rc == 0)
				rc = delete_host_link(&td, j.recs[i].hostlink.name,
				                      j.recs[i].hostlink.node, &e);
			keep_first(&td, rc, &e);
		}
	for (size_t i = 0; !td.first && !td.rootless && i < j.n; i++)
		if (j.recs[i].kind == NSL_REC_HOSTDEV) {
			rc = nsl_step("host device", &e);
			if (rc == 0)
				rc = delete_host_dev(&td, &j.recs[i], &e);
			keep_first(&td, rc, &e);
		}
	if (!td.first && !td.rootless)
		keep_first(&td, delete_marked_host_links(&td, &e), &e);
	nsl_progress_report(progress, "host", 0, 0);
	/* 6. The host's nft table (a delete waits for a grace period: only when there may be
	 * one), 7. host sysctls. */
	if (!td.first && hostnft && !td.rootless)
		keep_first(&td, delete_host_table(&td, &e), &e);
	if (!td.first && !td.rootless)
		keep_first(&td, nsl_teardown_host_sysctls(td.sd, td.lab, &e), &e);
	td_close(&td);
	if (!td.first && !td.rootless)
		nsl_uidpool_release(sd->root_fd, td.lab);
	nsl_journal_free(&j);
	return td.first;
}

/* The lab's namespaces without a journal: /run/netns/LAB.* that are network namespaces (no
 * symlink followed), not the host's, and carry the lab's mark on their lo. */
static void find_marked_namespaces(struct td *td)
{
	DIR *d = opendir(NSL_NETNS_DIR);
	size_t ll = strlen(td->lab);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char path[sizeof(NSL_NETNS_DIR) + 256];
		const char *node = e->d_name + ll + 1;
		struct nsl_ns_id id;
		int fd;
		if (strncmp(e->d_name, td->lab, ll) || e->d_name[ll] != '.' ||
		    !nsl_name_valid(node))
			continue;
		nsl_fmt(path, sizeof(path), NSL_NETNS_DIR "/%s", e->d_name);
		if (nsl_netns_open_bound(path, &fd, &id) <= 0)
			continue;
		struct lab_ns *n =
		    !nsl_netns_is_host(&id) && td_ns_marked(td, fd, node) ? ns_add(td) : NULL;
		if (!n) {
			close(fd);
			continue;
		}
		nsl_fmt(n->name, sizeof(n->name), "%s", node);
		n->fd = fd;
		n->id = id;
	}
	if (d)
		closedir(d);
}

/* A rootless lab without its state: its keeper, found by its mark, and everything in the
 * keeper's user namespace. Nothing else: root's /run/netns and the host's links are not the
 * user's, even when they carry a mark of the same name. */
static int teardown_marks_rootless(struct td *td)
{
	bool found = nsl_keeper_find(td->lab, &td->keeper) > 0;

	if (found) {
		td->userns = td->keeper.userns;
		td->userns_fd = userns_held(td->keeper.pidfd, td->keeper.pid, &td->userns);
		if (td->userns_fd < 0) {
			struct nsl_err e;
			keep_first(
			    td,
			    nsl_err_set(&e, ESRCH,
			                "lab %s: its keeper (pid %d) left its user namespace "
			                "while down looked",
			                td->lab, (int)td->keeper.pid),
			    &e);
		}
		td_kill_and_unbind(td);
	}
	td_close(td);
	return td->first < 0 ? td->first : found;
}

int nsl_teardown_marks(struct nsl_statedir *sd, struct nsl_progress_sink *progress,
                       struct nsl_err *err)
{
	struct td td = td_init(sd, progress, err);
	struct nsl_err e;
	bool found;
	int rc;

	nsl_steps_begin(NSL_STEPS_DOWN);
	if (td.rootless)
		return teardown_marks_rootless(&td);
	rc = nsl_nl_open(&td.host, -1, err);
	if (rc < 0)
		return rc;
	find_marked_namespaces(&td);
	found = td.n_ns > 0;
	orphan_devices_home(&td);
	if (!td.first)
		td_kill_and_unbind(&td);
	if (!td.first)
		keep_first(&td, remove_marked_cgroups(&td, &e), &e);
	if (!td.first)
		keep_first(&td, delete_marked_host_links(&td, &e), &e);
	if (!td.first)
		keep_first(&td, delete_host_table(&td, &e), &e);
	td_close(&td);
	if (!td.first)
		nsl_uidpool_release(sd->root_fd, td.lab);
	return td.first < 0 ? td.first : found;
}

/* The interfaces of the lab's namespaces that are not moved devices (those go home by their
 * mark) nor lo: deleted, so that what they are named, and their peers, are free at once. */
static void delete_links_in(struct td *td, size_t i, struct nsl_nl *nl,
                            const struct nsl_link_info *links, size_t n_links, struct nsl_err *e)
{
	nl->tolerate = ENODEV; /* gone with one deleted before it (a peer, a lower) */
	for (size_t l = 0; l < n_links; l++) {
		if (links[l].ifindex == 1 || (links[l].flags & IFF_LOOPBACK) ||
		    nsl_mark_suffix(links[l].alias, td->lab) || !links[l].kind[0])
			continue;
		if (nsl_nl_link_del(nl, links[l].ifindex, links[l].name, e) < 0)
			break;
	}
	(void)!nsl_nl_flush(nl, e);
}

static void delete_links(struct td *td) { each_ns_links(td, false, delete_links_in); }

int nsl_teardown_nodes(struct nsl_statedir *sd, const struct nsl_node_ident *nodes, size_t n,
                       struct nsl_err *err)
{
	struct td td = td_init(sd, NULL, err);
	int rc = nsl_nl_open(&td.host, -1, err);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct lab_ns *ln = ns_add(&td);
		if (!ln) {
			td_close(&td);
			return nsl_err_set(err, ENOMEM, "out of memory");
		}
		nsl_fmt(ln->name, sizeof(ln->name), "%s", nodes[i].name);
		ln->want_dev = nodes[i].netns_dev;
		ln->want_ino = nodes[i].netns_ino;
		ns_open_journaled(&td, ln, nodes[i].pid, nodes[i].start_time);
	}
	td_adopt_unheld(&td);
	orphan_devices_home(&td);
	delete_links(&td);
	if (!td.first)
		td_kill_and_unbind(&td);
	td_close(&td);
	return td.first;
}
