/* Readiness, ordering and checks, from the document tree into the model: a node's "ready"
 * and "after", and the top-level "tests" list. Each value is checked on its own here (kinds,
 * keys that belong to the kind, addresses, ports, durations, regular expressions); which node
 * and which address they name is validate_tests.c's job. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <regex.h>
#include <string.h>

#include "base/arena.h"
#include "model/parse.h"

#define COUNT_MAX 1000

/* A duration of at most an hour (and at least a millisecond), or a problem. */
static bool get_duration(struct pctx *c, const struct nsl_dnode *obj, const char *key,
                         const char *path, uint32_t *ret)
{
	const struct nsl_dnode *v = nsl_p_get(obj, key, J_STRING);
	char p[PATH_LEN], b[QUOTE_LEN];
	uint64_t ms;

	if (!v)
		return false;
	nsl_p_path_key(p, path, key);
	if (!nsl_duration_parse(v->text, &ms)) {
		if (v->text[0] && strspn(v->text, "0123456789.") == strlen(v->text))
			nsl_p_err(c, v, p,
			          "duration '%s' has no unit (like \"%.20ss\" or \"%.20sms\")",
			          nsl_p_quote(b, v->text), v->text, v->text);
		else
			nsl_p_err(c, v, p,
			          "invalid duration '%s' (a number and ms, s, m or h: \"100ms\", "
			          "\"20s\", \"1.5s\", \"2m\"; at least 1ms)",
			          nsl_p_quote(b, v->text));
		return false;
	}
	if (ms < 1 || ms > NSL_DURATION_MAX_MS) {
		nsl_p_err(c, v, p, "duration '%s' is out of range: from 1ms to 1h",
		          nsl_p_quote(b, v->text));
		return false;
	}
	*ret = (uint32_t)ms;
	return true;
}

void nsl_p_ready(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *obj, const char *path)
{
	static const struct key_spec keys[] = {
	    {"cmd", J_ARRAY},
	    {"interval", J_STRING},
	    {"timeout", J_STRING},
	};
	const struct nsl_dnode *v;
	unsigned before = c->errors;
	char p[PATH_LEN];

	if (!nsl_p_check_object(c, obj, path, keys, NSL_ARRAY_SIZE(keys)))
		return;
	n->ready.interval_ms = NSL_READY_INTERVAL_MS;
	n->ready.timeout_ms = NSL_READY_TIMEOUT_MS;
	get_duration(c, obj, "interval", path, &n->ready.interval_ms);
	get_duration(c, obj, "timeout", path, &n->ready.timeout_ms);
	if (!nsl_p_member(obj, "cmd")) {
		nsl_p_err(c, obj, path, "missing 'cmd' (a command re-run until it exits 0)");
		return;
	}
	if (!(v = nsl_p_get(obj, "cmd", J_ARRAY)))
		return; /* type reported */
	nsl_p_path_key(p, path, "cmd");
	if (nsl_p_argv(c, v, p, &n->ready.cmd) && c->errors == before)
		n->has_ready = true;
}

void nsl_p_after(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *arr, const char *path)
{
	n->after_names = nsl_p_oom(c, nsl_arena_array(c->a, arr->n + 1, sizeof(char *)));
	if (!n->after_names)
		return;
	for (uint32_t i = 0; i < arr->n; i++) {
		const struct nsl_dnode *v = &arr->kids[i];
		char p[PATH_LEN], b[QUOTE_LEN];

		nsl_p_path_idx(p, path, i);
		if (v->kind != NSL_D_STRING) {
			nsl_p_type_err(c, v, p, "string (a node's name)");
			continue;
		}
		if (!nsl_name_valid(v->text)) {
			nsl_p_err(c, v, p, "invalid node name '%s'", nsl_p_quote(b, v->text));
			continue;
		}
		n->after_names[n->n_after] = nsl_arena_strdup(c->a, v->text);
		if (!nsl_p_oom(c, n->after_names[n->n_after]))
			return;
		n->n_after++;
	}
}

/* ---- checks ---- */

/* Which kinds a key belongs to (a bit per kind); every kind takes the common keys. */
#define K(kind) (1u << (kind))
#define ANY_KIND 0xffu
static const struct {
	const char *name;
	enum jtype type;
	unsigned kinds;
} check_keys[] = {
    {"name", J_STRING, ANY_KIND},
    {"description", J_STRING, ANY_KIND},
    {"from", J_STRING, ANY_KIND},
    {"node", J_STRING, ANY_KIND},
    {"ping", J_STRING, K(NSL_CHECK_PING)},
    {"no_ping", J_STRING, K(NSL_CHECK_NO_PING)},
    {"connect", J_STRING, K(NSL_CHECK_CONNECT)},
    {"route", J_STRING, K(NSL_CHECK_ROUTE)},
    {"cmd", J_ARRAY, K(NSL_CHECK_CMD)},
    {"count", J_INT, K(NSL_CHECK_PING) | K(NSL_CHECK_NO_PING)},
    {"proto", J_STRING, K(NSL_CHECK_CONNECT)},
    {"via", J_STRING, K(NSL_CHECK_ROUTE)},
    {"dev", J_STRING, K(NSL_CHECK_ROUTE)},
    {"table", J_INT, K(NSL_CHECK_ROUTE)},
    {"status", J_INT, K(NSL_CHECK_CMD)},
    {"match", J_STRING, K(NSL_CHECK_CMD)},
    {"within", J_STRING, ANY_KIND},
    {"interval", J_STRING, ANY_KIND},
    {"timeout", J_STRING, ANY_KIND & ~K(NSL_CHECK_ROUTE)},
};
/* The keys that name a kind, in the order of enum nsl_check_kind. */
static const char *const kind_keys[] = {"ping", "no_ping", "connect", "route", "cmd"};

/* "10.0.2.2:80", "[fd42::2]:80" */
static bool parse_host_port(struct pctx *c, const struct nsl_dnode *v, const char *p,
                            struct nsl_check *k)
{
	char host[INET6_ADDRSTRLEN + 1], b[QUOTE_LEN], b2[QUOTE_LEN];
	const char *s = v->text, *port;
	uint64_t n;
	size_t len;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || end[1] != ':') {
			nsl_p_err(c, v, p,
			          "'%s' is not ADDRESS:PORT (an IPv6 address is written "
			          "[fd42::2]:80)",
			          nsl_p_quote(b, s));
			return false;
		}
		len = (size_t)(end - s - 1);
		s++;
		port = end + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon) {
			nsl_p_err(c, v, p,
			          "'%s' is not ADDRESS:PORT (like \"10.0.2.2:80\" or "
			          "\"[fd42::2]:80\")",
			          nsl_p_quote(b, s));
			return false;
		}
		len = (size_t)(colon - s);
		port = colon + 1;
	}
	if (len >= sizeof(host)) {
		nsl_p_err(c, v, p, "invalid IP address in '%s'", nsl_p_quote(b, v->text));
		return false;
	}
	memcpy(host, s, len);
	host[len] = 0;
	if (!nsl_p_ip(c, v, host, p, &k->ip))
		return false;
	if (!nsl_parse_u64(port, 65535, &n) || n == 0 || port[0] == '+' || port[0] == '0') {
		nsl_p_err(c, v, p, "invalid port '%s' in '%s' (a number from 1 to 65535)",
		          nsl_p_quote(b, port), nsl_p_quote(b2, v->text));
		return false;
	}
	k->port = (uint16_t)n;
	return true;
}

static int kind_of(struct pctx *c, const struct nsl_dnode *obj, const char *path)
{
	int kind = -1;

	for (size_t i = 0; i < NSL_ARRAY_SIZE(kind_keys); i++) {
		const struct nsl_dnode *v = nsl_p_member(obj, kind_keys[i]);
		char p[PATH_LEN];
		if (!v)
			continue;
		if (kind >= 0) {
			nsl_p_path_key(p, path, kind_keys[i]);
			nsl_p_err_key(c, v, p, "'%s' and '%s' in one check: a check has one kind",
			              kind_keys[kind], kind_keys[i]);
			continue;
		}
		kind = (int)i;
	}
	if (kind < 0)
		nsl_p_err(c, obj, path,
		          "no check: expected one of 'ping', 'no_ping', 'connect', 'route' or "
		          "'cmd'");
	return kind;
}

/* Keys that do not belong to the check's kind. */
static void check_kind_keys(struct pctx *c, const struct nsl_dnode *obj, const char *path,
                            enum nsl_check_kind kind)
{
	for (uint32_t i = 0; i < obj->n; i++) {
		const struct nsl_dnode *v = &obj->kids[i];
		char p[PATH_LEN];
		if (v->dup)
			continue;
		/* another kind's own key: kind_of said it */
		for (size_t k = 0; k < NSL_ARRAY_SIZE(kind_keys); k++)
			if (!strcmp(v->key, kind_keys[k]))
				goto next;
		for (size_t k = 0; k < NSL_ARRAY_SIZE(check_keys); k++) {
			if (strcmp(v->key, check_keys[k].name))
				continue;
			if (!(check_keys[k].kinds & K(kind))) {
				nsl_p_path_key(p, path, v->key);
				nsl_p_err_key(c, v, p, "'%s' does not apply to a %s check", v->key,
				              kind_keys[kind]);
			}
		}
	next:;
	}
}

static void parse_node_ref(struct pctx *c, const struct nsl_dnode *obj, const char *path,
                           struct nsl_check *k)
{
	const struct nsl_dnode *from = nsl_p_member(obj, "from"), *node = nsl_p_member(obj, "node");
	const struct nsl_dnode *v = from ? from : node;
	const char *key = from ? "from" : "node";
	char p[PATH_LEN], b[QUOTE_LEN];

	if (from && node) {
		nsl_p_path_key(p, path, "node");
		nsl_p_err_key(c, node, p, "'from' and 'node' say the same: give one");
		return;
	}
	if (!v) {
		nsl_p_err(c, obj, path, "missing '%s' (the node the check runs in)",
		          k->kind == NSL_CHECK_ROUTE || k->kind == NSL_CHECK_CMD ? "node" : "from");
		return;
	}
	if (v->kind != NSL_D_STRING)
		return; /* type reported */
	nsl_p_path_key(p, path, key);
	if (!strcmp(v->text, NSL_HOST_NODE))
		nsl_p_err(c, v, p, "checks run in nodes: 'host' is not one");
	else if (!nsl_name_valid(v->text))
		nsl_p_err(c, v, p, "invalid node name '%s'", nsl_p_quote(b, v->text));
	else
		nsl_fmt(k->node_name, sizeof(k->node_name), "%s", v->text);
	k->from_key = from != NULL;
}

static void parse_route_check(struct pctx *c, const struct nsl_dnode *obj, const char *path,
                              struct nsl_check *k)
{
	const struct nsl_dnode *rv = nsl_p_get(obj, "route", J_STRING), *via;
	char p[PATH_LEN];
	const char *s;
	int64_t table;

	if ((s = nsl_p_get_text(c, obj, "via", path))) {
		nsl_p_path_key(p, path, "via");
		via = nsl_p_member(obj, "via");
		k->has_via = nsl_p_ip(c, via, s, p, &k->via);
	}
	nsl_p_get_ifname(c, obj, "dev", path, k->dev);
	if (nsl_p_get_int(c, obj, "table", path, 1, UINT32_MAX, &table))
		k->table = (uint32_t)table;
	if (!rv)
		return;
	nsl_p_path_key(p, path, "route");
	if (!strcmp(rv->text, "default")) {
		k->route.ip.family = k->has_via ? k->via.family : AF_INET;
		k->route.len = 0;
	} else if (!nsl_p_network(c, rv, rv->text, p, true, &k->route)) {
		return;
	}
	if (k->has_via && k->via.family != k->route.ip.family) {
		nsl_p_path_key(p, path, "via");
		nsl_p_err(c, nsl_p_member(obj, "via"), p,
		          "gateway family does not match the destination's");
	}
}

static void parse_cmd_check(struct pctx *c, const struct nsl_dnode *obj, const char *path,
                            struct nsl_check *k)
{
	const struct nsl_dnode *v;
	char p[PATH_LEN];
	int64_t status;

	if ((v = nsl_p_get(obj, "cmd", J_ARRAY))) {
		nsl_p_path_key(p, path, "cmd");
		nsl_p_argv(c, v, p, &k->cmd);
	}
	if (nsl_p_get_int(c, obj, "status", path, 0, 255, &status))
		k->status = (int)status;
	if ((v = nsl_p_get(obj, "match", J_STRING))) {
		const char *s;
		regex_t re;
		int rc;
		nsl_p_path_key(p, path, "match");
		if (!(s = nsl_p_text(c, v, p)))
			return;
		rc = regcomp(&re, s, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
		if (rc) {
			char msg[128];
			regerror(rc, &re, msg, sizeof(msg));
			nsl_p_err(c, v, p, "invalid regular expression: %s", msg);
			return;
		}
		regfree(&re);
		k->match = nsl_p_oom(c, nsl_arena_strdup(c->a, s));
	}
}

/* What a check is called when the file gives it no name. */
static char *default_name(struct pctx *c, const struct nsl_check *k)
{
	char a[INET6_ADDRSTRLEN + 8], cmd[128];

	switch (k->kind) {
	case NSL_CHECK_PING:
	case NSL_CHECK_NO_PING:
		return nsl_arena_printf(c->a, "%s %s %s", k->node_name, kind_keys[k->kind],
		                        nsl_ip_str(&k->ip, a, sizeof(a)));
	case NSL_CHECK_CONNECT:
		nsl_ip_str(&k->ip, a, sizeof(a));
		return nsl_arena_printf(
		    c->a,
		    k->ip.family == AF_INET6 ? "%s connect %s [%s]:%u" : "%s connect %s %s:%u",
		    k->node_name, k->proto == IPPROTO_UDP ? "udp" : "tcp", a, k->port);
	case NSL_CHECK_ROUTE:
		return nsl_arena_printf(c->a, "%s route %s", k->node_name,
		                        k->route.len ? nsl_prefix_str(&k->route, a, sizeof(a))
		                        : k->route.ip.family == AF_INET6 ? "default (ipv6)"
		                                                         : "default");
	case NSL_CHECK_CMD:
		nsl_argv_str(&k->cmd, cmd, sizeof(cmd));
		return nsl_arena_printf(c->a, "%s cmd %s", k->node_name, cmd);
	}
	return NULL;
}

static void parse_check(struct pctx *c, const struct nsl_dnode *obj, const char *path,
                        struct nsl_check *k)
{
	static struct key_spec keys[NSL_ARRAY_SIZE(check_keys)];
	const struct nsl_dnode *v;
	unsigned before = c->errors;
	char p[PATH_LEN], b[QUOTE_LEN];
	int64_t count;
	int kind;

	for (size_t i = 0; i < NSL_ARRAY_SIZE(check_keys); i++)
		keys[i] = (struct key_spec){check_keys[i].name, check_keys[i].type};
	memset(k, 0, sizeof(*k));
	k->node = -1;
	k->count = 1;
	k->table = 254;
	k->proto = IPPROTO_TCP;
	k->interval_ms = NSL_CHECK_INTERVAL_MS;
	if (!nsl_p_check_object(c, obj, path, keys, NSL_ARRAY_SIZE(keys)))
		return;
	kind = kind_of(c, obj, path);
	if (kind < 0)
		return;
	k->kind = (enum nsl_check_kind)kind;
	check_kind_keys(c, obj, path, k->kind);
	parse_node_ref(c, obj, path, k);
	if ((v = nsl_p_get(obj, "name", J_STRING))) {
		nsl_p_path_key(p, path, "name");
		if (!v->text[0])
			nsl_p_err(c, v, p, "empty name");
		else if (strlen(v->text) > NSL_CHECK_NAME_MAX)
			nsl_p_err(c, v, p, "longer than %d bytes", NSL_CHECK_NAME_MAX);
		else if (nsl_p_text(c, v, p))
			k->name = nsl_p_oom(c, nsl_arena_strdup(c->a, v->text));
		k->named = true;
	}
	get_duration(c, obj, "within", path, &k->within_ms);
	get_duration(c, obj, "interval", path, &k->interval_ms);
	if (k->kind != NSL_CHECK_ROUTE)
		get_duration(c, obj, "timeout", path, &k->timeout_ms);
	if (nsl_p_get_int(c, obj, "count", path, 1, COUNT_MAX, &count))
		k->count = (uint32_t)count;
	nsl_p_path_key(p, path, kind_keys[kind]);
	switch (k->kind) {
	case NSL_CHECK_PING:
	case NSL_CHECK_NO_PING:
		if ((v = nsl_p_get(obj, kind_keys[kind], J_STRING)) && nsl_p_text(c, v, p))
			nsl_p_ip(c, v, v->text, p, &k->ip);
		break;
	case NSL_CHECK_CONNECT:
		if ((v = nsl_p_get(obj, "connect", J_STRING)) && nsl_p_text(c, v, p))
			parse_host_port(c, v, p, k);
		if ((v = nsl_p_get(obj, "proto", J_STRING))) {
			nsl_p_path_key(p, path, "proto");
			if (!strcmp(v->text, "udp"))
				k->proto = IPPROTO_UDP;
			else if (strcmp(v->text, "tcp"))
				nsl_p_err(c, v, p, "invalid protocol '%s' (\"tcp\" or \"udp\")",
				          nsl_p_quote(b, v->text));
		}
		break;
	case NSL_CHECK_ROUTE:
		parse_route_check(c, obj, path, k);
		break;
	case NSL_CHECK_CMD:
		parse_cmd_check(c, obj, path, k);
		break;
	}
	if (c->errors == before && !k->name)
		k->name = nsl_p_oom(c, default_name(c, k));
}

void nsl_p_tests(struct pctx *c, const struct nsl_dnode *arr)
{
	struct nsl_topology *t = c->t;

	if (!arr->n)
		return;
	t->checks = nsl_p_oom(c, nsl_arena_array(c->a, arr->n, sizeof(*t->checks)));
	if (!t->checks)
		return;
	for (uint32_t i = 0; i < arr->n && !c->oom; i++) {
		char p[PATH_LEN];
		unsigned before = c->errors;

		nsl_p_path_idx(p, "tests", i);
		parse_check(c, &arr->kids[i], p, &t->checks[t->n_checks]);
		if (c->errors == before)
			t->n_checks++;
	}
}
