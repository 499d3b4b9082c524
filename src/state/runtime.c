/* runtime.json: format and parse. An impairment is written as the topology writes one
 * ("20ms", "1%", "10mbit"), exact both ways. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "state/runtime.h"

static cJSON *impair_json(const struct nsl_impair *im)
{
	cJSON *o = cJSON_CreateObject();

	for (unsigned k = 0; o && k < NSL_IMP_KEYS; k++) {
		char v[32];
		if (!nsl_impair_value(im, 1u << k))
			continue;
		if (!cJSON_AddStringToObject(o, nsl_impair_keys[k],
		                             nsl_impair_value_str(im, 1u << k, v, sizeof(v)))) {
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

int nsl_runtime_format(const struct nsl_runtime *r, char **ret, struct nsl_err *err)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	bool ok = root != NULL;

	ok = ok && cJSON_AddNumberToObject(root, "version", NSL_RUNTIME_VERSION);
	ok = ok && cJSON_AddNumberToObject(root, "changes", r->changes);
	arr = ok ? cJSON_AddArrayToObject(root, "interfaces") : NULL;
	ok = ok && arr;
	for (size_t i = 0; ok && i < r->n; i++) {
		const struct nsl_runtime_iface *f = &r->ifaces[i];
		cJSON *o = cJSON_CreateObject(), *im;
		ok = o && cJSON_AddItemToArray(arr, o);
		ok = ok && cJSON_AddStringToObject(o, "node", f->node);
		ok = ok && cJSON_AddStringToObject(o, "interface", f->name);
		ok = ok && cJSON_AddBoolToObject(o, "link_down", f->link_down);
		ok = ok && cJSON_AddBoolToObject(o, "admin_down", f->admin_down);
		if (ok && (f->skip_linkdown[0] >= 0 || f->skip_linkdown[1] >= 0)) {
			cJSON *a = cJSON_AddArrayToObject(o, "ignore_routes_with_linkdown_was");
			ok = a &&
			     cJSON_AddItemToArray(a, cJSON_CreateNumber(f->skip_linkdown[0])) &&
			     cJSON_AddItemToArray(a, cJSON_CreateNumber(f->skip_linkdown[1]));
		}
		if (ok && f->has_impair) {
			im = impair_json(&f->impair);
			ok = im && cJSON_AddItemToObject(o, "impair", im);
			if (!ok)
				cJSON_Delete(im);
		}
		ok = ok && cJSON_AddBoolToObject(o, "pending", f->pending);
	}
	*ret = ok ? cJSON_PrintUnformatted(root) : NULL;
	cJSON_Delete(root);
	return *ret ? 0 : nsl_err_set(err, ENOMEM, "runtime state: out of memory");
}

static bool get_bool(const cJSON *o, const char *key, bool *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsBool(v))
		return false;
	*ret = cJSON_IsTrue(v);
	return true;
}

static bool get_name(const cJSON *o, const char *key, char *buf, size_t size)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && strlen(v->valuestring) < size &&
	       nsl_fmt(buf, size, "%s", v->valuestring);
}

static bool parse_impair(const cJSON *o, struct nsl_impair *im)
{
	const cJSON *v;

	if (!cJSON_IsObject(o))
		return false;
	cJSON_ArrayForEach(v, o)
	{
		unsigned k;
		const char *why;
		for (k = 0; k < NSL_IMP_KEYS; k++)
			if (!strcmp(v->string, nsl_impair_keys[k]))
				break;
		if (k == NSL_IMP_KEYS || !cJSON_IsString(v) ||
		    !nsl_impair_parse_value(1u << k, v->valuestring, im, &why))
			return false;
	}
	return true;
}

static bool parse_iface(const cJSON *o, struct nsl_runtime_iface *f)
{
	const cJSON *im = cJSON_GetObjectItemCaseSensitive(o, "impair");

	const cJSON *was = cJSON_GetObjectItemCaseSensitive(o, "ignore_routes_with_linkdown_was");

	memset(f, 0, sizeof(*f));
	f->skip_linkdown[0] = f->skip_linkdown[1] = -1;
	if (was) {
		if (!cJSON_IsArray(was) || cJSON_GetArraySize(was) != 2)
			return false;
		for (int i = 0; i < 2; i++) {
			const cJSON *v = cJSON_GetArrayItem(was, i);
			if (!cJSON_IsNumber(v) || v->valuedouble < -1 || v->valuedouble > INT32_MAX)
				return false;
			f->skip_linkdown[i] = (int)v->valuedouble;
		}
	}
	if (!get_name(o, "node", f->node, sizeof(f->node)) ||
	    !get_name(o, "interface", f->name, sizeof(f->name)) ||
	    !get_bool(o, "link_down", &f->link_down) ||
	    !get_bool(o, "admin_down", &f->admin_down) || !get_bool(o, "pending", &f->pending))
		return false;
	if (im) {
		f->has_impair = true;
		return parse_impair(im, &f->impair);
	}
	return true;
}

int nsl_runtime_parse(const char *text, struct nsl_runtime *ret, struct nsl_err *err)
{
	cJSON *root = cJSON_Parse(text), *arr, *it;
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
	const cJSON *changes = cJSON_GetObjectItemCaseSensitive(root, "changes");
	int rc = 0;

	memset(ret, 0, sizeof(*ret));
	if (!root || !cJSON_IsNumber(ver)) {
		rc = nsl_err_set(err, EBADMSG, "runtime.json is damaged");
		goto out;
	}
	if (ver->valuedouble > NSL_RUNTIME_VERSION) {
		rc = nsl_err_set(
		    err, EPROTONOSUPPORT,
		    "runtime.json format version %d is newer than this nslab reads (%d)",
		    ver->valueint, NSL_RUNTIME_VERSION);
		goto out;
	}
	ret->version = ver->valueint;
	arr = cJSON_GetObjectItemCaseSensitive(root, "interfaces");
	if (!cJSON_IsArray(arr) || !cJSON_IsNumber(changes) || changes->valuedouble < 0 ||
	    changes->valuedouble > UINT32_MAX) {
		rc = nsl_err_set(err, EBADMSG, "runtime.json is damaged");
		goto out;
	}
	ret->changes = (unsigned)changes->valuedouble;
	cJSON_ArrayForEach(it, arr)
	{
		if (!nsl_grow(&ret->ifaces, &ret->cap, ret->n, sizeof(*ret->ifaces))) {
			rc = nsl_err_set(err, ENOMEM, "out of memory");
			goto out;
		}
		if (!parse_iface(it, &ret->ifaces[ret->n])) {
			rc = nsl_err_set(err, EBADMSG, "runtime.json: interface %zu is damaged",
			                 ret->n);
			goto out;
		}
		ret->n++;
	}
out:
	cJSON_Delete(root);
	if (rc < 0)
		nsl_runtime_free(ret);
	return rc;
}

void nsl_runtime_free(struct nsl_runtime *r)
{
	free(r->ifaces);
	memset(r, 0, sizeof(*r));
}

struct nsl_runtime_iface *nsl_runtime_iface(struct nsl_runtime *r, const char *node,
                                            const char *name, bool create)
{
	struct nsl_runtime_iface *f;

	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->ifaces[i].node, node) && !strcmp(r->ifaces[i].name, name))
			return &r->ifaces[i];
	if (!create || !nsl_grow(&r->ifaces, &r->cap, r->n, sizeof(*r->ifaces)))
		return NULL;
	f = &r->ifaces[r->n++];
	memset(f, 0, sizeof(*f));
	f->skip_linkdown[0] = f->skip_linkdown[1] = -1;
	nsl_fmt(f->node, sizeof(f->node), "%s", node);
	nsl_fmt(f->name, sizeof(f->name), "%s", name);
	return f;
}

void nsl_runtime_forget(struct nsl_runtime *r, const char *node, const char *name)
{
	size_t kept = 0;

	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->ifaces[i].node, node) || (name && strcmp(r->ifaces[i].name, name)))
			r->ifaces[kept++] = r->ifaces[i];
	r->n = kept;
}
