/* Steps, faults and interruption. Every change `up` makes and every action of a teardown is a
 * step; tests make the k-th step fail (NSLAB_FAIL_STEP=k for up, NSLAB_FAIL_DOWN_STEP=k for
 * teardown, NSLAB_FAIL_RUNTIME_STEP=k for `link` and `impair`) or stop the process just
 * before it (NSLAB_STOP_STEP=k, NSLAB_STOP_RUNTIME_STEP=k: SIGSTOP, so a test can kill -9
 * it at a known point). NSLAB_COUNT_STEPS makes up report how many steps it took. A
 * SIGINT, SIGTERM or SIGHUP during up sets nsl_interrupted, checked at every step. */
#ifndef NSL_FAULT_H
#define NSL_FAULT_H

#include <signal.h>

#include "base/util.h"

enum nsl_step_kind { NSL_STEPS_UP, NSL_STEPS_DOWN, NSL_STEPS_RUNTIME };

/* Read the environment and reset the count. */
void nsl_steps_begin(enum nsl_step_kind kind);
/* One step: 0 to go on, or an error (an injected fault, or the interruption). */
int nsl_step(const char *what, struct nsl_err *err) NSL_MUST_USE;
unsigned long nsl_steps_taken(void);
/* In a worker that takes the steps of the process that started it (a rootless up): stop
 * that one too at NSLAB_STOP_STEP, as if it took the step itself. */
void nsl_steps_stop_too(pid_t pid);

/* Non-zero once interrupted: the signal's number. */
extern volatile sig_atomic_t nsl_interrupted;

#endif
