/* What a lab that is up is made of, read from its state and checked live against the kernel
 * (holders alive, interfaces and addresses in each namespace): the document behind
 * `nslab status`, the same for its text and its --json (cli/output.h: the version field). */
#ifndef NSL_STATUS_H
#define NSL_STATUS_H

#include <cjson/cJSON.h>

#include "base/util.h"

/* One lab's status as a JSON object: 1 with *ret, 0 if the lab is not up. */
int nsl_status_lab(const char *lab, cJSON **ret, struct nsl_err *err) NSL_MUST_USE;

#endif
