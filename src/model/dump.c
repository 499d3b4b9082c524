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
	default:
		return "unknown";
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
		if (f->device[0]) {
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
		fputc('\n', out);
		for (size_t a = 0; a < f->n_addrs; a++)
			fprintf(out, "    address %s\n",
			        nsl_prefix_str(&f->addrs[a], buf, sizeof(buf)));
		impair(t, f, out);
	}
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
	char b1[INET6_ADDRSTRLEN + 8], b2[INET6_ADDRSTRLEN];

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
	for (size_t i = 0; i < n->n_routes; i++) {
		const struct nsl_route *r = &n->routes[i];

		fprintf(out, "  route %s", nsl_prefix_str(&r->to, b1, sizeof(b1)));
		if (r->has_via)
			fprintf(out, " via %s", nsl_ip_str(&r->via, b2, sizeof(b2)));
		if (r->dev[0]) {
			fputs(" dev ", out);
			word(r->dev, out);
		}
		if (r->has_src)
			fprintf(out, " src %s", nsl_ip_str(&r->src, b2, sizeof(b2)));
		fprintf(out, " metric %u%s\n", nsl_route_metric(r),
		        r->has_metric ? "" : " (default)");
	}
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
	fputs("lab ", out);
	word(t->name[0] ? t->name : "(unnamed)", out);
	fputc('\n', out);
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
	if (t->host.n_ifaces || t->host.n_nat || t->host.n_sysctls) {
		fputs("host\n", out);
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
