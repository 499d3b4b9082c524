/* The id ranges of nodes with a user namespace of their own ("namespaces": ["user"], root's
 * labs): node root is host uid (and gid) NSL_UID_BASE + SLOT * NSL_UID_COUNT, and so on for
 * NSL_UID_COUNT ids, out of NSL_UID_SLOTS slots, far above any real user's (and above the
 * ranges /etc/subuid hands out by default). A slot is taken by flocking its file,
 * ROOT/.userns/SLOT (ROOT: /run/nslab), which names its lab and node; the holder keeps that
 * lock for its life (the lock goes with the holder, however it dies), and a slot whose file
 * names a lab that still has its state directory (up, or crashed and not downed yet) is
 * never taken either. So two nodes of any labs up at once never share a range. */
#ifndef NSL_UIDPOOL_H
#define NSL_UIDPOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/util.h"

#define NSL_UID_BASE 0x10000000u
#define NSL_UID_COUNT 65536u
#define NSL_UID_SLOTS 4096u
#define NSL_UIDPOOL_DIR ".userns"

/* Take the first free slot from *from on for LAB's NODE: *ret_base its first id, *ret_fd the
 * locked file (close-on-exec; whoever holds it holds the slot); *from moves past it (the
 * caller's next node need not try the slots it holds itself: start at 0). fresh: LAB is being
 * made by `up` (a slot naming it is from an earlier lab of that name). */
int nsl_uidpool_take(int root_fd, const char *lab, const char *node, bool fresh, unsigned *from,
                     uint32_t *ret_base, int *ret_fd, struct nsl_err *err) NSL_MUST_USE;

/* At a lab's down, its holders gone: the files of its slots no holder keeps are removed
 * (unlinked under their lock: a take that locked one after checks it is still linked), and
 * the directory with the last. */
void nsl_uidpool_release(int root_fd, const char *lab);

#endif
