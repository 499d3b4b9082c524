/* state.json: format and parse. Numbers that may exceed 2^53 (start times, inodes) are
 * written as strings: cJSON keeps numbers as doubles. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "state/labstate.h"

static bool add_u64(cJSON *o, const char *key, uint64_t v)
{
	char buf[32];

	nsl_fmt(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return cJSON_AddStringToObject(o, key, buf) != NULL;
}

int nsl_labstate_format(const struct nsl_labstate *s, char **ret, struct nsl_err *err)
{
	cJSON *root = cJSON_CreateObject(), *nodes;
	bool ok = root != NULL;

	ok = ok && cJSON_AddNumberToObject(root, "version", NSL_LABSTATE_VERSION);
	ok = ok && cJSON_AddStringToObject(root, "name", s->name);
	ok = ok && cJSON_AddStringToObject(root, "topology", s->topology ? s->topology : "");
	ok = ok && cJSON_AddStringToObject(root, "topology_sha256", s->sha256);
	ok = ok && cJSON_AddNumberToObject(root, "generation", s->generation);
	if (ok && s->keeper.pid > 0) {
		cJSON *k = cJSON_AddObjectToObject(root, "keeper");
		ok = k && cJSON_AddNumberToObject(k, "pid", s->keeper.pid);
		ok = ok && add_u64(k, "start_time", s->keeper.start_time);
		ok = ok && add_u64(k, "userns_dev", s->keeper.userns_dev);
		ok = ok && add_u64(k, "userns_inode", s->keeper.userns_ino);
	}
	if (ok && s->host[0]) {
		cJSON *el;
		ok = cJSON_AddStringToObject(root, "host", s->host) &&
		     (el = cJSON_AddArrayToObject(root, "elsewhere"));
		for (size_t i = 0; ok && i < s->n_elsewhere; i++) {
			cJSON *o = cJSON_CreateObject();
			ok = o && cJSON_AddItemToArray(el, o) &&
			     cJSON_AddStringToObject(o, "name", s->elsewhere[i].name) &&
			     cJSON_AddStringToObject(o, "host", s->elsewhere[i].host);
		}
	}
	nodes = ok ? cJSON_AddArrayToObject(root, "nodes") : NULL;
	ok = ok && nodes;
	for (size_t i = 0; ok && i < s->n_nodes; i++) {
		const struct nsl_labstate_node *n = &s->nodes[i];
		cJSON *o = cJSON_CreateObject(), *env;
		char ns[2 * NSL_NAME_MAX + 2];
		ok = o && cJSON_AddItemToArray(nodes, o);
		nsl_fmt(ns, sizeof(ns), "%s.%s", s->name, n->name);
		ok = ok && cJSON_AddStringToObject(o, "name", n->name);
		ok = ok && cJSON_AddNumberToObject(o, "pid", n->pid);
		ok = ok && add_u64(o, "start_time", n->start_time);
		ok = ok && cJSON_AddStringToObject(o, "netns", ns);
		ok = ok && add_u64(o, "netns_dev", n->netns_dev);
		ok = ok && add_u64(o, "netns_inode", n->netns_ino);
		ok = ok && cJSON_AddStringToObject(o, "hostname", n->hostname);
		if (ok && n->namespaces) {
			cJSON *nsa = cJSON_AddArrayToObject(o, "namespaces");
			ok = nsa != NULL;
			for (unsigned bit = 1; ok && (bit & NSL_NS_ALL); bit <<= 1)
				if (n->namespaces & bit)
					ok = cJSON_AddItemToArray(
					    nsa, cJSON_CreateString(nsl_ns_name(bit)));
		}
		if (ok && n->root)
			ok = cJSON_AddStringToObject(o, "root", n->root) != NULL;
		if (ok && n->limits.set) {
			cJSON *l = cJSON_AddObjectToObject(o, "limits");
			ok = l != NULL;
			if (ok && n->limits.memory)
				ok = add_u64(l, "memory", n->limits.memory);
			if (ok && n->limits.pids)
				ok = add_u64(l, "pids", n->limits.pids);
			if (ok && n->limits.cpu_milli)
				ok = cJSON_AddNumberToObject(l, "cpu_milli", n->limits.cpu_milli);
		}
		if (ok && n->cgroup)
			ok = cJSON_AddStringToObject(o, "cgroup", n->cgroup) != NULL;
		if (ok && n->uid_base)
			ok = cJSON_AddNumberToObject(o, "userns_uid", n->uid_base) != NULL;
		if (ok && n->n_env) {
			env = cJSON_AddArrayToObject(o, "env");
			ok = env != NULL;
			for (size_t e = 0; ok && e < n->n_env; e++)
				ok = cJSON_AddItemToArray(env, cJSON_CreateString(n->env[e]));
		}
	}
	*ret = ok ? cJSON_PrintUnformatted(root) : NULL;
	cJSON_Delete(root);
	return *ret ? 0 : nsl_err_set(err, ENOMEM, "state: out of memory");
}

static const char *get_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool get_u64(const cJSON *o, const char *key, uint64_t *ret)
{
	const char *s = get_str(o, key);

	return s && nsl_parse_u64(s, UINT64_MAX, ret);
}

static bool copy(char *dst, size_t size, const char *s) { return s && nsl_fmt(dst, size, "%s", s); }

static bool parse_node(const cJSON *o, struct nsl_labstate_node *n)
{
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(o, "pid");
	const cJSON *env = cJSON_GetObjectItemCaseSensitive(o, "env"), *e;

	if (!copy(n->name, sizeof(n->name), get_str(o, "name")) ||
	    !copy(n->hostname, sizeof(n->hostname), get_str(o, "hostname")) ||
	    !cJSON_IsNumber(pid) || pid->valuedouble < 2 || pid->valuedouble > INT32_MAX ||
	    !get_u64(o, "start_time", &n->start_time) || !get_u64(o, "netns_dev", &n->netns_dev) ||
	    !get_u64(o, "netns_inode", &n->netns_ino))
		return false;
	n->pid = (pid_t)pid->valuedouble;
	if (env && !cJSON_IsArray(env))
		return false;
	/* Older states have none of these: a node on the host's file system, nothing more. */
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(o, "namespaces"), *x;
	const cJSON *lim = cJSON_GetObjectItemCaseSensitive(o, "limits");
	if (ns && !cJSON_IsArray(ns))
		return false;
	cJSON_ArrayForEach(x, ns)
	{
		unsigned bit = cJSON_IsString(x) ? nsl_ns_bit(x->valuestring) : 0;
		if (!bit)
			return false;
		n->namespaces |= bit;
	}
	if (get_str(o, "root") && !(n->root = strdup(get_str(o, "root"))))
		return false;
	if (get_str(o, "cgroup") && !(n->cgroup = strdup(get_str(o, "cgroup"))))
		return false;
	const cJSON *uid = cJSON_GetObjectItemCaseSensitive(o, "userns_uid");
	if (uid && (!cJSON_IsNumber(uid) || uid->valuedouble < 1 || uid->valuedouble > UINT32_MAX))
		return false;
	n->uid_base = uid ? (uint32_t)uid->valuedouble : 0;
	if (lim) {
		const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(lim, "cpu_milli");
		if (!cJSON_IsObject(lim))
			return false;
		n->limits.set = true;
		if (get_str(lim, "memory") && !get_u64(lim, "memory", &n->limits.memory))
			return false;
		if (get_str(lim, "pids") && !get_u64(lim, "pids", &n->limits.pids))
			return false;
		if (cpu &&
		    (!cJSON_IsNumber(cpu) || cpu->valuedouble < 0 || cpu->valuedouble > UINT32_MAX))
			return false;
		n->limits.cpu_milli = cpu ? (uint32_t)cpu->valuedouble : 0;
	}
	n->env = calloc((size_t)cJSON_GetArraySize(env) + 1, sizeof(char *));
	if (!n->env)
		return false;
	cJSON_ArrayForEach(e, env)
	{
		if (!cJSON_IsString(e) || !(n->env[n->n_env] = strdup(e->valuestring)))
			return false;
		n->n_env++;
	}
	return true;
}

int nsl_labstate_parse(const char *text, struct nsl_labstate *ret, struct nsl_err *err)
{
	cJSON *root = cJSON_Parse(text), *nodes, *it;
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
	int rc = 0;

	memset(ret, 0, sizeof(*ret));
	if (!root || !cJSON_IsNumber(ver)) {
		rc = nsl_err_set(err, EBADMSG, "state.json is damaged");
		goto out;
	}
	if (ver->valuedouble > NSL_LABSTATE_VERSION) {
		rc = nsl_err_set(err, EPROTONOSUPPORT,
		                 "state.json format version %d is newer than this nslab reads (%d)",
		                 ver->valueint, NSL_LABSTATE_VERSION);
		goto out;
	}
	ret->version = ver->valueint;
	nodes = cJSON_GetObjectItemCaseSensitive(root, "nodes");
	if (!copy(ret->name, sizeof(ret->name), get_str(root, "name")) || !cJSON_IsArray(nodes) ||
	    !(ret->topology = strdup(get_str(root, "topology") ? get_str(root, "topology") : ""))) {
		rc = nsl_err_set(err, EBADMSG, "state.json is damaged");
		goto out;
	}
	const cJSON *gen = cJSON_GetObjectItemCaseSensitive(root, "generation");
	if (!copy(ret->sha256, sizeof(ret->sha256), get_str(root, "topology_sha256")) ||
	    !cJSON_IsNumber(gen) || gen->valuedouble < 0 || gen->valuedouble > UINT32_MAX) {
		rc = nsl_err_set(err, EBADMSG, "state.json is damaged");
		goto out;
	}
	ret->generation = (unsigned)gen->valuedouble;
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(root, "keeper");
	if (k) {
		const cJSON *kpid = cJSON_GetObjectItemCaseSensitive(k, "pid");
		if (!cJSON_IsNumber(kpid) || kpid->valuedouble < 2 ||
		    kpid->valuedouble > INT32_MAX ||
		    !get_u64(k, "start_time", &ret->keeper.start_time) ||
		    !get_u64(k, "userns_dev", &ret->keeper.userns_dev) ||
		    !get_u64(k, "userns_inode", &ret->keeper.userns_ino)) {
			rc = nsl_err_set(err, EBADMSG, "state.json: the keeper is damaged");
			goto out;
		}
		ret->keeper.pid = (pid_t)kpid->valuedouble;
	}
	/* a lab over several hosts: which part this is, where the other nodes are */
	const cJSON *host = cJSON_GetObjectItemCaseSensitive(root, "host");
	const cJSON *el = cJSON_GetObjectItemCaseSensitive(root, "elsewhere");
	if ((host && !copy(ret->host, sizeof(ret->host), get_str(root, "host"))) ||
	    (el && !cJSON_IsArray(el))) {
		rc = nsl_err_set(err, EBADMSG, "state.json is damaged");
		goto out;
	}
	if (el) {
		ret->elsewhere =
		    calloc((size_t)cJSON_GetArraySize(el) + 1, sizeof(*ret->elsewhere));
		if (!ret->elsewhere) {
			rc = nsl_err_set(err, ENOMEM, "out of memory");
			goto out;
		}
		cJSON_ArrayForEach(it, el)
		{
			struct nsl_labstate_remote *r = &ret->elsewhere[ret->n_elsewhere++];
			if (!copy(r->name, sizeof(r->name), get_str(it, "name")) ||
			    !copy(r->host, sizeof(r->host), get_str(it, "host"))) {
				rc = nsl_err_set(err, EBADMSG, "state.json is damaged");
				goto out;
			}
		}
	}
	ret->nodes = calloc((size_t)cJSON_GetArraySize(nodes) + 1, sizeof(*ret->nodes));
	if (!ret->nodes) {
		rc = nsl_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	cJSON_ArrayForEach(it, nodes)
	{
		if (!parse_node(it, &ret->nodes[ret->n_nodes++])) {
			rc = nsl_err_set(err, EBADMSG, "state.json: node %zu is damaged",
			                 ret->n_nodes - 1);
			goto out;
		}
	}
out:
	cJSON_Delete(root);
	if (rc < 0)
		nsl_labstate_free(ret);
	return rc;
}

void nsl_labstate_free(struct nsl_labstate *s)
{
	for (size_t i = 0; s->nodes && i < s->n_nodes; i++) {
		nsl_strv_free(s->nodes[i].env, s->nodes[i].n_env);
		free(s->nodes[i].root);
		free(s->nodes[i].cgroup);
	}
	free(s->nodes);
	free(s->topology);
	free(s->elsewhere);
	memset(s, 0, sizeof(*s));
}

const struct nsl_labstate_node *nsl_labstate_node(const struct nsl_labstate *s, const char *name)
{
	for (size_t i = 0; i < s->n_nodes; i++)
		if (!strcmp(s->nodes[i].name, name))
			return &s->nodes[i];
	return NULL;
}
