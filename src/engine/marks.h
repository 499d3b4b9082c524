/* The marks nslab leaves inside what it makes, so that teardown can prove a thing is the
 * lab's even when the state is lost (a name alone proves nothing):
 *   host ends of links       alias "nslab:LAB"
 *   moved devices            alias "nslab:LAB:OLDNAME" (their name at home)
 *   each node's namespace    lo's alias "nslab:LAB:NODE"
 *   the host's nft table     comment "nslab:LAB" on table inet nslab-LAB
 *   the lab's cgroups        xattr trusted.nslab "nslab:LAB" on CGROUP2/nslab-LAB,
 *                            "nslab:LAB:NODE" on CGROUP2/nslab-LAB/NODE */
#ifndef NSL_MARKS_H
#define NSL_MARKS_H

#include <string.h>

#include "base/util.h"
#include "model/topology.h"

#define NSL_MARK_PREFIX "nslab:"
#define NSL_MARK_MAX (sizeof(NSL_MARK_PREFIX) + NSL_NAME_MAX + 1 + 64)
#define NSL_NFT_NODE_TABLE "nslab"
#define NSL_NFT_HOST_PREFIX "nslab-"
#define NSL_CGROUP_PREFIX "nslab-"

/* "nslab:LAB" or "nslab:LAB:SUFFIX". */
static inline void nsl_mark(char *buf, size_t size, const char *lab, const char *suffix)
{
	if (suffix)
		nsl_fmt(buf, size, NSL_MARK_PREFIX "%s:%s", lab, suffix);
	else
		nsl_fmt(buf, size, NSL_MARK_PREFIX "%s", lab);
}

/* The suffix of "nslab:LAB:SUFFIX" if s is one of LAB's, NULL otherwise. */
static inline const char *nsl_mark_suffix(const char *s, const char *lab)
{
	size_t p = strlen(NSL_MARK_PREFIX), l = strlen(lab);

	if (strncmp(s, NSL_MARK_PREFIX, p) || strncmp(s + p, lab, l) || s[p + l] != ':')
		return NULL;
	return s + p + l + 1;
}

static inline void nsl_host_table(char *buf, size_t size, const char *lab)
{
	nsl_fmt(buf, size, NSL_NFT_HOST_PREFIX "%s", lab);
}

#endif
