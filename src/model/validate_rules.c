/* A node's policy rules: the interfaces they name exist, and no rule repeats another (or one
 * of the kernel's own: local at 0, main at 32766, default at 32767), which the kernel
 * refuses (EEXIST). A rule without a priority gets a new one from the kernel, so it never
 * repeats. Table names are resolved by nsl_v_tables. Sorted: O(n log n). */
#include <arpa/inet.h>
#include <string.h>

#include "model/validate.h"

struct rule_key {
	const struct nsl_rule *r;
	size_t i;
	int family;
};

static int pfx_cmp(bool ha, const struct nsl_prefix *a, bool hb, const struct nsl_prefix *b)
{
	if (ha != hb)
		return ha ? 1 : -1;
	if (!ha)
		return 0;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->ip.bytes, b->ip.bytes, 16);
}

static int u32_cmp(uint32_t a, uint32_t b) { return a < b ? -1 : a > b; }

/* Everything the kernel compares, then the rule's place. */
static int key_cmp(const void *x, const void *y)
{
	const struct rule_key *a = x, *b = y;
	const struct nsl_rule *p = a->r, *q = b->r;
	int r = a->family - b->family;

	if (!r)
		r = u32_cmp(p->priority, q->priority);
	if (!r)
		r = u32_cmp(p->table, q->table);
	if (!r)
		r = pfx_cmp(p->has_from, &p->from, q->has_from, &q->from);
	if (!r)
		r = pfx_cmp(p->has_to, &p->to, q->has_to, &q->to);
	if (!r)
		r = strcmp(p->iif, q->iif);
	if (!r)
		r = strcmp(p->oif, q->oif);
	if (!r)
		r = (int)p->has_fwmark - (int)q->has_fwmark;
	if (!r && p->has_fwmark)
		r = u32_cmp(p->fwmark, q->fwmark) ? u32_cmp(p->fwmark, q->fwmark)
		                                  : u32_cmp(p->fwmask, q->fwmask);
	if (!r)
		r = a->i < b->i ? -1 : a->i > b->i;
	return r;
}

static bool selects_nothing(const struct nsl_rule *r)
{
	return !r->has_from && !r->has_to && !r->iif[0] && !r->oif[0] && !r->has_fwmark;
}

int nsl_v_rules(struct vctx *c, int node)
{
	struct nsl_node *n = &c->t->nodes[node];
	struct rule_key *keys;
	bool *said;
	size_t k = 0;

	if (!n->n_rules)
		return 0;
	keys = calloc(2 * n->n_rules, sizeof(*keys));
	said = calloc(n->n_rules, sizeof(*said));
	if (!keys || !said) {
		free(keys);
		free(said);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n->n_rules; i++) {
		const struct nsl_rule *r = &n->rules[i];
		const char *names[2] = {r->iif, r->oif}, *keys_of[2] = {"iif", "oif"};
		char p[PATH_LEN];

		for (int s = 0; s < 2; s++) {
			const struct nsl_iface *f;

			if (!names[s][0])
				continue;
			f = nsl_v_iface(c, node, names[s]);
			if (!f || f->kind == NSL_IFACE_UNKNOWN) {
				nsl_fmt(p, sizeof(p), "nodes.%s.rules[%zu].%s", n->name, i,
				        keys_of[s]);
				nsl_v_err(c, p, "node %s has no interface '%s'", n->name, names[s]);
			}
		}
		nsl_fmt(p, sizeof(p), "nodes.%s.rules[%zu].priority", n->name, i);
		if (r->has_priority && selects_nothing(r) && r->table &&
		    ((r->priority == 0 && r->table == NSL_TABLE_LOCAL) ||
		     (r->priority == 32766 && r->table == NSL_TABLE_MAIN) ||
		     (r->priority == 32767 && r->table == NSL_TABLE_DEFAULT &&
		      r->family != AF_INET6))) {
			nsl_v_err(c, p, "the kernel has this rule already (priority %u, table %u)",
			          r->priority, r->table);
			continue;
		}
		if (!r->has_priority)
			continue;
		for (int fam = AF_INET; fam <= AF_INET6; fam += AF_INET6 - AF_INET)
			if (r->family == AF_UNSPEC || r->family == fam)
				keys[k++] = (struct rule_key){r, i, fam};
	}
	qsort(keys, k, sizeof(*keys), key_cmp);
	for (size_t i = 1; i < k; i++) {
		struct rule_key a = keys[i - 1], b = keys[i];
		char p[PATH_LEN];

		a.i = b.i = 0;
		if (key_cmp(&a, &b) || keys[i - 1].i == keys[i].i || said[keys[i].i])
			continue;
		said[keys[i].i] = true;
		nsl_fmt(p, sizeof(p), "nodes.%s.rules[%zu]", n->name, keys[i].i);
		nsl_v_err(c, p, "the same rule as rules[%zu] (%s): the kernel takes it once",
		          keys[i - 1].i, keys[i].family == AF_INET ? "IPv4" : "IPv6");
	}
	free(keys);
	free(said);
	return 0;
}
