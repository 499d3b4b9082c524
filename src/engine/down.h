/* `down`: lock the lab, tear it down, remove its state. */
#ifndef NSL_DOWN_H
#define NSL_DOWN_H

#include "base/util.h"
#include "engine/progress.h"

/* 0 done, 1 the lab was not up (nothing of it found). */
int nsl_down(const char *lab, struct nsl_err *err) NSL_MUST_USE;
/* The same, reporting the teardown's phases and counts to progress (may be NULL). */
int nsl_down_progress(const char *lab, struct nsl_progress_sink *progress,
                      struct nsl_err *err) NSL_MUST_USE;

/* The same; with kept (not NULL), the nodes' file systems (the upper layers of their
 * overlays, their /etc/hosts) are kept: kept gets where ("" when the lab had none). */
int nsl_down_keep(const char *lab, struct nsl_progress_sink *progress, char *kept, size_t size,
                  struct nsl_err *err) NSL_MUST_USE;

#endif
