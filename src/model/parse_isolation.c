/* A node's isolation: "rootfs" (also the lab's default, at the top level), "namespaces",
 * "time_offsets" and "limits". Each value is checked on its own here; what needs the host
 * (the tree exists, the kernel has the namespace, cgroup v2) is engine/hostcheck_node.c's. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "model/parse.h"

void nsl_p_rootfs(struct pctx *c, const struct nsl_dnode *v, const char *path,
                  struct nsl_rootfs *ret)
{
	const char *s = nsl_p_text(c, v, path);
	char b[QUOTE_LEN];

	if (!s)
		return;
	ret->set = true;
	if (!strcmp(s, "host")) {
		ret->kind = NSL_ROOTFS_HOST;
		return;
	}
	if (!strcmp(s, "overlay")) {
		ret->kind = NSL_ROOTFS_OVERLAY;
		return;
	}
	if (!s[0] || strspn(s, "/") == strlen(s)) {
		nsl_p_err(c, v, path,
		          "'%s' is no tree of its own: \"host\", \"overlay\" (the host's file "
		          "system, the node's writes its own) or a directory",
		          nsl_p_quote(b, s));
		ret->set = false;
		return;
	}
	if (nsl_p_path_has_dots(s)) {
		nsl_p_err(c, v, path, "'%s' has a '.' or '..' component", nsl_p_quote(b, s));
		ret->set = false;
		return;
	}
	ret->kind = NSL_ROOTFS_DIR;
	ret->dir =
	    s[0] == '/' ? nsl_arena_strdup(c->a, s) : nsl_arena_printf(c->a, "%s/%s", c->t->dir, s);
	(void)nsl_p_oom(c, ret->dir);
}

static void parse_namespaces(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *arr,
                             const char *path)
{
	for (uint32_t i = 0; i < arr->n; i++) {
		const struct nsl_dnode *v = &arr->kids[i];
		char p[PATH_LEN], b[QUOTE_LEN], b2[QUOTE_LEN];
		const char *hint;
		unsigned bit;

		nsl_p_path_idx(p, path, i);
		if (v->kind != NSL_D_STRING) {
			nsl_p_type_err(c, v, p, "string");
			continue;
		}
		bit = nsl_ns_bit(v->text);
		if (!bit) {
			const char *names[32];
			size_t n_names = 0;
			for (unsigned k = 1; k && k <= NSL_NS_ALL; k <<= 1)
				if (k & NSL_NS_ALL)
					names[n_names++] = nsl_ns_name(k);
			hint = nsl_p_suggest(v->text, names, n_names);
			if (!strcmp(v->text, "net") || !strcmp(v->text, "mnt") ||
			    !strcmp(v->text, "pid") || !strcmp(v->text, "uts"))
				nsl_p_err(c, v, p,
				          "'%s': every node has its own net, mnt, pid and uts "
				          "namespaces; these are optional: ipc, cgroup, time, user",
				          v->text);
			else if (hint)
				nsl_p_err(c, v, p,
				          "unknown namespace '%s' (did you mean '%s'? one of ipc, "
				          "cgroup, time, user)",
				          nsl_p_quote(b, v->text), nsl_p_quote(b2, hint));
			else
				nsl_p_err(c, v, p,
				          "unknown namespace '%s' (one of ipc, cgroup, time, user)",
				          nsl_p_quote(b, v->text));
			continue;
		}
		if (n->namespaces & bit) {
			nsl_p_err(c, v, p, "'%s' is listed twice", v->text);
			continue;
		}
		n->namespaces |= bit;
	}
}

#define TIME_OFFSET_MAX (10LL * 365 * 24 * 3600) /* ten years, either way */

static void parse_time_offsets(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *obj,
                               const char *path)
{
	static const struct key_spec keys[] = {{"monotonic", J_INT}, {"boottime", J_INT}};

	if (!nsl_p_check_object(c, obj, path, keys, NSL_ARRAY_SIZE(keys)))
		return;
	n->has_time_offsets = true;
	(void)nsl_p_get_int(c, obj, "monotonic", path, -TIME_OFFSET_MAX, TIME_OFFSET_MAX,
	                    &n->time_monotonic);
	(void)nsl_p_get_int(c, obj, "boottime", path, -TIME_OFFSET_MAX, TIME_OFFSET_MAX,
	                    &n->time_boottime);
}

/* "256M", "1G", "512K", "1T" (powers of 1024) or a number of bytes. */
static bool memory_parse(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	case 0:
		break;
	default:
		return false;
	}
	if (shift && end[1])
		return false;
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*ret = (uint64_t)v << shift;
	return true;
}

#define MEMORY_MIN (4ULL << 20)

static void parse_limits(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *obj,
                         const char *path)
{
	static const struct key_spec keys[] = {
	    {"memory", J_INT_OR_STRING}, {"pids", J_INT}, {"cpu", J_INT_OR_STRING}};
	const struct nsl_dnode *v;
	char p[PATH_LEN], b[QUOTE_LEN];
	int64_t pids;

	if (!nsl_p_check_object(c, obj, path, keys, NSL_ARRAY_SIZE(keys)))
		return;
	n->limits.set = true;
	if ((v = nsl_p_get(obj, "memory", J_INT_OR_STRING))) {
		int64_t bytes;
		nsl_p_path_key(p, path, "memory");
		if (v->kind == NSL_D_NUMBER) {
			if (nsl_p_int(c, v, p, (int64_t)MEMORY_MIN, INT64_MAX, &bytes))
				n->limits.memory = (uint64_t)bytes;
		} else if (!memory_parse(v->text, &n->limits.memory)) {
			nsl_p_err(c, v, p,
			          "invalid size '%s' (bytes, or like \"256M\", \"1G\", \"512K\")",
			          nsl_p_quote(b, v->text));
		} else if (n->limits.memory < MEMORY_MIN) {
			nsl_p_err(c, v, p,
			          "'%s' is below 4M: the node's holder and a shell need more",
			          nsl_p_quote(b, v->text));
		}
	}
	if (nsl_p_get_int(c, obj, "pids", path, 2, 4194304, &pids))
		n->limits.pids = (uint64_t)pids;
	if ((v = nsl_p_get(obj, "cpu", J_INT_OR_STRING))) {
		char *end;
		double cpu;
		nsl_p_path_key(p, path, "cpu");
		cpu = strtod(v->text, &end);
		if (v->kind == NSL_D_STRING)
			nsl_p_err(c, v, p, "expected a number of CPUs (like 0.5), got string");
		else if (*end || !isfinite(cpu) || cpu < 0.01 || cpu > 4096)
			nsl_p_err(c, v, p,
			          "%s is out of range: CPUs, from 0.01 (1%% of one) to 4096 (0.5: "
			          "half of one CPU's time)",
			          v->text);
		else
			n->limits.cpu_milli = (uint32_t)(cpu * 1000 + 0.5);
	}
}

void nsl_p_isolation(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *obj,
                     const char *path)
{
	const struct nsl_dnode *v;
	char p[PATH_LEN];

	if ((v = nsl_p_get(obj, "rootfs", J_STRING))) {
		nsl_p_path_key(p, path, "rootfs");
		nsl_p_rootfs(c, v, p, &n->rootfs);
	}
	if ((v = nsl_p_get(obj, "namespaces", J_ARRAY))) {
		nsl_p_path_key(p, path, "namespaces");
		parse_namespaces(c, n, v, p);
	}
	if ((v = nsl_p_get(obj, "time_offsets", J_OBJECT))) {
		nsl_p_path_key(p, path, "time_offsets");
		parse_time_offsets(c, n, v, p);
		if (!(n->namespaces & NSL_NS_TIME))
			nsl_p_err(c, v, p,
			          "time offsets need a time namespace: add \"time\" to the node's "
			          "\"namespaces\"");
	}
	if ((v = nsl_p_get(obj, "limits", J_OBJECT))) {
		nsl_p_path_key(p, path, "limits");
		parse_limits(c, n, v, p);
	}
}

void nsl_p_rootfs_defaults(struct pctx *c)
{
	for (size_t i = 0; i < c->t->n_nodes; i++) {
		struct nsl_node *n = &c->t->nodes[i];
		if (!n->rootfs.set && c->t->rootfs.set)
			n->rootfs = c->t->rootfs;
		/* A tree of its own: System V IPC and POSIX queues too (as container runtimes). */
		if (n->rootfs.kind != NSL_ROOTFS_HOST)
			n->namespaces |= NSL_NS_IPC;
	}
}
