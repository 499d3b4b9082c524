/* Subordinate ids: the ranges /etc/subuid and /etc/subgid give a user ("NAME:START:COUNT" or
 * "UID:START:COUNT", one a line), which newuidmap and newgidmap map into a user namespace.
 * Pure: the caller reads the file. */
#ifndef NSL_SUBID_H
#define NSL_SUBID_H

#include <stdbool.h>
#include <stdint.h>

struct nsl_subid {
	uint32_t start, count;
};

/* The first range of the user (by name, or by id written in decimal) in the text of a
 * subuid/subgid file: true with *ret set, false if the user has none. Lines that do not
 * parse, and empty ranges, are skipped. name may be NULL. */
bool nsl_subid_find(const char *text, const char *name, uint32_t id, struct nsl_subid *ret);

#endif
