/* A topology file -> model: reading the file, choosing the reader (JSON or YAML), then the
 * top level, nodes, links and host. Checks everything a value says on its own and collects
 * every problem with its place and JSON path. Cross-references between parts are
 * nsl_topology_validate's job, except link endpoint node names, which are resolved here
 * because the model keeps only an index. */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "base/arena.h"
#include "base/sha256.h"
#include "model/parse.h"

#define NODES_MAX 4096
#define LINKS_MAX 16384

static int node_key_cmp(const void *x, const void *y, void *keys)
{
	const char **k = keys;

	return strcmp(k[*(const size_t *)x], k[*(const size_t *)y]);
}

static void parse_nodes(struct pctx *c, const struct nsl_dnode *obj)
{
	struct nsl_topology *t = c->t;

	nsl_p_check_dups(c, obj, "nodes");
	if (obj->n > NODES_MAX) {
		nsl_p_err(c, obj, "nodes", "%u nodes: at most %d are allowed", obj->n, NODES_MAX);
		return;
	}
	if (!obj->n)
		return;
	t->nodes = nsl_p_oom(c, nsl_arena_array(c->a, obj->n, sizeof(*t->nodes)));
	c->node_keys = nsl_p_oom(c, calloc(obj->n, sizeof(*c->node_keys)));
	c->node_sorted = nsl_p_oom(c, calloc(obj->n, sizeof(*c->node_sorted)));
	if (c->oom)
		return;
	for (uint32_t i = 0; i < obj->n; i++) {
		const struct nsl_dnode *v = &obj->kids[i];
		char p[PATH_LEN], b[QUOTE_LEN];
		struct nsl_node *n = &t->nodes[t->n_nodes];

		if (v->dup)
			continue; /* reported */
		nsl_p_path_key(p, "nodes", v->key);
		if (!strcmp(v->key, NSL_HOST_NODE))
			nsl_p_err_key(
			    c, v, p,
			    "the node name 'host' is reserved for the host's end of links");
		else if (strlen(v->key) > NSL_NAME_MAX)
			nsl_p_err_key(c, v, p, "node name longer than %d characters", NSL_NAME_MAX);
		else if (!nsl_name_valid(v->key))
			nsl_p_err_key(c, v, p,
			              "invalid node name '%s' (1 to %d of [A-Za-z0-9_-], not "
			              "starting with '-')",
			              nsl_p_quote(b, v->key), NSL_NAME_MAX);
		/* kept even when refused, so links to it do not pile up more errors */
		nsl_fmt(n->name, sizeof(n->name), "%s", v->key);
		c->node_keys[t->n_nodes] = v->key;
		c->node_sorted[t->n_nodes] = t->n_nodes;
		t->n_nodes++;
		nsl_p_node(c, n, v, p);
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

static void parse_endpoint(struct pctx *c, const struct nsl_dnode *v, const char *path,
                           struct nsl_endpoint *e)
{
	char node[NSL_NAME_MAX + 2], b[QUOTE_LEN], b2[QUOTE_LEN];
	const char *s, *colon;
	size_t len;

	if (v->kind != NSL_D_STRING) {
		nsl_p_type_err(c, v, path, "string");
		return;
	}
	s = v->text;
	colon = strchr(s, ':');
	if (!colon) {
		nsl_p_err(c, v, path, "'%s' is not of the form node:interface", nsl_p_quote(b, s));
		return;
	}
	len = (size_t)(colon - s);
	if (!nsl_ifname_valid(colon + 1)) {
		nsl_p_ifname_err(c, v, false, path, "interface name", colon + 1);
		return;
	}
	memcpy(e->ifname, colon + 1, strlen(colon + 1) + 1);
	if (len > NSL_NAME_MAX) {
		nsl_p_err(c, v, path, "node name longer than %d characters", NSL_NAME_MAX);
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
			hint = nsl_p_suggest(node, c->node_keys, c->t->n_nodes);
		if (hint)
			nsl_p_err(c, v, path, "no node '%s' (did you mean '%s'?)",
			          nsl_p_quote(b, node), nsl_p_quote(b2, hint));
		else
			nsl_p_err(c, v, path, "no node '%s'", nsl_p_quote(b, node));
	}
}

static void parse_links(struct pctx *c, const struct nsl_dnode *arr)
{
	static const struct key_spec keys[] = {
	    {"endpoints", J_ARRAY},    {"mtu", J_INT}, {"rate", J_STRING}, {"impair", J_OBJECT},
	    {"description", J_STRING}, {"vni", J_INT},
	};
	struct nsl_topology *t = c->t;

	if (arr->n > LINKS_MAX) {
		nsl_p_err(c, arr, "links", "%u links: at most %d are allowed", arr->n, LINKS_MAX);
		return;
	}
	if (!arr->n)
		return;
	t->links = nsl_p_oom(c, nsl_arena_array(c->a, arr->n, sizeof(*t->links)));
	if (!t->links)
		return;
	for (uint32_t i = 0; i < arr->n; i++) {
		const struct nsl_dnode *v = &arr->kids[i], *ep, *rv;
		struct nsl_link *l = &t->links[t->n_links];
		char p[PATH_LEN], kp[PATH_LEN], b[QUOTE_LEN];
		int64_t mtu;

		nsl_p_path_idx(p, "links", i);
		if (!nsl_p_check_object(c, v, p, keys, NSL_ARRAY_SIZE(keys)))
			continue;
		ep = nsl_p_get(v, "endpoints", J_ARRAY);
		nsl_p_path_key(kp, p, "endpoints");
		if (!ep) {
			if (!nsl_p_member(v, "endpoints"))
				nsl_p_err(c, v, p, "missing 'endpoints'");
		} else if (ep->n != 2) {
			nsl_p_err(c, ep, kp, "expected two \"node:interface\" strings, got %u",
			          ep->n);
		} else {
			char ep0[PATH_LEN], ep1[PATH_LEN];

			nsl_p_path_idx(ep0, kp, 0);
			nsl_p_path_idx(ep1, kp, 1);
			parse_endpoint(c, &ep->kids[0], ep0, &l->ends[0]);
			parse_endpoint(c, &ep->kids[1], ep1, &l->ends[1]);
		}
		if (nsl_p_get_int(c, v, "mtu", p, 68, 65535, &mtu))
			l->mtu = (uint32_t)mtu;
		if ((rv = nsl_p_get(v, "rate", J_STRING))) {
			nsl_p_path_key(kp, p, "rate");
			if (!nsl_rate_parse(rv->text, &l->rate))
				nsl_p_err(c, rv, kp,
				          "invalid rate '%s' (like \"100mbit\", \"1gbit\", "
				          "\"512kbit\", \"10mbps\")",
				          nsl_p_quote(b, rv->text));
			else if (l->rate > NSL_RATE_MAX)
				nsl_p_err(
				    c, rv, kp,
				    "rate '%s' is %llu bytes/s: the kernel's tbf takes at most "
				    "%u bytes/s (about 17.1gbit)",
				    nsl_p_quote(b, rv->text), (unsigned long long)l->rate,
				    NSL_RATE_MAX);
		}
		if ((rv = nsl_p_get(v, "impair", J_OBJECT))) {
			nsl_p_path_key(kp, p, "impair");
			nsl_p_impair(c, rv, kp, &l->impair);
		}
		if (nsl_p_get_int(c, v, "vni", p, 0, 16777215, &mtu)) {
			l->has_vni = true;
			l->vni = (uint32_t)mtu;
		}
		l->index = (int)i;
		t->n_links++;
	}
}

static void parse_host(struct pctx *c, const struct nsl_dnode *obj)
{
	static const struct key_spec keys[] = {
	    {"interfaces", J_OBJECT},
	    {"nat", J_ARRAY},
	    {"sysctls", J_OBJECT},
	};
	struct nsl_host *h = &c->t->host;
	const struct nsl_dnode *v;

	if (!nsl_p_check_object(c, obj, "host", keys, NSL_ARRAY_SIZE(keys)))
		return;
	if ((v = nsl_p_get(obj, "interfaces", J_OBJECT)))
		nsl_p_ifaces(c, v, "host.interfaces", 0, true, &h->ifaces, &h->n_ifaces);
	if ((v = nsl_p_get(obj, "nat", J_ARRAY)))
		nsl_p_nat(c, &h->nat, &h->n_nat, v, "host.nat");
	if ((v = nsl_p_get(obj, "sysctls", J_OBJECT)))
		nsl_p_sysctls(c, &h->sysctls, &h->n_sysctls, v, "host.sysctls");
}

#define HOSTS_MAX 256

/* "hosts": the machines of a lab that spans several, each with its underlay address. */
static void parse_hosts(struct pctx *c, const struct nsl_dnode *obj)
{
	static const struct key_spec keys[] = {
	    {"underlay", J_STRING},
	    {"description", J_STRING},
	};
	struct nsl_topology *t = c->t;

	nsl_p_check_dups(c, obj, "hosts");
	if (obj->n > HOSTS_MAX) {
		nsl_p_err(c, obj, "hosts", "%u hosts: at most %d are allowed", obj->n, HOSTS_MAX);
		return;
	}
	if (!obj->n) {
		nsl_p_err(c, obj, "hosts", "no hosts: name at least one, or leave \"hosts\" out");
		return;
	}
	t->hosts = nsl_p_oom(c, nsl_arena_array(c->a, obj->n, sizeof(*t->hosts)));
	if (!t->hosts)
		return;
	for (uint32_t i = 0; i < obj->n; i++) {
		const struct nsl_dnode *v = &obj->kids[i], *u;
		struct nsl_labhost *h = &t->hosts[t->n_hosts];
		char p[PATH_LEN], kp[PATH_LEN], b[QUOTE_LEN];

		if (v->dup)
			continue; /* reported */
		nsl_p_path_key(p, "hosts", v->key);
		if (strlen(v->key) > NSL_NAME_MAX || !nsl_name_valid(v->key))
			nsl_p_err_key(c, v, p,
			              "invalid host name '%s' (1 to %d of [A-Za-z0-9_-], not "
			              "starting with '-')",
			              nsl_p_quote(b, v->key), NSL_NAME_MAX);
		nsl_fmt(h->name, sizeof(h->name), "%s", v->key);
		t->n_hosts++;
		if (!nsl_p_check_object(c, v, p, keys, NSL_ARRAY_SIZE(keys)))
			continue;
		if ((u = nsl_p_get(v, "underlay", J_STRING))) {
			nsl_p_path_key(kp, p, "underlay");
			nsl_p_ip(c, u, u->text, kp, &h->underlay);
		} else if (!nsl_p_member(v, "underlay")) {
			nsl_p_err(c, v, p,
			          "a host needs 'underlay' (the address its VXLANs are sent from)");
		}
	}
}

static void parse_root(struct pctx *c, const struct nsl_dnode *root)
{
	static const struct key_spec keys[] = {
	    {"name", J_STRING},  {"description", J_STRING}, {"nodes", J_OBJECT}, {"links", J_ARRAY},
	    {"host", J_OBJECT},  {"tests", J_ARRAY},        {"pools", J_OBJECT}, {"mgmt", J_OBJECT},
	    {"hosts", J_OBJECT}, {"rootfs", J_STRING},
	};
	const struct nsl_dnode *v;
	char b[QUOTE_LEN];

	if (root->kind != NSL_D_OBJECT) {
		nsl_p_err(c, root, "", "the top level must be an object (a mapping), not %s",
		          root->kind == NSL_D_ARRAY    ? "an array"
		          : root->kind == NSL_D_STRING ? "a string"
		          : root->kind == NSL_D_NULL   ? "null"
		                                       : "a scalar");
		return;
	}
	nsl_p_check_object(c, root, "", keys, NSL_ARRAY_SIZE(keys));
	if ((v = nsl_p_get(root, "name", J_STRING))) {
		if (nsl_name_valid(v->text))
			nsl_fmt(c->t->name, sizeof(c->t->name), "%s", v->text);
		else
			nsl_p_err(c, v, "name",
			          "invalid lab name '%s' (1 to %d of [A-Za-z0-9_-], not "
			          "starting with '-')",
			          nsl_p_quote(b, v->text), NSL_NAME_MAX);
	}
	if ((v = nsl_p_get(root, "rootfs", J_STRING)))
		nsl_p_rootfs(c, v, "rootfs", &c->t->rootfs);
	if ((v = nsl_p_get(root, "hosts", J_OBJECT)))
		parse_hosts(c, v);
	if (!c->oom && (v = nsl_p_get(root, "nodes", J_OBJECT)))
		parse_nodes(c, v);
	if (!c->oom)
		nsl_p_rootfs_defaults(c);
	if (!c->oom && (v = nsl_p_get(root, "links", J_ARRAY)))
		parse_links(c, v);
	if (!c->oom && (v = nsl_p_get(root, "host", J_OBJECT)))
		parse_host(c, v);
	if (!c->oom && (v = nsl_p_get(root, "pools", J_OBJECT)))
		nsl_p_pools(c, v);
	if (!c->oom && (v = nsl_p_get(root, "mgmt", J_OBJECT)))
		nsl_p_mgmt(c, v);
	if (!c->oom && (v = nsl_p_get(root, "tests", J_ARRAY)))
		nsl_p_tests(c, v);
	if (!c->oom)
		nsl_p_check_dup_addrs(c);
}

/* ---- entry points ---- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

bool nsl_topology_file_name(const char *s)
{
	return ends_with(s, ".json") || ends_with(s, ".yaml") || ends_with(s, ".yml");
}

enum nsl_format nsl_topology_format(const char *file_name, const char *text, size_t len)
{
	size_t i = 0;

	if (file_name && ends_with(file_name, ".json"))
		return NSL_FORMAT_JSON;
	if (file_name && (ends_with(file_name, ".yaml") || ends_with(file_name, ".yml")))
		return NSL_FORMAT_YAML;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
		i++;
	/* an empty file is reported as JSON's (the older of the two) */
	return i == len || text[i] == '{' || text[i] == '[' ? NSL_FORMAT_JSON : NSL_FORMAT_YAML;
}

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
	struct nsl_dnode *root = NULL;
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
	c.t->part = -1;
	c.t->file = nsl_arena_strdup(c.a, file_name);
	c.t->dir = dir ? nsl_arena_strdup(c.a, dir) : dir_of(c.a, file_name);
	if (!c.t->file || !c.t->dir) {
		r = c.t->file && !dir ? -errno : -ENOMEM;
		nsl_arena_free(c.a);
		return r ? r : -ENOMEM;
	}

	if (len > NSL_FILE_MAX) {
		nsl_diags_add(diags, "", "file is larger than %u bytes", NSL_FILE_MAX);
		nsl_arena_free(c.a);
		return -EINVAL;
	}
	/* The text itself, and its digest: the version of the file a lab runs (status, apply). */
	c.t->text = nsl_arena_strndup(c.a, text, len);
	if (!c.t->text) {
		nsl_arena_free(c.a);
		return -ENOMEM;
	}
	c.t->text_len = len;
	nsl_sha256_hex(text, len, c.t->sha256);
	if (nsl_topology_format(file_name, text, len) == NSL_FORMAT_YAML)
		r = nsl_doc_read_yaml(c.a, text, len, diags, &root);
	else
		r = nsl_doc_read_json(c.a, text, len, diags, &root);
	if (r == 0) {
		c.t->doc = root;
		parse_root(&c, root);
	}
	for (size_t i = 0; i < c.n_seen; i++)
		free(c.seen[i].path);
	free(c.seen);
	free(c.node_keys);
	free(c.node_sorted);
	if (r == 0 && c.oom)
		r = -ENOMEM;
	if (r == 0 && c.errors)
		r = -EINVAL;
	if (r < 0) {
		nsl_arena_free(c.a);
		return r;
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
