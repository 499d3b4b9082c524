/* Topology file -> model. Checks everything a value says on its own (syntax, keys, types,
 * names, addresses, numbers, paths) and collects every problem with its JSON path.
 * Cross-references between parts are nsl_topology_validate's job, except link endpoint
 * node names, which are resolved here because the model keeps only an index. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "base/arena.h"
#include "model/topology.h"

#define PATH_LEN 256
#define NODES_MAX 4096
#define LINKS_MAX 16384
#define TEXT_MAX 4096 /* paths, sysctl values, env values */

enum jtype { J_STRING, J_INT, J_BOOL, J_OBJECT, J_ARRAY };

struct key_spec {
	const char *name;
	enum jtype type;
};

/* An address seen somewhere in the lab, to find duplicates after the walk. */
struct seen_addr {
	struct nsl_ip ip;
	size_t order;
	char *path;
};

struct pctx {
	struct nsl_topology *t;
	struct nsl_arena *a;
	struct nsl_diags *d;
	unsigned errors;
	bool oom;
	const char **node_keys; /* node names as written, for endpoint lookup */
	size_t *node_sorted;    /* indices into node_keys, sorted by name */
	struct seen_addr *seen;
	size_t n_seen, cap_seen;
};

static void perr(struct pctx *c, const char *path, const char *fmt, ...) NSL_PRINTF(3, 4);
static void perr(struct pctx *c, const char *path, const char *fmt, ...)
{
	va_list ap;

	c->errors++;
	va_start(ap, fmt);
	nsl_diags_addv(c->d, path, fmt, ap);
	va_end(ap);
}

static void *oom_check(struct pctx *c, void *p)
{
	if (!p)
		c->oom = true;
	return p;
}

/* User text in messages and paths: printable ASCII as is, the rest escaped, long text cut. */
static void escape(char *out, size_t size, const char *s, size_t max)
{
	size_t o = 0, i;

	for (i = 0; s[i] && o + 8 < size; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (i >= max) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (ch >= 0x20 && ch < 0x7f && ch != '\'') {
			out[o++] = (char)ch;
		} else {
			nsl_fmt(out + o, size - o, "\\x%02x", ch);
			o += 4;
		}
	}
	out[o] = '\0';
}

#define QUOTE_LEN 96
static const char *q(char buf[static QUOTE_LEN], const char *s)
{
	escape(buf, QUOTE_LEN, s, 64);
	return buf;
}

static void path_key(char out[static PATH_LEN], const char *parent, const char *key)
{
	char k[QUOTE_LEN];

	escape(k, sizeof(k), key, 48);
	if (parent[0])
		nsl_fmt(out, PATH_LEN, "%s.%s", parent, k);
	else
		nsl_fmt(out, PATH_LEN, "%s", k);
}

static void path_idx(char out[static PATH_LEN], const char *parent, size_t i)
{
	nsl_fmt(out, PATH_LEN, "%s[%zu]", parent, i);
}

static const char *type_name(enum jtype t)
{
	switch (t) {
	case J_STRING:
		return "string";
	case J_INT:
		return "integer";
	case J_BOOL:
		return "true or false";
	case J_OBJECT:
		return "object";
	case J_ARRAY:
		return "array";
	}
	return "?";
}

static bool type_ok(const cJSON *v, enum jtype t)
{
	switch (t) {
	case J_STRING:
		return cJSON_IsString(v);
	case J_INT:
		return cJSON_IsNumber(v);
	case J_BOOL:
		return cJSON_IsBool(v);
	case J_OBJECT:
		return cJSON_IsObject(v);
	case J_ARRAY:
		return cJSON_IsArray(v);
	}
	return false;
}

static size_t count_children(const cJSON *v)
{
	size_t n = 0;

	for (const cJSON *ch = v->child; ch; ch = ch->next)
		n++;
	return n;
}

/* ---- duplicate and unknown keys ---- */

struct key_ref {
	const char *name;
	size_t idx;
};

static int key_ref_cmp(const void *x, const void *y)
{
	const struct key_ref *a = x, *b = y;
	int r = strcmp(a->name, b->name);

	if (r)
		return r;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* cJSON keeps every duplicate key and its lookups return the first: report the later ones.
 * Sorting keeps this fast on hostile objects with a hundred thousand keys. */
static void check_dups(struct pctx *c, const cJSON *obj, const char *path)
{
	size_t n = count_children(obj), i = 0;
	struct key_ref *refs;
	bool *dup;
	const cJSON *ch;

	if (n < 2)
		return;
	refs = oom_check(c, calloc(n, sizeof(*refs)));
	dup = oom_check(c, calloc(n, sizeof(*dup)));
	if (refs && dup) {
		for (ch = obj->child; ch; ch = ch->next, i++)
			refs[i] = (struct key_ref){ch->string ? ch->string : "", i};
		qsort(refs, n, sizeof(*refs), key_ref_cmp);
		for (i = 1; i < n; i++)
			if (!strcmp(refs[i].name, refs[i - 1].name))
				dup[refs[i].idx] = true;
		for (ch = obj->child, i = 0; ch; ch = ch->next, i++) {
			char p[PATH_LEN], b[QUOTE_LEN];

			if (!dup[i])
				continue;
			path_key(p, path, ch->string ? ch->string : "");
			perr(c, p, "duplicate key '%s'", q(b, ch->string ? ch->string : ""));
		}
	}
	free(refs);
	free(dup);
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* The closest of names within two edits, or NULL. */
static const char *suggest(const char *s, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t best_d = 3;

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(s, names[i]);

		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	return best;
}

/* An object of fixed keys: reports a wrong type of the object itself, duplicate keys,
 * unknown keys (with a hint) and values of the wrong type. */
static bool check_object(struct pctx *c, const cJSON *obj, const char *path,
                         const struct key_spec *keys, size_t n_keys)
{
	const char *names[16];

	if (!cJSON_IsObject(obj)) {
		perr(c, path, "expected object");
		return false;
	}
	check_dups(c, obj, path);
	for (size_t i = 0; i < n_keys && i < NSL_ARRAY_SIZE(names); i++)
		names[i] = keys[i].name;
	for (const cJSON *ch = obj->child; ch; ch = ch->next) {
		const char *key = ch->string ? ch->string : "";
		char p[PATH_LEN], b[QUOTE_LEN];
		size_t i;

		path_key(p, path, key);
		for (i = 0; i < n_keys; i++)
			if (!strcmp(key, keys[i].name))
				break;
		if (i == n_keys) {
			const char *hint = suggest(key, names, n_keys);

			if (hint)
				perr(c, p, "unknown key '%s' (did you mean '%s'?)", q(b, key),
				     hint);
			else
				perr(c, p, "unknown key '%s'", q(b, key));
		} else if (!type_ok(ch, keys[i].type)) {
			perr(c, p, "expected %s", type_name(keys[i].type));
		}
	}
	return true;
}

/* The first value of that exact key (cJSON's own getter ignores case) if of the right
 * type; check_object has reported anything else. */
static const cJSON *get(const cJSON *obj, const char *key, enum jtype t)
{
	for (const cJSON *ch = obj->child; ch; ch = ch->next)
		if (ch->string && !strcmp(ch->string, key))
			return type_ok(ch, t) ? ch : NULL;
	return NULL;
}

static bool has_key(const cJSON *obj, const char *key)
{
	for (const cJSON *ch = obj->child; ch; ch = ch->next)
		if (ch->string && !strcmp(ch->string, key))
			return true;
	return false;
}

/* An exact integer in [min, max]: JSON numbers are doubles, so 1.5 or 1e300 must not
 * slip through as a clamped or truncated value. */
static bool int_value(struct pctx *c, const cJSON *v, const char *path, int64_t min, int64_t max,
                      int64_t *ret)
{
	double d = v->valuedouble;
	int64_t i;

	if (!(d >= (double)min && d <= (double)max))
		goto bad;
	i = (int64_t)d;
	if ((double)i != d)
		goto bad;
	*ret = i;
	return true;
bad:
	perr(c, path, "must be an integer from %lld to %lld", (long long)min, (long long)max);
	return false;
}

static bool get_int(struct pctx *c, const cJSON *obj, const char *key, const char *path,
                    int64_t min, int64_t max, int64_t *ret)
{
	const cJSON *v = get(obj, key, J_INT);
	char p[PATH_LEN];

	if (!v)
		return false;
	path_key(p, path, key);
	return int_value(c, v, p, min, max, ret);
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* A string used as a name, address or path: no control characters, bounded length. */
static const char *text_value(struct pctx *c, const cJSON *v, const char *path)
{
	const char *s = v->valuestring;

	if (has_control(s)) {
		perr(c, path, "control characters are not allowed here");
		return NULL;
	}
	if (strlen(s) > TEXT_MAX) {
		perr(c, path, "longer than %d bytes", TEXT_MAX);
		return NULL;
	}
	return s;
}

static const char *get_text(struct pctx *c, const cJSON *obj, const char *key, const char *path)
{
	const cJSON *v = get(obj, key, J_STRING);
	char p[PATH_LEN];

	if (!v)
		return NULL;
	path_key(p, path, key);
	return text_value(c, v, p);
}

static bool get_ifname(struct pctx *c, const cJSON *obj, const char *key, const char *path,
                       char ret[NSL_IFNAME_MAX + 1])
{
	const cJSON *v = get(obj, key, J_STRING);
	char p[PATH_LEN], b[QUOTE_LEN];

	if (!v)
		return false;
	path_key(p, path, key);
	if (!nsl_ifname_valid(v->valuestring)) {
		perr(c, p,
		     "invalid interface name '%s' (1 to %d bytes of printable ASCII, no '/', "
		     "':' or space, not '.' or '..')",
		     q(b, v->valuestring), NSL_IFNAME_MAX);
		return false;
	}
	memcpy(ret, v->valuestring, strlen(v->valuestring) + 1);
	return true;
}

/* ---- addresses ---- */

static void remember_addr(struct pctx *c, const struct nsl_ip *ip, const char *path)
{
	struct seen_addr *s;

	if (c->n_seen == c->cap_seen) {
		size_t cap = c->cap_seen ? c->cap_seen * 2 : 64;

		s = oom_check(c, reallocarray(c->seen, cap, sizeof(*s)));
		if (!s)
			return;
		c->seen = s;
		c->cap_seen = cap;
	}
	s = &c->seen[c->n_seen];
	s->path = oom_check(c, strdup(path));
	if (!s->path)
		return;
	s->ip = *ip;
	s->order = c->n_seen++;
}

static int seen_cmp(const void *x, const void *y)
{
	const struct seen_addr *a = x, *b = y;
	int r = a->ip.family - b->ip.family;

	if (!r)
		r = memcmp(a->ip.bytes, b->ip.bytes, sizeof(a->ip.bytes));
	if (!r)
		r = a->order < b->order ? -1 : a->order > b->order;
	return r;
}

/* Same address twice in the lab, host side included: reported at the later place. */
static void check_dup_addrs(struct pctx *c)
{
	const char **first;
	size_t i, start;

	if (c->n_seen < 2)
		return;
	first = oom_check(c, calloc(c->n_seen, sizeof(*first)));
	if (!first)
		return;
	qsort(c->seen, c->n_seen, sizeof(*c->seen), seen_cmp);
	for (i = 1, start = 0; i < c->n_seen; i++) {
		if (nsl_ip_equal(&c->seen[i].ip, &c->seen[start].ip))
			first[c->seen[i].order] = c->seen[start].path;
		else
			start = i;
	}
	/* back to document order for the report */
	for (i = 0; i < c->n_seen; i++) {
		struct seen_addr tmp;

		while (c->seen[i].order != i) {
			tmp = c->seen[c->seen[i].order];
			c->seen[c->seen[i].order] = c->seen[i];
			c->seen[i] = tmp;
		}
	}
	for (i = 0; i < c->n_seen; i++) {
		char b[INET6_ADDRSTRLEN];

		if (first[i])
			perr(c, c->seen[i].path, "address %s is already used at %s",
			     nsl_ip_str(&c->seen[i].ip, b, sizeof(b)), first[i]);
	}
	free(first);
}

/* An array of interface addresses appended to *addrs. */
static void parse_addrs(struct pctx *c, const cJSON *arr, const char *path,
                        struct nsl_prefix **addrs, size_t *n_addrs)
{
	size_t n = count_children(arr), i = 0;
	struct nsl_prefix *p;

	if (!n)
		return;
	p = oom_check(c, nsl_arena_array(c->a, *n_addrs + n, sizeof(*p)));
	if (!p)
		return;
	if (*n_addrs)
		memcpy(p, *addrs, *n_addrs * sizeof(*p));
	*addrs = p;
	for (const cJSON *v = arr->child; v; v = v->next, i++) {
		char ip[PATH_LEN], b[QUOTE_LEN];
		struct nsl_prefix pf;

		path_idx(ip, path, i);
		if (!cJSON_IsString(v)) {
			perr(c, ip, "expected string");
			continue;
		}
		if (!nsl_prefix_parse(v->valuestring, &pf)) {
			struct nsl_ip bare;

			if (nsl_ip_parse(v->valuestring, &bare))
				perr(c, ip, "'%s' has no prefix length (like 10.0.0.1/24)",
				     q(b, v->valuestring));
			else
				perr(c, ip,
				     "invalid address '%s' (expected CIDR like 10.0.0.1/24 or "
				     "fd42::1/64)",
				     q(b, v->valuestring));
			continue;
		}
		if (nsl_ip_is_special(&pf.ip)) {
			perr(c, ip, "'%s' is not a unicast address", q(b, v->valuestring));
			continue;
		}
		remember_addr(c, &pf.ip, ip);
		p[(*n_addrs)++] = pf;
	}
}

/* A route destination or NAT source: a network, so host bits must be clear. */
static bool parse_network(struct pctx *c, const char *s, const char *path, bool bare_ok,
                          struct nsl_prefix *ret)
{
	char b[QUOTE_LEN], nb[INET6_ADDRSTRLEN + 8];
	struct nsl_prefix p, net;
	size_t bytes;

	if (!nsl_prefix_parse(s, &p)) {
		if (!bare_ok || !nsl_ip_parse(s, &p.ip)) {
			perr(c, path, "invalid prefix '%s' (expected CIDR like 10.1.0.0/16)",
			     q(b, s));
			return false;
		}
		p.len = p.ip.family == AF_INET ? 32 : 128;
	}
	net = p;
	bytes = p.ip.family == AF_INET ? 4 : 16;
	for (size_t i = 0; i < bytes; i++) {
		unsigned bit = (unsigned)i * 8;

		if (bit >= p.len)
			net.ip.bytes[i] = 0;
		else if (p.len - bit < 8)
			net.ip.bytes[i] &= (uint8_t)(0xff << (8 - (p.len - bit)));
	}
	if (!nsl_ip_equal(&net.ip, &p.ip)) {
		perr(c, path, "'%s' has host bits set (did you mean %s?)", q(b, s),
		     nsl_prefix_str(&net, nb, sizeof(nb)));
		return false;
	}
	*ret = p;
	return true;
}

static bool parse_ip_text(struct pctx *c, const char *s, const char *path, struct nsl_ip *ret)
{
	char b[QUOTE_LEN];

	if (!nsl_ip_parse(s, ret)) {
		perr(c, path, "invalid IP address '%s'", q(b, s));
		return false;
	}
	if (nsl_ip_is_special(ret)) {
		perr(c, path, "'%s' is not a unicast address", q(b, s));
		return false;
	}
	return true;
}

/* ---- node parts ---- */

static struct nsl_iface *iface_new(struct nsl_iface *arr, size_t *n, const char *name)
{
	struct nsl_iface *f = &arr[(*n)++];

	memset(f, 0, sizeof(*f));
	nsl_fmt(f->name, sizeof(f->name), "%s", name);
	f->up = true;
	f->link = -1;
	f->bridge = -1;
	return f;
}

static void parse_iface(struct pctx *c, struct nsl_iface *f, const cJSON *obj, const char *path,
                        bool host)
{
	static const struct key_spec keys[] = {
	    {"addresses", J_ARRAY}, {"mtu", J_INT},       {"mac", J_STRING},
	    {"up", J_BOOL},         {"device", J_STRING},
	};
	static const struct key_spec host_keys[] = {
	    {"addresses", J_ARRAY},
	    {"mtu", J_INT},
	    {"mac", J_STRING},
	};
	const cJSON *v;
	char p[PATH_LEN], b[QUOTE_LEN];
	int64_t mtu;
	bool lo = !host && !strcmp(f->name, "lo");

	if (host ? !check_object(c, obj, path, host_keys, NSL_ARRAY_SIZE(host_keys))
	         : !check_object(c, obj, path, keys, NSL_ARRAY_SIZE(keys)))
		return;
	if ((v = get(obj, "addresses", J_ARRAY))) {
		path_key(p, path, "addresses");
		parse_addrs(c, v, p, &f->addrs, &f->n_addrs);
	}
	if (get_int(c, obj, "mtu", path, 68, 65535, &mtu))
		f->mtu = (uint32_t)mtu;
	if ((v = get(obj, "mac", J_STRING))) {
		path_key(p, path, "mac");
		if (lo)
			perr(c, p, "lo has no MAC address");
		else if (nsl_mac_parse(v->valuestring, f->mac))
			f->has_mac = true;
		else
			perr(c, p,
			     "invalid MAC '%s' (expected unicast, not all-zero, like "
			     "02:00:00:00:00:01)",
			     q(b, v->valuestring));
	}
	if ((v = get(obj, "up", J_BOOL))) {
		f->up = cJSON_IsTrue(v);
		if (lo && !f->up) {
			path_key(p, path, "up");
			perr(c, p, "lo is always up");
			f->up = true;
		}
	}
	if (get(obj, "device", J_STRING)) {
		path_key(p, path, "device");
		if (lo)
			perr(c, p, "lo cannot be a moved device");
		else if (get_ifname(c, obj, "device", path, f->device) && !strcmp(f->device, "lo"))
			perr(c, p, "the host's lo cannot be moved");
	}
}

/* A map of interface name -> settings, into ifaces (room for extra entries reserved). */
static void parse_ifaces(struct pctx *c, const cJSON *obj, const char *path, size_t extra,
                         bool host, struct nsl_iface **ret, size_t *n_ret)
{
	size_t n = cJSON_IsObject(obj) ? count_children(obj) : 0;
	struct nsl_iface *arr;

	if (obj && !cJSON_IsObject(obj))
		return; /* type already reported */
	if (obj)
		check_dups(c, obj, path);
	if (n + extra == 0)
		return;
	arr = oom_check(c, nsl_arena_array(c->a, n + extra, sizeof(*arr)));
	if (!arr)
		return;
	*ret = arr;
	for (const cJSON *ch = obj ? obj->child : NULL; ch; ch = ch->next) {
		char p[PATH_LEN], b[QUOTE_LEN];

		path_key(p, path, ch->string);
		if (!nsl_ifname_valid(ch->string)) {
			perr(c, p,
			     "invalid interface name '%s' (1 to %d bytes of printable ASCII, "
			     "no '/', ':' or space, not '.' or '..')",
			     q(b, ch->string), NSL_IFNAME_MAX);
			continue;
		}
		if (nsl_node_iface(&(struct nsl_node){.ifaces = arr, .n_ifaces = *n_ret},
		                   ch->string))
			continue; /* duplicate key, reported */
		parse_iface(c, iface_new(arr, n_ret, ch->string), ch, p, host);
	}
}

static void parse_bridges(struct pctx *c, struct nsl_node *n, const cJSON *obj, const char *path)
{
	static const struct key_spec keys[] = {
	    {"ports", J_ARRAY},
	    {"addresses", J_ARRAY},
	    {"stp", J_BOOL},
	};
	size_t count = count_children(obj);

	check_dups(c, obj, path);
	n->bridges = oom_check(c, nsl_arena_array(c->a, count ? count : 1, sizeof(*n->bridges)));
	if (!n->bridges)
		return;
	for (const cJSON *ch = obj->child; ch; ch = ch->next) {
		char p[PATH_LEN], pp[PATH_LEN], b[QUOTE_LEN];
		struct nsl_bridge *br;
		const cJSON *v;
		size_t i = 0;

		path_key(p, path, ch->string);
		if (!nsl_ifname_valid(ch->string)) {
			perr(c, p, "invalid bridge name '%s'", q(b, ch->string));
			continue;
		}
		if (!check_object(c, ch, p, keys, NSL_ARRAY_SIZE(keys)))
			continue;
		for (i = 0; i < n->n_bridges; i++)
			if (!strcmp(n->bridges[i].name, ch->string))
				break;
		if (i < n->n_bridges)
			continue; /* duplicate key, reported */
		br = &n->bridges[n->n_bridges++];
		nsl_fmt(br->name, sizeof(br->name), "%s", ch->string);
		if ((v = get(ch, "stp", J_BOOL)))
			br->stp = cJSON_IsTrue(v);
		if ((v = get(ch, "ports", J_ARRAY))) {
			size_t np = count_children(v);

			path_key(pp, p, "ports");
			br->ports =
			    oom_check(c, nsl_arena_array(c->a, np ? np : 1, sizeof(*br->ports)));
			if (!br->ports)
				return;
			i = 0;
			for (const cJSON *e = v->child; e; e = e->next, i++) {
				char ep[PATH_LEN];

				path_idx(ep, pp, i);
				if (!cJSON_IsString(e))
					perr(c, ep, "expected string");
				else if (!nsl_ifname_valid(e->valuestring))
					perr(c, ep, "invalid interface name '%s'",
					     q(b, e->valuestring));
				else
					nsl_fmt(br->ports[br->n_ports++], sizeof(*br->ports), "%s",
					        e->valuestring);
			}
		}
		if ((v = get(ch, "addresses", J_ARRAY))) {
			/* a bridge's addresses live on its interface entry, made here if absent */
			struct nsl_iface *f = nsl_node_iface(n, br->name);

			if (!f)
				f = iface_new(n->ifaces, &n->n_ifaces, br->name);
			path_key(pp, p, "addresses");
			parse_addrs(c, v, pp, &f->addrs, &f->n_addrs);
		}
	}
}

static void parse_routes(struct pctx *c, struct nsl_node *n, const cJSON *arr, const char *path)
{
	static const struct key_spec keys[] = {
	    {"to", J_STRING},  {"via", J_STRING}, {"dev", J_STRING},
	    {"metric", J_INT}, {"src", J_STRING},
	};
	size_t count = count_children(arr), i = 0;

	n->routes = oom_check(c, nsl_arena_array(c->a, count ? count : 1, sizeof(*n->routes)));
	if (!n->routes)
		return;
	for (const cJSON *v = arr->child; v; v = v->next, i++) {
		struct nsl_route r = {0};
		char p[PATH_LEN], kp[PATH_LEN];
		const char *to, *s;
		unsigned before = c->errors;
		int64_t metric;

		path_idx(p, path, i);
		if (!check_object(c, v, p, keys, NSL_ARRAY_SIZE(keys)))
			continue;
		if ((s = get_text(c, v, "via", p))) {
			path_key(kp, p, "via");
			r.has_via = parse_ip_text(c, s, kp, &r.via);
		}
		get_ifname(c, v, "dev", p, r.dev);
		if (get_int(c, v, "metric", p, 0, UINT32_MAX, &metric)) {
			r.has_metric = true;
			r.metric = (uint32_t)metric;
		}
		if ((s = get_text(c, v, "src", p))) {
			path_key(kp, p, "src");
			r.has_src = parse_ip_text(c, s, kp, &r.src);
		}
		to = get_text(c, v, "to", p);
		path_key(kp, p, "to");
		if (!has_key(v, "to"))
			perr(c, p, "missing 'to' (a CIDR or \"default\")");
		if (!has_key(v, "via") && !has_key(v, "dev"))
			perr(c, p, "a route needs 'via', 'dev' or both");
		if (!to || c->errors != before)
			continue;
		if (!strcmp(to, "default")) {
			if (!r.has_via) {
				perr(c, kp,
				     "a default route needs 'via' (its family picks IPv4 or IPv6)");
				continue;
			}
			r.is_default = true;
			r.to.ip.family = r.via.family;
			r.to.len = 0;
		} else if (!parse_network(c, to, kp, true, &r.to)) {
			continue;
		}
		if (r.has_via && r.via.family != r.to.ip.family) {
			path_key(kp, p, "via");
			perr(c, kp, "gateway family does not match the destination's");
			continue;
		}
		if (r.has_src && r.src.family != r.to.ip.family) {
			path_key(kp, p, "src");
			perr(c, kp, "source family does not match the destination's");
			continue;
		}
		n->routes[n->n_routes++] = r;
	}
}

static void parse_nat(struct pctx *c, struct nsl_nat **ret, size_t *n_ret, const cJSON *arr,
                      const char *path)
{
	static const struct key_spec keys[] = {
	    {"source", J_STRING},
	    {"out", J_STRING},
	    {"to", J_STRING},
	};
	size_t count = count_children(arr), i = 0;
	struct nsl_nat *nats;

	nats = oom_check(c, nsl_arena_array(c->a, count ? count : 1, sizeof(*nats)));
	if (!nats)
		return;
	*ret = nats;
	for (const cJSON *v = arr->child; v; v = v->next, i++) {
		struct nsl_nat r = {0};
		char p[PATH_LEN], kp[PATH_LEN], b[QUOTE_LEN];
		unsigned before = c->errors;
		const char *s, *dash;
		int fam = 0;

		path_idx(p, path, i);
		if (!check_object(c, v, p, keys, NSL_ARRAY_SIZE(keys)))
			continue;
		if ((s = get_text(c, v, "source", p))) {
			path_key(kp, p, "source");
			r.has_source = parse_network(c, s, kp, false, &r.source);
			fam = r.source.ip.family;
		}
		get_ifname(c, v, "out", p, r.out);
		path_key(kp, p, "to");
		s = get_text(c, v, "to", p);
		if (!has_key(v, "to"))
			perr(c, p, "missing 'to' (\"masquerade\", an address or a range a-b)");
		if (!s || c->errors != before)
			continue;
		if (!strcmp(s, "masquerade")) {
			r.to = NSL_NAT_MASQUERADE;
		} else if ((dash = strchr(s, '-'))) {
			char lo[INET6_ADDRSTRLEN];
			size_t ln = (size_t)(dash - s);

			r.to = NSL_NAT_RANGE;
			if (ln < sizeof(lo)) {
				memcpy(lo, s, ln);
				lo[ln] = '\0';
			} else {
				lo[0] = '\0';
			}
			if (!nsl_ip_parse(lo, &r.to_min) || !nsl_ip_parse(dash + 1, &r.to_max) ||
			    r.to_min.family != r.to_max.family || nsl_ip_is_special(&r.to_min) ||
			    nsl_ip_is_special(&r.to_max)) {
				perr(c, kp,
				     "invalid address range '%s' (expected like 10.0.0.1-10.0.0.9)",
				     q(b, s));
				continue;
			}
			if (memcmp(r.to_min.bytes, r.to_max.bytes, sizeof(r.to_min.bytes)) > 0) {
				perr(c, kp, "range '%s' ends before it starts", q(b, s));
				continue;
			}
		} else {
			r.to = NSL_NAT_ADDRESS;
			if (!nsl_ip_parse(s, &r.to_min) || nsl_ip_is_special(&r.to_min)) {
				perr(c, kp,
				     "invalid 'to' '%s' (expected \"masquerade\", an address or "
				     "a range a-b)",
				     q(b, s));
				continue;
			}
		}
		if (r.to != NSL_NAT_MASQUERADE) {
			if (fam && fam != r.to_min.family) {
				perr(c, kp, "address family does not match 'source'");
				continue;
			}
			fam = r.to_min.family;
		}
		r.family = fam ? fam : AF_INET;
		nats[(*n_ret)++] = r;
	}
}

static bool sysctl_key_valid(const char *k)
{
	size_t seg = 0;

	if (strncmp(k, "net.", 4) || strlen(k) > 255)
		return false;
	for (; *k; k++) {
		char ch = *k;

		if (ch == '.') {
			if (!seg)
				return false;
			seg = 0;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		           (ch >= '0' && ch <= '9') || ch == '_' || ch == '-') {
			seg++;
		} else {
			return false;
		}
	}
	return seg > 0;
}

static void parse_sysctls(struct pctx *c, struct nsl_sysctl **ret, size_t *n_ret, const cJSON *obj,
                          const char *path)
{
	size_t count = count_children(obj);
	struct nsl_sysctl *arr;

	check_dups(c, obj, path);
	arr = oom_check(c, nsl_arena_array(c->a, count ? count : 1, sizeof(*arr)));
	if (!arr)
		return;
	*ret = arr;
	for (const cJSON *v = obj->child; v; v = v->next) {
		char p[PATH_LEN], b[QUOTE_LEN];
		struct nsl_sysctl s;
		int64_t iv;

		path_key(p, path, v->string);
		if (!strchr(v->string, '/') && strncmp(v->string, "net.", 4)) {
			perr(c, p, "only net.* sysctls are allowed (others would change the host)");
			continue;
		}
		if (!sysctl_key_valid(v->string)) {
			perr(c, p,
			     "invalid sysctl name '%s' (dot-separated segments of "
			     "[A-Za-z0-9_-], no '/' or '..')",
			     q(b, v->string));
			continue;
		}
		if (cJSON_IsNumber(v)) {
			if (!int_value(c, v, p, -(1ll << 53), 1ll << 53, &iv))
				continue;
			s.value = nsl_arena_printf(c->a, "%lld", (long long)iv);
		} else if (cJSON_IsString(v)) {
			if (!text_value(c, v, p))
				continue;
			if (!v->valuestring[0]) {
				perr(c, p, "empty value");
				continue;
			}
			s.value = nsl_arena_strdup(c->a, v->valuestring);
		} else {
			perr(c, p, "expected integer or string");
			continue;
		}
		s.key = nsl_arena_strdup(c->a, v->string);
		if (!oom_check(c, s.key) || !oom_check(c, s.value))
			return;
		arr[(*n_ret)++] = s;
	}
}

static void parse_exec(struct pctx *c, struct nsl_node *n, const cJSON *arr, const char *path)
{
	size_t count = count_children(arr), i = 0;

	n->exec = oom_check(c, nsl_arena_array(c->a, count ? count : 1, sizeof(*n->exec)));
	if (!n->exec)
		return;
	for (const cJSON *v = arr->child; v; v = v->next, i++) {
		char p[PATH_LEN];
		size_t argc, j = 0;
		unsigned before = c->errors;
		char **argv;

		path_idx(p, path, i);
		if (!cJSON_IsArray(v)) {
			perr(c, p, "expected array of strings (a command's argv)");
			continue;
		}
		argc = count_children(v);
		if (!argc) {
			perr(c, p, "empty command");
			continue;
		}
		argv = oom_check(c, nsl_arena_array(c->a, argc + 1, sizeof(*argv)));
		if (!argv)
			return;
		for (const cJSON *e = v->child; e; e = e->next, j++) {
			char ep[PATH_LEN];

			path_idx(ep, p, j);
			if (!cJSON_IsString(e))
				perr(c, ep, "expected string");
			else if (!e->valuestring[0])
				perr(c, ep, "empty string");
			else if (!oom_check(c, argv[j] = nsl_arena_strdup(c->a, e->valuestring)))
				return;
		}
		if (c->errors != before)
			continue;
		n->exec[n->n_exec].argv = argv;
		n->exec[n->n_exec++].argc = argc;
	}
}

/* Whether a path has a "." or ".." component (or an empty one, as in "a//b"). */
static bool path_has_dots(const char *s)
{
	while (*s) {
		const char *e = strchrnul(s, '/');
		size_t len = (size_t)(e - s);

		if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
			return true;
		s = *e ? e + 1 : e;
	}
	return false;
}

/* An absolute path inside the node, not the root, no dot components. */
static bool node_path_ok(struct pctx *c, const char *s, const char *path)
{
	char b[QUOTE_LEN];

	if (s[0] != '/') {
		perr(c, path, "'%s' is not an absolute path", q(b, s));
		return false;
	}
	if (strspn(s, "/") == strlen(s)) {
		perr(c, path, "cannot mount over the node's /");
		return false;
	}
	if (path_has_dots(s)) {
		perr(c, path, "'%s' has a '.' or '..' component", q(b, s));
		return false;
	}
	if (strlen(s) >= PATH_MAX) {
		perr(c, path, "path too long");
		return false;
	}
	return true;
}

static void parse_mounts(struct pctx *c, struct nsl_node *n, const cJSON *arr, const char *path)
{
	static const struct key_spec keys[] = {
	    {"source", J_STRING},
	    {"target", J_STRING},
	    {"tmpfs", J_STRING},
	    {"read_only", J_BOOL},
	};
	size_t count = count_children(arr), i = 0;

	n->mounts = oom_check(c, nsl_arena_array(c->a, count ? count : 1, sizeof(*n->mounts)));
	if (!n->mounts)
		return;
	for (const cJSON *v = arr->child; v; v = v->next, i++) {
		struct nsl_mount m = {0};
		char p[PATH_LEN], kp[PATH_LEN], b[QUOTE_LEN];
		unsigned before = c->errors;
		const char *src, *tgt, *tmp;
		const cJSON *ro;

		path_idx(p, path, i);
		if (!check_object(c, v, p, keys, NSL_ARRAY_SIZE(keys)))
			continue;
		src = get_text(c, v, "source", p);
		tgt = get_text(c, v, "target", p);
		tmp = get_text(c, v, "tmpfs", p);
		if ((ro = get(v, "read_only", J_BOOL)))
			m.read_only = cJSON_IsTrue(ro);
		if (c->errors != before)
			continue;
		if (tmp) {
			if (src || tgt) {
				perr(c, p,
				     "a mount is either {source, target} or {tmpfs}, not both");
				continue;
			}
			path_key(kp, p, "tmpfs");
			if (!node_path_ok(c, tmp, kp))
				continue;
			m.tmpfs = true;
			m.target = nsl_arena_strdup(c->a, tmp);
		} else {
			if (!src || !tgt) {
				perr(c, p, "a mount needs 'source' and 'target', or 'tmpfs'");
				continue;
			}
			path_key(kp, p, "target");
			if (!node_path_ok(c, tgt, kp))
				continue;
			path_key(kp, p, "source");
			if (!src[0]) {
				perr(c, kp, "empty path");
				continue;
			}
			if (src[0] != '/' && path_has_dots(src)) {
				/* relative sources stay under the topology's directory */
				perr(c, kp,
				     "relative source '%s' may not use '.' or '..' components; "
				     "write an absolute path to reach outside the topology's "
				     "directory",
				     q(b, src));
				continue;
			}
			m.target = nsl_arena_strdup(c->a, tgt);
			if (src[0] == '/')
				m.source = nsl_arena_strdup(c->a, src);
			else
				m.source = nsl_arena_printf(c->a, "%s/%s", c->t->dir, src);
			if (!oom_check(c, m.source))
				return;
		}
		if (!oom_check(c, m.target))
			return;
		n->mounts[n->n_mounts++] = m;
	}
}

static bool env_key_valid(const char *k)
{
	if (!*k || strlen(k) > 255 || (*k >= '0' && *k <= '9'))
		return false;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		      (*k >= '0' && *k <= '9') || *k == '_'))
			return false;
	return true;
}

static void parse_env(struct pctx *c, struct nsl_node *n, const cJSON *obj, const char *path)
{
	size_t count = count_children(obj);

	check_dups(c, obj, path);
	n->env = oom_check(c, nsl_arena_array(c->a, count + 1, sizeof(*n->env)));
	if (!n->env)
		return;
	for (const cJSON *v = obj->child; v; v = v->next) {
		char p[PATH_LEN], b[QUOTE_LEN];

		path_key(p, path, v->string);
		if (!env_key_valid(v->string)) {
			perr(c, p, "invalid variable name '%s' (expected [A-Za-z_][A-Za-z0-9_]*)",
			     q(b, v->string));
			continue;
		}
		if (!cJSON_IsString(v)) {
			perr(c, p, "expected string");
			continue;
		}
		if (strlen(v->valuestring) > TEXT_MAX) {
			perr(c, p, "longer than %d bytes", TEXT_MAX);
			continue;
		}
		n->env[n->n_env] = nsl_arena_printf(c->a, "%s=%s", v->string, v->valuestring);
		if (!oom_check(c, n->env[n->n_env]))
			return;
		n->n_env++;
	}
}

static bool hostname_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 64 || s[0] == '-' || s[0] == '.' || s[len - 1] == '.' ||
	    s[len - 1] == '-' || strstr(s, ".."))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' || *s == '_'))
			return false;
	return true;
}

static void parse_node(struct pctx *c, struct nsl_node *n, const cJSON *obj, const char *path)
{
	static const struct key_spec keys[] = {
	    {"description", J_STRING}, {"hostname", J_STRING}, {"interfaces", J_OBJECT},
	    {"bridges", J_OBJECT},     {"routes", J_ARRAY},    {"sysctls", J_OBJECT},
	    {"nat", J_ARRAY},          {"exec", J_ARRAY},      {"mounts", J_ARRAY},
	    {"env", J_OBJECT},
	};
	const cJSON *v, *br;
	char p[PATH_LEN], b[QUOTE_LEN];

	nsl_fmt(n->hostname, sizeof(n->hostname), "%s", n->name);
	if (!check_object(c, obj, path, keys, NSL_ARRAY_SIZE(keys)))
		return;
	if ((v = get(obj, "hostname", J_STRING))) {
		path_key(p, path, "hostname");
		if (hostname_valid(v->valuestring))
			nsl_fmt(n->hostname, sizeof(n->hostname), "%s", v->valuestring);
		else
			perr(c, p,
			     "invalid hostname '%s' (1 to 64 of [A-Za-z0-9_.-], not starting "
			     "or ending with '-' or '.')",
			     q(b, v->valuestring));
	}
	br = get(obj, "bridges", J_OBJECT);
	path_key(p, path, "interfaces");
	parse_ifaces(c, get(obj, "interfaces", J_OBJECT), p, br ? count_children(br) : 0, false,
	             &n->ifaces, &n->n_ifaces);
	if (c->oom)
		return;
	if (br) {
		path_key(p, path, "bridges");
		parse_bridges(c, n, br, p);
	}
	if ((v = get(obj, "routes", J_ARRAY))) {
		path_key(p, path, "routes");
		parse_routes(c, n, v, p);
	}
	if ((v = get(obj, "sysctls", J_OBJECT))) {
		path_key(p, path, "sysctls");
		parse_sysctls(c, &n->sysctls, &n->n_sysctls, v, p);
	}
	if ((v = get(obj, "nat", J_ARRAY))) {
		path_key(p, path, "nat");
		parse_nat(c, &n->nat, &n->n_nat, v, p);
	}
	if ((v = get(obj, "exec", J_ARRAY))) {
		path_key(p, path, "exec");
		parse_exec(c, n, v, p);
	}
	if ((v = get(obj, "mounts", J_ARRAY))) {
		path_key(p, path, "mounts");
		parse_mounts(c, n, v, p);
	}
	if ((v = get(obj, "env", J_OBJECT))) {
		path_key(p, path, "env");
		parse_env(c, n, v, p);
	}
}

static int node_key_cmp(const void *x, const void *y, void *keys)
{
	const char **k = keys;

	return strcmp(k[*(const size_t *)x], k[*(const size_t *)y]);
}

static void parse_nodes(struct pctx *c, const cJSON *obj)
{
	struct nsl_topology *t = c->t;
	size_t count = count_children(obj), i = 0;

	check_dups(c, obj, "nodes");
	if (count > NODES_MAX) {
		perr(c, "nodes", "%zu nodes: at most %d are allowed", count, NODES_MAX);
		return;
	}
	if (!count)
		return;
	t->nodes = oom_check(c, nsl_arena_array(c->a, count, sizeof(*t->nodes)));
	c->node_keys = oom_check(c, calloc(count, sizeof(*c->node_keys)));
	c->node_sorted = oom_check(c, calloc(count, sizeof(*c->node_sorted)));
	if (c->oom)
		return;
	for (const cJSON *v = obj->child; v; v = v->next, i++) {
		char p[PATH_LEN], b[QUOTE_LEN];
		struct nsl_node *n = &t->nodes[t->n_nodes];

		path_key(p, "nodes", v->string);
		if (!strcmp(v->string, NSL_HOST_NODE))
			perr(c, p, "the node name 'host' is reserved for the host's end of links");
		else if (strlen(v->string) > NSL_NAME_MAX)
			perr(c, p, "node name longer than %d characters", NSL_NAME_MAX);
		else if (!nsl_name_valid(v->string))
			perr(c, p,
			     "invalid node name '%s' (1 to %d of [A-Za-z0-9_-], not starting "
			     "with '-')",
			     q(b, v->string), NSL_NAME_MAX);
		/* kept even when refused, so links to it do not pile up more errors */
		nsl_fmt(n->name, sizeof(n->name), "%s", v->string);
		c->node_keys[t->n_nodes] = v->string;
		c->node_sorted[t->n_nodes] = t->n_nodes;
		t->n_nodes++;
		parse_node(c, n, v, p);
		if (c->oom)
			return;
	}
	qsort_r(c->node_sorted, t->n_nodes, sizeof(*c->node_sorted), node_key_cmp, c->node_keys);
}

static int find_node_key(const struct pctx *c, const char *name)
{
	size_t lo = 0, hi = c->t->n_nodes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(name, c->node_keys[c->node_sorted[mid]]);

		if (!r)
			return (int)c->node_sorted[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static void parse_endpoint(struct pctx *c, const cJSON *v, const char *path, struct nsl_endpoint *e)
{
	char node[NSL_NAME_MAX + 2], b[QUOTE_LEN], b2[QUOTE_LEN];
	const char *s, *colon;
	size_t len;

	if (!cJSON_IsString(v)) {
		perr(c, path, "expected string");
		return;
	}
	s = v->valuestring;
	colon = strchr(s, ':');
	if (!colon) {
		perr(c, path, "'%s' is not of the form node:interface", q(b, s));
		return;
	}
	len = (size_t)(colon - s);
	if (!nsl_ifname_valid(colon + 1)) {
		perr(c, path, "invalid interface name '%s'", q(b, colon + 1));
		return;
	}
	memcpy(e->ifname, colon + 1, strlen(colon + 1) + 1);
	if (len > NSL_NAME_MAX) {
		perr(c, path, "node name longer than %d characters", NSL_NAME_MAX);
		return;
	}
	memcpy(node, s, len);
	node[len] = '\0';
	if (!strcmp(node, NSL_HOST_NODE)) {
		e->node = NSL_ENDPOINT_HOST;
		return;
	}
	e->node = find_node_key(c, node);
	if (e->node < 0) {
		const char *hint = NULL;

		/* a hint costs a distance per node: only for labs of a sane size */
		if (c->t->n_nodes <= 256)
			hint = suggest(node, c->node_keys, c->t->n_nodes);
		if (hint)
			perr(c, path, "no node '%s' (did you mean '%s'?)", q(b, node), q(b2, hint));
		else
			perr(c, path, "no node '%s'", q(b, node));
	}
}

static void parse_links(struct pctx *c, const cJSON *arr)
{
	static const struct key_spec keys[] = {
	    {"endpoints", J_ARRAY},
	    {"mtu", J_INT},
	    {"rate", J_STRING},
	    {"description", J_STRING},
	};
	struct nsl_topology *t = c->t;
	size_t count = count_children(arr), i = 0;

	if (count > LINKS_MAX) {
		perr(c, "links", "%zu links: at most %d are allowed", count, LINKS_MAX);
		return;
	}
	if (!count)
		return;
	t->links = oom_check(c, nsl_arena_array(c->a, count, sizeof(*t->links)));
	if (!t->links)
		return;
	for (const cJSON *v = arr->child; v; v = v->next, i++) {
		struct nsl_link *l = &t->links[t->n_links];
		char p[PATH_LEN], kp[PATH_LEN], b[QUOTE_LEN];
		const cJSON *ep;
		int64_t mtu;

		path_idx(p, "links", i);
		if (!check_object(c, v, p, keys, NSL_ARRAY_SIZE(keys)))
			continue;
		ep = get(v, "endpoints", J_ARRAY);
		path_key(kp, p, "endpoints");
		if (!ep) {
			if (!has_key(v, "endpoints"))
				perr(c, p, "missing 'endpoints'");
		} else if (count_children(ep) != 2) {
			perr(c, kp, "expected two \"node:interface\" strings");
		} else {
			char ep0[PATH_LEN], ep1[PATH_LEN];

			path_idx(ep0, kp, 0);
			path_idx(ep1, kp, 1);
			parse_endpoint(c, ep->child, ep0, &l->ends[0]);
			parse_endpoint(c, ep->child->next, ep1, &l->ends[1]);
		}
		if (get_int(c, v, "mtu", p, 68, 65535, &mtu))
			l->mtu = (uint32_t)mtu;
		if (get(v, "rate", J_STRING)) {
			const char *r = get(v, "rate", J_STRING)->valuestring;

			path_key(kp, p, "rate");
			if (!nsl_rate_parse(r, &l->rate))
				perr(c, kp,
				     "invalid rate '%s' (like \"100mbit\", \"1gbit\", "
				     "\"512kbit\", \"10mbps\")",
				     q(b, r));
		}
		t->n_links++;
	}
}

static void parse_host(struct pctx *c, const cJSON *obj)
{
	static const struct key_spec keys[] = {
	    {"interfaces", J_OBJECT},
	    {"nat", J_ARRAY},
	    {"sysctls", J_OBJECT},
	};
	struct nsl_host *h = &c->t->host;
	const cJSON *v;

	if (!check_object(c, obj, "host", keys, NSL_ARRAY_SIZE(keys)))
		return;
	if ((v = get(obj, "interfaces", J_OBJECT)))
		parse_ifaces(c, v, "host.interfaces", 0, true, &h->ifaces, &h->n_ifaces);
	if ((v = get(obj, "nat", J_ARRAY)))
		parse_nat(c, &h->nat, &h->n_nat, v, "host.nat");
	if ((v = get(obj, "sysctls", J_OBJECT)))
		parse_sysctls(c, &h->sysctls, &h->n_sysctls, v, "host.sysctls");
}

static void parse_root(struct pctx *c, const cJSON *root)
{
	static const struct key_spec keys[] = {
	    {"name", J_STRING}, {"description", J_STRING}, {"nodes", J_OBJECT},
	    {"links", J_ARRAY}, {"host", J_OBJECT},
	};
	const cJSON *v;
	char b[QUOTE_LEN];

	if (!cJSON_IsObject(root)) {
		perr(c, "", "the top level must be a JSON object");
		return;
	}
	check_object(c, root, "", keys, NSL_ARRAY_SIZE(keys));
	if ((v = get(root, "name", J_STRING))) {
		if (nsl_name_valid(v->valuestring))
			nsl_fmt(c->t->name, sizeof(c->t->name), "%s", v->valuestring);
		else
			perr(c, "name",
			     "invalid lab name '%s' (1 to %d of [A-Za-z0-9_-], not "
			     "starting with '-')",
			     q(b, v->valuestring), NSL_NAME_MAX);
	}
	if ((v = get(root, "nodes", J_OBJECT)))
		parse_nodes(c, v);
	if (!c->oom && (v = get(root, "links", J_ARRAY)))
		parse_links(c, v);
	if (!c->oom && (v = get(root, "host", J_OBJECT)))
		parse_host(c, v);
	if (!c->oom)
		check_dup_addrs(c);
}

/* ---- raw text checks, before cJSON sees it ---- */

struct pos {
	size_t line, col;
};

static struct pos pos_at(const char *text, size_t off)
{
	struct pos p = {1, 1};

	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			p.line++;
			p.col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			p.col++; /* columns count characters, not bytes */
		}
	}
	return p;
}

static void text_err(struct pctx *c, const char *text, size_t off, const char *msg)
{
	struct pos p = pos_at(text, off);
	char where[64];

	nsl_fmt(where, sizeof(where), "line %zu, column %zu", p.line, p.col);
	perr(c, where, "%s", msg);
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* A JSON number at text[i]: the grammar cJSON does not enforce (it takes "01", "1.", "-"). */
static size_t number_len(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		size_t d = ++i;

		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t d;

		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return 0;
	}
	if (i < n && strchr("0123456789+-.eE", s[i]))
		return 0;
	return i;
}

static bool prescan(struct pctx *c, const char *text, size_t len)
{
	bool in_str = false;
	unsigned depth = 0;
	size_t i = 0;

	while (i < len) {
		unsigned char ch = (unsigned char)text[i];
		size_t u = utf8_len((const unsigned char *)text + i, len - i);

		if (!u) {
			text_err(c, text, i, "invalid UTF-8");
			return false;
		}
		if (in_str) {
			if (ch == '"') {
				in_str = false;
			} else if (ch == '\\' && i + 1 < len) {
				/* cJSON would cut the string at \u0000 and hide the rest */
				if (text[i + 1] == 'u' && i + 6 <= len &&
				    !memcmp(text + i + 2, "0000", 4)) {
					text_err(c, text, i, "\\u0000 is not allowed in strings");
					return false;
				}
				i += 2;
				continue;
			} else if (ch < 0x20) {
				text_err(c, text, i, "control character in a string (escape it)");
				return false;
			}
			i += u;
			continue;
		}
		if (ch == '"') {
			in_str = true;
		} else if (ch == '{' || ch == '[') {
			if (++depth > NSL_DEPTH_MAX) {
				char msg[64];

				nsl_fmt(msg, sizeof(msg), "nesting deeper than %d levels",
				        NSL_DEPTH_MAX);
				text_err(c, text, i, msg);
				return false;
			}
		} else if (ch == '}' || ch == ']') {
			if (depth)
				depth--;
		} else if (ch == '-' || (ch >= '0' && ch <= '9')) {
			size_t n = number_len(text + i, len - i);

			if (!n) {
				text_err(c, text, i, "invalid number");
				return false;
			}
			i += n;
			continue;
		} else if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7f) {
			text_err(c, text, i, "control character outside a string");
			return false;
		}
		i += u;
	}
	return true;
}

/* ---- entry points ---- */

static char *dir_of(struct nsl_arena *a, const char *file_name)
{
	const char *slash = strrchr(file_name, '/');
	char cwd[PATH_MAX];

	if (slash == file_name)
		return nsl_arena_strdup(a, "/");
	if (file_name[0] == '/')
		return nsl_arena_strndup(a, file_name, (size_t)(slash - file_name));
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (!slash)
		return nsl_arena_strdup(a, cwd);
	return nsl_arena_printf(a, "%s/%.*s", strcmp(cwd, "/") ? cwd : "", (int)(slash - file_name),
	                        file_name);
}

static int parse_with_dir(const char *file_name, const char *dir, const char *text, size_t len,
                          struct nsl_topology **ret, struct nsl_diags *diags)
{
	struct pctx c = {.d = diags};
	const char *end = NULL;
	cJSON *root = NULL;
	int r;

	if (diags && !diags->file)
		diags->file = file_name;
	c.a = nsl_arena_new();
	if (!c.a)
		return -ENOMEM;
	c.t = nsl_arena_alloc(c.a, sizeof(*c.t));
	if (!c.t) {
		nsl_arena_free(c.a);
		return -ENOMEM;
	}
	c.t->arena = c.a;
	c.t->file = nsl_arena_strdup(c.a, file_name);
	c.t->dir = dir ? nsl_arena_strdup(c.a, dir) : dir_of(c.a, file_name);
	if (!c.t->file || !c.t->dir) {
		r = c.t->file && !dir ? -errno : -ENOMEM;
		nsl_arena_free(c.a);
		return r ? r : -ENOMEM;
	}

	if (len > NSL_FILE_MAX) {
		perr(&c, "", "file is larger than %u bytes", NSL_FILE_MAX);
		goto out;
	}
	if (!prescan(&c, text, len))
		goto out;
	root = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (!root) {
		text_err(&c, text,
		         end && end >= text && end <= text + len ? (size_t)(end - text) : 0,
		         "invalid JSON");
		goto out;
	}
	/* cJSON stops after the first value; anything but white space after it is junk */
	while (end < text + len && strchr(" \t\r\n", *end) && *end)
		end++;
	if (end < text + len && *end) {
		text_err(&c, text, (size_t)(end - text), "invalid JSON: data after the end");
		goto out;
	}
	parse_root(&c, root);
out:
	cJSON_Delete(root);
	for (size_t i = 0; i < c.n_seen; i++)
		free(c.seen[i].path);
	free(c.seen);
	free(c.node_keys);
	free(c.node_sorted);
	if (c.oom) {
		nsl_arena_free(c.a);
		return -ENOMEM;
	}
	if (c.errors) {
		nsl_arena_free(c.a);
		return -EINVAL;
	}
	*ret = c.t;
	return 0;
}

int nsl_topology_parse(const char *file_name, const char *text, size_t len,
                       struct nsl_topology **ret, struct nsl_diags *diags)
{
	return parse_with_dir(file_name, NULL, text, len, ret, diags);
}

int nsl_topology_load(const char *path, struct nsl_topology **ret, struct nsl_diags *diags)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL, *dirbuf = NULL, *dir = NULL;
	struct stat st;
	size_t len = 0;
	char *slash;

	if (diags && !diags->file)
		diags->file = path;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;

		nsl_diags_add(diags, "", "cannot open: %s", strerror(e));
		return -e;
	}
	/* a FIFO or /dev/zero would never end or never fit */
	if (!S_ISREG(st.st_mode)) {
		nsl_diags_add(diags, "", "not a regular file");
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > NSL_FILE_MAX) {
		nsl_diags_add(diags, "", "file is larger than %u bytes", NSL_FILE_MAX);
		return -EFBIG;
	}
	buf = malloc(NSL_FILE_MAX + 2);
	if (!buf)
		return -ENOMEM;
	/* read to EOF, not st_size: the file may grow; one byte more tells "too big" */
	while (len <= NSL_FILE_MAX) {
		ssize_t n = read(fd, buf + len, NSL_FILE_MAX + 1 - len);

		if (n < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			nsl_diags_add(diags, "", "read: %s", strerror(e));
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > NSL_FILE_MAX) {
		nsl_diags_add(diags, "", "file is larger than %u bytes", NSL_FILE_MAX);
		return -EFBIG;
	}
	buf[len] = '\0';

	dirbuf = strdup(path);
	if (!dirbuf)
		return -ENOMEM;
	slash = strrchr(dirbuf, '/');
	if (slash == dirbuf)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	dir = realpath(slash ? dirbuf : ".", NULL);
	if (!dir) {
		int e = errno;

		nsl_diags_add(diags, "", "cannot resolve its directory: %s", strerror(e));
		return -e;
	}
	return parse_with_dir(path, dir, buf, len, ret, diags);
}

void nsl_topology_free(struct nsl_topology *t)
{
	if (t)
		nsl_arena_free(t->arena);
}

int nsl_topology_node(const struct nsl_topology *t, const char *name)
{
	for (size_t i = 0; i < t->n_nodes; i++)
		if (!strcmp(t->nodes[i].name, name))
			return (int)i;
	return -1;
}

struct nsl_iface *nsl_node_iface(const struct nsl_node *n, const char *name)
{
	for (size_t i = 0; i < n->n_ifaces; i++)
		if (!strcmp(n->ifaces[i].name, name))
			return &n->ifaces[i];
	return NULL;
}
