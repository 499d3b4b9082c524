/* The change's rooms: diff.c (the keys, the sides, what is out, the whole) shares these with
 * diff_refuse.c (what cannot change in place) and diff_plans.c (the two plans: what goes, what
 * comes). Not for callers of the diff. */
#ifndef NSL_DIFF_IMPL_H
#define NSL_DIFF_IMPL_H

#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "model/diff.h"

struct side {
	const struct nsl_topology *t;
	const struct nsl_plan *p;
	char **key;    /* [op] */
	char **sorted; /* the keys, sorted */
	char **ident;  /* "q NODE IF" (a qdisc) and "s NODE KEY" (a sysctl) of the plan, sorted */
	size_t n_ident;
	bool *alive;   /* [node]: exists now */
	bool *out;     /* [node]: does not stay (from: removed or made again; to: made) */
	bool **iout;   /* [node][iface]: made or removed */
	bool *hout;    /* [host iface] */
	int *peer;     /* [node]: the node of that name on the other side, -1 */
	bool *reroute; /* [node]: an interface of it is made again, or loses an address: its
	                * routes are put back (the kernel drops those through an interface
	                * that is deleted or loses its last IPv4 address) */
	bool **readdr; /* [node][iface]: loses an address: the others are put back (the
	                * kernel drops the secondaries of a primary that goes) */
	bool *hreaddr; /* [host iface] */
};

struct ctx {
	struct nsl_diff *d;
	const struct nsl_diff_opts *o;
	struct nsl_diags *diags;
	struct side f, t; /* from, to */
	struct nsl_arena *a;
	size_t cap_del, cap_add;
	bool oom, refused;
};

static inline int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline bool has(char **sorted, size_t n, const char *key)
{
	return key && n && bsearch(&key, sorted, n, sizeof(char *), cmp_str) != NULL;
}

static inline bool has_key(const struct side *s, const char *key)
{
	return has(s->sorted, s->p->n, key);
}

static inline const char *node_name(const struct side *s, int node)
{
	return node == NSL_PLAN_HOST ? NSL_HOST_NODE : s->t->nodes[node].name;
}

static inline bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static inline bool prefix_eq(const struct nsl_prefix *a, const struct nsl_prefix *b)
{
	return a->len == b->len && nsl_ip_equal(&a->ip, &b->ip);
}

static inline const char *sysctl_of(const struct nsl_sysctl *s, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s[i].key, key))
			return s[i].value;
	return NULL;
}

static inline int iface_index(const struct nsl_node *n, const char *name)
{
	const struct nsl_iface *f = name[0] ? nsl_node_iface(n, name) : NULL;

	return f ? (int)(f - n->ifaces) : -1;
}

static inline bool iface_out(const struct side *s, int node, int iface)
{
	if (iface < 0)
		return false;
	return node == NSL_PLAN_HOST ? s->hout[iface] : s->iout[node][iface];
}

/* diff_refuse.c: whether side s has the identity "KIND NODE X"; what cannot change in place,
 * refused or (recreate) its node made again (returns whether a node was newly marked to be
 * made again); what apply never changes */
bool nsl_diff_iface_has_ident(const struct side *s, const char *kind, const char *node,
                              const char *x);
bool nsl_diff_check_in_place(struct ctx *c);
void nsl_diff_check_fixed(struct ctx *c);

/* diff_plans.c: the plan of what goes (d->del), the plan of what comes (d->add) */
void nsl_diff_build_del(struct ctx *c);
void nsl_diff_build_add(struct ctx *c);

#endif
