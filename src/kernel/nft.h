/* The nftables door: SNAT tables built in-process with libnftnl + libmnl, one atomic batch
 * per namespace, every ACK read, errors mapped back by sequence number to the table, the
 * chain or the rule that caused them ("nat[2]: snat to 10.9.9.9: Operation not supported").
 * nslab owns its tables: it creates them whole, refuses to adopt one it did not create, and
 * never touches any other table. */
#ifndef NSL_NFT_H
#define NSL_NFT_H

#include <stddef.h>

#include "base/util.h"
#include "model/topology.h"

/* The one chain of an nslab table. */
#define NSL_NFT_CHAIN "postrouting"

/* Install table TABLE (family inet) holding chain "postrouting" (type nat, hook postrouting,
 * priority srcnat = 100) with one SNAT rule per entry of RULES, in the network namespace of
 * NETNS_FD (-1: the caller's current one), as ONE batch. On failure nothing is left (the
 * batch is atomic) and err says which rule: "nat[2]: snat to 10.9.9.9: <kernel message>".
 * A table of that name that already exists is an error (-EEXIST) naming the table: nslab
 * owns its table names and never adopts or extends a table it did not just create.
 * Rules whose families do not agree (source, addresses, rule) are refused with -EINVAL
 * before anything is sent. MARK (may be NULL) becomes the table's comment: the proof, kept
 * in the kernel, that the table is ours. */
int nsl_nft_apply(int netns_fd, const char *table, const char *mark, const struct nsl_nat *rules,
                  size_t n, struct nsl_err *err) NSL_MUST_USE;

/* Delete the table (and everything in it), by its handle, if it exists and (when MARK is not
 * NULL) carries MARK: 1 deleted, 0 absent or not ours. */
int nsl_nft_delete(int netns_fd, const char *table, const char *mark,
                   struct nsl_err *err) NSL_MUST_USE;

/* 1 if the inet table exists, 0 if not, negative errno on error. */
int nsl_nft_exists(int netns_fd, const char *table, struct nsl_err *err) NSL_MUST_USE;

#endif
