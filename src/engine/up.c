/* `up`: the executor. Host checks first (nothing changed yet), then the lab's directory
 * and journal, then the kernel work in phases, each batched per namespace:
 *   holders (namespaces born together) -> netns binds -> moved devices -> veths (both ends
 *   born in their namespaces) -> per node: bridges, link state, addresses, routes, rates,
 *   late sysctls, NAT -> host side -> exec -> commit.
 * Every host-side change is journaled before it is made; any failure unwinds through the
 * same teardown as `down`. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <time.h>
#ifndef IF_OPER_UP
#define IF_OPER_UP 6 /* RFC 2863, <linux/if.h> */
#endif
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* <linux/if.h>, which clashes with <net/if.h> */
#endif
#include <dirent.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>

#include "engine/lab.h"
#include "engine/teardown.h"
#include "kernel/holder.h"
#include "kernel/netlink.h"
#include "kernel/nft.h"

volatile sig_atomic_t nsl_interrupted;

static unsigned long fail_step, step_count;

int nsl_step(const char *what, struct nsl_err *err)
{
	step_count++;
	if (nsl_interrupted)
		return nsl_err_set(err, EINTR, "interrupted");
	if (fail_step && step_count == fail_step)
		return nsl_err_set(err, EIO, "%s: injected fault at step %lu", what, step_count);
	return 0;
}

/* What `up` knows about each host device it moves, taken before anything changes. */
struct device_rec {
	int node;
	size_t iface;
	struct nsl_link_info info;
	struct nsl_addr_info *addrs;
	size_t n_addrs;
};

struct up {
	struct nsl_topology *t;
	const char *lab;
	struct nsl_statedir sd;
	struct nsl_holders hs;
	struct nsl_nl host;
	int **ifindex;      /* [node][iface]: ifindex inside the node */
	int *host_ifindex;  /* [host iface] */
	struct nsl_nl *nls; /* [node]: its socket, open from config until ready */
	struct device_rec *devs;
	size_t n_devs;
};

static int journal(struct up *u, struct nsl_err *err, const char *fmt, ...) NSL_PRINTF(3, 4);
static int journal(struct up *u, struct nsl_err *err, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return nsl_err_set(err, ENAMETOOLONG, "journal line too long");
	return nsl_journal_append(&u->sd, line, (size_t)n, err);
}

/* ---- checks against the host, before anything changes ---- */

/* Each node takes one namespace of each kind: fail before building half a lab. */
static int check_ns_limits(const struct nsl_topology *t, struct nsl_err *err)
{
	static const char *const kinds[] = {"net", "mnt", "pid", "uts"};

	for (size_t i = 0; i < NSL_ARRAY_SIZE(kinds); i++) {
		char key[64];
		_cleanup_free_ char *v = NULL;
		uint64_t max;
		nsl_fmt(key, sizeof(key), "user.max_%s_namespaces", kinds[i]);
		if (nsl_sysctl_read(key, &v, NULL) < 0 || !nsl_parse_u64(v, UINT64_MAX, &max))
			continue;
		if (max < t->n_nodes)
			return nsl_err_set(err, ENOSPC,
			                   "%zu nodes need %zu %s namespaces, but "
			                   "/proc/sys/user/max_%s_namespaces is %llu",
			                   t->n_nodes, t->n_nodes, kinds[i], kinds[i],
			                   (unsigned long long)max);
	}
	return 0;
}

static int check_host(struct up *u, struct nsl_err *err)
{
	struct nsl_topology *t = u->t;
	_cleanup_free_ struct nsl_prefix *routes = NULL;
	size_t n_routes = 0;
	int rc;

	rc = check_ns_limits(t, err);
	if (rc < 0)
		return rc;
	/* Three fds per node while building (netns, pidfd, netlink socket): lift the soft limit. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 3 * t->n_nodes + 64)
		return nsl_err_set(
		    err, EMFILE,
		    "%zu nodes need about %zu open files; the limit is %llu (ulimit -n)",
		    t->n_nodes, 3 * t->n_nodes + 64, (unsigned long long)rl.rlim_cur);

	for (size_t i = 0; i < t->n_nodes; i++) {
		struct nsl_node *n = &t->nodes[i];
		for (size_t k = 0; k < n->n_ifaces; k++) {
			struct nsl_iface *f = &n->ifaces[k];
			struct device_rec *d;
			if (f->kind != NSL_IFACE_DEVICE)
				continue;
			d = &u->devs[u->n_devs];
			d->node = (int)i;
			d->iface = k;
			rc = nsl_nl_link_get(&u->host, 0, f->device, &d->info, err);
			if (rc == -ENODEV)
				return nsl_err_set(
				    err, ENODEV,
				    "nodes.%s.interfaces.%s.device: no such host interface '%s'",
				    n->name, f->name, f->device);
			if (rc < 0)
				return rc;
			if (d->info.ifindex == 1 || (d->info.flags & IFF_LOOPBACK))
				return nsl_err_set(err, EINVAL,
				                   "nodes.%s.interfaces.%s.device: refusing to "
				                   "move the loopback device",
				                   n->name, f->name);
			rc = nsl_nl_default_route_dev(&u->host, d->info.ifindex, err);
			if (rc < 0)
				return rc;
			if (rc > 0)
				return nsl_err_set(err, EBUSY,
				                   "nodes.%s.interfaces.%s.device: '%s' carries "
				                   "the host's default route; refusing to move it",
				                   n->name, f->name, f->device);
			if (!strncmp(d->info.alias, NSL_ALIAS_PREFIX, strlen(NSL_ALIAS_PREFIX)))
				return nsl_err_set(err, EBUSY,
				                   "nodes.%s.interfaces.%s.device: '%s' belongs to "
				                   "an nslab lab (%s)",
				                   n->name, f->name, f->device, d->info.alias);
			rc = nsl_nl_addr_list(&u->host, d->info.ifindex, &d->addrs, &d->n_addrs,
			                      err);
			if (rc < 0)
				return rc;
			u->n_devs++;
		}
	}
	/* Names of ours that someone already has: refuse now, before a rollback could take
	 * them for ours. */
	char state[sizeof(NSL_RUN_DIR) + NSL_NAME_MAX + 2];
	nsl_fmt(state, sizeof(state), NSL_RUN_DIR "/%s", u->lab);
	if (access(state, F_OK) == 0)
		return nsl_err_set(err, EEXIST, "lab '%s' is already up (or being built)", u->lab);
	for (size_t i = 0; i < t->n_nodes; i++) {
		char path[sizeof(NSL_NETNS_DIR) + 2 * NSL_NAME_MAX + 4];
		nsl_fmt(path, sizeof(path), NSL_NETNS_DIR "/%s.%s", u->lab, t->nodes[i].name);
		if (access(path, F_OK) == 0)
			return nsl_err_set(
			    err, EEXIST,
			    "nodes.%s: network namespace name %s.%s is taken (%s exists)",
			    t->nodes[i].name, u->lab, t->nodes[i].name, path);
	}
	/* Host ends: the names must be free, the addresses must not overlap the host's subnets. */
	if (t->host.n_ifaces) {
		rc = nsl_nl_route_prefixes(&u->host, &routes, &n_routes, err);
		if (rc < 0)
			return rc;
	}
	for (size_t k = 0; k < t->host.n_ifaces; k++) {
		struct nsl_iface *f = &t->host.ifaces[k];
		struct nsl_link_info li;
		char buf[64], rb[64];
		rc = nsl_nl_link_get(&u->host, 0, f->name, &li, err);
		if (rc == 0)
			return nsl_err_set(
			    err, EEXIST,
			    "host.interfaces.%s: the host already has an interface named '%s'",
			    f->name, f->name);
		if (rc != -ENODEV)
			return rc;
		for (size_t a = 0; a < f->n_addrs; a++)
			for (size_t r = 0; r < n_routes; r++) {
				if (routes[r].ip.family != f->addrs[a].ip.family)
					continue;
				/* Link-local and multicast routes exist everywhere: not a host
				 * subnet. */
				if (routes[r].ip.family == AF_INET6 &&
				    routes[r].ip.bytes[0] == 0xfe)
					continue;
				if (routes[r].ip.family == AF_INET6 &&
				    routes[r].ip.bytes[0] == 0xff)
					continue;
				if (nsl_prefix_overlap(&routes[r], &f->addrs[a]))
					return nsl_err_set(
					    err, EADDRINUSE,
					    "host.interfaces.%s.addresses[%zu]: %s overlaps the "
					    "host's subnet %s",
					    f->name, a,
					    nsl_prefix_str(&f->addrs[a], buf, sizeof(buf)),
					    nsl_prefix_str(&routes[r], rb, sizeof(rb)));
			}
	}
	return 0;
}

/* ---- phases ---- */

static bool is_mount_point(const char *path)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	while (f && !found && getline(&line, &cap, f) > 0) {
		char mp[4096];
		/* id parent major:minor root mount-point ... */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && !strcmp(mp, path))
			found = true;
	}
	if (f)
		fclose(f);
	return found;
}

static bool dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool empty = true;

	while (d && empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return d && empty;
}

/* /run/netns as iproute2 makes it: a mount point of its own, shared, so that a new mount
 * namespace can drop every netns bind in one detach. Where /run is not a tmpfs (some VMs
 * keep it on ext4, whose directories slow down with every create/delete cycle) and the
 * directory is empty, it gets a small tmpfs of its own instead of a bind on itself. */
int nsl_netns_dir_prepare(struct nsl_err *err)
{
	struct statfs sf;

	if (mkdir(NSL_NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return nsl_err_set(err, errno, "create %s: %m", NSL_NETNS_DIR);
	if (is_mount_point(NSL_NETNS_DIR))
		return 0;
	if (statfs(NSL_NETNS_DIR, &sf) == 0 && sf.f_type != TMPFS_MAGIC &&
	    dir_empty(NSL_NETNS_DIR)) {
		if (mount("tmpfs", NSL_NETNS_DIR, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		          "mode=0755") < 0)
			return nsl_err_set(err, errno, "mount a tmpfs on %s: %m", NSL_NETNS_DIR);
	} else if (mount(NSL_NETNS_DIR, NSL_NETNS_DIR, NULL, MS_BIND | MS_REC, NULL) < 0) {
		return nsl_err_set(err, errno, "bind %s on itself: %m", NSL_NETNS_DIR);
	}
	if (mount(NULL, NSL_NETNS_DIR, NULL, MS_SHARED | MS_REC, NULL) < 0)
		return nsl_err_set(err, errno, "make %s shared: %m", NSL_NETNS_DIR);
	return 0;
}

static int bind_netns(struct up *u, struct nsl_err *err)
{
	char buf[8192];
	size_t len = 0;
	int rc;

	/* Two labs coming up on a fresh host must not both mount /run/netns. */
	if (nsl_state_lock_root(&u->sd, true) < 0)
		return nsl_err_set(err, errno, "lock %s: %m", NSL_RUN_DIR);
	rc = nsl_netns_dir_prepare(err);
	nsl_state_lock_root(&u->sd, false);
	if (rc < 0)
		return rc;
	/* One journal write for all holders: they die with up until commit anyway. */
	for (size_t i = 0; i < u->hs.n; i++) {
		struct nsl_holder *h = &u->hs.h[i];
		int n =
		    snprintf(buf + len, sizeof(buf) - len, "holder %s %d %llu %llu\n",
		             u->t->nodes[i].name, (int)h->pid, (unsigned long long)h->start_time,
		             (unsigned long long)h->netns_ino);
		if (n < 0 || (size_t)n >= sizeof(buf) - len) {
			rc = nsl_journal_append(&u->sd, buf, len, err);
			if (rc < 0)
				return rc;
			len = 0;
			i--;
			continue;
		}
		len += (size_t)n;
	}
	rc = nsl_journal_append(&u->sd, buf, len, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < u->hs.n; i++) {
		char path[sizeof(NSL_NETNS_DIR) + 2 * NSL_NAME_MAX + 4], src[64];
		int fd;
		nsl_fmt(path, sizeof(path), NSL_NETNS_DIR "/%s.%s", u->lab, u->t->nodes[i].name);
		rc = nsl_step(path, err);
		if (rc < 0)
			return rc;
		fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
		if (fd < 0) {
			if (errno == EEXIST)
				return nsl_err_set(
				    err, EEXIST, "node %s: network namespace name %s.%s is taken",
				    u->t->nodes[i].name, u->lab, u->t->nodes[i].name);
			return nsl_err_set(err, errno, "node %s: create %s: %m",
			                   u->t->nodes[i].name, path);
		}
		close(fd);
		nsl_fmt(src, sizeof(src), "/proc/%d/ns/net", (int)u->hs.h[i].pid);
		if (mount(src, path, NULL, MS_BIND, NULL) < 0) {
			rc = nsl_err_set(err, errno, "node %s: bind %s: %m", u->t->nodes[i].name,
			                 path);
			unlink(path);
			return rc;
		}
	}
	return 0;
}

static int next_ifindex(const struct up *u, size_t node, int *counter)
{
	int idx;
again:
	idx = ++(*counter);
	for (size_t d = 0; d < u->n_devs; d++)
		if (u->devs[d].node == (int)node && u->devs[d].info.ifindex == idx)
			goto again;
	return idx;
}

static void assign_ifindexes(struct up *u)
{
	struct nsl_topology *t = u->t;

	/* Numbered across the lab, not per node: a veth whose index equals its peer's is
	 * taken by the kernel's link watcher for a non-urgent event, and its operstate then
	 * comes up to a second late. lo is 1 in every namespace. */
	int counter = 1;

	for (size_t i = 0; i < t->n_nodes; i++) {
		for (size_t k = 0; k < t->nodes[i].n_ifaces; k++) {
			struct nsl_iface *f = &t->nodes[i].ifaces[k];
			if (f->kind == NSL_IFACE_LO)
				u->ifindex[i][k] = 1;
			else if (f->kind == NSL_IFACE_DEVICE)
				continue; /* known once moved */
			else
				u->ifindex[i][k] = next_ifindex(u, i, &counter);
		}
	}
}

static int move_devices(struct up *u, struct nsl_err *err)
{
	for (size_t d = 0; d < u->n_devs; d++) {
		struct device_rec *r = &u->devs[d];
		struct nsl_node *n = &u->t->nodes[r->node];
		struct nsl_iface *f = &n->ifaces[r->iface];
		char line[2048], alias[NSL_NAME_MAX + 40], what[128];
		size_t len;
		int rc;

		len = (size_t)snprintf(
		    line, sizeof(line), "device %s %s %s %d %u %u %02x:%02x:%02x:%02x:%02x:%02x %s",
		    n->name, f->name, r->info.name, r->info.ifindex, r->info.mtu,
		    r->info.flags & IFF_UP ? 1u : 0u, r->info.mac[0], r->info.mac[1],
		    r->info.mac[2], r->info.mac[3], r->info.mac[4], r->info.mac[5],
		    r->info.alias[0] ? "1" : "0");
		for (size_t a = 0; a < r->n_addrs && len < sizeof(line) - 64; a++) {
			char buf[64];
			if (r->addrs[a].prefix.ip.family == AF_INET6 &&
			    r->addrs[a].scope == RT_SCOPE_LINK)
				continue; /* the kernel makes link-local addresses itself */
			len +=
			    (size_t)snprintf(line + len, sizeof(line) - len, " %s",
			                     nsl_prefix_str(&r->addrs[a].prefix, buf, sizeof(buf)));
		}
		line[len++] = '\n';
		rc = nsl_step("move device", err);
		if (rc == 0)
			rc = nsl_journal_append(&u->sd, line, len, err);
		if (rc < 0)
			return rc;
		nsl_fmt(alias, sizeof(alias), NSL_ALIAS_PREFIX "%s:%s", u->lab, r->info.name);
		nsl_fmt(what, sizeof(what), "node %s: move host device %s in as %s", n->name,
		        r->info.name, f->name);
		struct nsl_link_change c = {.ifindex = r->info.ifindex,
		                            .up = 0,
		                            .new_name = f->name,
		                            .netns_fd = u->hs.h[r->node].netns_fd,
		                            .alias = alias};
		rc = nsl_nl_link_change(&u->host, &c, what, err);
		if (rc == 0)
			rc = nsl_nl_flush(&u->host, err);
		if (rc < 0)
			return rc;
		/* It keeps its index unless the namespace has it taken, and ours is fresh. */
		u->ifindex[r->node][r->iface] = r->info.ifindex;
	}
	return 0;
}

/* Which end is created first, in the message's own attributes: a node end. The kernel
 * honours the peer's requested ifindex only when the first end names one too, and the
 * host's indexes are not ours to choose. */
static int first_end(const struct nsl_link *lk)
{
	return lk->ends[0].node == NSL_ENDPOINT_HOST ? 1 : 0;
}

static int create_links(struct up *u, struct nsl_err *err)
{
	struct nsl_topology *t = u->t;
	char alias[NSL_NAME_MAX + 8];
	int rc;

	nsl_fmt(alias, sizeof(alias), NSL_ALIAS_PREFIX "%s", u->lab);
	for (size_t l = 0; l < t->n_links; l++) {
		struct nsl_link *lk = &t->links[l];
		struct nsl_veth_end e[2];
		int first = first_end(lk);

		for (int s = 0; s < 2; s++) {
			const struct nsl_endpoint *ep = &lk->ends[s];
			struct nsl_iface *f;
			memset(&e[s], 0, sizeof(e[s]));
			e[s].name = ep->ifname;
			if (ep->node == NSL_ENDPOINT_HOST) {
				f = NULL;
				for (size_t k = 0; k < t->host.n_ifaces; k++)
					if (!strcmp(t->host.ifaces[k].name, ep->ifname))
						f = &t->host.ifaces[k];
				e[s].netns_fd = -1;
				e[s].alias = alias;
			} else {
				f = nsl_node_iface(&t->nodes[ep->node], ep->ifname);
				e[s].netns_fd = u->hs.h[ep->node].netns_fd;
				e[s].ifindex = u->ifindex[ep->node][f - t->nodes[ep->node].ifaces];
			}
			e[s].mtu = f && f->mtu ? f->mtu : lk->mtu;
			e[s].mac = f && f->has_mac ? f->mac : NULL;
			/* A bridge port goes up in its node, after it joined the bridge; a host
			 * end after its DAD setting. */
			e[s].up =
			    f && ep->node != NSL_ENDPOINT_HOST ? f->up && f->bridge < 0 : false;
		}
		if (lk->ends[1 - first].node == NSL_ENDPOINT_HOST) {
			rc = journal(u, err, "hostlink %s\n", e[1 - first].name);
			if (rc < 0)
				return rc;
		}
		rc = nsl_step("veth", err);
		if (rc < 0)
			return rc;
		rc = nsl_nl_veth_add(&u->host, &e[first], &e[1 - first], err);
		if (rc < 0)
			return rc;
	}
	rc = nsl_nl_flush(&u->host, err);
	if (rc < 0)
		return rc;
	/* Host ends are born down: the host's DAD defaults would keep their link-local
	 * address tentative for seconds. Off for these interfaces only, then up and marked. */
	for (size_t k = 0; k < t->host.n_ifaces; k++) {
		struct nsl_iface *f = &t->host.ifaces[k];
		struct nsl_link_info li;
		char key[64], what[64];
		rc = nsl_nl_link_get(&u->host, 0, f->name, &li, err);
		if (rc < 0)
			return rc;
		u->host_ifindex[k] = li.ifindex;
		/* By path, not by key: an interface name may hold dots. */
		nsl_fmt(key, sizeof(key), "/proc/sys/net/ipv6/conf/%s/accept_dad", f->name);
		if (access("/proc/sys/net/ipv6", F_OK) == 0) {
			rc = nsl_file_write(key, "0");
			if (rc < 0)
				return nsl_err_set(err, rc, "host interface %s: disable DAD: %s",
				                   f->name, strerror(-rc));
		}
		struct nsl_link_change c = {
		    .ifindex = li.ifindex, .up = f->up ? 1 : -1, .netns_fd = -1, .alias = alias};
		nsl_fmt(what, sizeof(what), "host interface %s", f->name);
		rc = nsl_nl_link_change(&u->host, &c, what, err);
		if (rc < 0)
			return rc;
	}
	return nsl_nl_flush(&u->host, err);
}

static int iface_index(const struct up *u, size_t node, const char *name)
{
	const struct nsl_node *n = &u->t->nodes[node];
	for (size_t k = 0; k < n->n_ifaces; k++)
		if (!strcmp(n->ifaces[k].name, name))
			return u->ifindex[node][k];
	return 0;
}

/* Is this end already up from its creation message? (the first end of a veth). */
static bool born_up(const struct up *u, size_t node, const struct nsl_iface *f)
{
	const struct nsl_link *lk = &u->t->links[f->link];
	int first = first_end(lk);
	const struct nsl_endpoint *ep = &lk->ends[first];

	return f->bridge < 0 && ep->node == (int)node && !strcmp(ep->ifname, f->name);
}

static int config_node(struct up *u, size_t i, struct nsl_err *err)
{
	struct nsl_node *n = &u->t->nodes[i];
	struct nsl_nl *nl = &u->nls[i]; /* stays open for wait_ready */
	int rc;

	rc = nsl_nl_open(nl, u->hs.h[i].netns_fd, err);
	if (rc < 0)
		return rc;
	for (size_t b = 0; b < n->n_bridges && rc == 0; b++) {
		struct nsl_iface *f = nsl_node_iface(n, n->bridges[b].name);
		rc = nsl_nl_bridge_add(nl, f->name, u->ifindex[i][f - n->ifaces], n->bridges[b].stp,
		                       f->mtu, f->has_mac ? f->mac : NULL, err);
	}
	for (size_t k = 0; k < n->n_ifaces && rc == 0; k++) {
		struct nsl_iface *f = &n->ifaces[k];
		struct nsl_link_change c = {.ifindex = u->ifindex[i][k], .up = -1, .netns_fd = -1};
		char what[64];
		if (f->kind == NSL_IFACE_LO)
			continue;
		if (f->bridge >= 0)
			c.master = u->ifindex[i][nsl_node_iface(n, n->bridges[f->bridge].name) -
			                         n->ifaces];
		if (f->kind == NSL_IFACE_DEVICE) {
			c.mtu = f->mtu;
			c.mac = f->has_mac ? f->mac : NULL;
		}
		if (f->up && !(f->kind == NSL_IFACE_VETH && born_up(u, i, f)))
			c.up = 1;
		if (c.up < 0 && !c.master && !c.mtu && !c.mac)
			continue;
		nsl_fmt(what, sizeof(what), "interface %s", f->name);
		rc = nsl_nl_link_change(nl, &c, what, err);
	}
	for (size_t k = 0; k < n->n_ifaces && rc == 0; k++)
		for (size_t a = 0; a < n->ifaces[k].n_addrs && rc == 0; a++)
			rc = nsl_nl_addr_add(nl, u->ifindex[i][k], n->ifaces[k].name,
			                     &n->ifaces[k].addrs[a], err);
	for (size_t r = 0; r < n->n_routes && rc == 0; r++)
		rc = nsl_nl_route_add(nl, &n->routes[r],
		                      n->routes[r].dev[0] ? iface_index(u, i, n->routes[r].dev) : 0,
		                      err);
	for (size_t k = 0; k < n->n_ifaces && rc == 0; k++) {
		struct nsl_iface *f = &n->ifaces[k];
		if (f->kind == NSL_IFACE_VETH && u->t->links[f->link].rate)
			rc = nsl_nl_tbf_add(nl, u->ifindex[i][k], f->name,
			                    u->t->links[f->link].rate, err);
	}
	if (rc == 0)
		rc = nsl_nl_flush(nl, err);
	if (rc < 0)
		return rc;
	/* Per-interface sysctls need the interfaces: now they exist. */
	bool late = false;
	for (size_t s = 0; s < n->n_sysctls; s++) {
		late |= nsl_sysctl_is_per_iface(n, n->sysctls[s].key);
	}
	if (late) {
		_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0 || setns(u->hs.h[i].netns_fd, CLONE_NEWNET) < 0)
			return nsl_err_set(err, errno, "enter namespace: %m");
		for (size_t s = 0; s < n->n_sysctls && rc == 0; s++)
			if (nsl_sysctl_is_per_iface(n, n->sysctls[s].key))
				rc = nsl_sysctl_write(n->sysctls[s].key, n->sysctls[s].value, err);
		if (setns(self, CLONE_NEWNET) < 0)
			abort(); /* working on in a lab's namespace would misdirect everything */
		if (rc < 0)
			return rc;
	}
	if (n->n_nat) {
		rc = nsl_step("nat", err);
		if (rc == 0)
			rc = nsl_nft_apply(u->hs.h[i].netns_fd, NSL_NFT_NODE_TABLE, n->nat,
			                   n->n_nat, err);
	}
	return rc;
}

static int config_nodes(struct up *u, struct nsl_err *err)
{
	for (size_t i = 0; i < u->t->n_nodes; i++) {
		int rc = nsl_step("node config", err);
		if (rc == 0)
			rc = config_node(u, i, err);
		if (rc < 0) {
			nsl_err_prefix(err, "node %s", u->t->nodes[i].name);
			return rc;
		}
	}
	return 0;
}

static int set_host_sysctls(struct up *u, struct nsl_err *err)
{
	struct nsl_host *h = &u->t->host;
	int rc;

	for (size_t s = 0; s < h->n_sysctls; s++) {
		_cleanup_free_ char *old = NULL;
		rc = nsl_sysctl_read(h->sysctls[s].key, &old, err);
		if (rc == 0)
			/* The old value last: it may hold blanks (ip_local_port_range). */
			rc = journal(u, err, "hostsysctl %s %llu %s\n", h->sysctls[s].key,
			             (unsigned long long)nsl_now_ns(), old);
		if (rc == 0)
			rc = nsl_step("host sysctl", err);
		if (rc == 0)
			rc = nsl_sysctl_write(h->sysctls[s].key, h->sysctls[s].value, err);
		if (rc < 0) {
			nsl_err_prefix(err, "host");
			return rc;
		}
	}
	return 0;
}

static int config_host(struct up *u, struct nsl_err *err)
{
	struct nsl_host *h = &u->t->host;
	int rc = 0;

	for (size_t k = 0; k < h->n_ifaces && rc == 0; k++) {
		struct nsl_iface *f = &h->ifaces[k];
		for (size_t a = 0; a < f->n_addrs && rc == 0; a++)
			rc = nsl_nl_addr_add(&u->host, u->host_ifindex[k], f->name, &f->addrs[a],
			                     err);
		if (rc == 0 && f->link >= 0 && u->t->links[f->link].rate)
			rc = nsl_nl_tbf_add(&u->host, u->host_ifindex[k], f->name,
			                    u->t->links[f->link].rate, err);
	}
	if (rc == 0)
		rc = nsl_nl_flush(&u->host, err);
	if (rc < 0) {
		nsl_err_prefix(err, "host");
		return rc;
	}
	/* Read-then-set under the root lock: a lab going down at the same moment may be
	 * restoring the same key (see restore_sysctls). */
	if (h->n_sysctls && nsl_state_lock_root(&u->sd, true) < 0)
		return nsl_err_set(err, errno, "lock %s: %m", NSL_RUN_DIR);
	rc = set_host_sysctls(u, err);
	if (h->n_sysctls)
		nsl_state_lock_root(&u->sd, false);
	if (rc < 0)
		return rc;
	if (h->n_nat) {
		char table[NSL_NAME_MAX + 8];
		nsl_fmt(table, sizeof(table), NSL_NFT_HOST_PREFIX "%s", u->lab);
		rc = journal(u, err, "hostnft %s\n", table);
		if (rc == 0)
			rc = nsl_step("host nat", err);
		if (rc == 0)
			rc = nsl_nft_apply(-1, table, h->nat, h->n_nat, err);
		if (rc < 0) {
			nsl_err_prefix(err, "host");
			return rc;
		}
	}
	return 0;
}

/* ---- exec at up ---- */

static int run_exec(struct up *u, size_t i, size_t c, int log_fd, struct nsl_err *err)
{
	struct nsl_node *n = &u->t->nodes[i];
	pid_t pid;
	int status;

	pid = fork();
	if (pid < 0)
		return nsl_err_set(err, errno, "fork: %m");
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (setns(u->hs.h[i].pidfd,
		          CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID) < 0)
			_exit(125);
		/* This child waits for the command: it must hold none of up's fds (the lab's
		 * lock, the holders' lifeline) and must not outlive up. */
		if (dup2(log_fd, 3) < 0 || dup2(nul, 4) < 0)
			_exit(125);
		log_fd = 3;
		nul = 4;
		syscall(SYS_close_range, 5, ~0U, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(125);
		pid_t child = fork();
		if (child < 0)
			_exit(125);
		if (child == 0) {
			setsid();
			dup2(nul, 0);
			dup2(log_fd, 1);
			dup2(log_fd, 2);
			if (chdir("/") < 0)
				_exit(125);
			for (size_t e = 0; e < n->n_env; e++)
				putenv(n->env[e]);
			execvp(n->exec[c].argv[0], n->exec[c].argv);
			_exit(errno == ENOENT ? 127 : 126);
		}
		while (waitpid(child, &status, 0) < 0)
			if (errno != EINTR)
				_exit(125);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return nsl_err_set(err, errno, "wait: %m");
		if (nsl_interrupted) {
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			return nsl_err_set(err, EINTR, "node %s: exec[%zu] (%s): interrupted",
			                   n->name, c, n->exec[c].argv[0]);
		}
	}
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (status) {
		/* The log goes with the rollback: show the end of it now. */
		char tail[512] = "";
		off_t end = lseek(log_fd, 0, SEEK_END);
		off_t from = end > (off_t)sizeof(tail) - 1 ? end - (off_t)sizeof(tail) + 1 : 0;
		ssize_t got = end > 0 ? pread(log_fd, tail, (size_t)(end - from), from) : 0;
		tail[got > 0 ? got : 0] = 0;
		while (got > 0 && tail[got - 1] == '\n')
			tail[--got] = 0;
		return nsl_err_set(err, ECANCELED,
		                   "node %s: exec[%zu] (%s) exited with status %d%s%s%s", n->name,
		                   c, n->exec[c].argv[0], status,
		                   status == 127   ? " (not found)"
		                   : status == 126 ? " (not executable)"
		                                   : "",
		                   tail[0] ? "; its output ends with:\n" : "", tail);
	}
	return 0;
}

static int run_execs(struct up *u, struct nsl_err *err)
{
	_cleanup_close_ int log_fd = -1;
	bool any = false;
	int rc;

	for (size_t i = 0; i < u->t->n_nodes; i++)
		any |= u->t->nodes[i].n_exec > 0;
	if (!any)
		return 0;
	log_fd = openat(u->sd.lab_fd, "exec.log",
	                O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (log_fd < 0)
		return nsl_err_set(err, errno, "exec log: %m");
	for (size_t i = 0; i < u->t->n_nodes; i++)
		for (size_t c = 0; c < u->t->nodes[i].n_exec; c++) {
			rc = nsl_step("exec", err);
			if (rc == 0)
				rc = run_exec(u, i, c, log_fd, err);
			if (rc < 0)
				return rc;
		}
	return 0;
}

/* Is the other end of this veth meant to be up? */
/* node: index, or NSL_ENDPOINT_HOST */
static bool peer_up(const struct up *u, const struct nsl_iface *f, int node)
{
	const struct nsl_link *lk = &u->t->links[f->link];
	int side = lk->ends[0].node == node && !strcmp(lk->ends[0].ifname, f->name) ? 1 : 0;
	const struct nsl_endpoint *ep = &lk->ends[side];
	const struct nsl_iface *p = NULL;

	if (ep->node != NSL_ENDPOINT_HOST)
		p = nsl_node_iface(&u->t->nodes[ep->node], ep->ifname);
	else
		for (size_t k = 0; k < u->t->host.n_ifaces; k++)
			if (!strcmp(u->t->host.ifaces[k].name, ep->ifname))
				p = &u->t->host.ifaces[k];
	return !p || p->up;
}

/* Interfaces whose readiness up promises: veths with both ends up, bridges without STP
 * that have a port up. (A moved device's carrier is the outside world's business.) */
static bool should_be_running(const struct up *u, size_t node, const struct nsl_iface *f,
                              const struct nsl_node *n)
{
	if (!f->up)
		return false;
	if (f->kind == NSL_IFACE_VETH)
		return peer_up(u, f, (int)node);
	if (f->kind != NSL_IFACE_BRIDGE)
		return false;
	for (size_t b = 0; b < n->n_bridges; b++) {
		if (strcmp(n->bridges[b].name, f->name))
			continue;
		if (n->bridges[b].stp)
			return false;
		for (size_t k = 0; k < n->n_ifaces; k++)
			if (n->ifaces[k].bridge == (int)b && n->ifaces[k].up &&
			    (n->ifaces[k].kind != NSL_IFACE_VETH ||
			     peer_up(u, &n->ifaces[k], (int)node)))
				return true;
	}
	return false;
}

/* One namespace: every interface that should run is running (carrier and operstate up,
 * which the kernel sets asynchronously) with its IPv6 link-local address, and no address
 * is tentative. 1 ready, 0 not yet, negative on error. */
static int ns_ready(struct nsl_nl *nl, const int *ifindex, size_t n, bool ipv6, struct nsl_err *err)
{
	struct nsl_link_info *links = NULL;
	struct nsl_addr_info *addrs = NULL;
	size_t n_links = 0, n_addrs = 0;
	int rc, ready = 1;

	/* The kernel adds the link-local address only once its link watcher has set the
	 * operstate and activated the qdisc: with IPv6, the addresses say it all. */
	if (ipv6)
		rc = nsl_nl_addr_list(nl, 0, &addrs, &n_addrs, err);
	else
		rc = nsl_nl_link_list(nl, &links, &n_links, err);
	/* Only the lab's interfaces: the host may have tentative addresses of its own forever
	 * (an IPv6 address on a cable-less NIC). */
	for (size_t a = 0; rc == 0 && a < n_addrs; a++) {
		bool ours = false;
		for (size_t i = 0; i < n && !ours; i++)
			ours = addrs[a].ifindex == ifindex[i];
		if (ours && (addrs[a].flags & IFA_F_TENTATIVE) &&
		    !(addrs[a].flags & IFA_F_DADFAILED))
			ready = 0;
	}
	for (size_t i = 0; rc == 0 && ready && i < n; i++) {
		bool running = ipv6, lladdr = !ipv6;
		for (size_t l = 0; l < n_links; l++)
			if (links[l].ifindex == ifindex[i])
				running = (links[l].flags & (IFF_UP | IFF_LOWER_UP)) ==
				              (IFF_UP | IFF_LOWER_UP) &&
				          links[l].operstate == IF_OPER_UP;
		for (size_t a = 0; !lladdr && a < n_addrs; a++)
			lladdr = addrs[a].ifindex == ifindex[i] &&
			         addrs[a].prefix.ip.family == AF_INET6 &&
			         addrs[a].scope == RT_SCOPE_LINK;
		ready = running && lladdr;
	}
	free(links);
	free(addrs);
	return rc < 0 ? rc : ready;
}

static bool node_ipv6(const struct nsl_node *n)
{
	for (size_t s = 0; s < n->n_sysctls; s++)
		if (strstr(n->sysctls[s].key, "disable_ipv6") && strcmp(n->sysctls[s].value, "0"))
			return false; /* the user turned IPv6 off: no link-local to wait for */
	return true;
}

/* up returns a usable lab: wait (bounded) until the kernel's asynchronous link work is
 * done everywhere. Usually it already is by the time we look. */
static int wait_ready(struct up *u, struct nsl_err *err)
{
	uint64_t deadline = nsl_now_ns() + 10ull * 1000000000ull;
	struct nsl_topology *t = u->t;
	_cleanup_free_ int *idx = NULL;
	_cleanup_free_ size_t *pending = NULL;
	size_t max = t->host.n_ifaces, n_pending = t->n_nodes + 1;
	bool ipv6_host = access("/proc/sys/net/ipv6", F_OK) == 0;
	int rc;

	for (size_t i = 0; i < t->n_nodes; i++)
		if (t->nodes[i].n_ifaces > max)
			max = t->nodes[i].n_ifaces;
	idx = calloc(max + 1, sizeof(int));
	pending = calloc(n_pending, sizeof(size_t));
	if (!idx || !pending)
		return nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n_pending; i++)
		pending[i] = i; /* the last one is the host */
	/* Passes over the namespaces not ready yet, one short sleep between passes. */
	for (;;) {
		size_t still = 0;
		for (size_t p = 0; p < n_pending; p++) {
			size_t i = pending[p], n = 0;
			bool host = i == t->n_nodes;
			if (host) {
				for (size_t k = 0; k < t->host.n_ifaces; k++)
					if (t->host.ifaces[k].up &&
					    peer_up(u, &t->host.ifaces[k], NSL_ENDPOINT_HOST))
						idx[n++] = u->host_ifindex[k];
			} else {
				for (size_t k = 0; k < t->nodes[i].n_ifaces; k++)
					if (should_be_running(u, i, &t->nodes[i].ifaces[k],
					                      &t->nodes[i]))
						idx[n++] = u->ifindex[i][k];
			}
			if (n == 0)
				continue; /* nothing of the lab to wait for here */
			rc = ns_ready(host ? &u->host : &u->nls[i], idx, n,
			              ipv6_host && (host || node_ipv6(&t->nodes[i])), err);
			if (rc < 0)
				return rc;
			if (rc == 0)
				pending[still++] = i;
		}
		n_pending = still;
		if (!n_pending)
			return 0;
		if (nsl_now_ns() > deadline) {
			size_t i = pending[0];
			return nsl_err_set(
			    err, ETIMEDOUT,
			    "%s%s: links not up, or IPv6 addresses still tentative, after 10 s",
			    i == t->n_nodes ? "host" : "node ",
			    i == t->n_nodes ? "" : t->nodes[i].name);
		}
		if (nsl_interrupted)
			return nsl_err_set(err, EINTR, "interrupted");
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
}

static int write_state(struct up *u, struct nsl_err *err)
{
	cJSON *root = cJSON_CreateObject(), *nodes;
	_cleanup_free_ char *text = NULL;

	if (!root)
		return nsl_err_set(err, ENOMEM, "out of memory");
	cJSON_AddStringToObject(root, "name", u->lab);
	char *abs = realpath(u->t->file, NULL);
	cJSON_AddStringToObject(root, "topology", abs ? abs : u->t->file);
	free(abs);
	nodes = cJSON_AddArrayToObject(root, "nodes");
	for (size_t i = 0; nodes && i < u->t->n_nodes; i++) {
		cJSON *o = cJSON_CreateObject();
		char start[32], ino[32], ns[2 * NSL_NAME_MAX + 2];
		if (!o)
			break;
		cJSON_AddItemToArray(nodes, o);
		nsl_fmt(start, sizeof(start), "%llu", (unsigned long long)u->hs.h[i].start_time);
		nsl_fmt(ino, sizeof(ino), "%llu", (unsigned long long)u->hs.h[i].netns_ino);
		nsl_fmt(ns, sizeof(ns), "%s.%s", u->lab, u->t->nodes[i].name);
		cJSON_AddStringToObject(o, "name", u->t->nodes[i].name);
		cJSON_AddNumberToObject(o, "pid", u->hs.h[i].pid);
		cJSON_AddStringToObject(o, "start_time", start);
		cJSON_AddStringToObject(o, "netns_inode", ino);
		cJSON_AddStringToObject(o, "netns", ns);
		cJSON_AddStringToObject(o, "hostname", u->t->nodes[i].hostname);
		if (u->t->nodes[i].n_env) {
			cJSON *env = cJSON_AddArrayToObject(o, "env");
			for (size_t e = 0; env && e < u->t->nodes[i].n_env; e++)
				cJSON_AddItemToArray(env,
				                     cJSON_CreateString(u->t->nodes[i].env[e]));
		}
	}
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!text)
		return nsl_err_set(err, ENOMEM, "out of memory");
	return nsl_state_write_file(&u->sd, "state.json", text, strlen(text), err);
}

static void on_signal(int sig)
{
	(void)sig;
	nsl_interrupted = 1;
}

static int spawn_holders(struct up *u, struct nsl_err *err)
{
	return nsl_holders_spawn(u->t, &u->hs, err);
}

static int make_links(struct up *u, struct nsl_err *err)
{
	assign_ifindexes(u);
	return create_links(u, err);
}

static int commit(struct up *u, struct nsl_err *err)
{
	int rc = nsl_step("commit", err);

	if (rc == 0)
		rc = write_state(u, err);
	if (rc == 0)
		rc = journal(u, err, "committed\n");
	if (rc == 0)
		rc = nsl_holders_commit(&u->hs, err);
	return rc;
}

static const struct {
	const char *name;
	int (*run)(struct up *u, struct nsl_err *err);
} phases[NSL_UP_PHASES] = {
    {"holders", spawn_holders}, {"netns binds", bind_netns}, {"devices", move_devices},
    {"links", make_links},      {"nodes", config_nodes},     {"host", config_host},
    {"exec", run_execs},        {"ready", wait_ready},       {"commit", commit},
};

static int build(struct up *u, struct nsl_up_stats *stats, struct nsl_err *err)
{
	int rc = journal(u, err, "lab %s %s\n", u->lab, u->t->file);

	for (size_t p = 0; rc == 0 && p < NSL_ARRAY_SIZE(phases); p++) {
		uint64_t t0 = nsl_now_ns();
		rc = phases[p].run(u, err);
		if (stats) {
			stats->phase[p] = phases[p].name;
			stats->ns[p] = nsl_now_ns() - t0;
			stats->n = p + 1;
		}
	}
	return rc;
}

int nsl_up(struct nsl_topology *t, const struct nsl_up_opts *o, struct nsl_err *err)
{
	struct up u = {.t = t};
	struct sigaction sa = {.sa_handler = on_signal}, old[3];
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
	const char *env = getenv("NSLAB_FAIL_STEP");
	uint64_t fs = 0;
	int rc;

	u.lab = o->name ? o->name : t->name;
	if (!u.lab || !*u.lab)
		return nsl_err_set(err, EINVAL,
		                   "%s: the lab has no name: add \"name\" or use --name", t->file);
	if (env && *env && nsl_parse_u64(env, UINT32_MAX, &fs))
		fail_step = (unsigned long)fs;
	step_count = 0;
	u.hs.lifeline_w = -1;
	u.sd.root_fd = u.sd.lab_fd = -1;
	u.ifindex = calloc(t->n_nodes + 1, sizeof(*u.ifindex));
	u.host_ifindex = calloc(t->host.n_ifaces + 1, sizeof(int));
	size_t n_dev = 0;
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t k = 0; k < t->nodes[i].n_ifaces; k++)
			n_dev += t->nodes[i].ifaces[k].kind == NSL_IFACE_DEVICE;
	u.devs = calloc(n_dev + 1, sizeof(*u.devs));
	u.nls = calloc(t->n_nodes + 1, sizeof(*u.nls));
	for (size_t i = 0; u.nls && i < t->n_nodes; i++)
		u.nls[i].fd = -1;
	rc = u.ifindex && u.host_ifindex && u.devs && u.nls
	         ? 0
	         : nsl_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < t->n_nodes; i++)
		if (!(u.ifindex[i] = calloc(t->nodes[i].n_ifaces + 1, sizeof(int))))
			rc = nsl_err_set(err, ENOMEM, "out of memory");
	if (rc == 0)
		rc = nsl_nl_open(&u.host, -1, err);
	else
		u.host.fd = -1;
	if (rc == 0) {
		rc = check_host(&u, err);
		if (rc < 0) /* these name a JSON path: say which file */
			nsl_err_prefix(err, "%s", t->file);
	}
	/* From here on a signal means: stop and roll back. A write to holders that all died
	 * must be an error, not a silent death. */
	for (size_t s = 0; s < NSL_ARRAY_SIZE(sigs); s++)
		sigaction(sigs[s], &sa, &old[s]);
	sigaction(SIGPIPE, &ign, &old_pipe);
	if (rc == 0)
		rc = nsl_state_root(&u.sd, err);
	if (rc == 0)
		rc = nsl_state_create(&u.sd, u.lab, err);
	if (rc == 0) {
		rc = build(&u, o->stats, err);
		if (rc < 0) {
			/* Unwind: kill what we started, then undo the journal in reverse. */
			struct nsl_err terr = {0};
			nsl_holders_kill(&u.hs);
			nsl_nl_close(&u.host);
			if (nsl_teardown(&u.sd, &terr) < 0)
				nsl_err_prefix(err, "(rollback incomplete: %s)", terr.msg);
			else if (nsl_state_remove(&u.sd, &terr) < 0)
				nsl_err_prefix(err, "(rollback incomplete: %s)", terr.msg);
		}
	}
	for (size_t s = 0; s < NSL_ARRAY_SIZE(sigs); s++)
		sigaction(sigs[s], &old[s], NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	if (o->stats)
		o->stats->steps = step_count;
	nsl_holders_free(&u.hs);
	nsl_nl_close(&u.host);
	nsl_state_close(&u.sd);
	for (size_t i = 0; u.ifindex && i < t->n_nodes; i++)
		free(u.ifindex[i]);
	free(u.ifindex);
	free(u.host_ifindex);
	for (size_t i = 0; u.nls && i < t->n_nodes; i++)
		nsl_nl_close(&u.nls[i]);
	free(u.nls);
	for (size_t d = 0; u.devs && d < u.n_devs; d++)
		free(u.devs[d].addrs);
	free(u.devs);
	return rc;
}
