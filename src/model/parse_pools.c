/* "pools" (where links, bridges and loopbacks without addresses get theirs) and "mgmt" (the
 * management network). Each pool on its own here; overlaps, exhaustion and the numbering
 * itself are validate_pools.c's. */
#include <arpa/inet.h>
#include <string.h>

#include "model/parse.h"

struct pool_spec {
	const char *name;
	int family;
	uint8_t block;    /* default */
	uint8_t min, max; /* of "prefix"; 0: no "prefix" */
};

static const struct pool_spec specs[NSL_POOLS] = {
    [NSL_POOL_P2P] = {"p2p", AF_INET, 30, 1, 31},
    [NSL_POOL_P2P6] = {"p2p6", AF_INET6, 64, 1, 127},
    [NSL_POOL_LAN] = {"lan", AF_INET, 24, 1, 30},
    [NSL_POOL_LAN6] = {"lan6", AF_INET6, 64, 1, 126},
    [NSL_POOL_LOOPBACK] = {"loopback", AF_INET, 32, 0, 0},
    [NSL_POOL_LOOPBACK6] = {"loopback6", AF_INET6, 128, 0, 0},
};

const char *nsl_pool_name(enum nsl_pool_id id)
{
	if (id == NSL_POOL_MGMT)
		return "mgmt";
	return id < NSL_POOLS ? specs[id].name : "?";
}

static void parse_pool(struct pctx *c, enum nsl_pool_id id, const struct nsl_dnode *v,
                       const char *path)
{
	static const struct key_spec keys[] = {
	    {"subnet", J_STRING},
	    {"prefix", J_INT},
	};
	const struct pool_spec *sp = &specs[id];
	struct nsl_pool *pool = &c->t->pools[id];
	const struct nsl_dnode *sv = v;
	char p[PATH_LEN], b[QUOTE_LEN];
	int64_t len = sp->block;

	nsl_fmt(p, sizeof(p), "%s", path);
	if (v->kind == NSL_D_OBJECT) {
		if (!nsl_p_check_object(c, v, path, keys, NSL_ARRAY_SIZE(keys)))
			return;
		sv = nsl_p_get(v, "subnet", J_STRING);
		if (!sv) {
			if (!nsl_p_member(v, "subnet"))
				nsl_p_err(c, v, path, "missing 'subnet' (a CIDR like 10.0.0.0/16)");
			return;
		}
		nsl_p_path_key(p, path, "subnet");
		if (nsl_p_member(v, "prefix")) {
			if (!sp->max) {
				char kp[PATH_LEN];

				nsl_p_path_key(kp, path, "prefix");
				nsl_p_err_key(
				    c, nsl_p_member(v, "prefix"), kp,
				    "a loopback gets one address (/%u): this pool takes no "
				    "'prefix'",
				    sp->block);
				return;
			}
			if (!nsl_p_get_int(c, v, "prefix", path, sp->min, sp->max, &len))
				return;
		}
	} else if (v->kind != NSL_D_STRING) {
		nsl_p_type_err(c, v, path, "string (a CIDR) or object");
		return;
	}
	if (!nsl_p_text(c, sv, p) || !nsl_p_network(c, sv, sv->text, p, false, &pool->net))
		return;
	if (pool->net.ip.family != sp->family) {
		/* the other family's pool: p2p <-> p2p6 */
		const char *other = specs[sp->family == AF_INET ? id + 1 : id - 1].name;

		nsl_p_err(c, sv, p, "'%s' is %s: pool %s is for %s (%s goes in %s)",
		          nsl_p_quote(b, sv->text), sp->family == AF_INET ? "IPv6" : "IPv4",
		          sp->name, sp->family == AF_INET ? "IPv4" : "IPv6",
		          sp->family == AF_INET ? "IPv6" : "IPv4", other);
		return;
	}
	if (pool->net.len > len) {
		nsl_p_err(c, sv, p, "%s cannot hold a single /%lld", nsl_p_quote(b, sv->text),
		          (long long)len);
		return;
	}
	pool->block = (uint8_t)len;
	pool->set = true;
}

void nsl_p_pools(struct pctx *c, const struct nsl_dnode *obj)
{
	const char *names[NSL_POOLS];

	nsl_p_check_dups(c, obj, "pools");
	for (size_t i = 0; i < NSL_POOLS; i++)
		names[i] = specs[i].name;
	for (uint32_t k = 0; k < obj->n; k++) {
		const struct nsl_dnode *v = &obj->kids[k];
		char p[PATH_LEN], b[QUOTE_LEN];
		const char *hint;
		size_t i;

		if (v->dup)
			continue;
		nsl_p_path_key(p, "pools", v->key);
		for (i = 0; i < NSL_POOLS; i++)
			if (!strcmp(v->key, specs[i].name))
				break;
		if (i < NSL_POOLS) {
			parse_pool(c, (enum nsl_pool_id)i, v, p);
			continue;
		}
		hint = nsl_p_suggest(v->key, names, NSL_POOLS);
		if (hint)
			nsl_p_err_key(c, v, p, "unknown pool '%s' (did you mean '%s'?)",
			              nsl_p_quote(b, v->key), hint);
		else
			nsl_p_err_key(c, v, p,
			              "unknown pool '%s' (pools: p2p, p2p6, lan, lan6, loopback, "
			              "loopback6)",
			              nsl_p_quote(b, v->key));
	}
}

static void mgmt_subnet(struct pctx *c, const struct nsl_dnode *obj, const char *key, int family,
                        bool *has, struct nsl_prefix *ret)
{
	const char *s = nsl_p_get_text(c, obj, key, "mgmt");
	unsigned max = family == AF_INET ? 30 : 126;
	char p[PATH_LEN], b[QUOTE_LEN];

	if (!s)
		return;
	nsl_p_path_key(p, "mgmt", key);
	if (!nsl_p_network(c, nsl_p_member(obj, key), s, p, false, ret))
		return;
	if (ret->ip.family != family)
		nsl_p_err(c, nsl_p_member(obj, key), p, "'%s' is not %s (%s is for %s)",
		          nsl_p_quote(b, s), family == AF_INET ? "IPv4" : "IPv6", key,
		          family == AF_INET ? "IPv4; IPv6 goes in subnet6" : "IPv6");
	else if (ret->len > max)
		nsl_p_err(c, nsl_p_member(obj, key), p,
		          "%s holds no host besides the gateway (at most /%u)", nsl_p_quote(b, s),
		          max);
	else
		*has = true;
}

void nsl_p_mgmt(struct pctx *c, const struct nsl_dnode *obj)
{
	static const struct key_spec keys[] = {
	    {"subnet", J_STRING},
	    {"subnet6", J_STRING},
	    {"bridge", J_STRING},
	    {"interface", J_STRING},
	};
	struct nsl_mgmt *m = &c->t->mgmt;
	char p[PATH_LEN];

	if (!nsl_p_check_object(c, obj, "mgmt", keys, NSL_ARRAY_SIZE(keys)))
		return;
	nsl_fmt(m->iface, sizeof(m->iface), "mgmt0");
	mgmt_subnet(c, obj, "subnet", AF_INET, &m->has4, &m->subnet);
	mgmt_subnet(c, obj, "subnet6", AF_INET6, &m->has6, &m->subnet6);
	if (!nsl_p_member(obj, "subnet") && !nsl_p_member(obj, "subnet6"))
		nsl_p_err(c, obj, "mgmt", "missing 'subnet' (like 172.20.0.0/24) or 'subnet6'");
	nsl_p_get_ifname(c, obj, "bridge", "mgmt", m->bridge);
	if (nsl_p_get_ifname(c, obj, "interface", "mgmt", m->iface) && !strcmp(m->iface, "lo")) {
		nsl_p_path_key(p, "mgmt", "interface");
		nsl_p_err(c, nsl_p_member(obj, "interface"), p, "lo is the loopback");
	}
	m->set = m->has4 || m->has6;
}

void nsl_p_node_mgmt(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *v,
                     const char *path)
{
	static const struct key_spec keys[] = {
	    {"address", J_STRING},
	    {"address6", J_STRING},
	};
	static const char *const names[] = {"address", "address6"};
	bool *has[] = {&n->has_mgmt4, &n->has_mgmt6};
	struct nsl_ip *ip[] = {&n->mgmt4, &n->mgmt6};
	char p[PATH_LEN];

	if (v->kind == NSL_D_BOOL) {
		if (v->boolean)
			nsl_p_err(c, v, path,
			          "true is the default: write false (no management interface) or "
			          "{\"address\": ...}");
		n->no_mgmt = !v->boolean;
		return;
	}
	if (!nsl_p_check_object(c, v, path, keys, NSL_ARRAY_SIZE(keys)))
		return;
	for (int k = 0; k < 2; k++) {
		const char *s = nsl_p_get_text(c, v, names[k], path);

		if (!s)
			continue;
		nsl_p_path_key(p, path, names[k]);
		if (!nsl_p_ip(c, nsl_p_member(v, names[k]), s, p, ip[k]))
			continue;
		if (ip[k]->family != (k ? AF_INET6 : AF_INET))
			nsl_p_err(c, nsl_p_member(v, names[k]), p, "'%s' is not an %s address", s,
			          k ? "IPv6" : "IPv4");
		else
			*has[k] = true;
	}
}
