/* cgroup v2: finding the hierarchy and its controllers, making a cgroup, setting its limits,
 * marking it (an xattr: proof at teardown that it is the lab's), removing it. */
#ifndef NSL_CGROUP_H
#define NSL_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
#include "model/topology.h"

/* The cgroup v2 hierarchy's mount point (its root as this process sees it): 1 with *path, 0
 * when there is none. controllers: what its root offers (cgroup.controllers), "" if none. */
int nsl_cgroup2_find(char *path, size_t size, char *controllers, size_t csize);
/* Whether the space-separated list has the controller. */
bool nsl_cgroup_has(const char *controllers, const char *name);
/* The controllers limits need, the first missing one in *ret_missing ("" when none). */
void nsl_cgroup_missing(const struct nsl_limits *l, const char *controllers,
                        const char **ret_missing);

/* A file of a cgroup (its first line, without the newline). 0 or -errno. */
int nsl_cgroup_read(const char *dir, const char *file, char *buf, size_t size);

/* Make dir (a cgroup) with mark in its xattr trusted.nslab (removed again if it cannot be
 * marked), and enable the controllers for its children ("+memory +pids"); 0, -EEXIST (left as
 * it is), or -errno. */
int nsl_cgroup_make(const char *dir, const char *mark, const char *subtree);
/* Enable controllers ("+memory +pids") for the children of an existing cgroup. */
int nsl_cgroup_enable(const char *dir, const char *subtree);
/* Write the limits into an existing cgroup. */
int nsl_cgroup_limit(const char *dir, const struct nsl_limits *l);
/* Whether dir carries mark (1), another or none (0), or is gone (-ENOENT). */
int nsl_cgroup_marked(const char *dir, const char *mark);
/* The cgroup of the process behind pidfd (a holder) when nslab made it (it carries a mark):
 * 1 with an fd of it (for clone3's CLONE_INTO_CGROUP), 0 when it is not one of ours. */
int nsl_cgroup_of_pidfd(int pidfd, int *ret_fd);
/* Kill what is left in it (cgroup.kill, 5.14) and remove it, waiting (bounded) for its
 * processes to be gone. 0 or -errno (-ENOENT: already gone). */
int nsl_cgroup_remove(const char *dir);

#endif
