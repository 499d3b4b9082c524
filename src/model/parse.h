/* The parser's shared parts (private to src/model): its context, typed access to the
 * document tree with a diagnostic for every mismatch, and the value parsers. parse_util.c
 * holds them; parse_node.c (a node's parts) and parse_topo.c (the file, links, host) use
 * them. Every problem carries the place of the value (or key) and its JSON path. */
#ifndef NSL_PARSE_H
#define NSL_PARSE_H

#include "model/doc.h"
#include "model/topology.h"

#define PATH_LEN 256
#define QUOTE_LEN 96
#define TEXT_MAX 4096 /* paths, sysctl values, env values */

enum jtype { J_STRING, J_INT, J_BOOL, J_OBJECT, J_ARRAY, J_INT_OR_STRING, J_BOOL_OR_OBJECT };

struct key_spec {
	const char *name;
	enum jtype type;
};

/* An address seen somewhere in the lab, to find duplicates after the walk. */
struct seen_addr {
	struct nsl_ip ip;
	size_t order;
	char *path;
	const struct nsl_dnode *at;
	const char *domain; /* the VRF of its interface ("" none): VRFs may reuse addresses */
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

/* A problem at the value of at (or its key: nsl_p_err_key); at may be NULL. */
void nsl_p_err(struct pctx *c, const struct nsl_dnode *at, const char *path, const char *fmt, ...)
    NSL_PRINTF(4, 5);
void nsl_p_err_key(struct pctx *c, const struct nsl_dnode *at, const char *path, const char *fmt,
                   ...) NSL_PRINTF(4, 5);
void *nsl_p_oom(struct pctx *c, void *p);

/* User text for messages and paths: printable ASCII as is, the rest escaped, long text cut. */
const char *nsl_p_quote(char buf[static QUOTE_LEN], const char *s);
void nsl_p_path_key(char out[static PATH_LEN], const char *parent, const char *key);
void nsl_p_path_idx(char out[static PATH_LEN], const char *parent, size_t i);
/* Whether a path has a "." or ".." component. */
bool nsl_p_path_has_dots(const char *s);
/* The closest of names within two edits, or NULL. */
const char *nsl_p_suggest(const char *s, const char *const *names, size_t n);

/* Duplicate keys of an object (marked by the reader), each reported at the later key. */
void nsl_p_check_dups(struct pctx *c, const struct nsl_dnode *obj, const char *path);
/* An object of fixed keys: reports a wrong type of the object itself, duplicate keys,
 * unknown keys (with a hint) and values of the wrong type. False when not an object. */
bool nsl_p_check_object(struct pctx *c, const struct nsl_dnode *obj, const char *path,
                        const struct key_spec *keys, size_t n_keys);
/* The first member of that exact key, of any type / if of type t (else NULL). */
const struct nsl_dnode *nsl_p_member(const struct nsl_dnode *obj, const char *key);
const struct nsl_dnode *nsl_p_get(const struct nsl_dnode *obj, const char *key, enum jtype t);
/* "expected T, got U" */
void nsl_p_type_err(struct pctx *c, const struct nsl_dnode *v, const char *path, const char *want);

/* An integer in [min, max], judged on the number's exact text (1.5e3 is 1500; 1e-400 and
 * 1500.00000000000001 are no integers), reported otherwise. */
bool nsl_p_int(struct pctx *c, const struct nsl_dnode *v, const char *path, int64_t min,
               int64_t max, int64_t *ret);
bool nsl_p_get_int(struct pctx *c, const struct nsl_dnode *obj, const char *key, const char *path,
                   int64_t min, int64_t max, int64_t *ret);
/* A string used as a name, address or path: no control characters, bounded length. */
const char *nsl_p_text(struct pctx *c, const struct nsl_dnode *v, const char *path);
const char *nsl_p_get_text(struct pctx *c, const struct nsl_dnode *obj, const char *key,
                           const char *path);
bool nsl_p_get_ifname(struct pctx *c, const struct nsl_dnode *obj, const char *key,
                      const char *path, char ret[NSL_IFNAME_MAX + 1]);
/* The message of an invalid interface name. */
void nsl_p_ifname_err(struct pctx *c, const struct nsl_dnode *at, bool key, const char *path,
                      const char *what, const char *name);

/* An array of interface addresses appended to f's (each remembered for duplicates, in the
 * domain of f's VRF, read when the whole file is parsed). */
void nsl_p_addrs(struct pctx *c, const struct nsl_dnode *arr, const char *path,
                 struct nsl_iface *f);
/* A route destination or NAT source: a network, so host bits must be clear. */
bool nsl_p_network(struct pctx *c, const struct nsl_dnode *at, const char *s, const char *path,
                   bool bare_ok, struct nsl_prefix *ret);
/* A unicast address. */
bool nsl_p_ip(struct pctx *c, const struct nsl_dnode *at, const char *s, const char *path,
              struct nsl_ip *ret);
/* Same address twice in the lab, host side included: reported at the later place. */
void nsl_p_check_dup_addrs(struct pctx *c);

/* An `impair` object (impair.c): each value checked on its own. */
void nsl_p_impair(struct pctx *c, const struct nsl_dnode *obj, const char *path,
                  struct nsl_impair *ret);

/* A node's parts (parse_node.c) and those the host shares. */
void nsl_p_node(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *obj, const char *path);
void nsl_p_ifaces(struct pctx *c, const struct nsl_dnode *obj, const char *path, size_t extra,
                  bool host, struct nsl_iface **ret, size_t *n_ret);
void nsl_p_nat(struct pctx *c, struct nsl_nat **ret, size_t *n_ret, const struct nsl_dnode *arr,
               const char *path);
void nsl_p_sysctls(struct pctx *c, struct nsl_sysctl **ret, size_t *n_ret,
                   const struct nsl_dnode *obj, const char *path);
/* A command's argv (non-empty strings, the kernel's limits); false if refused. */
bool nsl_p_argv(struct pctx *c, const struct nsl_dnode *v, const char *path, struct nsl_argv *ret);

/* Readiness, ordering and checks (parse_tests.c). */
void nsl_p_ready(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *obj, const char *path);
void nsl_p_after(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *arr, const char *path);
void nsl_p_tests(struct pctx *c, const struct nsl_dnode *arr);

/* Isolation (parse_isolation.c): "rootfs", "namespaces", "time_offsets", "limits" of a node;
 * a "rootfs" value; the lab's default rootfs given to the nodes that write none. */
void nsl_p_isolation(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *obj,
                     const char *path);
void nsl_p_rootfs(struct pctx *c, const struct nsl_dnode *v, const char *path,
                  struct nsl_rootfs *ret);
void nsl_p_rootfs_defaults(struct pctx *c);

/* The keys an interface entry may have (of any kind), for nsl_p_check_object. */
extern const struct key_spec nsl_p_iface_keys[];
extern const size_t nsl_p_n_iface_keys;
extern const struct key_spec nsl_p_host_iface_keys[];
extern const size_t nsl_p_n_host_iface_keys;
/* "kind" and the keys of that kind, "vrf" (parse_kind.c); after the common keys were read. */
void nsl_p_iface_kind(struct pctx *c, struct nsl_iface *f, const struct nsl_dnode *obj,
                      const char *path, bool host);
/* Routes, rules, table names of a node (parse_route.c). */
void nsl_p_routes(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *arr,
                  const char *path);
void nsl_p_rules(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *arr, const char *path);
void nsl_p_tables(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *obj,
                  const char *path);
/* "pools" and "mgmt" (parse_pools.c). */
void nsl_p_pools(struct pctx *c, const struct nsl_dnode *obj);
void nsl_p_mgmt(struct pctx *c, const struct nsl_dnode *obj);
/* A node's "mgmt": false (none), or {address, address6} of its own. */
void nsl_p_node_mgmt(struct pctx *c, struct nsl_node *n, const struct nsl_dnode *v,
                     const char *path);

#endif
