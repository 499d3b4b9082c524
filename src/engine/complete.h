/* What shell completion offers (`nslab __complete`): lab names, node names, NODE:IF names.
 * Read without taking any lab's lock (a Tab never waits for an `up`) and, where root is not
 * needed, without root: node names come from the netns names under /run/netns (LAB.NODE,
 * readable by anyone); lab names from the state directory as root, else from those names. A
 * suggestion, not a proof of ownership: nothing here is acted on. */
#ifndef NSL_COMPLETE_H
#define NSL_COMPLETE_H

#include "base/util.h"

/* Lab names, sorted, without duplicates. */
int nsl_complete_labs(char ***ret, size_t *ret_n) NSL_MUST_USE;
/* Node names of lab (or "LAB.NODE" of every lab when lab is NULL), sorted. */
int nsl_complete_nodes(const char *lab, char ***ret, size_t *ret_n) NSL_MUST_USE;
/* "NODE:IF" of every interface in the lab's nodes (root: it lists each namespace's links). */
int nsl_complete_ifaces(const char *lab, char ***ret, size_t *ret_n) NSL_MUST_USE;

#endif
