/* A node's routing: routes (single or multipath, of any type, in any table), policy rules and
 * names of tables. Each value is checked on its own; what the names refer to (devices, VRFs,
 * tables) and what the kernel would refuse is validate_routes.c's job. */
#include <arpa/inet.h>
#include <string.h>

#include "base/arena.h"
#include "model/parse.h"

static const char *const route_types[] = {"unicast", "blackhole", "unreachable", "prohibit",
                                          "throw"};

/* "table": a number, or a name resolved by validation (main, default, a VRF, "tables"). */
static void parse_table(struct pctx *c, const struct nsl_dnode *obj, const char *path,
                        uint32_t *ret, char name[NSL_NAME_MAX + 1])
{
	const struct nsl_dnode *v = nsl_p_member(obj, "table");
	char p[PATH_LEN], b[QUOTE_LEN];
	int64_t i;

	nsl_p_path_key(p, path, "table");
	if (!v)
		return;
	if (v->kind == NSL_D_NUMBER) {
		if (!nsl_p_int(c, v, p, 1, UINT32_MAX, &i))
			return;
		if (i == NSL_TABLE_LOCAL)
			nsl_p_err(c, v, p,
			          "table 255 is the kernel's local table: it holds the "
			          "kernel's own routes");
		else
			*ret = (uint32_t)i;
	} else if (v->kind == NSL_D_STRING) {
		if (!strcmp(v->text, "local"))
			nsl_p_err(c, v, p, "the local table holds the kernel's own routes");
		else if (strlen(v->text) > NSL_NAME_MAX || !nsl_name_valid(v->text))
			nsl_p_err(c, v, p,
			          "invalid table name '%s' (a number, main, default, a VRF of "
			          "the node or a name from its \"tables\")",
			          nsl_p_quote(b, v->text));
		else
			nsl_fmt(name, NSL_NAME_MAX + 1, "%s", v->text);
	}
}

static bool parse_gateway(struct pctx *c, const struct nsl_dnode *obj, const char *path,
                          struct nsl_ip *ret)
{
	const char *s = nsl_p_get_text(c, obj, "via", path);
	char p[PATH_LEN];

	if (!s)
		return false;
	nsl_p_path_key(p, path, "via");
	return nsl_p_ip(c, nsl_p_member(obj, "via"), s, p, ret);
}

static void parse_nexthops(struct pctx *c, struct nsl_route *r, const struct nsl_dnode *arr,
                           const char *path)
{
	static const struct key_spec keys[] = {
	    {"via", J_STRING},
	    {"dev", J_STRING},
	    {"weight", J_INT},
	};

	if (!arr->n) {
		nsl_p_err(c, arr, path, "no next hops: give at least one");
		return;
	}
	r->nexthops = nsl_p_oom(c, nsl_arena_array(c->a, arr->n, sizeof(*r->nexthops)));
	if (!r->nexthops)
		return;
	for (uint32_t i = 0; i < arr->n; i++) {
		const struct nsl_dnode *v = &arr->kids[i];
		struct nsl_nexthop *nh = &r->nexthops[r->n_nexthops];
		char p[PATH_LEN];
		int64_t w;

		nsl_p_path_idx(p, path, i);
		if (!nsl_p_check_object(c, v, p, keys, NSL_ARRAY_SIZE(keys)))
			continue;
		nh->weight = 1;
		nh->has_via = parse_gateway(c, v, p, &nh->via);
		nsl_p_get_ifname(c, v, "dev", p, nh->dev);
		if (nsl_p_get_int(c, v, "weight", p, 1, 256, &w))
			nh->weight = (uint16_t)w;
		if (!nsl_p_member(v, "via") && !nsl_p_member(v, "dev"))
			nsl_p_err(c, v, p, "a next hop needs 'via', 'dev' or both");
		r->n_nexthops++;
	}
}

/* The family a route's gateways say, 0 if none. */
static int gateway_family(const struct nsl_route *r)
{
	if (r->has_via)
		return r->via.family;
	for (size_t i = 0; i < r->n_nexthops; i++)
		if (r->nexthops[i].has_via)
			return r->nexthops[i].via.family;
	return 0;
}

static bool check_gateway(struct pctx *c, const struct nsl_dnode *obj, const char *path,
                          const struct nsl_route *r, const struct nsl_ip *via)
{
	char p[PATH_LEN];

	if (via->family != AF_INET || r->to.ip.family != AF_INET6)
		return true;
	nsl_p_path_key(p, path, "via");
	nsl_p_err(c, nsl_p_member(obj, "via"), p,
	          "an IPv6 route cannot go via an IPv4 gateway (an IPv4 route may go via "
	          "an IPv6 one)");
	return false;
}

static bool parse_route(struct pctx *c, const struct nsl_dnode *v, const char *p,
                        struct nsl_route *r)
{
	const struct nsl_dnode *tv, *nv;
	char kp[PATH_LEN];
	const char *to, *s;
	unsigned before = c->errors;
	int64_t metric;
	int type = 0, fam;

	r->table = NSL_TABLE_MAIN;
	if ((s = nsl_p_get_text(c, v, "type", p))) {
		const char *hint;

		nsl_p_path_key(kp, p, "type");
		for (type = 0; type < (int)NSL_ARRAY_SIZE(route_types); type++)
			if (!strcmp(s, route_types[type]))
				break;
		if (type == (int)NSL_ARRAY_SIZE(route_types)) {
			hint = nsl_p_suggest(s, route_types, NSL_ARRAY_SIZE(route_types));
			nsl_p_err(c, nsl_p_member(v, "type"), kp,
			          "unknown route type '%s' (%s%s%sunicast, blackhole, unreachable, "
			          "prohibit, throw)",
			          s, hint ? "did you mean '" : "", hint ? hint : "",
			          hint ? "'? " : "");
			return false;
		}
		r->type = (enum nsl_route_type)type;
	}
	r->has_via = parse_gateway(c, v, p, &r->via);
	nsl_p_get_ifname(c, v, "dev", p, r->dev);
	if (nsl_p_get_int(c, v, "metric", p, 0, UINT32_MAX, &metric)) {
		r->has_metric = true;
		r->metric = (uint32_t)metric;
	}
	if ((s = nsl_p_get_text(c, v, "src", p))) {
		nsl_p_path_key(kp, p, "src");
		r->has_src = nsl_p_ip(c, nsl_p_member(v, "src"), s, kp, &r->src);
	}
	if ((nv = nsl_p_get(v, "nexthops", J_ARRAY))) {
		nsl_p_path_key(kp, p, "nexthops");
		parse_nexthops(c, r, nv, kp);
	}
	parse_table(c, v, p, &r->table, r->table_name);
	if (nsl_p_get_ifname(c, v, "vrf", p, r->table_name)) {
		r->table_is_vrf = true;
		if (nsl_p_member(v, "table")) {
			nsl_p_path_key(kp, p, "vrf");
			nsl_p_err_key(
			    c, nsl_p_member(v, "vrf"), kp,
			    "give 'vrf' or 'table', not both (a VRF's routes are in its table)");
		}
	}
	to = nsl_p_get_text(c, v, "to", p);
	tv = nsl_p_member(v, "to");
	nsl_p_path_key(kp, p, "to");
	if (!tv)
		nsl_p_err(c, v, p, "missing 'to' (a CIDR or \"default\")");
	if (r->type != NSL_RT_UNICAST) {
		static const char *const what[] = {"via", "dev", "nexthops", "src"};

		for (size_t k = 0; k < NSL_ARRAY_SIZE(what); k++)
			if (nsl_p_member(v, what[k])) {
				char wp[PATH_LEN];

				nsl_p_path_key(wp, p, what[k]);
				nsl_p_err_key(c, nsl_p_member(v, what[k]), wp,
				              "a %s route goes nowhere: it takes no '%s'",
				              route_types[r->type], what[k]);
			}
	} else if (nv && (nsl_p_member(v, "via") || nsl_p_member(v, "dev"))) {
		nsl_p_err(c, v, p, "give 'via'/'dev' or 'nexthops', not both");
	} else if (!nsl_p_member(v, "via") && !nsl_p_member(v, "dev") && !nv) {
		nsl_p_err(c, v, p, "a route needs 'via', 'dev' or both, or 'nexthops'");
	}
	if (!to || c->errors != before)
		return false;
	fam = gateway_family(r);
	if (!strcmp(to, "default")) {
		if (!fam) {
			nsl_p_err(c, tv, kp,
			          r->type == NSL_RT_UNICAST
			              ? "a default route needs a gateway ('via'): its family picks "
			                "IPv4 or IPv6 (or write 0.0.0.0/0 or ::/0)"
			              : "which default? write 0.0.0.0/0 or ::/0");
			return false;
		}
		r->is_default = true;
		r->to.ip.family = fam;
		r->to.len = 0;
	} else if (!nsl_p_network(c, tv, to, kp, true, &r->to)) {
		return false;
	}
	if (r->has_via && !check_gateway(c, v, p, r, &r->via))
		return false;
	for (size_t i = 0; i < r->n_nexthops; i++) {
		char np[PATH_LEN], ip[PATH_LEN];

		nsl_p_path_key(np, p, "nexthops");
		nsl_p_path_idx(ip, np, i);
		if (r->nexthops[i].has_via &&
		    !check_gateway(c, &nv->kids[i], ip, r, &r->nexthops[i].via))
			return false;
		if (r->to.ip.family == AF_INET6 && !r->nexthops[i].has_via) {
			nsl_p_err(
			    c, &nv->kids[i], ip,
			    "an IPv6 multipath route needs a gateway ('via') in every next hop");
			return false;
		}
	}
	if (r->has_src && r->src.family != r->to.ip.family) {
		nsl_p_path_key(kp, p, "src");
		nsl_p_err(c, nsl_p_member(v, "src"), kp,
		          "source family does not match the destination's");
		return false;
	}
	return true;
}

void nsl_p_routes(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *arr, const char *path)
{
	static const struct key_spec keys[] = {
	    {"to", J_STRING},           {"via", J_STRING}, {"dev", J_STRING},
	    {"metric", J_INT},          {"src", J_STRING}, {"nexthops", J_ARRAY},
	    {"table", J_INT_OR_STRING}, {"vrf", J_STRING}, {"type", J_STRING},
	};

	n->routes = nsl_p_oom(c, nsl_arena_array(c->a, arr->n ? arr->n : 1, sizeof(*n->routes)));
	if (!n->routes)
		return;
	for (uint32_t i = 0; i < arr->n; i++) {
		const struct nsl_dnode *v = &arr->kids[i];
		struct nsl_route r = {0};
		char p[PATH_LEN];

		nsl_p_path_idx(p, path, i);
		if (!nsl_p_check_object(c, v, p, keys, NSL_ARRAY_SIZE(keys)))
			continue;
		if (parse_route(c, v, p, &r))
			n->routes[n->n_routes++] = r;
	}
}

/* A 32-bit number in decimal or 0x hexadecimal, the whole of s[0, len). */
static bool mark_number(const char *s, size_t len, uint32_t *ret)
{
	uint64_t v = 0;
	unsigned base = 10;
	size_t i = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len || len - i > 10)
		return false;
	for (; i < len; i++) {
		char ch = s[i];
		unsigned d;

		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			d = (unsigned)(ch - 'A' + 10);
		else
			return false;
		v = v * base + d;
	}
	if (v > UINT32_MAX)
		return false;
	*ret = (uint32_t)v;
	return true;
}

/* "0x10", "0x10/0xff", "16/255", or an integer. */
static bool parse_fwmark(struct pctx *c, const struct nsl_dnode *v, const char *path,
                         struct nsl_rule *r)
{
	char b[QUOTE_LEN];
	const char *slash;
	int64_t i;

	r->fwmask = UINT32_MAX;
	if (v->kind == NSL_D_NUMBER) {
		if (!nsl_p_int(c, v, path, 0, UINT32_MAX, &i))
			return false;
		r->fwmark = (uint32_t)i;
		return true;
	}
	slash = strchr(v->text, '/');
	if (!mark_number(v->text, slash ? (size_t)(slash - v->text) : strlen(v->text),
	                 &r->fwmark) ||
	    (slash && !mark_number(slash + 1, strlen(slash + 1), &r->fwmask))) {
		nsl_p_err(c, v, path, "invalid fwmark '%s' (a number, or MARK/MASK like 0x10/0xff)",
		          nsl_p_quote(b, v->text));
		return false;
	}
	return true;
}

void nsl_p_rules(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *arr, const char *path)
{
	static const struct key_spec keys[] = {
	    {"from", J_STRING},          {"to", J_STRING},
	    {"iif", J_STRING},           {"oif", J_STRING},
	    {"fwmark", J_INT_OR_STRING}, {"table", J_INT_OR_STRING},
	    {"priority", J_INT},         {"family", J_STRING},
	};

	n->rules = nsl_p_oom(c, nsl_arena_array(c->a, arr->n ? arr->n : 1, sizeof(*n->rules)));
	if (!n->rules)
		return;
	for (uint32_t i = 0; i < arr->n; i++) {
		const struct nsl_dnode *v = &arr->kids[i], *m;
		struct nsl_rule r = {.family = AF_UNSPEC};
		char p[PATH_LEN], kp[PATH_LEN];
		unsigned before = c->errors;
		const char *s;
		int64_t prio;

		nsl_p_path_idx(p, path, i);
		if (!nsl_p_check_object(c, v, p, keys, NSL_ARRAY_SIZE(keys)))
			continue;
		if ((s = nsl_p_get_text(c, v, "from", p))) {
			nsl_p_path_key(kp, p, "from");
			r.has_from =
			    nsl_p_network(c, nsl_p_member(v, "from"), s, kp, true, &r.from);
		}
		if ((s = nsl_p_get_text(c, v, "to", p))) {
			nsl_p_path_key(kp, p, "to");
			r.has_to = nsl_p_network(c, nsl_p_member(v, "to"), s, kp, true, &r.to);
		}
		nsl_p_get_ifname(c, v, "iif", p, r.iif);
		nsl_p_get_ifname(c, v, "oif", p, r.oif);
		if ((m = nsl_p_member(v, "fwmark")) &&
		    (m->kind == NSL_D_NUMBER || m->kind == NSL_D_STRING)) {
			nsl_p_path_key(kp, p, "fwmark");
			r.has_fwmark = parse_fwmark(c, m, kp, &r);
		}
		parse_table(c, v, p, &r.table, r.table_name);
		if (!nsl_p_member(v, "table"))
			nsl_p_err(c, v, p, "a rule needs 'table' (where its lookups go)");
		if (nsl_p_get_int(c, v, "priority", p, 0, UINT32_MAX, &prio)) {
			r.has_priority = true;
			r.priority = (uint32_t)prio;
		}
		if ((s = nsl_p_get_text(c, v, "family", p))) {
			nsl_p_path_key(kp, p, "family");
			if (!strcmp(s, "ipv4"))
				r.family = AF_INET;
			else if (!strcmp(s, "ipv6"))
				r.family = AF_INET6;
			else
				nsl_p_err(
				    c, nsl_p_member(v, "family"), kp,
				    "unknown family '%s' (ipv4 or ipv6; without it, a rule with no "
				    "address is made for both)",
				    s);
		}
		if (c->errors != before)
			continue;
		if (r.has_from && r.has_to && r.from.ip.family != r.to.ip.family) {
			nsl_p_path_key(kp, p, "to");
			nsl_p_err(c, nsl_p_member(v, "to"), kp,
			          "'from' and 'to' are of different families");
			continue;
		}
		if (r.has_from || r.has_to) {
			int fam = r.has_from ? r.from.ip.family : r.to.ip.family;

			if (r.family != AF_UNSPEC && r.family != fam) {
				nsl_p_path_key(kp, p, "family");
				nsl_p_err(c, nsl_p_member(v, "family"), kp,
				          "the rule's addresses are %s",
				          fam == AF_INET ? "IPv4" : "IPv6");
				continue;
			}
			r.family = fam;
		}
		n->rules[n->n_rules++] = r;
	}
}

void nsl_p_tables(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *obj, const char *path)
{
	static const char *const reserved[] = {"main", "local", "default", "all", "unspec"};

	nsl_p_check_dups(c, obj, path);
	n->tables = nsl_p_oom(c, nsl_arena_array(c->a, obj->n ? obj->n : 1, sizeof(*n->tables)));
	if (!n->tables)
		return;
	for (uint32_t i = 0; i < obj->n; i++) {
		const struct nsl_dnode *v = &obj->kids[i];
		char p[PATH_LEN], b[QUOTE_LEN];
		bool bad = false;
		int64_t id;

		if (v->dup)
			continue; /* reported */
		nsl_p_path_key(p, path, v->key);
		for (size_t k = 0; k < NSL_ARRAY_SIZE(reserved); k++)
			bad |= !strcmp(v->key, reserved[k]);
		if (bad) {
			nsl_p_err_key(c, v, p, "'%s' is the kernel's own name", v->key);
			continue;
		}
		if (strlen(v->key) > NSL_NAME_MAX || !nsl_name_valid(v->key) ||
		    (v->key[0] >= '0' && v->key[0] <= '9')) {
			nsl_p_err_key(c, v, p,
			              "invalid table name '%s' (1 to %d of [A-Za-z0-9_-], starting "
			              "with a letter)",
			              nsl_p_quote(b, v->key), NSL_NAME_MAX);
			continue;
		}
		if (!nsl_p_int(c, v, p, 1, UINT32_MAX, &id))
			continue;
		if (id == NSL_TABLE_DEFAULT || id == NSL_TABLE_MAIN || id == NSL_TABLE_LOCAL) {
			nsl_p_err(c, v, p, "table %lld is the kernel's %s table", (long long)id,
			          id == NSL_TABLE_MAIN    ? "main"
			          : id == NSL_TABLE_LOCAL ? "local"
			                                  : "default");
			continue;
		}
		nsl_fmt(n->tables[n->n_tables].name, sizeof(n->tables->name), "%s", v->key);
		n->tables[n->n_tables++].id = (uint32_t)id;
	}
}
