/* Readiness, ordering and checks against the rest of the lab: `after` names nodes and makes
 * no cycle; a check runs in a node of the lab and aims at an address some interface of the
 * lab has. Names and addresses are found in sorted arrays: O(n log n). */
#include <arpa/inet.h>
#include <string.h>

#include "base/arena.h"
#include "model/validate.h"

struct names {
	const struct nsl_topology *t;
	size_t *sorted; /* node indices by name */
	const char **list;
};

static int name_cmp(const void *x, const void *y, void *arg)
{
	const struct nsl_topology *t = arg;

	return strcmp(t->nodes[*(const size_t *)x].name, t->nodes[*(const size_t *)y].name);
}

static int find_node(const struct names *nm, const char *name)
{
	size_t lo = 0, hi = nm->t->n_nodes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(name, nm->t->nodes[nm->sorted[mid]].name);
		if (!r)
			return (int)nm->sorted[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static void no_node(struct vctx *c, const struct names *nm, const char *path, const char *name)
{
	const char *hint = NULL;
	size_t best = 3;

	/* a hint costs a distance per node: only for labs of a sane size */
	for (size_t i = 0; nm->t->n_nodes <= 256 && i < nm->t->n_nodes; i++) {
		const char *s = nm->t->nodes[i].name;
		size_t la = strlen(name), lb = strlen(s), row[NSL_NAME_MAX + 2];
		if (la > NSL_NAME_MAX || lb > NSL_NAME_MAX)
			continue;
		for (size_t j = 0; j <= lb; j++)
			row[j] = j;
		for (size_t a = 1; a <= la; a++) {
			size_t diag = row[0];
			row[0] = a;
			for (size_t j = 1; j <= lb; j++) {
				size_t up = row[j], v = diag + (name[a - 1] != s[j - 1]);
				if (up + 1 < v)
					v = up + 1;
				if (row[j - 1] + 1 < v)
					v = row[j - 1] + 1;
				diag = up;
				row[j] = v;
			}
		}
		if (row[lb] < best) {
			best = row[lb];
			hint = s;
		}
	}
	if (hint)
		nsl_v_err(c, path, "no node '%s' (did you mean '%s'?)", name, hint);
	else
		nsl_v_err(c, path, "no node '%s'", name);
}

/* ---- after ---- */

static void resolve_after(struct vctx *c, const struct names *nm)
{
	struct nsl_topology *t = c->t;

	for (size_t i = 0; i < t->n_nodes; i++) {
		struct nsl_node *n = &t->nodes[i];
		if (!n->n_after)
			continue;
		if (!n->after)
			n->after = nsl_arena_array(t->arena, n->n_after, sizeof(*n->after));
		if (!n->after) {
			c->errors++;
			return;
		}
		for (size_t k = 0; k < n->n_after; k++) {
			char p[PATH_LEN];
			int d = find_node(nm, n->after_names[k]);
			nsl_fmt(p, sizeof(p), "nodes.%s.after[%zu]", n->name, k);
			n->after[k] = d;
			if (d < 0) {
				no_node(c, nm, p, n->after_names[k]);
				continue;
			}
			for (size_t j = 0; j < k; j++)
				if (n->after[j] == d) {
					nsl_v_err(c, p, "'%s' is listed twice", n->after_names[k]);
					n->after[k] = -1;
					break;
				}
		}
	}
}

/* Depth-first, without recursion (4096 nodes deep is too much for a stack); each cycle is
 * reported at the `after` entry that closes it. */
static int find_cycles(struct vctx *c)
{
	struct nsl_topology *t = c->t;
	size_t n = t->n_nodes;
	unsigned char *color = calloc(n + 1, 1); /* 0 new, 1 on the path, 2 done */
	size_t *stack = calloc(n + 1, sizeof(*stack)), *next = calloc(n + 1, sizeof(*next));

	if (!color || !stack || !next) {
		free(color);
		free(stack);
		free(next);
		return -ENOMEM;
	}
	for (size_t root = 0; root < n; root++) {
		size_t depth = 0;
		if (color[root])
			continue;
		stack[depth++] = root;
		color[root] = 1;
		next[root] = 0;
		while (depth) {
			size_t u = stack[depth - 1];
			const struct nsl_node *nu = &t->nodes[u];
			if (next[u] >= nu->n_after) {
				color[u] = 2;
				depth--;
				continue;
			}
			size_t k = next[u]++;
			int v = nu->after[k];
			if (v < 0 || color[v] == 2)
				continue;
			if (color[v] == 0) {
				color[v] = 1;
				next[v] = 0;
				stack[depth++] = (size_t)v;
				continue;
			}
			/* a cycle: v ... u on the path, and u waits for v */
			char msg[512], p[PATH_LEN];
			size_t from = depth - 1, len = 0;
			while (stack[from] != (size_t)v)
				from--;
			for (size_t s = from; s < depth; s++)
				len +=
				    (size_t)snprintf(msg + (len < sizeof(msg) ? len : sizeof(msg)),
				                     len < sizeof(msg) ? sizeof(msg) - len : 0,
				                     "%s -> ", t->nodes[stack[s]].name);
			nsl_fmt(p, sizeof(p), "nodes.%s.after[%zu]", nu->name, k);
			if ((size_t)v == u)
				nsl_v_err(c, p, "a node cannot wait for itself");
			else if (len < sizeof(msg))
				nsl_v_err(c, p, "a cycle: %s%s (each waits for the next)", msg,
				          t->nodes[v].name);
			else
				nsl_v_err(c, p, "a cycle through %s (each waits for the next)",
				          t->nodes[v].name);
		}
	}
	free(color);
	free(stack);
	free(next);
	return 0;
}

/* ---- checks ---- */

static int ip_cmp(const void *x, const void *y)
{
	const struct nsl_ip *a = x, *b = y;

	if (a->family != b->family)
		return a->family - b->family;
	return memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

/* Every address an interface of the lab has, sorted. */
static struct nsl_ip *lab_addresses(const struct nsl_topology *t, size_t *ret_n)
{
	size_t n = 0, k = 0;
	struct nsl_ip *all;

	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t f = 0; f < t->nodes[i].n_ifaces; f++)
			n += t->nodes[i].ifaces[f].n_addrs;
	for (size_t f = 0; f < t->host.n_ifaces; f++)
		n += t->host.ifaces[f].n_addrs;
	all = calloc(n + 1, sizeof(*all));
	if (!all)
		return NULL;
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t f = 0; f < t->nodes[i].n_ifaces; f++)
			for (size_t a = 0; a < t->nodes[i].ifaces[f].n_addrs; a++)
				all[k++] = t->nodes[i].ifaces[f].addrs[a].ip;
	for (size_t f = 0; f < t->host.n_ifaces; f++)
		for (size_t a = 0; a < t->host.ifaces[f].n_addrs; a++)
			all[k++] = t->host.ifaces[f].addrs[a].ip;
	qsort(all, n, sizeof(*all), ip_cmp);
	*ret_n = n;
	return all;
}

static int check_checks(struct vctx *c, const struct names *nm)
{
	struct nsl_topology *t = c->t;
	size_t n_addrs = 0;
	struct nsl_ip *addrs = t->n_checks ? lab_addresses(t, &n_addrs) : NULL;

	if (t->n_checks && !addrs)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_checks; i++) {
		struct nsl_check *k = &t->checks[i];
		char p[PATH_LEN], a[INET6_ADDRSTRLEN];
		const char *key = k->kind == NSL_CHECK_NO_PING ? "no_ping"
		                  : k->kind == NSL_CHECK_PING  ? "ping"
		                                               : "connect";
		k->node = find_node(nm, k->node_name);
		if (k->node < 0) {
			nsl_fmt(p, sizeof(p), "tests[%zu].%s", i, k->from_key ? "from" : "node");
			no_node(c, nm, p, k->node_name);
		}
		if (k->kind == NSL_CHECK_ROUTE && k->dev[0] && k->node >= 0 &&
		    !nsl_v_iface(c, k->node, k->dev)) {
			nsl_fmt(p, sizeof(p), "tests[%zu].dev", i);
			nsl_v_err(c, p, "node %s has no interface '%s'", k->node_name, k->dev);
		}
		if (k->kind != NSL_CHECK_PING && k->kind != NSL_CHECK_NO_PING &&
		    k->kind != NSL_CHECK_CONNECT)
			continue;
		if (bsearch(&k->ip, addrs, n_addrs, sizeof(*addrs), ip_cmp))
			continue;
		nsl_fmt(p, sizeof(p), "tests[%zu].%s", i, key);
		nsl_v_err(c, p, "no interface of the lab has the address %s",
		          nsl_ip_str(&k->ip, a, sizeof(a)));
	}
	free(addrs);
	return 0;
}

int nsl_v_tests(struct vctx *c)
{
	struct nsl_topology *t = c->t;
	struct names nm = {.t = t};
	bool any = t->n_checks > 0;
	int r = 0;

	for (size_t i = 0; i < t->n_nodes && !any; i++)
		any = t->nodes[i].n_after > 0;
	if (!any)
		return 0;
	nm.sorted = calloc(t->n_nodes + 1, sizeof(*nm.sorted));
	if (!nm.sorted)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_nodes; i++)
		nm.sorted[i] = i;
	qsort_r(nm.sorted, t->n_nodes, sizeof(*nm.sorted), name_cmp, t);
	resolve_after(c, &nm);
	r = find_cycles(c);
	if (!r)
		r = check_checks(c, &nm);
	free(nm.sorted);
	return r;
}
