/* The validated model as text: one fact per line, in the model's order (which is the order
 * up applies things in), every default spelled out, free text quoted. Deterministic, so two
 * files that mean the same lab dump the same (the JSON/YAML twins test relies on it). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "model/topology.h"

/* A name as is when it is plain, else quoted with C escapes. */
static void word(const char *s, FILE *out)
{
	bool plain = *s != '\0';

	for (const char *p = s; *p && plain; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || strchr("_.:/@%+=,-", *p);
	if (plain) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", out);
		else if (ch == '\t')
			fputs("\\t", out);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(out, "\\x%02x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static const char *kind_name(enum nsl_iface_kind k)
{
	switch (k) {
	case NSL_IFACE_VETH:
		return "veth";
	case NSL_IFACE_DEVICE:
		return "device";
	case NSL_IFACE_BRIDGE:
		return "bridge";
	case NSL_IFACE_LO:
		return "loopback";
	case NSL_IFACE_MGMT:
		return "mgmt";
	default:
		return nsl_iface_kind_name(k) ? nsl_iface_kind_name(k) : "unknown";
	}
}

/* What an interface of a kind is made with. */
static void kind_details(const struct nsl_iface *f, const struct nsl_iface *all, FILE *out)
{
	char buf[INET6_ADDRSTRLEN];

	switch (f->kind) {
	case NSL_IFACE_VLAN:
		fputs(" parent ", out);
		word(f->parent, out);
		fprintf(out, " id %u protocol %s", f->vlan_id,
		        f->vlan_8021ad ? "802.1ad" : "802.1Q");
		break;
	case NSL_IFACE_VXLAN:
		fprintf(out, " vni %u", f->vxlan.vni);
		if (f->vxlan.has_remote)
			fprintf(out, " %s %s", f->vxlan.group ? "group" : "remote",
			        nsl_ip_str(&f->vxlan.remote, buf, sizeof(buf)));
		if (f->vxlan.has_local)
			fprintf(out, " local %s", nsl_ip_str(&f->vxlan.local, buf, sizeof(buf)));
		fprintf(out, " port %u", f->vxlan.port);
		if (f->parent[0]) {
			fputs(" dev ", out);
			word(f->parent, out);
		}
		if (f->vxlan.host_underlay)
			fputs(" underlay host", out);
		break;
	case NSL_IFACE_MACVLAN:
	case NSL_IFACE_IPVLAN:
		fputs(f->device[0] ? " on-host " : " parent ", out);
		word(f->device[0] ? f->device : f->parent, out);
		fprintf(out, " mode %s", nsl_iface_mode_name(f));
		break;
	case NSL_IFACE_VRF:
		fprintf(out, " table %u", f->table);
		break;
	case NSL_IFACE_BOND:
		nsl_bond_print(f, out);
		fputs(" ports", out);
		for (size_t i = 0; i < f->bonding.n_ports; i++) {
			fputc(' ', out);
			word(f->bonding.ports[i], out);
		}
		break;
	default:
		break;
	}
	if (f->master_vrf >= 0 && all) {
		fputs(" vrf ", out);
		word(all[f->master_vrf].name, out);
	}
	if (f->bond >= 0 && all) {
		fputs(" port-of ", out);
		word(all[f->bond].name, out);
	}
}

/* What the packets leaving a link end get (its link's and its own impairments merged, the
 * link's rate with them), non-zero keys only. */
static void impair(const struct nsl_topology *t, const struct nsl_iface *f, FILE *out)
{
	struct nsl_impair im;
	const char *sep = "    impair";

	nsl_iface_impair(t, f, &im);
	if (nsl_impair_qdisc(&im) == NSL_QDISC_NONE)
		return;
	for (unsigned k = 0; k < NSL_IMP_KEYS; k++) {
		char v[32];
		if (!nsl_impair_value(&im, 1u << k))
			continue;
		fprintf(out, "%s %s %s", sep, nsl_impair_keys[k],
		        nsl_impair_value_str(&im, 1u << k, v, sizeof(v)));
		sep = "";
	}
	fputc('\n', out);
}

static void ifaces(const struct nsl_topology *t, int owner, const struct nsl_iface *f, size_t n,
                   const struct nsl_bridge *bridges, FILE *out)
{
	char buf[INET6_ADDRSTRLEN + 8];

	for (size_t i = 0; i < n; i++, f++) {
		fputs("  interface ", out);
		word(f->name, out);
		fprintf(out, " %s", kind_name(f->kind));
		if (f->link >= 0) {
			const struct nsl_link *l = &t->links[f->link];
			int other = l->ends[0].node == owner && !strcmp(l->ends[0].ifname, f->name);
			const struct nsl_endpoint *peer = &l->ends[other];

			fprintf(out, " links[%d] peer ", f->link);
			word(peer->node == NSL_ENDPOINT_HOST ? NSL_HOST_NODE
			                                     : t->nodes[peer->node].name,
			     out);
			fputc(':', out);
			word(peer->ifname, out);
		}
		if (f->device[0] && f->kind == NSL_IFACE_DEVICE) {
			fputs(" from-host ", out);
			word(f->device, out);
		}
		fprintf(out, " %s", f->up ? "up" : "down");
		if (f->mtu)
			fprintf(out, " mtu %u", f->mtu);
		else
			fputs(" mtu default", out);
		if (f->has_mac)
			fprintf(out, " mac %02x:%02x:%02x:%02x:%02x:%02x", f->mac[0], f->mac[1],
			        f->mac[2], f->mac[3], f->mac[4], f->mac[5]);
		if (f->bridge >= 0 && bridges) {
			fputs(" port-of ", out);
			word(bridges[f->bridge].name, out);
		}
		kind_details(f, f - i, out);
		fputc('\n', out);
		for (size_t a = 0; a < f->n_addrs; a++) {
			fprintf(out, "    address %s",
			        nsl_prefix_str(&f->addrs[a], buf, sizeof(buf)));
			if (f->addr_pool && f->addr_pool[a])
				fprintf(out, " (pool %s)",
				        nsl_pool_name((enum nsl_pool_id)(f->addr_pool[a] - 1)));
			fputc('\n', out);
		}
		impair(t, f, out);
	}
}

static void route(const struct nsl_route *r, FILE *out)
{
	static const char *const types[] = {"", "blackhole ", "unreachable ", "prohibit ",
	                                    "throw "};
	char b1[INET6_ADDRSTRLEN + 8], b2[INET6_ADDRSTRLEN];

	fprintf(out, "  route %s%s", types[r->type], nsl_prefix_str(&r->to, b1, sizeof(b1)));
	if (r->table != NSL_TABLE_MAIN)
		fprintf(out, " table %u", r->table);
	if (r->has_via)
		fprintf(out, " via %s", nsl_ip_str(&r->via, b2, sizeof(b2)));
	if (r->dev[0]) {
		fputs(" dev ", out);
		word(r->dev, out);
	}
	for (size_t h = 0; h < r->n_nexthops; h++) {
		const struct nsl_nexthop *nh = &r->nexthops[h];

		fputs(" nexthop", out);
		if (nh->has_via)
			fprintf(out, " via %s", nsl_ip_str(&nh->via, b2, sizeof(b2)));
		if (nh->dev[0]) {
			fputs(" dev ", out);
			word(nh->dev, out);
		}
		fprintf(out, " weight %u", nh->weight);
	}
	if (r->has_src)
		fprintf(out, " src %s", nsl_ip_str(&r->src, b2, sizeof(b2)));
	fprintf(out, " metric %u%s\n", nsl_route_metric(r), r->has_metric ? "" : " (default)");
}

static void rule(const struct nsl_rule *r, FILE *out)
{
	char b[INET6_ADDRSTRLEN + 8];

	fprintf(out, "  rule %s",
	        r->family == AF_INET    ? "ipv4"
	        : r->family == AF_INET6 ? "ipv6"
	                                : "ipv4+ipv6");
	if (r->has_priority)
		fprintf(out, " priority %u", r->priority);
	else
		fputs(" priority (the kernel's)", out);
	if (r->has_from)
		fprintf(out, " from %s", nsl_prefix_str(&r->from, b, sizeof(b)));
	if (r->has_to)
		fprintf(out, " to %s", nsl_prefix_str(&r->to, b, sizeof(b)));
	if (r->iif[0]) {
		fputs(" iif ", out);
		word(r->iif, out);
	}
	if (r->oif[0]) {
		fputs(" oif ", out);
		word(r->oif, out);
	}
	if (r->has_fwmark)
		fprintf(out, " fwmark 0x%x/0x%x", r->fwmark, r->fwmask);
	fprintf(out, " table %u\n", r->table);
}

static void nats(const struct nsl_nat *r, size_t n, FILE *out)
{
	char b1[INET6_ADDRSTRLEN + 8], b2[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < n; i++, r++) {
		fprintf(out, "  nat %s source %s out ", r->family == AF_INET6 ? "ipv6" : "ipv4",
		        r->has_source ? nsl_prefix_str(&r->source, b1, sizeof(b1)) : "any");
		if (r->out[0])
			word(r->out, out);
		else
			fputs("any", out);
		if (r->to == NSL_NAT_MASQUERADE)
			fputs(" to masquerade\n", out);
		else if (r->to == NSL_NAT_ADDRESS)
			fprintf(out, " to %s\n", nsl_ip_str(&r->to_min, b1, sizeof(b1)));
		else
			fprintf(out, " to %s-%s\n", nsl_ip_str(&r->to_min, b1, sizeof(b1)),
			        nsl_ip_str(&r->to_max, b2, sizeof(b2)));
	}
}

static void sysctls(const struct nsl_sysctl *s, size_t n, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "  sysctl %s = ", s[i].key);
		word(s[i].value, out);
		fputc('\n', out);
	}
}

static void node(const struct nsl_topology *t, int idx, const struct nsl_node *n, FILE *out)
{

	fputs("node ", out);
	word(n->name, out);
	fputs("\n  hostname ", out);
	word(n->hostname, out);
	fputc('\n', out);
	ifaces(t, idx, n->ifaces, n->n_ifaces, n->bridges, out);
	for (size_t b = 0; b < n->n_bridges; b++) {
		fputs("  bridge ", out);
		word(n->bridges[b].name, out);
		fprintf(out, " stp %s ports", n->bridges[b].stp ? "on" : "off");
		for (size_t p = 0; p < n->bridges[b].n_ports; p++) {
			fputc(' ', out);
			word(n->bridges[b].ports[p], out);
		}
		fputc('\n', out);
	}
	for (size_t i = 0; i < n->n_tables; i++)
		fprintf(out, "  table %s = %u\n", n->tables[i].name, n->tables[i].id);
	for (size_t i = 0; i < n->n_routes; i++)
		route(&n->routes[i], out);
	for (size_t i = 0; i < n->n_rules; i++)
		rule(&n->rules[i], out);
	sysctls(n->sysctls, n->n_sysctls, out);
	nats(n->nat, n->n_nat, out);
	for (size_t i = 0; i < n->n_mounts; i++) {
		const struct nsl_mount *m = &n->mounts[i];

		fputs("  mount ", out);
		if (m->tmpfs) {
			fputs("tmpfs", out);
		} else {
			word(m->source, out);
		}
		fputs(" on ", out);
		word(m->target, out);
		fputs(m->read_only ? " read-only\n" : " read-write\n", out);
	}
	for (size_t i = 0; i < n->n_env; i++) {
		fputs("  env ", out);
		word(n->env[i], out);
		fputc('\n', out);
	}
	for (size_t i = 0; i < n->n_exec; i++) {
		fputs("  exec", out);
		for (size_t a = 0; a < n->exec[i].argc; a++) {
			fputc(' ', out);
			word(n->exec[i].argv[a], out);
		}
		fputc('\n', out);
	}
	if (n->has_ready) {
		fputs("  ready", out);
		for (size_t a = 0; a < n->ready.cmd.argc; a++) {
			fputc(' ', out);
			word(n->ready.cmd.argv[a], out);
		}
		fprintf(out, " every %ums for at most %ums\n", n->ready.interval_ms,
		        n->ready.timeout_ms);
	}
	for (size_t i = 0; i < n->n_after; i++) {
		fputs("  after ", out);
		word(t->nodes[n->after[i]].name, out);
		fputc('\n', out);
	}
}

void nsl_topology_dump(const struct nsl_topology *t, FILE *out)
{
	char b1[INET6_ADDRSTRLEN + 8];

	fputs("lab ", out);
	word(t->name[0] ? t->name : "(unnamed)", out);
	fputc('\n', out);
	for (int i = 0; i < NSL_POOLS; i++)
		if (t->pools[i].set)
			fprintf(out, "pool %s %s blocks /%u\n", nsl_pool_name((enum nsl_pool_id)i),
			        nsl_prefix_str(&t->pools[i].net, b1, sizeof(b1)),
			        t->pools[i].block);
	if (t->mgmt.set) {
		fputs("mgmt bridge ", out);
		if (t->mgmt.bridge[0])
			word(t->mgmt.bridge, out);
		else
			fputs("(named after the lab)", out);
		fputs(" interface ", out);
		word(t->mgmt.iface, out);
		if (t->mgmt.has4)
			fprintf(out, " gateway %s", nsl_prefix_str(&t->mgmt.gw4, b1, sizeof(b1)));
		if (t->mgmt.has6)
			fprintf(out, " gateway %s", nsl_prefix_str(&t->mgmt.gw6, b1, sizeof(b1)));
		fputc('\n', out);
	}
	for (size_t i = 0; i < t->n_nodes; i++)
		node(t, (int)i, &t->nodes[i], out);
	for (size_t l = 0; l < t->n_links; l++) {
		const struct nsl_link *k = &t->links[l];

		fprintf(out, "link links[%zu]", l);
		for (int e = 0; e < 2; e++) {
			fputc(' ', out);
			word(k->ends[e].node == NSL_ENDPOINT_HOST ? NSL_HOST_NODE
			                                          : t->nodes[k->ends[e].node].name,
			     out);
			fputc(':', out);
			word(k->ends[e].ifname, out);
		}
		if (k->mtu)
			fprintf(out, " mtu %u", k->mtu);
		if (k->rate)
			fprintf(out, " rate %llu bytes/s", (unsigned long long)k->rate);
		fputc('\n', out);
	}
	if (t->host.n_ifaces || t->host.n_nat || t->host.n_sysctls || t->host.uplink) {
		fputs("host\n", out);
		if (t->host.uplink == NSL_UPLINK_SLIRP4NETNS)
			fputs("  uplink slirp4netns (" NSL_UPLINK_IFNAME " " NSL_UPLINK_PREFIX
			      ")\n",
			      out);
		ifaces(t, NSL_ENDPOINT_HOST, t->host.ifaces, t->host.n_ifaces, NULL, out);
		nats(t->host.nat, t->host.n_nat, out);
		sysctls(t->host.sysctls, t->host.n_sysctls, out);
	}
	for (size_t i = 0; i < t->n_checks; i++) {
		char what[1024];

		nsl_check_describe(&t->checks[i], what, sizeof(what));
		fprintf(out, "test tests[%zu] ", i);
		word(t->checks[i].name, out);
		fprintf(out, "%s: %s\n", t->checks[i].named ? "" : " (default name)", what);
	}
}
