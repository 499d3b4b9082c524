/* Pictures of a topology (see graph.h). Pure. */
#include <stdio.h>
#include <string.h>

#include "model/graph.h"

const char *nsl_graph_node_kind(const struct nsl_node *n)
{
	static const char *const fwd[] = {"net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding",
	                                  "net.ipv6.conf.all.forwarding"};

	for (size_t s = 0; s < n->n_sysctls; s++)
		for (size_t k = 0; k < NSL_ARRAY_SIZE(fwd); k++)
			if (!strcmp(n->sysctls[s].key, fwd[k]) && !strcmp(n->sysctls[s].value, "1"))
				return "router";
	return n->n_bridges ? "switch" : "node";
}

static const struct nsl_iface *end_iface(const struct nsl_topology *t,
                                         const struct nsl_endpoint *ep)
{
	if (ep->node != NSL_ENDPOINT_HOST)
		return nsl_node_iface(&t->nodes[ep->node], ep->ifname);
	for (size_t k = 0; k < t->host.n_ifaces; k++)
		if (!strcmp(t->host.ifaces[k].name, ep->ifname))
			return &t->host.ifaces[k];
	return NULL;
}

static const char *end_name(const struct nsl_topology *t, const struct nsl_endpoint *ep)
{
	return ep->node == NSL_ENDPOINT_HOST ? NSL_HOST_NODE : t->nodes[ep->node].name;
}

static bool uses_host(const struct nsl_topology *t)
{
	for (size_t l = 0; l < t->n_links; l++)
		for (int s = 0; s < 2; s++)
			if (t->links[l].ends[s].node == NSL_ENDPOINT_HOST)
				return true;
	return false;
}

/* A rate as the file would write it: "100mbit", or bytes per second when no unit fits. */
static void rate_str(uint64_t bytes, char *buf, size_t size)
{
	static const struct {
		uint64_t bits;
		const char *unit;
	} units[] = {{1000000000, "gbit"}, {1000000, "mbit"}, {1000, "kbit"}};
	uint64_t bits = bytes * 8;

	for (size_t u = 0; u < NSL_ARRAY_SIZE(units); u++)
		if (bits % units[u].bits == 0) {
			snprintf(buf, size, "%llu%s", (unsigned long long)(bits / units[u].bits),
			         units[u].unit);
			return;
		}
	snprintf(buf, size, "%llubit", (unsigned long long)bits);
}

/* ---- DOT ---- */

/* Interface names may hold '"' and '\' (the kernel allows them): escape for DOT. */
static void dot_put(const char *s, FILE *out)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
}

static void dot_addrs(const struct nsl_iface *f, FILE *out)
{
	char buf[64];

	for (size_t a = 0; f && a < f->n_addrs; a++)
		fprintf(out, "\\n%s", nsl_prefix_str(&f->addrs[a], buf, sizeof(buf)));
}

void nsl_graph_dot(const struct nsl_topology *t, FILE *out)
{
	fprintf(out, "graph \"%s\" {\n\tnode [shape=box];\n", t->name[0] ? t->name : "lab");
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct nsl_node *n = &t->nodes[i];
		const char *kind = nsl_graph_node_kind(n);
		fprintf(out, "\t\"%s\" [label=\"%s\\n(%s)", n->name, n->name, kind);
		for (size_t b = 0; b < n->n_bridges; b++) {
			fputs("\\n[bridge ", out);
			dot_put(n->bridges[b].name, out);
			fputc(']', out);
		}
		dot_addrs(nsl_node_iface(n, "lo"), out);
		fprintf(out, "\"%s];\n",
		        !strcmp(kind, "router")   ? ", style=rounded"
		        : !strcmp(kind, "switch") ? ", style=filled, fillcolor=\"#eeeeee\""
		                                  : "");
	}
	if (uses_host(t))
		fprintf(out, "\t\"host\" [shape=house];\n");
	for (size_t l = 0; l < t->n_links; l++) {
		const struct nsl_link *lk = &t->links[l];
		char rate[32];
		for (int s = 0; s < 2; s++)
			fprintf(out, s ? " -- \"%s\"" : "\t\"%s\"", end_name(t, &lk->ends[s]));
		for (int s = 0; s < 2; s++) {
			fputs(s ? "\", headlabel=\"" : " [taillabel=\"", out);
			dot_put(lk->ends[s].ifname, out);
			dot_addrs(end_iface(t, &lk->ends[s]), out);
		}
		fputc('"', out);
		if (lk->mtu || lk->rate) {
			fputs(", label=\"", out);
			if (lk->mtu)
				fprintf(out, "mtu %u%s", lk->mtu, lk->rate ? "\\n" : "");
			if (lk->rate) {
				rate_str(lk->rate, rate, sizeof(rate));
				fprintf(out, "rate %s", rate);
			}
			fputc('"', out);
		}
		fprintf(out, "];\n");
	}
	fprintf(out, "}\n");
}

/* ---- Mermaid ---- */

/* Text inside a quoted Mermaid label: entity codes for what Mermaid or HTML would read. */
static void mm_put(const char *s, FILE *out)
{
	for (; *s; s++)
		switch (*s) {
		case '"':
			fputs("#quot;", out);
			break;
		case '#':
			fputs("#35;", out);
			break;
		case '<':
			fputs("#lt;", out);
			break;
		case '>':
			fputs("#gt;", out);
			break;
		case '&':
			fputs("#amp;", out);
			break;
		case '|':
			fputs("#124;", out);
			break;
		case '`':
			fputs("#96;", out);
			break;
		default:
			fputc(*s, out);
		}
}

static void mm_addrs(const struct nsl_iface *f, FILE *out)
{
	char buf[64];

	for (size_t a = 0; f && a < f->n_addrs; a++)
		fprintf(out, " %s", nsl_prefix_str(&f->addrs[a], buf, sizeof(buf)));
}

static void mm_id(const struct nsl_endpoint *ep, FILE *out)
{
	if (ep->node == NSL_ENDPOINT_HOST)
		fputs("hostns", out);
	else
		fprintf(out, "n%d", ep->node);
}

void nsl_graph_mermaid(const struct nsl_topology *t, FILE *out)
{
	fputs("%% nslab graph --format mermaid: lab ", out);
	fputs(t->name[0] ? t->name : "(unnamed)", out);
	fputs("\nflowchart LR\n", out);
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct nsl_node *n = &t->nodes[i];
		const char *kind = nsl_graph_node_kind(n);
		const struct nsl_iface *lo = nsl_node_iface(n, "lo");
		/* A router as a stadium, a switch as a subroutine box, a node as a box. */
		bool router = !strcmp(kind, "router"), sw = !strcmp(kind, "switch");
		fprintf(out, "  n%zu%s\"%s<br/>(%s)", i,
		        router ? "(["
		        : sw   ? "[["
		               : "[",
		        n->name, kind);
		for (size_t b = 0; b < n->n_bridges; b++) {
			fputs("<br/>bridge ", out);
			mm_put(n->bridges[b].name, out);
		}
		if (lo && lo->n_addrs) {
			fputs("<br/>lo", out);
			mm_addrs(lo, out);
		}
		fprintf(out, "\"%s\n", router ? "])" : sw ? "]]" : "]");
	}
	if (uses_host(t))
		fputs("  hostns{{\"host\"}}\n", out);
	for (size_t l = 0; l < t->n_links; l++) {
		const struct nsl_link *lk = &t->links[l];
		char rate[32];
		fputs("  ", out);
		mm_id(&lk->ends[0], out);
		fputs(" ---|\"", out);
		for (int s = 0; s < 2; s++) {
			if (s)
				fputs("<br/>", out);
			fprintf(out, "%s:", end_name(t, &lk->ends[s]));
			mm_put(lk->ends[s].ifname, out);
			mm_addrs(end_iface(t, &lk->ends[s]), out);
		}
		if (lk->mtu)
			fprintf(out, "<br/>mtu %u", lk->mtu);
		if (lk->rate) {
			rate_str(lk->rate, rate, sizeof(rate));
			fprintf(out, "<br/>rate %s", rate);
		}
		fputs("\"| ", out);
		mm_id(&lk->ends[1], out);
		fputc('\n', out);
	}
}
