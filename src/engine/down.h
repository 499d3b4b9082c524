/* `down`: lock the lab, tear it down, remove its state. */
#ifndef NSL_DOWN_H
#define NSL_DOWN_H

#include "base/util.h"

/* 0 done, 1 the lab was not up (nothing of it found). */
int nsl_down(const char *lab, struct nsl_err *err) NSL_MUST_USE;

#endif
