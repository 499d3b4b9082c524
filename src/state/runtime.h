/* runtime.json: what was changed on a lab that is up, by `nslab link` and `nslab impair`,
 * kept beside state.json: which ends nslab set down (and the links that are down because
 * of it), the impairment nslab last set on an end, and a change begun but not seen through
 * (written before the change, cleared after: a crash leaves it marked). Everything it
 * describes lives inside the lab's namespaces (or is a host end of the lab), so it dies with
 * the lab; `down` needs none of it. This module owns the format (typed, versioned, round-trip
 * tested). Pure: no I/O. */
#ifndef NSL_RUNTIME_H
#define NSL_RUNTIME_H

#include <stdbool.h>

#include "base/util.h"
#include "model/topology.h"

#define NSL_RUNTIME_VERSION 1

struct nsl_runtime_iface {
	char node[NSL_NAME_MAX + 1]; /* a node, or "host" for a host end */
	char name[NSL_IFNAME_MAX + 1];
	bool link_down;       /* its link was put down by `nslab link` */
	bool admin_down;      /* and this is the end set down */
	int skip_linkdown[2]; /* the old ignore_routes_with_linkdown (IPv4, IPv6) of this end
	                       * while a link down has it set (it is the far end); -1: untouched */
	bool has_impair;      /* `nslab impair` set impair (all zero: cleared) */
	struct nsl_impair impair;
	bool pending; /* a change of it was begun and not seen through */
};

struct nsl_runtime {
	int version;
	unsigned changes; /* how many runtime changes the lab has seen */
	struct nsl_runtime_iface *ifaces;
	size_t n, cap;
};

/* Text of a runtime record (malloc'd). */
int nsl_runtime_format(const struct nsl_runtime *r, char **ret, struct nsl_err *err) NSL_MUST_USE;
/* Parse; a newer version is an error that says so. */
int nsl_runtime_parse(const char *text, struct nsl_runtime *ret, struct nsl_err *err) NSL_MUST_USE;
void nsl_runtime_free(struct nsl_runtime *r);
/* An interface's entry; with create, a new empty one when there is none (NULL: no memory). */
struct nsl_runtime_iface *nsl_runtime_iface(struct nsl_runtime *r, const char *node,
                                            const char *name, bool create);

/* Forget an interface's entry (name NULL: every entry of node). */
void nsl_runtime_forget(struct nsl_runtime *r, const char *node, const char *name);
#endif
