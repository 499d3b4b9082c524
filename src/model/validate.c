/* Cross-checks of a parsed topology, and the completion of its model: after this every
 * interface a node will have is in its ifaces with its kind, link, bridge and MTU, so the
 * engine iterates the model and never re-derives it. What passes here, up can build: the
 * checks mirror what the kernel would refuse half-way through up. Every look-up goes
 * through a hash table or a sorted array: O(n log n) in the size of the file. Safe to run
 * twice. */
#include <arpa/inet.h>
#include <string.h>

#include "base/arena.h"
#include "model/doc.h"
#include "model/topology.h"
#include "model/validate.h"

static void report(struct vctx *c, bool key, const char *path, const char *fmt, va_list ap)
{
	unsigned line = 0, col = 0;

	c->errors++;
	/* a place costs a walk down the path: only for problems that get printed */
	if (c->d && c->d->n < 200)
		nsl_doc_where(nsl_doc_locate(c->t->doc, path), key, &line, &col);
	nsl_diags_addv_at(c->d, line, col, path, fmt, ap);
}

void nsl_v_err(struct vctx *c, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(c, false, path, fmt, ap);
	va_end(ap);
}

void nsl_v_err_key(struct vctx *c, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(c, true, path, fmt, ap);
	va_end(ap);
}

/* ---- the look-up table: (name space, name) -> entry ---- */

static size_t slot_of(const struct vctx *c, int ns, const char *name)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(unsigned)ns;
	size_t i;

	for (const char *s = name; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	i = (size_t)h & (c->cap - 1);
	while (c->tab[i].name && (c->tab[i].ns != ns || strcmp(c->tab[i].name, name)))
		i = (i + 1) & (c->cap - 1);
	return i;
}

static struct entry *lookup(const struct vctx *c, int ns, const char *name)
{
	struct entry *e = &c->tab[slot_of(c, ns, name)];

	return e->name ? e : NULL;
}

/* The entry of (ns, name), made (with f) when absent; *fresh tells which. */
static struct entry *insert(struct vctx *c, int ns, const char *name, struct nsl_iface *f,
                            int owner, bool *fresh)
{
	struct entry *e = &c->tab[slot_of(c, ns, name)];

	*fresh = !e->name;
	if (!e->name)
		*e = (struct entry){name, ns, f, owner};
	return e;
}

struct nsl_iface *nsl_v_iface(const struct vctx *c, int node, const char *name)
{
	struct entry *e = lookup(c, node, name);

	return e ? e->f : NULL;
}

/* ---- the model's completion ---- */

static const char *end_node_name(const struct nsl_topology *t, int node)
{
	return node == NSL_ENDPOINT_HOST ? NSL_HOST_NODE : t->nodes[node].name;
}

static void iface_reset(struct nsl_iface *f)
{
	f->kind = f->declared;
	f->link = -1;
	f->bridge = -1;
	f->lower = -1;
	f->master_vrf = -1;
	f->bond = -1;
	/* addresses from pools are given again */
	f->n_addrs -= f->n_pool;
	f->n_pool = 0;
}

struct nsl_iface *nsl_v_iface_add(struct vctx *c, int node, struct nsl_iface *arr, size_t *n,
                                  const char *name)
{
	struct nsl_iface *f = &arr[(*n)++];
	bool fresh;

	memset(f, 0, sizeof(*f));
	nsl_fmt(f->name, sizeof(f->name), "%s", name);
	f->up = true;
	iface_reset(f);
	insert(c, node, f->name, f, 0, &fresh);
	return f;
}

static const char *kind_what(const struct nsl_iface *f, char *buf, size_t size)
{
	switch (f->kind) {
	case NSL_IFACE_VETH:
		nsl_fmt(buf, size, "an end of links[%d]", f->link);
		break;
	case NSL_IFACE_DEVICE:
		nsl_fmt(buf, size, "the moved device '%s'", f->device);
		break;
	case NSL_IFACE_BRIDGE:
		nsl_fmt(buf, size, "a bridge");
		break;
	case NSL_IFACE_LO:
		nsl_fmt(buf, size, "the loopback");
		break;
	case NSL_IFACE_MGMT:
		nsl_fmt(buf, size, "the management network's interface");
		break;
	default:
		if (nsl_iface_kind_name(f->kind))
			nsl_fmt(buf, size, "an interface of kind %s", nsl_iface_kind_name(f->kind));
		else
			nsl_fmt(buf, size, "in use");
	}
	return buf;
}

/* Room for every interface a node can end up with, entries of `interfaces` copied in. */
static int grow_ifaces(struct nsl_topology *t, struct nsl_iface **ifaces, size_t n, size_t extra)
{
	struct nsl_iface *arr;

	if (!extra)
		return 0;
	arr = nsl_arena_array(t->arena, n + extra, sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	if (n)
		memcpy(arr, *ifaces, n * sizeof(*arr));
	*ifaces = arr;
	return 0;
}

/* Link ends: each (node, ifname) once; entries created for ends not under `interfaces`. */
static void check_link_ends(struct vctx *c)
{
	struct nsl_topology *t = c->t;

	for (size_t l = 0; l < t->n_links; l++) {
		struct nsl_link *k = &t->links[l];

		for (int e = 0; e < 2; e++) {
			struct nsl_endpoint *ep = &k->ends[e];
			struct nsl_iface *f, **arr;
			size_t *n;
			char p[PATH_LEN], what[64];

			nsl_fmt(p, sizeof(p), "links[%zu].endpoints[%d]", l, e);
			if (ep->node != NSL_ENDPOINT_HOST &&
			    (ep->node < 0 || (size_t)ep->node >= t->n_nodes)) {
				nsl_v_err(c, p, "no such node");
				continue;
			}
			if (e == 1 && ep->node == k->ends[0].node &&
			    !strcmp(ep->ifname, k->ends[0].ifname)) {
				nsl_v_err(c, p, "both ends are %s:%s: a link joins two interfaces",
				          end_node_name(t, ep->node), ep->ifname);
				continue;
			}
			if (ep->node == NSL_ENDPOINT_HOST) {
				arr = &t->host.ifaces;
				n = &t->host.n_ifaces;
				if (!strcmp(ep->ifname, "lo")) {
					nsl_v_err(c, p, "the host's lo cannot be a link end");
					continue;
				}
			} else {
				arr = &t->nodes[ep->node].ifaces;
				n = &t->nodes[ep->node].n_ifaces;
			}
			f = nsl_v_iface(c, ep->node, ep->ifname);
			if (!f)
				f = nsl_v_iface_add(c, ep->node, *arr, n, ep->ifname);
			if (f->kind != NSL_IFACE_UNKNOWN) {
				nsl_v_err(c, p, "%s:%s is already %s", end_node_name(t, ep->node),
				          ep->ifname, kind_what(f, what, sizeof(what)));
				continue;
			}
			f->kind = NSL_IFACE_VETH;
			f->link = (int)l;
			/* both ends get the link's MTU unless their entry says otherwise */
			if (!f->mtu)
				f->mtu = k->mtu;
		}
	}
}

static void check_bridges(struct vctx *c, int node)
{
	struct nsl_node *n = &c->t->nodes[node];

	for (size_t b = 0; b < n->n_bridges; b++) {
		struct nsl_bridge *br = &n->bridges[b];
		struct nsl_iface *f = nsl_v_iface(c, node, br->name);
		char p[PATH_LEN], what[64];

		nsl_fmt(p, sizeof(p), "nodes.%s.bridges.%s", n->name, br->name);
		if (!f)
			f = nsl_v_iface_add(c, node, n->ifaces, &n->n_ifaces, br->name);
		if (f->kind != NSL_IFACE_UNKNOWN) {
			nsl_v_err_key(c, p, "%s is already %s", br->name,
			              kind_what(f, what, sizeof(what)));
			continue;
		}
		f->kind = NSL_IFACE_BRIDGE;
	}
	/* ports after every bridge is known, so "is a bridge" is told apart from "unknown" */
	for (size_t b = 0; b < n->n_bridges; b++) {
		struct nsl_bridge *br = &n->bridges[b];

		for (size_t i = 0; i < br->n_ports; i++) {
			struct nsl_iface *f = nsl_v_iface(c, node, br->ports[i]);
			char p[PATH_LEN];

			nsl_fmt(p, sizeof(p), "nodes.%s.bridges.%s.ports[%zu]", n->name, br->name,
			        i);
			if (!f || f->kind == NSL_IFACE_UNKNOWN) {
				nsl_v_err(
				    c, p,
				    "node %s has no interface '%s' (a port is an interface of "
				    "the same node: a link end, a moved device, a bond...)",
				    n->name, br->ports[i]);
			} else if (f->kind == NSL_IFACE_LO) {
				nsl_v_err(c, p, "lo cannot be a bridge port");
			} else if (f->kind == NSL_IFACE_BRIDGE) {
				nsl_v_err(c, p, "'%s' is a bridge; bridges do not nest", f->name);
			} else if (f->kind == NSL_IFACE_VRF || f->kind == NSL_IFACE_MGMT) {
				nsl_v_err(c, p, "'%s' is %s: it cannot be a bridge port", f->name,
				          f->kind == NSL_IFACE_VRF
				              ? "a VRF"
				              : "the management network's interface");
			} else if (f->bridge == (int)b) {
				nsl_v_err(c, p, "'%s' is listed twice", f->name);
			} else if (f->bridge >= 0) {
				nsl_v_err(c, p, "'%s' is already a port of bridge %s", f->name,
				          n->bridges[f->bridge].name);
			} else {
				f->bridge = (int)b;
			}
		}
	}
}

static void check_devices(struct vctx *c)
{
	struct nsl_topology *t = c->t;
	size_t lowers = 0;
	bool fresh;

	for (size_t l = 0; l < t->n_links; l++)
		for (int e = 0; e < 2; e++)
			if (t->links[l].ends[e].node == NSL_ENDPOINT_HOST)
				insert(c, NS_HOST_END, t->links[l].ends[e].ifname, NULL, (int)l,
				       &fresh);
	for (size_t a = 0; a < t->n_nodes; a++) {
		struct nsl_node *n = &t->nodes[a];

		for (size_t i = 0; i < n->n_ifaces; i++) {
			struct nsl_iface *f = &n->ifaces[i];
			struct entry *e;
			char p[PATH_LEN];

			if (!f->device[0])
				continue;
			nsl_fmt(p, sizeof(p), "nodes.%s.interfaces.%s.device", n->name, f->name);
			if (f->declared == NSL_IFACE_MACVLAN || f->declared == NSL_IFACE_IPVLAN) {
				lowers++;
				continue; /* it stays in the host: checked below */
			}
			/* the same host device moved into two places */
			e = insert(c, NS_DEVICE, f->device, f, (int)a, &fresh);
			if (!fresh)
				nsl_v_err(
				    c, p,
				    "host device '%s' is already moved by nodes.%s.interfaces.%s",
				    f->device, t->nodes[e->owner].name, e->f->name);
			else if ((e = lookup(c, NS_HOST_END, f->device)))
				nsl_v_err(c, p,
				          "'%s' is the host end of links[%d], not a host device",
				          f->device, e->owner);
			/* a device even when refused, so nothing else reports it again */
			f->kind = NSL_IFACE_DEVICE;
		}
	}
	/* a macvlan's or ipvlan's host device stays in the host, where up finds it */
	for (size_t a = 0; lowers && a < t->n_nodes; a++) {
		struct nsl_node *n = &t->nodes[a];

		for (size_t i = 0; i < n->n_ifaces; i++) {
			struct nsl_iface *f = &n->ifaces[i];
			struct entry *e;
			char p[PATH_LEN];

			if (!f->device[0] || f->kind == NSL_IFACE_DEVICE)
				continue;
			nsl_fmt(p, sizeof(p), "nodes.%s.interfaces.%s.device", n->name, f->name);
			if ((e = lookup(c, NS_DEVICE, f->device)))
				nsl_v_err(
				    c, p,
				    "host device '%s' is moved into nodes.%s.interfaces.%s: a "
				    "%s needs it in the host",
				    f->device, t->nodes[e->owner].name, e->f->name,
				    nsl_iface_kind_name(f->kind));
			else if ((e = lookup(c, NS_HOST_END, f->device)))
				nsl_v_err(
				    c, p,
				    "'%s' is the host end of links[%d]: a %s sits on an interface "
				    "the host already has",
				    f->device, e->owner, nsl_iface_kind_name(f->kind));
		}
	}
}

/* ---- the rest of a node ---- */

static void check_mtu(struct vctx *c, const char *owner, struct nsl_iface *ifaces, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct nsl_iface *f = &ifaces[i];

		if (!f->mtu || f->mtu >= 1280)
			continue;
		for (size_t j = 0; j < f->n_addrs; j++) {
			const struct nsl_dnode *at;
			char p[PATH_LEN];

			if (f->addrs[j].ip.family != AF_INET6)
				continue;
			nsl_fmt(p, sizeof(p), "%s.interfaces.%s.mtu", owner, f->name);
			at = nsl_doc_locate(c->t->doc, p);
			if (f->link >= 0 && c->t->links[f->link].mtu == f->mtu &&
			    !(at && at->key && !strcmp(at->key, "mtu"))) {
				/* the MTU comes from the link: the problem is written there */
				nsl_fmt(p, sizeof(p), "links[%d].mtu", f->link);
				nsl_v_err(c, p,
				          "MTU %u is below 1280, the minimum for IPv6 addresses "
				          "(%s.interfaces.%s "
				          "has one)",
				          f->mtu, owner, f->name);
			} else {
				nsl_v_err(c, p,
				          "MTU %u is below 1280, the minimum for IPv6 addresses",
				          f->mtu);
			}
			break;
		}
	}
}

static void check_nat(struct vctx *c, int node, const struct nsl_nat *nat, size_t n_nat)
{
	const struct nsl_node *n = &c->t->nodes[node];

	for (size_t i = 0; i < n_nat; i++) {
		const struct nsl_iface *f;
		char p[PATH_LEN];

		if (!nat[i].out[0])
			continue;
		f = nsl_v_iface(c, node, nat[i].out);
		if (!f || f->kind == NSL_IFACE_UNKNOWN) {
			nsl_fmt(p, sizeof(p), "nodes.%s.nat[%zu].out", n->name, i);
			nsl_v_err(c, p, "node %s has no interface '%s'", n->name, nat[i].out);
		}
	}
}

struct mkey {
	const char *target;
	size_t i;
};

static int mkey_cmp(const void *x, const void *y)
{
	const struct mkey *a = x, *b = y;
	int r = strcmp(a->target, b->target);

	return r ? r : a->i < b->i ? -1 : a->i > b->i;
}

static int check_mounts(struct vctx *c, const struct nsl_node *n)
{
	struct mkey *keys;

	if (n->n_mounts < 2)
		return 0;
	keys = calloc(n->n_mounts, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < n->n_mounts; i++)
		keys[i] = (struct mkey){n->mounts[i].target, i};
	qsort(keys, n->n_mounts, sizeof(*keys), mkey_cmp);
	for (size_t i = 1, first = 0; i < n->n_mounts; i++) {
		char p[PATH_LEN];

		if (strcmp(keys[i].target, keys[first].target)) {
			first = i;
			continue;
		}
		nsl_fmt(p, sizeof(p), "nodes.%s.mounts[%zu]", n->name, keys[i].i);
		nsl_v_err(c, p, "%s is already mounted by mounts[%zu]", keys[i].target,
		          keys[first].i);
	}
	free(keys);
	return 0;
}

/* Per-interface sysctls: net.ipv4.conf.IF.X and the like. The kernel's names put the
 * interface between dots, so an interface whose name has a dot cannot be named there
 * unambiguously (sysctl(8) writes it with a '/', which nslab does not take); and an
 * interface the node will not have is ENOENT half-way through up. */
static const char *const iface_scopes[] = {"net.ipv4.conf.", "net.ipv6.conf.", "net.ipv4.neigh.",
                                           "net.ipv6.neigh.", "net.mpls.conf."};

static void check_sysctls(struct vctx *c, int node, const char *owner, const struct nsl_sysctl *s,
                          size_t n_s)
{
	for (size_t i = 0; i < n_s; i++) {
		const char *key = s[i].key, *rest = NULL, *dot, *last;
		char name[NSL_IFNAME_MAX + 2], p[PATH_LEN];
		size_t len;

		for (size_t k = 0; k < NSL_ARRAY_SIZE(iface_scopes) && !rest; k++)
			if (!strncmp(key, iface_scopes[k], strlen(iface_scopes[k])))
				rest = key + strlen(iface_scopes[k]);
		if (!rest)
			continue;
		nsl_fmt(p, sizeof(p), "%s.sysctls.%s", owner, key);
		dot = strchr(rest, '.');
		last = strrchr(rest, '.');
		if (!dot) {
			nsl_v_err_key(c, p, "expected %.*sINTERFACE.SETTING", (int)(rest - key),
			              key);
			continue;
		}
		/* a dotted interface of the topology named here? */
		for (const char *d = dot; d && d < last; d = strchr(d + 1, '.')) {
			const char *e = strchr(d + 1, '.');

			len = (size_t)(e - rest);
			if (len > NSL_IFNAME_MAX)
				break;
			memcpy(name, rest, len);
			name[len] = '\0';
			if (nsl_v_iface(c, node, name)) {
				nsl_v_err_key(
				    c, p,
				    "interface '%s' has a '.' in its name: its sysctls cannot be "
				    "named without ambiguity (rename the interface)",
				    name);
				rest = NULL;
				break;
			}
		}
		if (!rest || node == NSL_ENDPOINT_HOST)
			continue; /* the host's own interfaces are not known here */
		len = (size_t)(dot - rest);
		if (len > NSL_IFNAME_MAX) {
			nsl_v_err_key(c, p, "node %s has no interface '%.*s'",
			              c->t->nodes[node].name, (int)len, rest);
			continue;
		}
		memcpy(name, rest, len);
		name[len] = '\0';
		if (dot != last) {
			nsl_v_err_key(
			    c, p, "expected %.*sINTERFACE.SETTING (one name after the interface)",
			    (int)(rest - key), key);
		} else if (strcmp(name, "all") && strcmp(name, "default") &&
		           !nsl_v_iface(c, node, name)) {
			nsl_v_err_key(
			    c, p,
			    "node %s has no interface '%s' (a per-interface sysctl names all, "
			    "default, lo or an interface of the node)",
			    c->t->nodes[node].name, name);
		}
	}
}

int nsl_topology_validate(struct nsl_topology *t, struct nsl_diags *diags)
{
	struct vctx c = {.t = t, .d = diags};
	size_t *extra_host = NULL, total = 16;
	size_t *extra;
	int r;

	if (!t)
		return -EINVAL;
	if (diags && !diags->file)
		diags->file = t->file;
	/* how many entries each node can gain: lo, one per link end, one per bridge */
	extra = calloc(t->n_nodes + 1, sizeof(*extra));
	if (!extra)
		return -ENOMEM;
	extra_host = &extra[t->n_nodes];
	for (size_t l = 0; l < t->n_links; l++)
		for (int e = 0; e < 2; e++) {
			int nd = t->links[l].ends[e].node;

			if (nd == NSL_ENDPOINT_HOST)
				(*extra_host)++;
			else if (nd >= 0 && (size_t)nd < t->n_nodes)
				extra[nd]++;
		}
	r = grow_ifaces(t, &t->host.ifaces, t->host.n_ifaces, *extra_host);
	total += t->host.n_ifaces + *extra_host * 2;
	for (size_t i = 0; i < t->n_nodes && !r; i++) {
		struct nsl_node *n = &t->nodes[i];

		r = grow_ifaces(t, &n->ifaces, n->n_ifaces, extra[i] + 2 + n->n_bridges);
		total += (n->n_ifaces + extra[i] + 2 + n->n_bridges) * 2; /* + devices */
	}
	free(extra);
	if (r)
		return r;
	for (c.cap = 64; c.cap < total * 2; c.cap *= 2)
		;
	c.tab = calloc(c.cap, sizeof(*c.tab));
	if (!c.tab)
		return -ENOMEM;

	/* start from the parsed entries only, so a second run finds the same */
	for (size_t i = 0; i < t->host.n_ifaces; i++) {
		bool fresh;

		iface_reset(&t->host.ifaces[i]);
		insert(&c, NSL_ENDPOINT_HOST, t->host.ifaces[i].name, &t->host.ifaces[i], 0,
		       &fresh);
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct nsl_node *n = &t->nodes[i];
		struct nsl_iface *lo;

		for (size_t j = 0; j < n->n_ifaces; j++) {
			bool fresh;

			iface_reset(&n->ifaces[j]);
			insert(&c, (int)i, n->ifaces[j].name, &n->ifaces[j], 0, &fresh);
		}
		lo = nsl_v_iface(&c, (int)i, "lo");
		if (!lo)
			lo = nsl_v_iface_add(&c, (int)i, n->ifaces, &n->n_ifaces, "lo");
		lo->kind = NSL_IFACE_LO;
		lo->up = true;
	}

	check_devices(&c);
	check_link_ends(&c);
	for (size_t i = 0; i < t->n_nodes; i++)
		check_bridges(&c, (int)i);
	for (size_t i = 0; i < t->n_nodes; i++)
		nsl_v_kinds(&c, (int)i);
	nsl_v_host_vxlans(&c);
	r = nsl_v_mgmt(&c);
	if (!r)
		r = nsl_v_pools(&c);

	for (size_t i = 0; i < t->n_nodes && !r; i++) {
		struct nsl_node *n = &t->nodes[i];
		char owner[PATH_LEN];

		for (size_t j = 0; j < n->n_ifaces; j++) {
			char p[PATH_LEN];

			if (n->ifaces[j].kind != NSL_IFACE_UNKNOWN)
				continue;
			nsl_fmt(p, sizeof(p), "nodes.%s.interfaces.%s", n->name, n->ifaces[j].name);
			nsl_v_err_key(&c, p,
			              "no link, device, bridge or \"kind\" gives this interface");
		}
		nsl_fmt(owner, sizeof(owner), "nodes.%s", n->name);
		check_mtu(&c, owner, n->ifaces, n->n_ifaces);
		nsl_v_vxlan_local(&c, (int)i);
		nsl_v_tables(&c, (int)i);
		r = nsl_v_routes(&c, (int)i);
		if (!r)
			r = nsl_v_rules(&c, (int)i);
		check_nat(&c, (int)i, n->nat, n->n_nat);
		check_sysctls(&c, (int)i, owner, n->sysctls, n->n_sysctls);
		if (!r)
			r = check_mounts(&c, n);
		/* overlayfs clones its lower layer, and a user namespace may not clone the host's
		 * "/" (its mounts are locked to it); a tree of its own has no mount under it. */
		if ((n->namespaces & NSL_NS_USER) && n->rootfs.kind == NSL_ROOTFS_OVERLAY) {
			char p[PATH_LEN];
			nsl_fmt(p, sizeof(p), "nodes.%s.namespaces", n->name);
			nsl_v_err(
			    &c, p,
			    "\"user\" cannot have \"rootfs\": \"overlay\": the kernel gives a "
			    "user namespace no overlay over the host's root, whose mounts are "
			    "locked to it; a directory tree (\"rootfs\": \"DIR\") or the host's "
			    "file system (\"rootfs\": \"host\") works");
		}
	}
	for (size_t j = 0; j < t->host.n_ifaces; j++) {
		char p[PATH_LEN];

		if (t->host.ifaces[j].kind != NSL_IFACE_UNKNOWN)
			continue;
		nsl_fmt(p, sizeof(p), "host.interfaces.%s", t->host.ifaces[j].name);
		nsl_v_err_key(&c, p, "no link has this host end");
	}
	check_mtu(&c, "host", t->host.ifaces, t->host.n_ifaces);
	nsl_v_impairs(&c);
	check_sysctls(&c, NSL_ENDPOINT_HOST, "host", t->host.sysctls, t->host.n_sysctls);
	if (!r)
		r = nsl_v_tests(&c);
	if (!r)
		nsl_v_hosts(&c);
	free(c.tab);
	if (r)
		return r;
	return c.errors ? -EINVAL : 0;
}
