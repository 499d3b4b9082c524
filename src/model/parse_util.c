/* The parser's typed access to the document tree and its value parsers: each mismatch
 * becomes one diagnostic with the place of the value (or key) and its JSON path. */
#include <arpa/inet.h>
#include <string.h>

#include "base/arena.h"
#include "model/parse.h"

static void err_at(struct pctx *c, const struct nsl_dnode *at, bool key, const char *path,
                   const char *fmt, va_list ap)
{
	unsigned line, col;

	c->errors++;
	nsl_doc_where(at, key, &line, &col);
	nsl_diags_addv_at(c->d, line, col, path, fmt, ap);
}

void nsl_p_err(struct pctx *c, const struct nsl_dnode *at, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_at(c, at, false, path, fmt, ap);
	va_end(ap);
}

void nsl_p_err_key(struct pctx *c, const struct nsl_dnode *at, const char *path, const char *fmt,
                   ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_at(c, at, true, path, fmt, ap);
	va_end(ap);
}

void *nsl_p_oom(struct pctx *c, void *p)
{
	if (!p)
		c->oom = true;
	return p;
}

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

const char *nsl_p_quote(char buf[static QUOTE_LEN], const char *s)
{
	escape(buf, QUOTE_LEN, s, 64);
	return buf;
}

void nsl_p_path_key(char out[static PATH_LEN], const char *parent, const char *key)
{
	char k[QUOTE_LEN];

	escape(k, sizeof(k), key, 48);
	if (parent[0])
		nsl_fmt(out, PATH_LEN, "%s.%s", parent, k);
	else
		nsl_fmt(out, PATH_LEN, "%s", k);
}

void nsl_p_path_idx(char out[static PATH_LEN], const char *parent, size_t i)
{
	nsl_fmt(out, PATH_LEN, "%s[%zu]", parent, i);
}

bool nsl_p_path_has_dots(const char *s)
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
	case J_INT_OR_STRING:
		return "integer or string";
	case J_BOOL_OR_OBJECT:
		return "false or object";
	}
	return "?";
}

static const char *kind_name(const struct nsl_dnode *v)
{
	switch (v->kind) {
	case NSL_D_NULL:
		return "null";
	case NSL_D_BOOL:
		return "boolean";
	case NSL_D_NUMBER:
		return v->is_int ? "integer" : "number";
	case NSL_D_STRING:
		return "string";
	case NSL_D_OBJECT:
		return "object";
	case NSL_D_ARRAY:
		return "array";
	}
	return "?";
}

/* What a YAML writer most likely meant, when a value has the wrong type. */
static const char *type_hint(const struct nsl_dnode *v, const char *want)
{
	static const char *const yaml11_bools[] = {"yes", "no",  "on", "off", "y",   "n",
	                                           "Yes", "No",  "On", "Off", "YES", "NO",
	                                           "ON",  "OFF", "Y",  "N"};
	struct nsl_dnode num = {0};

	if (v->kind == NSL_D_STRING && !strcmp(want, "true or false"))
		for (size_t i = 0; i < NSL_ARRAY_SIZE(yaml11_bools); i++)
			if (!strcmp(v->text, yaml11_bools[i]))
				return " (in YAML 1.2 yes, no, on and off are strings: write true "
				       "or "
				       "false)";
	if (v->kind == NSL_D_STRING && !strcmp(want, "integer") && v->text[0] &&
	    nsl_doc_number(&num, v->text, false))
		return " (a quoted number is a string: leave the quotes out)";
	if (v->kind == NSL_D_NUMBER && !strcmp(want, "string") && v->key &&
	    (!strcmp(v->key, "within") || !strcmp(v->key, "interval") ||
	     !strcmp(v->key, "timeout")))
		return " (a duration is a string with its unit: \"20s\", \"100ms\")";
	if (v->kind == NSL_D_NULL && !strcmp(want, "object"))
		return " (write {} for an empty one)";
	if (v->kind == NSL_D_NULL && !strcmp(want, "array"))
		return " (write [] for an empty one)";
	return "";
}

void nsl_p_type_err(struct pctx *c, const struct nsl_dnode *v, const char *path, const char *want)
{
	nsl_p_err(c, v, path, "expected %s, got %s%s", want, kind_name(v), type_hint(v, want));
}

static bool type_ok(const struct nsl_dnode *v, enum jtype t)
{
	switch (t) {
	case J_STRING:
		return v->kind == NSL_D_STRING;
	case J_INT:
		return v->kind == NSL_D_NUMBER;
	case J_BOOL:
		return v->kind == NSL_D_BOOL;
	case J_OBJECT:
		return v->kind == NSL_D_OBJECT;
	case J_ARRAY:
		return v->kind == NSL_D_ARRAY;
	case J_INT_OR_STRING:
		return v->kind == NSL_D_NUMBER || v->kind == NSL_D_STRING;
	case J_BOOL_OR_OBJECT:
		return v->kind == NSL_D_BOOL || v->kind == NSL_D_OBJECT;
	}
	return false;
}

void nsl_p_check_dups(struct pctx *c, const struct nsl_dnode *obj, const char *path)
{
	for (uint32_t i = 0; i < obj->n; i++) {
		const struct nsl_dnode *k = &obj->kids[i];
		char p[PATH_LEN], b[QUOTE_LEN];

		if (!k->dup)
			continue;
		nsl_p_path_key(p, path, k->key);
		nsl_p_err_key(c, k, p, "duplicate key '%s'", nsl_p_quote(b, k->key));
	}
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

const char *nsl_p_suggest(const char *s, const char *const *names, size_t n)
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

bool nsl_p_check_object(struct pctx *c, const struct nsl_dnode *obj, const char *path,
                        const struct key_spec *keys, size_t n_keys)
{
	const char *names[40];

	if (obj->kind != NSL_D_OBJECT) {
		nsl_p_type_err(c, obj, path, "object");
		return false;
	}
	nsl_p_check_dups(c, obj, path);
	for (size_t i = 0; i < n_keys && i < NSL_ARRAY_SIZE(names); i++)
		names[i] = keys[i].name;
	for (uint32_t k = 0; k < obj->n; k++) {
		const struct nsl_dnode *ch = &obj->kids[k];
		char p[PATH_LEN], b[QUOTE_LEN];
		size_t i;

		if (ch->dup)
			continue;
		nsl_p_path_key(p, path, ch->key);
		for (i = 0; i < n_keys; i++)
			if (!strcmp(ch->key, keys[i].name))
				break;
		if (i == n_keys) {
			const char *hint = nsl_p_suggest(
			    ch->key, names,
			    n_keys < NSL_ARRAY_SIZE(names) ? n_keys : NSL_ARRAY_SIZE(names));

			if (hint)
				nsl_p_err_key(c, ch, p, "unknown key '%s' (did you mean '%s'?)",
				              nsl_p_quote(b, ch->key), hint);
			else
				nsl_p_err_key(c, ch, p, "unknown key '%s'",
				              nsl_p_quote(b, ch->key));
		} else if (!type_ok(ch, keys[i].type)) {
			nsl_p_type_err(c, ch, p, type_name(keys[i].type));
		}
	}
	return true;
}

const struct nsl_dnode *nsl_p_member(const struct nsl_dnode *obj, const char *key)
{
	for (uint32_t i = 0; obj && i < obj->n; i++)
		if (!obj->kids[i].dup && !strcmp(obj->kids[i].key, key))
			return &obj->kids[i];
	return NULL;
}

const struct nsl_dnode *nsl_p_get(const struct nsl_dnode *obj, const char *key, enum jtype t)
{
	const struct nsl_dnode *v = nsl_p_member(obj, key);

	return v && type_ok(v, t) ? v : NULL;
}

bool nsl_p_int(struct pctx *c, const struct nsl_dnode *v, const char *path, int64_t min,
               int64_t max, int64_t *ret)
{
	char b[QUOTE_LEN];
	int64_t i;

	if (v->kind != NSL_D_NUMBER) {
		nsl_p_type_err(c, v, path, "integer");
		return false;
	}
	if (!v->is_int || v->big)
		goto bad;
	if (v->neg) {
		if (v->mag > (uint64_t)INT64_MAX + 1)
			goto bad;
		i = v->mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v->mag;
	} else {
		if (v->mag > (uint64_t)INT64_MAX)
			goto bad;
		i = (int64_t)v->mag;
	}
	if (i < min || i > max)
		goto bad;
	*ret = i;
	return true;
bad:
	nsl_p_err(c, v, path, "must be an integer from %lld to %lld, not %s", (long long)min,
	          (long long)max, nsl_p_quote(b, v->text ? v->text : "?"));
	return false;
}

bool nsl_p_get_int(struct pctx *c, const struct nsl_dnode *obj, const char *key, const char *path,
                   int64_t min, int64_t max, int64_t *ret)
{
	const struct nsl_dnode *v = nsl_p_get(obj, key, J_INT);
	char p[PATH_LEN];

	if (!v)
		return false;
	nsl_p_path_key(p, path, key);
	return nsl_p_int(c, v, p, min, max, ret);
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

const char *nsl_p_text(struct pctx *c, const struct nsl_dnode *v, const char *path)
{
	const char *s = v->text;

	if (has_control(s)) {
		nsl_p_err(c, v, path, "control characters are not allowed here");
		return NULL;
	}
	if (strlen(s) > TEXT_MAX) {
		nsl_p_err(c, v, path, "longer than %d bytes", TEXT_MAX);
		return NULL;
	}
	return s;
}

const char *nsl_p_get_text(struct pctx *c, const struct nsl_dnode *obj, const char *key,
                           const char *path)
{
	const struct nsl_dnode *v = nsl_p_get(obj, key, J_STRING);
	char p[PATH_LEN];

	if (!v)
		return NULL;
	nsl_p_path_key(p, path, key);
	return nsl_p_text(c, v, p);
}

void nsl_p_ifname_err(struct pctx *c, const struct nsl_dnode *at, bool key, const char *path,
                      const char *what, const char *name)
{
	char b[QUOTE_LEN];
	const char *rule = "(1 to 15 bytes of printable ASCII, no '/', ':' or space, not '.', "
	                   "'..', 'all' or 'default')";

	if (key)
		nsl_p_err_key(c, at, path, "invalid %s '%s' %s", what, nsl_p_quote(b, name), rule);
	else
		nsl_p_err(c, at, path, "invalid %s '%s' %s", what, nsl_p_quote(b, name), rule);
}

bool nsl_p_get_ifname(struct pctx *c, const struct nsl_dnode *obj, const char *key,
                      const char *path, char ret[NSL_IFNAME_MAX + 1])
{
	const struct nsl_dnode *v = nsl_p_get(obj, key, J_STRING);
	char p[PATH_LEN];

	if (!v)
		return false;
	nsl_p_path_key(p, path, key);
	if (!nsl_ifname_valid(v->text)) {
		nsl_p_ifname_err(c, v, false, p, "interface name", v->text);
		return false;
	}
	memcpy(ret, v->text, strlen(v->text) + 1);
	return true;
}

/* ---- addresses ---- */

static void remember_addr(struct pctx *c, const struct nsl_ip *ip, const char *path,
                          const struct nsl_dnode *at, const char *domain)
{
	struct seen_addr *s;

	if (!nsl_grow(&c->seen, &c->cap_seen, c->n_seen, sizeof(*c->seen))) {
		c->oom = true;
		return;
	}
	s = &c->seen[c->n_seen];
	s->path = nsl_p_oom(c, strdup(path));
	if (!s->path)
		return;
	s->ip = *ip;
	s->at = at;
	s->domain = domain;
	s->order = c->n_seen++;
}

static int seen_cmp(const void *x, const void *y)
{
	const struct seen_addr *a = x, *b = y;
	int r = a->ip.family - b->ip.family;

	if (!r)
		r = memcmp(a->ip.bytes, b->ip.bytes, sizeof(a->ip.bytes));
	if (!r)
		r = strcmp(a->domain, b->domain);
	if (!r)
		r = a->order < b->order ? -1 : a->order > b->order;
	return r;
}

void nsl_p_check_dup_addrs(struct pctx *c)
{
	const char **first;
	size_t i, start;

	if (c->n_seen < 2)
		return;
	first = nsl_p_oom(c, calloc(c->n_seen, sizeof(*first)));
	if (!first)
		return;
	qsort(c->seen, c->n_seen, sizeof(*c->seen), seen_cmp);
	for (i = 1, start = 0; i < c->n_seen; i++) {
		if (nsl_ip_equal(&c->seen[i].ip, &c->seen[start].ip) &&
		    !strcmp(c->seen[i].domain, c->seen[start].domain))
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
			nsl_p_err(c, c->seen[i].at, c->seen[i].path,
			          "address %s is already used at %s",
			          nsl_ip_str(&c->seen[i].ip, b, sizeof(b)), first[i]);
	}
	free(first);
}

void nsl_p_addrs(struct pctx *c, const struct nsl_dnode *arr, const char *path, struct nsl_iface *f)
{
	struct nsl_prefix **addrs = &f->addrs;
	size_t *n_addrs = &f->n_addrs;
	size_t n = arr->n;
	struct nsl_prefix *p;

	if (!n)
		return;
	p = nsl_p_oom(c, nsl_arena_array(c->a, *n_addrs + n, sizeof(*p)));
	if (!p)
		return;
	if (*n_addrs)
		memcpy(p, *addrs, *n_addrs * sizeof(*p));
	*addrs = p;
	for (uint32_t i = 0; i < arr->n; i++) {
		const struct nsl_dnode *v = &arr->kids[i];
		char ip[PATH_LEN], b[QUOTE_LEN];
		struct nsl_prefix pf;

		nsl_p_path_idx(ip, path, i);
		if (v->kind != NSL_D_STRING) {
			nsl_p_type_err(c, v, ip, "string");
			continue;
		}
		if (!nsl_prefix_parse(v->text, &pf)) {
			struct nsl_ip bare;

			if (nsl_ip_parse(v->text, &bare))
				nsl_p_err(c, v, ip, "'%s' has no prefix length (like 10.0.0.1/24)",
				          nsl_p_quote(b, v->text));
			else
				nsl_p_err(c, v, ip,
				          "invalid address '%s' (expected CIDR like 10.0.0.1/24 or "
				          "fd42::1/64)",
				          nsl_p_quote(b, v->text));
			continue;
		}
		if (nsl_ip_is_special(&pf.ip)) {
			nsl_p_err(c, v, ip, "'%s' is not a unicast address",
			          nsl_p_quote(b, v->text));
			continue;
		}
		remember_addr(c, &pf.ip, ip, v, f->vrf);
		p[(*n_addrs)++] = pf;
	}
}

bool nsl_p_network(struct pctx *c, const struct nsl_dnode *at, const char *s, const char *path,
                   bool bare_ok, struct nsl_prefix *ret)
{
	char b[QUOTE_LEN], nb[INET6_ADDRSTRLEN + 8];
	struct nsl_prefix p, net;
	size_t bytes;

	if (!nsl_prefix_parse(s, &p)) {
		if (!bare_ok || !nsl_ip_parse(s, &p.ip)) {
			nsl_p_err(c, at, path,
			          "invalid prefix '%s' (expected CIDR like 10.1.0.0/16)",
			          nsl_p_quote(b, s));
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
		nsl_p_err(c, at, path, "'%s' has host bits set (did you mean %s?)",
		          nsl_p_quote(b, s), nsl_prefix_str(&net, nb, sizeof(nb)));
		return false;
	}
	*ret = p;
	return true;
}

bool nsl_p_ip(struct pctx *c, const struct nsl_dnode *at, const char *s, const char *path,
              struct nsl_ip *ret)
{
	char b[QUOTE_LEN];

	if (!nsl_ip_parse(s, ret)) {
		nsl_p_err(c, at, path, "invalid IP address '%s'", nsl_p_quote(b, s));
		return false;
	}
	if (nsl_ip_is_special(ret)) {
		nsl_p_err(c, at, path, "'%s' is not a unicast address", nsl_p_quote(b, s));
		return false;
	}
	return true;
}
