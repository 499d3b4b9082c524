/* A node's parts, from the document tree into the model: interfaces, bridges, routes, NAT,
 * sysctls, exec, mounts, env, hostname. Each value is checked on its own here; how the
 * parts refer to each other is validate.c's job. */
#include <arpa/inet.h>
#include <limits.h>
#include <string.h>

#include "base/arena.h"
#include "model/parse.h"

static struct nsl_iface *iface_new(struct nsl_iface *arr, size_t *n, const char *name)
{
	struct nsl_iface *f = &arr[(*n)++];

	memset(f, 0, sizeof(*f));
	nsl_fmt(f->name, sizeof(f->name), "%s", name);
	f->up = true;
	f->link = -1;
	f->bridge = -1;
	f->lower = -1;
	f->master_vrf = -1;
	f->bond = -1;
	return f;
}

static void parse_iface(struct pctx *c, struct nsl_iface *f, const struct nsl_dnode *obj,
                        const char *path, bool host)
{
	const struct nsl_dnode *v;
	char p[PATH_LEN], b[QUOTE_LEN];
	int64_t mtu;
	bool lo = !host && !strcmp(f->name, "lo");

	if (host ? !nsl_p_check_object(c, obj, path, nsl_p_host_iface_keys, nsl_p_n_host_iface_keys)
	         : !nsl_p_check_object(c, obj, path, nsl_p_iface_keys, nsl_p_n_iface_keys))
		return;
	if ((v = nsl_p_get(obj, "addresses", J_ARRAY))) {
		f->addrs_given = true;
		nsl_p_path_key(p, path, "addresses");
		nsl_p_addrs(c, v, p, f);
	}
	if (nsl_p_get_int(c, obj, "mtu", path, 68, 65535, &mtu))
		f->mtu = (uint32_t)mtu;
	if ((v = nsl_p_get(obj, "mac", J_STRING))) {
		nsl_p_path_key(p, path, "mac");
		if (lo)
			nsl_p_err(c, v, p, "lo has no MAC address");
		else if (nsl_mac_parse(v->text, f->mac))
			f->has_mac = true;
		else
			nsl_p_err(c, v, p,
			          "invalid MAC '%s' (expected unicast, not all-zero, like "
			          "02:00:00:00:00:01)",
			          nsl_p_quote(b, v->text));
	}
	if ((v = nsl_p_get(obj, "up", J_BOOL))) {
		f->up = v->boolean;
		if (lo && !f->up) {
			nsl_p_path_key(p, path, "up");
			nsl_p_err(c, v, p, "lo is always up");
			f->up = true;
		}
	}
	if ((v = nsl_p_get(obj, "impair", J_OBJECT))) {
		nsl_p_path_key(p, path, "impair");
		nsl_p_impair(c, v, p, &f->impair);
	}
	if ((v = nsl_p_get(obj, "device", J_STRING))) {
		/* a macvlan's or ipvlan's device stays in the host: it sits on it */
		const struct nsl_dnode *k = nsl_p_get(obj, "kind", J_STRING);
		bool on = k && (!strcmp(k->text, "macvlan") || !strcmp(k->text, "ipvlan"));

		nsl_p_path_key(p, path, "device");
		if (lo)
			nsl_p_err(c, v, p, "lo cannot be a moved device");
		else if (nsl_p_get_ifname(c, obj, "device", path, f->device) &&
		         !strcmp(f->device, "lo") && on)
			nsl_p_err(c, v, p, "a %s cannot sit on the host's lo", k->text);
		else if (!strcmp(f->device, "lo"))
			nsl_p_err(c, v, p, "the host's lo cannot be moved");
	}
	nsl_p_iface_kind(c, f, obj, path, host);
}

void nsl_p_ifaces(struct pctx *c, const struct nsl_dnode *obj, const char *path, size_t extra,
                  bool host, struct nsl_iface **ret, size_t *n_ret)
{
	size_t n = obj && obj->kind == NSL_D_OBJECT ? obj->n : 0;
	struct nsl_iface *arr;

	if (obj && obj->kind != NSL_D_OBJECT)
		return; /* type already reported */
	if (obj)
		nsl_p_check_dups(c, obj, path);
	if (n + extra == 0)
		return;
	arr = nsl_p_oom(c, nsl_arena_array(c->a, n + extra, sizeof(*arr)));
	if (!arr)
		return;
	*ret = arr;
	for (uint32_t i = 0; i < n; i++) {
		const struct nsl_dnode *ch = &obj->kids[i];
		char p[PATH_LEN];

		if (ch->dup)
			continue; /* reported */
		nsl_p_path_key(p, path, ch->key);
		if (!nsl_ifname_valid(ch->key)) {
			nsl_p_ifname_err(c, ch, true, p, "interface name", ch->key);
			continue;
		}
		parse_iface(c, iface_new(arr, n_ret, ch->key), ch, p, host);
	}
}

static int iface_name_cmp(const void *x, const void *y, void *arg)
{
	const struct nsl_iface *f = arg;

	return strcmp(f[*(const size_t *)x].name, f[*(const size_t *)y].name);
}

static void parse_bridges(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *obj,
                          const char *path)
{
	static const struct key_spec keys[] = {
	    {"ports", J_ARRAY},
	    {"addresses", J_ARRAY},
	    {"stp", J_BOOL},
	};
	size_t n_named = n->n_ifaces, *sorted;

	nsl_p_check_dups(c, obj, path);
	n->bridges = nsl_p_oom(c, nsl_arena_array(c->a, obj->n ? obj->n : 1, sizeof(*n->bridges)));
	/* the node's named interfaces by name: a bridge's addresses go on its entry */
	sorted = nsl_p_oom(c, calloc(n_named ? n_named : 1, sizeof(*sorted)));
	if (!n->bridges || !sorted) {
		free(sorted);
		return;
	}
	for (size_t i = 0; i < n_named; i++)
		sorted[i] = i;
	qsort_r(sorted, n_named, sizeof(*sorted), iface_name_cmp, n->ifaces);
	for (uint32_t k = 0; k < obj->n; k++) {
		const struct nsl_dnode *ch = &obj->kids[k], *v;
		char p[PATH_LEN], pp[PATH_LEN];
		struct nsl_bridge *br;

		if (ch->dup)
			continue; /* reported */
		nsl_p_path_key(p, path, ch->key);
		if (!nsl_ifname_valid(ch->key)) {
			nsl_p_ifname_err(c, ch, true, p, "bridge name", ch->key);
			continue;
		}
		if (!nsl_p_check_object(c, ch, p, keys, NSL_ARRAY_SIZE(keys)))
			continue;
		br = &n->bridges[n->n_bridges++];
		nsl_fmt(br->name, sizeof(br->name), "%s", ch->key);
		if ((v = nsl_p_get(ch, "stp", J_BOOL)))
			br->stp = v->boolean;
		if ((v = nsl_p_get(ch, "ports", J_ARRAY))) {
			nsl_p_path_key(pp, p, "ports");
			br->ports = nsl_p_oom(
			    c, nsl_arena_array(c->a, v->n ? v->n : 1, sizeof(*br->ports)));
			if (!br->ports)
				break;
			for (uint32_t i = 0; i < v->n; i++) {
				const struct nsl_dnode *e = &v->kids[i];
				char ep[PATH_LEN];

				nsl_p_path_idx(ep, pp, i);
				if (e->kind != NSL_D_STRING)
					nsl_p_type_err(c, e, ep, "string");
				else if (!nsl_ifname_valid(e->text))
					nsl_p_ifname_err(c, e, false, ep, "interface name",
					                 e->text);
				else
					nsl_fmt(br->ports[br->n_ports++], sizeof(*br->ports), "%s",
					        e->text);
			}
		}
		if ((v = nsl_p_get(ch, "addresses", J_ARRAY))) {
			/* a bridge's addresses live on its interface entry, made here if absent */
			struct nsl_iface *f = NULL;
			size_t lo = 0, hi = n_named;

			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				int r = strcmp(br->name, n->ifaces[sorted[mid]].name);

				if (!r) {
					f = &n->ifaces[sorted[mid]];
					break;
				}
				if (r < 0)
					hi = mid;
				else
					lo = mid + 1;
			}
			if (!f)
				f = iface_new(n->ifaces, &n->n_ifaces, br->name);
			nsl_p_path_key(pp, p, "addresses");
			f->addrs_given = true;
			nsl_p_addrs(c, v, pp, f);
		}
	}
	free(sorted);
}

void nsl_p_nat(struct pctx *c, struct nsl_nat **ret, size_t *n_ret, const struct nsl_dnode *arr,
               const char *path)
{
	static const struct key_spec keys[] = {
	    {"source", J_STRING},
	    {"out", J_STRING},
	    {"to", J_STRING},
	};
	struct nsl_nat *nats;

	nats = nsl_p_oom(c, nsl_arena_array(c->a, arr->n ? arr->n : 1, sizeof(*nats)));
	if (!nats)
		return;
	*ret = nats;
	for (uint32_t i = 0; i < arr->n; i++) {
		const struct nsl_dnode *v = &arr->kids[i], *tv;
		struct nsl_nat r = {0};
		char p[PATH_LEN], kp[PATH_LEN], b[QUOTE_LEN];
		unsigned before = c->errors;
		const char *s, *dash;
		int fam = 0;

		nsl_p_path_idx(p, path, i);
		if (!nsl_p_check_object(c, v, p, keys, NSL_ARRAY_SIZE(keys)))
			continue;
		if ((s = nsl_p_get_text(c, v, "source", p))) {
			nsl_p_path_key(kp, p, "source");
			r.has_source =
			    nsl_p_network(c, nsl_p_member(v, "source"), s, kp, false, &r.source);
			fam = r.source.ip.family;
		}
		nsl_p_get_ifname(c, v, "out", p, r.out);
		nsl_p_path_key(kp, p, "to");
		s = nsl_p_get_text(c, v, "to", p);
		tv = nsl_p_member(v, "to");
		if (!tv)
			nsl_p_err(c, v, p,
			          "missing 'to' (\"masquerade\", an address or a range a-b)");
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
				nsl_p_err(c, tv, kp,
				          "invalid address range '%s' (expected like "
				          "10.0.0.1-10.0.0.9)",
				          nsl_p_quote(b, s));
				continue;
			}
			if (memcmp(r.to_min.bytes, r.to_max.bytes, sizeof(r.to_min.bytes)) > 0) {
				nsl_p_err(c, tv, kp, "range '%s' ends before it starts",
				          nsl_p_quote(b, s));
				continue;
			}
		} else {
			r.to = NSL_NAT_ADDRESS;
			if (!nsl_ip_parse(s, &r.to_min) || nsl_ip_is_special(&r.to_min)) {
				nsl_p_err(
				    c, tv, kp,
				    "invalid 'to' '%s' (expected \"masquerade\", an address or "
				    "a range a-b)",
				    nsl_p_quote(b, s));
				continue;
			}
		}
		if (r.to != NSL_NAT_MASQUERADE) {
			if (fam && fam != r.to_min.family) {
				nsl_p_err(c, tv, kp, "address family does not match 'source'");
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

void nsl_p_sysctls(struct pctx *c, struct nsl_sysctl **ret, size_t *n_ret,
                   const struct nsl_dnode *obj, const char *path)
{
	struct nsl_sysctl *arr;

	nsl_p_check_dups(c, obj, path);
	arr = nsl_p_oom(c, nsl_arena_array(c->a, obj->n ? obj->n : 1, sizeof(*arr)));
	if (!arr)
		return;
	*ret = arr;
	for (uint32_t i = 0; i < obj->n; i++) {
		const struct nsl_dnode *v = &obj->kids[i];
		char p[PATH_LEN], b[QUOTE_LEN];
		struct nsl_sysctl s;
		int64_t iv;

		if (v->dup)
			continue; /* reported */
		nsl_p_path_key(p, path, v->key);
		if (!strchr(v->key, '/') && strncmp(v->key, "net.", 4)) {
			nsl_p_err_key(
			    c, v, p,
			    "only net.* sysctls are allowed (others would change the host)");
			continue;
		}
		if (!sysctl_key_valid(v->key)) {
			nsl_p_err_key(c, v, p,
			              "invalid sysctl name '%s' (dot-separated segments of "
			              "[A-Za-z0-9_-], no '/' or '..')",
			              nsl_p_quote(b, v->key));
			continue;
		}
		if (v->kind == NSL_D_NUMBER) {
			if (!nsl_p_int(c, v, p, INT64_MIN, INT64_MAX, &iv))
				continue;
			s.value = nsl_arena_printf(c->a, "%lld", (long long)iv);
		} else if (v->kind == NSL_D_STRING) {
			if (!nsl_p_text(c, v, p))
				continue;
			if (!v->text[0]) {
				nsl_p_err(c, v, p, "empty value");
				continue;
			}
			s.value = nsl_arena_strdup(c->a, v->text);
		} else {
			nsl_p_type_err(c, v, p, "integer or string");
			continue;
		}
		s.key = nsl_arena_strdup(c->a, v->key);
		if (!nsl_p_oom(c, s.key) || !nsl_p_oom(c, s.value))
			return;
		arr[(*n_ret)++] = s;
	}
}

bool nsl_p_argv(struct pctx *c, const struct nsl_dnode *v, const char *p, struct nsl_argv *ret)
{
	unsigned before = c->errors;
	size_t bytes = 0;
	char **argv;

	if (v->kind != NSL_D_ARRAY) {
		nsl_p_type_err(c, v, p, "array of strings (a command's argv)");
		return false;
	}
	if (!v->n) {
		nsl_p_err(c, v, p, "empty command");
		return false;
	}
	argv = nsl_p_oom(c, nsl_arena_array(c->a, (size_t)v->n + 1, sizeof(*argv)));
	if (!argv)
		return false;
	for (uint32_t j = 0; j < v->n; j++) {
		const struct nsl_dnode *e = &v->kids[j];
		char ep[PATH_LEN];
		size_t len;

		nsl_p_path_idx(ep, p, j);
		if (e->kind != NSL_D_STRING) {
			nsl_p_type_err(c, e, ep, "string");
			continue;
		}
		len = strlen(e->text);
		bytes += len + 1;
		if (!len)
			nsl_p_err(c, e, ep, "empty string");
		else if (len > NSL_EXEC_ARG_MAX)
			nsl_p_err(c, e, ep,
			          "%zu bytes: the kernel takes at most %u in one argument", len,
			          NSL_EXEC_ARG_MAX);
		else if (!nsl_p_oom(c, argv[j] = nsl_arena_strdup(c->a, e->text)))
			return false;
	}
	if (c->errors == before && bytes > NSL_EXEC_BYTES_MAX)
		nsl_p_err(c, v, p, "the command has %zu bytes of arguments: at most %u", bytes,
		          NSL_EXEC_BYTES_MAX);
	if (c->errors != before)
		return false;
	ret->argv = argv;
	ret->argc = v->n;
	return true;
}

static void parse_exec(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *arr,
                       const char *path)
{
	n->exec = nsl_p_oom(c, nsl_arena_array(c->a, arr->n ? arr->n : 1, sizeof(*n->exec)));
	if (!n->exec)
		return;
	for (uint32_t i = 0; i < arr->n; i++) {
		char p[PATH_LEN];

		nsl_p_path_idx(p, path, i);
		if (nsl_p_argv(c, &arr->kids[i], p, &n->exec[n->n_exec]))
			n->n_exec++;
	}
}

/* An absolute path inside the node, not the root, no dot components. */
static bool node_path_ok(struct pctx *c, const struct nsl_dnode *at, const char *s,
                         const char *path)
{
	char b[QUOTE_LEN];

	if (s[0] != '/') {
		nsl_p_err(c, at, path, "'%s' is not an absolute path", nsl_p_quote(b, s));
		return false;
	}
	if (strspn(s, "/") == strlen(s)) {
		nsl_p_err(c, at, path, "cannot mount over the node's /");
		return false;
	}
	if (nsl_p_path_has_dots(s)) {
		nsl_p_err(c, at, path, "'%s' has a '.' or '..' component", nsl_p_quote(b, s));
		return false;
	}
	if (strlen(s) >= PATH_MAX) {
		nsl_p_err(c, at, path, "path too long");
		return false;
	}
	return true;
}

static void parse_mounts(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *arr,
                         const char *path)
{
	static const struct key_spec keys[] = {
	    {"source", J_STRING},
	    {"target", J_STRING},
	    {"tmpfs", J_STRING},
	    {"read_only", J_BOOL},
	};

	n->mounts = nsl_p_oom(c, nsl_arena_array(c->a, arr->n ? arr->n : 1, sizeof(*n->mounts)));
	if (!n->mounts)
		return;
	for (uint32_t i = 0; i < arr->n; i++) {
		const struct nsl_dnode *v = &arr->kids[i], *ro;
		struct nsl_mount m = {0};
		char p[PATH_LEN], kp[PATH_LEN], b[QUOTE_LEN];
		unsigned before = c->errors;
		const char *src, *tgt, *tmp;

		nsl_p_path_idx(p, path, i);
		if (!nsl_p_check_object(c, v, p, keys, NSL_ARRAY_SIZE(keys)))
			continue;
		src = nsl_p_get_text(c, v, "source", p);
		tgt = nsl_p_get_text(c, v, "target", p);
		tmp = nsl_p_get_text(c, v, "tmpfs", p);
		if ((ro = nsl_p_get(v, "read_only", J_BOOL)))
			m.read_only = ro->boolean;
		if (c->errors != before)
			continue;
		if (tmp) {
			if (src || tgt) {
				nsl_p_err(
				    c, v, p,
				    "a mount is either {source, target} or {tmpfs}, not both");
				continue;
			}
			nsl_p_path_key(kp, p, "tmpfs");
			if (!node_path_ok(c, nsl_p_member(v, "tmpfs"), tmp, kp))
				continue;
			m.tmpfs = true;
			m.target = nsl_arena_strdup(c->a, tmp);
		} else {
			if (!src || !tgt) {
				nsl_p_err(c, v, p,
				          "a mount needs 'source' and 'target', or 'tmpfs'");
				continue;
			}
			nsl_p_path_key(kp, p, "target");
			if (!node_path_ok(c, nsl_p_member(v, "target"), tgt, kp))
				continue;
			nsl_p_path_key(kp, p, "source");
			if (!src[0]) {
				nsl_p_err(c, nsl_p_member(v, "source"), kp, "empty path");
				continue;
			}
			if (src[0] != '/' && nsl_p_path_has_dots(src)) {
				/* relative sources stay under the topology's directory */
				nsl_p_err(
				    c, nsl_p_member(v, "source"), kp,
				    "relative source '%s' may not use '.' or '..' components; "
				    "write an absolute path to reach outside the topology's "
				    "directory",
				    nsl_p_quote(b, src));
				continue;
			}
			m.target = nsl_arena_strdup(c->a, tgt);
			if (src[0] == '/')
				m.source = nsl_arena_strdup(c->a, src);
			else
				m.source = nsl_arena_printf(c->a, "%s/%s", c->t->dir, src);
			if (!nsl_p_oom(c, m.source))
				return;
		}
		if (!nsl_p_oom(c, m.target))
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

static void parse_env(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *obj,
                      const char *path)
{
	size_t bytes = 0;

	nsl_p_check_dups(c, obj, path);
	if (obj->n > NSL_ENV_MAX) {
		nsl_p_err(c, obj, path, "%u variables: at most %d are allowed", obj->n,
		          NSL_ENV_MAX);
		return;
	}
	n->env = nsl_p_oom(c, nsl_arena_array(c->a, (size_t)obj->n + 1, sizeof(*n->env)));
	if (!n->env)
		return;
	for (uint32_t i = 0; i < obj->n; i++) {
		const struct nsl_dnode *v = &obj->kids[i];
		char p[PATH_LEN], b[QUOTE_LEN];

		if (v->dup)
			continue; /* reported */
		nsl_p_path_key(p, path, v->key);
		if (!env_key_valid(v->key)) {
			nsl_p_err_key(
			    c, v, p, "invalid variable name '%s' (expected [A-Za-z_][A-Za-z0-9_]*)",
			    nsl_p_quote(b, v->key));
			continue;
		}
		if (v->kind != NSL_D_STRING) {
			nsl_p_type_err(c, v, p, "string");
			continue;
		}
		if (strlen(v->text) > TEXT_MAX) {
			nsl_p_err(c, v, p, "longer than %d bytes", TEXT_MAX);
			continue;
		}
		n->env[n->n_env] = nsl_arena_printf(c->a, "%s=%s", v->key, v->text);
		if (!nsl_p_oom(c, n->env[n->n_env]))
			return;
		bytes += strlen(n->env[n->n_env]) + 1;
		n->n_env++;
	}
	if (bytes > NSL_ENV_BYTES_MAX)
		nsl_p_err(c, obj, path, "the variables take %zu bytes (KEY=VALUE each): at most %u",
		          bytes, NSL_ENV_BYTES_MAX);
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

void nsl_p_node(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *obj, const char *path)
{
	static const struct key_spec keys[] = {
	    {"description", J_STRING},  {"hostname", J_STRING}, {"interfaces", J_OBJECT},
	    {"bridges", J_OBJECT},      {"routes", J_ARRAY},    {"sysctls", J_OBJECT},
	    {"nat", J_ARRAY},           {"exec", J_ARRAY},      {"mounts", J_ARRAY},
	    {"env", J_OBJECT},          {"ready", J_OBJECT},    {"after", J_ARRAY},
	    {"rules", J_ARRAY},         {"tables", J_OBJECT},   {"mgmt", J_BOOL_OR_OBJECT},
	    {"host", J_STRING},         {"rootfs", J_STRING},   {"namespaces", J_ARRAY},
	    {"time_offsets", J_OBJECT}, {"limits", J_OBJECT},
	};
	const struct nsl_dnode *v, *br;
	char p[PATH_LEN], b[QUOTE_LEN];

	nsl_fmt(n->hostname, sizeof(n->hostname), "%s", n->name);
	if (!nsl_p_check_object(c, obj, path, keys, NSL_ARRAY_SIZE(keys)))
		return;
	if ((v = nsl_p_get(obj, "hostname", J_STRING))) {
		nsl_p_path_key(p, path, "hostname");
		if (hostname_valid(v->text))
			nsl_fmt(n->hostname, sizeof(n->hostname), "%s", v->text);
		else
			nsl_p_err(c, v, p,
			          "invalid hostname '%s' (1 to 64 of [A-Za-z0-9_.-], not starting "
			          "or ending with '-' or '.')",
			          nsl_p_quote(b, v->text));
	}
	br = nsl_p_get(obj, "bridges", J_OBJECT);
	nsl_p_path_key(p, path, "interfaces");
	nsl_p_ifaces(c, nsl_p_get(obj, "interfaces", J_OBJECT), p, br ? br->n : 0, false,
	             &n->ifaces, &n->n_ifaces);
	if (c->oom)
		return;
	if (br) {
		nsl_p_path_key(p, path, "bridges");
		parse_bridges(c, n, br, p);
	}
	if ((v = nsl_p_get(obj, "routes", J_ARRAY))) {
		nsl_p_path_key(p, path, "routes");
		nsl_p_routes(c, n, v, p);
	}
	if ((v = nsl_p_get(obj, "rules", J_ARRAY))) {
		nsl_p_path_key(p, path, "rules");
		nsl_p_rules(c, n, v, p);
	}
	if ((v = nsl_p_get(obj, "tables", J_OBJECT))) {
		nsl_p_path_key(p, path, "tables");
		nsl_p_tables(c, n, v, p);
	}
	if ((v = nsl_p_get(obj, "mgmt", J_BOOL_OR_OBJECT))) {
		nsl_p_path_key(p, path, "mgmt");
		nsl_p_node_mgmt(c, n, v, p);
	}
	if ((v = nsl_p_get(obj, "sysctls", J_OBJECT))) {
		nsl_p_path_key(p, path, "sysctls");
		nsl_p_sysctls(c, &n->sysctls, &n->n_sysctls, v, p);
	}
	if ((v = nsl_p_get(obj, "nat", J_ARRAY))) {
		nsl_p_path_key(p, path, "nat");
		nsl_p_nat(c, &n->nat, &n->n_nat, v, p);
	}
	if ((v = nsl_p_get(obj, "exec", J_ARRAY))) {
		nsl_p_path_key(p, path, "exec");
		parse_exec(c, n, v, p);
	}
	if ((v = nsl_p_get(obj, "mounts", J_ARRAY))) {
		nsl_p_path_key(p, path, "mounts");
		parse_mounts(c, n, v, p);
	}
	if ((v = nsl_p_get(obj, "env", J_OBJECT))) {
		nsl_p_path_key(p, path, "env");
		parse_env(c, n, v, p);
	}
	if ((v = nsl_p_get(obj, "ready", J_OBJECT))) {
		nsl_p_path_key(p, path, "ready");
		nsl_p_ready(c, n, v, p);
	}
	if ((v = nsl_p_get(obj, "after", J_ARRAY))) {
		nsl_p_path_key(p, path, "after");
		nsl_p_after(c, n, v, p);
	}
	nsl_p_isolation(c, n, obj, path);
	if ((v = nsl_p_get(obj, "host", J_STRING))) {
		nsl_p_path_key(p, path, "host");
		if (strlen(v->text) > NSL_NAME_MAX || !nsl_name_valid(v->text))
			nsl_p_err(c, v, p, "invalid host name '%s'", nsl_p_quote(b, v->text));
		else
			nsl_fmt(n->host_name, sizeof(n->host_name), "%s", v->text);
	}
}
