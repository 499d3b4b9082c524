/* A plan as text: `nslab up --dry-run`, and the golden files of the unit tests. One line per
 * operation: number, kind, where, what, and the journal record written before it. */
#include <arpa/inet.h>
#include <string.h>

#include "model/plan.h"

static const char *kind_name(enum nsl_op_kind k)
{
	switch (k) {
	case NSL_OP_NODE:
		return "node";
	case NSL_OP_BIND:
		return "bind";
	case NSL_OP_DEVICE:
		return "device";
	case NSL_OP_VETH:
		return "veth";
	case NSL_OP_HOST_END:
		return "host-end";
	case NSL_OP_HOST_DEV:
		return "host-dev";
	case NSL_OP_CREATE:
		return "create";
	case NSL_OP_BRIDGE:
		return "bridge";
	case NSL_OP_LINK:
		return "link";
	case NSL_OP_ADDR:
		return "addr";
	case NSL_OP_ROUTE:
		return "route";
	case NSL_OP_RULE:
		return "rule";
	case NSL_OP_RATE:
		return "rate";
	case NSL_OP_IMPAIR:
		return "impair";
	case NSL_OP_SYSCTL:
		return "sysctl";
	case NSL_OP_NAT:
		return "nat";
	case NSL_OP_HOST_SYSCTL:
		return "sysctl";
	case NSL_OP_EXEC:
		return "exec";
	case NSL_OP_READY:
		return "ready";
	case NSL_OP_WAIT:
		return "wait";
	case NSL_OP_COMMIT:
		return "commit";
	}
	return "?";
}

static const char *undo_name(enum nsl_undo u)
{
	switch (u) {
	case NSL_UNDO_NODE:
		return "node identity";
	case NSL_UNDO_DEVICE:
		return "device as it was";
	case NSL_UNDO_HOSTLINK:
		return "host link";
	case NSL_UNDO_HOSTSYSCTL:
		return "old value";
	case NSL_UNDO_HOSTNFT:
		return "host table";
	case NSL_UNDO_HOSTDEV:
		return "host device";
	case NSL_UNDO_NONE:
		break;
	}
	return NULL;
}

static const char *node_name(const struct nsl_plan *p, int node)
{
	return node == NSL_PLAN_HOST ? NSL_HOST_NODE : p->t->nodes[node].name;
}

/* "r1:eth0", "host:lab0", or the node alone. */
static void where(const struct nsl_plan *p, int node, int iface, char *buf, size_t size)
{
	const struct nsl_iface *f = nsl_plan_iface(p, node, iface);

	if (f)
		nsl_fmt(buf, size, "%s:%s", node_name(p, node), f->name);
	else
		nsl_fmt(buf, size, "%s", node_name(p, node));
}

/* An argument as a shell would need it. */
static void put_arg(const char *s, FILE *out)
{
	bool plain = *s != 0;

	for (const char *c = s; *c && plain; c++)
		plain =
		    strchr(
		        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=:,@%+-",
		        *c) != NULL;
	if (plain) {
		fputs(s, out);
		return;
	}
	fputc('\'', out);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", out);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fprintf(out, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
	fputc('\'', out);
}

static void put_mac(const char *sep, const uint8_t *m, FILE *out)
{
	fprintf(out, "%smac %02x:%02x:%02x:%02x:%02x:%02x", sep, m[0], m[1], m[2], m[3], m[4],
	        m[5]);
}

static void put_route(const struct nsl_route *r, FILE *out)
{
	static const char *const types[] = {"", "blackhole ", "unreachable ", "prohibit ",
	                                    "throw "};
	char a[64];

	fputs(types[r->type], out);
	fputs(r->is_default ? "default" : nsl_prefix_str(&r->to, a, sizeof(a)), out);
	if (r->is_default)
		fputs(r->to.ip.family == AF_INET6 ? " (ipv6)" : " (ipv4)", out);
	if (r->table != NSL_TABLE_MAIN)
		fprintf(out, " table %u", r->table);
	if (r->has_via)
		fprintf(out, " via %s", nsl_ip_str(&r->via, a, sizeof(a)));
	if (r->dev[0])
		fprintf(out, " dev %s", r->dev);
	for (size_t h = 0; h < r->n_nexthops; h++) {
		fputs(" nexthop", out);
		if (r->nexthops[h].has_via)
			fprintf(out, " via %s", nsl_ip_str(&r->nexthops[h].via, a, sizeof(a)));
		if (r->nexthops[h].dev[0])
			fprintf(out, " dev %s", r->nexthops[h].dev);
		fprintf(out, " weight %u", r->nexthops[h].weight);
	}
	if (r->has_metric)
		fprintf(out, " metric %u", r->metric);
	if (r->has_src)
		fprintf(out, " src %s", nsl_ip_str(&r->src, a, sizeof(a)));
}

static void put_rule(const struct nsl_rule *r, int family, FILE *out)
{
	char a[64];

	fputs(family == AF_INET ? "ipv4" : "ipv6", out);
	if (r->has_priority)
		fprintf(out, " priority %u", r->priority);
	if (r->has_from)
		fprintf(out, " from %s", nsl_prefix_str(&r->from, a, sizeof(a)));
	if (r->has_to)
		fprintf(out, " to %s", nsl_prefix_str(&r->to, a, sizeof(a)));
	if (r->iif[0])
		fprintf(out, " iif %s", r->iif);
	if (r->oif[0])
		fprintf(out, " oif %s", r->oif);
	if (r->has_fwmark)
		fprintf(out, " fwmark 0x%x/0x%x", r->fwmark, r->fwmask);
	fprintf(out, " table %u", r->table);
}

/* What an interface of a kind is made with. */
static void put_create(const struct nsl_plan *p, const struct nsl_op *op, const struct nsl_iface *f,
                       FILE *out)
{
	const struct nsl_node *n = op->node == NSL_PLAN_HOST ? NULL : &p->t->nodes[op->node];
	char a[64];

	fputs(nsl_iface_kind_name(f->kind), out);
	switch (f->kind) {
	case NSL_IFACE_VLAN:
		fprintf(out, " id %u%s", f->vlan_id, f->vlan_8021ad ? " 802.1ad" : "");
		break;
	case NSL_IFACE_VXLAN:
		fprintf(out, " vni %u port %u", f->vxlan.vni, f->vxlan.port);
		if (f->vxlan.has_remote)
			fprintf(out, " %s %s", f->vxlan.group ? "group" : "remote",
			        nsl_ip_str(&f->vxlan.remote, a, sizeof(a)));
		if (f->vxlan.has_local)
			fprintf(out, " local %s", nsl_ip_str(&f->vxlan.local, a, sizeof(a)));
		if (f->parent[0])
			fprintf(out, " dev %s", f->parent);
		if (op->create.from_host)
			fputs(", sent from the host (its underlay)", out);
		break;
	case NSL_IFACE_MACVLAN:
	case NSL_IFACE_IPVLAN:
		fprintf(out, " mode %s", nsl_iface_mode_name(f));
		if (op->create.from_host)
			fprintf(out, " on host device %s, sent from the host", f->device);
		break;
	case NSL_IFACE_VRF:
		fprintf(out, " table %u", f->table);
		break;
	case NSL_IFACE_BOND:
		nsl_bond_print(f, out);
		break;
	default:
		break;
	}
	if (op->create.lower >= 0 && n && f->kind != NSL_IFACE_VXLAN)
		fprintf(out, " on %s", n->ifaces[op->create.lower].name);
	if (f->mtu)
		fprintf(out, " mtu %u", f->mtu);
	if (f->has_mac)
		put_mac(" ", f->mac, out);
}

static void put_details(const struct nsl_plan *p, const struct nsl_op *op, FILE *out)
{
	const struct nsl_topology *t = p->t;
	const struct nsl_node *n = op->node == NSL_PLAN_HOST ? NULL : &t->nodes[op->node];
	const struct nsl_iface *f = nsl_plan_iface(p, op->node, op->iface);
	char buf[64];

	switch (op->kind) {
	case NSL_OP_NODE:
		fprintf(out, "net pid mnt uts namespaces, hostname %s", n->hostname);
		for (size_t s = 0; s < op->holder.n_early; s++)
			fprintf(out, "%s%s=%s", s ? " " : ", sysctls ", op->holder.early[s]->key,
			        op->holder.early[s]->value);
		for (size_t m = 0; m < n->n_mounts; m++)
			fprintf(out, "%s%s%s", m ? " " : ", mounts ", n->mounts[m].target,
			        n->mounts[m].read_only ? "(ro)" : "");
		break;
	case NSL_OP_BIND:
		fprintf(out, "/run/netns/%s.%s", p->lab, n->name);
		break;
	case NSL_OP_DEVICE:
		fprintf(out, "host device %s moved in", f->device);
		break;
	case NSL_OP_VETH:
		for (int s = 0; s < 2; s++) {
			const struct nsl_op_end *e = &op->veth[s];
			where(p, e->node, e->iface, buf, sizeof(buf));
			fprintf(out, "%s%s", s ? " - " : "", buf);
			if (e->mtu)
				fprintf(out, " mtu %u", e->mtu);
			if (e->mac)
				put_mac(" ", e->mac, out);
			if (e->up)
				fputs(" up", out);
		}
		break;
	case NSL_OP_HOST_END:
		fprintf(out, "DAD off, %salias nslab:%s", f->up ? "up, " : "", p->lab);
		if (op->host_end.master >= 0)
			fprintf(out, ", master %s", p->host_ifaces[op->host_end.master].name);
		break;
	case NSL_OP_HOST_DEV:
		if (f->kind == NSL_IFACE_VXLAN)
			put_create(p, op, f, out);
		else
			fputs("bridge stp off", out);
		fprintf(out, ", random MAC, DAD off, %salias nslab:%s",
		        f->up && f->kind == NSL_IFACE_BRIDGE ? "up, " : "", p->lab);
		break;
	case NSL_OP_CREATE:
		put_create(p, op, f, out);
		break;
	case NSL_OP_RULE:
		put_rule(&n->rules[op->item], op->rule.family, out);
		break;
	case NSL_OP_BRIDGE:
		fprintf(out, "stp %s", n->bridges[op->item].stp ? "on" : "off");
		if (f && f->mtu)
			fprintf(out, " mtu %u", f->mtu);
		if (f && f->has_mac)
			put_mac(" ", f->mac, out);
		break;
	case NSL_OP_LINK: {
		const char *sep = "";
		if (op->link.master >= 0) {
			fprintf(out, "master %s", n->ifaces[op->link.master].name);
			sep = ", ";
		} else if (op->link.master == NSL_LINK_NOMASTER) {
			fputs("nomaster", out);
			sep = ", ";
		}
		if (op->link.mtu) {
			fprintf(out, "%smtu %u", sep, op->link.mtu);
			sep = ", ";
		}
		if (op->link.mac) {
			put_mac(sep, op->link.mac, out);
			sep = ", ";
		}
		if (op->link.up > 0)
			fprintf(out, "%sup", sep);
		else if (op->link.up == 0)
			fprintf(out, "%sdown", sep);
		break;
	}
	case NSL_OP_ADDR:
		fputs(nsl_prefix_str(&f->addrs[op->item], buf, sizeof(buf)), out);
		break;
	case NSL_OP_ROUTE:
		put_route(&n->routes[op->item], out);
		break;
	case NSL_OP_RATE:
		fprintf(out, "token bucket %llu bytes/s", (unsigned long long)op->rate);
		break;
	case NSL_OP_IMPAIR:
		fputs("netem", out);
		for (unsigned k = 0; k < NSL_IMP_KEYS; k++) {
			const struct nsl_impair *im = &op->impair.im;
			char v[32];
			if (!nsl_impair_value(im, 1u << k))
				continue;
			fprintf(out, " %s %s", nsl_impair_keys[k],
			        nsl_impair_value_str(im, 1u << k, v, sizeof(v)));
		}
		fprintf(out, ", limit %u packets", op->impair.limit);
		break;
	case NSL_OP_SYSCTL:
		fprintf(out, "%s=%s", n->sysctls[op->item].key, n->sysctls[op->item].value);
		break;
	case NSL_OP_HOST_SYSCTL:
		fprintf(out, "%s=%s", t->host.sysctls[op->item].key,
		        t->host.sysctls[op->item].value);
		break;
	case NSL_OP_NAT:
		if (n)
			fprintf(out, "table inet nslab, %zu rule%s", n->n_nat,
			        n->n_nat == 1 ? "" : "s");
		else
			fprintf(out, "table inet nslab-%s, %zu rule%s", p->lab, t->host.n_nat,
			        t->host.n_nat == 1 ? "" : "s");
		break;
	case NSL_OP_EXEC: {
		const struct nsl_argv *a = &n->exec[op->item];
		for (size_t i = 0; i < a->argc; i++) {
			if (i)
				fputc(' ', out);
			put_arg(a->argv[i], out);
		}
		for (size_t i = 0; i < n->n_after; i++)
			fprintf(out, "%s%s", i ? ", " : "  (after ", t->nodes[n->after[i]].name);
		if (n->n_after)
			fputc(')', out);
		break;
	}
	case NSL_OP_READY: {
		const struct nsl_argv *a = &n->ready.cmd;
		fputs("until ", out);
		for (size_t i = 0; i < a->argc; i++) {
			if (i)
				fputc(' ', out);
			put_arg(a->argv[i], out);
		}
		fprintf(out, " exits 0: every %ums, at most %ums", n->ready.interval_ms,
		        n->ready.timeout_ms);
		break;
	}
	case NSL_OP_WAIT: {
		const struct nsl_iface *list = n ? n->ifaces : p->host_ifaces;
		for (size_t i = 0; i < op->wait.n; i++)
			fprintf(out, "%s%s", i ? " " : "", list[op->wait.ifaces[i]].name);
		if (op->wait.n)
			fputs(op->wait.ipv6 ? " running, IPv6 link-local usable" : " running", out);
		for (size_t i = 0; i < op->wait.n_lacp; i++)
			fprintf(out, "%s%s",
			        i            ? " "
			        : op->wait.n ? "; LACP distributing on "
			                     : "LACP distributing on ",
			        list[op->wait.lacp[i]].name);
		break;
	}
	case NSL_OP_COMMIT:
		fputs("state written, holders released", out);
		break;
	}
}

/* Where an operation is, as its line says: "links[3]", "mgmt", "r1:eth0", "r1". With key, a
 * link is named by its ends alone (its index in the file is no part of what it is). */
static void op_where(const struct nsl_plan *p, const struct nsl_op *op, bool key, char *at,
                     size_t size)
{
	if (op->kind == NSL_OP_VETH && (op->item < 0 || key))
		nsl_fmt(at, size, op->item < 0 ? "mgmt" : "link");
	else if (op->kind == NSL_OP_VETH)
		nsl_fmt(at, size, "links[%d]", p->t->links[op->item].index);
	else if (op->kind == NSL_OP_COMMIT)
		at[0] = 0;
	else
		where(p, op->node, op->kind == NSL_OP_ROUTE ? -1 : op->iface, at, size);
}

void nsl_plan_print_op(const struct nsl_plan *p, const struct nsl_op *op, bool key, FILE *out)
{
	char at[2 * NSL_NAME_MAX + 8];

	op_where(p, op, key, at, sizeof(at));
	if (key)
		fprintf(out, "%s %s ", kind_name(op->kind), at);
	else
		fprintf(out, "%-8s %-20s ", kind_name(op->kind), at);
	put_details(p, op, out);
}

void nsl_plan_print(const struct nsl_plan *p, FILE *out)
{
	if (p->t->part >= 0)
		fprintf(out,
		        "# plan of lab %s, host %s of %zu: %zu nodes, %zu links, %zu operations\n",
		        p->lab, p->t->hosts[p->t->part].name, p->t->n_hosts, p->t->n_nodes,
		        p->t->n_links, p->n);
	else
		fprintf(out, "# plan of lab %s: %zu nodes, %zu links, %zu operations\n", p->lab,
		        p->t->n_nodes, p->t->n_links, p->n);
	for (size_t i = 0; i < p->n; i++) {
		const struct nsl_op *op = &p->ops[i];
		const char *undo = undo_name(op->undo);
		fprintf(out, "%5zu ", i + 1);
		nsl_plan_print_op(p, op, false, out);
		if (undo)
			fprintf(out, "  [journal: %s]", undo);
		fputc('\n', out);
	}
}
