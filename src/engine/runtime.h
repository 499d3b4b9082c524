/* Changing a lab that is up: `nslab link` (a link down, as a cable pulled out, and up again)
 * and `nslab impair` (an end's impairment replaced in one request), and finding a node's
 * namespace for `nslab capture`. A command opens the lab with its lock held exclusively, so
 * it never interleaves with up, down or another change; it finds a node through the lab's
 * state (its holder by PID and start time, its namespace's bind checked against the
 * namespace's recorded identity) and changes nothing but that node's namespace (or a host end
 * that carries the lab's mark). What it changed is kept in runtime.json (state/runtime.c),
 * written before the change (marked pending) and after: the namespaces die with the lab,
 * so `down` needs none of it, even after a crash in the middle. */
#ifndef NSL_RUNTIME_ENGINE_H
#define NSL_RUNTIME_ENGINE_H

#include <sys/types.h>

#include "model/topology.h"
#include "state/labstate.h"
#include "state/runtime.h"
#include "state/statedir.h"

struct nsl_lab_rt {
	struct nsl_statedir sd; /* its lock held */
	struct nsl_labstate st;
	struct nsl_topology *t; /* as the lab was built (the copy kept with the lab) */
	struct nsl_runtime rt;
	bool have_st;
};

/* Open a lab that is up, its lock held exclusively; 0, or an error that says why not. A
 * rootless lab's is opened from inside: the caller joins its keeper's namespaces for good
 * (engine/rootless.h). */
int nsl_lab_rt_open(const char *lab, struct nsl_lab_rt *ret, struct nsl_err *err) NSL_MUST_USE;
void nsl_lab_rt_close(struct nsl_lab_rt *l);

/* An end of a link, "NODE:IF" ("host:IF" for a host end). */
struct nsl_end_ref {
	int node; /* index, or NSL_ENDPOINT_HOST */
	const struct nsl_iface *f;
	int link;
};
int nsl_lab_end(const struct nsl_lab_rt *l, const char *spec, struct nsl_end_ref *ret,
                struct nsl_err *err) NSL_MUST_USE;
/* "r1:eth0" */
const char *nsl_end_name(const struct nsl_lab_rt *l, const struct nsl_end_ref *e, char *buf,
                         size_t size);
/* The other end of its link. */
void nsl_end_peer(const struct nsl_lab_rt *l, const struct nsl_end_ref *e, struct nsl_end_ref *ret);

/* A node's namespace, proven to be the lab's: its holder alive (pid + start time), the bind
 * /run/netns/LAB.NODE (a rootless lab's: ROOT/LAB/netns/NODE) the namespace the state
 * recorded. node NSL_ENDPOINT_HOST: -1 for both. */
int nsl_lab_rt_netns(const struct nsl_lab_rt *l, int node, int *ret_netns, int *ret_pidfd,
                     struct nsl_err *err) NSL_MUST_USE;

/* The link of e down (e set down: its peer loses its carrier) or up (both ends up). */
int nsl_lab_link_set(struct nsl_lab_rt *l, const struct nsl_end_ref *e, bool up,
                     struct nsl_err *err) NSL_MUST_USE;
/* The impairment e's packets get now: the last `nslab impair`, else the topology's. */
void nsl_lab_impair_now(const struct nsl_lab_rt *l, const struct nsl_end_ref *e,
                        struct nsl_impair *ret);
/* Replace e's impairment with im (all zero: none) in one request. */
int nsl_lab_impair_set(struct nsl_lab_rt *l, const struct nsl_end_ref *e,
                       const struct nsl_impair *im, struct nsl_err *err) NSL_MUST_USE;

/* After `apply` changed the lab (committed): forget what runtime.json says of what the change
 * made anew (interfaces, nodes) or set again (rates, impairments), so `status` and `nslab link
 * up` never act on a change the kernel no longer has. */
struct nsl_diff;
int nsl_runtime_after_change(struct nsl_statedir *sd, const struct nsl_diff *d,
                             struct nsl_err *err) NSL_MUST_USE;

#endif
