/* The validator's shared parts (private to src/model): its context, its look-up table and
 * its diagnostics. validate.c checks and completes the model; validate_routes.c checks the
 * routes against what the kernel does with them. */
#ifndef NSL_VALIDATE_H
#define NSL_VALIDATE_H

#include "model/topology.h"

#define PATH_LEN 256

/* Name spaces of the look-up table besides node indices (NSL_ENDPOINT_HOST is -1). */
#define NS_DEVICE (-2)   /* host devices moved into nodes */
#define NS_HOST_END (-3) /* host ends of links */

struct entry {
	const char *name; /* NULL: a free slot */
	int ns;
	struct nsl_iface *f; /* NS_DEVICE: the entry that moves it; else the interface */
	int owner;           /* NS_DEVICE: its node; NS_HOST_END: its link */
};

struct vctx {
	struct nsl_topology *t;
	struct nsl_diags *d;
	unsigned errors;
	struct entry *tab;
	size_t cap;
};

/* A problem of the value at path (nsl_v_err) or of the key that names it (nsl_v_err_key),
 * placed by finding path in the document. */
void nsl_v_err(struct vctx *c, const char *path, const char *fmt, ...) NSL_PRINTF(3, 4);
void nsl_v_err_key(struct vctx *c, const char *path, const char *fmt, ...) NSL_PRINTF(3, 4);
/* A node's interface by name (node: an index or NSL_ENDPOINT_HOST), NULL if none. */
struct nsl_iface *nsl_v_iface(const struct vctx *c, int node, const char *name);
/* Impairments (impair.c): only on link ends, one rate per direction, netem's rules on what
 * each direction gets (its link's over its end's). */
void nsl_v_impairs(struct vctx *c);
/* Routes of a node (validate_routes.c): 0 or -ENOMEM. */
int nsl_v_routes(struct vctx *c, int node);
/* Resolve "table" names and check a node's policy rules (validate_routes.c, validate_rules.c). */
void nsl_v_tables(struct vctx *c, int node);
int nsl_v_rules(struct vctx *c, int node);
/* Interfaces of a kind (validate_kinds.c): parents, VRFs, bonds; after links and bridges. */
void nsl_v_kinds(struct vctx *c, int node);
/* VXLANs whose sockets are in the host: one VNI and port once among them. */
void nsl_v_host_vxlans(struct vctx *c);
/* A vxlan's local address is its node's (after the pools numbered everything). */
void nsl_v_vxlan_local(struct vctx *c, int node);
/* The management network's interfaces, then the pools' addresses (validate_pools.c):
 * after links, bridges and kinds are known; before routes. 0 or -ENOMEM. */
int nsl_v_mgmt(struct vctx *c);
int nsl_v_pools(struct vctx *c);
/* The interface entry of a node made by validation (the same as validate.c's). */
struct nsl_iface *nsl_v_iface_add(struct vctx *c, int node, struct nsl_iface *arr, size_t *n,
                                  const char *name);
/* Hosts of a lab over several (validate_hosts.c): placement, underlays, links between hosts
 * and their VNIs; after the tests (`after` is resolved). */
void nsl_v_hosts(struct vctx *c);
/* `after` and the checks (validate_tests.c): 0 or -ENOMEM. */
int nsl_v_tests(struct vctx *c);

#endif
